"""GraphQL at /graphql: queries by POST (JSON) or GET (?query=), GraphiQL for a browser, and
the schema's SDL at /graphql/schema.graphql. The schema is `web/gql/`.

The app's token rule covers these routes like every other; a POST must be JSON (which no
cross-site form can send, see `security.py`). GraphiQL is the vendored build in
static/vendor/, so the page works offline under the app's content security policy (its
stylesheet embeds its fonts as data: URLs, which this page alone allows).
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Blueprint, Response, g, render_template, request

from loglake.errors import InputError
from loglake.web.security import HEADERS

# not an Area: GraphiQL is a page of its own, outside the menu and the base template
area = Blueprint("graphql", __name__, template_folder="templates")

GRAPHIQL_CSP = HEADERS["Content-Security-Policy"] + "; font-src 'self' data:"


def _reply(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status=status, mimetype="application/json")


def _request() -> tuple[str, dict[str, Any] | None, str | None]:
    """The query, its variables and the operation name, from a JSON body or the URL."""
    if request.method == "GET":
        raw = request.args.get("variables")
        try:
            variables = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            raise InputError("variables: not a JSON object") from None
        body: Any = {
            "query": request.args.get("query"),
            "variables": variables,
            "operationName": request.args.get("operationName"),
        }
    else:
        if request.mimetype != "application/json":
            raise InputError("send the query as JSON with Content-Type: application/json")
        try:
            body = orjson.loads(request.get_data(cache=False))
        except orjson.JSONDecodeError as exc:
            raise InputError(f"the request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        raise InputError('send {"query": "{ summary { interactions } }"}')
    variables = body.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise InputError("variables: not a JSON object")
    operation = body.get("operationName")
    return body["query"], variables, operation if isinstance(operation, str) else None


def execute() -> Response:
    """Run one GraphQL document; errors in the GraphQL shape (`{"errors": [...]}`)."""
    from loglake.web.gql.asker import Asker
    from loglake.web.gql.schema import SCHEMA

    try:
        query, variables, operation = _request()
    except InputError as exc:
        return _reply({"errors": [{"message": str(exc)}]}, 400)
    result = SCHEMA.execute_sync(
        query,
        variable_values=variables,
        context_value={"asker": Asker(g.analytics)},
        operation_name=operation,
    )
    out: dict[str, Any] = {"data": result.data}
    if result.errors:
        out["errors"] = [error.formatted for error in result.errors]
    # a document that did not validate ran nothing: the client's error
    return _reply(out, 400 if result.data is None and result.errors else 200)


@area.route("/graphql", methods=["GET", "POST"])
def graphql() -> Response:
    """GraphiQL for a browser; a query for anyone else."""
    if request.method == "POST" or "query" in request.args:
        return execute()
    page = Response(render_template("graphql/graphiql.html"))
    page.headers["Content-Security-Policy"] = GRAPHIQL_CSP
    return page


@area.get("/graphql/schema.graphql")
def schema_sdl() -> Response:
    """The schema in SDL, for code generators and clients."""
    from loglake.web.gql.schema import sdl

    return Response(sdl(), mimetype="text/plain")
