"""Records of an app's assistant -> one interaction per question (pure functions).

Records sharing a correlation id (`req.id`; the user when there is none) are read in time
order. A record carrying the question and no answer or response time is an *arrival* and
opens an interaction; one carrying the question with an answer or a response time is its
*completion* and closes the latest open interaction of the same question text (with none
open, it is an interaction of its own whose arrival was not logged); a rating is given to
the latest interaction of its question (of the correlation id when it names none); every
other record (context fetched, model called, an error) belongs to the question that arrived
last while it is still open, or to none (an application error; an abandoned question does
not collect the errors of later ones). Several questions may share one id: the question text and
the order keep them apart. An interaction failed when one of its records is at level ERROR
or above (`error_level`) or has an error field (`error_field`), or when it never completed
(`no_completion`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

ANSWER_CHARS = 4096
LOW_SATISFACTION = 0.5  # a satisfaction below this is an unhappy answer
_FAILING_LEVELS = frozenset({"ERROR", "FATAL"})
_NUMBER = re.compile(r"[$€£]?\d[\d,.]*%?")
_PUNCT = re.compile(r"[^\w#\s]+")
_SPACES = re.compile(r"\s+")
_STOP = frozenset(
    """a an the is are was were be been am do does did doing have has had i me my we our you
    your it its this that these those to of in on at for from with by about as and or but if
    so than then what whats which who whom whose when where why how can could would should
    will shall may might must please hi hello hey thanks thank tell know want wondering
    s t d ll m re ve there here any some just also still""".split()  # noqa: SIM905 - as text
)
_PHRASE = re.compile(r"\b[A-Z][\w&'-]*(?:\s+[A-Z][\w&'-]*)*")
_SENTENCE_END = re.compile(r"(?:^|[.?!:;,]\s*)$")


@dataclass(slots=True)
class Record:
    """One events row as the derivation reads it (roles already picked by the profile)."""

    ts_us: int
    host: str | None
    file_id: str
    file_offset: int
    line_length: int
    level: str | None
    corr: str
    question: str | None = None
    answer: str | None = None
    response_ms: float | None = None
    error: str | None = None
    rating: str | None = None
    user: str | None = None
    subject: str | None = None
    tokens: float | None = None
    model: str | None = None
    answer_length: float | None = None

    @property
    def phase(self) -> int:
        """0 arrival, 1 anything else, 2 completion, 3 rating: the order of equal times."""
        if self.rating is not None:
            return 3
        if self.question is not None:
            return 2 if self.answer is not None or self.response_ms is not None else 0
        return 1


@dataclass
class _Open:
    first: Record
    records: list[Record] = field(default_factory=list)
    completion: Record | None = None
    rating: Record | None = None


def normalize(question: str) -> str:
    """Case, punctuation and numbers away: `What's the fee on $5,000?` -> `what s the fee on #`."""
    text = _NUMBER.sub(" # ", question.lower())
    return _SPACES.sub(" ", _PUNCT.sub(" ", text)).strip()


def group_key(norm: str) -> str:
    """Near-duplicates share a key: the content words of the normalized text, sorted."""
    words = {w.removesuffix("s") if len(w) > 3 else w for w in norm.split() if w not in _STOP}
    return " ".join(sorted(words)) or norm


def phrases(question: str) -> list[str]:
    """Capitalized phrases not at a sentence's start (names: `Green Energy Fund`)."""
    found = []
    for match in _PHRASE.finditer(question):
        words = match.group().split()
        if _SENTENCE_END.search(question[: match.start()]):
            words = words[1:]  # the sentence's first word is capitalized anyway
        while words and words[0].lower() in _STOP:
            words = words[1:]
        if words and not (len(words) == 1 and len(words[0]) < 3):
            found.append(" ".join(words))
    return found


def vocabulary(questions: Iterable[str]) -> list[str]:
    """The phrases named in these questions, longest first (so a longer name wins)."""
    seen = {p.lower(): p for q in questions for p in phrases(q)}
    return sorted(seen.values(), key=lambda p: (-len(p), p))


def topics_of(norm: str, vocab: list[str]) -> list[str]:
    """The vocabulary's phrases a normalized question mentions (any case), each once."""
    padded, found = f" {norm} ", []
    for phrase in vocab:
        key = f" {normalize(phrase)} "
        if key in padded:
            found.append(phrase)
            padded = padded.replace(key, " | ")
    return sorted(found)


def satisfaction(raw: str | None) -> float | None:
    """A rating to 0..1: 1-5 stars, 0-10, a fraction, thumbs up/down, true/false."""
    if raw is None:
        return None
    text = raw.strip().lower()
    if text in ("up", "thumbs_up", "thumbsup", "positive", "good", "like", "true", "yes", "+1"):
        return 1.0
    if text in ("down", "thumbs_down", "thumbsdown", "negative", "bad", "dislike", "false", "no"):
        return 0.0
    try:
        value = float(text)
    except ValueError:
        return None
    if 1 <= value <= 5 and value.is_integer():
        return (value - 1) / 4
    if 0 <= value <= 1:
        return value
    return value / 10 if 0 <= value <= 10 else None


def interactions(records: list[Record]) -> Iterator[_Open]:
    """The interactions of the records of one correlation id."""
    records.sort(key=lambda r: (r.ts_us, r.phase, r.file_id, r.file_offset))
    opened: list[_Open] = []
    done: list[_Open] = []
    latest: Record | None = None  # the last question that arrived
    for record in records:
        phase = record.phase
        if phase == 0:
            opened.append(_Open(record, [record]))
            latest = record
        elif phase == 2:
            # the latest open one of the same text: a question asked again answers the retry
            match = next((o for o in reversed(opened) if o.first.question == record.question), None)
            if match is None:
                match = _Open(record)
            else:
                opened.remove(match)
            match.records.append(record)
            match.completion = record
            done.append(match)
        elif phase == 3:
            pool = [*opened, *done]
            target = max(
                (o for o in pool if record.question in (None, o.first.question)),
                key=lambda o: o.first.ts_us,
                default=None,
            )
            if target is not None:
                target.records.append(record)
                target.rating = record
        elif opened and opened[-1].first is latest:
            opened[-1].records.append(record)
    yield from done
    yield from opened


def _error_text(raw: str | None) -> str | None:
    if raw and raw.startswith("{"):
        try:
            doc = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return raw
        if isinstance(doc, dict):
            return str(doc.get("message") or doc.get("type") or raw)
    return raw


def _failure(found: _Open) -> tuple[str | None, str | None]:
    for record in found.records:
        if record.level in _FAILING_LEVELS:
            return "error_level", _error_text(record.error) or _message(record)
    for record in found.records:
        if record.error is not None:
            return "error_field", _error_text(record.error)
    if found.completion is None:
        return "no_completion", None
    return None, None


def _message(record: Record) -> str | None:
    return f"level {record.level}" if record.level else None


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)


def row_of(found: _Open, vocab: list[str]) -> dict[str, Any]:
    """The `interactions` row of one interaction."""
    first, done = found.first, found.completion
    last = max(found.records, key=lambda r: (r.ts_us, r.phase, r.file_id, r.file_offset))
    question = first.question or ""
    norm = normalize(question)
    reason, error = _failure(found)
    answer = done.answer if done else None
    known = [r for r in found.records if r.user or r.subject or r.model]
    rating = found.rating.rating if found.rating else None
    digest = hashlib.blake2b(f"{first.file_id}:{first.file_offset}".encode(), digest_size=8)
    return {
        "ts": first.ts_us,
        "host": first.host,
        "file_id": first.file_id,
        "file_offset": first.file_offset,
        "line_length": first.line_length,
        "interaction_id": digest.hexdigest(),
        "request_id": first.corr,
        "user": next((r.user for r in known if r.user), None),
        "subject": next((r.subject for r in known if r.subject), None),
        "question": question,
        "question_norm": norm,
        "question_group": group_key(norm),
        "topics": orjson.dumps(topics_of(norm, vocab)).decode(),
        "answer": answer[:ANSWER_CHARS] if answer else None,
        "answer_length": _int(done.answer_length)
        if done and done.answer_length is not None
        else (len(answer) if answer else None),
        "response_ms": done.response_ms if done else None,
        "outcome": "failed" if reason else "answered",
        "failure_reason": reason,
        "error": error,
        "satisfaction": satisfaction(rating),
        "rating": rating,
        "tokens": _int(done.tokens) if done else None,
        "model": next((r.model for r in known if r.model), None),
        "records": len(found.records),
        "last_ts": last.ts_us,
        "last_file_id": last.file_id,
        "last_offset": last.file_offset,
        "last_length": last.line_length,
        "record_refs": orjson.dumps(
            [[r.file_id, r.file_offset, r.line_length] for r in found.records]
        ).decode(),
    }
