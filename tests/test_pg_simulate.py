"""Simulating the live advisor's recommendations on a real PostgreSQL 15 with hypopg, and its
safety: hypothetical indexes always removed (parallel runs, a failing block, a process
killed mid-way), the database unchanged, real mode only in a sandbox, limits, clear errors;
then chat answers citing facts, and anomalies between snapshots."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO, Runner
from loglake.advisor.pg_collect import collect
from loglake.advisor.pg_connect import PgError
from loglake.advisor.pg_explain import hypothetical, hypothetical_count
from loglake.advisor.pg_simulate import BusyError, Limiter, simulate
from loglake.config import Settings
from loglake.errors import InputError
from loglake.generate.pgdemo import TRUTH, WORKLOAD
from loglake.web import create_app
from pg_advisor_demo import DEMO_DB, Demo, demo_cluster, fingerprint
from pg_server import TEST_PASSWORD


@pytest.fixture(scope="module")
def demo() -> Iterator[Demo]:
    with demo_cluster() as demo:
        yield demo


@pytest.fixture(scope="module")
def lake(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = Settings(root=tmp_path_factory.mktemp("simlake") / "lake", pg_dsn=demo.dsn)
    collect(settings, explain_top=20)
    return settings


def _bottlenecks(settings: Settings) -> dict[str, Any]:
    return create_app(settings).test_client().get("/api/pg/bottlenecks?limit=50").get_json()


def _ids(settings: Settings) -> dict[str, str]:
    rows = {r["fingerprint"]: r["query_id"] for r in _bottlenecks(settings)["rows"]}
    return {name: rows[fingerprint(text)] for name, text in WORKLOAD.items()}


def _recs(settings: Settings, query_id: str) -> list[dict[str, Any]]:
    client = create_app(settings).test_client()
    return list(client.get(f"/api/pg/queries/{query_id}").get_json()["recommendations"])


def _indexes(demo: Demo) -> set[str]:
    with demo.cluster.connect(DEMO_DB) as conn:
        return {r[0] for r in conn.execute("SELECT indexdef FROM pg_indexes").fetchall()}


def _schemas(demo: Demo) -> set[str]:
    with demo.cluster.connect(DEMO_DB) as conn:
        return {r[0] for r in conn.execute("SELECT nspname FROM pg_namespace").fetchall()}


def test_a_missing_index_simulation_shows_the_cut_and_the_plan_change(lake: Settings) -> None:
    qid = _ids(lake)["missing_index"]
    rec = next(r for r in _recs(lake, qid) if r["type"] == "missing_index")
    sim = simulate(lake, qid, rec["rec_id"])
    assert sim["improvement_pct"] > 30 and sim["after_cost"] < sim["before_cost"]
    assert sim["improvement_pct"] == pytest.approx(rec["improvement_pct"], abs=1.0)
    assert any(
        c.startswith("Seq Scan → ") and c.endswith(" on orders") for c in sim["plan_changes"]
    )
    assert sim["before_plan"]["Plan"] and sim["after_plan"]["Plan"]
    assert "Seq Scan on orders" in sim["before_nodes"]
    assert any(
        n.startswith(("Index Scan using", "Bitmap Index Scan using")) for n in sim["after_nodes"]
    )


def test_most_top_recommendations_show_a_large_simulated_cut(lake: Settings) -> None:
    answer = _bottlenecks(lake)
    top = [r for r in answer["rows"] if r["type"] in ("missing_index", "composite_index")][:10]
    assert len(top) >= 4
    cuts = [simulate(lake, r["query_id"], r["rec_id"])["improvement_pct"] for r in top]
    assert sum(c > 30 for c in cuts) >= 0.8 * len(cuts), cuts


def test_dropping_a_redundant_index_keeps_the_plan_cost(lake: Settings, demo: Demo) -> None:
    before = _indexes(demo), _schemas(demo)
    qid = _ids(lake)["email"]
    rec = next(r for r in _recs(lake, qid) if r["type"] == "redundant_index")
    assert rec["target"] == TRUTH["redundant_index"]
    sim = simulate(lake, qid, rec["rec_id"], mode="real")
    assert sim["after_cost"] <= sim["before_cost"] * 1.1  # the longer index answers as well
    assert sim["after_ms"] is not None
    with demo.cluster.connect(DEMO_DB) as conn:
        can_hide = conn.execute(
            "SELECT 1 FROM pg_proc WHERE proname = 'hypopg_hide_index'"
        ).fetchone()
    if can_hide:  # hypopg 1.4+: the index hidden instead
        assert simulate(lake, qid, rec["rec_id"])["after_cost"] <= sim["before_cost"] * 1.1
    else:
        with pytest.raises(InputError, match=r"hypopg 1.4 or later.*--mode real"):
            simulate(lake, qid, rec["rec_id"])
    assert (_indexes(demo), _schemas(demo)) == before


def test_real_mode_builds_the_index_on_sandbox_copies_only(lake: Settings, demo: Demo) -> None:
    before = _indexes(demo), _schemas(demo)
    qid = _ids(lake)["missing_index"]
    rec = next(r for r in _recs(lake, qid) if r["type"] == "missing_index")
    sim = simulate(lake, qid, rec["rec_id"], mode="real")
    assert sim["before_ms"] > 0 and sim["after_ms"] > 0 and sim["after_cost"] < sim["before_cost"]
    assert (
        _indexes(demo),
        _schemas(demo),
    ) == before  # the sandbox is gone, live tables as they were


def test_three_parallel_simulations_and_a_killed_one_leave_nothing_behind(
    lake: Settings, demo: Demo, tmp_path: Path
) -> None:
    before = _indexes(demo)
    rows = [
        r for r in _bottlenecks(lake)["rows"] if r["type"] in ("missing_index", "composite_index")
    ]
    results: list[Any] = []

    def run(row: dict[str, Any]) -> None:
        try:
            results.append(simulate(lake, row["query_id"], row["rec_id"]))
        except Exception as exc:  # noqa: BLE001  (reported by the assertion below)
            results.append(exc)

    threads = [threading.Thread(target=run, args=(rows[i % len(rows)],)) for i in range(3)]
    script = textwrap.dedent(f"""
        import sys, time
        import psycopg
        from loglake.advisor.pg_explain import hypothetical, hypothetical_count
        conn = psycopg.connect({demo.dsn!r}, autocommit=True, application_name="loglake-killed")
        conn.execute("SET auto_explain.log_min_duration = -1")
        with hypothetical(conn, ["CREATE INDEX ON public.orders (status)"]):
            print(conn.info.backend_pid, hypothetical_count(conn), flush=True)
            time.sleep(60)
    """)  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    killed = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env
    )
    for t in threads:
        t.start()
    assert killed.stdout is not None
    pid, made = map(int, killed.stdout.readline().split())
    assert made == 1  # it holds a hypothetical index, mid-way
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=10)
    killed.stdout.close()
    for t in threads:
        t.join(timeout=30)
    assert all(isinstance(r, dict) and r["improvement_pct"] > 0 for r in results), results
    with demo.cluster.connect(DEMO_DB, superuser=True) as conn:
        deadline = time.monotonic() + 10
        while conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
            assert time.monotonic() < deadline, "the killed client's backend is still there"
            time.sleep(0.1)
        left = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'loglake-%%'"
        ).fetchone()[0]
    assert left == 0  # every simulation's connection is closed
    with demo.cluster.connect(DEMO_DB) as conn:
        assert hypothetical_count(conn) == 0
    assert _indexes(demo) == before


def test_a_failing_block_still_removes_its_hypothetical_indexes(demo: Demo) -> None:
    with demo.cluster.connect(DEMO_DB) as conn:
        conn.execute("SET auto_explain.log_min_duration = -1")
        with pytest.raises(RuntimeError), hypothetical(conn, ["CREATE INDEX ON orders (status)"]):
            assert hypothetical_count(conn) == 1
            raise RuntimeError("the client went away")
        assert hypothetical_count(conn) == 0


def test_the_limiter_caps_simulations_in_flight_and_per_minute() -> None:
    limiter = Limiter(in_flight=1, per_minute=2)
    with limiter.slot(), pytest.raises(BusyError, match="in flight"), limiter.slot():
        pass
    with limiter.slot():
        pass
    with pytest.raises(BusyError, match="last minute"), limiter.slot():
        pass


def test_the_simulate_api_and_its_rate_limit(lake: Settings) -> None:
    from dataclasses import replace

    qid = _ids(lake)["missing_index"]
    rec = next(r for r in _recs(lake, qid) if r["type"] == "missing_index")
    client = create_app(replace(lake, pg_simulations_per_minute=1)).test_client()
    body = {"query_id": qid, "rec_id": rec["rec_id"], "mode": "hypopg"}
    ok = client.post("/api/pg/simulate", json=body)
    assert ok.status_code == 200 and ok.get_json()["improvement_pct"] > 30
    busy = client.post("/api/pg/simulate", json=body)
    assert busy.status_code == 429 and "per_minute".upper() in busy.get_json()["error"].upper()
    bad = client.post("/api/pg/simulate", json={"query_id": qid, "rec_id": "nope"})
    assert bad.status_code in (404, 429)


def test_errors_name_what_is_missing_and_how_to_enable_it(lake: Settings, demo: Demo) -> None:
    from dataclasses import replace

    wrong = demo.dsn.replace(f"port={demo.cluster.port}", "port=1")
    with pytest.raises(PgError, match="cannot connect") as exc:
        collect(lake, dsn=wrong)
    assert TEST_PASSWORD not in str(exc.value)
    with pytest.raises(PgError, match=r"no pg_stat_statements extension.*CREATE EXTENSION"):
        collect(lake, dsn=demo.bare_dsn)
    with pytest.raises(PgError, match="GRANT pg_read_all_stats TO advisor_nostats"):
        collect(lake, dsn=demo.no_stats_dsn)
    qid = _ids(lake)["missing_index"]
    rec = next(r for r in _recs(lake, qid) if r["type"] == "missing_index")
    with pytest.raises(PgError, match=r"no hypopg extension.*postgresql-15-hypopg"):
        simulate(lake, qid, rec["rec_id"], dsn=demo.bare_dsn)
    # a role that reads the statistics but not the tables: collected, each EXPLAIN noted
    report = collect(replace(lake, root=lake.root.parent / "noselect"), dsn=demo.no_select_dsn)
    assert report["statements"] >= len(WORKLOAD) and report["explained"] == 0
    assert report["notes"] and all(
        "permission denied" in n and "GRANT" in n for n in report["notes"]
    ), report["notes"]
    stats_q = _ids(lake)["stats"]
    stats = next(r for r in _recs(lake, stats_q) if r["type"] == "stats")
    with pytest.raises(InputError, match="cannot be simulated"):
        simulate(lake, stats_q, stats["rec_id"])
    with pytest.raises(InputError, match="mode"):
        simulate(lake, qid, rec["rec_id"], mode="live")


def test_chat_answers_cite_the_stored_facts(lake: Settings, runner: Runner) -> None:
    ids = _ids(lake)
    client = create_app(lake).test_client()
    why = client.post(
        "/api/pg/chat", json={"question": f"why is query {ids['missing_index']} slow?"}
    )
    answer = why.get_json()
    assert answer["intent"] == "why_slow" and answer["query_id"] == ids["missing_index"]
    assert "had_seq_scan=true" in answer["facts"][0] and "mean_ms" in answer["facts"][0]
    assert "Seq Scan on orders" in answer["answer"]
    index = client.post("/api/pg/chat", json={"question": "what index should I add?"}).get_json()
    assert index["intent"] == "index" and "CREATE INDEX CONCURRENTLY" in index["answer"]
    impact = client.post(
        "/api/pg/chat", json={"question": "show impact", "query_id": ids["missing_index"]}
    ).get_json()
    assert impact["intent"] == "impact" and "simulation (hypopg)" in impact["facts"][0]
    once = client.post("/api/pg/chat", json={"question": "what changed since yesterday?"})
    assert "Only one snapshot" in once.get_json()["answer"]
    assert client.post("/api/pg/chat", json={"question": ""}).status_code == 400
    done = runner.run("pg", "ask", f"why is query {ids['missing_index']} slow?", "--data",
                      str(lake.root))  # fmt: skip
    assert done.exit_code == 0 and "had_seq_scan=true" in done.output


def test_a_regression_between_snapshots_is_an_anomaly(lake: Settings, demo: Demo) -> None:
    """inventory grows tenfold: its statement's mean since the last snapshot jumps."""
    with demo.cluster.connect(DEMO_DB, app="pgdemo") as conn:
        conn.execute(
            "INSERT INTO inventory SELECT i, i % 40, i % 97 FROM generate_series(1, 300000) i"
        )
        for w in range(20):
            conn.execute(WORKLOAD["stats"], [w]).fetchall()
    collect(lake, explain_top=20)
    row = next(r for r in _bottlenecks(lake)["rows"] if r["query_id"] == _ids(lake)["stats"])
    assert [a["kind"] for a in row["anomalies"]] == ["mean_jump"], row
    client = create_app(lake).test_client()
    changed = client.post("/api/pg/chat", json={"question": "what changed since yesterday?"})
    facts = changed.get_json()["facts"]
    assert any(row["query_id"] in f and "→" in f for f in facts), facts
    json.dumps(changed.get_json())


def test_a_statement_waiting_on_a_lock_is_tagged_with_its_blocker(
    lake: Settings, demo: Demo
) -> None:
    update = "UPDATE accounts SET plan = plan WHERE id = %s"
    with demo.cluster.connect(DEMO_DB, app="pgdemo") as conn:
        conn.execute(update, [1])  # pg_stat_statements knows it
    holder = demo.cluster.connect(DEMO_DB, app="holder")
    waiter = demo.cluster.connect(DEMO_DB, app="waiter")
    try:
        holder.execute("BEGIN")
        holder.execute("SELECT * FROM accounts WHERE id = 2 FOR UPDATE")
        blocked = threading.Thread(target=lambda: waiter.execute(update, [2]))
        blocked.start()
        with demo.cluster.connect(DEMO_DB, superuser=True) as watch:
            deadline = time.monotonic() + 10
            while not watch.execute(
                "SELECT 1 FROM pg_stat_activity WHERE application_name = 'waiter' "
                "AND wait_event_type = 'Lock'"
            ).fetchone():
                assert time.monotonic() < deadline, "the update never waited"
                time.sleep(0.05)
        report = collect(lake, explain_top=20)
    finally:
        holder.execute("ROLLBACK")
        blocked.join(timeout=10)
        holder.close()
        waiter.close()
    assert report["contention"] == 1
    row = next(r for r in _bottlenecks(lake)["rows"] if r["fingerprint"] == fingerprint(update))
    assert "FOR UPDATE" in row["contention"] and "contention suspected" in row["reason"]


def test_the_demo_command_and_a_missing_dsn(demo: Demo, runner: Runner, tmp_path: Path) -> None:
    done = runner.run("generate", "pg-demo", "--dsn", demo.bare_dsn, "--scale", "0.1")
    assert done.exit_code == 0, done.output
    assert "built the demo tables" in done.output and TEST_PASSWORD not in done.output
    with demo.cluster.connect("advisor_bare") as conn:
        count = conn.execute("SELECT count(*) FROM orders").fetchone()[0]
    assert count == 60_000
    missing = runner.run(
        "pg", "collect", "--data", str(tmp_path / "lake"), env={"LOGLAKE_PG_DSN": ""}
    )
    assert missing.exit_code == 1 and "no PostgreSQL server" in missing.output
    wrong = runner.run("pg", "collect", "--data", str(tmp_path / "lake"), "--dsn", demo.bare_dsn)
    assert wrong.exit_code == 1 and "CREATE EXTENSION pg_stat_statements" in wrong.output
    assert TEST_PASSWORD not in wrong.output


def test_simulations_are_kept_listed_newest_first_and_survive_a_restart(lake: Settings) -> None:
    qid = _ids(lake)["missing_index"]
    rec = next(r for r in _recs(lake, qid) if r["type"] == "missing_index")
    app = create_app(lake)
    client = app.test_client()
    before = client.get(f"/api/pg/queries/{qid}").get_json()["simulations"]
    body = {"query_id": qid, "rec_id": rec["rec_id"], "mode": "hypopg"}
    runs = [client.post("/api/pg/simulate", json=body).get_json() for _ in range(2)]
    assert all(r["stored"] and r["simulation_id"] for r in runs), runs
    listed = client.get(f"/api/pg/queries/{qid}").get_json()["simulations"]
    assert len(listed) == len(before) + 2
    assert [s["simulation_id"] for s in listed[:2]] == [r["simulation_id"] for r in runs[::-1]]
    newest = listed[0]
    assert newest["mode"] == "hypopg" and newest["rec_id"] == rec["rec_id"]
    assert newest["improvement_pct"] == runs[1]["improvement_pct"] > 30
    assert newest["before_cost"] == runs[1]["before_cost"] > newest["after_cost"]
    assert newest["plan_changes"] == runs[1]["plan_changes"] and newest["plan_changes"]
    assert newest["after_plan"] == runs[1]["after_plan"] and newest["before_ms"] is None
    assert listed[0]["captured_at"] >= listed[1]["captured_at"]
    # another statement's detail lists none of them
    other = _ids(lake)["email"]
    others = client.get(f"/api/pg/queries/{other}").get_json()["simulations"]
    assert not {s["simulation_id"] for s in others} & {r["simulation_id"] for r in runs}
    # a new app over the same root (a restart) reads them from the lake: API and page
    restarted = create_app(lake).test_client()
    again = restarted.get(f"/api/pg/queries/{qid}").get_json()["simulations"]
    assert [s["simulation_id"] for s in again] == [s["simulation_id"] for s in listed]
    page = restarted.get(f"/pg/queries/{qid}").get_data(as_text=True)
    section = page.split('id="pg-simulation-list"', 1)[1].split("</table>", 1)[0]
    for run in runs:
        assert f'data-simulation-id="{run["simulation_id"]}"' in section
    assert f"{-runs[1]['improvement_pct']:+.1f}%" in section
    assert runs[1]["plan_changes"][0] in section


def test_a_simulation_through_another_name_of_the_server_is_the_statements(
    lake: Settings, demo: Demo
) -> None:
    """Listed by the snapshot it replayed: `localhost` is the server collected as 127.0.0.1."""
    qid = _ids(lake)["missing_index"]
    rec = next(r for r in _recs(lake, qid) if r["type"] == "missing_index")
    other = demo.dsn.replace("host=127.0.0.1", "host=localhost hostaddr=127.0.0.1")
    sim = simulate(lake, qid, rec["rec_id"], dsn=other)
    assert sim["server"].startswith("localhost:") and sim["stored"]
    listed = create_app(lake).test_client().get(f"/api/pg/queries/{qid}").get_json()
    assert listed["simulations"][0]["simulation_id"] == sim["simulation_id"]
    assert listed["simulations"][0]["server"] == sim["server"] != listed["snapshot"]["server"]


def test_the_page_fragment_of_a_simulation_swaps_the_list_in(lake: Settings) -> None:
    qid = _ids(lake)["missing_index"]
    rec = next(r for r in _recs(lake, qid) if r["type"] == "missing_index")
    client = create_app(lake).test_client()
    page = client.get(f"/pg/queries/{qid}").get_data(as_text=True)
    token = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    done = client.post(f"/pg/queries/{qid}/simulate", data={"rec_id": rec["rec_id"]},
                       headers={"X-CSRF-Token": token, "HX-Request": "true"})  # fmt: skip
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and 'id="simulation-result"' in html, html[:500]
    newest = client.get(f"/api/pg/queries/{qid}").get_json()["simulations"][0]
    oob = html.split('id="pg-simulations" hx-swap-oob="true"', 1)[1]
    assert f'data-simulation-id="{newest["simulation_id"]}"' in oob


def test_a_lake_locked_by_another_process_keeps_the_answer_not_the_run(
    lake: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    from loglake.advisor import pg_store
    from loglake.layout import lock_path

    qid = _ids(lake)["missing_index"]
    rec = next(r for r in _recs(lake, qid) if r["type"] == "missing_index")
    monkeypatch.setattr(pg_store, "SIMULATION_LOCK_WAIT_S", 0.3)
    holder = subprocess.Popen(["sleep", "30"])  # a live process "ingesting" on this host
    lock = lock_path(lake.root)
    lock.write_text(json.dumps({"pid": holder.pid, "host": socket.gethostname(),
                                "ingest_id": "other", "started": "now"}))  # fmt: skip
    try:
        sim = simulate(lake, qid, rec["rec_id"])
    finally:
        lock.unlink()
        holder.kill()
        holder.wait()
    assert sim["improvement_pct"] > 30 and sim["stored"] is False
    assert "not kept in the lake" in sim["note"] and "another ingest holds" in sim["note"]
    listed = create_app(lake).test_client().get(f"/api/pg/queries/{qid}").get_json()
    assert sim["simulation_id"] not in {s["simulation_id"] for s in listed["simulations"]}
    assert simulate(lake, qid, rec["rec_id"])["stored"]  # the lock gone: kept again


def test_the_cli_simulation_is_kept_and_listed(lake: Settings, demo: Demo, runner: Runner) -> None:
    qid = _ids(lake)["missing_index"]
    rec = next(r for r in _recs(lake, qid) if r["type"] == "missing_index")
    args = ("pg", "simulate", "--query", qid, "--rec", rec["rec_id"], "--data", str(lake.root))
    done = runner.run(*args, "--dsn", demo.dsn)
    assert done.exit_code == 0, done.output
    assert "kept in the lake as simulation" in done.output and TEST_PASSWORD not in done.output
    kept = done.output.split("kept in the lake as simulation ", 1)[1].split()[0]
    as_json = json.loads(runner.run(*args, "--dsn", demo.dsn, "--json").output)
    assert as_json["stored"] and as_json["simulation_id"] != kept
    listed = create_app(lake).test_client().get(f"/api/pg/queries/{qid}").get_json()
    assert [s["simulation_id"] for s in listed["simulations"][:2]] == [
        as_json["simulation_id"],
        kept,
    ]
