"""Push ingest: `POST /api/ingest` with a body of records (`application/x-ndjson`).

The body (optionally `Content-Encoding: gzip`, at most `max_push_mb` once decompressed)
holds records of any format the sniffers know, one per line; it joins the next batch
(`ingest/batcher.py`) and the response is sent once that batch has committed: 200 with
`accepted`, `rejected` and the reasons, or an error saying what to do. An
`Idempotency-Key` header makes a retry safe: the same key adds its records once. Programs
need no CSRF token when they send no session cookie (`web/security.py`); the token rules
apply as to any request.
"""

from __future__ import annotations

import zlib

from flask import Response, current_app, request

from loglake.analytics.metrics import Metrics
from loglake.errors import ConfigError, LoglakeError
from loglake.ingest.batcher import PushBatcher, PushError
from loglake.ingest.push import MAX_KEY, Payload
from loglake.web.api import json_error, json_response
from loglake.web.security import PUSH_TYPES

IDEMPOTENCY_HEADER = "Idempotency-Key"
MB = 1024 * 1024
CHUNK = 1024 * 1024


class BodyTooLargeError(Exception):
    """The body passed the push limit."""


def is_push() -> bool:
    """True when the request to /api/ingest carries records rather than an upload's JSON."""
    return request.mimetype in PUSH_TYPES


def _read_body(limit: int) -> bytes:
    """The request body, decompressed when gzip, refused past `limit` bytes."""
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip"):
        raise ConfigError(f"Content-Encoding {encoding} is not supported: send gzip or none")
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS) if encoding == "gzip" else None
    parts: list[bytes] = []
    size = 0
    while chunk := request.stream.read(CHUNK):
        if inflate is not None:
            try:
                chunk = inflate.decompress(chunk, limit + 1 - size)
            except zlib.error as exc:
                raise ConfigError(f"the body is not valid gzip ({exc})") from None
            if inflate.unconsumed_tail:
                raise BodyTooLargeError
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError
        parts.append(chunk)
    if inflate is not None and not inflate.eof:
        raise ConfigError("the gzip body is truncated")
    return b"".join(parts)


def receive_push() -> Response:
    """Queue the pushed records, wait for their commit and say what was added."""
    batcher: PushBatcher = current_app.extensions["loglake_push"]
    metrics: Metrics = current_app.extensions["loglake_metrics"]
    limit = batcher.settings.max_push_mb * MB
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip() or None
    too_large = f"the body is larger than the push limit of {batcher.settings.max_push_mb} MB"
    if key is not None and len(key) > MAX_KEY:
        return _answer(metrics, json_error(400, f"{IDEMPOTENCY_HEADER} is over {MAX_KEY} chars"))
    if request.content_length is not None and request.content_length > limit:
        return _answer(metrics, json_error(413, too_large + ": split it into batches"))
    request.max_content_length = limit
    try:
        data = _read_body(limit)
    except BodyTooLargeError:
        return _answer(metrics, json_error(413, too_large + ": split it into batches"))
    except ConfigError as exc:
        return _answer(metrics, json_error(400, str(exc)))
    if not data.strip():
        return _answer(metrics, json_error(400, "the body holds no records"))
    fmt = request.args.get("format") or None
    try:
        result = batcher.push(Payload(data, key, name="push"), fmt)
    except PushError as exc:
        return _answer(metrics, json_error(503, str(exc)))
    except LoglakeError as exc:
        return _answer(metrics, json_error(400, str(exc)))
    if result.get("accepted") or (result.get("duplicate") and not result.get("rejected")):
        return _answer(metrics, json_response({"ok": True, **result}))
    reasons = ", ".join(f"{k}: {v}" for k, v in result.get("reasons", {}).items())
    error = f"no record could be read ({reasons or 'no records'}); check the format"
    return _answer(
        metrics, json_response({**result, "ok": False, "error": error, "status": 422}, 422)
    )


def _answer(metrics: Metrics, response: Response) -> Response:
    """Count the push's answer by status, and return it."""
    metrics.count_push(response.status_code)
    return response
