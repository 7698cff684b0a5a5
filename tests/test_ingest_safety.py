"""Manifest, lock, atomic commit, recovery after SIGKILL, idempotent and appending re-ingest."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import TEST_DATA, IngestFn, big_log, query
from loglake.config import Settings
from loglake.errors import InputError, LockError
from loglake.store.lock import ingest_lock
from loglake.store.manifest import load_manifest
from loglake.store.templates import templates_key

SETUP = TEST_DATA / "mongod-6.0-setup.log"
AUTH = TEST_DATA / "mongod-4.4-auth.log"


def snapshot(root: Path) -> dict[str, bytes]:
    """Every committed file of a dataset and its bytes (staging and lock excluded)."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".staging" not in p.parts and p.name != ".ingest.lock"
    }


def test_manifest_records_the_ingest(run_ingest: IngestFn, settings: Settings) -> None:
    report = run_ingest(SETUP, chunk_rows=50)
    manifest = load_manifest(settings.root)
    assert manifest["dataset_version"] == 1 == report["dataset_version"]
    (ingest,) = manifest["ingests"]
    assert ingest["ingest_id"] == report["ingest_id"]
    assert ingest["options"]["chunk_rows"] == 50
    assert ingest["timings"]["parse"] >= 0
    assert manifest["streams"]["events"]["rows"] == 225
    assert manifest["streams"]["events"]["partitions"] == {"2022-11-28": 225}
    for rel, art in manifest["artifacts"].items():
        assert (settings.root / rel).stat().st_size == art["bytes"]
        assert len(art["sha256"]) == 64
    fmap = json.loads((settings.root / "index" / "file_map.json").read_text())
    file_id = report["files"][0]["file_id"]
    assert fmap["files"][file_id]["path"] == str(SETUP.resolve())
    assert fmap["dataset_version"] == 1


def test_reingest_is_idempotent_and_file_id_stable(run_ingest: IngestFn, settings: Settings):
    first = run_ingest(SETUP)
    before = snapshot(settings.root)
    second = run_ingest(SETUP)
    assert second["rows"] == dict.fromkeys(first["rows"], 0)
    assert second["files"][0]["file_id"] == first["files"][0]["file_id"]
    assert second["files"][0]["status"] == "already ingested"
    assert second["dataset_version"] == first["dataset_version"]
    after = snapshot(settings.root)
    after.pop("summaries/dataset.json", None), before.pop("summaries/dataset.json", None)
    assert after == before
    (count,) = query(settings.root, "events", "SELECT count(*) FROM t")[0]
    assert count == 225


def test_a_grown_file_is_ingested_from_where_it_ended(
    tmp_path: Path, run_ingest: IngestFn, settings: Settings
):
    lines = SETUP.read_bytes().split(b"\n")
    log = tmp_path / "mongod.log"
    log.write_bytes(b"\n".join(lines[:100]) + b"\n")
    first = run_ingest(log)
    with log.open("ab") as f:
        f.write(b"\n".join(lines[100:]))
    second = run_ingest(log)
    assert second["files"][0]["status"] == "appended"
    assert second["files"][0]["file_id"] == first["files"][0]["file_id"]
    assert first["rows"]["events"] + second["rows"]["events"] == 225
    (count, distinct) = query(
        settings.root, "events", "SELECT count(*), count(DISTINCT file_offset) FROM t"
    )[0]
    assert count == distinct == 225


def test_a_live_lock_blocks_and_force_overrides(run_ingest: IngestFn, settings: Settings):
    settings.root.mkdir(parents=True)
    lock = settings.root / ".ingest.lock"
    lock.write_text(json.dumps({"pid": os.getpid(), "host": os.uname().nodename, "ingest_id": "x"}))
    with pytest.raises(LockError, match="--force"):
        run_ingest(SETUP)
    warnings: list[str] = []
    with ingest_lock(settings.root, "y", force=True, warn=warnings.append):
        assert json.loads(lock.read_text())["ingest_id"] == "y"
    assert "overriding" in warnings[0]
    assert not lock.exists()


def test_a_stale_lock_is_taken_over_with_a_warning(settings: Settings):
    settings.root.mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (settings.root / ".ingest.lock").write_text(
        json.dumps({"pid": dead.pid, "host": os.uname().nodename, "ingest_id": "old"})
    )
    warnings: list[str] = []
    with ingest_lock(settings.root, "new", force=False, warn=warnings.append):
        pass
    assert "stale" in warnings[0]


def test_sigkill_mid_ingest_leaves_the_dataset_unchanged(tmp_path: Path, settings: Settings):
    root = settings.root
    env = {**os.environ, "LOGLAKE_ROOT": str(root)}
    cli = [sys.executable, "-m", "loglake", "ingest", "--quiet"]
    subprocess.run([*cli, str(AUTH)], env=env, check=True, capture_output=True)
    before = snapshot(root)
    big = big_log(tmp_path / "big.log", copies=400)  # ~25 MB, 90,000 lines
    proc = subprocess.Popen(
        [*cli, "--workers", "2", "--chunk-rows", "2000", str(big)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        staged = list((root / ".staging").rglob("*.parquet"))
        if staged:
            break
        time.sleep(0.01)
    assert staged, "the ingest never started writing"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert snapshot(root) == before
    assert (root / ".ingest.lock").exists()
    done = subprocess.run([*cli, "--json", str(big)], env=env, capture_output=True, check=True)
    report = json.loads(done.stdout)
    assert report["rows"]["events"] == 400 * 225
    assert b"stale" in done.stderr
    assert not (root / ".staging").exists() or not any((root / ".staging").iterdir())
    (count,) = query(root, "events", "SELECT count(*) FROM t")[0]
    assert count == 400 * 225 + 459


def test_orphans_of_an_interrupted_commit_are_removed(run_ingest: IngestFn, settings: Settings):
    run_ingest(SETUP)
    orphan = settings.root / "events" / "date=2022-11-28" / "part-killed-00000.parquet"
    orphan.write_bytes(b"PAR1 half a file")
    staging = settings.root / ".staging" / "killed" / "events"
    staging.mkdir(parents=True)
    (staging / "x.parquet").write_bytes(b"junk")
    run_ingest(AUTH)
    assert not orphan.exists()
    assert not (settings.root / ".staging" / "killed").exists()
    (count,) = query(settings.root, "events", "SELECT count(*) FROM t")[0]
    assert count == 225 + 459


def test_stdin_is_ingested_and_kept(settings: Settings):
    env = {**os.environ, "LOGLAKE_ROOT": str(settings.root)}
    cmd = [sys.executable, "-m", "loglake", "ingest", "--quiet", "--json", "-"]
    done = subprocess.run(cmd, env=env, input=SETUP.read_bytes(), capture_output=True, check=True)
    report = json.loads(done.stdout)
    assert report["rows"]["events"] == 225
    assert report["files"][0]["path"] == "<stdin>"
    again = subprocess.run(cmd, env=env, input=SETUP.read_bytes(), capture_output=True, check=True)
    assert json.loads(again.stdout)["rows"]["events"] == 0
    from loglake.store.raw import RawReader

    (row,) = query(settings.root, "slow_queries", "SELECT file_id, file_offset, line_length FROM t")
    assert b'"id":51803' in RawReader(settings.root).read_line(*row)


def test_copy_source_keeps_a_managed_copy(tmp_path: Path, run_ingest: IngestFn, settings):
    log = tmp_path / "mongod.log"
    log.write_bytes(SETUP.read_bytes())
    run_ingest(log, copy_source=True)
    log.unlink()
    from loglake.store.raw import RawReader

    (row,) = query(settings.root, "slow_queries", "SELECT file_id, file_offset, line_length FROM t")
    assert b'"id":51803' in RawReader(settings.root).read_line(*row)


def test_clean_before_drops_old_partitions(tmp_path: Path, run_ingest: IngestFn, settings):
    run_ingest(big_log(tmp_path / "days.log", copies=3))  # 2023-01-01 .. 2023-01-03
    from loglake.store.retention import clean_before

    result = clean_before(settings.root, "2023-01-03", warn=lambda _m: None)
    assert result["rows"] > 0
    manifest = load_manifest(settings.root)
    assert set(manifest["streams"]["events"]["partitions"]) == {"2023-01-03"}
    assert query(settings.root, "events", "SELECT count(*) FROM t")[0][0] == 225
    assert not (settings.root / "events" / "date=2023-01-01").exists()


def test_directories_skip_files_that_are_not_logs(tmp_path: Path, run_ingest: IngestFn, settings):
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "mongod.log").write_bytes(SETUP.read_bytes())
    (folder / "README.txt").write_text("notes about these logs\n")
    (folder / "empty.log").write_bytes(b"")
    report = run_ingest(folder)
    assert report["rows"]["events"] == 225
    status = {Path(f["path"]).name: f["status"] for f in report["files"]}
    assert status["mongod.log"] == "new"
    assert status["README.txt"] == "skipped: not a log of a known format"
    assert status["empty.log"] == "skipped: the file is empty"


def test_a_named_file_that_is_not_a_log_is_an_error(tmp_path: Path, run_ingest: IngestFn):
    notes = tmp_path / "notes.txt"
    notes.write_text("just some text\nand more\n")
    with pytest.raises(InputError, match="matched no known format; pass --format"):
        run_ingest(notes)
    folder = tmp_path / "only-notes"
    folder.mkdir()
    (folder / "a.txt").write_text("text\n")
    with pytest.raises(InputError, match="no file is a log of a known format"):
        run_ingest(folder)


def test_whole_shared_folder_reads_every_mongodb_log_and_skips_the_rest(run_ingest: IngestFn):
    """Every log of the shared folder is read by its own family's format with no bad line;
    what is not a log (docs, CSV truth tables, SQL, bare EXPLAIN bodies) is skipped."""
    from conftest import SHARED_DATA

    if not SHARED_DATA.exists():
        pytest.skip("../shared/data not present")
    report = run_ingest(SHARED_DATA)
    not_logs = (".md", "LICENSE", "CITATION", "COMMIT", ".sql", "_structured.csv",
                "_templates.csv")  # fmt: skip
    postgres = 0
    for f in report["files"]:
        path = f["path"]
        if "/mongodb/" in path:
            assert f["status"] == "new" and f["format"].startswith("mongodb"), f
        elif path.endswith(not_logs) or "/auto_explain_json/" in path:  # plan bodies, not logs
            assert f["status"].startswith("skipped:"), f
        elif "/postgres/" in path or path.endswith("logfile_postgres.0"):  # issue 11's formats
            assert f["status"] == "new" and f["bad_lines"] == 0, f
            assert f["format"].startswith("postgres-"), f
            postgres += 1
        elif "/applogs/" in path:  # issue 13's formats
            assert f["status"] == "new" and f["bad_lines"] == 0, f
            assert f["format"] in ("jsonl", "json-array", "logfmt", "text"), f
    assert postgres == 20  # every PostgreSQL log there, the .bz2 one included


def test_compaction_merges_small_files_and_keeps_every_row(
    tmp_path: Path, run_ingest: IngestFn, settings
):
    from loglake.ingest.compact import compact

    lines = SETUP.read_bytes().split(b"\n")
    log = tmp_path / "mongod.log"
    log.write_bytes(b"")
    for n in range(0, 200, 20):  # ten appends: ten ingests, ten files per partition
        with log.open("ab") as f:
            f.write(b"\n".join(lines[n : n + 20]) + b"\n")
        run_ingest(log)
    before = query(settings.root, "events", "SELECT * EXCLUDE (date) FROM t ORDER BY file_offset")
    assert len(before) == 200
    manifest = load_manifest(settings.root)
    assert sum(1 for a in manifest["artifacts"].values() if a["stream"] == "events") == 10
    done = compact(settings.root)
    assert done["files_before"] >= 10
    manifest = load_manifest(settings.root)
    events = [rel for rel, a in manifest["artifacts"].items() if a["stream"] == "events"]
    assert len(events) == 1
    assert manifest["streams"]["events"]["rows"] == 200
    on_disk = sorted(str(p.relative_to(settings.root)) for p in settings.root.rglob("*.parquet"))
    assert on_disk == sorted([*manifest["artifacts"], templates_key(manifest)])
    after = query(settings.root, "events", "SELECT * EXCLUDE (date) FROM t ORDER BY file_offset")
    assert after == before
    run_ingest(log)  # and the dataset stays usable
    assert query(settings.root, "events", "SELECT count(*) FROM t")[0][0] == 200
