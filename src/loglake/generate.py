"""A seeded generator of realistic MongoDB 4.4+ structured JSON logs, for tests and benchmarks.

Lines imitate mongod's own bytes: the padding after "s", "c" and "id", the attribute order
of each message per server version, the connection, metadata and authentication forms of
4.4 to 8.0. Every line written is counted in `GenStats`, which therefore equals what a
correct parser reports for the file. Run `python -m loglake.generate --help`.
"""

# ruff: noqa: E501 - the apps and query-shape tables keep one entry per line

from __future__ import annotations

import argparse
import base64
import bisect
import heapq
import math
import re
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from random import Random
from typing import Any, BinaryIO

import orjson

from loglake.errors import ConfigError

_VERSIONS = {"4.4": "4.4.29", "5.0": "5.0.28", "6.0": "6.0.16", "7.0": "7.0.14", "8.0": "8.0.4"}
_KEY_ID = "7347715653542871041"
_FLUSH_LINES = 2048
_TZ_EVERY = 5000  # lines written with one offset before rotating to the next

# what a line counts as in GenStats
_OTHER, _SLOW, _AUTH_OK, _AUTH_FAIL, _ACCEPTED, _ENDED, _METADATA = range(7)


def _j(value: Any) -> str:
    return orjson.dumps(value).decode()


def _hex8(text: str) -> str:
    return f"{zlib.crc32(text.encode()):08X}"


class _Msg:
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
        self.mid = '","msg":' + _j(msg)

    def __call__(self, ctx: str, attr: str | None = None) -> str:
        if attr is None:
            return self.head + ctx + self.mid + "}"
        return self.head + ctx + self.mid + ',"attr":' + attr + "}"


@dataclass
class GenSpec:
    """What to generate; the same spec always gives the same bytes."""

    seed: int = 42
    target_bytes: int = 50_000_000
    start: str = "2024-03-18T00:00:00"  # UTC
    tz_offsets: tuple[str, ...] = ("+00:00",)  # "+05:30", "-04:00" or "Z"; rotated if several
    faults: bool = False
    mongo_version: str = "7.0"
    days: float = 4.0
    fault_rate: float = 1 / 3000  # faults per line, with faults=True
    huge_lines: int | None = None  # multi-MB valid lines; None: one per 400 MB with faults
    huge_line_bytes: int = 4_000_000
    truncation_rate: float = 1 / 2000  # slow queries logged with mongod's truncated attr


@dataclass
class GenStats:
    """What was written, counted the way a correct parser counts it."""

    lines: int = 0
    bytes: int = 0
    events: int = 0
    slow: int = 0
    auth_ok: int = 0
    auth_fail: int = 0
    conn_accepted: int = 0
    conn_ended: int = 0
    metadata: int = 0
    bad_lines: dict[str, int] = field(default_factory=dict)
    blank_lines: int = 0
    total_duration_ms: int = 0
    per_namespace: dict[str, int] = field(default_factory=dict)
    per_query_hash: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The stats as plain JSON-able data."""
        return asdict(self)


class _V:
    """A placeholder in a command template: a callable returning JSON text."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[], str]) -> None:
        self.fn = fn


def _template(obj: Any, out: list[Callable[[], str]]) -> str:
    """Render a command to a %-format string, with %s where the placeholders go."""
    if isinstance(obj, _V):
        out.append(obj.fn)
        return "%s"
    if isinstance(obj, dict):
        return "{" + ",".join(_j(k) + ":" + _template(v, out) for k, v in obj.items()) + "}"
    if isinstance(obj, list):
        return "[" + ",".join(_template(v, out) for v in obj) + "]"
    return _j(obj).replace("%", "%%")


@dataclass(eq=False)
class _App:
    key: str
    name: str | None  # appName in slow queries, None when the driver sends none
    doc: dict[str, Any]
    net: str  # client address prefix
    hosts: tuple[int, int]
    user: str
    db: str
    pool: int  # connections the app keeps open
    life: tuple[float, float]  # session length in seconds (lognormal between)
    rp: str = ""  # $readPreference the driver adds to each command
    cluster: bool = False
    open: list[_Conn] = field(default_factory=list)
    doc_json: str = ""


@dataclass(eq=False)
class _Conn:
    cid: int
    app: _App
    remote: str
    lsid: str
    uuid: str


@dataclass(eq=False)
class _Shape:
    key: str
    app: str
    db: str
    coll: str
    op: str  # find aggregate count distinct update delete stmt_update stmt_remove insert fam ...
    fmt: str
    vals: list[Callable[[], str]]
    plan: str
    nret: tuple[int, int]
    ms: float
    weight: float
    sort: bool
    disk: float
    ndocs: int
    size: int
    ns: str = ""
    qh: str = ""
    pck: str = ""
    qsh: str = ""
    orig: _Shape | None = None
    summary: str = ""  # planSummary as JSON string content
    ctx: str = ""  # an internal thread instead of a client connection


_DRIVER_LINUX = {
    "type": "Linux",
    "name": "linux",
    "architecture": "x64",
    "version": "5.15.0-1064-aws",
}


def _apps(version: str) -> list[_App]:
    full = _VERSIONS[version]
    ubuntu = {"type": "Linux", "name": "Ubuntu", "architecture": "x86_64", "version": "22.04"}
    return [
        _App(
            "orders",
            "orders-api",
            {
                "driver": {"name": "nodejs", "version": "6.8.0"},
                "os": _DRIVER_LINUX,
                "platform": "Node.js v20.15.1, LE (unified)",
                "application": {"name": "orders-api"},
            },
            "10.20.1.",
            (11, 18),
            "orders_svc",
            "admin",
            10,
            (1800, 28800),
        ),
        _App(
            "billing",
            "billing-worker",
            {
                "driver": {"name": "PyMongo", "version": "4.8.0"},
                "os": {
                    "type": "Linux",
                    "name": "Linux",
                    "architecture": "x86_64",
                    "version": "6.1.94-99.176.amzn2023.x86_64",
                },
                "platform": "CPython 3.12.4.final.0",
                "application": {"name": "billing-worker"},
            },
            "10.20.2.",
            (21, 24),
            "billing_svc",
            "admin",
            6,
            (3600, 43200),
        ),
        _App(
            "catalog",
            "catalog-service",
            {
                "driver": {"name": "mongo-java-driver|sync|spring-boot", "version": "5.1.2"},
                "os": {
                    "type": "Linux",
                    "name": "Linux",
                    "architecture": "amd64",
                    "version": "5.15.0-1064-aws",
                },
                "platform": "Java/Eclipse Adoptium/21.0.3+9-LTS",
                "application": {"name": "catalog-service"},
            },
            "10.20.3.",
            (31, 36),
            "catalog_svc",
            "admin",
            8,
            (3600, 36000),
        ),
        _App(
            "etl",
            "analytics-etl",
            {
                "driver": {"name": "mongo-go-driver", "version": "v1.16.0"},
                "os": {"type": "linux", "architecture": "amd64"},
                "platform": "go1.22.5",
                "application": {"name": "analytics-etl"},
            },
            "10.20.4.",
            (41, 42),
            "etl_reader",
            "admin",
            4,
            (600, 3600),
            ',"$readPreference":{"mode":"secondaryPreferred"}',
        ),
        _App(
            "auth",
            "auth-gateway",
            {
                "driver": {"name": "nodejs", "version": "5.9.2"},
                "os": _DRIVER_LINUX,
                "platform": "Node.js v18.20.3, LE (unified)",
                "application": {"name": "auth-gateway"},
            },
            "10.20.5.",
            (51, 56),
            "users_svc",
            "admin",
            8,
            (1800, 21600),
        ),
        _App(
            "logistics",
            "logistics-tracker",
            {
                "driver": {"name": "mongo-csharp-driver", "version": "2.28.0"},
                "os": {
                    "type": "Linux",
                    "name": "Ubuntu 22.04.4 LTS",
                    "architecture": "x86_64",
                    "version": "5.15.0-1064-aws",
                },
                "platform": ".NET 8.0.6",
                "application": {"name": "logistics-tracker"},
            },
            "10.20.6.",
            (61, 63),
            "logistics_svc",
            "admin",
            5,
            (3600, 28800),
        ),
        _App(
            "cms",
            "cms-backend",
            {
                "driver": {"name": "PyMongo|Motor", "version": "4.8.0|3.5.1"},
                "os": {
                    "type": "Linux",
                    "name": "Linux",
                    "architecture": "x86_64",
                    "version": "6.1.94",
                },
                "platform": "CPython 3.11.9.final.0|asyncio",
                "application": {"name": "cms-backend"},
            },
            "10.20.7.",
            (71, 72),
            "cms_svc",
            "admin",
            4,
            (3600, 28800),
        ),
        _App(
            "prisma",
            None,
            {
                "driver": {"name": "mongo-rust-driver|Prisma", "version": "3.0.0"},
                "os": {"type": "linux", "architecture": "x86_64"},
                "platform": "rustc 1.78.0 (9b00956e5 2024-04-29) with tokio",
            },
            "10.20.8.",
            (81, 83),
            "profile_svc",
            "admin",
            3,
            (1800, 14400),
        ),
        _App(
            "lambda",
            "pricing-lambda",
            {
                "driver": {"name": "nodejs", "version": "6.8.0"},
                "os": _DRIVER_LINUX,
                "platform": "Node.js v20.15.1, LE (unified)",
                "env": {"name": "aws.lambda", "region": "eu-west-1", "memory_mb": 1024},
                "application": {"name": "pricing-lambda"},
            },
            "10.40.",
            (0, 255),
            "pricing_fn",
            "admin",
            0,
            (2, 40),
        ),
        _App(
            "mongosh",
            "mongosh 2.2.10",
            {
                "application": {"name": "mongosh 2.2.10"},
                "driver": {"name": "nodejs|mongosh", "version": "6.6.2|2.2.10"},
                "platform": "Node.js v20.12.2, LE",
                "os": {
                    "name": "linux",
                    "architecture": "x64",
                    "version": "5.15.0",
                    "type": "Linux",
                },
            },
            "10.30.0.",
            (5, 9),
            "dba_alice",
            "admin",
            0,
            (60, 2400),
        ),
        _App(
            "compass",
            "MongoDB Compass",
            {
                "application": {"name": "MongoDB Compass"},
                "driver": {"name": "nodejs|Compass", "version": "6.7.0|1.43.4"},
                "platform": "Node.js v20.12.2, LE",
                "os": {
                    "name": "darwin",
                    "architecture": "arm64",
                    "version": "23.5.0",
                    "type": "Darwin",
                },
            },
            "10.30.1.",
            (20, 40),
            "analyst",
            "admin",
            0,
            (120, 3600),
        ),
        _App(
            "agent",
            "MongoDB Automation Agent v13.19.0.8937 (git: 4c6e2f0f5d1c0b7c0e9a2a3f3b1d9e8a7c6b5a4f)",
            {
                "application": {
                    "name": "MongoDB Automation Agent v13.19.0.8937 (git: 4c6e2f0f5d1c0b7c0e9a2a3f3b1d9e8a7c6b5a4f)"
                },
                "driver": {"name": "mongo-go-driver", "version": "v1.12.0-cloud"},
                "os": {"type": "linux", "architecture": "amd64"},
                "platform": "go1.21.8",
            },
            "10.10.0.",
            (50, 50),
            "mms-automation",
            "admin",
            0,
            (20, 300),
        ),
        _App(
            "repl",
            None,
            {"driver": {"name": "NetworkInterfaceTL-ReplNetwork", "version": full}, "os": ubuntu},
            "10.10.0.",
            (12, 13),
            "__system",
            "local",
            3,
            (7200, 86400),
            cluster=True,
        ),
    ]


_COLLS = {  # namespace: (documents, average document bytes)
    "shop.orders": (4_800_000, 1400), "shop.customers": (900_000, 900), "shop.carts": (350_000, 700),
    "shop.products": (120_000, 2100), "shop.reviews": (2_600_000, 600),
    "billing.invoices": (3_100_000, 1100), "billing.payments": (5_400_000, 500),
    "billing.subscriptions": (410_000, 650), "billing.ledger": (22_000_000, 300),
    "catalog.items": (640_000, 1800), "catalog.categories": (4_200, 400), "catalog.prices": (1_900_000, 250),
    "inventory.stock": (1_100_000, 300), "inventory.movements": (38_000_000, 260),
    "users.accounts": (1_700_000, 800), "users.sessions": (2_300_000, 350), "users.audit": (61_000_000, 420),
    "analytics.events": (240_000_000, 380), "analytics.daily_stats": (1_300_000, 220),
    "analytics.funnels": (900, 1500),
    "logistics.shipments": (3_900_000, 950), "logistics.tracking": (57_000_000, 280),
    "logistics.routes": (48_000, 5200),
    "cms.pages": (85_000, 9000), "cms.comments": (1_400_000, 520), "cms.assets": (300_000, 610),
}  # fmt: skip


class _Gen:
    """The generator's state: clock, connections, counters and the output buffer."""

    def __init__(self, spec: GenSpec, out: BinaryIO) -> None:
        if spec.mongo_version not in _VERSIONS:
            raise ConfigError(
                f"unknown MongoDB version {spec.mongo_version!r}: use one of {', '.join(_VERSIONS)}"
            )
        self.spec, self.out = spec, out
        self.rng = Random(spec.seed)  # noqa: S311 - test data wants a seeded, reproducible PRNG
        self.rr = self.rng.random
        self.bits = self.rng.getrandbits
        major = int(spec.mongo_version.split(".")[0])
        self.v5, self.v6, self.v7, self.v8 = major >= 5, major >= 6, major >= 7, major >= 8
        self.stats = GenStats()
        self.counts = [0] * 7
        self.buf: list[str] = []
        self.pending = 0
        self.xform: Callable[[str], str] | None = None
        self.start_ms = _parse_start(spec.start)
        self.now_ms = self.start_ms
        self.end_ms = self.start_ms + int(spec.days * 86_400_000)
        self.gap = 1000.0
        self.iters = 0
        self.tzs = [_parse_tz(t) for t in spec.tz_offsets] or [(0, "+00:00")]
        self.tz_i, self.tz_left = 0, _TZ_EVERY
        self.tz_ms, self.tz_sfx = self.tzs[0]
        self.min_key = -1
        self.min_prefix = ""
        self.next_ckpt = self.start_ms + 37_000
        self.ckpt_n = 1000
        self.next_cid = 1
        self.n_open = 0
        self.ends: list[tuple[int, int, _Conn]] = []
        self.apps = {a.key: a for a in _apps(spec.mongo_version)}
        for a in self.apps.values():
            a.doc_json = _j(a.doc)
        self.sigs = ["AAAAAAAAAAAAAAAAAAAAAAAAAAA="] + [
            _b64(self.rng.randbytes(20)) for _ in range(63)
        ]
        self.shapes = _build_shapes(self)
        self.cum: list[float] = []
        total = 0.0
        for sh in self.shapes:
            total += sh.weight
            self.cum.append(total)
        self.total_weight = total
        by_key = {sh.key: sh for sh in self.shapes}
        self.trunc_shape = by_key["catalog.items.find.sku_in"]
        self.msgs = _messages(self)

    # ---- values for command templates -------------------------------------------------
    def pick(self, *choices: Any) -> _V:
        texts = [_j(c) for c in choices]
        n, rr = len(texts), self.rr
        return _V(lambda: texts[int(n * rr() * rr())])  # skewed towards the first

    def num(self, lo: int, hi: int) -> _V:
        rr = self.rr
        return _V(lambda: str(lo + int((hi - lo) * rr())))

    def money(self, lo: float, hi: float) -> _V:
        rr = self.rr
        return _V(lambda: f"{lo + (hi - lo) * rr():.2f}")

    def code(self, fmt: str, lo: int, hi: int) -> _V:
        rr = self.rr
        return _V(lambda: '"' + fmt % (lo + int((hi - lo) * rr())) + '"')

    def oid(self) -> _V:
        return _V(lambda: '{"$oid":"' + self.oid_hex() + '"}')

    def oid_hex(self) -> str:
        return f"{self.now_ms // 1000 - int(self.rr() * 9e6):08x}{self.bits(64):016x}"

    def uuid(self) -> str:
        h = f"{self.bits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"

    def uuid_v(self) -> _V:
        return _V(lambda: '{"$uuid":"' + self.uuid() + '"}')

    def date(self, lo_days: float, hi_days: float) -> _V:
        rr = self.rr
        return _V(
            lambda: (
                '{"$date":"'
                + _iso(self.now_ms - int((lo_days + (hi_days - lo_days) * rr()) * 86_400_000))
                + '"}'
            )
        )

    def arr(self, item: _V, lo: int, hi: int) -> _V:
        fn, rr = item.fn, self.rr
        return _V(lambda: "[" + ",".join(fn() for _ in range(lo + int((hi - lo) * rr()))) + "]")

    def email(self) -> _V:
        first = ("anna", "li", "omar", "sofia", "jan", "maria", "kenji", "fatima", "lucas", "emma")
        last = ("smith", "garcia", "muller", "rossi", "chen", "kowalski", "silva", "dubois")
        doms = ("example.com", "mail.example.org", "corp.example.net")
        rr = self.rr
        return _V(
            lambda: (
                f'"{first[int(10 * rr())]}.{last[int(8 * rr())]}{int(rr() * 9999)}'
                f'@{doms[int(3 * rr())]}"'
            )
        )

    # ---- clock and output ---------------------------------------------------------------
    def ts(self) -> str:
        local = self.now_ms + self.tz_ms
        m = local // 60_000
        if m != self.min_key:
            self.min_key = m
            self.min_prefix = time.strftime("%Y-%m-%dT%H:%M:", time.gmtime(m * 60))
        r = local - m * 60_000
        return f"{self.min_prefix}{r // 1000:02d}.{r % 1000:03d}{self.tz_sfx}"

    def put(self, rest: str, kind: int = _OTHER) -> None:
        line = '{"t":{"$date":"' + self.ts() + rest
        if self.xform is not None:
            line = self.xform(line)
            self.xform = None
        self.buf.append(line)
        self.pending += len(line) + 1
        self.counts[kind] += 1
        self.tz_left -= 1
        if self.tz_left == 0:
            self.rotate_tz()
        if len(self.buf) >= _FLUSH_LINES:
            self.flush()

    def put_slow(self, rest: str, sh: _Shape, dur: int) -> None:
        self.put(rest, _SLOW)
        st = self.stats
        st.total_duration_ms += dur
        st.per_namespace[sh.ns] = st.per_namespace.get(sh.ns, 0) + 1
        if sh.qh:
            st.per_query_hash[sh.qh] = st.per_query_hash.get(sh.qh, 0) + 1

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
        if self.buf:
            self.buf.append("")
            data = "\n".join(self.buf).encode()
            self.out.write(data)
            self.stats.bytes += len(data)
            self.stats.lines += len(self.buf) - 1
            self.buf.clear()
            self.pending = 0

    def rotate_tz(self) -> None:
        self.tz_left = _TZ_EVERY
        if len(self.tzs) > 1:
            self.tz_i = (self.tz_i + 1) % len(self.tzs)
            self.tz_ms, self.tz_sfx = self.tzs[self.tz_i]
            self.min_key = -1

    def written(self) -> int:
        return self.stats.bytes + self.pending

    def advance(self) -> None:
        """Move the clock to the next event, writing the connection ends and checkpoints due."""
        self.iters += 1
        if self.iters & 1023 == 0:
            self.retune()
        hour = (self.now_ms // 3_600_000) % 24
        new = self.now_ms + int(self.rng.expovariate(1.0) * self.gap * _DIURNAL[hour])
        while True:
            t_end = self.ends[0][0] if self.ends else new + 1
            t = min(t_end, self.next_ckpt)
            if t > new:
                break
            self.now_ms = max(self.now_ms, t)
            if t == t_end:
                self.end_conn(heapq.heappop(self.ends)[2])
            else:
                self.put(self.msgs["ckpt"]())
                self.next_ckpt += 60_000 + int(self.rr() * 900)
        self.now_ms = max(self.now_ms, new)

    def retune(self) -> None:
        """Spread the remaining lines over the remaining time span."""
        done = self.written()
        per_step = done / self.iters
        left_steps = max(1.0, (self.spec.target_bytes - done) / per_step)
        self.gap = max(0.0, (self.end_ms - self.now_ms) / left_steps / _DIURNAL_MEAN)

    # ---- connections ------------------------------------------------------------------
    def conn_for(self, app: _App) -> _Conn:
        pool = app.open
        if not pool or (len(pool) < app.pool and self.rr() < 0.05):
            return self.open_conn(app)
        return pool[int(len(pool) * self.rr())]

    def open_conn(self, app: _App, fail: str | None = None, remote: str | None = None) -> _Conn:
        rr = self.rr
        lo, hi = app.hosts
        host = lo + int((hi - lo + 1) * rr())
        if remote is None:
            remote = (
                f"{app.net}{host % 256}.{int(rr() * 254) + 1}:{32768 + int(rr() * 28000)}"
                if app.net.count(".") == 2
                else f"{app.net}{host}:{32768 + int(rr() * 28000)}"
            )
        conn = _Conn(self.next_cid, app, remote, self.uuid(), self.uuid())
        self.next_cid += 1
        self.n_open += 1
        m = self.msgs
        self.put(m["accepted"]("listener", self.conn_attr(conn)), _ACCEPTED)
        ctx = f"conn{conn.cid}"
        if fail != "scanner" or rr() < 0.3:
            self.now_ms += int(rr() * 3)
            neg = ',"negotiatedCompressors":[]' if self.v6 else ""
            attr = f'{{"remote":"{remote}","client":"{ctx}"{neg},"doc":{app.doc_json}}}'
            self.put(m["metadata"](ctx, attr), _METADATA)
        self.now_ms += 2 + int(rr() * 25)
        if fail is None:
            if self.v7:
                self.put(m["authmetrics"](ctx, '{"metric":"acquireUser","micros":0}'))
            self.put(m["auth_ok"](ctx, self.auth_attr(conn, None)), _AUTH_OK)
            if self.v7:
                self.put(m["firstcmd"](ctx, f'{{"elapsedMillis":{int(rr() * 9)}}}'))
            lo_s, hi_s = app.life
            life = lo_s * math.exp(rr() * math.log(hi_s / lo_s))
            app.open.append(conn)
        else:
            self.put(m["auth_fail"](ctx, self.auth_attr(conn, fail)), _AUTH_FAIL)
            life = 0.02 + rr() * 1.5
        heapq.heappush(self.ends, (self.now_ms + int(life * 1000) + 1, conn.cid, conn))
        return conn

    def conn_attr(self, conn: _Conn) -> str:
        lb = '"isLoadBalanced":false,' if self.v8 else ""
        if self.v7:
            uid = f'"uuid":{{"uuid":{{"$uuid":"{conn.uuid}"}}}},'
        elif self.v5:
            uid = f'"uuid":"{conn.uuid}",'
        else:
            uid = ""
        return (
            f'{{"remote":"{conn.remote}",{lb}{uid}"connectionId":{conn.cid},'
            f'"connectionCount":{self.n_open}}}'
        )

    def auth_attr(self, conn: _Conn, fail: str | None) -> str:
        app, rr = conn.app, self.rr
        user, db, mech = app.user, app.db, "SCRAM-SHA-256"
        code, err = 0, ""
        if fail == "scanner":
            user = ("admin", "root", "mongo", "test", "user", "backup")[int(rr() * 6)]
            mech = "SCRAM-SHA-1" if rr() < 0.6 else "SCRAM-SHA-256"
            code, err = 11, f'UserNotFound: Could not find user \\"{user}\\" for db \\"{db}\\"'
        elif fail == "abandoned" and self.v7:
            user, db, mech = "", "", ""
            code = 337
            err = "AuthenticationAbandoned: Authentication session abandoned, client has likely disconnected"
        elif fail is not None:
            code, err = 18, "AuthenticationFailed: SCRAM authentication failed, storedKey mismatch"
        if self.v7:
            spec = "false" if fail else ("true" if rr() < 0.8 else "false")
            member = "true" if app.cluster else "false"
            micros = int(800 + rr() * 30000)
            head = (
                f'{{"client":"{conn.remote}","isSpeculative":{spec},"isClusterMember":{member},'
                f'"mechanism":"{mech}","user":"{user}","db":"{db}",'
            )
            if fail is None:
                summary = (
                    f'{{"0":{{"step":1,"step_total":2,"duration_micros":{int(micros * 0.01) + 20}}},'
                    f'"1":{{"step":2,"step_total":2,"duration_micros":{int(micros * 0.004) + 9}}}}}'
                )
                return (
                    f'{head}"result":0,"metrics":{{"conversation_duration":{{"micros":{micros},'
                    f'"summary":{summary}}}}},"extraInfo":{{}}}}'
                )
            return (
                f'{head}"error":"{err}","result":{code},"metrics":{{"conversation_duration":'
                f'{{"micros":{micros},"summary":{{}}}}}},"extraInfo":{{}}}}'
            )
        who = f'"mechanism":"{mech}",'
        if self.v5:
            who += '"speculative":' + ("false" if fail else "true") + ","
        who += f'"principalName":"{user}","authenticationDatabase":"{db}",'
        if not self.v5:  # 4.4's early form: "client" and a "result" string
            tail = f',"result":"{err}"' if fail else ""
            return f'{{{who}"client":"{conn.remote}"{tail}}}'
        tail = f',"error":"{err}"' if fail else ""
        return f'{{{who}"remote":"{conn.remote}","extraInfo":{{}}{tail}}}'

    def end_conn(self, conn: _Conn) -> None:
        self.n_open -= 1
        pool = conn.app.open
        if conn in pool:
            pool.remove(conn)
        ctx = f"conn{conn.cid}"
        if self.rr() < 0.05:
            self.put(self.msgs["interrupted"](ctx, f'{{"opId":{int(self.rr() * 9e6)}}}'))
        self.put(self.msgs["ended"](ctx, self.conn_attr(conn)), _ENDED)

    # ---- slow queries -----------------------------------------------------------------
    def slow(self) -> None:
        sh = self.shapes[bisect.bisect(self.cum, self.rr() * self.total_weight)]
        conn = None if sh.ctx else self.conn_for(self.apps[sh.app])
        if self.rr() < self.spec.truncation_rate:
            sh = self.trunc_shape
            conn = self.conn_for(self.apps[sh.app])
            self.put_slow(*_slow_line(self, sh, conn, truncated=True))
        elif sh.op == "createIndexes":
            _index_build(self, sh, conn)
        else:
            self.put_slow(*_slow_line(self, sh, conn))

    def session_tail(self, conn: _Conn, db: str) -> str:
        sec = self.now_ms // 1000
        sig = self.sigs[(sec // 7) % 64]
        return (
            f',"lsid":{{"id":{{"$uuid":"{conn.lsid}"}}}},"$clusterTime":{{"clusterTime":'
            f'{{"$timestamp":{{"t":{sec},"i":{1 + int(self.rr() * 40)}}}}},"signature":{{"hash":'
            f'{{"$binary":{{"base64":"{sig}","subType":"0"}}}},"keyId":{_KEY_ID}}}}},'
            f'"$db":"{db}"{conn.app.rp}}}'
        )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


_DIURNAL = [1.8, 2.2, 2.5, 2.5, 2.2, 1.8, 1.4, 1.1, 0.9, 0.8, 0.7, 0.7,
            0.7, 0.7, 0.7, 0.7, 0.75, 0.8, 0.85, 0.9, 1.0, 1.1, 1.3, 1.5]  # fmt: skip
_DIURNAL_MEAN = sum(_DIURNAL) / 24


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


# ---- messages ----------------------------------------------------------------------------
def _messages(g: _Gen) -> dict[str, Callable[..., str]]:
    """Renderers of the non-slow-query messages, by name."""
    auth_ok = (
        _Msg("I", "ACCESS", 5286306, "Successfully authenticated")
        if g.v7
        else _Msg(
            "I",
            "ACCESS",
            20250,
            "Authentication succeeded" if g.v5 else "Successful authentication",
        )
    )
    auth_fail = (
        _Msg("I", "ACCESS", 5286307, "Failed to authenticate")
        if g.v7
        else _Msg("I", "ACCESS", 20249, "Authentication failed")
    )
    m: dict[str, Callable[..., str]] = {
        "accepted": _Msg("I", "NETWORK", 22943, "Connection accepted"),
        "ended": _Msg("I", "NETWORK", 22944, "Connection ended"),
        "metadata": _Msg("I", "NETWORK", 51800, "client metadata"),
        "auth_ok": auth_ok,
        "auth_fail": auth_fail,
        "authmetrics": _Msg("I", "ACCESS", 6788604, "Auth metrics report"),
        "firstcmd": _Msg(
            "I",
            "NETWORK",
            6788700,
            "Received first command on ingress connection since session start or auth handshake",
        ),
        "interrupted": _Msg("I", "-", 20883, "Interrupted operation as its client disconnected"),
        "slow": _Msg("I", "COMMAND", 51803, "Slow query"),
        "slow_write": _Msg("I", "WRITE", 51803, "Slow query"),
        "slow_storage": _Msg("I", "STORAGE", 51803, "Slow query"),
    }
    wt = _Msg("I", "WTCHKPT" if g.v7 else "STORAGE", 22430, "WiredTiger message")
    pid = f"{4000 + g.rng.randrange(60000)}"
    thread = f"{pid}:0x7f{g.bits(40):010x}" if g.v7 else f"{pid}:{140000000000000 + g.bits(40)}"

    def ckpt() -> str:
        g.ckpt_n += 1
        sec, usec = g.now_ms // 1000, (g.now_ms % 1000) * 1000 + int(g.rr() * 999)
        text = (
            f"saving checkpoint snapshot min: {g.ckpt_n * 7}, snapshot max: {g.ckpt_n * 7} "
            f"snapshot count: 0, oldest timestamp: ({sec - 300}, 1) , meta checkpoint "
            f"timestamp: ({sec - 1}, 1) base write gen: {g.ckpt_n + 2331}"
        )
        if g.v7:
            attr = (
                f'{{"message":{{"ts_sec":{sec},"ts_usec":{usec},"thread":"{thread}",'
                '"session_name":"WT_SESSION.checkpoint","category":"WT_VERB_CHECKPOINT_PROGRESS",'
                '"category_id":6,"verbose_level":"DEBUG_1","verbose_level_id":1,'
                f'"msg":"{text}"}}}}'
            )
        else:
            attr = (
                f'{{"message":"[{sec}:{usec}][{thread}], WT_SESSION.checkpoint: '
                f'[WT_VERB_CHECKPOINT_PROGRESS] {text}"}}'
            )
        return wt("Checkpointer", attr)

    m["ckpt"] = ckpt
    return m


def _noise_table(g: _Gen) -> tuple[list[float], list[Callable[[], str]]]:
    """Everyday messages of a busy replica set member, with their relative frequency."""
    rr = g.rr
    members = (
        "mongo-prod-1.internal:27017",
        "mongo-prod-2.internal:27017",
        "mongo-prod-3.internal:27017",
    )
    hb = _Msg("D2", "REPL_HB", 4615670, "Sending heartbeat")
    ttl = _Msg("I", "INDEX", 5479200, "Deleted expired documents using index")
    socket = _Msg("W", "NETWORK", 4615610, "Failed to check socket connectivity")
    applied = _Msg("I", "REPL", 51801, "Applied op")
    exec_err = _Msg("W", "QUERY", 23799, "Aggregate command executor error")
    send_err = _Msg(
        "I",
        "EXECUTOR" if g.v7 else "-",
        22989,
        "Error sending response to client. Ending connection from remote",
    )
    connecting = _Msg("I", "CONNPOOL", 22576, "Connecting")
    rsm = _Msg("I", "-", 4333222, "RSM received error response")
    unauthorized = _Msg("I", "ACCESS", 20436, "Checking authorization failed")
    drop = _Msg(
        "I", "STORAGE", 22260, "Removing drop-pending idents with drop timestamps before timestamp"
    )
    create = _Msg("I", "STORAGE", 20320, "createCollection")
    sess = _Msg(
        "I",
        "CONTROL",
        20710,
        "Failed to refresh session cache, will try again at the next refresh interval",
    )
    slow_net = _Msg("I", "NETWORK", 6983000, "Slow network response send time")

    def any_conn() -> str:
        return f"conn{max(1, g.next_cid - 1 - int(rr() * 50))}"

    def heartbeat() -> str:
        target = members[1 + int(rr() * 2)]
        return hb(
            f"ReplCoord-{int(rr() * 12)}",
            f'{{"requestId":{int(rr() * 9e6)},"target":"{target}","heartbeatObj":'
            f'{{"replSetHeartbeat":"rs-prod","configVersion":14,"configTerm":9,"hbv":1,'
            f'"from":"{members[0]}","fromId":0,"term":9,"primaryId":0}}}}',
        )

    def ttl_delete() -> str:
        ns, idx = (("users.sessions", "expiresAt_1"), ("shop.carts", "updatedAt_1"))[int(rr() * 2)]
        return ttl(
            "TTLMonitor",
            f'{{"namespace":"{ns}","index":"{idx}","numDeleted":{int(rr() * rr() * 40000)},'
            f'"durationMillis":{int(rr() * rr() * 900)}}}',
        )

    def socket_check() -> str:
        return socket(
            any_conn(),
            '{"error":{"code":6,"codeName":"HostUnreachable","errmsg":"peekASIOStream :: caused '
            'by :: Connection closed by peer"}}',
        )

    def applied_op() -> str:
        sec = g.now_ms // 1000
        return applied(
            f"ReplWriterWorker-{int(rr() * 16)}",
            f'{{"command":{{"op":"u","ns":"shop.orders","ui":{{"$uuid":"{g.uuid()}"}},'
            f'"o":{{"$v":2,"diff":{{"u":{{"status":"shipped"}}}}}},"o2":{{"_id":{{"$oid":'
            f'"{g.oid_hex()}"}}}},"ts":{{"$timestamp":{{"t":{sec},"i":{1 + int(rr() * 30)}}}}},'
            f'"t":9,"v":2,"wall":{{"$date":"{_iso(g.now_ms)}"}}}},'
            f'"durationMillis":{100 + int(rr() * 400)}}}',
        )

    def aggregate_error() -> str:
        return exec_err(
            any_conn(),
            '{"error":{"code":292,"codeName":"QueryExceededMemoryLimitNoDiskUseAllowed",'
            '"errmsg":"PlanExecutor error during aggregation :: caused by :: Sort exceeded memory '
            'limit of 104857600 bytes, but did not opt in to external sorting."},'
            '"stats":{},"cmd":{"aggregate":"events","pipeline":[{"$match":{"type":"?"}},'
            '{"$sort":{"ts":-1}}],"cursor":{},"$db":"analytics"}}',
        )

    def send_error() -> str:
        cid = max(1, g.next_cid - 1 - int(rr() * 50))
        return send_err(
            f"conn{cid}",
            '{"error":{"code":9001,"codeName":"SocketException","errmsg":"futurize :: caused by '
            f':: Broken pipe"}},"remote":"10.20.1.{11 + int(rr() * 8)}:{32768 + int(rr() * 28000)}'
            f'","connectionId":{cid}}}',
        )

    def pool_connect() -> str:
        return connecting("ReplNetwork", f'{{"hostAndPort":"{members[1 + int(rr() * 2)]}"}}')

    def rsm_error() -> str:
        return rsm(
            "ReplicaSetMonitor-TaskExecutor",
            f'{{"host":"{members[2]}","error":"HostUnreachable: Error connecting to {members[2]} '
            ':: caused by :: Connection timed out","replicaSet":"rs-prod","response":{}}',
        )

    def unauthorized_cmd() -> str:
        return unauthorized(
            any_conn(),
            '{"error":{"code":13,"codeName":"Unauthorized","errmsg":"not authorized on admin to '
            'execute command { getLog: \\"startupWarnings\\", lsid: { id: UUID(\\"'
            + g.uuid()
            + '\\") }, $db: \\"admin\\" }"}}',
        )

    def drop_pending() -> str:
        sec = g.now_ms // 1000
        return drop("TimestampMonitor", f'{{"timestamp":{{"$timestamp":{{"t":{sec},"i":1}}}}}}')

    def create_coll() -> str:
        u = g.uuid()
        day = _iso(g.now_ms)[:10].replace("-", "_")
        return create(
            any_conn(),
            f'{{"namespace":"analytics.tmp_agg_{day}_{int(rr() * 999)}","uuidDisposition":'
            f'"generated","uuid":{{"uuid":{{"$uuid":"{u}"}}}},"options":{{}}}}',
        )

    def session_refresh() -> str:
        return sess(
            "LogicalSessionCacheRefresh",
            '{"error":"WriteConcernFailed: waiting for replication timed out; Error details: '
            '{ wtimeout: true, writeConcern: { w: \\"majority\\", wtimeout: 15000 } }"}',
        )

    def slow_network() -> str:
        return slow_net(
            any_conn(),
            f'{{"elapsedMillis":{100 + int(rr() * 3000)},"remote":"10.20.4.{41 + int(rr() * 2)}:'
            f'{32768 + int(rr() * 28000)}"}}',
        )

    table = [
        (30, heartbeat), (4, ttl_delete), (3, socket_check), (8, applied_op),
        (0.6, aggregate_error), (0.8, send_error), (2, pool_connect), (0.3, rsm_error),
        (0.5, unauthorized_cmd), (1.5, drop_pending), (0.3, create_coll), (0.2, session_refresh),
        (0.8, slow_network),
    ]  # fmt: skip
    cum, fns, total = [], [], 0.0
    for w, fn in table:
        total += w
        cum.append(total)
        fns.append(fn)
    return [c / total for c in cum], fns


# ---- slow queries ------------------------------------------------------------------------
def _slow_line(
    g: _Gen, sh: _Shape, conn: _Conn | None, truncated: bool = False
) -> tuple[str, _Shape, int]:
    """Render one slow query of a shape; return the line after its date, the shape, its ms."""
    rr = g.rr
    op = sh.op
    cmd = sh.fmt if op == "getMore" else sh.fmt % tuple(f() for f in sh.vals)
    stmt = op in ("stmt_update", "stmt_remove")
    if truncated:
        cmd = _truncated_command(g)
    elif stmt:
        cmd += "}"
    elif conn is None or conn.app.cluster:
        cmd += f',"$db":"{sh.db}"}}'
    else:
        cmd += g.session_tail(conn, sh.db)
    cursor = ""
    if op == "getMore":
        orig = sh.orig
        assert orig is not None
        cursor = str(g.bits(62) + 1)
        ocmd = orig.fmt % tuple(f() for f in orig.vals)
        ocmd += g.session_tail(conn, sh.db) if conn else "}"
        cmd = cmd % cursor + ',"originatingCommand":' + ocmd
    # how much work it did
    lo, hi = sh.nret
    nret = lo + int((hi - lo) * rr() * rr())
    plan = sh.plan
    if plan.startswith("COLLSCAN"):
        keys, docs = 0, int(sh.ndocs * (0.25 + 0.75 * rr()))
        base = sh.ms + docs / 2500
    elif plan.startswith("IDHACK"):
        keys = docs = 1
        nret = 1 if rr() < 0.97 else 0
        base = sh.ms
    elif plan.startswith(("COUNT_SCAN", "DISTINCT_SCAN")):
        keys, docs = nret * 3 + int(rr() * 5000), 0
        base = sh.ms + keys / 3000
    elif plan:
        keys = nret + int(nret * 3 * rr()) + int(rr() * 4)
        docs = 0 if "covered" in sh.key else keys
        base = sh.ms + keys / 300
    else:
        keys = docs = 0
        base = sh.ms
    dur = 100 + int(base * math.exp(g.rng.gauss(0.0, 0.75)))
    if rr() < 0.004:
        dur *= 5 + int(rr() * 40)
    work = docs + keys
    yields = work // 1000 + (int(dur * rr() / 10) if work > 100 else 0)
    p: list[str] = [
        '{"type":"',
        "update" if op == "stmt_update" else "remove" if op == "stmt_remove" else "command",
        '"',
    ]
    if g.v8 and conn is not None:
        p.append(',"isFromUserConnection":true')
    p += [',"ns":"', sh.ns, '"']
    if g.v8:
        p.append(',"collectionType":"normal"')
    if conn is not None and conn.app.name:
        p += [',"appName":"', conn.app.name, '"']
    p += [',"command":', cmd]
    write = op in ("update", "delete", "insert", "stmt_update", "stmt_remove", "fam")
    if plan:
        summary = sh.summary
        if g.v8 and plan.startswith("IDHACK"):
            summary = "EXPRESS_IXSCAN { _id: 1 }" + (
                ",EXPRESS_UPDATE"
                if op in ("stmt_update", "fam")
                else ",EXPRESS_DELETE"
                if op == "stmt_remove"
                else ""
            )
        p += [',"planSummary":"', summary, '"']
        if op == "getMore":
            p += [',"cursorid":', cursor]
        elif g.v7:
            p += [',"planningTimeMicros":', str(40 + int(rr() * rr() * 3000))]
        if g.v6 and write:
            p += [',"totalOplogSlotDurationMicros":', str(20 + int(rr() * 300))]
        p += [',"keysExamined":', str(keys), ',"docsExamined":', str(docs)]
        if sh.sort:
            p.append(',"hasSortStage":true')
        if sh.disk and rr() < sh.disk:
            p.append(',"usedDisk":true')
        if plan.startswith("IXSCAN") and rr() < 0.1:
            p.append(',"fromMultiPlanner":true')
        if op in ("stmt_update", "fam"):
            matched = 0 if nret == 0 else min(nret, docs or 1)
            p += [',"nMatched":', str(matched), ',"nModified":', str(matched)]
            if op == "stmt_update":
                p += [',"nUpserted":', "1" if matched == 0 and '"upsert":true' in sh.fmt else "0"]
            p += [',"keysInserted":', str(matched * 2), ',"keysDeleted":', str(matched * 2)]
            if rr() < 0.03:
                p += [',"writeConflicts":', str(1 + int(rr() * 40))]
        elif op == "stmt_remove":
            p += [',"ndeleted":', str(nret), ',"keysDeleted":', str(nret * 3)]
        if op == "getMore":
            p.append(',"nBatches":1')
        if op in ("find", "aggregate", "getMore") and rr() < 0.8:
            p.append(',"cursorExhausted":true')
    elif op == "insert":
        if g.v6:
            p += [',"totalOplogSlotDurationMicros":', str(20 + int(rr() * 300))]
        p += [',"ninserted":', str(max(1, nret)), ',"keysInserted":', str(max(1, nret) * 3)]
    p += [',"numYields":', str(yields)]
    if plan.startswith("COLLSCAN") and rr() < 0.02:
        p.append(
            ',"ok":0,"errMsg":"operation exceeded time limit","errName":"MaxTimeMSExpired","errCode":50'
        )
    if op in ("find", "aggregate", "getMore"):
        p += [',"nreturned":', str(nret)]
    if sh.qh:
        if g.v8:
            p += [
                ',"planCacheShapeHash":"',
                sh.qh,
                '","queryHash":"',
                sh.qh,
                '","planCacheKey":"',
                sh.pck,
                '","queryShapeHash":"',
                sh.qsh,
                '"',
            ]
        else:
            p += [',"queryHash":"', sh.qh, '","planCacheKey":"', sh.pck, '"']
        if g.v6:
            p.append(
                ',"queryFramework":"sbe"'
                if op == "aggregate" and g.v7
                else ',"queryFramework":"classic"'
            )
    if not stmt:
        p += [',"reslen":', str(nret * sh.size + 90 + int(rr() * 200) if not write else 230)]
    p += [',"locks":', _locks(g, write, yields + 1)]
    if write:
        p += [',"flowControl":{"acquireCount":', str(1 + yields // 4), "}"]
    if op != "insert":
        p.append(',"readConcern":{"level":"local","provenance":"implicitDefault"}')
    if write and not stmt:
        p.append(
            ',"writeConcern":{"w":"majority","wtimeout":0,"provenance":"implicitDefault"}'
            if g.v5
            else ',"writeConcern":{"w":1,"wtimeout":0,"provenance":"implicitDefault"}'
        )
    if rr() < 0.35 and docs:
        read = int(docs * sh.size * (0.02 + rr() * 0.3)) + 4096
        p += [
            ',"storage":{"data":{"bytesRead":',
            str(read),
            ',"timeReadingMicros":',
            str(read // 20000 + int(rr() * 900)),
            "}}",
        ]
    else:
        p.append(',"storage":{}')
    if g.v8:
        p += [',"cpuNanos":', str(int(dur * 1e6 * (0.4 + 0.5 * rr())))]
    if conn is not None:
        p += [',"remote":"', conn.remote, '"']
        if not stmt:
            p.append(',"protocol":"op_msg"')
    if g.v8:
        queued = int(dur * 0.3 * rr()) if rr() < 0.1 else 0
        p += [
            ',"queues":{"ingress":{"admissions":1},"execution":{"admissions":',
            str(yields + 1),
            ',"totalTimeQueuedMicros":',
            str(queued * 1000),
            "}}",
        ]
        p += [',"workingMillis":', str(dur - queued)]
    p += [',"durationMillis":', str(dur), "}"]
    attr = "".join(p)
    msg = g.msgs["slow_write" if stmt else "slow"]
    ctx = f"conn{conn.cid}" if conn is not None else sh.ctx
    if truncated:
        size = 21000 + int(rr() * 40000)
        trunc = (
            ',"truncated":{"command":{"truncated":{"filter":{"truncated":{"sku":{"truncated":'
            f'{{"$in":{{"truncated":{{"376":{{"type":"string","size":14}}}},"omitted":{size // 16}}}'
            '}}},"omitted":1}},"omitted":3}},"size":{"command":' + str(size) + "}"
        )
        return msg(ctx, attr)[:-1] + trunc + "}", sh, dur
    return msg(ctx, attr), sh, dur


def _truncated_command(g: _Gen) -> str:
    """The command attribute as mongod cuts it at maxLogSizeKB: the $in list stops at 376."""
    skus = ",".join(f'"SKU-{g.rng.randrange(1_000_000):06d}"' for _ in range(376))
    return f'{{"find":"items","filter":{{"sku":{{"$in":[{skus}]}}}}}}'


def _locks(g: _Gen, write: bool, n: int) -> str:
    if g.v8:
        return f'{{"Global":{{"acquireCount":{{"{"w" if write else "r"}":{n}}}}}}}'
    if write:
        return (
            f'{{"ParallelBatchWriterMode":{{"acquireCount":{{"r":{n}}}}},'
            + (f'"FeatureCompatibilityVersion":{{"acquireCount":{{"w":{n}}}}},' if g.v6 else "")
            + f'"ReplicationStateTransition":{{"acquireCount":{{"w":{n + 1}}}}},'
            f'"Global":{{"acquireCount":{{"w":{n}}}}},"Database":{{"acquireCount":{{"w":{n}}}}},'
            f'"Collection":{{"acquireCount":{{"w":{n}}}}},"Mutex":{{"acquireCount":{{"r":2}}}}}}'
        )
    if g.v6:
        return (
            f'{{"FeatureCompatibilityVersion":{{"acquireCount":{{"r":{n}}}}},'
            f'"Global":{{"acquireCount":{{"r":{n}}}}},"Mutex":{{"acquireCount":{{"r":1}}}}}}'
        )
    return (
        f'{{"ReplicationStateTransition":{{"acquireCount":{{"w":{n}}}}},'
        f'"Global":{{"acquireCount":{{"r":{n}}}}},"Database":{{"acquireCount":{{"r":{n}}}}},'
        f'"Collection":{{"acquireCount":{{"r":{n}}}}},"Mutex":{{"acquireCount":{{"r":1}}}}}}'
    )


_INDEX_NAME = "createdAt_-1"


def _index_build(g: _Gen, sh: _Shape, conn: _Conn | None) -> None:
    """A createIndexes: the index build's messages, then its slow query."""
    assert conn is not None
    rr, ctx = g.rr, f"conn{conn.cid}"
    build, coll_uuid = g.uuid(), g.uuid()
    ndocs = sh.ndocs
    b = f'{{"buildUUID":{{"uuid":{{"$uuid":"{build}"}}}}'
    cu = f'"collectionUUID":{{"uuid":{{"$uuid":"{coll_uuid}"}}}}'
    worker = "IndexBuildsCoordinatorMongod-0"
    msgs = (
        (
            ctx,
            _Msg("I", "INDEX", 20438, "Index build: registering"),
            f'{b},"namespace":"{sh.ns}",{cu},"indexes":1,"firstIndex":{{"name":"{_INDEX_NAME}"}}}}',
        ),
        (
            worker,
            _Msg("I", "INDEX", 20384, "Index build: starting"),
            f'{b},{cu},"namespace":"{sh.ns}","properties":{{"v":2,"key":{{"createdAt":-1}},"name":"{_INDEX_NAME}"}},"specIndex":0,"numSpecs":1,"method":"Hybrid"}}',
        ),
        (
            ctx,
            _Msg("I", "INDEX", 20440, "Index build: waiting for index build to complete"),
            f'{b},"deadline":{{"$date":{{"$numberLong":"9223372036854775807"}}}}}}',
        ),
        (
            worker,
            _Msg("I", "INDEX", 20391, "Index build: collection scan done"),
            f'{b},{cu},"namespace":"{sh.ns}","totalRecords":{ndocs},"readSource":"kNoTimestamp","durationMillis":{int(ndocs / 900)}}}',
        ),
        (
            worker,
            _Msg("I", "INDEX", 20685, "Index build: inserted keys from external sorter into index"),
            f'{{"namespace":"{sh.ns}","index":"{_INDEX_NAME}","keysInserted":{ndocs},"durationMillis":{int(ndocs / 3000)}}}',
        ),
        (
            worker,
            _Msg("I", "STORAGE", 20663, "Index build: completed successfully"),
            f'{b},{cu},"namespace":"{sh.ns}","indexesBuilt":["{_INDEX_NAME}"],"numIndexesBefore":4,"numIndexesAfter":5}}',
        ),
        (ctx, _Msg("I", "INDEX", 20447, "Index build: completed"), b + "}"),
    )
    total = 0
    for i, (c, msg, attr) in enumerate(msgs):
        step = int(ndocs / 1500 * rr()) if i in (3, 4) else int(rr() * 40)
        g.now_ms += step
        total += step
        g.put(msg(c, attr))
    cmd = sh.fmt + g.session_tail(conn, sh.db)
    attr = (
        f'{{"type":"command","ns":"{sh.ns}","appName":"{conn.app.name}","command":{cmd},'
        f'"numYields":0,"reslen":271,"locks":{_locks(g, True, 3)},"storage":{{}},'
        f'"remote":"{conn.remote}","protocol":"op_msg","durationMillis":{total + 100}}}'
    )
    g.put_slow(g.msgs["slow"](ctx, attr), sh, total + 100)


def _huge_insert(g: _Gen, size: int) -> None:
    """A valid slow insert of several MB: a big `documents` array logged whole."""
    conn = g.conn_for(g.apps["etl"])
    rr = g.rr
    parts, n = [], 0
    while n < size:
        doc = (
            f'{{"_id":{{"$oid":"{g.oid_hex()}"}},"type":"page_view","userId":{int(rr() * 9e6)},'
            f'"sessionId":"{g.uuid()}","ts":{{"$date":"{_iso(g.now_ms)}"}},"props":{{"path":'
            f'"/p/{int(rr() * 99999)}","ref":"https://www.example.com/","ms":{int(rr() * 900)}}}}}'
        )
        parts.append(doc)
        n += len(doc) + 1
    dur = 2000 + int(rr() * 9000)
    attr = (
        '{"type":"command","ns":"analytics.events","appName":"analytics-etl","command":'
        '{"insert":"events","ordered":false,"documents":['
        + ",".join(parts)
        + "]"
        + g.session_tail(conn, "analytics")
        + f',"ninserted":{len(parts)},"keysInserted":{len(parts) * 3},"numYields":0,'
        f'"reslen":45,"locks":{_locks(g, True, 3)},"storage":{{}},"remote":"{conn.remote}",'
        f'"protocol":"op_msg","durationMillis":{dur}}}'
    )
    sh = next(s for s in g.shapes if s.ns == "analytics.events" and s.op == "insert")
    g.put_slow(g.msgs["slow"](f"conn{conn.cid}", attr), sh, dur)


# ---- faults ------------------------------------------------------------------------------
_FAULTS = (
    ("invalid_json", 3), ("binary", 1), ("nul_run", 1), ("nul_prefix", 1), ("other_format", 2),
    ("not_a_record", 2), ("not_utf8", 1), ("cr", 2), ("crlf", 3), ("blank", 4), ("blank_crlf", 1),
)  # fmt: skip
_LEGACY = (
    "{ts} I NETWORK  [listener] connection accepted from 10.20.1.14:51234 #{n} (57 connections now open)",
    '{ts} I COMMAND  [conn{n}] command shop.orders command: find {{ find: "orders", filter: {{ status: "pending" }} }} planSummary: COLLSCAN keysExamined:0 docsExamined:48211 nreturned:3 reslen:4210 {n}ms',
    "mongod: /opt/mongo/src/mongo/db/storage/wiredtiger/wiredtiger_kv_engine.cpp:1021: Invariant failure",
    "Killed",
    "  mongod(+0x5F2E3B1) [0x55E2C1A3B3B1]",
)


def _fault(g: _Gen, kind: str, noise: Callable[[], str]) -> None:
    rr = g.rr
    if kind in ("cr", "crlf"):
        g.xform = _add_cr if kind == "cr" else _add_crlf
        g.put(noise())
        return
    if kind in ("blank", "blank_crlf"):
        g.put_raw(b"" if kind == "blank" else b"\r", None)
        return
    good = ('{"t":{"$date":"' + g.ts() + noise()).encode()
    if kind == "invalid_json":
        cut = len(good) // 4 + int(rr() * len(good) // 2)
        g.put_raw(good[:cut], "invalid_json")
    elif kind == "binary":
        junk = bytes(g.rng.choice(_JUNK) for _ in range(16 + int(rr() * 200)))
        g.put_raw(b"PK\x03\x04\x00" + junk, "binary")
    elif kind == "nul_run":
        g.put_raw(b"\x00" * (256 + int(rr() * 16000)), "binary")
    elif kind == "nul_prefix":
        g.put_raw(b"\x00" * (16 + int(rr() * 4000)) + good, "binary")
    elif kind == "other_format":
        ts = _iso(g.now_ms)[:-1] + "+0000"
        text = _LEGACY[int(rr() * len(_LEGACY))].format(ts=ts, n=int(rr() * 9000))
        g.put_raw(text.encode(), "other_format")
    elif kind == "not_a_record":
        text = (
            '{"s":"I","c":"NETWORK","id":22943,"ctx":"listener","msg":"Connection accepted"}',
            '{"log":'
            + _j(good.decode() + "\n")
            + ',"stream":"stdout","time":"'
            + _iso(g.now_ms)
            + '"}',
            '{"level":"info","msg":"mongod restarted by supervisor","pid":'
            + str(int(rr() * 9e4))
            + "}",
        )[int(rr() * 3)]
        g.put_raw(text.encode(), "not_a_record")
    else:  # not_utf8: text from a Latin-1 console
        g.put_raw("Démarrage du serveur mongod échoué: accès refusé".encode("latin-1"), "not_utf8")


_JUNK = [b for b in range(256) if b not in (0x0A, 0x0D)]


def _add_cr(line: str) -> str:
    return line.replace('"ctx":', '\r"ctx":', 1)  # a stray CR between tokens is JSON whitespace


def _add_crlf(line: str) -> str:
    return line + "\r"


# ---- the shapes --------------------------------------------------------------------------
def _build_shapes(g: _Gen) -> list[_Shape]:
    """About 70 query shapes over 8 application databases, with their plans and weights."""
    p, n, oid, code, date, money, arr = g.pick, g.num, g.oid, g.code, g.date, g.money, g.arr
    cities = ("São Paulo", "Zürich", "Lyon", "Austin", "Osaka", "Kraków", "Nairobi", "Toronto")
    order_status = ("pending", "paid", "shipped", "delivered", "cancelled", "refunded")
    sku = code("SKU-%06d", 0, 999_999)
    shapes: list[_Shape] = []

    def q(key: str, app: str, op: str, body: dict[str, Any], plan: str = "", *, w: float = 1.0,
          nret: tuple[int, int] = (0, 50), ms: float = 60, sort: bool = False, disk: float = 0.0,
          ctx: str = "") -> _Shape:  # fmt: skip
        db, coll = key.split(".")[:2]
        vals: list[Callable[[], str]] = []
        fmt = _template(body, vals)[:-1]  # the closing brace comes with the session fields
        ns = f"{db}.$cmd" if op in ("update", "delete") else f"{db}.{coll}"
        ndocs, size = _COLLS.get(f"{db}.{coll}", (10_000, 500))
        sh = _Shape(key, app, db, coll, op, fmt, vals, plan, nret, ms, w, sort, disk, ndocs, size,
                    ns, ctx=ctx)  # fmt: skip
        sh.summary = _j(plan)[1:-1]
        if plan:
            sh.qh = _hex8("shape:" + key.rsplit(".", 1)[0] + ":" + _shape_text(body))
            sh.pck = _hex8("plan:" + key + plan)
            sh.qsh = "".join(_hex8(f"{i}:{key}") for i in range(8))
        shapes.append(sh)
        return sh

    def more(orig: _Shape, w: float) -> None:
        sh = q(orig.key + ".getMore", orig.app, "getMore", {"getMore": 0, "collection": orig.coll},
               orig.plan, w=w, nret=(50, 2000), ms=orig.ms, sort=orig.sort)  # fmt: skip
        sh.fmt = '{"getMore":%s,"collection":"' + orig.coll + '","batchSize":1000'
        sh.vals, sh.orig, sh.qh, sh.pck, sh.qsh = [], orig, orig.qh, orig.pck, orig.qsh

    # shop: orders-api
    q(
        "shop.orders.find.customer",
        "orders",
        "find",
        {
            "find": "orders",
            "filter": {"customerId": oid(), "status": p(*order_status)},
            "sort": {"createdAt": -1},
            "limit": 50,
        },
        "IXSCAN { customerId: 1, createdAt: -1 }",
        w=30,
    )
    q(
        "shop.orders.find.status",
        "orders",
        "find",
        {
            "find": "orders",
            "filter": {"status": p(*order_status)},
            "sort": {"createdAt": -1},
            "limit": 100,
        },
        "IXSCAN { status: 1 }",
        w=14,
        sort=True,
        ms=250,
        nret=(20, 100),
    )
    city = q(
        "shop.orders.find.city",
        "orders",
        "find",
        {
            "find": "orders",
            "filter": {"shipping.city": p(*cities), "createdAt": {"$gte": date(1, 30)}},
            "projection": {"_id": 1, "total": 1, "status": 1},
        },
        "COLLSCAN",
        w=9,
        nret=(0, 400),
    )
    q(
        "shop.orders.find.id",
        "orders",
        "find",
        {"find": "orders", "filter": {"_id": oid()}, "limit": 1, "singleBatch": True},
        "IDHACK",
        w=6,
        nret=(1, 1),
        ms=40,
    )
    q(
        "shop.orders.aggregate.top_customers",
        "orders",
        "aggregate",
        {
            "aggregate": "orders",
            "pipeline": [
                {"$match": {"status": p("paid", "delivered"), "createdAt": {"$gte": date(7, 31)}}},
                {"$group": {"_id": "$customerId", "total": {"$sum": "$total"}, "n": {"$sum": 1}}},
                {"$sort": {"total": -1}},
                {"$limit": 20},
            ],
            "allowDiskUse": True,
            "cursor": {},
        },
        "IXSCAN { status: 1, createdAt: -1 }",
        w=5,
        ms=900,
        sort=True,
        disk=0.4,
        nret=(20, 20),
    )
    q(
        "shop.orders.count.status",
        "orders",
        "count",
        {"count": "orders", "query": {"status": p(*order_status)}},
        "COUNT_SCAN { status: 1 }",
        w=6,
        ms=120,
        nret=(1000, 400000),
    )
    q(
        "shop.orders.update.status",
        "orders",
        "update",
        {
            "update": "orders",
            "updates": [
                {
                    "q": {"_id": oid()},
                    "u": {"$set": {"status": p(*order_status), "updatedAt": date(0, 0)}},
                    "multi": False,
                    "upsert": False,
                }
            ],
            "ordered": True,
        },
        w=6,
    )
    q(
        "shop.orders.stmt_update.status",
        "orders",
        "stmt_update",
        {
            "q": {"_id": oid()},
            "u": {"$set": {"status": p(*order_status), "updatedAt": date(0, 0)}},
            "multi": False,
            "upsert": False,
        },
        "IDHACK",
        w=7,
        nret=(1, 1),
    )
    q(
        "shop.orders.stmt_update.expire",
        "orders",
        "stmt_update",
        {
            "q": {"status": "pending", "createdAt": {"$lt": date(2, 3)}},
            "u": {"$set": {"status": "cancelled"}},
            "multi": True,
            "upsert": False,
        },
        "IXSCAN { status: 1, createdAt: -1 }",
        w=1.5,
        nret=(10, 3000),
        ms=400,
    )
    q(
        "shop.orders.insert",
        "orders",
        "insert",
        {"insert": "orders", "ordered": True},
        w=5,
        nret=(1, 1),
        ms=50,
    )
    q(
        "shop.orders.fam.reserve",
        "orders",
        "fam",
        {
            "findAndModify": "orders",
            "query": {"_id": oid(), "status": "pending"},
            "update": {"$set": {"status": "paid", "paidAt": date(0, 0)}},
            "new": True,
        },
        "IDHACK",
        w=4,
        nret=(1, 1),
    )
    more(city, 3)
    q(
        "shop.orders.distinct.status",
        "mongosh",
        "distinct",
        {"distinct": "orders", "key": "status", "query": {"createdAt": {"$gte": date(1, 7)}}},
        "COLLSCAN",
        w=0.5,
        nret=(6, 6),
    )
    q(
        "shop.orders.find.items_sku",
        "mongosh",
        "find",
        {"find": "orders", "filter": {"items.sku": sku}, "limit": 20},
        "COLLSCAN",
        w=0.8,
        nret=(0, 20),
    )
    q(
        "shop.customers.find.email",
        "orders",
        "find",
        {"find": "customers", "filter": {"email": g.email()}, "limit": 1},
        "IXSCAN { email: 1 }",
        w=8,
        nret=(0, 1),
        ms=40,
    )
    q(
        "shop.customers.find.zip",
        "orders",
        "find",
        {
            "find": "customers",
            "filter": {"address.zip": code("%05d", 1000, 99999)},
            "projection": {"name": 1, "email": 1},
        },
        "COLLSCAN",
        w=3,
        nret=(0, 30),
    )
    q(
        "shop.customers.find.name",
        "compass",
        "find",
        {
            "find": "customers",
            "filter": {"lastName": {"$regularExpression": {"pattern": "^Sm", "options": "i"}}},
            "sort": {"lastName": 1},
            "limit": 25,
        },
        "IXSCAN { lastName: 1 }",
        w=0.6,
        nret=(25, 25),
        ms=300,
    )
    q(
        "shop.carts.fam.add_item",
        "orders",
        "fam",
        {
            "findAndModify": "carts",
            "query": {"customerId": oid()},
            "update": {
                "$push": {"items": {"sku": sku, "qty": n(1, 5)}},
                "$set": {"updatedAt": date(0, 0)},
            },
            "upsert": True,
            "new": True,
        },
        "IXSCAN { customerId: 1 }",
        w=6,
        nret=(1, 1),
    )
    q(
        "shop.carts.delete.stale",
        "orders",
        "delete",
        {
            "delete": "carts",
            "deletes": [{"q": {"updatedAt": {"$lt": date(14, 30)}}, "limit": 0}],
            "ordered": True,
        },
        w=0.8,
        ms=900,
    )
    q(
        "shop.products.find.category_price",
        "catalog",
        "find",
        {
            "find": "products",
            "filter": {
                "category": p("garden", "kitchen", "toys", "books", "outdoor"),
                "price": {"$gte": money(1, 50), "$lte": money(50, 500)},
            },
            "sort": {"price": 1},
            "limit": 48,
        },
        "IXSCAN { category: 1, price: 1 }",
        w=9,
        nret=(10, 48),
    )
    q(
        "shop.products.find.name_regex",
        "catalog",
        "find",
        {
            "find": "products",
            "filter": {
                "name": {"$regex": p("lamp", "chair", "vase", "hose", "kettle"), "$options": "i"},
                "active": True,
            },
            "limit": 48,
        },
        "COLLSCAN",
        w=5,
        nret=(0, 48),
    )
    q(
        "shop.products.aggregate.with_reviews",
        "catalog",
        "aggregate",
        {
            "aggregate": "products",
            "pipeline": [
                {"$match": {"_id": {"$in": arr(oid(), 5, 30)}}},
                {
                    "$lookup": {
                        "from": "reviews",
                        "localField": "_id",
                        "foreignField": "productId",
                        "as": "reviews",
                    }
                },
                {"$project": {"name": 1, "price": 1, "reviews.rating": 1}},
            ],
            "cursor": {},
        },
        "IXSCAN { _id: 1 }",
        w=3,
        ms=500,
        nret=(5, 30),
    )
    q(
        "shop.reviews.find.product",
        "catalog",
        "find",
        {"find": "reviews", "filter": {"productId": oid()}, "sort": {"createdAt": -1}, "limit": 20},
        "IXSCAN { productId: 1, createdAt: -1 }",
        w=7,
        nret=(0, 20),
    )
    q(
        "shop.reviews.aggregate.rating",
        "catalog",
        "aggregate",
        {
            "aggregate": "reviews",
            "pipeline": [
                {"$match": {"productId": oid()}},
                {"$group": {"_id": "$productId", "avg": {"$avg": "$rating"}, "n": {"$sum": 1}}},
            ],
            "cursor": {},
        },
        "IXSCAN { productId: 1, createdAt: -1 }",
        w=4,
        nret=(1, 1),
    )
    # billing: billing-worker
    q(
        "billing.invoices.find.account",
        "billing",
        "find",
        {
            "find": "invoices",
            "filter": {
                "accountId": code("ACC-%07d", 0, 2_000_000),
                "status": {"$in": ["open", "overdue"]},
            },
            "sort": {"dueDate": 1},
        },
        "IXSCAN { accountId: 1, dueDate: 1 }",
        w=10,
        nret=(0, 12),
    )
    q(
        "billing.invoices.find.overdue",
        "billing",
        "find",
        {
            "find": "invoices",
            "filter": {"status": "open", "dueDate": {"$lt": date(0, 1)}},
            "batchSize": 500,
        },
        "IXSCAN { status: 1, dueDate: 1 }",
        w=4,
        nret=(100, 500),
        ms=200,
    )
    rev = q(
        "billing.invoices.aggregate.monthly",
        "billing",
        "aggregate",
        {
            "aggregate": "invoices",
            "pipeline": [
                {"$match": {"issuedAt": {"$gte": date(28, 31), "$lt": date(0, 1)}}},
                {
                    "$group": {
                        "_id": {
                            "y": {"$year": "$issuedAt"},
                            "m": {"$month": "$issuedAt"},
                            "currency": "$currency",
                        },
                        "total": {"$sum": "$amount"},
                    }
                },
                {"$sort": {"_id.y": 1, "_id.m": 1}},
            ],
            "allowDiskUse": True,
            "cursor": {"batchSize": 101},
        },
        "COLLSCAN",
        w=2,
        disk=0.7,
        sort=True,
        nret=(3, 40),
        ms=1500,
    )
    more(rev, 0.5)
    q(
        "billing.payments.insert",
        "billing",
        "insert",
        {"insert": "payments", "ordered": False},
        w=5,
        nret=(1, 200),
        ms=40,
    )
    q(
        "billing.payments.find.invoice",
        "billing",
        "find",
        {"find": "payments", "filter": {"invoiceId": oid()}},
        "IXSCAN { invoiceId: 1 }",
        w=6,
        nret=(0, 3),
        ms=40,
    )
    q(
        "billing.payments.stmt_update.retry",
        "billing",
        "stmt_update",
        {
            "q": {"_id": oid()},
            "u": {"$inc": {"attempts": 1}, "$set": {"status": p("retrying", "failed", "captured")}},
            "multi": False,
            "upsert": False,
        },
        "IDHACK",
        w=4,
        nret=(1, 1),
    )
    q(
        "billing.subscriptions.find.renewals",
        "billing",
        "find",
        {
            "find": "subscriptions",
            "filter": {"state": "active", "renewAt": {"$lte": date(0, 1)}},
            "limit": 1000,
        },
        "IXSCAN { state: 1, renewAt: 1 }",
        w=3,
        nret=(0, 1000),
        ms=150,
    )
    q(
        "billing.subscriptions.fam.version",
        "billing",
        "fam",
        {
            "findAndModify": "subscriptions",
            "query": {"_id": oid(), "version": n(1, 40)},
            "update": {
                "$set": {"state": p("active", "past_due", "cancelled")},
                "$inc": {"version": 1},
            },
            "new": True,
        },
        "IDHACK",
        w=3,
        nret=(0, 1),
    )
    q(
        "billing.ledger.aggregate.balance",
        "billing",
        "aggregate",
        {
            "aggregate": "ledger",
            "pipeline": [
                {"$match": {"accountId": code("ACC-%07d", 0, 2_000_000)}},
                {"$sort": {"ts": -1}},
                {
                    "$group": {
                        "_id": "$accountId",
                        "balance": {"$sum": "$delta"},
                        "last": {"$first": "$ts"},
                    }
                },
            ],
            "cursor": {},
        },
        "IXSCAN { accountId: 1, ts: -1 }",
        w=5,
        nret=(1, 1),
        ms=200,
    )
    q(
        "billing.ledger.count.account",
        "billing",
        "count",
        {"count": "ledger", "query": {"accountId": code("ACC-%07d", 0, 2_000_000)}},
        "COUNT_SCAN { accountId: 1, ts: -1 }",
        w=3,
        nret=(10, 20000),
    )
    # catalog: catalog-service
    q(
        "catalog.items.find.sku_in",
        "catalog",
        "find",
        {"find": "items", "filter": {"sku": {"$in": arr(sku, 3, 40)}}},
        "IXSCAN { sku: 1 }",
        w=12,
        nret=(3, 40),
        ms=40,
    )
    q(
        "catalog.items.find.attributes",
        "catalog",
        "find",
        {
            "find": "items",
            "filter": {
                "attributes.color": p("red", "black", "white", "green", "blue"),
                "attributes.size": p("S", "M", "L", "XL"),
            },
            "limit": 200,
        },
        "COLLSCAN",
        w=5,
        nret=(0, 200),
    )
    q(
        "catalog.items.distinct.brand",
        "catalog",
        "distinct",
        {
            "distinct": "items",
            "key": "brand",
            "query": {"category": p("garden", "kitchen", "toys", "books")},
        },
        "DISTINCT_SCAN { category: 1, brand: 1 }",
        w=3,
        nret=(5, 300),
        ms=80,
    )
    q(
        "catalog.items.stmt_update.price",
        "catalog",
        "stmt_update",
        {
            "q": {"sku": sku},
            "u": {"$set": {"price": money(1, 900), "priceUpdatedAt": date(0, 0)}},
            "multi": False,
            "upsert": False,
        },
        "IXSCAN { sku: 1 }",
        w=6,
        nret=(1, 1),
    )
    q(
        "catalog.categories.find.parent",
        "catalog",
        "find",
        {
            "find": "categories",
            "filter": {"parentId": code("cat-%03d", 0, 300)},
            "sort": {"rank": 1},
        },
        "COLLSCAN",
        w=2,
        sort=True,
        nret=(0, 40),
        ms=80,
    )
    q(
        "catalog.prices.aggregate.lookup_items",
        "catalog",
        "aggregate",
        {
            "aggregate": "prices",
            "pipeline": [
                {"$match": {"region": p("eu", "us", "apac"), "validFrom": {"$lte": date(0, 1)}}},
                {
                    "$lookup": {
                        "from": "items",
                        "localField": "sku",
                        "foreignField": "sku",
                        "as": "item",
                    }
                },
                {"$unwind": "$item"},
                {"$project": {"sku": 1, "amount": 1, "item.name": 1}},
            ],
            "cursor": {},
        },
        "IXSCAN { region: 1, validFrom: -1 }",
        w=2,
        ms=1200,
        nret=(100, 2000),
    )
    q(
        "catalog.prices.find.sku",
        "lambda",
        "find",
        {"find": "prices", "filter": {"sku": sku, "region": p("eu", "us", "apac")}, "limit": 1},
        "IXSCAN { sku: 1, region: 1 }",
        w=10,
        nret=(0, 1),
        ms=30,
    )
    # inventory: catalog-service and logistics
    q(
        "inventory.stock.find.sku_wh",
        "catalog",
        "find",
        {
            "find": "stock",
            "filter": {"sku": sku, "warehouseId": p("WH-AMS", "WH-FRA", "WH-DFW", "WH-NRT")},
        },
        "IXSCAN { sku: 1, warehouseId: 1 }",
        w=8,
        nret=(0, 1),
        ms=30,
    )
    q(
        "inventory.stock.stmt_update.decrement",
        "catalog",
        "stmt_update",
        {
            "q": {
                "sku": sku,
                "warehouseId": p("WH-AMS", "WH-FRA", "WH-DFW", "WH-NRT"),
                "qty": {"$gte": n(1, 5)},
            },
            "u": {"$inc": {"qty": n(-5, -1)}},
            "multi": False,
            "upsert": False,
        },
        "IXSCAN { sku: 1, warehouseId: 1 }",
        w=7,
        nret=(0, 1),
    )
    q(
        "inventory.stock.aggregate.low",
        "logistics",
        "aggregate",
        {
            "aggregate": "stock",
            "pipeline": [
                {"$match": {"qty": {"$lt": n(1, 20)}}},
                {"$group": {"_id": "$warehouseId", "skus": {"$sum": 1}}},
            ],
            "cursor": {},
        },
        "COLLSCAN",
        w=2,
        nret=(4, 4),
    )
    q(
        "inventory.movements.insert",
        "logistics",
        "insert",
        {"insert": "movements", "ordered": True},
        w=4,
        nret=(1, 50),
        ms=40,
    )
    q(
        "inventory.movements.find.sku_range",
        "logistics",
        "find",
        {
            "find": "movements",
            "filter": {"sku": sku, "ts": {"$gte": date(7, 30)}},
            "sort": {"ts": -1},
        },
        "IXSCAN { sku: 1, ts: -1 }",
        w=4,
        nret=(0, 300),
    )
    q(
        "inventory.movements.stmt_remove.old",
        "logistics",
        "stmt_remove",
        {"q": {"ts": {"$lt": date(365, 366)}}, "limit": 0},
        "IXSCAN { ts: 1 }",
        w=0.7,
        nret=(100, 40000),
        ms=800,
    )
    # users: auth-gateway and the Prisma profile service
    q(
        "users.accounts.find.email",
        "auth",
        "find",
        {"find": "accounts", "filter": {"email": g.email()}, "limit": 1},
        "IXSCAN { email: 1 }",
        w=14,
        nret=(0, 1),
        ms=30,
    )
    q(
        "users.accounts.find.id",
        "prisma",
        "find",
        {
            "find": "accounts",
            "filter": {"_id": oid()},
            "projection": {"passwordHash": 0},
            "limit": 1,
        },
        "IDHACK",
        w=6,
        nret=(1, 1),
        ms=30,
    )
    q(
        "users.accounts.find.id_in",
        "prisma",
        "aggregate",
        {
            "aggregate": "accounts",
            "pipeline": [
                {"$match": {"$expr": {"$in": ["$_id", arr(oid(), 2, 25)]}}},
                {"$project": {"_id": 1, "displayName": 1, "avatar": 1}},
            ],
            "cursor": {},
        },
        "COLLSCAN",
        w=4,
        nret=(2, 25),
    )
    q(
        "users.sessions.find.token",
        "auth",
        "find",
        {"find": "sessions", "filter": {"token": code("tok_%012d", 0, 10**12)}, "limit": 1},
        "IXSCAN { token: 1 }",
        w=16,
        nret=(0, 1),
        ms=30,
    )
    q(
        "users.sessions.delete.expired",
        "auth",
        "delete",
        {
            "delete": "sessions",
            "deletes": [{"q": {"expiresAt": {"$lt": date(0, 1)}}, "limit": 0}],
            "ordered": True,
        },
        w=1,
        ms=600,
    )
    q(
        "users.sessions.stmt_update.touch",
        "auth",
        "stmt_update",
        {
            "q": {"_id": oid()},
            "u": {"$set": {"lastSeen": date(0, 0)}},
            "multi": False,
            "upsert": False,
        },
        "IDHACK",
        w=8,
        nret=(1, 1),
    )
    q(
        "users.audit.insert",
        "auth",
        "insert",
        {"insert": "audit", "ordered": False},
        w=3,
        nret=(1, 20),
        ms=40,
    )
    q(
        "users.audit.find.user_action",
        "mongosh",
        "find",
        {
            "find": "audit",
            "filter": {"userId": oid(), "action": p("login", "password_reset", "delete_account")},
            "sort": {"ts": -1},
            "limit": 100,
        },
        "COLLSCAN",
        w=0.6,
        sort=True,
        nret=(0, 100),
    )
    q(
        "users.accounts.count.since",
        "compass",
        "count",
        {"count": "accounts", "query": {"createdAt": {"$gte": date(1, 90)}}},
        "COLLSCAN",
        w=0.4,
        nret=(1, 1),
    )
    # analytics: analytics-etl and Compass
    q(
        "analytics.events.aggregate.by_user",
        "etl",
        "aggregate",
        {
            "aggregate": "events",
            "pipeline": [
                {
                    "$match": {
                        "type": p("page_view", "click", "purchase", "signup"),
                        "ts": {"$gte": date(1, 2), "$lt": date(0, 1)},
                    }
                },
                {"$group": {"_id": "$userId", "n": {"$sum": 1}}},
                {"$sort": {"n": -1}},
                {"$limit": 100},
            ],
            "allowDiskUse": True,
            "cursor": {},
        },
        "IXSCAN { type: 1, ts: 1 }",
        w=3,
        ms=2500,
        sort=True,
        disk=0.6,
        nret=(100, 100),
    )
    daily = q(
        "analytics.events.aggregate.daily",
        "etl",
        "aggregate",
        {
            "aggregate": "events",
            "pipeline": [
                {"$match": {"ts": {"$gte": date(1, 2)}}},
                {
                    "$group": {
                        "_id": {
                            "day": {"$dateToString": {"format": "%Y-%m-%d", "date": "$ts"}},
                            "type": "$type",
                        },
                        "n": {"$sum": 1},
                    }
                },
                {"$sort": {"_id.day": 1}},
            ],
            "allowDiskUse": True,
            "cursor": {},
        },
        "COLLSCAN",
        w=1,
        ms=5000,
        sort=True,
        disk=0.9,
        nret=(4, 40),
    )
    more(daily, 0.4)
    q(
        "analytics.events.find.session",
        "etl",
        "find",
        {"find": "events", "filter": {"sessionId": g.uuid_v()}, "sort": {"ts": 1}},
        "IXSCAN { sessionId: 1 }",
        w=4,
        nret=(1, 200),
    )
    q(
        "analytics.events.insert",
        "etl",
        "insert",
        {"insert": "events", "ordered": False},
        w=4,
        nret=(100, 1000),
        ms=150,
    )
    q(
        "analytics.daily_stats.stmt_update.upsert",
        "etl",
        "stmt_update",
        {
            "q": {"day": code("2024-03-%02d", 1, 28), "metric": p("views", "orders", "signups")},
            "u": {"$inc": {"value": n(1, 500)}},
            "multi": False,
            "upsert": True,
        },
        "IXSCAN { day: 1, metric: 1 }",
        w=4,
        nret=(0, 1),
    )
    q(
        "analytics.funnels.aggregate.lookup",
        "compass",
        "aggregate",
        {
            "aggregate": "funnels",
            "pipeline": [
                {"$match": {"name": p("checkout", "signup", "onboarding")}},
                {
                    "$lookup": {
                        "from": "events",
                        "let": {"steps": "$steps"},
                        "pipeline": [
                            {"$match": {"$expr": {"$in": ["$type", "$$steps"]}}},
                            {"$count": "n"},
                        ],
                        "as": "counts",
                    }
                },
            ],
            "cursor": {},
        },
        "COLLSCAN",
        w=0.3,
        ms=8000,
        nret=(1, 1),
    )
    q(
        "analytics.events.aggregate.sample",
        "compass",
        "aggregate",
        {"aggregate": "events", "pipeline": [{"$match": {}}, {"$limit": 1000}], "cursor": {}},
        "COLLSCAN",
        w=0.3,
        nret=(1000, 1000),
    )
    # logistics: logistics-tracker
    q(
        "logistics.shipments.find.order",
        "logistics",
        "find",
        {"find": "shipments", "filter": {"orderId": oid()}},
        "IXSCAN { orderId: 1 }",
        w=8,
        nret=(0, 2),
        ms=30,
    )
    q(
        "logistics.shipments.find.late",
        "logistics",
        "find",
        {
            "find": "shipments",
            "filter": {
                "status": "in_transit",
                "carrier": p("DHL", "UPS", "FedEx", "PostNL"),
                "eta": {"$lt": date(0, 2)},
            },
            "sort": {"eta": 1},
            "limit": 500,
        },
        "IXSCAN { status: 1 }",
        w=3,
        sort=True,
        nret=(0, 500),
        ms=300,
    )
    q(
        "logistics.tracking.find.latest",
        "logistics",
        "find",
        {"find": "tracking", "filter": {"shipmentId": oid()}, "sort": {"ts": -1}, "limit": 1},
        "IXSCAN { shipmentId: 1, ts: -1 }",
        w=9,
        nret=(0, 1),
        ms=30,
    )
    q(
        "logistics.tracking.insert",
        "logistics",
        "insert",
        {"insert": "tracking", "ordered": True},
        w=5,
        nret=(1, 20),
        ms=40,
    )
    q(
        "logistics.routes.find.near",
        "logistics",
        "find",
        {
            "find": "routes",
            "filter": {
                "stops.geo": {
                    "$geoWithin": {"$centerSphere": [[money(-10, 30), money(35, 60)], 0.0025]}
                }
            },
            "limit": 50,
        },
        'IXSCAN { stops.geo: "2dsphere" }',
        w=2,
        nret=(0, 50),
        ms=200,
    )
    q(
        "logistics.shipments.aggregate.carrier",
        "logistics",
        "aggregate",
        {
            "aggregate": "shipments",
            "pipeline": [
                {"$match": {"createdAt": {"$gte": date(1, 7)}}},
                {"$group": {"_id": {"carrier": "$carrier", "status": "$status"}, "n": {"$sum": 1}}},
            ],
            "cursor": {},
        },
        "COLLSCAN",
        w=1,
        nret=(10, 40),
        ms=300,
    )
    # cms: cms-backend
    q(
        "cms.pages.find.slug",
        "cms",
        "find",
        {
            "find": "pages",
            "filter": {
                "slug": code("page-%05d", 0, 85000),
                "locale": p("en", "de", "fr", "es", "ja"),
            },
            "limit": 1,
        },
        "IXSCAN { slug: 1, locale: 1 }",
        w=8,
        nret=(0, 1),
        ms=30,
    )
    q(
        "cms.pages.find.tags",
        "cms",
        "find",
        {
            "find": "pages",
            "filter": {
                "tags": {"$all": arr(p("news", "sale", "howto", "garden", "recipes"), 1, 3)},
                "published": True,
            },
            "sort": {"publishedAt": -1},
            "limit": 20,
        },
        "COLLSCAN",
        w=3,
        sort=True,
        nret=(0, 20),
    )
    q(
        "cms.comments.find.page",
        "cms",
        "find",
        {
            "find": "comments",
            "filter": {"pageId": oid(), "hidden": False},
            "sort": {"createdAt": -1},
            "skip": n(0, 200),
            "limit": 20,
        },
        "IXSCAN { pageId: 1, createdAt: -1 }",
        w=5,
        nret=(0, 20),
    )
    q(
        "cms.assets.stmt_remove.one",
        "cms",
        "stmt_remove",
        {"q": {"_id": oid()}, "limit": 1},
        "IDHACK",
        w=1,
        nret=(1, 1),
    )
    q(
        "cms.comments.aggregate.authors",
        "cms",
        "aggregate",
        {
            "aggregate": "comments",
            "pipeline": [
                {"$match": {"pageId": oid()}},
                {
                    "$lookup": {
                        "from": "authors",
                        "localField": "authorId",
                        "foreignField": "_id",
                        "as": "author",
                    }
                },
                {"$unwind": "$author"},
                {"$sort": {"createdAt": -1}},
                {"$limit": 50},
            ],
            "cursor": {},
        },
        "IXSCAN { pageId: 1, createdAt: -1 }",
        w=2,
        nret=(0, 50),
        ms=150,
    )
    q(
        "cms.pages.find.covered",
        "cms",
        "find",
        {
            "find": "pages",
            "filter": {"locale": p("en", "de", "fr")},
            "projection": {"_id": 0, "locale": 1, "slug": 1},
        },
        "IXSCAN { locale: 1, slug: 1 }",
        w=1,
        nret=(500, 20000),
        ms=100,
    )
    # operations
    q(
        "shop.orders.createIndexes",
        "mongosh",
        "createIndexes",
        {"createIndexes": "orders", "indexes": [{"key": {"createdAt": -1}, "name": _INDEX_NAME}]},
        w=0.02,
    )
    return shapes


def _shape_text(body: Any) -> str:
    """The shape of a command: its structure with every value replaced by its kind."""
    if isinstance(body, dict):
        return "{" + ",".join(f"{k}:{_shape_text(v)}" for k, v in body.items()) + "}"
    if isinstance(body, list):
        return "[" + ",".join(_shape_text(v) for v in body) + "]"
    return "?" if isinstance(body, _V) else type(body).__name__


# ---- the loop ----------------------------------------------------------------------------
def generate(spec: GenSpec, out: BinaryIO) -> GenStats:
    """Write a MongoDB JSON log of about `spec.target_bytes` to `out`; return what it holds."""
    g = _Gen(spec, out)
    rr = g.rr
    noise_cum, noise_fns = _noise_table(g)

    def noise() -> str:
        return noise_fns[bisect.bisect(noise_cum, rr())]()

    target = spec.target_bytes
    faults = spec.faults
    est_lines = max(1.0, target / 1000)
    fault_gap = max(10.0, min(1 / spec.fault_rate, est_lines / (3 * len(_FAULTS))))
    fault_order = [k for k, _ in _FAULTS]
    g.rng.shuffle(fault_order)
    fault_cum, total = [], 0
    for _, w in _FAULTS:
        total += w
        fault_cum.append(total)
    next_fault = int(g.rng.expovariate(1 / fault_gap)) + 1
    n_huge = (
        spec.huge_lines if spec.huge_lines is not None else (target // 400_000_000 if faults else 0)
    )
    huge_at = [target * (2 * k + 1) // (2 * n_huge) for k in range(n_huge)] if n_huge else []
    lambda_app, short_apps = g.apps["lambda"], ("mongosh", "compass", "agent")
    lambda_shape = next(s for s in g.shapes if s.app == "lambda")
    while g.written() < target - 260 * g.n_open:
        g.advance()
        r = rr()
        if r < 0.5:
            g.slow()
        elif r < 0.535:
            conn = g.open_conn(lambda_app)  # a function instance: connect, maybe query, leave
            if rr() < 0.5:
                g.now_ms += int(rr() * 30)
                g.put_slow(*_slow_line(g, lambda_shape, conn))
        elif r < 0.54:
            g.open_conn(g.apps[short_apps[int(rr() * 3)]])
        elif r < 0.5425:
            _auth_failures(g)
        else:
            g.put(noise())
        if faults:
            next_fault -= 1
            if next_fault <= 0:
                kind = (
                    fault_order.pop()
                    if fault_order
                    else _FAULTS[bisect.bisect(fault_cum, rr() * total)][0]
                )
                _fault(g, kind, noise)
                next_fault = int(g.rng.expovariate(1 / fault_gap)) + 1
            if huge_at and g.written() >= huge_at[0]:
                huge_at.pop(0)
                _huge_insert(g, spec.huge_line_bytes)
    for _, _, conn in sorted(g.ends):  # the end of every connection still open
        g.now_ms += int(rr() * 20)
        g.end_conn(conn)
    g.ends.clear()
    g.flush()
    st = g.stats
    c = g.counts
    st.slow, st.auth_ok, st.auth_fail = c[_SLOW], c[_AUTH_OK], c[_AUTH_FAIL]
    st.conn_accepted, st.conn_ended, st.metadata = c[_ACCEPTED], c[_ENDED], c[_METADATA]
    st.events = sum(c)
    return st


def _auth_failures(g: _Gen) -> None:
    """A scanner trying users, an app with a stale password, or an abandoned handshake."""
    rr = g.rr
    r = rr()
    if r < 0.5:
        ip = f"185.220.{100 + int(rr() * 4)}.{int(rr() * 254) + 1}"
        for _ in range(1 + int(rr() * rr() * 20)):
            g.open_conn(g.apps["mongosh"], "scanner", f"{ip}:{32768 + int(rr() * 28000)}")
            g.now_ms += int(rr() * 400)
    elif r < 0.85:
        app = g.apps[("billing", "cms", "logistics")[int(rr() * 3)]]
        for _ in range(1 + int(rr() * 4)):
            g.open_conn(app, "password")
            g.now_ms += 100 + int(rr() * 900)
    else:
        g.open_conn(g.apps["compass"], "abandoned")


# ---- command line ------------------------------------------------------------------------
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([KMGT]?)I?B?", re.IGNORECASE)


def parse_size(text: str) -> int:
    """Bytes in a size like 200MB, 1GB, 3G or 5000 (decimal units)."""
    m = _SIZE.fullmatch(text.strip())
    if not m:
        raise ConfigError(f"size {text!r} is not like 200MB, 1GB or 3GB")
    scale = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}[m[2].upper()]
    return int(float(m[1]) * scale)


def main(argv: list[str] | None = None) -> int:
    """`python -m loglake.generate`: write a generated log and print its stats."""
    ap = argparse.ArgumentParser(prog="python -m loglake.generate", description=__doc__)
    ap.add_argument("--size", default="50MB", help="target size: 200MB, 1GB, 3GB (default 50MB)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--faults", action="store_true", help="inject bad lines, CRLF, huge lines")
    ap.add_argument("--tz", default="+00:00", help="offset(s), comma-separated: +00:00,+05:30")
    ap.add_argument("--version", default="7.0", choices=sorted(_VERSIONS), help="mongod version")
    ap.add_argument("--start", default=GenSpec.start, help="first timestamp (UTC)")
    ap.add_argument("--days", type=float, default=GenSpec.days, help="time span of the log")
    ap.add_argument("-o", "--output", required=True, type=Path)
    ap.add_argument("--stats", type=Path, help="write GenStats as JSON to this file")
    args = ap.parse_args(argv)
    try:
        spec = GenSpec(
            seed=args.seed, target_bytes=parse_size(args.size), start=args.start,
            tz_offsets=tuple(args.tz.split(",")), faults=args.faults,
            mongo_version=args.version, days=args.days,
        )  # fmt: skip
        t0 = time.perf_counter()
        with args.output.open("wb") as f:
            stats = generate(spec, f)
        secs = time.perf_counter() - t0
    except ConfigError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    if args.stats:
        args.stats.write_bytes(orjson.dumps(stats.to_dict(), option=orjson.OPT_INDENT_2))
    print(
        f"wrote {stats.bytes / 1e6:,.1f} MB, {stats.lines:,} lines ({stats.slow:,} slow queries) "
        f"in {secs:.1f} s: {stats.bytes / 1e6 / secs:,.1f} MB/s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
