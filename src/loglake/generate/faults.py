"""Damage real log files carry: cut lines, binary junk, NUL runs, foreign lines, CRLF, blanks.

Each kind of bad line is written so that exactly one `BadReason` applies (see
`loglake.formats.base.classify_garbage`): NUL or control bytes make a line `binary`, other
undecodable bytes `not_utf8`; a line starting with `{` that does not parse is `invalid_json`.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable

from loglake.generate.writer import Writer, dumps, iso

# kind: relative frequency
KINDS = {
    "invalid_json": 3, "binary": 1, "nul_run": 1, "nul_prefix": 1, "other_format": 2,
    "not_a_record": 2, "not_utf8": 1, "cr": 2, "crlf": 3, "blank": 4, "blank_crlf": 1,
}  # fmt: skip
_LEGACY = (  # pre-4.4 text lines, a crash's last words, a stack frame
    "{ts} I NETWORK  [listener] connection accepted from 10.20.1.14:51234 #{n} "
    "(57 connections now open)",
    '{ts} I COMMAND  [conn{n}] command shop.orders command: find {{ find: "orders", '
    'filter: {{ status: "pending" }} }} planSummary: COLLSCAN keysExamined:0 '
    "docsExamined:48211 nreturned:3 reslen:4210 {n}ms",
    "mongod: src/mongo/db/storage/wiredtiger/wiredtiger_kv_engine.cpp:1021: Invariant failure",
    "Killed",
    "  mongod(+0x5F2E3B1) [0x55E2C1A3B3B1]",
)  # fmt: skip
_JUNK = bytes(b for b in range(256) if b not in b"\n\r")
_LATIN1 = "Démarrage du serveur mongod échoué: accès refusé".encode("latin-1")


class Faults:
    """Decides when the next fault comes and of which kind, then writes it."""

    def __init__(self, w: Writer, render_good: Callable[[], str]) -> None:
        self.w, self.render_good = w, render_good
        spec = w.spec
        est_lines = max(1.0, spec.target_bytes / 1000)
        # frequent enough that even a small file holds every kind a few times
        self.gap = max(10.0, min(1 / spec.fault_rate, est_lines / (3 * len(KINDS))))
        self.first = list(KINDS)
        w.rng.shuffle(self.first)
        self.kinds = list(KINDS)
        self.cum: list[float] = []
        total = 0.0
        for k in self.kinds:
            total += KINDS[k]
            self.cum.append(total)
        self.total = total
        self.countdown = self._next_gap()

    def step(self) -> None:
        """Count one generated event; inject a fault when one is due."""
        self.countdown -= 1
        if self.countdown <= 0:
            w = self.w
            kind = (
                self.first.pop()
                if self.first
                else self.kinds[bisect.bisect(self.cum, w.rr() * self.total)]
            )
            self.inject(kind)
            self.countdown = self._next_gap()

    def _next_gap(self) -> int:
        return int(self.w.rng.expovariate(1 / self.gap)) + 1

    def inject(self, kind: str) -> None:
        """Write one fault of this kind."""
        w, rr = self.w, self.w.rr
        if kind in ("cr", "crlf"):  # still a valid event: CR is JSON whitespace
            w.xform = _cr_inside if kind == "cr" else _crlf
            w.put(self.render_good())
            return
        if kind in ("blank", "blank_crlf"):
            w.put_raw(b"" if kind == "blank" else b"\r", None)
            return
        good = ('{"t":{"$date":"' + w.ts() + self.render_good()).encode()
        if kind == "invalid_json":  # the server died mid-line; the next line starts afresh
            w.put_raw(good[: len(good) // 4 + int(rr() * len(good) // 2)], "invalid_json")
        elif kind == "binary":  # part of a zip archive concatenated into the log
            junk = bytes(_JUNK[int(rr() * len(_JUNK))] for _ in range(16 + int(rr() * 200)))
            w.put_raw(b"PK\x03\x04\x00" + junk, "binary")
        elif kind == "nul_run":  # blocks the filesystem allocated but the crash never wrote
            w.put_raw(b"\x00" * (256 + int(rr() * 16000)), "binary")
        elif kind == "nul_prefix":  # the same, with the next line written right after them
            w.put_raw(b"\x00" * (16 + int(rr() * 4000)) + good, "binary")
        elif kind == "other_format":
            ts = iso(w.now_ms)[:-1] + "+0000"
            text = _LEGACY[int(rr() * len(_LEGACY))].format(ts=ts, n=int(rr() * 9000))
            w.put_raw(text.encode(), "other_format")
        elif kind == "not_a_record":
            text = (
                '{"s":"I","c":"NETWORK","id":22943,"ctx":"listener","msg":"Connection accepted"}',
                '{"log":'
                + dumps(good.decode() + "\n")
                + ',"stream":"stdout","time":"'
                + iso(w.now_ms)
                + '"}',
                '{"level":"info","msg":"mongod restarted by supervisor","pid":'
                + str(int(rr() * 9e4))
                + "}",
            )[int(rr() * 3)]
            w.put_raw(text.encode(), "not_a_record")
        else:  # not_utf8: a line from a Latin-1 console
            w.put_raw(_LATIN1, "not_utf8")


def _cr_inside(line: str) -> str:
    return line.replace('"ctx":', '\r"ctx":', 1)


def _crlf(line: str) -> str:
    return line + "\r"
