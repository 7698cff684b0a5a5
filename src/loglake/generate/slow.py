"""Slow query lines (id 51803): the command, the plan, what it examined and how long it took."""

from __future__ import annotations

import bisect
import math

from loglake.generate.clients import Clients, Conn
from loglake.generate.shapes import Shape, build_shapes
from loglake.generate.writer import Msg, Writer, iso

_WRITES = frozenset({"update", "delete", "insert", "stmt_update", "stmt_remove", "fam"})
_CURSORS = frozenset({"find", "aggregate", "getMore"})
_INDEX = "createdAt_-1"
_TIME_LIMIT = (
    ',"ok":0,"errMsg":"operation exceeded time limit","errName":"MaxTimeMSExpired","errCode":50'
)
# mongod's record of what it cut when the command exceeded maxLogSizeKB
_TRUNCATED = (
    ',"truncated":{"command":{"truncated":{"filter":{"truncated":{"sku":{"truncated":{"$in":'
    '{"truncated":{"376":{"type":"string","size":14}},"omitted":%d}}}},"omitted":1}},'
    '"omitted":3}},"size":{"command":%d}'
)


class SlowQueries:
    """Picks query shapes by frequency and writes their slow query lines."""

    def __init__(self, w: Writer, clients: Clients) -> None:
        self.w, self.clients = w, clients
        self.shapes = build_shapes(w)
        self.cum: list[float] = []
        total = 0.0
        for sh in self.shapes:
            total += sh.weight
            self.cum.append(total)
        self.total = total
        by_key = {sh.key: sh for sh in self.shapes}
        self.truncatable = by_key["catalog.items.find.sku_in"]
        self.lambda_shape = by_key["catalog.prices.find.sku"]
        self.bulk_insert = by_key["analytics.events.insert.batch"]
        self.command = Msg("I", "COMMAND", 51803, "Slow query")
        self.write = Msg("I", "WRITE", 51803, "Slow query")

    def emit(self) -> None:
        """Write one slow query of a shape drawn by frequency."""
        w = self.w
        sh = self.shapes[bisect.bisect(self.cum, w.rr() * self.total)]
        truncated = w.rr() < w.spec.truncation_rate
        if truncated:
            sh = self.truncatable
        conn = self.clients.conn_for(self.clients.apps[sh.app])
        if sh.op == "createIndexes":
            self.index_build(sh, conn)
        else:
            self.put(sh, conn, truncated)

    def put(self, sh: Shape, conn: Conn, truncated: bool = False) -> None:
        """Write a slow query of this shape run on this connection."""
        rest, dur = self.render(sh, conn, truncated)
        self.w.put_slow(rest, sh.ns, sh.qh, dur)

    def render(self, sh: Shape, conn: Conn, truncated: bool) -> tuple[str, int]:
        """The line after its date, and its durationMillis."""
        w, rr, op = self.w, self.w.rr, sh.op
        stmt = op in ("stmt_update", "stmt_remove")
        write = op in _WRITES
        cursor = ""
        if truncated:  # the $in list stops at its 376th item, and the rest of the command is gone
            skus = ",".join(f'"SKU-{int(rr() * 1e6):06d}"' for _ in range(376))
            cmd = f'{{"find":"items","filter":{{"sku":{{"$in":[{skus}]}}}}}}'
        elif op == "getMore":
            orig = sh.orig
            assert orig is not None
            cursor = str(w.bits(62) + 1)
            cmd = (
                sh.fmt % cursor
                + self.tail(conn, sh)
                + ',"originatingCommand":'
                + orig.fmt % tuple(f() for f in orig.vals)
                + self.tail(conn, orig)
            )
        else:
            cmd = sh.fmt % tuple(f() for f in sh.vals) + ("}" if stmt else self.tail(conn, sh))
        nret, keys, docs, base = self._work(sh)
        dur = 100 + int(base * math.exp(w.rng.gauss(0.0, 0.75)))
        if rr() < 0.004:  # the rare outlier: a lock wait, a cold cache, a stalled disk
            dur *= 5 + int(rr() * 40)
        work = docs + keys
        yields = work // 1000 + (int(dur * rr() / 10) if work > 100 else 0)
        kind = "update" if op == "stmt_update" else "remove" if op == "stmt_remove" else "command"
        p = ['{"type":"', kind, '"']
        if w.v8:
            p.append(',"isFromUserConnection":true')
        p += [',"ns":"', sh.ns, '"']
        if w.v8:
            p.append(',"collectionType":"normal"')
        if conn.app.name:
            p += [',"appName":"', conn.app.name, '"']
        p += [',"command":', cmd]
        if sh.plan:
            self._plan_stats(p, sh, cursor=cursor, nret=nret, keys=keys, docs=docs)
        elif op == "insert":
            if w.v6:
                p += [',"totalOplogSlotDurationMicros":', str(20 + int(rr() * 300))]
            p += [',"ninserted":', str(max(1, nret)), ',"keysInserted":', str(max(1, nret) * 3)]
        p += [',"numYields":', str(yields)]
        if sh.plan == "COLLSCAN" and rr() < 0.02:
            p.append(_TIME_LIMIT)
        if op in _CURSORS:
            p += [',"nreturned":', str(nret)]
        if sh.qh:
            if w.v8:
                p += [',"planCacheShapeHash":"', sh.qh, '","queryHash":"', sh.qh, '"']
                p += [',"planCacheKey":"', sh.pck, '","queryShapeHash":"', sh.qsh, '"']
            else:
                p += [',"queryHash":"', sh.qh, '","planCacheKey":"', sh.pck, '"']
            if w.v6:
                sbe = op == "aggregate" and w.v7
                p.append(',"queryFramework":"sbe"' if sbe else ',"queryFramework":"classic"')
        if not stmt:
            reslen = 230 if write else nret * sh.size + 90 + int(rr() * 200)
            p += [',"reslen":', str(reslen)]
        p += [',"locks":', locks(w, write, yields + 1)]
        if write:
            p += [',"flowControl":{"acquireCount":', str(1 + yields // 4), "}"]
        if op != "insert":
            p.append(',"readConcern":{"level":"local","provenance":"implicitDefault"}')
        if write and not stmt:
            wc = '"majority"' if w.v5 else "1"  # the implicit default became majority in 5.0
            p.append(f',"writeConcern":{{"w":{wc},"wtimeout":0,"provenance":"implicitDefault"}}')
        if docs and rr() < 0.35:
            read = int(docs * sh.size * (0.02 + rr() * 0.3)) + 4096
            micros = read // 20000 + int(rr() * 900)
            p.append(f',"storage":{{"data":{{"bytesRead":{read},"timeReadingMicros":{micros}}}}}')
        else:
            p.append(',"storage":{}')
        if w.v8:
            p += [',"cpuNanos":', str(int(dur * 1e6 * (0.4 + 0.5 * rr())))]
        p += [',"remote":"', conn.remote, '"']
        if not stmt:
            p.append(',"protocol":"op_msg"')
        if w.v8:
            queued = int(dur * 0.3 * rr()) if rr() < 0.1 else 0
            p.append(
                f',"queues":{{"ingress":{{"admissions":1}},"execution":{{"admissions":{yields + 1}'
                f',"totalTimeQueuedMicros":{queued * 1000}}}}},"workingMillis":{dur - queued}'
            )
        p += [',"durationMillis":', str(dur), "}"]
        rest = (self.write if stmt else self.command)(f"conn{conn.cid}", "".join(p))
        if truncated:
            size = 21000 + int(rr() * 40000)
            rest = rest[:-1] + _TRUNCATED % (size // 16, size) + "}"
        return rest, dur

    def tail(self, conn: Conn, sh: Shape) -> str:
        """What follows a command's own fields: the driver's session fields, or just $db."""
        if conn.app.cluster:
            return f',"$db":"{sh.db}"}}'
        return self.clients.session_tail(conn, sh.db)

    def _work(self, sh: Shape) -> tuple[int, int, int, float]:
        """Documents returned, keys and documents examined, and the base duration in ms."""
        rr = self.w.rr
        lo, hi = sh.nret
        nret = lo + int((hi - lo) * rr() * rr())
        plan = sh.plan
        if plan == "COLLSCAN":
            docs = int(sh.ndocs * (0.25 + 0.75 * rr()))
            return nret, 0, docs, sh.ms + docs / 2500
        if plan == "IDHACK":
            return (1 if rr() < 0.97 else 0), 1, 1, sh.ms
        if plan.startswith(("COUNT_SCAN", "DISTINCT_SCAN")):
            keys = nret * 3 + int(rr() * 5000)
            return nret, keys, 0, sh.ms + keys / 3000
        if plan:
            keys = nret + int(nret * 3 * rr()) + int(rr() * 4)
            return nret, keys, 0 if sh.covered else keys, sh.ms + keys / 300
        return nret, 0, 0, sh.ms

    def _plan_stats(
        self, p: list[str], sh: Shape, *, cursor: str, nret: int, keys: int, docs: int
    ) -> None:
        """The planSummary and execution fields, in mongod's order."""
        w, rr, op = self.w, self.w.rr, sh.op
        summary = sh.plan
        if w.v8 and summary == "IDHACK":  # 8.0's express path replaced IDHACK
            extra = {"stmt_update": ",EXPRESS_UPDATE", "fam": ",EXPRESS_UPDATE"}.get(op, "")
            summary = "EXPRESS_IXSCAN { _id: 1 }" + (
                ",EXPRESS_DELETE" if op == "stmt_remove" else extra
            )
        p += [',"planSummary":"', summary, '"']
        if op == "getMore":
            p += [',"cursorid":', cursor]
        elif w.v7:
            p += [',"planningTimeMicros":', str(40 + int(rr() * rr() * 3000))]
        if w.v6 and op in _WRITES:
            p += [',"totalOplogSlotDurationMicros":', str(20 + int(rr() * 300))]
        p += [',"keysExamined":', str(keys), ',"docsExamined":', str(docs)]
        if sh.sort:
            p.append(',"hasSortStage":true')
        if sh.disk and rr() < sh.disk:
            p.append(',"usedDisk":true')
        if summary.startswith("IXSCAN") and rr() < 0.1:
            p.append(',"fromMultiPlanner":true')
        if op in ("stmt_update", "fam"):
            matched = 0 if nret == 0 else min(nret, docs or 1)
            p += [',"nMatched":', str(matched), ',"nModified":', str(matched)]
            if op == "stmt_update":
                upserted = matched == 0 and '"upsert":true' in sh.fmt
                p += [',"nUpserted":', "1" if upserted else "0"]
            p += [',"keysInserted":', str(matched * 2), ',"keysDeleted":', str(matched * 2)]
            if rr() < 0.03:
                p += [',"writeConflicts":', str(1 + int(rr() * 40))]
        elif op == "stmt_remove":
            p += [',"ndeleted":', str(nret), ',"keysDeleted":', str(nret * 3)]
        if op == "getMore":
            p.append(',"nBatches":1')
        if op in _CURSORS and rr() < 0.8:
            p.append(',"cursorExhausted":true')

    def index_build(self, sh: Shape, conn: Conn) -> None:
        """A createIndexes: the index build's messages, then its slow query."""
        w, rr, ctx = self.w, self.w.rr, f"conn{conn.cid}"
        b = f'{{"buildUUID":{{"uuid":{{"$uuid":"{w.uuid()}"}}}}'
        cu = f'"collectionUUID":{{"uuid":{{"$uuid":"{w.uuid()}"}}}}'
        n, ns, worker = sh.ndocs, sh.ns, "IndexBuildsCoordinatorMongod-0"
        at = f'"namespace":"{ns}"'
        steps = (
            (ctx, 20438, "registering",
             f'{b},{at},{cu},"indexes":1,"firstIndex":{{"name":"{_INDEX}"}}}}'),
            (worker, 20384, "starting", f'{b},{cu},{at},"properties":{{"v":2,'
             f'"key":{{"createdAt":-1}},"name":"{_INDEX}"}},"specIndex":0,"numSpecs":1,'
             '"method":"Hybrid"}'),
            (ctx, 20440, "waiting for index build to complete",
             f'{b},"deadline":{{"$date":{{"$numberLong":"9223372036854775807"}}}}}}'),
            (worker, 20391, "collection scan done", f'{b},{cu},{at},"totalRecords":{n},'
             f'"readSource":"kNoTimestamp","durationMillis":{n // 900}}}'),
            (worker, 20685, "inserted keys from external sorter into index",
             f'{{{at},"index":"{_INDEX}","keysInserted":{n},"durationMillis":{n // 3000}}}'),
            (worker, 20663, "completed successfully", f'{b},{cu},{at},"indexesBuilt":["{_INDEX}"],'
             '"numIndexesBefore":4,"numIndexesAfter":5}'),
            (ctx, 20447, "completed", b + "}"),
        )  # fmt: skip
        total = 0
        for i, (c, mid, text, attr) in enumerate(steps):
            step = int(n / 1500 * rr()) if i in (3, 4) else int(rr() * 40)
            w.now_ms += step
            total += step
            comp = "STORAGE" if mid == 20663 else "INDEX"
            w.put(Msg("I", comp, mid, "Index build: " + text)(c, attr))
        dur = total + 100
        attr = (
            f'{{"type":"command","ns":"{ns}","appName":"{conn.app.name}","command":'
            f'{sh.fmt % ()}{self.tail(conn, sh)},"numYields":0,"reslen":271,'
            f'"locks":{locks(w, True, 3)},"storage":{{}},"remote":"{conn.remote}",'
            f'"protocol":"op_msg","durationMillis":{dur}}}'
        )
        w.put_slow(self.command(ctx, attr), ns, "", dur)

    def huge_insert(self, size: int) -> None:
        """A valid slow insert of several MB: a big `documents` array logged whole."""
        w, rr = self.w, self.w.rr
        sh = self.bulk_insert
        conn = self.clients.conn_for(self.clients.apps[sh.app])
        docs, n = [], 0
        while n < size:
            doc = (
                f'{{"_id":{{"$oid":"{w.oid_hex()}"}},"type":"page_view","userId":{int(rr() * 9e6)}'
                f',"sessionId":"{w.uuid()}","ts":{{"$date":"{iso(w.now_ms)}"}},"props":{{"path":'
                f'"/p/{int(rr() * 99999)}","ref":"https://www.example.com/",'
                f'"ms":{int(rr() * 900)}}}}}'
            )
            docs.append(doc)
            n += len(doc) + 1
        dur = 2000 + int(rr() * 9000)
        attr = (
            f'{{"type":"command","ns":"{sh.ns}","appName":"{conn.app.name}","command":'
            '{"insert":"events","ordered":false,"documents":[' + ",".join(docs) + "]"
            f"{self.tail(conn, sh)},"
            f'"ninserted":{len(docs)},"keysInserted":{len(docs) * 3},"numYields":0,"reslen":45,'
            f'"locks":{locks(w, True, 3)},"storage":{{}},"remote":"{conn.remote}",'
            f'"protocol":"op_msg","durationMillis":{dur}}}'
        )
        w.put_slow(self.command(f"conn{conn.cid}", attr), sh.ns, "", dur)


def locks(w: Writer, write: bool, n: int) -> str:
    """The `locks` attribute: its lock names changed in 6.0 and 8.0."""
    if w.v8:
        return f'{{"Global":{{"acquireCount":{{"{"w" if write else "r"}":{n}}}}}}}'
    fcv = w.v6
    if write:
        return (
            f'{{"ParallelBatchWriterMode":{{"acquireCount":{{"r":{n}}}}},'
            + (f'"FeatureCompatibilityVersion":{{"acquireCount":{{"w":{n}}}}},' if fcv else "")
            + f'"ReplicationStateTransition":{{"acquireCount":{{"w":{n + 1}}}}},'
            f'"Global":{{"acquireCount":{{"w":{n}}}}},"Database":{{"acquireCount":{{"w":{n}}}}},'
            f'"Collection":{{"acquireCount":{{"w":{n}}}}},"Mutex":{{"acquireCount":{{"r":2}}}}}}'
        )
    if fcv:
        return (
            f'{{"FeatureCompatibilityVersion":{{"acquireCount":{{"r":{n}}}}},'
            f'"Global":{{"acquireCount":{{"r":{n}}}}},"Mutex":{{"acquireCount":{{"r":1}}}}}}'
        )
    return (
        f'{{"ReplicationStateTransition":{{"acquireCount":{{"w":{n}}}}},'
        f'"Global":{{"acquireCount":{{"r":{n}}}}},"Database":{{"acquireCount":{{"r":{n}}}}},'
        f'"Collection":{{"acquireCount":{{"r":{n}}}}},"Mutex":{{"acquireCount":{{"r":1}}}}}}'
    )
