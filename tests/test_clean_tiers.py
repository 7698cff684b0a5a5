"""`loglake clean --before DATE --tier hot|cold|all` on a lake archived to a real S3 server.

The lake: an auth log (2021), a setup log (2022), a log of ten days (2024-04-10 to 19: the
setup log's lines day after day) and an advisor log (2024-05-06), archived with a cut on
2024-04-15: 2021, 2022 and 2024-04-10 to 14 are cold, the rest hot; the ten-day log is
archived in part.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import TEST_DATA, Runner, days_log
from loglake.analytics.service import Analytics
from loglake.config import Settings
from loglake.errors import LoglakeError
from loglake.ingest.archive import archive
from loglake.ingest.pipeline import ingest
from loglake.store import fs as lakefs
from loglake.store.manifest import Manifest, Tier
from loglake.store.status import dataset_status
from s3_server import S3Server

LOGS = [
    TEST_DATA / "mongod-4.4-auth.log",
    TEST_DATA / "mongod-6.0-setup.log",
    TEST_DATA / "advisor" / "mongod-collscan-esr.log",
]
DAYS = [f"2024-04-{d}" for d in range(10, 20)]
TODAY = dt.date(2024, 4, 22)  # --older-than 7d: the cut is 2024-04-15


@pytest.fixture
def s3(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Server]:
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    lakefs._resolve.cache_clear()
    yield s3_server
    lakefs._resolve.cache_clear()


@pytest.fixture
def tiered(s3: S3Server, tmp_path: Path) -> tuple[Settings, str]:
    settings = Settings(root=tmp_path / "lake", workers=1, chunk_rows=50)
    ingest([str(p) for p in [*LOGS, days_log(tmp_path / "ten-days.log", DAYS)]], settings)
    bucket = s3.new_bucket()
    archive(settings.root, f"s3://{bucket}/cold", "7d", chunk_rows=50, today=TODAY)
    return settings, bucket


def _clean(runner: Runner, root: Path, before: str, *extra: str) -> dict[str, Any]:
    out = runner.run("clean", "--data", str(root), "--before", before, "--json", *extra)
    assert out.exit_code == 0, out.output
    return dict(json.loads(out.output))


def _keys(s3: S3Server, bucket: str) -> set[str]:
    found = s3.client().list_objects_v2(Bucket=bucket).get("Contents", [])
    return {o["Key"].removeprefix("cold/") for o in found}


def _dates(root: Path, tier: Tier) -> set[str]:
    manifest = Manifest.load(root)
    return {loc.date for s in manifest.data["streams"] for loc in manifest.locations(s, tier)}


def test_clean_applies_retention_to_the_chosen_tier(
    tiered: tuple[Settings, str], s3: S3Server, runner: Runner
) -> None:
    settings, bucket = tiered
    root = settings.root
    cold_dates, hot_dates = _dates(root, Tier.COLD), _dates(root, Tier.HOT)
    assert cold_dates == {"2021-02-23", "2022-11-28", *DAYS[:5]}
    assert hot_dates == {*DAYS[5:], "2024-05-06"}
    total = dataset_status(root)["tiers"]

    # the hot tier holds nothing before 2023: nothing to do, nothing committed
    version = Manifest.load(root).version
    assert _clean(runner, root, "2023-01-01", "--tier", "hot")["files"] == 0
    assert Manifest.load(root).version == version

    # the cold tier: the 2021 and 2022 partitions go, objects and raw segments with them
    done = _clean(runner, root, "2023-01-01", "--tier", "cold")
    assert done["files"] > 0 and done["raw_segments"] == 2  # the auth and setup logs' segments
    assert _dates(root, Tier.COLD) == cold_dates - {"2021-02-23", "2022-11-28"}
    after = dataset_status(root)["tiers"]
    assert after["cold"]["rows"] == total["cold"]["rows"] - done["rows"]
    assert after["hot"] == total["hot"]
    manifest = Manifest.load(root)
    listed = {k for k, a in manifest.data["artifacts"].items() if a.get("tier") == "cold"}
    for entry in manifest.data["files"].values():
        listed.update(seg["path"] for seg in (entry.get("cold") or {}).get("segments", ()))
    assert _keys(s3, bucket) == listed  # the dropped objects are deleted from the bucket
    by_name = {Path(e["path"]).name: e for e in manifest.data["files"].values()}
    for name in ("mongod-4.4-auth.log", "mongod-6.0-setup.log"):
        assert not by_name[name]["cold"]["segments"]
    assert by_name["ten-days.log"]["cold"]["segments"]  # its April 10-14 rows are still cold
    assert by_name["mongod-collscan-esr.log"].get("cold") is None  # never archived

    # with the ten-day log deleted, its cold rows keep their raw lines (from the segment);
    # its hot rows have none left, and say so
    (root.parent / "ten-days.log").unlink()
    analytics = Analytics(settings)
    rows = analytics.ask("slow_queries", {"limit": "500"})["rows"]
    cold_row = next(r for r in rows if r["ts"].startswith("2024-04-14"))
    detail = analytics.ask("detail", {k: cold_row[k] for k in ("file_id", "file_offset")})
    assert '"$date":"2024-04-14' in detail["raw"]
    hot_row = next(r for r in rows if r["ts"].startswith("2024-04-15"))
    with pytest.raises(LoglakeError, match="cannot be opened, and this line was not archived"):
        analytics.ask("detail", {k: hot_row[k] for k in ("file_id", "file_offset")})

    # the hot tier: April 15-19 go, the cold April partitions stay
    done = _clean(runner, root, "2024-04-25", "--tier", "hot")
    assert {p.split("=")[1] for p in done["partitions"]} == set(DAYS[5:])
    assert _dates(root, Tier.HOT) == {"2024-05-06"}
    assert _dates(root, Tier.COLD) == set(DAYS[:5])

    # both tiers, dry run first: nothing changes
    version = Manifest.load(root).version
    would = _clean(runner, root, "2024-05-01", "--dry-run")
    assert would["dry_run"] and would["rows"] > 0
    assert Manifest.load(root).version == version
    done = _clean(runner, root, "2024-05-01", "--tier", "all")
    assert done["rows"] == would["rows"]
    assert _dates(root, Tier.COLD) == set()
    assert _dates(root, Tier.HOT) == {"2024-05-06"}
    assert _keys(s3, bucket) == set()  # no row points into a raw segment any more
    status = dataset_status(root)
    assert status["tiers"]["cold"]["rows"] == 0
    assert status["tiers"]["hot"]["rows"] == sum(s["rows"] for s in status["streams"].values())


def test_an_unknown_tier_is_refused(tiered: tuple[Settings, str], runner: Runner) -> None:
    settings, _ = tiered
    out = runner.run(
        "clean", "--data", str(settings.root), "--before", "2023-01-01", "--tier", "warm",
        catch=True,
    )  # fmt: skip
    assert out.exit_code != 0 and "warm" in out.output


def test_a_replacing_ingest_drops_the_cold_tier_too(
    tiered: tuple[Settings, str], s3: S3Server
) -> None:
    settings, bucket = tiered
    assert _keys(s3, bucket)
    ingest([str(TEST_DATA / "advisor" / "mongod-heuristics.log")], settings, replace=True)
    manifest = Manifest.load(settings.root)
    assert _dates(settings.root, Tier.COLD) == set()
    assert _keys(s3, bucket) == set()  # the archived objects went with the dataset
    assert manifest.cold_root == f"s3://{bucket}/cold"  # the next archive goes there again
