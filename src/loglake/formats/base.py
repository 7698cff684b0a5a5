"""The contract every log format fulfils: one `FormatSpec` per format.

A format module (e.g. `formats/mongodb/json_line.py`) exports `SPEC`, a `FormatSpec` naming
the format and giving what the ingest layer needs: how to sniff it, how its records are
framed in a file, whether a file can be cut into byte ranges, and how to parse a record.
`formats/registry.py` keeps the specs and sniffs in priority order; nothing else branches
on a format.

A parser turns one record (bytes: a line, or several for multi-line framings, without the
final line ending) into a `Parsed` or a `BadLine`; it never raises. Rows are plain dicts
keyed by the column names of `schema.py`; `ts` is microseconds since the Unix epoch (UTC).
The ingest layer adds the offset columns (`file_id`, `file_offset`, `line_length`) and
`host`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from loglake.schema import Stream
from loglake.sources.framing import Framing, RecordStart, can_resync

if TYPE_CHECKING:
    import pyarrow as pa

Row = dict[str, Any]


class Priority(IntEnum):
    """Sniffing order: more specific formats are asked first and win when they are sure."""

    GENERIC = 10  # any JSON lines, any text: would claim many products' logs
    SPECIFIC = 100  # one product's log (mongod, PostgreSQL)


class BadReason(StrEnum):
    """Why a non-blank line is not a record of its file's format."""

    INVALID_JSON = "invalid_json"  # starts like JSON but does not parse (truncated, garbage)
    NOT_A_RECORD = "not_a_record"  # valid JSON, but not an object with a "t" timestamp
    BAD_TIMESTAMP = "bad_timestamp"  # the timestamp is present but unreadable
    NOT_UTF8 = "not_utf8"  # bytes that are not UTF-8 text
    BINARY = "binary"  # NUL bytes or other control characters
    OTHER_FORMAT = "other_format"  # text, but not a line of this file's format
    TOO_LONG = "too_long"  # longer than the configured maximum line length
    NO_TIMESTAMP = "no_timestamp"  # a record with no time, in a file whose name holds none
    UNKNOWN_PREFIX = "unknown_prefix"  # a severity, but no known prefix (nor --prefix) reads it
    ORPHAN_LINE = "orphan_line"  # a secondary line (DETAIL:...) whose entry is not there
    NOT_ENGLISH = "not_english"  # a severity word in another language (lc_messages)


@dataclass(frozen=True, slots=True)
class FileContext:
    """What a parser may know about the file a line comes from."""

    file_id: str
    path: str
    year_hint: int = 1970  # year of the first line, for formats whose dates carry no year
    field_map: tuple[tuple[str, str], ...] = ()  # (column, field) pairs the user gave (--map)
    pattern: str = ""  # a regular expression with named groups the user gave (--pattern)
    line_prefix: str | None = None  # a prefix the user gave (--prefix), for text formats


@dataclass(slots=True)
class Parsed:
    """A parsed record: its `events` row first, then any rows of other streams."""

    rows: list[tuple[Stream, Row]]

    @property
    def event(self) -> Row:
        """The record's `events` row."""
        return self.rows[0][1]


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line that is not a record of the file's format."""

    reason: BadReason


LineParser = Callable[[bytes], "Parsed | BadLine"]


@dataclass
class BlockResult:
    """What a block parser made of one block: Arrow tables per stream (with a `day`
    column), rows of the records it handed to the per-line parser, and counts."""

    tables: dict[Stream, pa.Table] = field(default_factory=dict)
    rows: list[tuple[Stream, Row]] = field(default_factory=list)
    bad: list[tuple[int, int, str, bytes | None]] = field(default_factory=list)
    lines: int = 0
    blank: int = 0


class BatchParser(Protocol):
    """A vectorized parser of framed records (any framing), a batch at a time."""

    def parse(self, records: list[tuple[int, bytes, int]]) -> BlockResult:
        """The rows of (offset, record, length) records, in file order; rows carry offsets."""
        ...

    def parse_one(self, record: bytes) -> Parsed | BadLine:
        """One record, as the format's per-record parser reads it (with the same state)."""
        ...


class BlockParser(Protocol):
    """A vectorized parser: blocks of complete lines at a time (LINE framing only)."""

    def parse(self, block: bytes, base: int) -> BlockResult:
        """Parse `block` (complete lines; the last may lack its newline) read at `base`."""
        ...

    def close(self) -> None:
        """Release what the parser holds."""
        ...


def every_file(_head: list[bytes]) -> bool:
    """The default splittable judgement: any file of the format may be cut into ranges."""
    return True


@dataclass(frozen=True, slots=True)
class FormatSpec:
    """One log format: its name, sniffing priority, framing and parser.

    - `sniff(lines)`: confidence 0..1 that these first non-blank lines are of the format.
    - `make_parser(ctx)`: a parser for one file's records (it may keep state across them).
    - `framing` (+ `record_start` for CONTINUATION and a splittable CSV): how records lie
      in a file, see `sources/framing.py`.
    - `splittable(head)`: whether a file, judged from its first lines, may be cut into
      byte ranges parsed independently (False when a record's meaning depends on earlier
      ones, e.g. dates without a year); a framing that cannot resync is never cut.
    - `warmup_bytes`: how much of the input before a range its parser reads (and whose
      rows it discards) to learn state.
    - `block_parser(ctx, max_line)`: an optional vectorized parser (LINE framing).
    - `batch_parser(ctx)`: an optional vectorized parser of framed records (any framing),
      used by the per-record path in batches when no hook needs each record.
    - `host_of(head)`, `year_hint(head, tail, mtime_year)`: optional hints for the
      `host` column and for formats whose dates carry no year.
    - `describe(head, ctx)`: optional, what the format detected in a file (e.g. which
      field fills which column), shown in the ingest report and `loglake status`.
    - `family`: a name several formats share, `--format family` sniffs among them.
    - `check(head, ctx)`: raise InputError when the file cannot be read as this format
      (e.g. a PostgreSQL log whose prefix no reader knows), instead of a file of bad lines.
    """

    name: str
    priority: int
    sniff: Callable[[list[bytes]], float]
    make_parser: Callable[[FileContext], LineParser]
    framing: Framing = Framing.LINE
    record_start: RecordStart | None = None
    splittable: Callable[[list[bytes]], bool] = every_file
    warmup_bytes: int = 0
    block_parser: Callable[[FileContext, int], BlockParser] | None = None
    batch_parser: Callable[[FileContext], BatchParser] | None = None
    host_of: Callable[[list[bytes]], str | None] | None = None
    year_hint: Callable[[list[bytes], list[bytes], int], int] | None = None
    describe: Callable[[list[bytes], FileContext], dict[str, str]] | None = None
    # plan kinds (the `plan` column's words) that read a whole collection or table: what
    # the UI marks as a full scan in lists of plans (rows carry `full_scan` themselves)
    full_scan_plans: tuple[str, ...] = ()
    # the family `--format <family>` names (e.g. postgres: stderr, csvlog, jsonlog): the
    # registry sniffs among the family's formats
    family: str | None = None
    # refuses a file the format would misread (InputError naming what failed), at planning
    check: Callable[[list[bytes], FileContext], None] | None = None

    def __post_init__(self) -> None:
        if self.framing is Framing.CONTINUATION and self.record_start is None:
            raise ValueError(f"{self.name}: CONTINUATION framing needs record_start")
        if self.block_parser is not None and self.framing is not Framing.LINE:
            raise ValueError(f"{self.name}: a block parser reads lines (LINE framing only)")

    def can_split(self, head: list[bytes]) -> bool:
        """Whether a file starting with these lines may be cut into byte ranges."""
        return can_resync(self.framing, self.record_start) and self.splittable(head)


_CONTROL = bytes(range(0, 9)) + bytes(range(14, 32))


def classify_garbage(line: bytes) -> BadReason:
    """Name the reason a line that failed to parse is bad, from its bytes alone."""
    if b"\x00" in line or line.translate(None, _CONTROL) != line:
        return BadReason.BINARY
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return BadReason.NOT_UTF8
    return BadReason.OTHER_FORMAT
