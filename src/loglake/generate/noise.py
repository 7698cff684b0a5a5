"""The everyday messages of a busy replica set member, and WiredTiger's checkpoints."""

from __future__ import annotations

import bisect
from collections.abc import Callable

from loglake.generate.clients import Clients
from loglake.generate.writer import Msg, Writer, iso

_MEMBERS = tuple(f"mongo-prod-{i}.internal:27017" for i in (1, 2, 3))
_SOCKET = (
    '{"error":{"code":6,"codeName":"HostUnreachable","errmsg":"peekASIOStream :: caused by :: '
    'Connection closed by peer"}}'
)
_SORT_LIMIT = (
    '{"error":{"code":292,"codeName":"QueryExceededMemoryLimitNoDiskUseAllowed","errmsg":'
    '"PlanExecutor error during aggregation :: caused by :: Sort exceeded memory limit of '
    '104857600 bytes, but did not opt in to external sorting."},"stats":{},"cmd":{"aggregate":'
    '"events","pipeline":[{"$match":{"type":"?"}},{"$sort":{"ts":-1}}],"cursor":{},'
    '"$db":"analytics"}}'
)
_SESSIONS = (
    '{"error":"WriteConcernFailed: waiting for replication timed out; Error details: { wtimeout: '
    'true, writeConcern: { w: \\"majority\\", wtimeout: 15000 } }"}'
)


class Noise:
    """Renders the messages that are neither slow queries nor connections."""

    def __init__(self, w: Writer, clients: Clients) -> None:
        self.w, self.clients = w, clients
        rr = w.rr
        self.ckpt_n = 1000
        self.thread = f"{4000 + int(rr() * 60000)}:" + (
            f"0x7f{w.bits(40):010x}" if w.v7 else str(140_000_000_000_000 + w.bits(40))
        )
        self.wt = Msg("I", "WTCHKPT" if w.v7 else "STORAGE", 22430, "WiredTiger message")
        self.hb = Msg("D2", "REPL_HB", 4615670, "Sending heartbeat")
        self.ttl = Msg("I", "INDEX", 5479200, "Deleted expired documents using index")
        self.socket = Msg("W", "NETWORK", 4615610, "Failed to check socket connectivity")
        self.applied = Msg("I", "REPL", 51801, "Applied op")
        self.exec_err = Msg("W", "QUERY", 23799, "Aggregate command executor error")
        self.send_err = Msg(
            "I", "EXECUTOR" if w.v7 else "-", 22989,
            "Error sending response to client. Ending connection from remote",
        )  # fmt: skip
        self.connecting = Msg("I", "CONNPOOL", 22576, "Connecting")
        self.rsm = Msg("I", "-", 4333222, "RSM received error response")
        self.unauthorized = Msg("I", "ACCESS", 20436, "Checking authorization failed")
        self.drop = Msg(
            "I", "STORAGE", 22260,
            "Removing drop-pending idents with drop timestamps before timestamp",
        )  # fmt: skip
        self.create = Msg("I", "STORAGE", 20320, "createCollection")
        self.sessions = Msg(
            "I", "CONTROL", 20714,
            "Failed to refresh session cache, will try again at the next refresh interval",
        )  # fmt: skip
        table: list[tuple[float, Callable[[], str]]] = [
            (30, self.heartbeat), (4, self.ttl_delete), (3, self.socket_check),
            (8, self.applied_op), (0.6, self.sort_limit), (0.8, self.send_error),
            (2, self.pool_connect),
            (0.3, self.rsm_error), (0.5, self.unauthorized_cmd), (1.5, self.drop_pending),
            (0.3, self.create_coll), (0.2, self.session_refresh),
        ]  # fmt: skip
        total = sum(wt for wt, _ in table)
        self.cum: list[float] = []
        acc = 0.0
        for wt, _ in table:
            acc += wt
            self.cum.append(acc / total)
        self.fns = [fn for _, fn in table]

    def render(self) -> str:
        """One everyday message, drawn by frequency (the line after its date)."""
        return self.fns[bisect.bisect(self.cum, self.w.rr())]()

    def checkpoint(self) -> str:
        """WiredTiger's checkpoint progress: text before 7.0, a structured object since."""
        w = self.w
        self.ckpt_n += 1
        n, sec = self.ckpt_n, w.now_ms // 1000
        usec = (w.now_ms % 1000) * 1000 + int(w.rr() * 999)
        text = (
            f"saving checkpoint snapshot min: {n * 7}, snapshot max: {n * 7} snapshot count: 0, "
            f"oldest timestamp: ({sec - 300}, 1) , meta checkpoint timestamp: ({sec - 1}, 1) "
            f"base write gen: {n + 2331}"
        )
        if w.v7:
            attr = (
                f'{{"message":{{"ts_sec":{sec},"ts_usec":{usec},"thread":"{self.thread}",'
                '"session_name":"WT_SESSION.checkpoint","category":"WT_VERB_CHECKPOINT_PROGRESS",'
                f'"category_id":6,"verbose_level":"DEBUG_1","verbose_level_id":1,"msg":"{text}"}}}}'
            )
        else:
            attr = (
                f'{{"message":"[{sec}:{usec}][{self.thread}], WT_SESSION.checkpoint: '
                f'[WT_VERB_CHECKPOINT_PROGRESS] {text}"}}'
            )
        return self.wt("Checkpointer", attr)

    def heartbeat(self) -> str:
        rr = self.w.rr
        return self.hb(
            f"ReplCoord-{int(rr() * 12)}",
            f'{{"requestId":{int(rr() * 9e6)},"target":"{_MEMBERS[1 + int(rr() * 2)]}",'
            '"heartbeatObj":{"replSetHeartbeat":"rs-prod","configVersion":14,"configTerm":9,'
            f'"hbv":1,"from":"{_MEMBERS[0]}","fromId":0,"term":9,"primaryId":0}}}}',
        )

    def ttl_delete(self) -> str:
        rr = self.w.rr
        ns, idx = (("users.sessions", "expiresAt_1"), ("shop.carts", "updatedAt_1"))[int(rr() * 2)]
        return self.ttl(
            "TTLMonitor",
            f'{{"namespace":"{ns}","index":"{idx}","numDeleted":{int(rr() * rr() * 40000)},'
            f'"durationMillis":{int(rr() * rr() * 900)}}}',
        )

    def socket_check(self) -> str:
        return self.socket(self.clients.recent_ctx(), _SOCKET)

    def applied_op(self) -> str:
        w, rr = self.w, self.w.rr
        return self.applied(
            f"ReplWriterWorker-{int(rr() * 16)}",
            f'{{"command":{{"op":"u","ns":"shop.orders","ui":{{"$uuid":"{w.uuid()}"}},"o":'
            f'{{"$v":2,"diff":{{"u":{{"status":"shipped"}}}}}},"o2":{{"_id":{{"$oid":'
            f'"{w.oid_hex()}"}}}},"ts":{{"$timestamp":{{"t":{w.now_ms // 1000},"i":'
            f'{1 + int(rr() * 30)}}}}},"t":9,"v":2,"wall":{{"$date":"{iso(w.now_ms)}"}}}},'
            f'"durationMillis":{100 + int(rr() * 400)}}}',
        )

    def sort_limit(self) -> str:
        return self.exec_err(self.clients.recent_ctx(), _SORT_LIMIT)

    def send_error(self) -> str:
        w, rr = self.w, self.w.rr
        ctx = self.clients.recent_ctx()
        return self.send_err(
            ctx,
            '{"error":{"code":9001,"codeName":"SocketException","errmsg":"futurize :: caused by '
            f':: Broken pipe"}},"remote":"10.20.1.{11 + int(rr() * 8)}:{w.port()}",'
            f'"connectionId":{ctx[4:]}}}',
        )

    def pool_connect(self) -> str:
        member = _MEMBERS[1 + int(self.w.rr() * 2)]
        return self.connecting("ReplNetwork", f'{{"hostAndPort":"{member}"}}')

    def rsm_error(self) -> str:
        return self.rsm(
            "ReplicaSetMonitor-TaskExecutor",
            f'{{"host":"{_MEMBERS[2]}","error":"HostUnreachable: Error connecting to {_MEMBERS[2]}'
            ' :: caused by :: Connection timed out","replicaSet":"rs-prod","response":{}}',
        )

    def unauthorized_cmd(self) -> str:
        return self.unauthorized(
            self.clients.recent_ctx(),
            '{"error":{"code":13,"codeName":"Unauthorized","errmsg":"not authorized on admin to '
            'execute command { getLog: \\"startupWarnings\\", lsid: { id: UUID(\\"'
            f'{self.w.uuid()}\\") }}, $db: \\"admin\\" }}"}}}}',
        )

    def drop_pending(self) -> str:
        sec = self.w.now_ms // 1000
        return self.drop(
            "TimestampMonitor", f'{{"timestamp":{{"$timestamp":{{"t":{sec},"i":1}}}}}}'
        )

    def create_coll(self) -> str:
        w = self.w
        day = iso(w.now_ms)[:10].replace("-", "_")
        return self.create(
            self.clients.recent_ctx(),
            f'{{"namespace":"analytics.tmp_agg_{day}_{int(w.rr() * 999)}","uuidDisposition":'
            f'"generated","uuid":{{"uuid":{{"$uuid":"{w.uuid()}"}}}},"options":{{}}}}',
        )

    def session_refresh(self) -> str:
        return self.sessions("LogicalSessionCacheRefresh", _SESSIONS)
