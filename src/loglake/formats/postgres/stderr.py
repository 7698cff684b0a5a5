"""PostgreSQL stderr logs (any `log_line_prefix`) and their shipped forms: syslog (RFC 3164
and 5424), Heroku logplex, Amazon RDS, Azure, Cloud SQL.

A record (CONTINUATION framing) is a line that starts an entry plus the lines that continue
it: tab-indented lines of a multi-line message and the entry's DETAIL/HINT/STATEMENT/
CONTEXT/QUERY lines (which carry the prefix again), and for syslog the `[n-2]`, `[n-3]`...
chunks of line n. `record_start` decides that from the line alone, so byte ranges resync.
Each line's prefix is read by the prefix that read the previous one, else by the other
known ones (a file may hold several), else by a generic reader; `--prefix` comes first.
"""

from __future__ import annotations

import re

from loglake.errors import InputError
from loglake.formats.base import (
    BadLine,
    BadReason,
    BatchParser,
    FileContext,
    FormatSpec,
    LineParser,
    Parsed,
    Priority,
    classify_garbage,
)
from loglake.formats.postgres import prefix as pfx
from loglake.formats.postgres.entries import Entry, EntryRows
from loglake.formats.postgres.explain import FULL_SCAN
from loglake.formats.postgres.times import pg_time
from loglake.sources.framing import Framing

# a range's parser first reads this much before it: statements waiting for their
# log_duration line, and connections for their authorization, cross a cut
WARMUP_BYTES = 256 * 1024
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
# envelopes a log shipper puts in front of the server's line: (name, pattern)
_SYSLOG = re.compile(
    r"(?P<mon>[A-Z][a-z]{2}) +(?P<day>\d{1,2}) (?P<time>\d\d:\d\d:\d\d) (?P<host>\S+)"
    r" [\w\-./]+\[(?P<spid>\d+)\]: \[(?P<lnum>\d+)-(?P<part>\d+)\] ?(?P<rest>.*)",
    re.DOTALL,
)
_RFC5424 = re.compile(
    r"(?:<\d{1,3}>)?1 (?P<iso>\d{4}-\d\d-\d\dT\S+) (?P<host>\S+) \S+ (?P<spid>\S+) \S+"
    r" (?:-|\[.*?\]) \[(?P<lnum>\d+)-(?P<part>\d+)\] ?(?P<rest>.*)",
    re.DOTALL,
)
_HEROKU = re.compile(
    r"(?P<iso>\d{4}-\d\d-\d\dT\S+) (?P<host>\S+?)\[postgres\.(?P<spid>\d+)\]:"
    r"(?: \[[A-Z0-9_]+\])? \[(?P<lnum>\d+)-(?P<part>\d+)\] ?(?P<rest>.*)",
    re.DOTALL,
)


def _envelope_of(line: str) -> re.Pattern[str] | None:
    """The envelope a line may have, judged from its first bytes."""
    first = line[:1]
    if first.isupper():
        return _SYSLOG
    if first == "<" or line.startswith("1 "):
        return _RFC5424
    if first.isdigit() and "[postgres." in line[:80]:
        return _HEROKU
    return None


# what follows an envelope: key=value or user@db fields, then the severity
_REST = re.compile(
    rf"(?P<middle>[^\n]*?)\s*(?P<severity>{pfx._WORDS}):  ?(?P<message>.*)", re.DOTALL
)
_HEROKU_KEYS = (
    ("user", "user"), ("db", "database"), ("app", "application_name"),
    ("remote", "connection_source"), ("session_id", "session_id"), ("pid", "pid"),
    ("line_num", "log_line"),
)  # fmt: skip
_SQLSTATE = re.compile(r"sql_error_code = ([0-9A-Z]{5})")
_QUOTED = re.compile(r'(\w+)="([^"]*)"')
_CONTINUED_SYSLOG = re.compile(rb"^\S.*?\]: \[\d+-(?:[2-9]|\d\d+)\] ")
_SNIFF_START = re.compile(
    rb"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d|[A-Z][a-z]{2} +\d{1,2} \d\d:|<\d+>1 "
)
_SEVERITY_BYTES = re.compile(rf"(?<![A-Za-z0-9_])({pfx._WORDS}):  ".encode())
_SECONDARY_BYTES = frozenset(w.encode() for w in pfx.SECONDARY)
_SEVERITY_SET = frozenset(w.encode() for w in pfx.SEVERITIES)


def record_start(line: bytes) -> bool:
    """Whether a line starts an entry: not indented, not a secondary field of the entry
    before (DETAIL:, STATEMENT:...), not a syslog continuation chunk ([n-2])."""
    if not line or line[0] in b" \t":
        return False
    # most lines: the first `:  ` ends the severity word (a search of the alternation of
    # severities at every position costs five times a find)
    colon = line.find(b":  ", 0, 4096)
    if colon > 0:
        space = line.rfind(b" ", max(0, colon - 10), colon)
        word = line[space + 1 : colon]
        if word in _SEVERITY_SET:
            return True
        if word in _SECONDARY_BYTES:
            return False
    m = _SEVERITY_BYTES.search(line, 0, 4096)
    if m is not None:
        return m.group(1) not in _SECONDARY_BYTES
    return _CONTINUED_SYSLOG.match(line) is None


def sniff(lines: list[bytes]) -> float:
    """High when most entries start with a date (or a syslog envelope) and carry a
    PostgreSQL severity (`LOG:  `); lower when only the severities are there."""
    firsts = [line for line in lines if line[:1] not in (b" ", b"\t")]
    if not firsts:
        return 0.0
    dated = sum(1 for ln in firsts if _SNIFF_START.match(ln) and _SEVERITY_BYTES.search(ln))
    marked = sum(1 for ln in firsts if _SEVERITY_BYTES.search(ln))
    return round(max(0.97 * dated / len(firsts), 0.6 * marked / len(firsts)), 3)


_OPTIONAL_FIELDS = ("session_id", "sqlstate", "backend", "query_id", "command_tag")


class _Reader:
    """Reads one line's envelope and prefix into an `Entry`'s fields."""

    def __init__(self, ctx: FileContext) -> None:
        self.year = ctx.year_hint
        prefixes = [pfx.compile_prefix(ctx.line_prefix)] if ctx.line_prefix else []
        prefixes.extend(pfx.known_prefixes())
        # each matcher with the few optional fields its prefix has
        self.prefixes: list[tuple[re.Pattern[str], tuple[str, ...]]] = [
            (p.matcher, tuple(n for n in _OPTIONAL_FIELDS if n in p.matcher.groupindex))
            for p in prefixes
        ]
        self.last_month = 0

    def header(self, line: str) -> tuple[Entry, str | None] | None:
        """(entry, syslog chunk key) for a line, or None when no prefix reads it.

        The entry's `message` is the text after the severity; for a secondary line its
        severity is the field name (DETAIL...)."""
        envelope = _envelope_of(line)
        if envelope is not None and (m := envelope.match(line)) is not None:
            return self._enveloped(m)
        for i, (matcher, optional) in enumerate(self.prefixes):
            m = matcher.match(line)
            if m is not None:
                entry = self._entry(m.groupdict(), m["severity"], line[m.end() :], None, optional)
                if entry is not None:
                    if i:  # the next line most likely has the same prefix
                        self.prefixes.insert(0, self.prefixes.pop(i))
                    return entry, None
        m = pfx.GENERIC.match(line)
        if m is None:
            return None
        fields: dict[str, str | None] = {**pfx.middle_fields(m["middle"]), "ts": m["ts"]}
        entry = self._entry(fields, m["severity"], line[m.end() :], None, ())
        return None if entry is None else (entry, None)

    def _enveloped(self, m: re.Match[str]) -> tuple[Entry, str | None] | None:
        rest = m["rest"]
        chunk = f"{m['lnum']}-{m['part']}"
        if m["part"] != "1":
            return Entry(0, "", rest.replace("#011", "\t")), chunk
        r = _REST.match(rest)
        if r is None:
            return None
        quoted = dict(_QUOTED.findall(r["middle"]))  # Heroku's key="value" form
        fields: dict[str, str | None]
        if quoted:
            fields = {name: quoted.get(key) for name, key in _HEROKU_KEYS}
        else:
            fields = {**pfx.middle_fields(r["middle"])}
        if s := _SQLSTATE.search(r["middle"]):
            fields["sqlstate"] = s.group(1)
        fields["pid"] = fields.get("pid") or m["spid"]
        ts = pg_time(m["iso"]) if "iso" in m.re.groupindex else self._syslog_time(m)
        if ts is None:
            return None
        entry = self._entry(fields, r["severity"], r["message"], ts)
        if entry is not None:
            entry.message = entry.message.replace("#011", "\t")
        return (entry, chunk) if entry is not None else None

    def _syslog_time(self, m: re.Match[str]) -> int | None:
        month = _MONTHS.get(m["mon"])
        if month is None:
            return None
        if month < self.last_month - 6:  # December -> January
            self.year += 1
        self.last_month = month
        return pg_time(f"{self.year:04d}-{month:02d}-{int(m['day']):02d} {m['time']}")

    def _entry(
        self,
        f: dict[str, str | None],
        severity: str,
        message: str,
        ts: int | None = None,
        optional: tuple[str, ...] = _OPTIONAL_FIELDS,
    ) -> Entry | None:
        get = f.get
        if ts is None:
            stamp = get("ts") or get("epoch")
            ts = pg_time(stamp) if stamp else None
            if ts is None:
                return None
        entry = Entry(ts, severity, message)
        pid = get("pid")
        if pid and pid.isdigit():
            entry.pid = int(pid)
        entry.user, entry.db, entry.app = get("user"), get("db"), get("app")
        entry.client = get("client")
        remote = get("remote")
        if remote:
            host, _, rest = remote.partition("(")
            entry.client = entry.client or host
            entry.port = int(rest[:-1]) if rest[:-1].isdigit() else None
        for name in optional:  # what few prefixes have
            value = get(name)
            if value is not None:
                setattr(entry, name, value)
        line_num = get("line_num")
        if line_num and line_num.isdigit():
            entry.line_num = int(line_num)
        return entry


_SECTIONS = {
    "DETAIL": "detail",
    "HINT": "hint",
    "STATEMENT": "statement",
    "CONTEXT": "context",
    "QUERY": "query",
}


def _assemble(reader: _Reader, lines: list[str]) -> Entry | BadReason:
    """One entry from a record's lines (its first line, continuations, secondary lines)."""
    got = reader.header(lines[0])
    if got is None or got[0].severity in pfx.SECONDARY or not got[0].severity:
        return _why(lines[0])
    entry, _chunk = got
    if len(lines) == 1:  # most entries: nothing to join
        return entry
    target = "message"
    parts: dict[str, list[str]] = {"message": [entry.message]}
    for line in lines[1:]:
        if line[:1] == "\t":
            parts.setdefault(target, []).append(line[1:])
            continue
        sub = reader.header(line)
        if sub is None:  # not a line of ours: kept in the entry as text (it was framed here)
            parts.setdefault(target, []).append(line)
            continue
        section, chunk = sub
        if chunk is not None and not section.severity:  # a syslog continuation chunk
            text = section.message
            parts.setdefault(target, []).append(text[1:] if text[:1] == "\t" else text)
            continue
        target = _SECTIONS.get(section.severity, "location")
        parts[target] = [section.message]
    entry.message = "\n".join(parts.pop("message"))
    for name, texts in parts.items():
        if name != "location":
            setattr(entry, name, "\n".join(texts))
    return entry


def _why(line: str) -> BadReason:
    """Why a first line could not be read as an entry."""
    if line[:1] in (" ", "\t"):  # the rest of an entry that began before the file did
        return BadReason.ORPHAN_LINE
    if pfx.SEVERITY_AT.search(line):
        m = pfx.SEVERITY_AT.search(line)
        if m is not None and m.group(1) in pfx.SECONDARY:
            return BadReason.ORPHAN_LINE
        return BadReason.UNKNOWN_PREFIX
    if pfx.FOREIGN_AT.search(line) and pg_time(line[:19]) is not None:
        return BadReason.NOT_ENGLISH
    return classify_garbage(line.encode("utf-8", "surrogateescape"))


class StderrParser:
    """The parser of one stderr file's records (its reader and entry state are the file's)."""

    def __init__(self, ctx: FileContext) -> None:
        self.reader = _Reader(ctx)
        self.rows = EntryRows()

    def __call__(self, record: bytes) -> Parsed | BadLine:
        """One record's rows, or the bad line it is."""
        try:
            text = record.decode("utf-8")
        except UnicodeDecodeError:
            return BadLine(classify_garbage(record))
        if "\x00" in text:
            return BadLine(BadReason.BINARY)
        lines = text.replace("\r\n", "\n").split("\n") if "\n" in text else [text]
        got = _assemble(self.reader, lines)
        if isinstance(got, BadReason):
            return BadLine(got)
        return self.rows.parsed(got)


def make_parser(ctx: FileContext) -> LineParser:
    """A parser of one stderr file's records."""
    return StderrParser(ctx)


def check(head: list[bytes], ctx: FileContext) -> None:
    """Refuse a file whose prefix cannot be read, naming the failing part."""
    reader = _Reader(ctx)  # compiles --prefix: its errors name the escape that failed
    firsts = [ln.decode("utf-8", "replace") for ln in head if ln.strip() and record_start(ln)]
    if not firsts or any(reader.header(line) is not None for line in firsts[:200]):
        return
    line = firsts[0]
    where = f"line 1 reads {line[:120]!r}"
    if ctx.line_prefix:
        why = pfx.diagnose(ctx.line_prefix, line)
        raise InputError(f"prefix {ctx.line_prefix!r} read none of the first lines: {why}; {where}")
    if not pfx.SEVERITY_AT.search(line):
        reason = "no severity (LOG:, ERROR:...) found"
    elif not pfx.TIMESTAMP_IN.search(line[: pfx.SEVERITY_AT.search(line).start()]):  # type: ignore[union-attr]
        reason = "no timestamp escape found (%t, %m or %n): nothing dates the line"
    else:
        reason = "the log_line_prefix is not one of the known ones"
    raise InputError(
        f"looks like a PostgreSQL log, but its prefix could not be read: {reason}; "
        f"{where}; pass --prefix with the server's log_line_prefix"
    )


def splittable(head: list[bytes]) -> bool:
    """A file may be cut into ranges unless it pairs log_statement and log_duration lines
    (their pairs could straddle a cut): see docs/internals.md."""
    for line in head:
        m = _SEVERITY_BYTES.search(line)
        if m is None:
            continue
        after = line[m.end() : m.end() + 40]
        if after.startswith((b"statement: ", b"execute ")) or (
            after.startswith(b"duration: ") and b"  " not in after[10:].rstrip()
        ):
            return False
    return True


def _batch_parser(ctx: FileContext) -> BatchParser:
    from loglake.formats.postgres.stderr_batch import StderrBatchParser  # imports pyarrow

    return StderrBatchParser(ctx)


SPEC = FormatSpec(
    name="postgres-stderr",
    priority=Priority.SPECIFIC,
    sniff=sniff,
    make_parser=make_parser,
    framing=Framing.CONTINUATION,
    record_start=record_start,
    splittable=splittable,
    warmup_bytes=WARMUP_BYTES,
    full_scan_plans=(FULL_SCAN,),
    family="postgres",
    check=check,
    batch_parser=_batch_parser,
)
