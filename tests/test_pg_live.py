"""A live PostgreSQL server's logs of a known workload (tests/pg_server.py, pg_workload.py).

The cluster writes the same records as stderr (pgBadger's prefix), csvlog and jsonlog; the
workload knows what it ran, so every count is exact.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser import launched
from conftest import TEST_DATA, Runner, query, served
from loglake.analytics.filters import ENGINES
from loglake.analytics.service import Analytics
from loglake.config import Settings
from loglake.ingest.pipeline import ingest
from loglake.web import create_app
from pg_server import TEST_DB, TEST_ROLE, PgCluster, running_pg_cluster, unavailable
from pg_workload import Truth, run_workload


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Truth, dict[str, Path]]]:
    """A cluster of its own (the counts start from zero), the workload's truth, its three logs."""
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("pglogs")
    with running_pg_cluster() as cluster:
        truth = run_workload(cluster)
        logs = {p.suffix.lstrip("."): Path(shutil.copy(p, out / p.name)) for p in cluster.logs}
    yield truth, logs


def _messages(kind: str, path: Path) -> list[tuple[str, str]]:
    """(severity, message) of every record of one log file, read without loglake."""
    text = path.read_text("utf-8")
    if kind == "csv":
        return [(row[11], row[13]) for row in csv.reader(text.splitlines(keepends=True))]
    if kind == "json":
        rows = [json.loads(line) for line in text.splitlines() if line]
        return [(r["error_severity"], r["message"]) for r in rows]
    head = re.compile(r"^\S+ \S+ \S+ \[\d+\]: \[\d+-1\] \S* (\w+):  (.*)$")
    return [m.groups() for m in map(head.match, text.splitlines()) if m]  # type: ignore[misc]


def test_the_cluster_writes_the_workload_to_all_three_logs(
    live: tuple[Truth, dict[str, Path]],
) -> None:
    truth, logs = live
    assert set(logs) == {"log", "csv", "json"}
    for kind, path in logs.items():
        records = [(sev, msg) for sev, msg in _messages(kind, path) if sev != "DETAIL"]
        counts = Counter(
            "statement" if re.match(r"duration: \S+ ms  statement: ", msg)
            else "execute" if re.match(r"duration: \S+ ms  execute ", msg)
            else "plan" if re.match(r"duration: \S+ ms  plan:", msg)
            else msg.split(":")[0] if sev == "LOG" else sev
            for sev, msg in records
        )  # fmt: skip
        assert counts["statement"] == sum(truth.statements.values()), kind
        assert counts["execute"] == sum(truth.executes.values()), kind
        assert counts["plan"] == truth.plans, kind
        assert counts["connection received"] == truth.connections, kind
        assert counts["connection authorized"] == truth.auth_success, kind
        assert counts["disconnection"] == truth.disconnections, kind
        assert counts["ERROR"] == sum(truth.errors.values()), kind
        assert counts["FATAL"] == sum(truth.fatals.values()), kind
        assert counts["temporary file"] == truth.temp_files >= 1, kind
        assert counts["checkpoint starting"] == counts["checkpoint complete"] == truth.checkpoints
        waits = [m for _, m in records if re.match(r"process \d+ still waiting for", m)]
        assert len(waits) == truth.lock_waits, kind
        vacuums = [m for _, m in records if 'vacuum of table "shop.public.av_target"' in m]
        assert len(vacuums) == truth.autovacuum["shop.public.av_target"] >= 1, kind


# --- the lake of each log: the same exact counts from stderr, csvlog and jsonlog ----------

KINDS = ("log", "csv", "json")


@pytest.fixture(scope="module")
def lakes(
    live: tuple[Truth, dict[str, Path]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Settings]:
    """One lake per log file of the workload (a real ingest each)."""
    from loglake.formats.registry import format_names

    if "postgres" not in format_names():
        pytest.skip("the PostgreSQL formats are not in this build yet (branch pg-formats)")
    _, logs = live
    out = {}
    for kind in KINDS:
        settings = Settings(root=tmp_path_factory.mktemp(f"lake-{kind}") / "lake", workers=2)
        report = ingest([str(logs[kind])], settings)
        assert report["files"][0]["format"].startswith("postgres"), report["files"]
        out[kind] = settings
    return out


def _ask(lakes: dict[str, Settings], kind: str, question: str, **args: str) -> dict[str, Any]:
    return Analytics(lakes[kind]).ask(question, args)


@pytest.mark.parametrize("kind", KINDS)
def test_every_statement_is_one_row_with_its_phase(
    live: tuple[Truth, dict[str, Path]], lakes: dict[str, Settings], kind: str
) -> None:
    truth, _ = live
    rows = dict(
        query(
            lakes[kind].root,
            "slow_queries",
            "SELECT op_type, count(*) FROM t WHERE engine = 'postgres' GROUP BY 1",
        )
    )
    assert rows.get("statement") == sum(truth.statements.values()), rows
    assert rows.get("execute") == sum(truth.executes.values()), rows
    # auto_explain's entry of each explained execution is a row of its own today ("plan"),
    # as pgBadger counts it too (708 queries for this workload's 361 executions)
    assert rows.get("plan") == truth.plans, rows
    assert rows.get("bind") == sum(truth.executes.values()), rows


@pytest.mark.parametrize("kind", KINDS)
def test_the_shapes_are_counted_once_whatever_their_parameters(
    live: tuple[Truth, dict[str, Path]], lakes: dict[str, Settings], kind: str
) -> None:
    truth, _ = live
    shapes = dict(
        query(
            lakes[kind].root,
            "slow_queries",
            "SELECT shape, count(*) FROM t WHERE op_type IN ('statement', 'execute') GROUP BY 1",
        )
    )
    assert shapes["SELECT * FROM customers WHERE id = $1"] == truth.statements["customer_by_id"]
    assert (
        shapes["SELECT count(*) FROM orders WHERE customer_id = $1"]
        == truth.statements["orders_of_customer"]
    )
    assert shapes["UPDATE orders SET status = $1 WHERE id = $2"] == truth.statements["ship_order"]
    assert (
        shapes["INSERT INTO customers (id, name, city) VALUES ($1, $2, $3)"]
        == truth.statements["insert_customer"]
    )


@pytest.mark.parametrize("kind", KINDS)
def test_top_queries_give_the_example_and_its_parameters(
    live: tuple[Truth, dict[str, Path]], lakes: dict[str, Settings], kind: str
) -> None:
    truth, _ = live
    top = _ask(lakes, kind, "top_queries", sort="count", limit="5")
    assert top["rows"][0]["count"] >= truth.statements["insert_order"]
    assert "INSERT INTO orders" in top["rows"][0]["example"]
    bound = _ask(lakes, kind, "top_queries", limit="1000", app="pg_workload")
    status = [r for r in bound["rows"] if "WHERE status = $1 AND amount > $2" in r["shape"]]
    assert status, [r["shape"] for r in bound["rows"]]
    assert any(r["example_params"] and "$1 = '" in r["example_params"] for r in status)
    assert sum(r["share_pct"] for r in bound["rows"]) == pytest.approx(100)


@pytest.mark.parametrize("kind", KINDS)
def test_errors_by_sqlstate(
    live: tuple[Truth, dict[str, Path]], lakes: dict[str, Settings], kind: str
) -> None:
    truth, _ = live
    errors = _ask(lakes, kind, "errors")
    codes = dict(truth.errors + truth.fatals)
    if kind == "log":  # pgBadger's prefix has no %e: a stderr log does not say the SQLSTATE
        codes = {None: sum(codes.values())}
    assert {r["code"]: r["count"] for r in errors["by_code"]} == codes
    assert errors["total"] == sum(truth.errors.values()) + sum(truth.fatals.values())
    missing = [r for r in errors["rows"] if r["message"].startswith('relation "missing_table"')]
    assert sum(r["count"] for r in missing) == 2
    assert {r["example_statement"] for r in missing} <= {
        "SELECT * FROM missing_table",
        "SELECT * FROM missing_table WHERE id = 2",
    }


@pytest.mark.parametrize("kind", KINDS)
def test_locks_temp_files_checkpoints_autovacuum(
    live: tuple[Truth, dict[str, Path]], lakes: dict[str, Settings], kind: str
) -> None:
    truth, _ = live
    locks = _ask(lakes, kind, "lock_waits")
    assert (locks["waits"], locks["deadlocks"]) == (truth.lock_waits, truth.deadlocks)
    assert locks["acquired"] == truth.lock_waits  # both waiters got their lock in the end
    assert locks["total_wait_ms"] >= 200 * truth.lock_waits  # deadlock_timeout each
    assert locks["acquired_wait_ms"] >= 1000 * truth.lock_waits  # each waited a second or more
    temp = _ask(lakes, kind, "temp_files")
    assert (temp["count"], temp["total_bytes"]) == (truth.temp_files, truth.temp_bytes)
    assert temp["rows"][0]["statement"] == "SELECT id FROM big ORDER BY pad DESC"
    checkpoints = _ask(lakes, kind, "checkpoints")
    assert checkpoints["count"] == truth.checkpoints
    assert checkpoints["buffers"] > 0
    assert sum(r["count"] for r in checkpoints["reasons"]) == truth.checkpoints
    vacuum = _ask(lakes, kind, "autovacuum", limit="1000")
    target = {r["table"]: r for r in vacuum["rows"]}["shop.public.av_target"]
    assert target["vacuums"] == truth.autovacuum["shop.public.av_target"]
    assert target["analyzes"] == truth.autoanalyze["shop.public.av_target"]
    assert target["tuples_removed"] == 1500  # the rows the workload deleted


@pytest.mark.parametrize("kind", KINDS)
def test_sessions_logins_and_connections(
    live: tuple[Truth, dict[str, Path]], lakes: dict[str, Settings], kind: str
) -> None:
    truth, _ = live
    by_app = _ask(lakes, kind, "sessions", by="app")
    assert by_app["sessions"] == truth.disconnections
    apps: Counter[str] = Counter()
    for (_, _, app), n in truth.sessions.items():
        apps[app] += n
    assert {r["key"]: r["sessions"] for r in by_app["rows"]} == dict(apps)
    by_db = _ask(lakes, kind, "sessions", by="db")
    dbs: Counter[str] = Counter()
    for (db, _, _), n in truth.sessions.items():
        dbs[db] += n
    assert {r["key"]: r["sessions"] for r in by_db["rows"]} == dict(dbs)
    auth = _ask(lakes, kind, "auth_summary")
    assert (auth["success"], auth["failure"]) == (truth.auth_success, truth.auth_failure)
    conns = _ask(lakes, kind, "connections")
    assert (conns["accepted"], conns["ended"]) == (truth.connections, truth.disconnections)


def test_all_three_logs_give_the_same_answers(lakes: dict[str, Settings]) -> None:
    for question, args in (
        ("summary", {}),
        ("errors", {}),
        ("lock_waits", {}),
        ("checkpoints", {}),
        ("sessions", {"by": "user"}),
    ):
        answers = [_ask(lakes, kind, question, **args) for kind in KINDS]
        keys = ("count", "total_duration_ms", "total", "waits", "deadlocks", "sessions")
        # sums of doubles differ in the last bits with DuckDB's parallel order: durations are
        # logged to the microsecond (0.001 ms), so equal to 1e-6 ms is equal
        picked = [{k: _settled(a[k]) for k in keys if k in a} for a in answers]
        assert picked[0] == picked[1] == picked[2], (question, picked)


def _settled(value: object) -> object:
    return round(value, 6) if isinstance(value, float) else value


def test_the_report_of_a_postgres_lake(
    live: tuple[Truth, dict[str, Path]], lakes: dict[str, Settings], tmp_path: Path
) -> None:
    truth, _ = live
    out = tmp_path / "report.html"
    result = Runner().run("report", "--data", str(lakes["log"].root), "--out", str(out))
    assert result.exit_code == 0, result.output
    html = out.read_text()
    ((count,),) = query(
        lakes["log"].root, "slow_queries", "SELECT count(*) FROM t WHERE op_type NOT IN (?, ?)",
        ["parse", "bind"],
    )  # fmt: skip

    def number(element_id: str) -> int:
        found = re.search(rf'id="{element_id}"[^>]*>([\d,]+)<', html)
        assert found, element_id
        return int(found.group(1).replace(",", ""))

    assert number("postgres-count") == count
    assert number("postgres-lock-waits") == truth.lock_waits
    assert number("postgres-deadlocks") == truth.deadlocks
    assert number("postgres-temp-files") == truth.temp_files
    assert number("postgres-checkpoints") == truth.checkpoints
    assert number("postgres-sessions") == truth.disconnections
    assert number("postgres-errors") == sum(truth.errors.values()) + sum(truth.fatals.values())
    assert 'id="mongodb"' not in html
    assert "<script" not in html and "http:" not in html


def test_the_postgres_pages_and_their_words(
    live: tuple[Truth, dict[str, Path]], lakes: dict[str, Settings]
) -> None:
    truth, _ = live
    client = create_app(lakes["log"]).test_client()
    page = client.get("/postgres").get_data(as_text=True)
    ((shapes,),) = query(
        lakes["log"].root, "slow_queries", "SELECT count(DISTINCT shape_hash) FROM t"
    )
    assert page.count("data-shape-hash=") == min(shapes, 25)  # the page shows 25 at most
    assert "SELECT * FROM customers WHERE id = $1" in page
    activity = client.get("/postgres/activity").get_data(as_text=True)
    assert f'id="lock-waits">{truth.lock_waits}<' in activity
    assert f'id="deadlocks">{truth.deadlocks}<' in activity
    workload = client.get("/workload-summary").get_data(as_text=True)
    assert "By table (total time)" in workload and "By collection" not in workload


def test_a_lake_of_both_engines_answers_each_alone(
    live: tuple[Truth, dict[str, Path]], tmp_path: Path
) -> None:
    _, logs = live
    from loglake.formats.registry import format_names

    if "postgres" not in format_names():
        pytest.skip("the PostgreSQL formats are not in this build yet (branch pg-formats)")
    settings = Settings(root=tmp_path / "lake", workers=2)
    ingest([str(logs["log"]), str(TEST_DATA / "mongod-4.4-auth.log")], settings)
    analytics = Analytics(settings)
    counts = {e: analytics.ask("summary", {"engine": e})["count"] for e in ("postgres", "mongodb")}
    assert counts["postgres"] > 300 and counts["mongodb"] > 0
    assert analytics.ask("summary", {})["count"] == counts["postgres"] + counts["mongodb"]
    auth = {e: analytics.ask("auth_summary", {"engine": e})["failure"] for e in ENGINES}
    assert auth["postgres"] == 1 and auth["mongodb"] > 0
    assert analytics.ask("auth_summary", {})["failure"] == sum(auth.values())
    html = create_app(settings).test_client().get("/workload-summary").get_data(as_text=True)
    assert "By collection/table (total time)" in html


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (tests/browser.py)."""
    with launched() as chromium:
        yield chromium


def test_the_postgres_pages_draw_their_charts_in_a_browser(
    lakes: dict[str, Settings], browser: Any
) -> None:
    with served(lakes["log"].root) as url:
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
        for path, charts in (("/postgres", 3), ("/postgres/activity", 2)):
            assert page.goto(url + path, wait_until="networkidle").status == 200
            drawn = page.locator("[data-chart]")
            assert drawn.count() == charts, path
            for i in range(charts):
                assert drawn.nth(i).get_attribute("data-drawn") == "1", (path, i)
        page.goto(url + "/postgres", wait_until="networkidle")
        page.select_option("select[name=engine]", "mongodb")
        page.locator("form.timepicker button[type=submit]").click()
        page.wait_for_url(re.compile(r"engine=mongodb"))
        assert "No PostgreSQL statements" in page.content()  # the filter reached the page
        context.close()
        assert not errors, errors


def test_the_report_opens_offline_and_fetches_nothing(
    lakes: dict[str, Settings], browser: Any, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    done = Runner().run("report", "--data", str(lakes["csv"].root), "--out", str(out))
    assert done.exit_code == 0, done.output
    context = browser.new_context(offline=True)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(out.as_uri(), wait_until="load")
    assert requests == [out.as_uri()]
    assert page.locator("svg").count() >= 4
    assert page.locator("#postgres-top-total_ms tbody tr").count() >= 10
    context.close()


def test_the_commands_print_the_answers(
    live: tuple[Truth, dict[str, Path]], lakes: dict[str, Settings]
) -> None:
    truth, _ = live
    root = str(lakes["json"].root)
    runner = Runner()
    text = runner.run("pg-locks", "--data", root, env={"COLUMNS": "160"})
    assert text.exit_code == 0, text.output
    waits, deadlocks = truth.lock_waits, truth.deadlocks
    assert f"Lock waits (waits {waits}, acquired {waits}, deadlocks {deadlocks})" in text.output
    data = runner.run("top-queries", "--data", root, "--sort", "count", "--limit", "3", "--json")
    assert data.exit_code == 0, data.output
    assert json.loads(data.output) == Analytics(lakes["json"]).ask(
        "top_queries", {"sort": "count", "limit": "3"}
    )


def test_the_session_cluster_serves_the_test_role_with_its_extensions(
    pg_cluster: PgCluster,
) -> None:
    import psycopg

    with pg_cluster.connect() as conn:
        user, db, port = conn.execute(
            "SELECT current_user, current_database(), inet_server_port()"
        ).fetchone()
        assert (user, db, port) == (TEST_ROLE, TEST_DB, pg_cluster.port)
        assert conn.execute("SHOW lc_messages").fetchone() == ("C",)
        extensions = {row[0] for row in conn.execute("SELECT extname FROM pg_extension")}
        assert {"pg_stat_statements", "hypopg"} <= extensions
        assert conn.execute("SELECT count(*) FROM hypopg_list_indexes").fetchone() == (0,)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        pg_cluster.connect(password="not-the-password")
    owner = pg_cluster.data.stat().st_uid
    assert owner != 0  # the server runs as a non-root user
