"""After-commit listeners and the one lock: every change of a dataset is guarded and followed
by the same work."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import TEST_DATA, query
from loglake.analytics.listeners import after_commit
from loglake.cli.main import cli
from loglake.config import Settings
from loglake.errors import LockError, StoreError
from loglake.ingest.compact import compact
from loglake.ingest.pipeline import ingest
from loglake.store.listeners import Commit
from loglake.store.lock import dataset_change
from loglake.store.manifest import load_manifest
from loglake.store.retention import clean_before

SETUP = TEST_DATA / "mongod-6.0-setup.log"
AUTH = TEST_DATA / "mongod-4.4-auth.log"


class Heard(list[Commit]):
    """A listener that keeps the commits it heard of (and what was committed then)."""

    def __call__(self, commit: Commit) -> None:
        assert load_manifest(commit.manifest.root) == commit.manifest.data  # already durable
        self.append(commit)


def appended_ingests(log: Path, settings: Settings, count: int) -> None:
    """`count` ingests of a growing log: `count` small files per partition."""
    lines = SETUP.read_bytes().split(b"\n")
    log.write_bytes(b"")
    for n in range(count):
        with log.open("ab") as f:
            f.write(b"\n".join(lines[n * 20 : n * 20 + 20]) + b"\n")
        ingest([str(log)], settings)


def test_every_change_calls_the_listeners_after_its_commit(tmp_path: Path, settings: Settings):
    heard = Heard()
    report = ingest([str(SETUP)], settings, listeners=[heard])
    (first,) = heard
    assert first.ingest_id == report["ingest_id"]
    assert first.manifest.version == report["dataset_version"] == 1
    ingest([str(SETUP)], settings, listeners=[heard])
    assert len(heard) == 1  # nothing new, nothing committed, nobody told

    appended_ingests(tmp_path / "grows.log", settings, count=8)
    compact(settings.root, listeners=[heard])
    assert heard[-1].ingest_id is None
    assert heard[-1].manifest.version == load_manifest(settings.root)["dataset_version"]

    clean_before(settings.root, "2000-01-01", listeners=[heard])  # nothing that old
    assert len(heard) == 2
    clean_before(settings.root, "2030-01-01", listeners=[heard])
    assert heard[-1].ingest_id is None
    assert heard[-1].manifest.data["streams"]["events"]["rows"] == 0


def test_a_failing_listener_is_reported_and_the_commit_stands(settings: Settings):
    def broken(_commit: Commit) -> None:
        raise StoreError("the summaries disk is full")

    heard = Heard()
    warnings: list[str] = []
    report = ingest([str(SETUP)], settings, warn=warnings.append, listeners=[broken, heard])
    assert warnings == ["after the commit of version 1: the summaries disk is full"]
    assert len(heard) == 1  # the next listener still ran
    assert report["dataset_version"] == load_manifest(settings.root)["dataset_version"] == 1


def test_the_assembled_listeners_write_summaries_and_answers(settings: Settings):
    ingest([str(SETUP)], settings, listeners=after_commit(settings))
    summaries = settings.root / "summaries"
    dataset = json.loads((summaries / "dataset.json").read_text())
    assert dataset["dataset_version"] == 1
    assert dataset["events"]["count"] == 225
    assert json.loads((summaries / "answers-1.json").read_text())["dataset_version"] == "1"


def test_compact_and_clean_from_the_cli_leave_summaries_and_answers_current(tmp_path: Path):
    root = tmp_path / "lake"
    appended_ingests(tmp_path / "grows.log", Settings(root=root, workers=1), count=8)
    runner = CliRunner()
    assert runner.invoke(cli, ["compact", "--data", str(root)]).exit_code == 0
    version = load_manifest(root)["dataset_version"]
    assert version == 9
    dataset = json.loads((root / "summaries" / "dataset.json").read_text())
    assert (dataset["dataset_version"], dataset["events"]["count"]) == (9, 160)
    assert (root / "summaries" / "answers-9.json").exists()
    result = runner.invoke(cli, ["clean", "--data", str(root), "--before", "2030-01-01"])
    assert result.exit_code == 0
    dataset = json.loads((root / "summaries" / "dataset.json").read_text())
    assert dataset["dataset_version"] == 10
    assert "events" not in dataset  # nothing left to summarize
    assert sorted(p.name for p in (root / "summaries").glob("answers-*.json")) == [
        "answers-10.json"
    ]


def test_one_lock_guards_every_change_and_each_cleans_up_first(tmp_path: Path, settings: Settings):
    root = settings.root
    ingest([str(SETUP)], settings)
    with dataset_change(root, "someone-else"):
        for change in (
            lambda: ingest([str(AUTH)], settings),
            lambda: compact(root),
            lambda: clean_before(root, "2030-01-01"),
        ):
            with pytest.raises(LockError, match="another ingest holds"):
                change()
        result = CliRunner().invoke(cli, ["rebuild-summaries", "--data", str(root)])
        assert result.exit_code == 1 and "another ingest holds" in result.stderr
    orphan = root / "events" / "date=2022-11-28" / "part-killed-00000.parquet"
    for change in (
        lambda warn: compact(root, warn=warn),
        lambda warn: clean_before(root, "2000-01-01", warn=warn),
        lambda warn: ingest([str(SETUP)], settings, warn=warn),
    ):
        orphan.write_bytes(b"PAR1 half a file")
        (root / ".staging" / "killed").mkdir(parents=True)
        warnings: list[str] = []
        change(warnings.append)
        assert not orphan.exists()
        assert not (root / ".staging" / "killed").exists()
        assert any("cleaned up after an interrupted ingest" in w for w in warnings)
    assert query(root, "events", "SELECT count(*) FROM t")[0][0] == 225
    assert not (root / ".ingest.lock").exists()
    assert os.listdir(root / "manifests") == ["000000000001.json"]
