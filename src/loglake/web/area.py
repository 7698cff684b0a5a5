"""An area of the UI: a blueprint that declares its own entries in the navigation.

The menu is read from the areas an app has registered (`navigation`), so a new area is its
blueprint package plus one line in `blueprints.BLUEPRINTS`, never an edit to a shared list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Flask

View = TypeVar("View", bound=Callable[..., Any])


class Area(Blueprint):
    """A blueprint of pages listed in the navigation under one section."""

    def __init__(self, name: str, import_name: str, section: str, **options: Any) -> None:
        super().__init__(name, import_name, **options)
        self.section = section
        # (endpoint without the blueprint's name, label) in declaration order: menu order
        self.nav: list[tuple[str, str]] = []

    def page(self, rule: str, label: str, **options: Any) -> Callable[[View], View]:
        """Route `rule` to the view and list it in the navigation as `label`."""

        def register(view: View) -> View:
            self.nav.append((options.get("endpoint") or view.__name__, label))
            return self.route(rule, **options)(view)

        return register


def navigation(app: Flask) -> list[tuple[str, list[tuple[str, str]]]]:
    """`(section, [(endpoint, label), …])` of the app's registered areas, in their order."""
    sections: dict[str, list[tuple[str, str]]] = {}
    # the key is the name the blueprint was registered under: the prefix of its endpoints
    for name, blueprint in app.blueprints.items():
        if isinstance(blueprint, Area):
            entries = sections.setdefault(blueprint.section, [])
            entries.extend((f"{name}.{endpoint}", label) for endpoint, label in blueprint.nav)
    return [(section, entries) for section, entries in sections.items() if entries]


def title_of(app: Flask, endpoint: str | None) -> str | None:
    """The navigation label of an endpoint, or None for a page the menu does not list."""
    for _section, entries in navigation(app):
        for listed, label in entries:
            if listed == endpoint:
                return label
    return None
