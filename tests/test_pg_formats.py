"""PostgreSQL logs into the lake: the rows of every stream, per docs/internals.md
"PostgreSQL rows", from one real server's stderr, csvlog and jsonlog of the same workload
(tests/data/postgres/pg15-live.*, written by build.sh), plus crafted entries for the forms
that server did not write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import SHARED_DATA, TEST_DATA, IngestFn, query
from loglake.formats.base import BadLine, FileContext, Parsed
from loglake.formats.postgres import stderr
from loglake.formats.postgres.fingerprint import statement_of
from loglake.formats.registry import format_spec, sniff_format
from loglake.schema import Stream
from loglake.store.raw import RawReader

LIVE = TEST_DATA / "postgres"
FORMS = {"log": "postgres-stderr", "csv": "postgres-csvlog", "json": "postgres-jsonlog"}


@pytest.fixture(params=sorted(FORMS))
def live(request: pytest.FixtureRequest, run_ingest: IngestFn, settings) -> tuple[str, Path]:
    """The live log in one of its three forms, ingested (format sniffed)."""
    path = LIVE / f"pg15-live.{request.param}"
    report = run_ingest(path)
    (entry,) = report["files"]
    assert entry["format"] == FORMS[request.param]
    assert entry["bad_lines"] == 0
    return request.param, settings.root


def kinds(root: Path) -> dict[str, int]:
    rows = query(
        root, "events", "SELECT json_extract_string(attrs, '$.kind'), count(*) FROM t GROUP BY 1"
    )
    return dict(rows)


def test_every_form_gives_the_same_records(live) -> None:
    _form, root = live
    # the workload's truth (tests/data/postgres/build.sh and workload.sql)
    assert kinds(root) == {
        "statement": 40, "connection_received": 9, "connection_authenticated": 6,
        "connection_authorized": 8, "disconnection": 8, "auth_failed": 1, "error": 1,
        "cancel": 1, "deadlock": 1, "lock_wait": 1, "lock_acquired": 1, "temp_file": 1,
        "checkpoint_starting": 2, "checkpoint_complete": 2, "autovacuum": 3,
        "autoanalyze": 12, "other": 11,
    }  # fmt: skip
    ((count, total),) = query(
        root, "slow_queries", "SELECT count(*), round(sum(duration_ms), 3) FROM t"
    )
    assert (count, total) == (40, 8876.138)  # as pgBadger 12.0 counts this file
    assert query(root, "slow_queries", "SELECT list(DISTINCT engine) FROM t") == [(["postgres"],)]


def test_statements_are_normalized_and_fingerprinted(live) -> None:
    _form, root = live
    rows = query(
        root,
        "slow_queries",
        "SELECT shape, shape_hash, count(*), list(DISTINCT op), list(DISTINCT collection),"
        " list(DISTINCT namespace) FROM t WHERE op_type = 'statement' AND shape LIKE"
        " 'SELECT name FROM items WHERE id%' GROUP BY 1, 2",
    )
    # id = 42 and id = 7: one shape, one fingerprint, the main table and its namespace
    fingerprint = statement_of("select name from items where id = 1").shape_hash
    shape = "SELECT name FROM items WHERE id = $1"
    assert rows == [(shape, fingerprint, 2, ["SELECT"], ["items"], ["shop.items"])]
    multi = query(
        root,
        "slow_queries",
        "SELECT statement FROM t WHERE shape LIKE 'SELECT i.name%' AND op_type = 'statement'",
    )
    assert multi == [
        (
            "SELECT i.name,\n       i.qty\n  FROM items i\n WHERE i.qty > 5\n ORDER BY"
            " i.name\n LIMIT 3;",
        )
    ]


def test_plans_give_plan_facts(live) -> None:
    _form, root = live
    rows = query(
        root,
        "slow_queries",
        "SELECT plan, full_scan, used_disk, has_sort_stage, nreturned, plan_facts FROM t"
        " WHERE op_type = 'plan' AND shape LIKE 'SELECT id FROM items ORDER BY%'",
    )
    ((plan, full_scan, used_disk, sort, nreturned, facts),) = rows
    assert (plan, full_scan, used_disk, sort, nreturned) == ("Seq Scan", True, True, True, 1)
    facts = json.loads(facts)
    assert facts["sort_spill"] is True and "Sort" in facts["nodes"] and "Limit" in facts["nodes"]
    assert facts["scans"][0]["relation"] in ("items", "public.items")
    index = query(
        root,
        "slow_queries",
        "SELECT DISTINCT plan, full_scan FROM t WHERE op_type = 'plan' AND shape = 'SELECT"
        " name FROM items WHERE id = $1'",
    )
    assert index == [("Index Scan", False)]


def test_connections_and_authentications(live) -> None:
    _form, root = live
    auth = query(
        root,
        "authentications",
        "SELECT result, mechanism, user, auth_db, count(*) FROM t GROUP BY ALL ORDER BY ALL",
    )
    assert auth == [
        ("failure", None, "app", "shop", 1),
        ("success", "scram-sha-256", "app", "shop", 6),
        (
            "success",
            None,
            "postgres",
            "postgres",
            2,
        ),  # over the unix socket: trust, no method logged
    ]
    ended = query(
        root,
        "connections",
        "SELECT count(*), round(max(session_ms)), list(DISTINCT db ORDER BY db) FROM t WHERE"
        " event = 'ended'",
    )
    assert ended == [(8, 3029.0, ["postgres", "shop"])]
    accepted = query(
        root, "connections", "SELECT count(*), count(client_port) FROM t WHERE event = 'accepted'"
    )
    assert accepted == [(9, 7)]  # two came over the unix socket ([local]: no port)


def test_events_carry_severity_sqlstate_and_parsed_fields(live) -> None:
    form, root = live
    rows = query(
        root,
        "events",
        "SELECT severity, level, code, attrs FROM t WHERE json_extract_string(attrs,"
        " '$.kind') IN ('cancel', 'deadlock', 'lock_wait', 'temp_file',"
        " 'checkpoint_complete', 'error') ORDER BY ts",
    )
    by_kind = {json.loads(a)["kind"]: (s, lv, c, json.loads(a)) for s, lv, c, a in rows}
    severity, level, code, attrs = by_kind["cancel"]
    assert (severity, level, attrs["reason"], attrs["statement"]) == (
        "ERROR",
        "ERROR",
        "statement_timeout",
        "SELECT pg_sleep(1);",
    )
    if form != "log":  # the stderr prefix has no %e: the SQLSTATE is in csvlog and jsonlog only
        assert (
            code == "57014" and by_kind["deadlock"][2] == "40P01" and by_kind["error"][2] == "42P01"
        )
    wait = by_kind["lock_wait"][3]
    assert (wait["mode"], wait["target"], wait["wait_ms"], len(wait["holders"])) == (
        "ShareLock",
        "transaction 728",
        101.725,
        1,
    )
    assert by_kind["temp_file"][3]["size_bytes"] == 32768
    assert by_kind["temp_file"][3]["statement"].startswith("SELECT id FROM items ORDER BY")
    checkpoint = by_kind["checkpoint_complete"][3]
    assert checkpoint["buffers"] in (979, 0) and checkpoint["total_s"] >= 0
    vacuum = query(
        root,
        "events",
        "SELECT attrs FROM t WHERE json_extract_string(attrs, '$.kind') = 'autovacuum' ORDER"
        " BY ts LIMIT 1",
    )
    table = json.loads(vacuum[0][0])
    assert table["table"] == "template1.pg_catalog.pg_class" and table["index_scans"] == 0


def read_record(root: Path, file_id: str, offset: int, length: int) -> bytes:
    reader = RawReader(root)
    try:
        return reader.read_line(file_id, offset, length)
    finally:
        reader.close()


def test_the_whole_entry_reads_back(live, settings) -> None:
    form, root = live
    if form == "json":
        pytest.skip("one JSON line per entry: nothing to join")
    ((file_id, offset, length),) = query(
        root,
        "slow_queries",
        "SELECT file_id, file_offset, line_length FROM t WHERE op_type = 'plan' AND shape"
        " LIKE 'SELECT i.name%'",
    )
    raw = read_record(settings.root, file_id, offset, length).decode()
    assert "Query Text: SELECT i.name," in raw and "Seq Scan on" in raw and raw.count("\n") > 5
    ((file_id, offset, length),) = query(
        root,
        "events",
        "SELECT file_id, file_offset, line_length FROM t WHERE json_extract_string(attrs,"
        " '$.kind') = 'deadlock'",
    )
    raw = read_record(settings.root, file_id, offset, length).decode()
    if form == "log":  # the ERROR line and its DETAIL (3 more lines), HINT, CONTEXT, STATEMENT
        lines = raw.split("\n")
        assert len(lines) == 8 and "ERROR:  deadlock detected" in lines[0]
        assert [ln.split("@shop ")[1][:6] for ln in lines if not ln.startswith("\t")] == [
            "ERROR:",
            "DETAIL",
            "HINT: ",
            "CONTEX",
            "STATEM",
        ]


def parse_lines(text: str, prefix: str | None = None) -> list[Parsed | BadLine]:
    """Frame and parse a crafted stderr text the way the ingest does."""
    import io

    from loglake.sources.framing import Framing, records_in_range

    parse = stderr.make_parser(FileContext("f", "f", 2024, prefix))
    data = text.encode()
    records = records_in_range(
        io.BytesIO(data), 0, None, 1 << 20, Framing.CONTINUATION, stderr.record_start
    )
    return [parse(rec) for _off, rec, _n in records if rec is not None]


def slow(parsed: list[Parsed | BadLine]) -> list[dict]:
    return [
        row
        for p in parsed
        if isinstance(p, Parsed)
        for s, row in p.rows
        if s is Stream.SLOW_QUERIES
    ]


PGBADGER = "2024-03-01 10:00:00 UTC [4913]: [7-1] user=app,db=shop,app=my app,client=10.0.0.5 "


def test_execute_with_parameters_and_multiline_values() -> None:
    text = (
        f"{PGBADGER}LOG:  duration: 0.215 ms  execute S_1: SELECT * FROM t WHERE a = $1 AND b"
        f" = $2\n"
        f"{PGBADGER}DETAIL:  parameters: $1 = '1234', $2 = 'two\n\tlines'\n"
        f"{PGBADGER}LOG:  duration: 0.5 ms  bind <unnamed>: SELECT 1\n"
        f"{PGBADGER}LOG:  duration: 0.25 ms  parse <unnamed>: SELECT 1\n"
    )
    rows = slow(parse_lines(text))
    assert [(r["op_type"], r["duration_ms"]) for r in rows] == [
        ("execute", 0.215),
        ("bind", 0.5),
        ("parse", 0.25),
    ]
    first = rows[0]
    assert first["params"] == "$1 = '1234', $2 = 'two\nlines'"
    assert (
        first["user"],
        first["db"],
        first["app_name"],
        first["client_ip"],
        first["connection_id"],
    ) == ("app", "shop", "my app", "10.0.0.5", 4913)
    assert first["shape"] == "SELECT * FROM t WHERE a = $1 AND b = $2"


def test_log_statement_and_log_duration_pairs_count_once() -> None:
    text = (
        "2024-03-01 10:00:00.100 UTC [11] LOG:  statement: UPDATE t SET a = 1 WHERE id = 2\n"
        "2024-03-01 10:00:00.150 UTC [12] LOG:  statement: SELECT 2\n"
        "2024-03-01 10:00:00.200 UTC [11] LOG:  duration: 12.500 ms\n"
        "2024-03-01 10:00:00.300 UTC [12] LOG:  duration: 1.000 ms\n"
    )
    rows = slow(parse_lines(text))
    # pgBadger counts four queries here (two statements, two durations); there were two
    assert [(r["op"], r["collection"], r["duration_ms"], r["connection_id"]) for r in rows] == [
        ("UPDATE", "t", 12.5, 11), ("SELECT", None, 1.0, 12),
    ]  # fmt: skip


def test_the_rds_azure_and_syslog_forms() -> None:
    lines = {
        "rds": (
            "2024-03-01 10:00:00 UTC:10.1.2.3(5432):app@shop:[777]:LOG:  duration: 1.5 ms"
            "  statement: SELECT 1"
        ),
        "azure": "2024-03-01 10:00:00 UTC-65e1a7c0.309-LOG:  duration: 1.5 ms  statement: SELECT 1",
        "syslog": (
            "Mar  1 10:00:00 db1 postgres[777]: [5-1] user=app,db=shop LOG:  duration:"
            " 1.5 ms  statement: SELECT 1"
        ),
        "rfc5424": (
            "<134>1 2024-03-01T10:00:00.000000+00:00 db1 postgres 777 - - [5-1]"
            " user=app,db=shop LOG:  duration: 1.5 ms  statement: SELECT 1"
        ),
        "heroku": (
            "2024-03-01T10:00:00+00:00 app[postgres.777]: [DATABASE] [5-1]"
            " sql_error_code = 00000 LOG:  duration: 1.5 ms  statement: SELECT 1"
        ),
    }
    for name, line in lines.items():
        (row,) = slow(parse_lines(line + "\n"))
        assert (row["duration_ms"], row["shape"], row["ts"]) == (
            1.5,
            "SELECT $1",
            1709287200000000,
        ), name
    (rds,) = slow(parse_lines(lines["rds"]))
    assert (rds["client_ip"], rds["client_port"], rds["user"], rds["db"], rds["connection_id"]) == (
        "10.1.2.3",
        5432,
        "app",
        "shop",
        777,
    )
    (azure,) = slow(parse_lines(lines["azure"]))
    assert azure["session_id"] == "65e1a7c0.309"


def test_heroku_key_value_form() -> None:
    line = (
        "2019-03-12T20:51:07.000000+00:00 app[postgres.1234]: [DATABASE] [10-1] "
        'sql_error_code = 00000 time_ms = "2019-03-12 20:51:07.002 UTC" pid="4567" '
        'proc_start_time="2019-03-12 20:40:09 UTC" session_id="5c881be9.11d7" vtid="4/12" '
        'tid="0" log_line="3" database="d8" connection_source="1.2.3.4(5555)" user="u1" '
        'application_name="web" LOG:  duration: 1.250 ms  statement: SELECT * FROM items\n'
    )
    (row,) = slow(parse_lines(line))
    got = (row["connection_id"], row["db"], row["user"], row["app_name"], row["client_ip"])
    assert got == (4567, "d8", "u1", "web", "1.2.3.4")
    assert (row["client_port"], row["session_id"], row["sqlstate"]) == (5555, "5c881be9.11d7", None)


def test_syslog_continuation_chunks_join_their_entry() -> None:
    text = (
        "Mar  1 10:00:00 db1 postgres[777]: [5-1] LOG:  duration: 2.0 ms  statement: SELECT a,\n"
        "Mar  1 10:00:00 db1 postgres[777]: [5-2] #011b FROM t\n"
        "Mar  1 10:00:01 db1 postgres[777]: [6-1] LOG:  checkpoint starting: time\n"
    )
    parsed = parse_lines(text)
    assert len(parsed) == 2
    (row,) = slow(parsed)
    assert row["statement"] == "SELECT a,\nb FROM t" and row["collection"] == "t"


def test_query_ids_from_the_prefix() -> None:
    line = (
        "2022-02-17 14:45:13.727 UTC [691] [queryid=4266247047529477710] postgres@so "
        "LOG:  duration: 25.450 ms  statement: SELECT 1\n"
    )
    (row,) = slow(parse_lines(line))
    assert row["query_hash"] == "4266247047529477710" and row["db"] == "so"


def test_fingerprints_ignore_parameters_and_keep_tables() -> None:
    a = statement_of("SELECT * FROM public.orders o JOIN items i ON i.id = o.item WHERE o.id = 5")
    b = statement_of("select * from public.orders o join items i on i.id = o.item where o.id = $1")
    assert a.shape_hash == b.shape_hash and a.collection == "public.orders"
    assert a.tables == ("items", "public.orders")
    cte = statement_of(
        "WITH w AS (SELECT id FROM t1) DELETE FROM test USING w WHERE test.id = w.id"
    )
    assert (cte.op, cte.collection, cte.tables) == ("DELETE", "test", ("t1", "test"))
    broken = statement_of("SELECT * FROM t WHERE a = 'cut off")
    assert broken.op == "SELECT" and broken.shape_hash
    assert statement_of("SELECT * FROM pg_catalog.pg_class").is_system


def test_postgres_family_and_sniffing() -> None:
    head = (LIVE / "pg15-live.csv").read_bytes().split(b"\n")[:50]
    assert format_spec("postgres", head).name == "postgres-csvlog"
    assert sniff_format(head, "x").name == "postgres-csvlog"
    head = (LIVE / "pg15-live.log").read_bytes().split(b"\n")[:50]
    assert sniff_format(head, "x").name == "postgres-stderr"
    head = (LIVE / "pg15-live.json").read_bytes().split(b"\n")[:50]
    assert sniff_format(head, "x").name == "postgres-jsonlog"


AUTO_EXPLAIN_JSON = {  # pganalyze/collector's plans: (plan, full_scan, has_sort_stage, joins)
    "json_simple.in.json": ("Index Scan", False, False, []),
    "json_incremental_sort.in.json": ("Seq Scan", True, True, []),
    "json_memoize.in.json": ("Seq Scan", True, False, ["Nested Loop (Inner)"]),
    "json_parallel_plan.in.json": ("Bitmap Heap Scan", False, True, ["Hash Join (Inner)"]),
    "json_with.in.json": ("Seq Scan", True, True, ["Merge Join (Inner)"]),
    "json_insert_conflict.in.json": (None, False, False, []),
    "json_queryid.in.json": ("Seq Scan", True, False, []),
}


@pytest.mark.parametrize("name", sorted(AUTO_EXPLAIN_JSON))
def test_auto_explain_json_plans(name: str) -> None:
    path = SHARED_DATA / "postgres" / "auto_explain_json" / name
    if not path.exists():
        pytest.skip(f"{path} not present")
    body = "\n".join("\t" + line for line in path.read_text().strip().split("\n"))
    text = f"2024-03-01 10:00:00.000 UTC [9] app@shop LOG:  duration: 12.5 ms  plan:\n{body}\n"
    (row,) = slow(parse_lines(text))
    facts = json.loads(row["plan_facts"])
    got = (row["plan"], row["full_scan"], row["has_sort_stage"], facts["joins"])
    assert got == AUTO_EXPLAIN_JSON[name]
    assert row["op_type"] == "plan" and row["shape_hash"] and facts["format"] == "json"
    assert row["nreturned"] == int(facts["actual_rows"])


def test_auto_explain_text_plans_of_a_log_statement_log(run_ingest: IngestFn, settings) -> None:
    path = SHARED_DATA / "postgres" / "pgweasel" / "debian_default3_pgbench.log.gz"
    if not path.exists():
        pytest.skip(f"{path} not present")
    run_ingest(path)
    rows = query(
        settings.root,
        "slow_queries",
        "SELECT count(*), count(plan_facts), count(*) FILTER (full_scan),"
        " count(*) FILTER (plan = 'Index Scan') FROM t",
    )
    # 107 auto_explain text plans, each joined to the statement its pid logged before it,
    # and one log_statement + log_duration pair without a plan; the plans with a Seq Scan
    # on a table, counted here from the text independently of loglake's framing
    import gzip
    import re

    entries = re.split(r"\n(?=\d{4}-)", gzip.decompress(path.read_bytes()).decode())
    plans = [e for e in entries if "  plan:" in e.split("\n", 1)[0]]
    seq = sum("Seq Scan on " in e for e in plans)
    assert (len(plans), seq) == (107, 27)
    assert rows == [(108, 107, seq, 61)]


def test_cloud_sql_json_export_reads_the_text_payload(tmp_path: Path, run_ingest, settings) -> None:
    entry = {
        "textPayload": "2024-03-01 10:00:00.000 UTC [321]: [4-1] db=shop,user=app LOG:  "
        "duration: 3.250 ms  statement: SELECT * FROM orders WHERE id = 9",
        "insertId": "s=abc;i=1",
        "resource": {"type": "cloudsql_database", "labels": {"database_id": "p:db"}},
        "timestamp": "2024-03-01T10:00:00.000123Z",
        "severity": "INFO",
        "logName": "projects/p/logs/cloudsql.googleapis.com%2Fpostgres.log",
    }
    log = tmp_path / "cloudsql.json"
    log.write_text(json.dumps(entry) + "\n" + json.dumps(entry | {"insertId": "2"}) + "\n")
    report = run_ingest(log)
    assert report["files"][0]["format"] == "postgres-jsonlog"
    rows = query(
        settings.root,
        "slow_queries",
        "SELECT db, user, connection_id, duration_ms, collection FROM t",
    )
    assert rows == [("shop", "app", 321, 3.25, "orders")] * 2


def events_attrs(text: str) -> list[dict]:
    return [json.loads(p.event["attrs"]) for p in parse_lines(text) if isinstance(p, Parsed)]


def test_older_server_message_forms() -> None:
    prefix = "2016-05-01 10:00:00 UTC [55]: [1-1] user=,db=,app=,client= LOG:  "
    text = (
        f"{prefix}restartpoint complete: wrote 12 buffers (0.1%); 0 transaction log file(s) "
        "added, 0 removed, 1 recycled; write=1.201 s, sync=0.003 s, total=1.210 s; sync "
        "files=3, longest=0.002 s, average=0.001 s; distance=160 kB, estimate=200 kB\n"
        f'{prefix}automatic vacuum of table "shop.public.orders": index scans: 1\n'
        "\tpages: 0 removed, 45 remain\n"
        "\ttuples: 10 removed, 900 remain, 0 are dead but not yet removable\n"
        "\tbuffer usage: 120 hits, 0 misses, 2 dirtied\n"
        "\tsystem usage: CPU 0.00s/0.01u sec elapsed 0.05 sec\n"
        f"{prefix}process 77 still waiting for ExclusiveLock on relation 16384 of database "
        "16385 after 1000.050 ms\n"
        "2016-05-01 10:00:00 UTC [55]: [2-1] user=,db=,app=,client= DETAIL:  Processes "
        "holding the lock: 12, 13. Wait queue: 77.\n"
    )
    restart, vacuum, wait = events_attrs(text)
    assert restart["kind"] == "restartpoint_complete"
    assert (restart["buffers"], restart["total_s"], restart["wal_recycled"]) == (12, 1.21, 1)
    assert (restart["distance_kb"], restart["estimate_kb"]) == (160, 200)
    expected = {"kind": "autovacuum", "table": "shop.public.orders", "index_scans": 1,
                "pages_removed": 0, "tuples_removed": 10, "tuples_remain": 900,
                "elapsed_s": 0.05}  # fmt: skip
    assert {key: vacuum.get(key) for key in expected} == expected
    assert (wait["kind"], wait["mode"], wait["holders"], wait["wait_ms"]) == (
        "lock_wait", "ExclusiveLock", [12, 13], 1000.05
    )  # fmt: skip
    assert wait["target"] == "relation 16384 of database 16385"


def test_authentication_failures() -> None:
    prefix = "2024-03-01 10:00:00.000 UTC [9] "
    text = (
        f'{prefix}FATAL:  no pg_hba.conf entry for host "10.9.8.7", user "bob", database '
        '"shop", no encryption\n'
        f'{prefix}FATAL:  role "ghost" does not exist\n'
        f'{prefix}FATAL:  password authentication failed for user "ann"\n'
    )
    parsed = [p for p in parse_lines(text) if isinstance(p, Parsed)]
    auth = [row for p in parsed for s, row in p.rows if s is Stream.AUTHENTICATIONS]
    got = [(r["result"], r["user"], r["auth_db"], r["client_ip"]) for r in auth]
    assert got == [
        ("failure", "bob", "shop", "10.9.8.7"),
        ("failure", "ghost", None, None),
        ("failure", "ann", None, None),
    ]
    reasons = [json.loads(p.event["attrs"])["reason"] for p in parsed]
    assert reasons == ["no_hba", "other", "password"]
