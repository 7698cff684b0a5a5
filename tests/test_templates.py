"""Message templates end to end: mined during a real ingest, kept in the lake, asked for.

The log is a seeded mongod JSON log whose messages come from known templates with variable
numbers, addresses, ids and paths (the truth of every line is known), split across worker
processes. Every event gets a template_id; one true template is one id, in parallel tasks,
across two lakes and across an append; `GET /api/templates` and `loglake templates` count
what an independent count of the generated lines says.
"""

from __future__ import annotations

import json
import random
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st

from conftest import Runner, query
from loglake.analytics.service import Analytics
from loglake.config import Settings
from loglake.ingest.pipeline import ingest
from loglake.ingest.templates import Miner, Template, merge_text, reconcile
from loglake.store.manifest import load_manifest
from loglake.store.templates import load_templates

START = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)

# (component, severity, message maker): the truth is the index in this table
TEMPLATES = (
    ("NETWORK", "I", lambda r: f"Connection accepted from {_ip(r)}:{r.randint(1024, 65535)}"),
    ("NETWORK", "I", lambda r: f"Connection ended after {r.randint(1, 9000)} ms, {_ip(r)}"),
    (
        "ACCESS",
        "W",
        lambda r: f"Authentication failed for session {uuid.UUID(int=r.getrandbits(128))}",
    ),
    (
        "STORAGE",
        "I",
        lambda r: f"Flushed {r.randint(1, 10**6)} bytes to /data/db/c-{r.randint(0, 99)}.wt",
    ),
    (
        "STORAGE",
        "E",
        lambda r: (
            f"Checksum mismatch at offset 0x{r.getrandbits(32):x} in block blk_{r.getrandbits(40)}"
        ),
    ),
    ("COMMAND", "I", lambda r: f"Job {r.getrandbits(64):016x} finished in {r.random():.3f} s"),
    ("COMMAND", "W", lambda r: "Slow client detected"),
    # a variable no mask covers, after Drain's prefix tokens: workers each create the template
    # from a different first user, and the commit reconciles them into one
    (
        "ACCESS",
        "I",
        lambda r: f"Successfully authenticated as principal {r.choice(USERS)} on admin",
    ),
)
USERS = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi")


def _ip(r: random.Random) -> str:
    return ".".join(str(r.randint(1, 254)) for _ in range(4))


def generated(path: Path, lines: int, seed: int, first: int = 0) -> list[int]:
    """Append `lines` mongod JSON lines to `path`; the true template of each, in order."""
    r = random.Random(seed)
    truth = []
    with path.open("a", encoding="utf-8") as f:
        for i in range(first, first + lines):
            kind = r.choices(range(len(TEMPLATES)), weights=(30, 30, 8, 15, 3, 12, 2, 6))[0]
            component, severity, make = TEMPLATES[kind]
            ts = (START + timedelta(seconds=i * 3)).isoformat(timespec="milliseconds")
            record = {
                "t": {"$date": ts.replace("+00:00", "Z")},
                "s": severity,
                "c": component,
                "id": 1000 + kind,
                "ctx": f"conn{r.randint(1, 50)}",
                "msg": make(r),
            }
            f.write(json.dumps(record) + "\n")
            truth.append(kind)
    return truth


@pytest.fixture(scope="module")
def generated_log(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[int]]:
    path = tmp_path_factory.mktemp("templates") / "mongod.log"
    return path, generated(path, 30_000, seed=5)


@pytest.fixture(scope="module")
def lake_logs(generated_log: tuple[Path, list[int]]) -> list[Path]:
    return [generated_log[0]]


@pytest.fixture(scope="module")
def lake(lake_logs: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The generated log ingested by two workers in many byte ranges."""
    settings = Settings(
        root=tmp_path_factory.mktemp("lake") / "lake", workers=2, range_bytes=512 * 1024
    )
    ingest([str(p) for p in lake_logs], settings)
    return settings


def ids_by_offset(root: Path) -> dict[int, str | None]:
    rows = query(root, "events", "SELECT file_offset, template_id FROM t")
    return dict(rows)  # type: ignore[arg-type]


def kept_templates(root: Path) -> dict[str, dict[str, str]]:
    return {r["template_id"]: r for r in load_templates(root, load_manifest(root))}


def truth_by_offset(path: Path, truth: list[int]) -> dict[int, int]:
    offsets, at = [], 0
    for line in path.read_bytes().splitlines(keepends=True):
        offsets.append(at)
        at += len(line)
    return dict(zip(offsets, truth, strict=True))


def test_every_event_has_a_template_and_each_true_template_is_one_id(
    lake: Settings, generated_log: tuple[Path, list[int]]
) -> None:
    path, truth = generated_log
    assert len(load_manifest(lake.root)["ingests"][-1]["files"]) == 1
    ids = ids_by_offset(lake.root)
    assert len(ids) == len(truth) and None not in ids.values()
    ids_of: dict[int, set[str | None]] = defaultdict(set)
    for offset, kind in truth_by_offset(path, truth).items():
        ids_of[kind].add(ids[offset])
    assert {kind: len(found) for kind, found in ids_of.items()} == dict.fromkeys(ids_of, 1)
    assert len({next(iter(found)) for found in ids_of.values()}) == len(TEMPLATES)
    kept = kept_templates(lake.root)
    assert set(ids.values()) <= set(kept)
    accepted = kept[next(iter(ids_of[0]))]
    assert (accepted["source"], accepted["template"]) == (
        "NETWORK",
        "Connection accepted from <IP>",
    )
    assert accepted["example"].startswith("Connection accepted from ")


def test_ids_are_the_same_in_another_lake_and_after_an_append(
    tmp_path: Path, generated_log: tuple[Path, list[int]], lake: Settings
) -> None:
    path, _truth = generated_log
    whole = ids_by_offset(lake.root)
    # another lake, one worker, the file in two parts: the first ingest, then an append
    grown = tmp_path / "mongod.log"
    lines = path.read_bytes().splitlines(keepends=True)
    grown.write_bytes(b"".join(lines[:12_000]))
    settings = Settings(root=tmp_path / "lake", workers=1)
    ingest([str(grown)], settings)
    first = ids_by_offset(settings.root)
    before = {
        r["template_id"]: r for r in load_templates(settings.root, load_manifest(settings.root))
    }
    with grown.open("ab") as f:
        f.write(b"".join(lines[12_000:]))
    report = ingest([str(grown)], settings)
    assert report["files"][0]["status"] == "appended"
    after = ids_by_offset(settings.root)
    assert {o: after[o] for o in first} == first  # the first ingest's events are untouched
    assert after == whole  # and every event has the id the parallel whole-file ingest gave
    kept = {
        r["template_id"]: r for r in load_templates(settings.root, load_manifest(settings.root))
    }
    assert set(before) <= set(kept)
    assert {tid: kept[tid]["template"] for tid in before} == {
        tid: r["template"] for tid, r in before.items()
    }


def test_api_and_cli_count_what_the_generated_lines_say(
    lake: Settings,
    client: FlaskClient,
    runner: Runner,
    generated_log: tuple[Path, list[int]],
) -> None:
    path, truth = generated_log
    ids = ids_by_offset(lake.root)
    by_offset = truth_by_offset(path, truth)
    kind_of = {ids[o]: kind for o, kind in by_offset.items()}
    answer = client.get("/api/templates?buckets=10").get_json()
    assert answer["total"] == len(truth)
    counts = Counter(truth)
    assert {kind_of[r["template_id"]]: r["count"] for r in answer["rows"]} == dict(counts)
    assert [r["count"] for r in answer["rows"]] == sorted(counts.values(), reverse=True)
    last_ts = _iso(START + timedelta(seconds=(len(truth) - 1) * 3))
    for row in answer["rows"]:
        kind = kind_of[row["template_id"]]
        mine = [i for i, k in enumerate(truth) if k == kind]
        assert row["share"] == pytest.approx(len(mine) / len(truth))
        assert row["levels"] == {_LEVEL[TEMPLATES[kind][1]]: len(mine)}
        assert row["source"] == TEMPLATES[kind][0]
        assert len(row["trend"]) == 10 and sum(row["trend"]) == row["count"]
        assert row["first_ts"] == _iso(START + timedelta(seconds=mine[0] * 3))
        assert row["last_ts"] == _iso(START + timedelta(seconds=mine[-1] * 3))
        assert by_offset[row["example_file_offset"]] == kind
    assert answer["trend_start"] == _iso(START)
    assert max(r["last_ts"] for r in answer["rows"]) == last_ts
    # the trend of one template, against the lines: 10 buckets over the whole range
    width = answer["bucket_seconds"]
    busiest = answer["rows"][0]
    kind = kind_of[busiest["template_id"]]
    per_bucket = Counter(int(i * 3 // width) for i, k in enumerate(truth) if k == kind)
    assert busiest["trend"] == [per_bucket.get(b, 0) for b in range(10)]
    # filters: a level, a component, text in the template
    warned = client.get("/api/templates?level=W").get_json()
    assert warned["total"] == counts[2] + counts[6]
    storage = client.get("/api/templates?component=STORAGE&q=checksum").get_json()
    assert [kind_of[r["template_id"]] for r in storage["rows"]] == [4]
    # the CLI asks the same question
    result = runner.run("templates", "--data", str(lake.root), "--buckets", "10", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == answer
    text = runner.run("templates", "--data", str(lake.root), "--limit", "3")
    assert text.exit_code == 0
    lines = text.stdout.splitlines()
    assert lines[0].split("\t")[:3] == ["template_id", "count", "share"]
    assert len(lines) == 4 and lines[1].split("\t")[1] == f"{max(counts.values()):,}"


_LEVEL = {"I": "INFO", "W": "WARN", "E": "ERROR"}


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def test_the_templates_page_links_each_template_to_its_events(
    client: FlaskClient, lake: Settings
) -> None:
    page = client.get("/templates").get_data(as_text=True)
    ids = set(ids_by_offset(lake.root).values())
    for tid in ids:
        assert f'href="/logs?template={tid}"' in page
    assert page.count("<polyline") == len(ids)


def table(sources: list[str], messages: list[str | None]) -> pa.Table:
    return pa.table(
        {
            "component": pa.array(sources, pa.string()),
            "message": pa.array(messages, pa.string()),
            "template_id": pa.nulls(len(messages), pa.string()),
        }
    )


def test_a_word_variable_is_generalized_and_keeps_its_id() -> None:
    miner = Miner()
    first = miner.assign(table(["app"], ["login from 10.0.0.1 failed for user alice"]))
    tid = first.column("template_id")[0].as_py()
    later = miner.assign(table(["app"] * 2, ["login from 10.0.0.2 failed for user bob", None]))
    assert later.column("template_id")[0].as_py() == tid
    assert later.column("template_id")[1].as_py() is not None  # a missing message too
    [empty, created] = sorted(miner.report(), key=lambda t: t.template)
    assert empty.template == ""
    assert created.template_id == tid
    assert created.template == "login from <IP> failed for user <*>"
    assert created.example == "login from 10.0.0.1 failed for user alice"
    # the same message in another source is another template
    other = miner.assign(table(["db"], ["login from 10.0.0.1 failed for user alice"]))
    assert other.column("template_id")[0].as_py() != tid


def test_a_messages_template_does_not_depend_on_what_its_task_met_first() -> None:
    # drain3 routes a token with digits (`local1.c`) to the `<*>` branch of its prefix tree;
    # a digit-free token (`local.c`) with no node yet must not fall into that branch, or the
    # template of `local.c` would depend on whether the task met `local.c` or `local1.c` first
    # (the MongoDB legacy logs: one task and many tasks gave one event two ids)
    digit = "command local1.c appName: shell command: insert ninserted:1 protocol:op_msg"
    plain = "command local.c appName: shell command: insert ninserted:1 protocol:op_msg"
    alone = Miner().assign(table(["COMMAND"], [plain])).column("template_id")[0].as_py()
    after = Miner().assign(table(["COMMAND"] * 2, [digit, plain])).column("template_id")
    before = Miner().assign(table(["COMMAND"] * 2, [plain, digit])).column("template_id")
    assert after[1].as_py() == before[0].as_py() == alone
    assert after[0].as_py() == before[1].as_py() != alone


def test_a_seeded_miner_gives_known_messages_their_lake_ids() -> None:
    miner = Miner()
    miner.assign(table(["app"], ["disk /dev/sda1 is 91% full"]))
    [known] = miner.report()
    seeded = Miner([(known.template_id, known.source, known.template)])
    again = seeded.assign(table(["app"], ["disk /dev/sdb2 is 97% full"]))
    assert again.column("template_id")[0].as_py() == known.template_id
    assert seeded.report() == []  # nothing new to commit


def test_reconcile_merges_what_two_workers_created_and_keeps_a_tasks_own_apart() -> None:
    lake = [Template("a1", "app", "job <NUM> done", "job 1 done", "i1")]
    first_task = [
        Template("a1", "app", "job <*> done", "", ""),  # generalized by this worker
        Template("b2", "app", "login from <IP> failed for user alice", "...alice", ""),
        Template("c3", "app", "cache miss", "cache miss", ""),
    ]
    second_task = [
        Template("d4", "app", "login from <IP> failed for user bob", "...bob", ""),
        Template("c3", "app", "cache miss", "cache miss", ""),  # the same text: the same id
        Template("e5", "db", "login from <IP> failed for user bob", "...bob", ""),  # other source
    ]
    third_task = [  # one task's two templates are kept apart, whatever their texts
        Template("f6", "app", "disk x is full now", "", ""),
        Template("g7", "app", "disk y is full now", "", ""),
    ]
    merged, aliases = reconcile(lake, [first_task, second_task, third_task], "i2")
    assert aliases == {"d4": "b2"}
    assert [(t.template_id, t.template, t.created) for t in merged] == [
        ("a1", "job <*> done", "i1"),
        ("b2", "login from <IP> failed for user <*>", "i2"),
        ("c3", "cache miss", "i2"),
        ("f6", "disk x is full now", "i2"),
        ("g7", "disk y is full now", "i2"),
        ("e5", "login from <IP> failed for user bob", "i2"),
    ]
    assert merge_text("a b c", "a x c") == "a <*> c"
    assert merge_text("a b", "a b c") == "a b"


def test_analytics_answers_with_no_templates_yet(tmp_path: Path) -> None:
    answer = Analytics(Settings(root=tmp_path / "none")).ask("templates", {})
    assert (answer["rows"], answer["total"]) == ([], 0)


@examples(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["", "app", "a\x1fb", "dé"]), st.none() | st.text(max_size=80)),
        min_size=1,
        max_size=40,
    )
)
def test_any_messages_get_ids_and_the_same_message_the_same_id(
    rows: list[tuple[str, str | None]],
) -> None:
    miner = Miner()
    half = len(rows) // 2
    ids = []
    for part in (rows[:half], rows[half:]):
        if part:
            got = miner.assign(table([s for s, _ in part], [m for _, m in part]))
            ids.extend(got.column("template_id").to_pylist())
    assert len(ids) == len(rows) and all(isinstance(tid, str) and len(tid) == 16 for tid in ids)
    first: dict[tuple[str, str], str] = {}
    for (source, message), tid in zip(rows, ids, strict=True):
        assert first.setdefault((source, message or ""), tid) == tid
    reported = {t.template_id for t in miner.report()}
    assert set(ids) <= reported


def test_a_lake_written_before_templates_answers_with_one_unmined_group(tmp_path: Path) -> None:
    import shutil

    from conftest import TEST_DATA

    root = tmp_path / "old"
    shutil.copytree(TEST_DATA / "lakes" / "loglake-0.1.0", root)
    events = query(root, "events", "SELECT count(*) FROM t")[0][0]
    answer = Analytics(Settings(root=root)).ask("templates", {"buckets": "6"})
    [row] = answer["rows"]
    assert (row["template_id"], row["template"], row["count"]) == (None, None, events)
    assert sum(row["levels"].values()) == sum(row["trend"]) == events
