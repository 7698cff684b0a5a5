"""Web security defaults and the upload path, through real WSGI requests (no browser).

CSRF on every POST, foreign origins refused, the token (header, link, cookie, sign-in
form), log content escaped in pages and CSV exports, upload size limit and file names, and
an upload ingested by a real subprocess — added to, or replacing, the dataset.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from conftest import ClientFor
from loglake.config import Settings
from loglake.ingest.pipeline import ingest
from loglake.web.security import CSRF_FIELD, CSRF_HEADER
from loglake.web.upload import safe_name

HOSTILE_APP = "<img src=x onerror=alert(1)>"
FORMULA_APP = "=HYPERLINK(1)"


def slow_line(second: int, app: str, ns: str = "shop.orders", millis: int = 250) -> str:
    """A MongoDB 4.4+ slow-query line (COLLSCAN find) with the given app name."""
    db, coll = ns.split(".", 1)
    attr = {
        "type": "command", "ns": ns, "appName": app,
        "command": {"find": coll, "filter": {"status": "A"}, "$db": db},
        "planSummary": "COLLSCAN", "keysExamined": 0, "docsExamined": 5000, "nreturned": 3,
        "queryHash": "8E0AD545", "reslen": 900, "remote": "10.0.0.7:50123",
        "durationMillis": millis,
    }  # fmt: skip
    return json.dumps(
        {
            "t": {"$date": f"2024-05-01T10:00:{second:02d}.000+00:00"},
            "s": "I",
            "c": "COMMAND",
            "id": 51803,
            "ctx": "conn7",
            "msg": "Slow query",
            "attr": attr,
        }
    )


@pytest.fixture
def lake(tmp_path: Path) -> Settings:
    """Hostile app names (markup, a formula), 1 MB uploads; one per test, as uploads change it."""
    log = tmp_path / "hostile.log"
    log.write_text(
        "\n".join(
            [slow_line(1, HOSTILE_APP), slow_line(2, FORMULA_APP)]
            + [slow_line(s, "orders-api") for s in range(3, 20)]
        )
        + "\n"
    )
    settings = Settings(root=tmp_path / "lake", workers=1, max_upload_mb=1)
    ingest([str(log)], settings)
    return settings


def _csrf(client: Any) -> str:
    page = client.get("/current-op").get_data(as_text=True)
    return page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]


def test_log_content_is_escaped_in_pages(client: FlaskClient) -> None:
    for path in ("/slow-queries", "/slow-queries?sort=app_name", "/dashboard"):
        page = client.get(path).get_data(as_text=True)
        assert HOSTILE_APP not in page, path
    page = client.get("/slow-queries").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_csv_export_defuses_formulas(client: FlaskClient) -> None:
    response = client.get("/export/slow-queries.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    text = response.get_data(as_text=True)
    assert "'" + FORMULA_APP in text
    assert "," + FORMULA_APP not in text
    assert len(text.strip().splitlines()) == 1 + 19


def test_every_post_needs_the_csrf_token(client: FlaskClient) -> None:
    refused = client.post("/current-op", data={"text": "[]"})
    assert refused.status_code == 403
    assert "CSRF" in refused.get_data(as_text=True)
    assert client.post("/current-op", data={"text": "[]", CSRF_FIELD: "forged"}).status_code == 403
    ok = client.post("/current-op", data={"text": "[]", CSRF_FIELD: _csrf(client)})
    assert ok.status_code == 200
    # a raw upload body is not JSON: it needs the header
    assert client.post("/api/uploads?batch=" + "a" * 16, data=b"x").status_code == 403


def test_json_api_posts_pass_but_foreign_origins_do_not(client: FlaskClient) -> None:
    body = {"batch": "0" * 16}
    missing = client.post("/api/ingest", json=body)
    assert missing.status_code == 400  # reached the endpoint: the batch does not exist
    assert "no uploaded files" in missing.get_json()["error"]
    foreign = client.post("/api/ingest", json=body, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    assert foreign.get_json()["status"] == 403


def test_token_by_header_link_cookie_and_sign_in(lake: Settings, client_for: ClientFor) -> None:
    settings = Settings(root=lake.root, auth_token="s3cret-token")
    client = client_for(settings)
    page = client.get("/dashboard")
    assert page.status_code == 401
    assert 'name="token"' in page.get_data(as_text=True)  # the sign-in form
    assert client.get("/api/summary").get_json()["status"] == 401
    assert (
        client.get("/api/summary", headers={"Authorization": "Bearer s3cret-token"}).status_code
        == 200
    )

    link = client.get("/slow-queries?token=s3cret-token&op=find")
    assert link.status_code == 302
    assert link.headers["Location"] == "/slow-queries?op=find"  # the token leaves the URL
    cookie = link.headers["Set-Cookie"]
    assert "loglake_token=s3cret-token" in cookie and "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert client.get("/slow-queries?op=find").status_code == 200  # signed in by the cookie

    fresh = client_for(settings)
    csrf = _csrf_from_error(fresh)
    wrong = fresh.post("/sign-in", data={"token": "nope", "next": "/auth", CSRF_FIELD: csrf})
    assert wrong.status_code == 401
    right = fresh.post(
        "/sign-in", data={"token": "s3cret-token", "next": "//evil.example/", CSRF_FIELD: csrf}
    )
    assert right.status_code == 302
    assert right.headers["Location"] == "/dashboard"  # no open redirect
    assert fresh.get("/auth").status_code == 200


def _csrf_from_error(client: Any) -> str:
    page = client.get("/dashboard").get_data(as_text=True)
    return page.split(f'name="{CSRF_FIELD}" value="', 1)[1].split('"', 1)[0]


def test_upload_size_limit_and_file_names(client: FlaskClient, lake: Settings) -> None:
    headers = {CSRF_HEADER: _csrf(client), "Content-Type": "application/octet-stream"}
    batch = "b" * 16
    big = client.post(
        f"/api/uploads?batch={batch}&name=big.log", data=b"x" * (1024 * 1024 + 1), headers=headers
    )
    assert big.status_code == 413
    assert "1 MB" in big.get_json()["error"]
    folder = lake.root / "uploads" / batch
    assert not any(folder.glob("*")) if folder.exists() else True
    bad_batch = client.post("/api/uploads?batch=../../x&name=a.log", data=b"x", headers=headers)
    assert bad_batch.status_code == 400
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("C:\\logs\\mongod 1.log.gz") == "mongod_1.log.gz"
    assert safe_name("..") == "upload.log"


def _upload_and_ingest(client: Any, log: Path, replace: bool | None = None) -> dict[str, Any]:
    headers = {CSRF_HEADER: _csrf(client), "Content-Type": "application/octet-stream"}
    batch = "c" * 15 + ("1" if replace else "0")
    stored = client.post(
        f"/api/uploads?batch={batch}&name={log.name}", data=log.read_bytes(), headers=headers
    )
    assert stored.status_code == 200, stored.get_json()
    assert stored.get_json()["bytes"] == log.stat().st_size
    body: dict[str, Any] = {"batch": batch}
    if replace is not None:
        body["replace"] = replace
    started = client.post("/api/ingest", json=body)
    assert started.status_code == 202, started.get_json()
    job = started.get_json()["job"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = client.get(f"/api/ingest/{job}").get_json()
        if state["state"] != "running":
            return dict(state)
        time.sleep(0.2)
    raise AssertionError("the ingest job did not finish")


def test_upload_adds_to_the_dataset_then_replaces_it(
    client: FlaskClient, lake: Settings, tmp_path: Path
) -> None:
    assert client.get("/api/summary").get_json()["count"] == 19
    added = tmp_path / "more.log"
    added.write_text(
        "\n".join(slow_line(s, "billing", "billing.invoices") for s in range(30)) + "\n"
    )
    state = _upload_and_ingest(client, added)
    assert state["state"] == "done", state
    assert state["percent"] == 100
    assert state["report"]["rows"]["slow_queries"] == 30
    assert client.get("/api/summary").get_json()["count"] == 19 + 30  # live, no restart
    status = client.get("/processing-status").get_data(as_text=True)
    assert "more.log" in status

    replacement = tmp_path / "only.log"
    replacement.write_text("\n".join(slow_line(s, "cms", "cms.pages") for s in range(7)) + "\n")
    state = _upload_and_ingest(client, replacement, replace=True)
    assert state["state"] == "done", state
    summary = client.get("/api/summary").get_json()
    assert summary["count"] == 7
    assert [n["key"] for n in summary["top_namespaces"]] == ["cms.pages"]
    assert not list((lake.root / "slow_queries").rglob("*.parquet"))[7:]  # old files removed


def test_a_failed_ingest_is_reported(client: FlaskClient, tmp_path: Path) -> None:
    junk = tmp_path / "junk.log"
    junk.write_bytes(b"\x00\x01 not a log at all\n" * 50)
    state = _upload_and_ingest(client, junk)
    assert state["state"] == "failed"
    assert state["error"]
