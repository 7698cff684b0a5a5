"""GraphQL at /graphql over generated assistant logs: the same answers as the REST API,
only the fields asked for, the depth, size, alias and question limits, the token and CSRF
rules, the SDL, and clear errors for bad input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from loglake.analytics.listeners import after_commit
from loglake.config import Settings
from loglake.generate.interactions import InteractionSpec, generate_interactions
from loglake.ingest.pipeline import ingest
from loglake.web import create_app
from loglake.web.gql.asker import MAX_QUESTIONS
from loglake.web.gql.schema import MAX_DEPTH

TOKEN = "gql-s3cret"


@pytest.fixture(scope="module")
def chat_lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dict[str, Any]]:
    out = tmp_path_factory.mktemp("chat")
    truth = generate_interactions(InteractionSpec(seed=5, interactions=400, users=50), out)
    settings = Settings(root=out / "lake", workers=2)
    ingest([str(out / "chat")], settings, listeners=after_commit(settings))
    return settings, truth


@pytest.fixture(scope="module")
def client(chat_lake: tuple[Settings, dict[str, Any]]) -> FlaskClient:
    return create_app(chat_lake[0]).test_client()


def _gql(client: FlaskClient, query: str, variables: dict[str, Any] | None = None) -> Any:
    response = client.post("/graphql", json={"query": query, "variables": variables})
    body = response.get_json()
    assert response.status_code == 200, body
    assert "errors" not in body, body["errors"]
    return body["data"]


def _rest(client: FlaskClient, path: str, **args: Any) -> Any:
    response = client.get(f"/api{path}", query_string=args)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def test_summary_equals_the_api_and_the_truth(
    client: FlaskClient, chat_lake: tuple[Settings, dict[str, Any]]
) -> None:
    data = _gql(
        client,
        "{ summary { interactions users failed lowSatisfaction avgResponseMs p50ResponseMs "
        "p95ResponseMs p99ResponseMs failureRate } }",
    )["summary"]
    rest = _rest(client, "/interactions/summary")
    assert data["interactions"] == rest["interactions"] == chat_lake[1]["interactions"]
    assert data["users"] == rest["users"]
    assert data["failed"] == rest["failed"] > 0
    assert data["lowSatisfaction"] == rest["low_satisfaction"]
    assert data["failureRate"] == rest["failure_rate"]
    for key in ("avg", "p50", "p95", "p99"):
        assert data[f"{key}ResponseMs"] == rest["response_ms"][key]


def test_only_the_fields_asked_for_come_back(client: FlaskClient) -> None:
    data = _gql(client, "{ summary { users } topics(limit: 2) { topic } }")
    assert set(data) == {"summary", "topics"}
    assert set(data["summary"]) == {"users"}
    assert all(set(row) == {"topic"} for row in data["topics"])


@pytest.mark.parametrize("interval", ["DAY", "WEEK", "MONTH"])
def test_counts_equal_the_api(client: FlaskClient, interval: str) -> None:
    query = "query($i: Interval!) { counts(interval: $i) { bucket interactions users failed } }"
    rows = _gql(client, query, {"i": interval})["counts"]
    rest = _rest(client, "/interactions/counts", interval=interval.lower())["rows"]
    assert rows == [{k: r[k] for k in ("bucket", "interactions", "users", "failed")} for r in rest]
    assert (
        sum(r["interactions"] for r in rows)
        == _rest(client, "/interactions/summary")["interactions"]
    )


def test_top_questions_topics_and_failures_equal_the_api(client: FlaskClient) -> None:
    data = _gql(
        client,
        "{ topQuestions(limit: 7) { question count examples group failed } "
        "topics(limit: 6) { topic count failed } "
        "failures(kind: FAILED, limit: 9) { total reasons { reason count } "
        "rows { interactionId ts question reason error responseMs } } }",
    )
    top = _rest(client, "/interactions/top-questions", limit=7)["rows"]
    assert data["topQuestions"] == [
        {k: r[k] for k in ("question", "count", "examples", "group", "failed")} for r in top
    ]
    assert len(top) == 7
    assert data["topics"] == _rest(client, "/interactions/topics", limit=6)["rows"]
    failures = _rest(client, "/interactions/failures", kind="failed", limit=9)
    assert data["failures"]["total"] == failures["total"] > 0
    assert {r["reason"]: r["count"] for r in data["failures"]["reasons"]} == failures["reasons"]
    keys = ("interaction_id", "ts", "question", "reason", "error", "response_ms")
    assert data["failures"]["rows"] == [{_camel(k): r[k] for k in keys} for r in failures["rows"]]


def test_per_user_and_subject_equal_the_api_and_open_their_interactions(
    client: FlaskClient,
) -> None:
    data = _gql(
        client,
        "{ users: by(by: USER, limit: 5) { key interactions failed lowSatisfaction p95ResponseMs }"
        " subjects: by(by: SUBJECT, limit: 2) { key interactions rows(first: 3) { total "
        "rows { subject } } } }",
    )
    rest = _rest(client, "/interactions/by", by="user", limit=5)["rows"]
    keys = ("key", "interactions", "failed", "low_satisfaction", "p95_response_ms")
    assert data["users"] == [{_camel(k): r[k] for k in keys} for r in rest]
    for group in data["subjects"]:
        assert group["rows"]["total"] == group["interactions"] > 0
        assert {r["subject"] for r in group["rows"]["rows"]} == {group["key"]}
    models = client.post("/graphql", json={"query": "{ by(by: MODEL) { rows { total } } }"})
    assert "cannot be listed" in models.get_json()["errors"][0]["message"]


def test_interactions_filter_and_cursor_pages_equal_the_api(client: FlaskClient) -> None:
    topic = _rest(client, "/interactions/topics", limit=1)["rows"][0]["topic"]
    query = (
        "query($f: InteractionFilter, $after: String) { interactions(filter: $f, first: 5, "
        "after: $after) { total nextCursor rows { interactionId ts user subject question "
        "topics outcome responseMs recordCount fileOffset } } }"
    )
    seen: list[str] = []
    after, rest_cursor = None, None
    for _page in range(3):
        page = _gql(client, query, {"f": {"topic": topic, "outcome": "ANSWERED"}, "after": after})
        rest = _rest(
            client,
            "/interactions",
            topic=topic,
            outcome="answered",
            limit=5,
            **({"cursor": rest_cursor} if rest_cursor else {}),
        )
        got = page["interactions"]
        assert got["total"] == rest["total"] > 10
        assert got["nextCursor"] == rest["next_cursor"]
        keys = ("interaction_id", "ts", "user", "subject", "question", "topics", "outcome")
        assert [{k: r[_camel(k)] for k in keys} for r in got["rows"]] == [
            {k: r[k] for k in keys} for r in rest["rows"]
        ]
        assert [r["recordCount"] for r in got["rows"]] == [r["records"] for r in rest["rows"]]
        assert all(topic in r["topics"] and r["outcome"] == "answered" for r in got["rows"])
        seen += [r["interactionId"] for r in got["rows"]]
        after = rest_cursor = got["nextCursor"]
    assert len(seen) == len(set(seen)) == 15


def test_an_interaction_opens_with_its_records_and_near_duplicates(client: FlaskClient) -> None:
    newest = _rest(client, "/interactions", limit=1)["rows"][0]
    data = _gql(
        client,
        "query($id: String!) { interaction(id: $id) { question records { fileOffset raw } "
        "similar(first: 3) { total rows { questionGroup } } } }",
        {"id": newest["interaction_id"]},
    )["interaction"]
    detail = _rest(client, "/interactions/detail", interaction_id=newest["interaction_id"])
    assert data["question"] == newest["question"]
    assert data["records"] == [
        {"fileOffset": r["file_offset"], "raw": r["raw"]} for r in detail["records"]
    ]
    assert len(data["records"]) == newest["records"] >= 2
    group = _rest(client, "/interactions", group=newest["question_group"], limit=1)
    assert data["similar"]["total"] == group["total"] >= 1
    assert {r["questionGroup"] for r in data["similar"]["rows"]} == {newest["question_group"]}
    missing = _gql(client, '{ interaction(id: "no-such-id") { question } }')
    assert missing == {"interaction": None}


def test_a_top_question_drills_down_to_its_interactions(client: FlaskClient) -> None:
    data = _gql(
        client, "{ topQuestions(limit: 1) { count interactions(first: 2) { total rows { ts } } } }"
    )["topQuestions"][0]
    assert data["interactions"]["total"] == data["count"]
    assert len(data["interactions"]["rows"]) == min(2, data["count"])


def test_logs_and_templates_equal_the_api(client: FlaskClient) -> None:
    query = (
        "query($f: LogFilter, $after: String) { logs(filter: $f, first: 4, after: $after) "
        "{ total nextCursor rows { ts level message requestId attrs fileId fileOffset rawUrl } } "
        "templates(limit: 5) { total rows { templateId template count share levels trend } } }"
    )
    log_filter = {"keyword": "question", "fields": [{"name": "dealId", "value": "deal-101"}]}
    first = _gql(client, query, {"f": log_filter})
    rest = _rest(client, "/logs", keyword="question", limit=4, **{"field.dealId": "deal-101"})
    keys = ("ts", "level", "message", "request_id", "attrs", "file_id", "file_offset", "raw_url")
    assert first["logs"]["total"] == rest["total"] > 4
    assert first["logs"]["rows"] == [{_camel(k): r[k] for k in keys} for r in rest["rows"]]
    assert all(r["attrs"]["dealId"] == "deal-101" for r in first["logs"]["rows"])
    second = _gql(client, query, {"f": log_filter, "after": first["logs"]["nextCursor"]})
    rest2 = _rest(
        client,
        "/logs",
        keyword="question",
        limit=4,
        cursor=rest["next_cursor"],
        **{"field.dealId": "deal-101"},
    )
    assert second["logs"]["rows"] == [{_camel(k): r[k] for k in keys} for r in rest2["rows"]]
    templates = _rest(client, "/templates", limit=5)
    assert first["templates"]["total"] == templates["total"]
    tkeys = ("template_id", "template", "count", "share", "levels", "trend")
    assert first["templates"]["rows"] == [
        {_camel(k): r[k] for k in tkeys} for r in templates["rows"]
    ]


def _refused(client: FlaskClient, query: str) -> list[str]:
    response = client.post("/graphql", json={"query": query})
    body = response.get_json()
    assert response.status_code == 400, body
    assert body["data"] is None
    return [error["message"] for error in body["errors"]]


def test_a_query_deeper_than_the_limit_is_refused_before_it_runs(client: FlaskClient) -> None:
    nested = "question"
    for _ in range(MAX_DEPTH // 2):
        nested = f"similar(first: 1) {{ rows {{ {nested} }} }}"
    deep = f"{{ interactions(first: 1) {{ rows {{ {nested} }} }} }}"
    messages = _refused(client, deep)
    assert any("exceeds maximum operation depth" in m for m in messages), messages
    # the limit itself is allowed
    allowed = "{ interactions(first: 1) { rows { similar(first: 1) { rows { question } } } } }"
    assert _gql(client, allowed)["interactions"]["rows"][0]["similar"]["rows"]


def test_too_many_aliases_or_tokens_are_refused(client: FlaskClient) -> None:
    aliases = " ".join(f"a{i}: summary {{ users }}" for i in range(30))
    assert any("aliases" in m for m in _refused(client, f"{{ {aliases} }}"))
    fields = " ".join(["users"] * 2100)
    assert any("token" in m.lower() for m in _refused(client, f"{{ summary {{ {fields} }} }}"))


def test_a_query_asking_too_many_questions_stops_with_a_clear_error(client: FlaskClient) -> None:
    query = f"{{ interactions(first: {MAX_QUESTIONS + 5}) {{ rows {{ records {{ raw }} }} }} }}"
    body = client.post("/graphql", json={"query": query}).get_json()
    messages = [e["message"] for e in body["errors"]]
    assert any(f"more than {MAX_QUESTIONS} questions" in m for m in messages), messages


def test_bad_arguments_say_what_is_wrong(client: FlaskClient) -> None:
    body = client.post("/graphql", json={"query": "{ topics(limit: 5000) { topic } }"}).get_json()
    assert body["data"] is None
    assert "limit" in body["errors"][0]["message"]
    assert "internal error" not in body["errors"][0]["message"]
    tz = '{ counts(filter: {tz: "Mars/Olympus"}) { bucket } }'
    assert (
        "Mars/Olympus"
        in client.post("/graphql", json={"query": tz}).get_json()["errors"][0]["message"]
    )
    unknown = client.post("/graphql", json={"query": "{ nope }"})
    assert unknown.status_code == 400
    assert "nope" in unknown.get_json()["errors"][0]["message"]
    for body_text in ("not json", '["a list"]', '{"query": 5}'):
        bad = client.post("/graphql", data=body_text, content_type="application/json")
        assert bad.status_code == 400
        assert bad.get_json()["errors"][0]["message"]


def test_get_with_a_query_runs_it_and_without_one_serves_graphiql(client: FlaskClient) -> None:
    response = client.get("/graphql", query_string={"query": "{ summary { interactions } }"})
    assert response.status_code == 200
    assert response.get_json()["data"]["summary"]["interactions"] > 0
    page = client.get("/graphql")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "vendor/graphiql.min.js" in text
    assert "https://" not in text  # every file is ours
    assert "font-src 'self' data:" in page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_the_sdl_describes_the_schema(client: FlaskClient) -> None:
    response = client.get("/graphql/schema.graphql")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    for needle in (
        "type Query",
        "topQuestions(limit: Int! = 20",
        "counts(interval: Interval! = DAY",
        "p95ResponseMs: Float",
        "logs(filter: LogFilter = null, first: Int! = 100",
        "enum Interval",
    ):
        assert needle in text, needle


def test_the_token_rule_and_csrf_cover_graphql(chat_lake: tuple[Settings, dict[str, Any]]) -> None:
    settings = Settings(root=chat_lake[0].root, auth_token=TOKEN)
    client = create_app(settings).test_client()
    query = {"query": "{ summary { interactions } }"}
    refused = client.post("/graphql", json=query)
    assert refused.status_code == 401
    assert "authentication required" in refused.get_json()["error"]
    assert client.get("/graphql/schema.graphql").status_code == 401
    assert client.get("/graphql").status_code == 401
    assert (
        client.post("/graphql", json=query, headers={"Authorization": "Bearer wrong"}).status_code
        == 401
    )
    ok = client.post("/graphql", json=query, headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200
    assert ok.get_json()["data"]["summary"]["interactions"] == chat_lake[1]["interactions"]
    # a cross-site form cannot send JSON; a form post, or a foreign origin, is refused
    open_client = create_app(chat_lake[0]).test_client()
    form = open_client.post("/graphql", data={"query": "{ summary { users } }"})
    assert form.status_code == 403
    foreign = open_client.post("/graphql", json=query, headers={"Origin": "https://evil.test"})
    assert foreign.status_code == 403


def test_graphiql_is_vendored_with_its_licence() -> None:
    vendor = Path(__file__).resolve().parents[1] / "src" / "loglake" / "web" / "static" / "vendor"
    for name in ("graphiql.min.js", "graphiql.min.css", "react.production.min.js",
                 "react-dom.production.min.js", "graphiql.LICENSE", "react.LICENSE"):  # fmt: skip
        assert (vendor / name).stat().st_size > 1000, name
    assert "graphiql.min.js" in (vendor / "README.md").read_text()


def test_the_readme_example_runs(client: FlaskClient) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    example = readme.split("```graphql\n", 1)[1].split("```", 1)[0]
    data = _gql(client, example)
    assert data["counts"] and data["topQuestions"] and data["by"]
    assert (
        data["summary"]["interactions"]
        == _rest(client, "/interactions/summary", **{"from": "2026-11-28", "subject": "deal-101"})[
            "interactions"
        ]
    )
