"""`ingest --follow`: appends, half-written lines, rotation, and a clean stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import TEST_DATA, query
from loglake.analytics.service import Analytics
from loglake.config import Settings
from loglake.store.manifest import load_manifest

LINES = [line for line in (TEST_DATA / "mongod-6.0-setup.log").read_bytes().split(b"\n") if line]


def wait_for_events(root: Path, count: int, timeout: float = 30) -> int:
    deadline = time.time() + timeout
    seen = -1
    while time.time() < deadline:
        if (root / "manifest.json").exists():
            seen = load_manifest(root)["streams"]["events"]["rows"]
            if seen == count:
                return seen
        time.sleep(0.05)
    return seen


def test_follow_reads_appends_waits_for_whole_lines_and_survives_rotation(tmp_path: Path):
    root = tmp_path / "lake"
    log = tmp_path / "mongod.log"
    log.write_bytes(b"\n".join(LINES[:10]) + b"\n")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "loglake",
            "ingest",
            "--follow",
            "--interval",
            "0.1",
            "--json",
            "--out",
            str(root),
            str(log),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert wait_for_events(root, 10) == 10
        with log.open("ab") as f:  # five lines and half of the next one
            f.write(b"\n".join(LINES[10:15]) + b"\n" + LINES[15][:40])
        assert wait_for_events(root, 15) == 15
        time.sleep(0.3)
        assert load_manifest(root)["streams"]["events"]["rows"] == 15  # the half line waits
        with log.open("ab") as f:
            f.write(LINES[15][40:] + b"\n" + LINES[16] + b"\n")
        assert wait_for_events(root, 17) == 17
        with log.open("ab") as f:  # rotation: last lines, rename, a fresh file at the path
            f.write(b"\n".join(LINES[17:19]) + b"\n")
        os.rename(log, tmp_path / "mongod.log.1")
        log.write_bytes(b"\n".join(LINES[19:22]) + b"\n")
        # the renamed file is not followed (not named), the new one is: 17 + 3
        assert wait_for_events(root, 20) == 20
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err.decode()
    rounds = [json.loads(line) for line in out.decode().splitlines()]
    assert len(rounds) >= 3
    assert b"Stopped following" in err
    (total, distinct) = query(
        root, "events", "SELECT count(*), count(DISTINCT (file_id, file_offset)) FROM t"
    )[0]
    assert total == distinct == 20
    lines = {row[0] for row in query(root, "events", "SELECT line_length FROM t")}
    assert len(LINES[15]) in lines  # the half-written line was read whole
    from loglake.analytics.summaries import dataset_summary

    assert dataset_summary(root)["events"]["count"] == 20  # recomputed: rounds leave it stale


def test_a_rotated_file_named_again_is_appended_not_duplicated(
    tmp_path: Path, run_ingest, settings
):
    log = tmp_path / "mongod.log"
    log.write_bytes(b"\n".join(LINES[:10]) + b"\n")
    first = run_ingest(log)
    with log.open("ab") as f:
        f.write(b"\n".join(LINES[10:12]) + b"\n")
    rotated = tmp_path / "mongod.log.1"
    os.rename(log, rotated)
    second = run_ingest(rotated)
    assert second["files"][0]["status"] == "appended"
    assert second["files"][0]["file_id"] == first["files"][0]["file_id"]
    assert second["rows"]["events"] == 2
    from loglake.store.raw import RawReader

    reader = RawReader(settings.root)
    for row in query(settings.root, "events", "SELECT file_id, file_offset, line_length FROM t"):
        assert reader.read_line(*row) in LINES


def wait_for_summaries(root: Path, timeout: float = 30) -> dict:
    """The dataset summary once it is of the committed version (the listeners ran)."""
    deadline = time.time() + timeout
    summary: dict = {}
    while time.time() < deadline:
        version = load_manifest(root)["dataset_version"]
        answers = root / "summaries" / f"answers-{version}.json"
        try:
            summary = json.loads((root / "summaries" / "dataset.json").read_text())
        except (OSError, ValueError):
            summary = {}
        if summary.get("dataset_version") == version and answers.exists():
            return summary
        time.sleep(0.05)
    return summary


def test_follow_rounds_update_the_summaries_and_the_dashboard_answers(tmp_path: Path):
    root = tmp_path / "lake"
    log = tmp_path / "mongod.log"
    log.write_bytes(b"\n".join(LINES[:10]) + b"\n")
    cmd = [sys.executable, "-m", "loglake", "ingest", "--follow", "--interval", "0.1"]
    proc = subprocess.Popen(
        [*cmd, "--quiet", "--out", str(root), str(log)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        assert wait_for_events(root, 10) == 10
        assert wait_for_summaries(root)["events"]["count"] == 10
        with log.open("ab") as f:  # a second round: today's rounds left both stale
            f.write(b"\n".join(LINES[10:25]) + b"\n")
        assert wait_for_events(root, 25) == 25
        summary = wait_for_summaries(root)
        assert summary["events"]["count"] == 25
        version = load_manifest(root)["dataset_version"]
        assert summary["dataset_version"] == version >= 2
        stored = json.loads((root / "summaries" / f"answers-{version}.json").read_text())
        fresh = Analytics(Settings(root=root, precomputed_answers=False, cache_entries=0))
        assert stored["dataset_version"] == fresh.version() == str(version)
        assert stored["answers"]["summary"] == fresh.ask("summary", {})
        assert stored["answers"]["connections"] == fresh.ask("connections", {})
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err.decode()


def test_a_round_that_finds_the_lake_locked_is_tried_again_soon(tmp_path: Path) -> None:
    import threading

    from loglake.ingest.follow import follow
    from loglake.store.lock import dataset_change

    root = tmp_path / "lake"
    log = tmp_path / "mongod.log"
    log.write_bytes(b"\n".join(LINES[:10]) + b"\n")
    settings = Settings(root=root, workers=1)
    stop = threading.Event()
    rounds: list[dict] = []
    warnings: list[str] = []
    with dataset_change(root, "another-change"):  # a push or compaction holds the lake
        thread = threading.Thread(
            target=follow,
            args=([str(log)], settings, rounds.append, warnings.append),
            kwargs={"interval": 5.0, "stop": stop},
        )
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive() and not rounds  # waiting, not failed
    released = time.monotonic()
    while not rounds and time.monotonic() - released < 4:  # well before the next interval
        time.sleep(0.02)
    stop.set()
    thread.join(timeout=30)
    assert (
        rounds
        and sum(rounds[0]["rows"].values()) == load_manifest(root)["streams"]["events"]["rows"] > 0
    )
    assert not [w for w in warnings if "lock" in w.lower()]
