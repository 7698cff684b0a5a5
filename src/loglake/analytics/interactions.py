"""Questions over the `interactions` stream: what people ask an app's assistant, how fast
it answers, where it fails (`/api/interactions/...`, `loglake interactions ...`).

Every question takes the same filters (time, user, subject, topic, outcome, text in the
question or answer); SQL in `sql/interactions_*.sql`. This module is a plugin of the
question registry (`register_questions`); the rows come from `interactions_derive.py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from loglake.analytics import sql
from loglake.analytics.filters import where
from loglake.analytics.interactions_build import LOW_SATISFACTION
from loglake.analytics.logs import decode_cursor, encode_cursor
from loglake.analytics.params import CURSOR, FROM, TO, TZ, USER, Param, limit, parse_zone
from loglake.analytics.registry import Answer, Params, Question, on_cursor, on_session
from loglake.errors import NotFoundError
from loglake.schema import PARTITION_COLUMN, Stream

if TYPE_CHECKING:
    from loglake.analytics.registry import Registry
    from loglake.analytics.session import DuckSession

_STREAM = Stream.INTERACTIONS
_STREAMS = (Stream.INTERACTIONS,)
SUBJECT = Param("subject", "str", "what the question is about (e.g. a deal id)")
TOPIC = Param("topic", "str", "a key phrase the question mentions (see topics)")
OUTCOME = Param("outcome", "enum", "answered or failed only", None, ("answered", "failed"))
TEXT = Param("q", "str", "text in the question or the answer (any case)")
GROUP = Param("group", "str", "one group of near-duplicate questions (from top-questions)")
FILTERS = (FROM, TO, TZ, USER, SUBJECT, TOPIC, OUTCOME, TEXT, GROUP)
INTERVALS = ("day", "week", "month")
BY = {"user": '"user"', "subject": "subject", "model": "model"}
KINDS = {
    "all": "(outcome = 'failed' OR satisfaction < ?)",
    "failed": "outcome = 'failed'",
    "unhappy": "satisfaction < ?",
}
RECORD_CHARS = 8000  # a raw record of an interaction's detail is cut here


def _where(params: Params, extra: str = "", extra_values: tuple[Any, ...] = ()) -> Any:
    """The filters' WHERE clause over interactions (`q` searches question and answer)."""
    clauses, values = [extra] if extra else [], list(extra_values)
    text = params.get("q")
    if text:
        clauses.append("(contains(lower(question), ?) OR contains(lower(answer), ?))")
        values += [text.lower()] * 2
    return where(_STREAM, params, " AND ".join(clauses), tuple(values))


def summary(cur: Any, params: Params) -> Answer:
    """How many questions, users, failures and unhappy answers; response time percentiles."""
    clause, values = _where(params)
    text = sql.render("interactions_summary", where=clause, low=repr(LOW_SATISFACTION))
    row = sql.fetch_one(cur, text, values)
    return {
        "interactions": row["interactions"],
        "users": row["users"],
        "failed": row["failed"],
        "low_satisfaction": row["low_satisfaction"],
        "rated": row["rated"],
        "failure_rate": row["failed"] / row["interactions"] if row["interactions"] else None,
        "response_ms": {k: row[f"{k}_ms"] for k in ("avg", "p50", "p95", "p99")},
        "first_ts": sql.iso(row["first_ts"]),
        "last_ts": sql.iso(row["last_ts"]),
    }


def counts(cur: Any, params: Params) -> Answer:
    """Interactions and unique users per day, week or month in a time zone."""
    parse_zone(params.get("tz"))  # validated: a bad zone is a 400
    clause, values = _where(params)
    text = sql.render("interactions_counts", where=clause, interval=params["interval"])
    rows = sql.fetch(cur, text, [params.get("tz") or "UTC", *values])
    return {"interval": params["interval"], "tz": params.get("tz") or "UTC", "rows": rows}


def top_questions(cur: Any, params: Params) -> Answer:
    """The most common questions, near-duplicates grouped, with examples."""
    clause, values = _where(params)
    rows = sql.fetch(
        cur, sql.render("interactions_top_questions", where=clause), [*values, params["limit"]]
    )
    groups = rows[0]["groups"] if rows else 0
    for row in rows:
        del row["groups"]
    return {"groups": groups, "rows": rows}


def topics(cur: Any, params: Params) -> Answer:
    """Key phrases (product, fund names) mined from the questions, by interactions."""
    clause, values = _where(params)
    rows = sql.fetch(
        cur, sql.render("interactions_topics", where=clause), [*values, params["limit"]]
    )
    return {"rows": rows}


def by(cur: Any, params: Params) -> Answer:
    """Interactions per user, subject or model."""
    clause, values = _where(params)
    text = sql.render(
        "interactions_by", where=clause, key=BY[params["by"]], low=repr(LOW_SATISFACTION)
    )
    rows = sql.fetch(cur, text, [*values, params["limit"]])
    groups = rows[0]["groups"] if rows else 0
    for row in rows:
        del row["groups"]
        row["last_ts"] = sql.iso(row["last_ts"])
    return {"by": params["by"], "groups": groups, "rows": rows}


def failures(cur: Any, params: Params) -> Answer:
    """Failed and unhappy interactions, newest first, with the reason; counts by reason."""
    kind = KINDS[params["kind"]]
    bound = (LOW_SATISFACTION,) * kind.count("?")
    clause, values = _where(params, kind, bound)
    rows = sql.fetch(
        cur, sql.render("interactions_failures", where=clause), [*values, params["limit"]]
    )
    reasons = sql.fetch(cur, sql.render("interactions_reasons", where=clause), values)
    for row in rows:
        row["ts"] = sql.iso(row["ts"])
    return {
        "total": sum(r["count"] for r in reasons),
        "reasons": {r["reason"]: r["count"] for r in reasons},
        "rows": rows,
    }


def _after(cursor: str) -> tuple[str, tuple[Any, ...]]:
    """Rows after the cursor in the order (ts, file_id, file_offset descending)."""
    ts_us, file_id, file_offset = decode_cursor(cursor)
    clause = (
        f"{PARTITION_COLUMN} <= CAST(make_timestamp(?) AS DATE) AND (epoch_us(ts) < ? OR "
        "(epoch_us(ts) = ? AND (file_id < ? OR (file_id = ? AND file_offset < ?))))"
    )
    return clause, (ts_us, ts_us, ts_us, file_id, file_id, file_offset)


def listing(cur: Any, params: Params) -> Answer:
    """One page of interactions, newest first, the exact total and the next cursor."""
    clause, values = _where(params)
    total = sql.fetch_one(cur, sql.render("interactions_count", where=clause), values)["total"]
    if params.get("cursor"):
        clause, values = _where(params, *_after(params["cursor"]))
    rows = sql.fetch(cur, sql.render("interactions_list", where=clause), [*values, params["limit"]])
    last = rows[-1] if len(rows) == params["limit"] else None
    next_cursor = (
        encode_cursor(last["ts_us"], last["file_id"], last["file_offset"]) if last else None
    )
    for row in rows:
        row.pop("ts_us")
        row["ts"], row["last_ts"] = sql.iso(row["ts"]), sql.iso(row["last_ts"])
        row["topics"] = orjson.loads(row["topics"]) if row["topics"] else []
    return {"rows": rows, "total": total, "next_cursor": next_cursor, "limit": params["limit"]}


def detail(session: DuckSession, params: Params) -> Answer:
    """One interaction (the newest without an id) and every record of it in order, raw
    entries included."""
    with session.snapshot() as cur:
        if params.get("interaction_id") is None:  # the newest one
            newest = sql.fetch(cur, sql.render("interactions_list", where=""), [1])
            if not newest:
                return {"interaction": None, "records": []}
            params = {**params, "interaction_id": newest[0]["interaction_id"]}
        rows = sql.fetch(cur, sql.load("interactions_detail"), [params["interaction_id"]])
    if not rows:
        raise NotFoundError(
            f"no interaction {params['interaction_id']!r}; ids come from /api/interactions"
        )
    row = rows[0]
    refs = orjson.loads(row.pop("record_refs") or "[]")
    row.pop("ts_us")
    row["ts"], row["last_ts"] = sql.iso(row["ts"]), sql.iso(row["last_ts"])
    row["topics"] = orjson.loads(row["topics"]) if row["topics"] else []
    records = []
    for file_id, offset, length in refs:
        raw = session.reader.read_line(file_id, offset, length)[:RECORD_CHARS]
        text = raw.decode("utf-8", "replace")
        try:
            parsed = orjson.loads(raw)
        except orjson.JSONDecodeError:
            parsed = None
        records.append({"file_id": file_id, "file_offset": offset, "raw": text, "record": parsed})
    return {"interaction": row, "records": records}


QUESTIONS = (
    Question(
        "interactions_summary",
        "Assistant questions: how many, from how many users, failed, unhappy; response time",
        FILTERS,
        duckdb=on_cursor(summary),
        route="/interactions/summary",
        streams=_STREAMS,
        precompute=True,
        answer_keys=("interactions", "users", "failed", "low_satisfaction", "response_ms"),
    ),
    Question(
        "interactions_counts",
        "Assistant questions and unique users per day, week or month (time zone tz)",
        (*FILTERS, Param("interval", "enum", "bucket of the counts", "day", INTERVALS)),
        duckdb=on_cursor(counts),
        route="/interactions/counts",
        streams=_STREAMS,
        answer_keys=("rows",),
    ),
    Question(
        "interactions_top_questions",
        "The most common questions (normalized, near-duplicates grouped) with examples",
        (*FILTERS, limit(20, maximum=1000)),
        duckdb=on_cursor(top_questions),
        route="/interactions/top-questions",
        streams=_STREAMS,
        answer_keys=("rows",),
    ),
    Question(
        "interactions_topics",
        "Key phrases (product or fund names) the questions mention, by interactions",
        (*FILTERS, limit(20, maximum=1000)),
        duckdb=on_cursor(topics),
        route="/interactions/topics",
        streams=_STREAMS,
        answer_keys=("rows",),
    ),
    Question(
        "interactions_failures",
        "Failed and unhappy assistant answers, newest first, with the reason",
        (
            *FILTERS,
            Param("kind", "enum", "failed, unhappy (low rating) or all", "all", tuple(KINDS)),
            limit(50, maximum=1000),
        ),
        duckdb=on_cursor(failures),
        route="/interactions/failures",
        streams=_STREAMS,
        answer_keys=("total", "reasons", "rows"),
    ),
    Question(
        "interactions_by",
        "Assistant questions per user, subject or model: count, failed, response time",
        (*FILTERS, Param("by", "enum", "what to count by", "user", tuple(BY)), limit(20, 1000)),
        duckdb=on_cursor(by),
        route="/interactions/by",
        streams=_STREAMS,
        answer_keys=("rows",),
    ),
    Question(
        "interactions",
        "Assistant questions filtered by time, user, subject, topic, outcome, text; newest "
        "first, keyset-paginated",
        (*FILTERS, CURSOR, limit(50, maximum=1000)),
        duckdb=on_cursor(listing),
        route="/interactions",
        streams=_STREAMS,
        answer_keys=("rows", "total", "next_cursor"),
    ),
    Question(
        "interactions_detail",
        "One assistant question and every record of it in order, raw entries included",
        (Param("interaction_id", "str", "the id (from /api/interactions); none: the newest"),),
        duckdb=on_session("loglake.analytics.interactions:detail"),
        route="/interactions/detail",
        streams=(Stream.INTERACTIONS, Stream.EVENTS),
        answer_keys=("interaction", "records"),
        not_found=True,
    ),
)


def register_questions(registry: Registry) -> None:
    """The plugin hook: add the interaction questions."""
    for question in QUESTIONS:
        registry.add(question)
