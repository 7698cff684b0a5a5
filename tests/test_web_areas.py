"""The UI's areas: the navigation is what is registered, and every area's templates ship."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from flask import Flask, Response, url_for

from conftest import REPO
from loglake.web.area import Area, navigation
from loglake.web.pages import render

NAV = re.compile(r'<nav class="side"[^>]*>(.*?)</nav>', re.DOTALL)
ITEM = re.compile(r'<div class="section">([^<]*)</div>|<a href="([^"]*)"[^>]*>([^<]*)</a>')


def menu(html: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """A page's side navigation as `(section, [(href, label), …])`."""
    found = NAV.search(html)
    assert found, "the page has no navigation"
    sections: list[tuple[str, list[tuple[str, str]]]] = []
    for section, href, label in ITEM.findall(found.group(1)):
        if section:
            sections.append((section, []))
        else:
            sections[-1][1].append((href, label))
    return sections


def test_the_menu_lists_every_page_by_section(app: Flask) -> None:
    """The built-in areas, in registration order, give the menu the UI has always had."""
    assert [(section, [label for _, label in entries]) for section, entries in navigation(app)] == [
        ("Overview", ["Dashboard", "Ask"]),
        ("Queries", ["Slow queries", "Query trend", "Slow-query analysis", "Workload",
                     "Index suggestions"]),
        ("PostgreSQL", ["Statements", "Locks, vacuum, sessions", "Live advisor"]),
        ("Logs", ["Discover", "Search logs", "Authentication", "Connections", "Templates",
                      "Alerts"]),
        ("Assistant", ["Questions", "Conversations"]),
        ("Tools", ["Current op", "Upload", "Processing status"]),
    ]  # fmt: skip


def alerts_area(folder: Path) -> Area:
    """A new area, as an issue would add it: a blueprint, a route, a template."""
    (folder / "watch").mkdir(parents=True)
    (folder / "watch" / "_rules.html").write_text(
        '<div class="page-head"><h1>Alert rules</h1></div>\n'
        '<p id="rules">{{ rules|length }} rules, e.g. {{ rules[0] }}</p>\n'
    )
    area = Area("watch", __name__, "Watch", template_folder=str(folder))

    @area.page("/watch", "Alert rules")
    def rules() -> Response:
        return render("watch/rules", time_picker=False, rules=["p95 > 1 s", "<auth> failures"])

    return area


def test_a_registered_area_is_in_the_menu_of_every_page(app: Flask, tmp_path: Path) -> None:
    app.register_blueprint(alerts_area(tmp_path / "templates"))
    client = app.test_client()

    page = client.get("/watch")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<title>Alert rules · loglake</title>" in html
    assert '<p id="rules">2 rules, e.g. p95 &gt; 1 s</p>' in html  # escaped like every page
    assert 'href="/watch" class="active" aria-current="page">Alert rules</a>' in html
    fragment = client.get("/watch", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.startswith('<div class="page-head"><h1>Alert rules</h1>')
    assert "<nav" not in fragment

    with app.test_request_context():
        urls = [url_for(e) for _, entries in navigation(app) for e, _ in entries]
    assert len(urls) == 22 and urls[-1] == "/watch"
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        sections = menu(response.get_data(as_text=True))
        # the new section comes last: its blueprint was registered last
        assert [name for name, _ in sections] == [
            "Overview",
            "Queries",
            "PostgreSQL",
            "Logs",
            "Assistant",
            "Tools",
            "Watch",
        ]
        assert sections[-1] == ("Watch", [("/watch", "Alert rules")]), url
        assert sum(len(links) for _, links in sections) == 22, url


def test_every_template_and_static_file_is_in_the_package_data() -> None:
    """A wheel ships every area's templates: pyproject's package-data globs cover each file."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    package = REPO / "src" / "loglake"
    shipped = {
        path
        for pattern in pyproject["tool"]["setuptools"]["package-data"]["loglake"]
        for path in package.glob(pattern)
    }
    web = [
        path
        for path in (package / "web").rglob("*")
        if path.is_file() and path.suffix not in {".py", ".pyc"}
    ]
    area_templates = [p for p in web if "blueprints" in p.parts and p.suffix == ".html"]
    assert len(area_templates) >= 14  # the pages of the built-in areas
    assert sorted(set(web) - shipped) == []
