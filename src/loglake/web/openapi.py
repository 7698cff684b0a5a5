"""The OpenAPI 3 document, generated from the question registry (analytics/registry.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from loglake.analytics.params import Param
    from loglake.analytics.registry import Question

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

# operations with a request body (api.POST_ROUTES): summary, body schema, required answer keys
_ANSWER_KEYS = ["question", "intent", "answer", "facts", "patterns", "time_range"]
_BODIES: dict[str, tuple[str, dict[str, Any], list[str]]] = {
    "ask": (
        "A grounded answer to a question in plain words (no LLM); intent unknown -> can_ask",
        {
            "type": "object",
            "required": ["q"],
            "properties": {"q": {"type": "string", "maxLength": 500}},
        },
        _ANSWER_KEYS,
    ),
    "current_op": (
        "db.currentOp() output analyzed: long-running ops, lock waits, collection scans",
        {
            "type": "object",
            "description": "the db.currentOp() document ({inprog: [...]}), or {text: pasted text}",
            "properties": {
                "inprog": {"type": "array", "items": {"type": "object"}},
                "text": {"type": "string"},
            },
        },
        ["totals", "ops", "long_running", "lock_waits", "collscans", "by_client", "by_app",
         "by_namespace"],
    ),
}  # fmt: skip

_KINDS: dict[str, dict[str, Any]] = {
    "str": {"type": "string", "maxLength": 500},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "datetime": {"type": "string", "format": "date-time"},
    "bool": {"type": "boolean"},
    "fields": {"type": "object", "additionalProperties": {"type": "string"}},
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


def _operation(question: Question) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {
            "description": question.summary,
            "content": {
                "application/json": {
                    "schema": {"type": "object", "required": list(question.answer_keys)}
                }
            },
        },
        "400": _ERROR,
        "503": _ERROR,
    }
    if question.not_found:
        responses["404"] = _ERROR
    operation: dict[str, Any] = {
        "operationId": question.name,
        "summary": question.summary,
        "parameters": [
            {
                "name": p.name,
                "in": "query",
                "required": p.required,
                "description": p.help,
                "schema": _schema(p),
            }
            for p in question.params
        ],
        "responses": responses,
    }
    if question.streams:
        operation["tags"] = [str(stream) for stream in question.streams]
    return operation


def _answer_schema(description: str, required: list[str]) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"type": "object", "required": required}}},
    }


def _post_operation(name: str) -> dict[str, Any]:
    """A POST operation with a JSON request body."""
    summary, body, required = _BODIES[name]
    operation: dict[str, Any] = {
        "operationId": name,
        "summary": summary,
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "responses": {
            "200": _answer_schema(summary, required),
            "400": _ERROR,
            "413": _ERROR,
            "415": _ERROR,
            "503": _ERROR,
        },
    }
    if name == "current_op":
        operation["parameters"] = [
            {
                "name": "long_running_secs",
                "in": "query",
                "required": False,
                "description": "seconds after which a running op counts as long-running",
                "schema": {"type": "number", "minimum": 0, "default": 5.0},
            }
        ]
    return operation


def _ask_get() -> dict[str, Any]:
    """GET /ask?q=… (the same answer as POST, for convenience)."""
    summary, _, required = _BODIES["ask"]
    return {
        "operationId": "ask_get",
        "summary": summary,
        "parameters": [
            {
                "name": "q",
                "in": "query",
                "required": True,
                "description": "the question, e.g. why is shop.orders slow?",
                "schema": {"type": "string", "maxLength": 500},
            }
        ],
        "responses": {"200": _answer_schema(summary, required), "400": _ERROR, "503": _ERROR},
    }


def upload_paths() -> dict[str, Any]:
    """The upload endpoints (web/upload.py): store a file, ingest a batch (or push records:
    README, "Push ingest"), follow the job; and the metrics as JSON (web/metrics.py)."""
    batch = {"type": "string", "pattern": "^[0-9a-f]{16}$"}
    job = {
        "description": "the job: state (running, done, failed), phase, done, total, percent, "
        "report or error",
        "content": {"application/json": {"schema": {"type": "object", "required": ["state"]}}},
    }
    return {
        "/uploads": {
            "post": {
                "operationId": "upload",
                "summary": "Store one log file (the raw body) in an upload batch; needs the "
                "page's X-CSRF-Token header",
                "parameters": [
                    {"name": "batch", "in": "query", "required": True, "schema": batch},
                    {"name": "name", "in": "query", "required": True, "schema": {"type": "string"}},
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/octet-stream": {"schema": {"type": "string"}}},
                },
                "responses": {
                    "200": _answer_schema("stored", ["batch", "name", "bytes"]),
                    "400": _ERROR,
                    "403": _ERROR,
                    "413": _ERROR,
                },
            }
        },
        "/ingest": {
            "post": {
                "operationId": "ingest",
                "summary": "Ingest an uploaded batch in a separate process (202 with its job id); "
                "with Content-Type application/x-ndjson, push records (200 after their commit)",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["batch"],
                                "properties": {"batch": batch, "replace": {"type": "boolean"}},
                            }
                        }
                    },
                },
                "responses": {
                    "202": _answer_schema("started", ["job", "replace"]),
                    "400": _ERROR,
                    "409": _ERROR,
                },
            }
        },
        "/metrics": {
            "get": {
                "operationId": "metrics",
                "summary": "The Prometheus metrics of /metrics as JSON",
                "responses": {"200": _answer_schema("metrics", ["metrics"])},
            }
        },
        "/ingest/{job}": {
            "get": {
                "operationId": "ingest_status",
                "summary": "An ingest job's progress, and its report when done",
                "parameters": [{"name": "job", "in": "path", "required": True, "schema": batch}],
                "responses": {"200": job, "400": _ERROR, "404": _ERROR},
            }
        },
    }


def pg_paths() -> dict[str, Any]:
    """The live PostgreSQL advisor's routes beside its registry question (web/pg_api.py)."""
    ids = {"type": "string", "minLength": 1, "maxLength": 100}
    body = {
        "type": "object",
        "required": ["query_id", "rec_id"],
        "properties": {
            "query_id": ids,
            "rec_id": ids,
            "mode": {"type": "string", "enum": ["hypopg", "real"], "default": "hypopg"},
        },
    }
    chat = {
        "type": "object",
        "required": ["question"],
        "properties": {"question": {"type": "string", "maxLength": 500}, "query_id": ids},
    }
    errors = dict.fromkeys(("400", "404", "415", "429", "502", "503"), _ERROR)
    return {
        "/pg/queries/{query_id}": {
            "get": {
                "operationId": "pg_query",
                "summary": "One live statement: metrics over snapshots, plan facts, family, "
                "anomalies, recommendations and its stored simulations (newest first)",
                "parameters": [{"name": "query_id", "in": "path", "required": True, "schema": ids}],
                "responses": {
                    "200": _answer_schema(
                        "the statement", ["statement", "recommendations", "simulations"]
                    ),
                    "404": _ERROR,
                    "503": _ERROR,
                },
            }
        },
        "/pg/simulate": {
            "post": {
                "operationId": "pg_simulate",
                "summary": "A recommendation's effect: before/after plan cost, %Δ, plan changes "
                "(hypopg; real = sandbox copies), kept in the lake (pg_simulations)",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": body}},
                },
                "responses": {
                    "200": _answer_schema(
                        "the simulation",
                        [
                            "before_cost",
                            "after_cost",
                            "improvement_pct",
                            "plan_changes",
                            "simulation_id",
                            "stored",
                        ],
                    ),
                    **errors,
                },
            }
        },
        "/pg/chat": {
            "post": {
                "operationId": "pg_chat",
                "summary": "A templated answer about the live snapshots, citing stored facts",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": chat}},
                },
                "responses": {
                    "200": _answer_schema("the answer", ["intent", "answer", "facts"]),
                    **errors,
                },
            }
        },
    }


def openapi_document(
    questions: Iterable[Question], server: str, post_routes: dict[str, str] | None = None
) -> dict[str, Any]:
    """OpenAPI 3.0 for every route of the JSON API."""
    paths: dict[str, Any] = {q.route: {"get": _operation(q)} for q in questions if q.route}
    for route_path, name in (post_routes or {}).items():
        paths[route_path] = {"post": _post_operation(name)}
        if name == "ask":
            paths[route_path]["get"] = _ask_get()
    paths.update(upload_paths())
    paths.update(pg_paths())
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
