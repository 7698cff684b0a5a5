"""Grouping accuracy of the template miner on the Loghub 2k samples, against their truth.

Each `*_2k.log` is read line by line; its header (time, level, source) is split off with
the layout Loghub documents for it, and the messages go through `Miner.assign` exactly as
ingest hands it an events table. Drain's grouping accuracy is the fraction of lines whose
mined group holds exactly the lines of their true group (`*_structured.csv`, EventId).
Thresholds: Drain's published figures (HDFS ~1.0, Apache 1.0, OpenSSH 0.79).
"""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from pathlib import Path

import pyarrow as pa
import pytest

from conftest import query
from loglake.config import Settings
from loglake.ingest.pipeline import ingest
from loglake.ingest.templates import Miner

LOGHUB = Path(__file__).resolve().parents[2] / "shared" / "data" / "applogs" / "loghub"
if not LOGHUB.is_dir():
    LOGHUB = Path("/work/shared/data/applogs/loghub")

# dataset -> the line layout (named groups: source, message), as Loghub's benchmark gives it
LAYOUTS = {
    "HDFS": r"\d{6} \d{6} \d+ \w+ (?P<source>\S+): (?P<message>.*)",
    "Apache": r"\[[^\]]+\] \[\w+\] (?P<message>.*)",
    "OpenSSH": r"\w{3} +\d+ [\d:]{8} \S+ (?P<source>[^\[:]+)(\[\d+\])?: (?P<message>.*)",
}
THRESHOLDS = {"HDFS": 0.99, "Apache": 1.0, "OpenSSH": 0.79}


def grouping_accuracy(truth: Sequence[Hashable], mined: Sequence[Hashable]) -> float:
    """Drain's grouping accuracy: lines whose mined group is exactly their true group."""
    groups: dict[Hashable, list[int]] = defaultdict(list)
    for i, group in enumerate(mined):
        groups[group].append(i)
    sizes = Counter(truth)
    right = 0
    for lines in groups.values():
        events = {truth[i] for i in lines}
        if len(events) == 1 and sizes[events.pop()] == len(lines):
            right += len(lines)
    return right / len(truth)


def mined_ids(dataset: str, chunk: int = 500) -> tuple[list[str], list[str]]:
    """(true event id, mined template id) of every line, mined `chunk` lines per table."""
    folder = LOGHUB / dataset
    layout = re.compile(LAYOUTS[dataset])
    sources, messages = [], []
    for line in (folder / f"{dataset}_2k.log").read_text(encoding="utf-8").splitlines():
        match = layout.fullmatch(line)
        assert match, f"{dataset}: a line the layout does not read: {line!r}"
        sources.append(match.groupdict().get("source") or "")
        messages.append(match["message"])
    with (folder / f"{dataset}_2k.log_structured.csv").open(encoding="utf-8") as f:
        truth = [row["EventId"] for row in csv.DictReader(f)]
    assert len(truth) == len(messages)
    miner = Miner()
    ids: list[str] = []
    for start in range(0, len(messages), chunk):
        table = pa.table(
            {
                "component": sources[start : start + chunk],
                "message": messages[start : start + chunk],
                "template_id": pa.nulls(len(messages[start : start + chunk]), pa.string()),
            }
        )
        ids.extend(miner.assign(table).column("template_id").to_pylist())
    return truth, ids


@pytest.mark.skipif(not LOGHUB.is_dir(), reason=f"Loghub samples not found at {LOGHUB}")
@pytest.mark.parametrize("dataset", sorted(THRESHOLDS))
def test_grouping_accuracy_reaches_drains_published_figures(dataset: str) -> None:
    truth, ids = mined_ids(dataset)
    assert all(ids)
    accuracy = grouping_accuracy(truth, ids)
    print(f"{dataset}: grouping accuracy {accuracy:.4f}")
    assert accuracy >= THRESHOLDS[dataset]


@pytest.mark.skipif(not LOGHUB.is_dir(), reason=f"Loghub samples not found at {LOGHUB}")
def test_the_chunking_of_tables_does_not_change_the_groups() -> None:
    truth, one_table = mined_ids("OpenSSH", chunk=2000)
    _, small_tables = mined_ids("OpenSSH", chunk=7)
    assert grouping_accuracy(truth, one_table) == grouping_accuracy(truth, small_tables)
    assert grouping_accuracy(one_table, small_tables) == 1.0  # the same partition of lines


def test_grouping_accuracy_counts_only_exact_groups() -> None:
    truth = ["a", "a", "b", "b", "c"]
    assert grouping_accuracy(truth, [1, 1, 2, 2, 3]) == 1.0
    assert grouping_accuracy(truth, [1, 1, 2, 3, 4]) == pytest.approx(3 / 5)  # b split
    assert grouping_accuracy(truth, [1, 1, 1, 1, 2]) == pytest.approx(1 / 5)  # a+b merged


@pytest.mark.skipif(not LOGHUB.is_dir(), reason=f"Loghub samples not found at {LOGHUB}")
@pytest.mark.parametrize("dataset", sorted(THRESHOLDS))
@pytest.mark.parametrize("range_kb", [64 * 1024, 64])  # one task; several
def test_an_ingest_groups_the_loghub_lines_as_accurately(
    dataset: str, range_kb: int, tmp_path: Path
) -> None:
    """The same accuracy from a real ingest (the text format reads the headers), in one task
    or in byte ranges of 64 KB mined by two worker processes and merged at commit."""
    log = LOGHUB / dataset / f"{dataset}_2k.log"
    settings = Settings(root=tmp_path / "lake", workers=2, range_bytes=range_kb * 1024)
    report = ingest([str(log)], settings)
    assert report["rows"]["events"] == 2000
    files = (settings.root / "events").rglob("*.parquet")
    tasks = len({path.stem.rsplit("-", 1)[1] for path in files})  # part-<ingest>-<task>
    # OpenSSH's syslog dates have no year: its file is read in order by one task
    assert tasks == 1 if range_kb > 64 or dataset == "OpenSSH" else tasks > 1
    rows = query(settings.root, "events", "SELECT template_id FROM t ORDER BY file_offset")
    ids = [tid for (tid,) in rows]
    with (LOGHUB / dataset / f"{dataset}_2k.log_structured.csv").open(encoding="utf-8") as f:
        truth = [row["EventId"] for row in csv.DictReader(f)]
    accuracy = grouping_accuracy(truth, ids)
    print(f"{dataset}, {range_kb} KB ranges: grouping accuracy {accuracy:.4f}")
    assert accuracy >= THRESHOLDS[dataset]
