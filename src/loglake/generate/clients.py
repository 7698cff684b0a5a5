"""Client applications and their connections: accepted, metadata, authentication, ended."""

# ruff: noqa: E501 - the table of applications keeps one application per line

from __future__ import annotations

import base64
import heapq
import math
from dataclasses import dataclass, field

from loglake.generate.spec import VERSIONS
from loglake.generate.writer import Kind, Msg, Writer

# key | appName ("-": none) | client addresses | user@authdb | pool | session seconds | $readPreference | client metadata
_APPS = """
orders    | orders-api      | 10.20.1.11-18 | orders_svc@admin    | 10 | 1800-28800 | - | {"driver":{"name":"nodejs","version":"6.8.0"},"os":{"type":"Linux","name":"linux","architecture":"x64","version":"5.15.0-1064-aws"},"platform":"Node.js v20.15.1, LE (unified)","application":{"name":"orders-api"}}
billing   | billing-worker  | 10.20.2.21-24 | billing_svc@admin   | 6  | 3600-43200 | - | {"driver":{"name":"PyMongo","version":"4.8.0"},"os":{"type":"Linux","name":"Linux","architecture":"x86_64","version":"6.1.94-99.176.amzn2023.x86_64"},"platform":"CPython 3.12.4.final.0","application":{"name":"billing-worker"}}
catalog   | catalog-service | 10.20.3.31-36 | catalog_svc@admin   | 8  | 3600-36000 | - | {"driver":{"name":"mongo-java-driver|sync|spring-boot","version":"5.1.2"},"os":{"type":"Linux","name":"Linux","architecture":"amd64","version":"5.15.0-1064-aws"},"platform":"Java/Eclipse Adoptium/21.0.3+9-LTS","application":{"name":"catalog-service"}}
etl       | analytics-etl   | 10.20.4.41-42 | etl_reader@admin    | 4  | 600-3600   | secondaryPreferred | {"driver":{"name":"mongo-go-driver","version":"v1.16.0"},"os":{"type":"linux","architecture":"amd64"},"platform":"go1.22.5","application":{"name":"analytics-etl"}}
auth      | auth-gateway    | 10.20.5.51-56 | users_svc@admin     | 8  | 1800-21600 | - | {"driver":{"name":"nodejs","version":"5.9.2"},"os":{"type":"Linux","name":"linux","architecture":"x64","version":"5.15.0-1064-aws"},"platform":"Node.js v18.20.3, LE (unified)","application":{"name":"auth-gateway"}}
logistics | logistics-tracker | 10.20.6.61-63 | logistics_svc@admin | 5 | 3600-28800 | - | {"driver":{"name":"mongo-csharp-driver","version":"2.28.0"},"os":{"type":"Linux","name":"Ubuntu 22.04.4 LTS","architecture":"x86_64","version":"5.15.0-1064-aws"},"platform":".NET 8.0.6","application":{"name":"logistics-tracker"}}
cms       | cms-backend     | 10.20.7.71-72 | cms_svc@admin       | 4  | 3600-28800 | - | {"driver":{"name":"PyMongo|Motor","version":"4.8.0|3.5.1"},"os":{"type":"Linux","name":"Linux","architecture":"x86_64","version":"6.1.94"},"platform":"CPython 3.11.9.final.0|asyncio","application":{"name":"cms-backend"}}
prisma    | -               | 10.20.8.81-83 | profile_svc@admin   | 3  | 1800-14400 | - | {"driver":{"name":"mongo-rust-driver|Prisma","version":"3.0.0"},"os":{"type":"linux","architecture":"x86_64"},"platform":"rustc 1.78.0 (9b00956e5 2024-04-29) with tokio"}
lambda    | pricing-lambda  | 10.40.*.*     | pricing_fn@admin    | 0  | 2-40       | - | {"driver":{"name":"nodejs","version":"6.8.0"},"os":{"type":"Linux","name":"linux","architecture":"x64","version":"5.10.219-229.864.amzn2.x86_64"},"platform":"Node.js v20.15.1, LE (unified)","env":{"name":"aws.lambda","region":"eu-west-1","memory_mb":1024},"application":{"name":"pricing-lambda"}}
mongosh   | mongosh 2.2.10  | 10.30.0.5-9   | dba_alice@admin     | 0  | 60-2400    | - | {"application":{"name":"mongosh 2.2.10"},"driver":{"name":"nodejs|mongosh","version":"6.6.2|2.2.10"},"platform":"Node.js v20.12.2, LE","os":{"name":"linux","architecture":"x64","version":"5.15.0","type":"Linux"}}
compass   | MongoDB Compass | 10.30.1.20-40 | analyst@admin       | 0  | 120-3600   | - | {"application":{"name":"MongoDB Compass"},"driver":{"name":"nodejs|Compass","version":"6.7.0|1.43.4"},"platform":"Node.js v20.12.2, LE","os":{"name":"darwin","architecture":"arm64","version":"23.5.0","type":"Darwin"}}
agent     | MongoDB Automation Agent v13.19.0.8937 (git: 4c6e2f0f5d1c0b7c0e9a2a3f3b1d9e8a7c6b5a4f) | 10.10.0.50-50 | mms-automation@admin | 0 | 20-300 | - | {"application":{"name":"MongoDB Automation Agent v13.19.0.8937 (git: 4c6e2f0f5d1c0b7c0e9a2a3f3b1d9e8a7c6b5a4f)"},"driver":{"name":"mongo-go-driver","version":"v1.12.0-cloud"},"os":{"type":"linux","architecture":"amd64"},"platform":"go1.21.8"}
repl      | -               | 10.10.0.12-13 | __system@local      | 3  | 7200-86400 | - | {"driver":{"name":"NetworkInterfaceTL-ReplNetwork","version":"@version"},"os":{"type":"Linux","name":"Ubuntu","architecture":"x86_64","version":"22.04"}}
"""
_SCANNER_USERS = ("admin", "root", "mongo", "test", "user", "backup")
_STORED_KEY = "AuthenticationFailed: SCRAM authentication failed, storedKey mismatch"
_ABANDONED = (
    "AuthenticationAbandoned: Authentication session abandoned, client has likely disconnected"
)
_KEY_ID = "7347715653542871041"


@dataclass(eq=False)
class App:
    """A client application: how it identifies itself and how it uses connections."""

    key: str
    name: str | None  # appName in slow queries; None when the driver sends none
    net: str  # client address prefix, or "10.40.*.*"
    hosts: tuple[int, int]
    user: str
    db: str
    pool: int  # connections the application keeps open
    life: tuple[float, float]  # session length in seconds, log-uniform between
    rp: str  # the $readPreference its driver adds to each command
    doc: str  # client metadata document (JSON)
    open: list[Conn] = field(default_factory=list)

    @property
    def cluster(self) -> bool:
        """Whether this is another member of the replica set."""
        return self.user == "__system"


@dataclass(eq=False)
class Conn:
    """One client connection."""

    cid: int
    app: App
    remote: str
    lsid: str
    uuid: str


def load_apps(version: str) -> dict[str, App]:
    """The applications of the table, with this server version where they need it."""
    apps = {}
    for line in _APPS.strip().splitlines():
        key, name, net, user, pool, life, rp, doc = (f.strip() for f in line.split(" | "))
        prefix, _, hosts = net.rpartition(".")
        lo, _, hi = hosts.partition("-")
        host_range = (0, 255) if hosts == "*" else (int(lo), int(hi))
        if hosts == "*":
            prefix = net.removesuffix("*.*")
        life_lo, life_hi = (float(x) for x in life.split("-"))
        apps[key] = App(
            key,
            None if name == "-" else name,
            prefix if hosts == "*" else prefix + ".",
            host_range,
            user.split("@")[0],
            user.split("@")[1],
            int(pool),
            (life_lo, life_hi),
            "" if rp == "-" else f',"$readPreference":{{"mode":"{rp}"}}',
            doc.replace("@version", VERSIONS[version]),
        )
    return apps


class Clients:
    """Opens and ends connections, writing what mongod logs about them."""

    def __init__(self, w: Writer) -> None:
        self.w = w
        self.apps = load_apps(w.spec.mongo_version)
        self.next_cid = 1
        self.n_open = 0
        self.ends: list[tuple[int, int, Conn]] = []  # (end time, id, connection)
        self.sigs = ["AAAAAAAAAAAAAAAAAAAAAAAAAAA="] + [
            base64.b64encode(w.rng.randbytes(20)).decode() for _ in range(63)
        ]
        if w.v7:
            ok = Msg("I", "ACCESS", 5286306, "Successfully authenticated")
            fail = Msg("I", "ACCESS", 5286307, "Failed to authenticate")
        else:
            text = "Authentication succeeded" if w.v5 else "Successful authentication"
            ok = Msg("I", "ACCESS", 20250, text)
            fail = Msg("I", "ACCESS", 20249, "Authentication failed")
        self.auth_ok, self.auth_fail = ok, fail
        self.accepted = Msg("I", "NETWORK", 22943, "Connection accepted")
        self.ended = Msg("I", "NETWORK", 22944, "Connection ended")
        self.metadata = Msg("I", "NETWORK", 51800, "client metadata")
        self.auth_metrics = Msg("I", "ACCESS", 6788604, "Auth metrics report")
        self.first_cmd = Msg(
            "I",
            "NETWORK",
            6788700,
            "Received first command on ingress connection since session start or auth handshake",
        )
        self.interrupted = Msg("I", "-", 20883, "Interrupted operation as its client disconnected")

    def conn_for(self, app: App) -> Conn:
        """An open connection of the application, opening one if its pool is short."""
        pool = app.open
        if not pool or (len(pool) < app.pool and self.w.rr() < 0.05):
            return self.open(app)
        return pool[int(len(pool) * self.w.rr())]

    def recent_ctx(self) -> str:
        """The context of a recently opened connection."""
        return f"conn{max(1, self.next_cid - 1 - int(self.w.rr() * 50))}"

    def open(self, app: App, fail: str | None = None, remote: str | None = None) -> Conn:
        """Accept a connection, log its metadata and its authentication (`fail`: why not)."""
        w, rr = self.w, self.w.rr
        if remote is None:
            lo, hi = app.hosts
            host = lo + int((hi - lo + 1) * rr())
            if app.net.count(".") == 2:
                remote = f"{app.net}{host}.{1 + int(rr() * 254)}:{w.port()}"
            else:
                remote = f"{app.net}{host}:{w.port()}"
        conn = Conn(self.next_cid, app, remote, w.uuid(), w.uuid())
        self.next_cid += 1
        self.n_open += 1
        w.put(self.accepted("listener", self.conn_attr(conn)), Kind.ACCEPTED)
        ctx = f"conn{conn.cid}"
        if fail != "scanner" or rr() < 0.3:  # most scanners skip the hello handshake
            w.now_ms += int(rr() * 3)
            neg = ',"negotiatedCompressors":[]' if w.v6 else ""
            attr = f'{{"remote":"{remote}","client":"{ctx}"{neg},"doc":{app.doc}}}'
            w.put(self.metadata(ctx, attr), Kind.METADATA)
        w.now_ms += 2 + int(rr() * 25)
        if fail is None:
            if w.v7:
                w.put(self.auth_metrics(ctx, '{"metric":"acquireUser","micros":0}'))
            w.put(self.auth_ok(ctx, self.auth_attr(conn, None)), Kind.AUTH_OK)
            if w.v7:
                w.put(self.first_cmd(ctx, f'{{"elapsedMillis":{int(rr() * 9)}}}'))
            lo_s, hi_s = app.life
            life = lo_s * math.exp(rr() * math.log(hi_s / lo_s))
            app.open.append(conn)
        else:
            w.put(self.auth_fail(ctx, self.auth_attr(conn, fail)), Kind.AUTH_FAIL)
            life = 0.02 + rr() * 1.5
        heapq.heappush(self.ends, (w.now_ms + int(life * 1000) + 1, conn.cid, conn))
        return conn

    def end(self, conn: Conn) -> None:
        """Log the end of a connection."""
        self.n_open -= 1
        if conn in conn.app.open:
            conn.app.open.remove(conn)
        ctx = f"conn{conn.cid}"
        if self.w.rr() < 0.05:
            self.w.put(self.interrupted(ctx, f'{{"opId":{int(self.w.rr() * 9e6)}}}'))
        self.w.put(self.ended(ctx, self.conn_attr(conn)), Kind.ENDED)

    def close_all(self) -> None:
        """End every connection still open, in the order they were due."""
        for _, _, conn in sorted(self.ends):
            self.w.now_ms += int(self.w.rr() * 20)
            self.end(conn)
        self.ends.clear()

    def conn_attr(self, conn: Conn) -> str:
        """The attr of Connection accepted/ended: the uuid's form changed in 5.0 and 7.0."""
        w = self.w
        lb = '"isLoadBalanced":false,' if w.v8 else ""
        if w.v7:
            uid = f'"uuid":{{"uuid":{{"$uuid":"{conn.uuid}"}}}},'
        elif w.v5:
            uid = f'"uuid":"{conn.uuid}",'
        else:
            uid = ""
        return (
            f'{{"remote":"{conn.remote}",{lb}{uid}"connectionId":{conn.cid},'
            f'"connectionCount":{self.n_open}}}'
        )

    def auth_attr(self, conn: Conn, fail: str | None) -> str:
        """The attr of an authentication success or failure, in this version's form."""
        w, app, rr = self.w, conn.app, self.w.rr
        user, db, mech, code, err = app.user, app.db, "SCRAM-SHA-256", 0, ""
        if fail == "scanner":
            user = _SCANNER_USERS[int(rr() * len(_SCANNER_USERS))]
            mech = "SCRAM-SHA-1" if rr() < 0.6 else "SCRAM-SHA-256"
            code, err = 11, f'UserNotFound: Could not find user \\"{user}\\" for db \\"{db}\\"'
        elif fail == "abandoned" and w.v7:
            user, db, mech, code, err = "", "", "", 337, _ABANDONED
        elif fail is not None:
            code, err = 18, _STORED_KEY
        if w.v7:
            return self._auth_attr_7(conn, (user, db, mech), code, err)
        who = f'"mechanism":"{mech}",'
        if w.v5:
            who += f'"speculative":{"false" if fail else "true"},'
        who += f'"principalName":"{user}","authenticationDatabase":"{db}",'
        if not w.v5:  # 4.4: "client", and a failure's reason in "result"
            return f'{{{who}"client":"{conn.remote}"' + (f',"result":"{err}"}}' if fail else "}")
        return f'{{{who}"remote":"{conn.remote}","extraInfo":{{}}' + (
            f',"error":"{err}"}}' if fail else "}"
        )

    def _auth_attr_7(self, conn: Conn, who: tuple[str, str, str], code: int, err: str) -> str:
        rr, (user, db, mech), failed = self.w.rr, who, bool(err)
        speculative = "false" if failed or rr() < 0.2 else "true"
        micros = int(800 + rr() * 30000)
        head = (
            f'{{"client":"{conn.remote}","isSpeculative":{speculative},'
            f'"isClusterMember":{"true" if conn.app.cluster else "false"},'
            f'"mechanism":"{mech}","user":"{user}","db":"{db}",'
        )
        if failed:
            return (
                f'{head}"error":"{err}","result":{code},"metrics":{{"conversation_duration":'
                f'{{"micros":{micros},"summary":{{}}}}}},"extraInfo":{{}}}}'
            )
        steps = (
            f'{{"0":{{"step":1,"step_total":2,"duration_micros":{micros // 100 + 20}}},'
            f'"1":{{"step":2,"step_total":2,"duration_micros":{micros // 250 + 9}}}}}'
        )
        return (
            f'{head}"result":0,"metrics":{{"conversation_duration":{{"micros":{micros},'
            f'"summary":{steps}}}}},"extraInfo":{{}}}}'
        )

    def session_tail(self, conn: Conn, db: str) -> str:
        """The fields a driver adds to each command, and the command's closing brace."""
        sec = self.w.now_ms // 1000
        sig = self.sigs[(sec // 7) % len(self.sigs)]
        return (
            f',"lsid":{{"id":{{"$uuid":"{conn.lsid}"}}}},"$clusterTime":{{"clusterTime":'
            f'{{"$timestamp":{{"t":{sec},"i":{1 + int(self.w.rr() * 40)}}}}},"signature":{{'
            f'"hash":{{"$binary":{{"base64":"{sig}","subType":"0"}}}},"keyId":{_KEY_ID}}}}},'
            f'"$db":"{db}"{conn.app.rp}}}'
        )

    def auth_failures(self) -> None:
        """A scanner trying users, an application with a stale password, or an abandoned login."""
        w, rr = self.w, self.w.rr
        r = rr()
        if r < 0.5:
            ip = f"185.220.{100 + int(rr() * 4)}.{int(rr() * 254) + 1}"
            for _ in range(1 + int(rr() * rr() * 20)):
                self.open(self.apps["mongosh"], "scanner", f"{ip}:{w.port()}")
                w.now_ms += int(rr() * 400)
        elif r < 0.85:
            app = self.apps[("billing", "cms", "logistics")[int(rr() * 3)]]
            for _ in range(1 + int(rr() * 4)):
                self.open(app, "password")
                w.now_ms += 100 + int(rr() * 900)
        else:
            self.open(self.apps["compass"], "abandoned")
