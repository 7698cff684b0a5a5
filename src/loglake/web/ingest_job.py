"""An ingest started from the web upload, run in its own process.

`python -m loglake.web.ingest_job --root ROOT --job-dir DIR [--replace] [--alerts FILE] FILE…`
ingests the files and keeps `DIR/status.json` current (state, phase, bytes done of total,
the report or the error), which the server reads to show progress. Running the ingest in a
process of its own keeps the server's threads and DuckDB connection out of the ingest's
forked workers. The after-commit listeners (summaries, the dashboard's answers, the alert
rules: the server's `--alerts` file, which the server passes on, and the lake's API rules)
run as after any ingest; the server's courier delivers the alerts' notifications (it polls
the outbox).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from loglake.config import load_settings
from loglake.errors import LoglakeError
from loglake.store.fs import write_json_atomic

STATUS_FILE = "status.json"
WRITE_EVERY_S = 0.25


class StatusFile:
    """The job's status, rewritten atomically (at most every WRITE_EVERY_S while parsing)."""

    def __init__(self, job_dir: Path, files: list[str], replace: bool) -> None:
        self.path = job_dir / STATUS_FILE
        self.state: dict[str, Any] = {
            "job": job_dir.name,
            "state": "running",
            "phase": "starting",
            "done": 0,
            "total": 0,
            "files": [Path(f).name for f in files],
            "replace": replace,
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "report": None,
            "error": None,
        }
        self._written = 0.0
        self.write()

    def write(self, **changes: Any) -> None:
        """Apply changes and save."""
        self.state.update(changes)
        write_json_atomic(self.path, self.state)
        self._written = time.monotonic()

    def progress(self, phase: str, done: int, total: int) -> None:
        """The ingest's progress callback."""
        changed = phase != self.state["phase"]
        if changed or time.monotonic() - self._written >= WRITE_EVERY_S:
            self.write(phase=phase, done=done, total=total or self.state["total"])


def run(
    root: Path, job_dir: Path, files: list[str], replace: bool, alert_rules: str | None = None
) -> int:
    """Ingest the files (and run the after-commit listeners); 0 on success."""
    from loglake.analytics.listeners import after_commit
    from loglake.ingest.pipeline import ingest

    status = StatusFile(job_dir, files, replace)
    settings = load_settings().with_options(root=root, alert_rules=alert_rules)
    try:
        report = ingest(
            files,
            settings,
            progress=status.progress,
            replace=replace,
            listeners=after_commit(settings),
        )
    except LoglakeError as exc:
        status.write(state="failed", error=str(exc))
        return 1
    except Exception as exc:  # a crash must still end the job visibly  # noqa: BLE001
        status.write(state="failed", error=f"internal error ({type(exc).__name__}: {exc})")
        return 1
    status.write(state="done", phase="done", done=status.state["total"], report=report)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command-line entry (used by the web server only)."""
    parser = argparse.ArgumentParser(prog="python -m loglake.web.ingest_job")
    parser.add_argument("--root", required=True, type=Path)
    parser.add_argument("--job-dir", required=True, type=Path)
    parser.add_argument("--replace", action="store_true")
    parser.add_argument("--alerts", default=None, help="the server's alert rules file")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args(argv)
    return run(args.root, args.job_dir, args.files, args.replace, args.alerts)


if __name__ == "__main__":
    raise SystemExit(main())
