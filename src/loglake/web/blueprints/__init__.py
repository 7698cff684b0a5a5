"""The HTML pages: one blueprint per area, each a package with its routes and templates/<area>/.

`create_app` registers BLUEPRINTS in this order, which is also the navigation's order; an
area's pages appear in the menu because its blueprint is registered (see `web/area.py`).
"""

from __future__ import annotations

from flask import Blueprint

from loglake.web.blueprints import (
    alerts,
    graphql,
    interactions,
    logs,
    overview,
    pg_advisor,
    postgres,
    queries,
    templates,
    tools,
)
from loglake.web.blueprints.common import common

BLUEPRINTS: tuple[Blueprint, ...] = (
    common,
    overview.area,
    queries.area,
    postgres.area,
    pg_advisor.area,
    logs.area,
    templates.area,
    alerts.area,
    interactions.area,
    tools.area,
    graphql.area,
)

__all__ = ["BLUEPRINTS"]
