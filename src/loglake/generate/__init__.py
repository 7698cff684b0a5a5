"""A seeded generator of realistic MongoDB 4.4+ structured JSON logs, for tests and benchmarks.

Lines imitate mongod's own bytes: the padding after "s", "c" and "id", the attribute order of
each message per server version, the connection, metadata and authentication forms of 4.4 to
8.0. Every line written is counted in `GenStats`, which therefore equals what a correct parser
reports for the file. Command line: `python -m loglake.generate --help`.
"""

from __future__ import annotations

import heapq
from typing import BinaryIO

from loglake.generate.clients import Clients
from loglake.generate.faults import Faults
from loglake.generate.noise import Noise
from loglake.generate.slow import SlowQueries
from loglake.generate.spec import VERSIONS, GenSpec, GenStats, parse_size
from loglake.generate.writer import Writer

__all__ = ["VERSIONS", "GenSpec", "GenStats", "generate", "parse_size"]

_CLOSE_RESERVE = 260  # bytes kept per open connection for its "Connection ended" line


def generate(spec: GenSpec, out: BinaryIO) -> GenStats:
    """Write a MongoDB JSON log of about `spec.target_bytes` to `out`; return what it holds."""
    w = Writer(spec, out)
    clients = Clients(w)
    slow = SlowQueries(w, clients)
    noise = Noise(w, clients)
    faults = Faults(w, noise.render) if spec.faults else None
    huge_at = _huge_line_offsets(spec)
    rr = w.rr
    lambda_app, sessions = clients.apps["lambda"], ("mongosh", "compass", "agent")
    next_ckpt = w.start_ms + 37_000
    ends = clients.ends
    while w.written() < spec.target_bytes - _CLOSE_RESERVE * clients.n_open:
        # the clock moves on; connections that ended and checkpoints due meanwhile come first
        new = w.next_time()
        while True:
            t = min(ends[0][0] if ends else new + 1, next_ckpt)
            if t > new:
                break
            w.now_ms = max(w.now_ms, t)
            if ends and t == ends[0][0]:
                clients.end(heapq.heappop(ends)[2])
            else:
                w.put(noise.checkpoint())
                next_ckpt += 60_000 + int(rr() * 900)
        w.now_ms = max(w.now_ms, new)
        r = rr()
        if r < 0.5:
            slow.emit()
        elif r < 0.535:  # a function instance: connect, maybe query, leave
            conn = clients.open(lambda_app)
            if rr() < 0.5:
                w.now_ms += int(rr() * 30)
                slow.put(slow.lambda_shape, conn)
        elif r < 0.54:
            clients.open(clients.apps[sessions[int(rr() * 3)]])
        elif r < 0.5425:
            clients.auth_failures()
        else:
            w.put(noise.render())
        if faults is not None:
            faults.step()
        if huge_at and w.written() >= huge_at[0]:
            huge_at.pop(0)
            slow.huge_insert(spec.huge_line_bytes)
    clients.close_all()
    return w.finish()


def _huge_line_offsets(spec: GenSpec) -> list[int]:
    """Where the multi-MB lines go: evenly spread, by bytes written."""
    n = spec.huge_lines
    if n is None:
        n = (
            max(1, spec.target_bytes // 300_000_000)
            if spec.faults and spec.target_bytes >= 100_000_000
            else 0
        )
    return [spec.target_bytes * (2 * k + 1) // (2 * n) for k in range(n)]
