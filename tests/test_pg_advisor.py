"""The live PostgreSQL advisor on a real PostgreSQL 15 with pg_stat_statements and hypopg:
collect → streams in the lake, the rules find each seeded bottleneck (generate/pgdemo.py),
ranking, bottlenecks CLI/API, the log's values for EXPLAIN, snapshots accumulating."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import TEST_DATA, Runner, query
from loglake.advisor.pg_collect import collect
from loglake.config import Settings
from loglake.generate.pgdemo import TRUTH, WORKLOAD
from loglake.ingest.pipeline import ingest
from loglake.web import create_app
from pg_advisor_demo import Demo, demo_cluster, fingerprint
from pg_server import TEST_PASSWORD


@pytest.fixture(scope="module")
def demo() -> Iterator[Demo]:
    """A cluster of this module's own with the demo database and its workload run."""
    with demo_cluster() as demo:
        yield demo


@pytest.fixture(scope="module")
def collected(
    demo: Demo, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Settings, dict[str, Any]]:
    settings = Settings(root=tmp_path_factory.mktemp("pglake") / "lake", pg_dsn=demo.dsn)
    return settings, collect(settings, explain_top=20)


def _rows(settings: Settings, stream: str) -> list[dict[str, Any]]:
    from loglake.analytics.engine import Lake

    lake = Lake(settings.root, settings)
    try:
        with lake.snapshot() as cur:
            result = cur.execute(f"SELECT * FROM {stream}")
            names = [d[0] for d in result.description]
            return [dict(zip(names, r, strict=True)) for r in result.fetchall()]
    finally:
        lake.close()


def test_collect_stores_the_snapshot_as_streams(collected: tuple[Settings, dict[str, Any]]) -> None:
    settings, report = collected
    stmts = _rows(settings, "pg_statements")
    assert len(stmts) == report["statements"] >= len(WORKLOAD)
    assert {s["snapshot_id"] for s in stmts} == {report["snapshot_id"]}
    assert all(s["captured_at"] == s["ts"] for s in stmts)
    prints = {s["fingerprint"]: s for s in stmts}
    for name, text in WORKLOAD.items():
        row = prints[fingerprint(text)]
        assert row["explained"], name
        assert row["params_source"] in ("pg_stats", "generic"), name  # no log in this lake
        assert json.loads(row["plan"])["Plan"]["Total Cost"] == row["plan_cost"]
    # boilerplate (BEGIN/COMMIT/SET, DDL, ANALYZE) and the catalog queries are left out
    assert {s["op"] for s in stmts} <= {"SELECT", "INSERT", "UPDATE", "DELETE", "MERGE"}
    assert not [s for s in stmts if "pg_catalog" in s["query"] or "pg_stat" in s["query"]]
    tables = {t["table_name"]: t for t in _rows(settings, "pg_tables")}
    assert tables["public.orders"]["rows_estimate"] == pytest.approx(60_000, rel=0.05)
    indexes = {i["index_name"]: i for i in _rows(settings, "pg_indexes")}
    assert indexes["public.customers_email_region_idx"]["columns"] == "email,region"
    assert indexes["public.orders_pkey"]["is_primary"]
    stats = {(c["table_name"], c["column_name"]) for c in _rows(settings, "pg_column_stats")}
    assert ("public.orders", "customer_id") in stats and ("public.events", "kind") in stats
    assert len(_rows(settings, "pg_recommendations")) == report["recommendations"]


def test_the_ingest_report_lists_only_log_streams(tmp_path: Path) -> None:
    report = ingest([str(TEST_DATA / "mongod-4.4-auth.log")], Settings(root=tmp_path / "lake"))
    assert report["rows"]["events"] > 0
    assert not [k for k in report["rows"] if k.startswith("pg_")]


def _recs(settings: Settings) -> list[dict[str, Any]]:
    return _rows(settings, "pg_recommendations")


def _by_query(settings: Settings) -> dict[str, str]:
    """workload name -> its query_id."""
    prints = {s["fingerprint"]: s["query_id"] for s in _rows(settings, "pg_statements")}
    return {name: prints[fingerprint(text)] for name, text in WORKLOAD.items()}


def test_the_advisor_finds_every_seeded_bottleneck(
    collected: tuple[Settings, dict[str, Any]],
) -> None:
    settings, _ = collected
    recs = _recs(settings)
    ids = _by_query(settings)
    table, cols = TRUTH["missing_index"]
    missing = [
        r for r in recs if r["type"] == "missing_index" and r["query_id"] == ids["missing_index"]
    ]
    assert [r["target"] for r in missing] == [f"{table}({cols[0]})"]
    assert missing[0]["ddl"] == "CREATE INDEX CONCURRENTLY ON public.orders (customer_id);"
    assert missing[0]["improvement_pct"] > 30
    table, wanted = TRUTH["composite_index"]
    composite = [r for r in recs if r["type"] == "composite_index"
                 and r["query_id"] == ids["composite_index"]]  # fmt: skip
    assert composite, [r["target"] for r in recs if r["query_id"] == ids["composite_index"]]
    columns = json.loads(composite[0]["evidence"])["columns"]
    assert composite[0]["target"].startswith(table) and set(columns[:2]) == wanted
    redundant = [r["target"] for r in recs if r["type"] == "redundant_index"]
    assert TRUTH["redundant_index"] in redundant
    assert "public.customers_email_region_idx" not in redundant  # the longer one stays
    stats = [r for r in recs if r["type"] == "stats"]
    assert [r["target"] for r in stats] == [TRUTH["stats"]]
    assert stats[0]["ddl"] == "ANALYZE public.inventory;"
    rewrite = [r for r in recs if r["type"] == "rewrite"]
    assert [r["query_id"] for r in rewrite] == [ids["rewrite"]]
    assert rewrite[0]["target"].startswith(f"{TRUTH['rewrite']}.id")
    assert "GROUP BY customer_id" in rewrite[0]["ddl"]
    # one order of confidence across types
    conf = {r["type"]: r["confidence"] for r in recs}
    order = ["missing_index", "composite_index", "stats", "rewrite", "redundant_index"]
    assert [conf[t] for t in order] == sorted((conf[t] for t in order), reverse=True)


def test_recommendations_are_ranked_by_time_saved(
    collected: tuple[Settings, dict[str, Any]],
) -> None:
    settings, _ = collected
    stmts = {s["query_id"]: s for s in _rows(settings, "pg_statements")}
    for r in _recs(settings):
        if r["improvement_pct"]:
            s = stmts[r["query_id"]]
            assert r["saved_ms"] == pytest.approx(
                s["calls"] * s["mean_ms"] * r["improvement_pct"] / 100, rel=1e-3
            )
    answer = create_app(settings).test_client().get("/api/pg/bottlenecks?limit=50").get_json()
    saved = [r for r in answer["rows"] if r["rec_id"]]
    assert saved, answer
    assert answer["rows"] == sorted(answer["rows"], key=lambda r: -r["total_ms"])


def test_bottlenecks_on_the_cli_and_the_api(
    collected: tuple[Settings, dict[str, Any]], runner: Runner
) -> None:
    settings, _ = collected
    ids = _by_query(settings)
    done = runner.run("pg", "bottlenecks", "--data", str(settings.root), "--json")
    assert done.exit_code == 0, done.output
    cli_answer = json.loads(done.output)
    client = create_app(settings).test_client()
    api = client.get("/api/pg/bottlenecks?limit=20").get_json()
    assert api["rows"] == cli_answer["rows"]
    row = next(r for r in api["rows"] if r["query_id"] == ids["missing_index"])
    assert row["type"] == "missing_index" and row["ddl"].startswith("CREATE INDEX CONCURRENTLY")
    assert "Seq Scan on orders" in row["reason"] and row["had_seq_scan"] is True
    assert row["family"] == "orders_select_1col"
    assert {"query_id", "fingerprint", "query", "mean_ms", "calls", "total_ms", "reason",
            "rec_id", "ddl", "confidence", "risk", "recommendations"} <= set(row)  # fmt: skip
    assert any(f["target"] == TRUTH["redundant_index"] for f in api["index_findings"])
    detail = client.get(f"/api/pg/queries/{ids['missing_index']}").get_json()
    assert detail["statement"]["query_id"] == ids["missing_index"]
    assert detail["statement"]["plan_facts"]["seq_scans"][0]["relation"] == "orders"
    assert detail["recommendations"][0]["rec_id"] == row["rec_id"]
    assert len(detail["history"]) == 1 and detail["family"] == row["family"]
    missing = client.get("/api/pg/queries/no-such-statement")
    assert missing.status_code == 404 and missing.get_json()["ok"] is False
    text = runner.run("pg", "bottlenecks", "--data", str(settings.root))
    assert text.exit_code == 0 and "CREATE INDEX CONCURRENTLY" in text.output


def test_the_logs_values_plan_the_statements_and_snapshots_accumulate(
    demo: Demo, collected: tuple[Settings, dict[str, Any]]
) -> None:
    settings, first = collected
    demo.cluster.wait_for_log("FROM customers c WHERE c.region")
    ingest([str(demo.cluster.stderr_log)], settings.with_options(workers=1))
    second = collect(settings, explain_top=20)
    assert second["snapshot_id"] != first["snapshot_id"]
    stmts = [
        s for s in _rows(settings, "pg_statements") if s["snapshot_id"] == second["snapshot_id"]
    ]
    prints = {s["fingerprint"]: s for s in stmts}
    for name, text in WORKLOAD.items():
        row = prints[fingerprint(text)]
        assert row["params_source"] == "log", name
        assert row["log_examples"] >= 1
        assert row["explain_sql"].count("$1") == 1 and json.loads(row["params"])
    assert {s["snapshot_id"] for s in _rows(settings, "pg_statements")} == {
        first["snapshot_id"],
        second["snapshot_id"],
    }
    assert second["catalog_cached"] is True  # within the TTL: the catalog was not read again
    # the log's auto_explain plans (log_analyze) show the misestimate without --analyze
    skewed = prints[fingerprint(WORKLOAD["misestimate"])]
    assert json.loads(skewed["plan_facts"])["log_misestimate"] >= 5
    recs = [r for r in _recs(settings) if r["snapshot_id"] == second["snapshot_id"]
            and r["query_id"] == skewed["query_id"] and r["type"] == "stats"]  # fmt: skip
    assert [json.loads(r["evidence"])["from"] for r in recs] == ["the log's auto_explain plans"]
    history = (
        create_app(settings)
        .test_client()
        .get(f"/api/pg/queries/{_by_query(settings)['missing_index']}")
        .get_json()["history"]
    )
    assert len(history) == 2


def test_the_password_never_reaches_the_lake_or_the_output(
    collected: tuple[Settings, dict[str, Any]], runner: Runner, demo: Demo
) -> None:
    settings, report = collected
    assert TEST_PASSWORD not in json.dumps(report)
    secret = TEST_PASSWORD.encode()
    for path in settings.root.rglob("*"):
        if path.is_file():
            assert secret not in path.read_bytes(), path
    done = runner.run("pg", "collect", "--data", str(settings.root), "--dsn", demo.dsn,
                      "--explain-top", "3")  # fmt: skip
    assert done.exit_code == 0, done.output
    assert TEST_PASSWORD not in done.output and "snapshot" in done.output
    page = create_app(settings).test_client().get("/pg/bottlenecks").get_data(as_text=True)
    assert TEST_PASSWORD not in page and "CREATE INDEX CONCURRENTLY" in page
    assert TEST_PASSWORD not in repr(settings)
    assert query(settings.root, "pg_statements", "SELECT count(DISTINCT server) FROM t") == [(1,)]


def test_analyze_plans_show_a_cardinality_misestimate(demo: Demo, tmp_path: Path) -> None:
    """With --analyze the SELECTs run (rolled back): estimated vs actual rows give the skew."""
    settings = Settings(root=tmp_path / "lake", pg_dsn=demo.dsn)
    collect(settings, explain_top=20, analyze=True)
    stmts = {s["fingerprint"]: s for s in _rows(settings, "pg_statements")}
    row = stmts[fingerprint(WORKLOAD["misestimate"])]
    facts = json.loads(row["plan_facts"])
    assert facts["actual_rows"] is not None and facts["misestimate"] >= 5
    table, cols = TRUTH["misestimate"]
    recs = [r for r in _recs(settings) if r["query_id"] == row["query_id"] and r["type"] == "stats"]
    assert [r["target"] for r in recs] == [f"{table}(country, city)"]
    assert recs[0]["ddl"].startswith("CREATE STATISTICS") and f"FROM {table};" in recs[0]["ddl"]
    assert set(json.loads(recs[0]["evidence"])["columns"]) == cols
    # an UPDATE or INSERT is never run by --analyze: only SELECTs have actual rows
    for s in stmts.values():
        if s["op"] != "SELECT" and s["plan_facts"]:
            assert json.loads(s["plan_facts"])["actual_rows"] is None
