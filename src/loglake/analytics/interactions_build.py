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
(`no_completion`). A rating is scaled to 0..1 (`satisfaction`): thumbs up/down, 1-5
stars, a fraction, 0-10.

`sql/interactions_derive.sql` applies these rules to a whole window of records at once;
this module holds the rules' constants and the text functions run once per distinct
question text: normalizing, near-duplicate groups and topics.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

ANSWER_CHARS = 4096
LOW_SATISFACTION = 0.5  # a satisfaction below this is an unhappy answer
THUMBS_UP = ("up", "thumbs_up", "thumbsup", "positive", "good", "like", "true", "yes", "+1")
THUMBS_DOWN = ("down", "thumbs_down", "thumbsdown", "negative", "bad", "dislike", "false", "no")
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


def literals(words: Iterable[str]) -> str:
    """Constant words as a SQL list of string literals (our own constants, never input)."""
    return ", ".join("'" + w.replace("'", "''") + "'" for w in words)


def question_columns(questions: list[str], vocab: list[str]) -> dict[str, list[str]]:
    """question_norm, question_group and topics (JSON) of each question, each distinct text
    worked out once (a few thousand wordings for a million questions)."""
    import orjson

    known: dict[str, tuple[str, str, str]] = {}
    for text in questions:
        if text not in known:
            norm = normalize(text)
            known[text] = (norm, group_key(norm), orjson.dumps(topics_of(norm, vocab)).decode())
    shaped = [known[text] for text in questions]
    return {
        "question_norm": [row[0] for row in shaped],
        "question_group": [row[1] for row in shaped],
        "topics": [row[2] for row in shaped],
    }
