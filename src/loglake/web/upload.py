"""Uploads from the browser: files stream to disk, then an ingest runs in its own process.

`POST /api/uploads?batch=B&name=N` (raw file body, size-limited) stores one file under
`ROOT/uploads/B/`; `POST /api/ingest` `{"batch": B}` starts the ingest of a batch and
`GET /api/ingest/<job>` reports its progress. The uploaded files stay where they are: they
are the sources the raw lines are read back from.
"""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import orjson
from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from loglake.config import Settings
from loglake.errors import InputError, NotFoundError
from loglake.web.api import json_error, json_response
from loglake.web.ingest_job import STATUS_FILE

upload = Blueprint("upload", __name__)

UPLOADS = "uploads"
JOBS = "jobs"
CHUNK = 1024 * 1024
_ID = re.compile(r"^[0-9a-f]{16}$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_NAME = 120
MB = 1024 * 1024


def safe_name(name: str) -> str:
    """A file name that cannot leave its folder: base name, safe characters, bounded."""
    base = _UNSAFE.sub("_", Path(name.replace("\\", "/")).name).strip("._")
    return (base or "upload.log")[:MAX_NAME]


class IngestJobs:
    """Uploaded batches and the ingest processes started for them (one at a time)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.base = settings.root / UPLOADS
        self._lock = threading.Lock()
        self._procs: dict[str, subprocess.Popen[bytes]] = {}

    def batch_dir(self, batch: str) -> Path:
        """The folder of one batch of uploaded files (InputError for a malformed id)."""
        if not _ID.match(batch):
            raise InputError("batch must be 16 hex characters")
        return self.base / batch

    def start(self, batch: str, replace: bool) -> str:
        """Start ingesting a batch; returns the job id."""
        files = sorted(p for p in self.batch_dir(batch).glob("*") if p.is_file())
        if not files:
            raise InputError(f"batch {batch} has no uploaded files")
        with self._lock:
            if any(self._running(j, p) for j, p in self._procs.items()):
                raise InputError("an ingest is already running; wait for it to finish")
            job = secrets.token_hex(8)
            job_dir = self.base / JOBS / job
            job_dir.mkdir(parents=True)
            command = [sys.executable, "-m", "loglake.web.ingest_job"]
            command += ["--root", str(self.settings.root), "--job-dir", str(job_dir)]
            command += ["--replace"] if replace else []
            if self.settings.alert_rules:  # the server's rules file (the lake's rules follow)
                command += ["--alerts", str(Path(self.settings.alert_rules).resolve())]
            log = (job_dir / "ingest.log").open("wb")
            proc = subprocess.Popen(
                [*command, *map(str, files)], stdout=log, stderr=subprocess.STDOUT
            )
            log.close()
            self._procs[job] = proc
        threading.Thread(target=proc.wait, name=f"reap-{job}", daemon=True).start()
        return job

    def _running(self, job: str, proc: subprocess.Popen[bytes]) -> bool:
        """True while a job works: its process lives and its status is not final yet."""
        if proc.poll() is not None:
            return False
        state = self._read(job)  # None: starting, no status written yet
        return state is None or state["state"] == "running"  # done/failed: only exiting

    def _read(self, job: str) -> dict[str, Any] | None:
        """A job's status file as written by the job, or None before it exists."""
        try:
            state: dict[str, Any] = orjson.loads(
                (self.base / JOBS / job / STATUS_FILE).read_bytes()
            )
        except (OSError, ValueError):
            return None
        return state

    def status(self, job: str) -> dict[str, Any]:
        """A job's status file, plus whether its process died without saying so."""
        if not _ID.match(job):
            raise InputError("job must be 16 hex characters")
        state = self._read(job)
        if state is None:
            if job in self._procs:
                return {"job": job, "state": "running", "phase": "starting", "done": 0, "total": 0}
            raise NotFoundError(f"no ingest job {job}")
        proc = self._procs.get(job)
        if state["state"] == "running" and proc is not None and proc.poll() not in (None, 0):
            state.update(state="failed", error=f"the ingest process exited with {proc.returncode}")
        total = state.get("total") or 0
        state["percent"] = (
            100
            if state["state"] == "done"
            else (round(100 * state["done"] / total) if total else 0)
        )
        return state

    def all(self) -> list[dict[str, Any]]:
        """Every job started by this server, newest first."""
        jobs = self.base / JOBS
        if not jobs.exists():
            return []
        found = []
        for job_dir in sorted(jobs.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True)[:20]:
            try:
                found.append(self.status(job_dir.name))
            except (InputError, NotFoundError):
                continue
        return found


def _jobs() -> IngestJobs:
    jobs: IngestJobs = current_app.extensions["loglake_jobs"]
    return jobs


@upload.post("/api/uploads")
def receive() -> Response:
    """Store one uploaded file (the raw request body) in a batch."""
    jobs = _jobs()
    limit = jobs.settings.max_upload_mb * MB
    try:
        folder = jobs.batch_dir(request.args.get("batch", ""))
    except InputError as exc:
        return json_error(400, str(exc))
    if request.content_length is not None and request.content_length > limit:
        return json_error(
            413, f"file is larger than the upload limit of {jobs.settings.max_upload_mb} MB"
        )
    request.max_content_length = limit
    name = safe_name(request.args.get("name", ""))
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    partial = target.with_name(f".{name}.partial")
    size = 0
    try:
        with partial.open("wb") as out:
            while chunk := request.stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise RequestEntityTooLarge
                out.write(chunk)
    except RequestEntityTooLarge:
        partial.unlink(missing_ok=True)
        return json_error(
            413, f"file is larger than the upload limit of {jobs.settings.max_upload_mb} MB"
        )
    except OSError as exc:
        partial.unlink(missing_ok=True)
        return json_error(507, f"could not store the upload: {exc.strerror}")
    if size == 0:
        partial.unlink(missing_ok=True)
        return json_error(400, f"{name} is empty")
    partial.replace(target)
    return json_response({"ok": True, "batch": folder.name, "name": name, "bytes": size})


@upload.post("/api/ingest")
def start_ingest() -> Response:
    """Start ingesting an uploaded batch: `{"batch": "…", "replace": false}`; or, with
    `Content-Type: application/x-ndjson`, ingest the pushed records (web/push.py)."""
    from loglake.web.push import is_push, receive_push

    if is_push():
        return receive_push()
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("batch"), str):
        return json_error(400, 'send JSON like {"batch": "<16 hex characters>"}')
    jobs = _jobs()
    replace = body.get("replace", jobs.settings.wipe_on_upload) is True
    try:
        job = jobs.start(body["batch"], replace)
    except InputError as exc:
        return json_error(409 if "already running" in str(exc) else 400, str(exc))
    return json_response({"ok": True, "job": job, "replace": replace}, 202)


@upload.get("/api/ingest/<job>")
def ingest_status(job: str) -> Response:
    """An ingest job's state, phase and progress (and its report when done)."""
    try:
        return json_response(_jobs().status(job))
    except InputError as exc:
        return json_error(400, str(exc))
    except NotFoundError as exc:
        return json_error(404, str(exc))
