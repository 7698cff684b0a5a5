"""Grounded answers to questions in plain words, without a language model.

`answer(analytics, "why is shop.orders slow?")` matches the question to an intent by
keywords, resolves the namespace or pattern it names against the lake's real namespaces
(case-insensitive; an unknown one gets the closest known names), and fills the intent's
template (`answers.py`, `answers_workload.py`) only with numbers the lake's questions
returned. Every number used is listed in `facts` with the question and parameters it
came from.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from loglake.errors import InputError

if TYPE_CHECKING:
    from loglake.analytics.service import Analytics

MAX_QUESTION = 500
CAN_ASK = [
    "why is shop.orders slow?",
    "what index should I add?",
    "what index should I add for shop.orders?",
    "what are the top problems?",
    "when did it start?",
    "which app sends the slowest queries?",
    "who fails to authenticate?",
    "which is the busiest namespace?",
    "what is the slowest query?",
    "are there any anomalies?",
    "give me an overview",
]
_NAMESPACE_TOKEN = re.compile(r"[A-Za-z0-9_$-]+(?:\.[A-Za-z0-9_$.-]+)+")
_SHAPE_HASH = re.compile(r"\b[0-9a-f]{16}\b")
_SLOW_SUBJECT = re.compile(r"why\s+(?:is|are|was|were|does|do)\s+(.+?)\s+(?:so\s+)?slow", re.I)
_VAGUE = frozenset(
    {"it", "this", "that", "everything", "the database", "the db", "mongodb", "mongo", "things",
     "the server", "my database", "my queries", "queries", "the queries", "my app"}
)  # fmt: skip

# intent -> keywords (regular expressions over the lower-cased question), tried in order
INTENTS: list[tuple[str, re.Pattern[str]]] = [
    ("index", re.compile(r"\bindex(es)?\b|\bcreateindex\b")),
    ("auth_failures", re.compile(r"authenticat|\blog ?in\b|\bcredential|\bauth\b")),
    ("when_started", re.compile(r"\bwhen\b.*\b(start|begin|began|happen)|\bsince when\b")),
    ("anomalies", re.compile(r"anomal|unusual|\bspikes?\b|outlier|\bstrange\b")),
    ("slow_namespace", re.compile(r"\bwhy\b.*\bslow|\bslow\b.*\bwhy\b|what'?s wrong with")),
    ("slowest_app", re.compile(r"\b(app|apps|application|applications|client|driver)\b")),
    ("top_problems", re.compile(r"\b(problems?|issues?|fix|worst|bottlenecks?|wrong)\b")),
    ("busiest_namespace", re.compile(r"\b(busiest|most time|hottest|heaviest|most load)\b")),
    ("slowest_query", re.compile(r"\bslowest\b")),
    ("overview", re.compile(r"\b(overview|summary|summarize|how many|status)\b")),
]


@dataclass
class Facts:
    """The questions asked of the lake and the facts an answer cites from them."""

    analytics: Analytics
    facts: list[dict[str, Any]] = field(default_factory=list)

    def ask(self, question: str, args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """Answer of a lake question, and its source (question + parameters) for citing."""
        return self.analytics.ask(question, args), {"question": question, "params": dict(args)}

    def optional(
        self, question: str, args: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Like `ask`, but an empty answer when the engine cannot answer (Polars fallback)."""
        from loglake.analytics.service import DegradedError

        try:
            return self.ask(question, args)
        except DegradedError:
            return {}, {"question": question, "params": dict(args)}

    def add(self, name: str, value: Any, source: dict[str, Any]) -> Any:
        """Record one fact (a number, timestamp or name) and return its value."""
        self.facts.append({"name": name, "value": value, "source": source})
        return value


@dataclass
class Subject:
    """What the question is about: a namespace, a pattern, or the whole lake."""

    namespace: str | None = None
    shape_hash: str | None = None
    unknown: str | None = None  # a name the lake does not know
    closest: list[str] = field(default_factory=list)

    def filters(self) -> dict[str, Any]:
        """Lake filters selecting the subject."""
        out: dict[str, Any] = {}
        if self.namespace:
            out["namespace"] = self.namespace
        if self.shape_hash:
            out["shape_hash"] = self.shape_hash
        return out


def match_intent(question: str) -> str:
    """The intent of a question by its keywords (namespaces left out), or "unknown"."""
    text = _NAMESPACE_TOKEN.sub(" ", question).lower()  # `auth.sessions` is no auth question
    for intent, pattern in INTENTS:
        if pattern.search(text):
            return intent
    return "unknown"


def known_namespaces(facts: Facts) -> list[str]:
    """Every namespace with slow queries in the lake, busiest first."""
    found, _ = facts.ask("patterns", {"group_by": "namespace", "limit": "10000"})
    return [row["key"] for row in found["rows"] if row["key"]]


def _closest(name: str, namespaces: list[str]) -> list[str]:
    """Up to three known namespaces nearest a name (by spelling, then by collection)."""
    lowered = {ns.lower(): ns for ns in namespaces}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=0.5)
    if not close:
        tail = name.lower().rsplit(".", 1)[-1]
        close = [ns for ns in lowered if tail and tail in ns][:3]
    return [lowered[ns] for ns in close] or namespaces[:3]


def resolve_subject(question: str, namespaces: list[str]) -> Subject:
    """The namespace or pattern a question names, matched against the lake's namespaces."""
    text = question.lower()
    hashes = _SHAPE_HASH.findall(text)
    if hashes:
        return Subject(shape_hash=hashes[0])
    by_length = sorted(namespaces, key=len, reverse=True)
    for ns in by_length:
        if re.search(rf"(?<![\w.$-]){re.escape(ns.lower())}(?![\w$-])", text):
            return Subject(namespace=ns)
    for found in _NAMESPACE_TOKEN.findall(question):
        token = found.rstrip(".")
        if "." in token and not token.replace(".", "").isdigit():
            return Subject(unknown=token, closest=_closest(token, namespaces))
    by_collection: dict[str, list[str]] = {}
    for ns in namespaces:
        by_collection.setdefault(ns.split(".", 1)[-1].lower(), []).append(ns)
    for collection, owners in sorted(by_collection.items(), key=lambda kv: -len(kv[0])):
        if len(owners) == 1 and re.search(rf"(?<![\w.$-]){re.escape(collection)}(?![\w$-])", text):
            return Subject(namespace=owners[0])
    subject = _SLOW_SUBJECT.search(question)
    if subject:
        name = subject.group(1).strip(" '\"`?")
        if name.lower() not in _VAGUE and not name.lower().startswith(("my ", "the ", "our ")):
            return Subject(unknown=name, closest=_closest(name, namespaces))
    return Subject()


def answer(analytics: Analytics, question: str) -> dict[str, Any]:
    """A grounded answer: intent, text, the facts it used, patterns, time range."""
    from loglake.advisor import answers, answers_workload

    if not isinstance(question, str) or not question.strip():
        raise InputError("ask: the question is empty; try one of: " + "; ".join(CAN_ASK[:4]))
    if len(question) > MAX_QUESTION or "\x00" in question:
        raise InputError(f"ask: a question is at most {MAX_QUESTION} characters of text")
    question = " ".join(question.split())
    intent = match_intent(question)
    base: dict[str, Any] = {"question": question, "intent": intent}
    if intent == "unknown":
        return {
            **base,
            "answer": "I cannot answer that from the log lake's facts. Questions I can answer "
            "(see can_ask):",
            "facts": [],
            "patterns": [],
            "time_range": None,
            "can_ask": CAN_ASK,
        }
    facts = Facts(analytics)
    subject = resolve_subject(question, known_namespaces(facts))
    if subject.unknown is not None:
        names = ", ".join(subject.closest) or "none"
        return {
            **base,
            "answer": f"The lake has no slow queries on a namespace called {subject.unknown!r}. "
            f"Closest known namespaces: {names}.",
            "facts": [],
            "patterns": [],
            "time_range": None,
            "unknown_namespace": subject.unknown,
            "closest": subject.closest,
        }
    builders = {**answers.BUILDERS, **answers_workload.BUILDERS}
    builder: Callable[[Facts, Subject], dict[str, Any]] = builders[intent]
    built = builder(facts, subject)
    return {
        **base,
        **({"namespace": subject.namespace} if subject.namespace else {}),
        **({"shape_hash": subject.shape_hash} if subject.shape_hash else {}),
        "answer": built.pop("answer"),
        "facts": facts.facts,
        "patterns": built.pop("patterns", []),
        "time_range": built.pop("time_range", None),
        **built,
    }
