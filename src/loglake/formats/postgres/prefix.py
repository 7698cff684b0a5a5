"""`log_line_prefix` in PostgreSQL's own `%` escapes -> a compiled matcher of stderr lines.

A stderr line is `<envelope><prefix><SEVERITY>:  <message>`. The envelope is what a log
shipper adds in front (syslog RFC 3164 / 5424, Heroku logplex); the prefix is the server's
`log_line_prefix`. `compile_prefix` turns a prefix into one regular expression whose named
groups are the escapes' fields; `KNOWN` lists the prefixes recognized without options
(Debian, pgBadger's recommendation, Amazon RDS, Azure, Cloud SQL, ...), and `detect` picks
the one that reads most of a file's first lines. A prefix that cannot date a line is refused
with the failing part named ("no timestamp escape found").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from loglake.errors import InputError

# PostgreSQL's severities as logged (English), and the secondary fields of an entry
SEVERITIES = (
    "LOG", "ERROR", "WARNING", "FATAL", "PANIC", "NOTICE", "INFO",
    "DEBUG1", "DEBUG2", "DEBUG3", "DEBUG4", "DEBUG5", "DEBUG",
)  # fmt: skip
SECONDARY = ("DETAIL", "HINT", "STATEMENT", "CONTEXT", "QUERY", "LOCATION")
_WORDS = "|".join((*SEVERITIES, *SECONDARY))
# the first severity word of a line: where the message (or a secondary field) begins
SEVERITY_AT = re.compile(rf"(?<![A-Za-z0-9_])({_WORDS}):  ")
# a word in front of `:  ` that is not English: lc_messages in another language
FOREIGN_AT = re.compile(r"(?<![\w])([^\W\d_a-z][^\W\d_]{1,24}) ?:  ")

_TS = (
    r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d{1,6})?"
    r"(?: ?(?:[A-Za-z][A-Za-z0-9]{0,5}(?:[+-]\d{1,2}(?::?\d\d)?)?|[+-]\d\d(?::?\d\d)?|Z))?"
)
_EPOCH_TS = r"\d{9,11}\.\d{3}"
TIMESTAMP_IN = re.compile(rf"{_TS}|(?<!\d){_EPOCH_TS}(?!\d)")
# escape -> (group name, pattern); %q and %% are handled by the compiler
ESCAPES: dict[str, tuple[str | None, str]] = {
    "a": ("app", r".*?"),
    "u": ("user", r"(?:\[unknown\]|[^\s@,:]*?)"),
    "d": ("db", r"(?:\[unknown\]|[^\s@,:]*?)"),
    "r": ("remote", r"(?:\[local\]|[\w.:\-\[\]]*?(?:\(\d+\))?)"),
    "h": ("client", r"(?:\[local\]|[\w.:\-]*?)"),
    "L": ("local_addr", r"[\w.:\-\[\]]*?"),
    "b": ("backend", r"[a-z][a-z \-]*?"),
    "p": ("pid", r"\d+"),
    "P": ("leader_pid", r"\d*"),
    "t": ("ts", _TS),
    "m": ("ts", _TS),
    "n": ("epoch", _EPOCH_TS),
    "i": ("command_tag", r"[A-Za-z ]*?"),
    "e": ("sqlstate", r"[0-9A-Z]{5}"),
    "c": ("session_id", r"[0-9a-f]+\.[0-9a-f]+"),
    "l": ("line_num", r"\d+"),
    "s": (None, _TS),
    "v": ("vxid", r"(?:\d+/\d+|-?)"),
    "x": ("xid", r"\d+"),
    "Q": ("query_id", r"-?\d+"),
}
_ESCAPE = re.compile(r"%(-?\d+)?(.)")
# escapes whose lazy run may be greedy when the text after them begins with a character the
# run cannot hold (`user=%u,db=%d`: a user never holds a comma): the same fields, and the
# match costs 40% less than trying the rest of the pattern after every character
_RUNS = {"u": re.compile(r"[^\s@,:]"), "d": re.compile(r"[^\s@,:]"), "h": re.compile(r"[\w.:\-]")}


@dataclass(frozen=True)
class Prefix:
    """A compiled `log_line_prefix`: the text it came from and its line matcher."""

    text: str
    matcher: re.Pattern[str]  # ends after the severity: the message is the rest of the line
    name: str = "custom"

    def match(self, line: str) -> re.Match[str] | None:
        """The prefix's fields and the severity that follows it, or None."""
        return self.matcher.match(line)

    @staticmethod
    def message(m: re.Match[str]) -> str:
        """The message of a matched line: what follows the severity."""
        return m.string[m.end() :]


def compile_prefix(text: str, name: str = "custom") -> Prefix:
    """A matcher for lines written with this `log_line_prefix`; InputError when the
    prefix cannot be read or cannot date a line, naming the failing part."""
    parts: list[str] = []
    optional_from: int | None = None
    seen: set[str] = set()
    pos = 0
    for m in _ESCAPE.finditer(text):
        parts.append(_literal(text[pos : m.start()]))
        pos = m.end()
        pad, char = m.group(1), m.group(2)
        if char == "%":
            parts.append("%")
            continue
        if char == "q":  # non-session processes stop the prefix here
            optional_from = len(parts)
            continue
        if char not in ESCAPES:
            raise InputError(f"prefix {text!r}: unknown escape %{char} at position {m.start()}")
        group, pattern = ESCAPES[char]
        run = _RUNS.get(char)
        if run is not None and not pad and run.match(_next_char(text, m.end())) is None:
            pattern = pattern.replace("*?)", "*)")
        if group is not None and group not in seen:
            seen.add(group)
            pattern = f"(?P<{group}>{pattern})"
        else:
            pattern = f"(?:{pattern})"
        parts.append(rf" *{pattern} *" if pad else pattern)
    if "%" in text[pos:]:
        raise InputError(f"prefix {text!r}: a lone % at its end")
    parts.append(_literal(text[pos:]))
    if not seen & {"ts", "epoch"}:
        raise InputError(
            f"prefix {text!r}: no timestamp escape found (%t, %m or %n): lines could not be dated"
        )
    if optional_from is not None:
        parts[optional_from:] = ["(?:" + "".join(parts[optional_from:]) + ")?"]
    body = "".join(parts)
    # no group for the message: slicing the line after the match is cheaper than capturing it
    matcher = re.compile(rf"{body}\s*(?P<severity>{_WORDS}):  ?", re.DOTALL)
    return Prefix(text, matcher, name)


def diagnose(text: str, line: str) -> str:
    """Which part of a prefix stops matching a line, e.g. `"_" after %m (position 7)`."""
    pieces: list[tuple[str, str]] = []  # (as written, pattern)
    pos = 0
    for m in _ESCAPE.finditer(text):
        for char in text[pos : m.start()]:
            pieces.append((char, _literal(char)))
        pos = m.end()
        if m.group(2) in ESCAPES:
            pieces.append((m.group(0), f"(?:{ESCAPES[m.group(2)][1]})"))
        elif m.group(2) == "%":
            pieces.append(("%%", "%"))
    pieces.extend((char, _literal(char)) for char in text[pos:])
    pattern = ""
    for i, (written, piece) in enumerate(pieces):
        if re.match(pattern + piece, line) is None:
            after = f" after {pieces[i - 1][0]!r}" if i else ""
            return f"{written!r}{after} does not match (prefix position {i})"
        pattern += piece
    return "the prefix matches, but no severity (LOG:, ERROR:...) follows it"


def _next_char(text: str, pos: int) -> str:
    """The character a prefix writes right after an escape ending at `pos` ("a", which every
    run may hold, when another escape follows: that run stays lazy)."""
    if pos >= len(text):
        return " "  # the severity follows after spaces
    char = text[pos]
    return "a" if char == "%" and text[pos + 1 : pos + 2] != "%" else char


def _literal(text: str) -> str:
    """A literal part of a prefix; its trailing spaces may be absent (as PostgreSQL trims
    nothing, but log shippers often do) and runs of spaces may vary with padding."""
    return re.sub(r"(\\ )+", r" *", re.escape(text))


# The prefixes recognized without options, most specific first.
KNOWN: tuple[tuple[str, str], ...] = (
    ("pgbadger", "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h "),
    ("pgbadger-short", "%t [%p]: [%l-1] user=%u,db=%d "),
    ("pgbadger-nolinenum", "%t [%p]: user=%u,db=%d,app=%a,client=%h "),
    ("cloudsql", "%m [%p]: [%l-1] db=%d,user=%u "),
    ("rds", "%t:%r:%u@%d:[%p]:"),
    ("azure", "%t-%c-"),
    ("queryid", "%m [%p] [queryid=%Q] %q%u@%d "),
    ("pid-line", "%t [%p-%l] %q%u@%d "),
    ("debian-userdb", "%m [%p] %q%u@%d "),
    ("user-db", "%m [%p] user=%u,db=%d "),
    ("user-db-app", "%m [%p] user=%u,db=%d,app=%a,client=%h "),
    ("debian", "%m [%p] "),
    ("timestamp-only", "%m "),
)


def known_prefixes() -> list[Prefix]:
    """The compiled known prefixes."""
    return [compile_prefix(text, name) for name, text in KNOWN]


# A last resort for prefixes we do not know: a timestamp first, the severity later, and the
# common key=value and user@db spellings picked out of what lies between.
GENERIC = Prefix(
    "<generic>",
    re.compile(
        rf"(?P<ts>{_TS})(?P<middle>[^\n]*?)\s*(?P<severity>{_WORDS}):  ?",
        re.DOTALL,
    ),
    "generic",
)
_MIDDLE_FIELDS = (
    ("pid", re.compile(r"\[(\d+)(?:-\d+)?\]")),
    ("user", re.compile(r"\b(?:user|usr)=([^\s,]*)")),
    ("db", re.compile(r"\b(?:db|database)=([^\s,]*)")),
    ("app", re.compile(r"\b(?:app|appli|application_name)=([^,]*?)(?:,|\s+\w+=|$)")),
    ("client", re.compile(r"\b(?:client|host|remote)=([^\s,]*)")),
)
_USER_AT_DB = re.compile(r"(?:^|[\s:])([\w\-.]+)@([\w\-.]+)(?=[\s:]|$)")


def middle_fields(middle: str) -> dict[str, str]:
    """Fields the generic matcher finds in the unknown part of a prefix."""
    out: dict[str, str] = {}
    for name, pattern in _MIDDLE_FIELDS:
        if m := pattern.search(middle):
            out[name] = m.group(1)
    if "user" not in out and (m := _USER_AT_DB.search(middle)):
        out["user"], out["db"] = m.group(1), m.group(2)
    return out


def detect(lines: list[str]) -> list[Prefix]:
    """The known prefixes, the one that reads most of `lines` first (ties: list order)."""
    prefixes = known_prefixes()
    scores = [sum(1 for line in lines if p.match(line)) for p in prefixes]
    order = sorted(range(len(prefixes)), key=lambda i: -scores[i])
    return [prefixes[i] for i in order]
