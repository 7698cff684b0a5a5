"""The generator's clock, random source, output buffer and counters, and mongod's line header."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from enum import IntEnum
from random import Random
from typing import Any, BinaryIO

import orjson

from loglake.errors import ConfigError
from loglake.generate.spec import VERSIONS, GenSpec, GenStats

_FLUSH_LINES = 2048
_TZ_EVERY = 5000  # lines written with one offset before rotating to the next
# relative gap between events by UTC hour: quiet nights, busy days
_DIURNAL = [1.8, 2.2, 2.5, 2.5, 2.2, 1.8, 1.4, 1.1, 0.9, 0.8, 0.7, 0.7,
            0.7, 0.7, 0.7, 0.7, 0.75, 0.8, 0.85, 0.9, 1.0, 1.1, 1.3, 1.5]  # fmt: skip
_DIURNAL_MEAN = sum(_DIURNAL) / 24


class Kind(IntEnum):
    """What a line counts as in GenStats."""

    OTHER = 0
    SLOW = 1
    AUTH_OK = 2
    AUTH_FAIL = 3
    ACCEPTED = 4
    ENDED = 5
    METADATA = 6


def dumps(value: Any) -> str:
    """JSON text of a value, as mongod writes it (compact, raw UTF-8)."""
    return orjson.dumps(value).decode()


def iso(ms: int) -> str:
    """A `$date` value in UTC: 2024-03-18T14:50:15.227Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


class Msg:
    """One kind of log message with its padded header rendered once."""

    __slots__ = ("head", "mid")

    def __init__(self, sev: str, comp: str, mid: int, msg: str) -> None:
        # mongod pads the value of "s", "c" and "id" plus its comma to 10, 16 and 14 bytes
        self.head = (
            '"},'
            + f'"s":"{sev}",'.ljust(10)
            + f'"c":"{comp}",'.ljust(16)
            + f'"id":{mid},'.ljust(14)
            + '"ctx":"'
        )
        self.mid = '","msg":' + dumps(msg)

    def __call__(self, ctx: str, attr: str | None = None) -> str:
        """The line after its date string."""
        if attr is None:
            return self.head + ctx + self.mid + "}"
        return self.head + ctx + self.mid + ',"attr":' + attr + "}"


class Writer:
    """Shared state: the seeded random source, the clock, the buffer, the counters."""

    def __init__(self, spec: GenSpec, out: BinaryIO) -> None:
        if spec.mongo_version not in VERSIONS:
            raise ConfigError(
                f"unknown MongoDB version {spec.mongo_version!r}: use one of {', '.join(VERSIONS)}"
            )
        self.spec, self.out = spec, out
        self.rng = Random(spec.seed)  # noqa: S311 - test data wants a seeded, reproducible PRNG
        self.rr = self.rng.random
        self.bits = self.rng.getrandbits
        major = int(spec.mongo_version.split(".")[0])
        self.v5, self.v6, self.v7, self.v8 = major >= 5, major >= 6, major >= 7, major >= 8
        self.stats = GenStats()
        self.counts = [0] * len(Kind)
        self.buf: list[str] = []
        self.pending = 0
        self.xform: Callable[[str], str] | None = None
        self.start_ms = _parse_start(spec.start)
        self.now_ms = self.start_ms
        self.end_ms = self.start_ms + int(spec.days * 86_400_000)
        self.gap = 1000.0
        self.steps = 0
        self.tzs = [_parse_tz(t) for t in spec.tz_offsets] or [(0, "+00:00")]
        self.tz_i, self.tz_left = 0, _TZ_EVERY
        self.tz_ms, self.tz_sfx = self.tzs[0]
        self.min_key = -1
        self.min_prefix = ""

    # ---- random values ------------------------------------------------------------------
    def uuid(self) -> str:
        """A random (version 4) UUID string."""
        h = f"{self.bits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"

    def oid_hex(self) -> str:
        """An ObjectId created in the last ~100 days."""
        return f"{self.now_ms // 1000 - int(self.rr() * 9e6):08x}{self.bits(64):016x}"

    def port(self) -> int:
        """An ephemeral client port."""
        return 32768 + int(self.rr() * 28000)

    # ---- clock ------------------------------------------------------------------------
    def ts(self) -> str:
        """The current time as mongod's iso8601-local timestamp with the current offset."""
        local = self.now_ms + self.tz_ms
        m = local // 60_000
        if m != self.min_key:
            self.min_key = m
            self.min_prefix = time.strftime("%Y-%m-%dT%H:%M:", time.gmtime(m * 60))
        r = local - m * 60_000
        return f"{self.min_prefix}{r // 1000:02d}.{r % 1000:03d}{self.tz_sfx}"

    def next_time(self) -> int:
        """When the next event happens: exponential gaps, denser by day than by night."""
        self.steps += 1
        if self.steps & 1023 == 0:
            self._retune()
        hour = (self.now_ms // 3_600_000) % 24
        return self.now_ms + int(self.rng.expovariate(1.0) * self.gap * _DIURNAL[hour])

    def _retune(self) -> None:
        """Spread the remaining steps over the remaining time span."""
        done = self.written()
        left_steps = max(1.0, (self.spec.target_bytes - done) / (done / self.steps))
        self.gap = max(0.0, (self.end_ms - self.now_ms) / left_steps / _DIURNAL_MEAN)

    # ---- output -----------------------------------------------------------------------
    def put(self, rest: str, kind: Kind = Kind.OTHER) -> None:
        """Write an event line at the current time; `rest` is the line after its date."""
        line = '{"t":{"$date":"' + self.ts() + rest
        if self.xform is not None:
            line = self.xform(line)
            self.xform = None
        self.buf.append(line)
        self.pending += len(line) + 1
        self.counts[kind] += 1
        self.tz_left -= 1
        if self.tz_left == 0:
            self._rotate_tz()
        if len(self.buf) >= _FLUSH_LINES:
            self.flush()

    def put_slow(self, rest: str, ns: str, query_hash: str, duration: int) -> None:
        """Write a slow query line and count it by namespace and query hash."""
        self.put(rest, Kind.SLOW)
        st = self.stats
        st.total_duration_ms += duration
        st.per_namespace[ns] = st.per_namespace.get(ns, 0) + 1
        if query_hash:
            st.per_query_hash[query_hash] = st.per_query_hash.get(query_hash, 0) + 1

    def put_raw(self, data: bytes, reason: str | None) -> None:
        """Write a line that is not an event: a bad line (with its reason) or a blank one."""
        self.flush()
        self.out.write(data + b"\n")
        self.stats.bytes += len(data) + 1
        self.stats.lines += 1
        if reason is None:
            self.stats.blank_lines += 1
        else:
            self.stats.bad_lines[reason] = self.stats.bad_lines.get(reason, 0) + 1

    def flush(self) -> None:
        """Write the buffered lines out."""
        if self.buf:
            n = len(self.buf)
            self.buf.append("")
            data = "\n".join(self.buf).encode()
            self.out.write(data)
            self.stats.bytes += len(data)
            self.stats.lines += n
            self.buf.clear()
            self.pending = 0

    def written(self) -> int:
        """Bytes written so far, including the buffer."""
        return self.stats.bytes + self.pending

    def finish(self) -> GenStats:
        """Flush and return the final counts."""
        self.flush()
        st, c = self.stats, self.counts
        st.slow, st.auth_ok, st.auth_fail = c[Kind.SLOW], c[Kind.AUTH_OK], c[Kind.AUTH_FAIL]
        st.conn_accepted, st.conn_ended = c[Kind.ACCEPTED], c[Kind.ENDED]
        st.metadata = c[Kind.METADATA]
        st.events = sum(c)
        return st

    def _rotate_tz(self) -> None:
        self.tz_left = _TZ_EVERY
        if len(self.tzs) > 1:
            self.tz_i = (self.tz_i + 1) % len(self.tzs)
            self.tz_ms, self.tz_sfx = self.tzs[self.tz_i]
            self.min_key = -1


def _parse_start(text: str) -> int:
    try:
        dt = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(f"start {text!r} is not an ISO date like 2024-03-18T00:00:00") from exc
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1000)


def _parse_tz(text: str) -> tuple[int, str]:
    if text == "Z":
        return 0, "Z"
    m = re.fullmatch(r"([+-])(\d\d):(\d\d)", text)
    if not m:
        raise ConfigError(f"time zone offset {text!r} is not like +05:30, -04:00 or Z")
    sign = 1 if m[1] == "+" else -1
    return sign * (int(m[2]) * 60 + int(m[3])) * 60_000, text
