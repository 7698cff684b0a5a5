"""The `interactions` stream: one row per question asked of an app's assistant (chatbot).

Derived after each commit from `events` (analytics/interactions_derive.py), never parsed:
a question's records (arrival, context fetches, model calls, completion, rating) become one
row, counted once however many records mention it. The common columns point at its first
record; `last_*` at its last one.
"""

from __future__ import annotations

from loglake.schema.base import COMMON, Column, StreamSpec

SPEC = StreamSpec(
    name="interactions",
    doc="One row per question asked of an app's assistant, derived from events.",
    columns=(
        *COMMON,
        Column("interaction_id", "str", "stable id: the first record's file id and offset"),
        Column("request_id", "str", "the correlation id its records share (e.g. req.id)"),
        Column("user", "str", "user who asked"),
        Column("subject", "str", "what the question is about (e.g. a deal id)"),
        Column("question", "str", "the question as asked"),
        Column("question_norm", "str", "the question normalized: case, punctuation, numbers"),
        Column("question_group", "str", "near-duplicate group: its content words, sorted"),
        Column("topics", "str", "JSON array of the key phrases it mentions (product names)"),
        Column("answer", "str", "the answer (first 4096 characters)"),
        Column("answer_length", "i64", "length of the answer in characters"),
        Column("response_ms", "f64", "processing time the completion reports, in ms"),
        Column("outcome", "str", "answered or failed"),
        Column("failure_reason", "str", "error_level, error_field or no_completion"),
        Column("error", "str", "the error text of a failed interaction"),
        Column("satisfaction", "f64", "the user's rating scaled to 0..1 (thumbs down = 0)"),
        Column("rating", "str", "the rating as logged"),
        Column("tokens", "i64", "total tokens the completion reports"),
        Column("model", "str", "model that answered"),
        Column("records", "i32", "records of this question"),
        Column("last_ts", "ts", "time of its last record"),
        Column("last_file_id", "str", "file id of its last record"),
        Column("last_offset", "i64", "byte offset of its last record"),
        Column("last_length", "i64", "length of its last record"),
        Column("record_refs", "str", "JSON array of [file_id, offset, length] of every record"),
    ),
)
