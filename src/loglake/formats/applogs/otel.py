"""OpenTelemetry's JSON (OTLP/JSON, as the collector's file exporter writes it): one
`resourceLogs` envelope holds many log records, each made a flat record here.

A record gets its resource's and its own attributes as plain fields (`service.name`,
`host.name`, `http.request.method`…), so the common-name detection of `fields.py` finds
them; `body` and every `AnyValue` are unwrapped to plain JSON values.
"""

from __future__ import annotations

from typing import Any

Record = dict[str, Any]

_SCALARS = ("stringValue", "boolValue", "doubleValue", "bytesValue")


def any_value(value: Any) -> Any:
    """An OTLP `AnyValue` (`{"stringValue": "x"}`, `{"intValue": "3"}`, arrays, maps) as
    a plain value."""
    if not isinstance(value, dict):
        return value
    for key in _SCALARS:
        if key in value:
            return value[key]
    if "intValue" in value:
        raw = value["intValue"]
        return int(raw) if isinstance(raw, str) and raw.lstrip("-").isdigit() else raw
    if "arrayValue" in value:
        return [any_value(v) for v in (value["arrayValue"] or {}).get("values", [])]
    if "kvlistValue" in value:
        return key_values((value["kvlistValue"] or {}).get("values", []))
    return value


def key_values(items: Any) -> Record:
    """OTLP attributes (`[{"key": k, "value": AnyValue}, …]`) as a dict."""
    out: Record = {}
    if isinstance(items, list):
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("key"), str):
                out[item["key"]] = any_value(item.get("value"))
    return out


def is_envelope(doc: Record) -> bool:
    """Whether a JSON object is an OTLP logs envelope."""
    return isinstance(doc.get("resourceLogs"), list)


def flat_records(doc: Record) -> list[Record]:
    """The log records of an OTLP envelope, flattened (empty when it holds none)."""
    out: list[Record] = []
    for resource_logs in doc.get("resourceLogs") or ():
        if not isinstance(resource_logs, dict):
            continue
        resource = key_values((resource_logs.get("resource") or {}).get("attributes"))
        for scope_logs in resource_logs.get("scopeLogs") or resource_logs.get("scope_logs") or ():
            if not isinstance(scope_logs, dict):
                continue
            scope = scope_logs.get("scope") or {}
            for log in scope_logs.get("logRecords") or ():
                if isinstance(log, dict):
                    out.append(flat_record(log, resource, scope))
    return out


def flat_record(log: Record, resource: Record, scope: Any) -> Record:
    """One OTLP log record with its resource's and its own attributes as fields."""
    record: Record = dict(resource)
    record.update(key_values(log.get("attributes")))
    if isinstance(scope, dict) and scope.get("name"):
        record["scope"] = scope["name"]
    for key, value in log.items():
        if key == "attributes":
            continue
        record[key] = any_value(value) if key == "body" else value
    return record
