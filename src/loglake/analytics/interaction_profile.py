"""Which fields of an app's records are a chatbot interaction's question, answer, timing…

A profile names, for each role, the field that fills it. Roles are found by common names
(the first candidate the records have, in `ROLES` order): in a record's `attrs`, or among
the fields a format put into an `events` column (`authUserId` -> `user`, `req.id` ->
`request_id`, `processingTimeMs` -> `duration_ms`, recorded per file in the manifest).
`LOGLAKE_INTERACTION_PROFILE` (`question=prompt,subject=dealId`, or a JSON/YAML file of the
same pairs) names fields first; a role set to `-` is switched off. What was detected is kept
with the derived rows in the manifest and shown by `loglake status` and
`/api/interactions/profile`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loglake.analytics.filters import field_expr
from loglake.errors import ConfigError

# role -> the field names that fill it, the likeliest first
ROLES: dict[str, tuple[str, ...]] = {
    "question": (
        "question", "query", "prompt", "requestMessage", "userMessage", "user_message",
        "userQuery", "user_query", "input",
    ),
    "answer": (
        "answer", "responseMessage", "response", "reply", "completion", "output",
        "assistantMessage", "assistant_message",
    ),
    "response_ms": (
        "processingTimeMs", "responseTime", "response_time_ms", "latency_ms", "latencyMs",
        "duration_ms", "durationMs", "elapsed_ms", "duration",
    ),
    "satisfaction": ("rating", "feedback", "satisfaction", "score", "thumbs", "csat"),
    "error": ("error", "err", "errorMessage", "error_message", "exception"),
    "user": ("authUserId", "userId", "user_id", "user.id", "uid", "user", "username"),
    "subject": (
        "dealId", "deal_id", "subject", "subjectId", "productId", "product_id", "itemId",
        "entityId", "topic",
    ),
    "correlation": (
        "req.id", "requestId", "request_id", "reqId", "conversationId", "conversation_id",
        "sessionId", "session_id", "traceId", "trace_id", "correlationId",
    ),
    "tokens": ("totalTokens", "total_tokens", "tokens", "usage.total_tokens", "tokenCount"),
    "answer_length": ("answerLength", "answer_length", "responseLength", "response_length"),
    "model": ("model", "modelName", "model_name", "llmModel"),
}  # fmt: skip
NUMERIC_ROLES = frozenset({"response_ms", "tokens", "answer_length"})
OFF = "-"


@dataclass(frozen=True)
class Profile:
    """role -> field name (None: the records have none), and where each name came from."""

    fields: dict[str, str | None]
    given: frozenset[str] = field(default_factory=frozenset)  # roles the setting named

    @property
    def usable(self) -> bool:
        """Interactions need a question field."""
        return self.fields.get("question") is not None

    def expr(self, role: str) -> tuple[str, list[Any]]:
        """The SQL of a role's value over `events` (attrs, or the column a format mapped the
        field to) and its bound values; a typed NULL for a role the records lack."""
        name = self.fields.get(role)
        numeric = role in NUMERIC_ROLES
        if name is None:
            return ("CAST(NULL AS DOUBLE)" if numeric else "CAST(NULL AS VARCHAR)"), []
        return field_expr(name, numeric)

    def as_dict(self) -> dict[str, Any]:
        """What the manifest, status and the API show."""
        return {
            role: {"field": name, "how": "setting" if role in self.given else "detected"}
            for role, name in self.fields.items()
        }


def parse_profile(text: str) -> dict[str, str]:
    """`question=prompt,subject=dealId` (or the path of a JSON/YAML file of the same pairs)
    -> role: field; a ConfigError names a role that does not exist."""
    text = text.strip()
    if not text:
        return {}
    if "=" not in text and Path(text).is_file():
        return _pairs(_profile_file(Path(text)).items(), text)
    items = []
    for part in text.split(","):
        role, sep, name = part.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"interaction profile: expected ROLE=FIELD pairs, got {part!r}")
        items.append((role.strip(), name.strip()))
    return _pairs(items, "interaction profile")


def _profile_file(path: Path) -> dict[str, Any]:
    import yaml  # a YAML reader reads JSON too

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: not a readable profile file ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a profile file holds ROLE: FIELD pairs")
    return data


def _pairs(items: Iterable[tuple[Any, Any]], where: str) -> dict[str, str]:
    out = {}
    for role, name in items:
        if str(role) not in ROLES:
            raise ConfigError(f"{where}: unknown role {role!r}; choose one of {', '.join(ROLES)}")
        out[str(role)] = str(name)
    return out


def detect(
    present_in_attrs: set[str],
    mapped: set[str],
    override: dict[str, str],
    before: dict[str, str] | None = None,
) -> Profile:
    """The profile of records whose attrs hold `present_in_attrs` and whose files had the
    fields `mapped` put into columns: the setting's `override` first, then the roles found
    `before` (a later batch without ratings keeps the rating field), then the common names."""
    fields: dict[str, str | None] = {}
    for role, names in ROLES.items():
        if role in override:
            fields[role] = None if override[role] == OFF else override[role]
        elif before and before.get(role):
            fields[role] = before[role]
        else:
            fields[role] = next((n for n in names if n in present_in_attrs or n in mapped), None)
    return Profile(fields, frozenset(r for r in override if override[r] != OFF))
