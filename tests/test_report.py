"""`loglake report`: one self-contained HTML file whose numbers are the lake's.

The MongoDB lake here is real logs plus a crafted one whose names carry markup; the numbers
in the file are checked against SQL run straight on the Parquet files, the file against any
external reference, and the markup against escaping.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import TEST_DATA, Runner, query
from loglake.config import Settings

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def lake_logs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    crafted = tmp_path_factory.mktemp("hostile") / "mongod-hostile-names.log"
    lines = (TEST_DATA / "advisor" / "mongod-collscan-esr.log").read_text().splitlines()
    crafted.write_text(
        "\n".join(
            line.replace('"appName":"shop-api"', f'"appName":"{HOSTILE}"').replace(
                '"find":"orders"', '"find":"orders<img src=x>"'
            )
            for line in lines
        )
        + "\n"
    )
    return [TEST_DATA / "mongod-6.0-setup.log", TEST_DATA / "mongod-4.4-auth.log", crafted]


@pytest.fixture(scope="module")
def html(lake: Settings, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = Runner().run("report", "--data", str(lake.root), "--out", str(out))
    assert result.exit_code == 0, result.output
    return out.read_text("utf-8")


class _References(HTMLParser):
    """Every tag and every src/href/xlink:href/action attribute value of a document."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.found += [v or "" for k, v in attrs if k in ("src", "href", "xlink:href", "action")]


def _field(html: str, element_id: str) -> str:
    found = re.search(rf'id="{re.escape(element_id)}"[^>]*>([^<]*)<', html)
    assert found, f"{element_id} is not in the report"
    return found.group(1)


def _number(html: str, element_id: str) -> int:
    return int(_field(html, element_id).replace(",", ""))


def test_the_report_counts_are_the_lake_s(html: str, lake: Settings) -> None:
    (count, total), = query(
        lake.root, "slow_queries", "SELECT count(*), sum(duration_ms) FROM t WHERE engine = ?",
        ["mongodb"],
    )  # fmt: skip
    assert count > 6
    assert _number(html, "mongodb-count") == count
    shown = re.search(r'id="mongodb-total" data-ms="([\d.]+)"', html)
    assert shown and float(shown.group(1)) == pytest.approx(total)
    (ok, failed), = query(
        lake.root, "authentications",
        "SELECT count_if(result = 'success'), count_if(result = 'failure') FROM t",
    )  # fmt: skip
    assert (_number(html, "mongodb-auth-ok"), _number(html, "mongodb-auth-failed")) == (ok, failed)
    assert failed > 0
    ((accepted,),) = query(lake.root, "connections", "SELECT count_if(event = 'accepted') FROM t")
    assert _number(html, "mongodb-connections") == accepted
    ((shapes,),) = query(lake.root, "slow_queries", "SELECT count(DISTINCT shape_hash) FROM t")
    assert _number(html, "mongodb-normalized") == shapes


def test_the_top_query_by_total_time_is_the_lake_s(html: str, lake: Settings) -> None:
    (top_hash, top_ms), = query(
        lake.root, "slow_queries",
        "SELECT shape_hash, sum(duration_ms) AS ms FROM t GROUP BY 1 ORDER BY ms DESC LIMIT 1",
    )  # fmt: skip
    table = html.split('id="mongodb-top-total_ms"', 1)[1]
    first = re.search(r'data-shape-hash="([^"]+)".*?data-ms="([\d.]+)"', table, re.S)
    assert first and first.group(1) == top_hash
    assert float(first.group(2)) == pytest.approx(top_ms)


def test_the_report_loads_nothing_from_anywhere(html: str) -> None:
    assert html.startswith("<!DOCTYPE html>")
    for needle in ("<script", "<link", "<img", "<iframe", "url(", "@import", "http:", "https:"):
        assert needle not in html.lower(), needle
    refs = _References()
    refs.feed(html)
    assert refs.tags >= {"html", "style", "svg", "table", "details"}
    assert refs.found and all(ref.startswith("#") for ref in refs.found), refs.found
    assert "<svg" in html  # charts are inline


def test_the_report_escapes_logged_text(html: str) -> None:
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html or "orders&lt;img src=x&gt;" in html
    assert "orders<img" not in html


def test_a_report_without_a_lake_is_a_clear_error(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = Runner().run("report", "--data", str(tmp_path / "nowhere"), "--out", str(out))
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "loglake ingest" in result.output
    assert not out.exists()
