"""Rows round-trip through Parquet unchanged, whatever the values."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loglake.ingest.writer import PartitionedWriter
from loglake.schema import COLUMNS, Stream

_VALUES = {
    "str": st.none() | st.text(max_size=20),
    "i64": st.none() | st.integers(-(2**63), 2**63 - 1),
    "i32": st.none() | st.integers(-(2**31), 2**31 - 1),
    "f64": st.none() | st.floats(allow_nan=False, allow_infinity=False),
    "bool": st.none() | st.booleans(),
    "ts": st.integers(0, 4_000_000_000_000_000),
}


def rows_of(stream: Stream):
    cols = {c.name: _VALUES[c.kind] for c in COLUMNS[stream] if c.name not in ("host", "file_id")}
    return st.lists(st.fixed_dictionaries(cols), min_size=1, max_size=30)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(stream=st.sampled_from(list(Stream)), data=st.data())
def test_rows_round_trip(tmp_path: Path, stream: Stream, data) -> None:
    rows = data.draw(rows_of(stream))
    staging = tmp_path / data.draw(st.uuids()).hex
    writer = PartitionedWriter(staging, "p", {"host": "h:1", "file_id": "f"}, "zstd", 7)
    for row in rows:
        writer.add(stream, dict(row))
    written = writer.close()
    assert sum(f.rows for f in written) == len(rows)
    back = []
    for f in written:
        table = pq.read_table(staging / f.relpath)
        back.extend(table.to_pylist())
    times = [c.name for c in COLUMNS[stream] if c.kind == "ts"]  # `ts`, interactions' `last_ts`
    for row in back:
        assert row.pop("host") == "h:1"
        assert row.pop("file_id") == "f"
        for name in times:
            if row[name] is not None:
                row[name] = (row[name].timestamp() * 1_000_000).__round__()
    key = lambda r: repr(sorted(r.items()))  # noqa: E731
    expected = [dict(r) for r in rows]
    assert sorted(back, key=key) == sorted(expected, key=key)


def test_wrong_types_become_nulls_not_crashes(tmp_path: Path) -> None:
    writer = PartitionedWriter(tmp_path, "p", {}, "zstd", 10)
    writer.add(
        Stream.SLOW_QUERIES,
        {
            "ts": 0,
            "duration_ms": "slow",
            "docs_examined": 2**70,
            "namespace": "a.b",
            "client_port": 2**40,
        },
    )
    (f,) = writer.close()
    (row,) = pq.read_table(tmp_path / f.relpath).to_pylist()
    assert row["duration_ms"] is None and row["docs_examined"] is None
    assert row["client_port"] is None and row["namespace"] == "a.b"
