"""The question registry: every question is served, documented and engine-checked from it.

Each registered question answers on a real lake over its API route, appears in the OpenAPI
document with its parameters, and is either answered by the Polars engine or listed as
degraded. A question registered here — a real function over the same lake — reaches the
API, the OpenAPI document, the CLI, the degraded list and the precomputed answers with no
other edit; duplicate names, routes and commands are refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import TEST_DATA, query
from loglake.analytics import sql
from loglake.analytics.filters import where
from loglake.analytics.interactions_derive import DeriveInteractions
from loglake.analytics.params import FROM, TO, limit
from loglake.analytics.precompute import answers_path, dashboard, write_answers
from loglake.analytics.registry import QUESTIONS, Cli, Question
from loglake.analytics.service import Analytics, DegradedError
from loglake.analytics.session import DuckSession
from loglake.cli.main import cli
from loglake.config import Settings
from loglake.errors import ConfigError
from loglake.ingest.pipeline import ingest
from loglake.schema import Stream
from loglake.web import create_app

LOGS = [
    *sorted((TEST_DATA / "advisor").glob("*.log")),
    TEST_DATA / "mongod-4.4-auth.log",
    TEST_DATA / "mongod-6.0-setup.log",
    *sorted((TEST_DATA / "interactions").glob("*.json")),  # an assistant's: interactions
]


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A lake of every stream: the crafted advisor logs, an auth log, a setup log."""
    settings = Settings(root=tmp_path_factory.mktemp("registry") / "lake", workers=1)
    ingest([str(p) for p in LOGS], settings, listeners=[DeriveInteractions(settings)])
    return settings


@pytest.fixture(scope="module")
def client(settings: Settings) -> Any:
    """A test client of the app over that lake."""
    return create_app(settings).test_client()


def _args(client: Any, question: Question) -> dict[str, Any]:
    """Values for a question's required parameters: the locators of a slow query's row."""
    row = client.get("/api/slow-queries?limit=1").get_json()["rows"][0]
    return {p.name: row[p.name] for p in question.params if p.required}


@pytest.mark.parametrize("question", list(QUESTIONS), ids=lambda q: q.name)
def test_every_question_answers_on_its_route(client: Any, question: Question) -> None:
    assert question.route, f"{question.name} has no API route"
    response = client.get(f"/api{question.route}", query_string=_args(client, question))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert set(question.answer_keys) <= set(response.get_json())


def test_every_question_is_documented_with_its_parameters(client: Any) -> None:
    paths = client.get("/api/openapi.json").get_json()["paths"]
    for question in QUESTIONS:
        operation = paths[question.route]["get"]
        assert operation["operationId"] == question.name
        assert operation["summary"] == question.summary
        assert [p["name"] for p in operation["parameters"]] == [p.name for p in question.params]
        required = {p["name"] for p in operation["parameters"] if p["required"]}
        assert required == {p.name for p in question.params if p.required}
        assert operation["tags"] == [str(s) for s in question.streams]
        assert ("404" in operation["responses"]) is question.not_found


@pytest.mark.parametrize("question", list(QUESTIONS), ids=lambda q: q.name)
def test_polars_answers_or_reports_degraded(
    settings: Settings, client: Any, question: Question
) -> None:
    polars = Analytics(replace(settings, disable_duckdb=True))
    args = _args(client, question)
    if question.polars is None:
        assert question.name in polars.degraded
        with pytest.raises(DegradedError):
            polars.ask(question.name, args)
    else:
        assert question.name not in polars.degraded
        answer = polars.ask(question.name, args)
        assert set(question.answer_keys) <= set(answer)


def test_required_parameters_are_enforced(client: Any) -> None:
    body = client.get("/api/detail").get_json()
    assert (body["status"], body["error"]) == (400, "file_id and file_offset are required")
    body = client.get("/api/detail?file_id=abc").get_json()
    assert (body["status"], body["error"]) == (400, "file_offset is required")


def busiest_databases(session: DuckSession, params: dict[str, Any]) -> dict[str, Any]:
    """Slow-query time per database, busiest first (a question a plugin might add)."""
    clause, values = where(Stream.SLOW_QUERIES, params)
    text = (
        "SELECT db, count(*) AS count, sum(duration_ms) AS total_ms FROM slow_queries "
        f"{clause} GROUP BY db ORDER BY total_ms DESC, db LIMIT ?"
    )
    with session.snapshot() as cur:
        return {"rows": sql.fetch(cur, text, [*values, params["limit"]])}


BUSIEST = Question(
    "busiest_databases",
    "Slow-query time per database, busiest first",
    (FROM, TO, limit(5, 100)),
    duckdb=busiest_databases,
    route="/test/busiest-databases",
    cli=Cli("busiest-databases"),
    streams=(Stream.SLOW_QUERIES,),
    precompute=True,
    answer_keys=("rows",),
)


@pytest.fixture
def registered() -> Iterator[Question]:
    """BUSIEST registered for one test, as a plugin's hook would add it."""
    QUESTIONS.add(BUSIEST)
    try:
        yield BUSIEST
    finally:
        QUESTIONS.remove(BUSIEST.name)


def _expected(root: Path, rows: int) -> list[dict[str, Any]]:
    """The same numbers, read from the Parquet files by DuckDB alone."""
    found = query(
        root,
        "slow_queries",
        "SELECT db, count(*), sum(duration_ms) FROM t GROUP BY db ORDER BY 3 DESC, 1 LIMIT ?",
        [rows],
    )
    return [{"db": db, "count": n, "total_ms": ms} for db, n, ms in found]


def test_a_registered_question_reaches_every_surface(
    settings: Settings, registered: Question
) -> None:
    expected = _expected(settings.root, 2)
    assert len(expected) == 2

    app = create_app(settings).test_client()
    response = app.get("/api/test/busiest-databases?limit=2")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["rows"] == expected
    assert app.get("/api/test/busiest-databases?limit=0").status_code == 400

    operation = app.get("/api/openapi.json").get_json()["paths"]["/test/busiest-databases"]
    assert [p["name"] for p in operation["get"]["parameters"]] == ["from", "to", "limit"]

    runner = CliRunner()
    assert "busiest-databases" in runner.invoke(cli, ["--help"]).stdout
    result = runner.invoke(cli, ["busiest-databases", "--data", str(settings.root), "--limit", "2"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"] == expected
    bad = runner.invoke(cli, ["busiest-databases", "--data", str(settings.root), "--limit", "0"])
    assert (bad.exit_code, bad.stderr.strip()) == (1, "Error: limit: must be at least 1")

    polars = create_app(replace(settings, disable_duckdb=True)).test_client()
    assert "busiest_databases" in polars.get("/api/status").get_json()["degraded"]
    assert polars.get("/api/test/busiest-databases").status_code == 503


def test_a_registered_question_is_precomputed(tmp_path: Path, registered: Question) -> None:
    settings = Settings(root=tmp_path / "lake", workers=1)
    ingest([str(TEST_DATA / "advisor" / "mongod-heuristics.log")], settings)
    assert dashboard()[-1] == "busiest_databases"
    path = write_answers(Analytics(settings))
    assert path == answers_path(settings.root, "1")
    stored = json.loads(path.read_text())["answers"]
    assert set(stored) == set(dashboard())
    assert stored["busiest_databases"]["rows"] == _expected(settings.root, 5)


def test_an_unregistered_question_is_gone(settings: Settings) -> None:
    QUESTIONS.add(BUSIEST)
    QUESTIONS.remove(BUSIEST.name)
    assert BUSIEST.name not in QUESTIONS
    assert "/test/busiest-databases" not in QUESTIONS.routes
    assert create_app(settings).test_client().get("/api/test/busiest-databases").status_code == 404
    assert CliRunner().invoke(cli, ["busiest-databases"]).exit_code == 2  # no such command


def test_duplicates_are_refused(registered: Question) -> None:
    with pytest.raises(ConfigError, match="'busiest_databases' is already registered"):
        QUESTIONS.add(BUSIEST)
    with pytest.raises(ConfigError, match="route /summary already serves summary"):
        QUESTIONS.add(replace(BUSIEST, name="other", route="/summary"))
    with pytest.raises(ConfigError, match="command 'patterns' already asks patterns"):
        QUESTIONS.add(replace(BUSIEST, name="other", route=None, cli=Cli("patterns")))
    assert "other" not in QUESTIONS
