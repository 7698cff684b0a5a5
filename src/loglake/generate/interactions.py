"""An investment app's assistant logs with known truth (`loglake generate interactions`).

Users open chat sessions about a deal; each session (one `req.id`) asks one to three
questions in turn. A question is logged NestJS/pino-style as it arrives (`requestMessage`),
while the deal's context is fetched (cache hit or miss) and the model is called (model,
token limit), and when it completes (`requestMessage` again, `processingTimeMs`, `answer`,
`answerLength`, token counts); some answers are rated 1-5 (`rating`). Failures: a model
call failing at level 50 (`err`), an incomplete answer logged with an `error` field before
its fallback completion, a question that never completes. Other services fail too
(application errors that belong to no question). Levels are pino numbers, sometimes words.
Records are written as one JSON array per minute, named by time (`--ndjson`: one record
per line), and about 3% arrive in the next minute's file. `truth.json` holds the exact
counts: interactions per day and per user, top questions, topics, failures by reason,
response time, ratings.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from loglake.errors import ConfigError

FUNDS = ("Fund Alpha", "Green Energy Fund", "Harbor Real Estate", "Nova Tech Ventures",
         "Atlas Credit")  # fmt: skip
TEMPLATES = (
    "What is the minimum investment for {fund}?",
    "When does {fund} close?",
    "What are the fees of {fund}?",
    "How is {fund} performing this year?",
    "Can I withdraw my money from {fund} early?",
    "What is the expected return on {fund}?",
    "Can I invest {amount} in {fund}?",
)
_AMOUNTS = ("$1,000", "$5,000", "$25,000", "$100000")
_ANSWERS = (
    "Based on the deal documents, {fund} {detail}. This is not financial advice.",
    "According to the latest update, {fund} {detail}.",
)
_DETAILS = ("requires a minimum of $10,000", "closes on the 15th", "charges a 1.5% annual fee",
            "returned 8.2% year to date", "allows early withdrawal with a 2% penalty")  # fmt: skip
_HOSTS = ("chat-api-5d7f-1", "chat-api-5d7f-2")
_WORDS = {10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal"}
_DAY_MS = 86_400_000


@dataclass(frozen=True)
class InteractionSpec:
    """What to generate: how many questions, by how many users, over how many days."""

    seed: int = 14
    interactions: int = 2000
    users: int = 120
    days: int = 2
    start: str = "2026-11-28T00:00:00Z"
    ndjson: bool = False

    def start_ms(self) -> int:
        """The first day's midnight, epoch ms."""
        try:
            moment = datetime.fromisoformat(self.start.replace("Z", "+00:00"))
        except ValueError:
            raise ConfigError(f"--start: {self.start!r} is not an ISO 8601 time") from None
        day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return int(day.timestamp() * 1000)


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{ms % 1000:03d}Z"
    )


def _variant(rng: random.Random, text: str) -> str:
    """The same question as people type it: case, punctuation, greetings, contractions."""
    kind = rng.randrange(6)
    if kind == 1:
        return text.lower()
    if kind == 2:
        return "Hi, " + text[0].lower() + text[1:]
    if kind == 3:
        return text.rstrip("?") + " please"
    if kind == 4:
        return text.replace("What is", "What's").replace("?", "??")
    return text


class _Log:
    """The records written and the truth counted as they are made."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.records: list[dict[str, Any]] = []
        self.truth: dict[str, Any] = {
            "interactions": 0, "per_day": Counter(), "per_user": Counter(),
            "top_questions": Counter(), "topics": Counter(), "failures": Counter(),
            "response_ms": [], "ratings": Counter(), "low_satisfaction": 0,
            "application_errors": 0,
        }  # fmt: skip

    def add(self, ms: int, level: int, context: str, message: str, **fields: Any) -> None:
        """One pino record."""
        rng = self.rng
        record: dict[str, Any] = {
            "level": _WORDS[level] if rng.random() < 0.1 else level,
            "time": ms,
            "pid": 4100 + ms % 3,
            "hostname": _HOSTS[ms % 2],
            "context": context,
            "message": message,
        }
        if rng.random() < 0.5:
            record["timestamp"] = _iso(ms)
        record.update(fields)
        self.records.append(record)


def _req(session: str, deal: str, rng: random.Random) -> dict[str, Any]:
    return {
        "id": session,
        "method": "POST",
        "url": f"/api/deals/{deal}/chat",
        "headers": {"user-agent": "InvestApp/4.2 (iOS 17.1)", "x-app-version": "4.2.0"},
        "remoteAddress": f"10.0.{rng.randrange(256)}.{rng.randrange(1, 255)}",
    }


def _question(log: _Log, t: int, base: dict[str, Any], fund: str, text: str, key: str) -> int:
    """The records of one question from `t`; returns when its last record was written."""
    rng, truth = log.rng, log.truth
    fate = rng.random()
    day = datetime.fromtimestamp(t / 1000, tz=UTC).date().isoformat()
    truth["interactions"] += 1
    truth["per_day"][day] += 1
    truth["per_user"][base["authUserId"]] += 1
    truth["top_questions"][key] += 1
    truth["topics"][fund] += 1
    log.add(t, 30, "ChatController", "Chat question received", requestMessage=text, **base)
    cache = "hit" if rng.random() < 0.4 else "miss"
    log.add(t + 12, 20, "DealContextService", "Deal context fetched", cache=cache, **base)
    if fate < 0.05:  # never completes
        truth["failures"]["no_completion"] += 1
        return t + 12
    log.add(t + 40, 30, "LlmService", "Calling model", model="gpt-4o-mini", maxTokens=1024,
            **base)  # fmt: skip
    took = int(min(30_000, rng.lognormvariate(7.4, 0.5)))
    if fate < 0.11:  # the model call fails
        truth["failures"]["error_level"] += 1
        err = {
            "type": "TimeoutError",
            "message": "upstream model timeout",
            "stack": "TimeoutError: upstream model timeout\n    at LlmService.call",
        }
        log.add(t + 40 + took, 50, "LlmService", "Model call failed", err=err, **base)
        return t + 40 + took
    if fate < 0.15:  # an incomplete answer, logged, then a fallback completion
        truth["failures"]["error_field"] += 1
        log.add(t + 40 + took // 2, 40, "LlmService", "Model answer incomplete",
                error="content_filter", **base)  # fmt: skip
    answer = rng.choice(_ANSWERS).format(fund=fund, detail=rng.choice(_DETAILS))
    prompt_tokens = rng.randrange(300, 1500)
    done = t + 60 + took
    log.add(done, 30, "ChatService", "Chat question answered", requestMessage=text,
            processingTimeMs=took + 60, answer=answer, answerLength=len(answer),
            promptTokens=prompt_tokens, completionTokens=len(answer) // 4,
            totalTokens=prompt_tokens + len(answer) // 4, **base)  # fmt: skip
    truth["response_ms"].append(took + 60)
    if rng.random() < 0.3:
        rating = rng.choices((1, 2, 3, 4, 5), (1, 1, 2, 3, 4))[0]
        named = {"requestMessage": text} if rng.random() < 0.5 else {}
        log.add(done + rng.randrange(3_000, 60_000), 30, "FeedbackController", "Answer rated",
                rating=rating, **named, **base)  # fmt: skip
        truth["ratings"][str(rating)] += 1
        truth["low_satisfaction"] += rating <= 2
        return done + 60_000
    return done


def _session(log: _Log, t: int, n: int, spec: InteractionSpec) -> int:
    """One chat session (one req.id) of up to `n` questions from `t`; questions asked."""
    rng = log.rng
    fund_no = rng.randrange(len(FUNDS))
    fund, deal = FUNDS[fund_no], f"deal-{101 + fund_no}"
    session = f"req-{rng.getrandbits(48):012x}"
    base = {
        "req": _req(session, deal, rng),
        "authUserId": f"usr_{rng.randrange(spec.users):04d}",
        "dealId": deal,
    }
    asked = 0
    completed_last = True
    for _ in range(n):
        template = rng.choice(TEMPLATES)
        base_text = template.format(fund=fund, amount="$5,000")
        text = _variant(rng, template.format(fund=fund, amount=rng.choice(_AMOUNTS)))
        before = log.truth["failures"]["no_completion"]
        t = _question(log, t, base, fund, text, base_text) + rng.randrange(5_000, 90_000)
        completed_last = log.truth["failures"]["no_completion"] == before
        asked += 1
    if completed_last and rng.random() < 0.1:  # belongs to no question: all are done
        log.add(t, 50, "SessionService", "Failed to persist chat history",
                err={"type": "RedisError", "message": "READONLY"}, **base)  # fmt: skip
        log.truth["application_errors"] += 1
    return asked


def _app_errors(log: _Log, start: int, spec: InteractionSpec) -> None:
    """Errors of other services: no question's."""
    rng = log.rng
    for _ in range(max(3, spec.interactions // 40)):
        t = start + rng.randrange(spec.days * _DAY_MS)
        req = {"id": f"pay-{rng.getrandbits(32):08x}", "method": "POST", "url": "/api/payments"}
        log.add(t, rng.choice((50, 60)), "PaymentService", "Payment provider unavailable",
                err={"type": "HttpError", "message": "503 from provider"},
                authUserId=f"usr_{rng.randrange(spec.users):04d}",
                **({"req": req} if rng.random() < 0.5 else {}))  # fmt: skip
        log.truth["application_errors"] += 1


def _simulate(spec: InteractionSpec) -> _Log:
    rng = random.Random(spec.seed)  # noqa: S311 - seeded test data, not secrets
    log = _Log(rng)
    start = spec.start_ms()
    asked = 0
    # one session a few seconds before midnight, so questions cross days
    midnight = start + _DAY_MS - 20_000 if spec.days > 1 else start
    while asked < spec.interactions:
        n = min(rng.choice((1, 1, 2, 3)), spec.interactions - asked)
        t = midnight if asked == 0 else start + rng.randrange(spec.days * _DAY_MS - 600_000)
        asked += _session(log, t, n, spec)
    _app_errors(log, start, spec)
    return log


def _truth(log: _Log, spec: InteractionSpec, files: int) -> dict[str, Any]:
    t = log.truth
    times = t["response_ms"]
    return {
        "spec": {k: getattr(spec, k) for k in ("seed", "interactions", "users", "days", "start")},
        "interactions": t["interactions"],
        "users": len(t["per_user"]),
        "per_day": dict(sorted(t["per_day"].items())),
        "per_user": dict(sorted(t["per_user"].items())),
        "top_questions": dict(t["top_questions"].most_common()),
        "topics": dict(t["topics"].most_common()),
        "failed": sum(t["failures"].values()),
        "failures": dict(sorted(t["failures"].items())),
        "response_ms": {"count": len(times), "avg": sum(times) / len(times) if times else None},
        "ratings": dict(sorted(t["ratings"].items())),
        "low_satisfaction": t["low_satisfaction"],
        "application_errors": t["application_errors"],
        "records": len(log.records),
        "files": files,
    }


def generate_interactions(spec: InteractionSpec, out_dir: Path) -> dict[str, Any]:
    """Write the assistant's logs under `out_dir/chat/` and `truth.json`; returns the truth."""
    if spec.interactions < 1 or spec.users < 1 or spec.days < 1:
        raise ConfigError("interactions, users and days must be at least 1")
    log = _simulate(spec)
    rng = random.Random(spec.seed + 1)  # noqa: S311 - seeded test data
    by_minute: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for record in sorted(log.records, key=lambda r: r["time"]):
        minute = record["time"] // 60_000 + (rng.random() < 0.03)  # some arrive late
        by_minute[minute].append(record)
    folder = out_dir / "chat"
    folder.mkdir(parents=True, exist_ok=True)
    for minute, batch in sorted(by_minute.items()):
        name = f"{_iso(minute * 60_000)}-{rng.getrandbits(32):08x}"
        if spec.ndjson:
            body = b"".join(orjson.dumps(r) + b"\n" for r in batch)
            (folder / f"{name}.ndjson").write_bytes(body)
        else:
            body = b",\n".join(orjson.dumps(r) for r in batch)
            (folder / f"{name}.json").write_bytes(b"[\n" + body + b"\n]\n")
    truth = _truth(log, spec, len(by_minute))
    (out_dir / "truth.json").write_bytes(orjson.dumps(truth, option=orjson.OPT_INDENT_2))
    return truth
