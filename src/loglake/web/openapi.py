"""The OpenAPI 3 document, generated from the question specs in analytics/params.py."""

from __future__ import annotations

from typing import Any

from loglake.analytics.params import QUESTIONS, Param

_ERROR = {
    "description": "error",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["ok", "error", "status"],
                "properties": {
                    "ok": {"type": "boolean", "enum": [False]},
                    "error": {"type": "string"},
                    "status": {"type": "integer"},
                },
            }
        }
    },
}

# keys every answer of a question carries (the rest is documented in the README)
_REQUIRED: dict[str, list[str]] = {
    "summary": ["count", "total_duration_ms", "p50_ms", "p95_ms", "p99_ms", "first_ts", "last_ts"],
    "patterns": ["rows", "group_by"],
    "trend": ["series", "sample", "bucket_seconds"],
    "slow_queries": ["rows", "total"],
    "detail": ["raw", "record"],
    "workload": ["by_db", "by_collection", "by_op"],
    "heatmap": ["cells"],
    "auth_summary": ["success", "failure", "by_user", "by_ip", "by_mechanism", "timeline"],
    "auth_logs": ["rows", "total"],
    "connections": ["accepted", "ended", "peak_open", "unique_hosts", "timeline"],
    "search": ["rows", "total"],
}

_KINDS: dict[str, dict[str, Any]] = {
    "str": {"type": "string", "maxLength": 500},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "datetime": {"type": "string", "format": "date-time"},
    "bool": {"type": "boolean"},
}


def _schema(p: Param) -> dict[str, Any]:
    if p.kind == "enum":
        schema: dict[str, Any] = {"type": "string", "enum": list(p.choices)}
    else:
        schema = dict(_KINDS[p.kind])
    if p.minimum is not None:
        schema["minimum"] = p.minimum
    if p.maximum is not None:
        schema["maximum"] = p.maximum
    if p.default is not None:
        schema["default"] = p.default
    return schema


def _operation(question: str) -> dict[str, Any]:
    spec = QUESTIONS[question]
    responses: dict[str, Any] = {
        "200": {
            "description": spec.summary,
            "content": {
                "application/json": {
                    "schema": {"type": "object", "required": _REQUIRED.get(question, [])}
                }
            },
        },
        "400": _ERROR,
        "503": _ERROR,
    }
    if question == "detail":
        responses["404"] = _ERROR
    return {
        "operationId": question,
        "summary": spec.summary,
        "parameters": [
            {
                "name": p.name,
                "in": "query",
                "required": question == "detail",
                "description": p.help,
                "schema": _schema(p),
            }
            for p in spec.params
        ],
        "responses": responses,
    }


def openapi_document(routes: dict[str, str], server: str) -> dict[str, Any]:
    """OpenAPI 3.0 for every route of the JSON API."""
    paths: dict[str, Any] = {route_path: {"get": _operation(q)} for route_path, q in routes.items()}
    paths["/status"] = {
        "get": {
            "operationId": "status",
            "summary": "Manifest summary, query engine and degraded features",
            "responses": {
                "200": {
                    "description": "status",
                    "content": {
                        "application/json": {
                            "schema": {"type": "object", "required": ["engine", "degraded"]}
                        }
                    },
                }
            },
        }
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "loglake API",
            "version": "1",
            "description": "Questions over the log lake. Errors: {ok: false, error, status}.",
        },
        "servers": [{"url": f"{server}/api"}],
        "paths": paths,
    }
