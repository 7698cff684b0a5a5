"""A seeded, realistic service log with known truth (`loglake generate app`).

One run simulates an API's traffic (users, routes, latencies, error bursts) and writes the
same requests as the service's pino JSON lines (`app.jsonl`, NestJS-style: `level` as pino
numbers and sometimes a word, `time` in epoch ms and often an ISO `timestamp`, `context`,
`req`, `res`, `responseTime`, `authUserId`, `err` with its stack) and as the nginx access
log in front of it (`access.log`, combined format plus `$request_time`), plus the logs of
two background workers that fail during the error bursts: a Java one in logback's layout
with stack traces (`worker-java.log`) and a Python one in logging's format with tracebacks
(`worker-python.log`). `truth.json` holds exact counts per file: events, levels, users,
statuses, errors and multi-line entries. With `json_array` the pino records are written as
one JSON array file per minute, named by time (`app/2026-11-30T10:01:00.000Z-….json`), as
object-storage exporters do; about 1% of records arrive in the next minute's file.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from loglake.errors import ConfigError

_ROUTES = (  # method, path template, weight, needs a user
    ("GET", "/api/deals", 30, True),
    ("GET", "/api/deals/{id}", 25, True),
    ("POST", "/api/orders", 8, True),
    ("GET", "/api/portfolio", 15, True),
    ("POST", "/api/chat", 7, True),
    ("GET", "/health", 10, False),
    ("GET", "/static/app.{id}.js", 5, False),
)
_AGENTS = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 Safari/605.1.15",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36",
    "okhttp/4.12.0",
    "kube-probe/1.29",
)
_HOSTS = ("api-7f9c-1", "api-7f9c-2")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_PINO = {"TRACE": 10, "DEBUG": 20, "INFO": 30, "WARN": 40, "ERROR": 50, "FATAL": 60}


@dataclass(frozen=True)
class AppSpec:
    """What to generate: how many requests over how long, by how many users."""

    seed: int = 13
    requests: int = 5000
    users: int = 200
    start: str = "2026-11-30T10:00:00Z"
    minutes: int = 60
    json_array: bool = False

    def start_ms(self) -> int:
        """The first request's time, epoch milliseconds."""
        try:
            moment = datetime.fromisoformat(self.start.replace("Z", "+00:00"))
        except ValueError:
            raise ConfigError(f"--start: not an ISO-8601 time: {self.start!r}") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return int(moment.timestamp() * 1000)


@dataclass
class _Request:
    ms: int  # when it completed
    user: str | None
    method: str
    url: str
    status: int
    latency_ms: int
    size: int
    ip: str
    agent: str
    req_id: str
    host: str


class _Truth:
    """Exact counts of one generated file."""

    def __init__(self) -> None:
        self.events = 0
        self.levels: Counter[str] = Counter()
        self.users: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.multiline = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "levels": dict(sorted(self.levels.items())),
            "errors": self.levels["ERROR"] + self.levels["FATAL"],
            "users": dict(sorted(self.users.items())),
            "statuses": dict(sorted(self.statuses.items())),
            "multiline": self.multiline,
        }


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{ms % 1000:03d}Z"
    )


def _clf(ms: int) -> str:
    moment = datetime.fromtimestamp(ms // 1000, tz=UTC)
    return f"{moment.day:02d}/{_MONTHS[moment.month - 1]}/{moment:%Y:%H:%M:%S} +0000"


def _local(ms: int, sep: str) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S") + (
        f"{sep}{ms % 1000:03d}"
    )


class _Traffic:
    def __init__(self, spec: AppSpec) -> None:
        if spec.requests < 1 or spec.users < 1 or spec.minutes < 1:
            raise ConfigError("requests, users and minutes must be positive")
        self.spec = spec
        self.rng = random.Random(spec.seed)  # noqa: S311 - seeded, reproducible test data
        self.start = spec.start_ms()
        self.span = spec.minutes * 60_000
        rng = self.rng
        # two error bursts of a few minutes each, where a third of requests fail
        length = min(3 * 60_000, self.span // 6)
        self.bursts = sorted(
            (begin, begin + length)
            for begin in (
                self.start + rng.randrange(0, max(1, self.span // 2 - length)),
                self.start + self.span // 2 + rng.randrange(0, max(1, self.span // 2 - length)),
            )
        )
        weights = [1 / (n + 1) ** 0.8 for n in range(spec.users)]
        self.user_ids = [f"u{n + 1:04d}" for n in range(spec.users)]
        self.user_weights = weights

    def in_burst(self, ms: int) -> bool:
        return any(begin <= ms < end for begin, end in self.bursts)

    def requests(self) -> list[_Request]:
        rng = self.rng
        out = []
        for n in range(self.spec.requests):
            ms = self.start + rng.randrange(self.span)
            method, template, _weight, needs_user = rng.choices(
                _ROUTES, weights=[r[2] for r in _ROUTES]
            )[0]
            url = template.replace("{id}", str(rng.randrange(1, 500)))
            if method == "GET" and template == "/api/deals" and rng.random() < 0.5:
                url += f"?page={rng.randrange(1, 9)}"
            user = None
            if needs_user and rng.random() < 0.93:
                user = rng.choices(self.user_ids, weights=self.user_weights)[0]
            status = self._status(method, needs_user, user, ms)
            latency = int(rng.lognormvariate(3.4, 0.8))
            if status >= 500:
                latency += rng.randrange(200, 3000)
            elif rng.random() < 0.01:
                latency += rng.randrange(1000, 5000)  # a slow outlier
            size = 0 if status in (204, 304) else int(rng.lognormvariate(7.5, 1.0))
            out.append(
                _Request(
                    ms=ms,
                    user=user,
                    method=method,
                    url=url,
                    status=status,
                    latency_ms=latency,
                    size=size,
                    ip=f"10.{rng.randrange(4)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
                    agent="kube-probe/1.29" if template == "/health" else rng.choice(_AGENTS[:3]),
                    req_id=f"req-{n + 1:x}",
                    host=rng.choice(_HOSTS),
                )
            )
        out.sort(key=lambda r: (r.ms, r.req_id))
        return out

    def _status(self, method: str, needs_user: bool, user: str | None, ms: int) -> int:
        rng = self.rng
        if needs_user and user is None:
            return 401
        failing = 0.33 if self.in_burst(ms) else 0.005
        draw = rng.random()
        if draw < failing:
            return rng.choice((500, 502, 503))
        if draw < failing + 0.02:
            return 404
        if method == "POST":
            return 201
        return 304 if rng.random() < 0.05 else 200


def _java_stack(rng: random.Random, job: str) -> list[str]:
    frames = [
        f"\tat com.example.billing.{job}.render({job}.java:{rng.randrange(40, 400)})",
        f"\tat com.example.billing.{job}.run({job}.java:{rng.randrange(20, 90)})",
        "\tat java.base/java.util.concurrent.ThreadPoolExecutor.runWorker"
        "(ThreadPoolExecutor.java:1136)",
        "\tat java.base/java.lang.Thread.run(Thread.java:840)",
    ]
    return [
        "java.lang.IllegalStateException: invoice template failed to render",
        *frames,
        "Caused by: java.net.SocketTimeoutException: Read timed out",
        "\tat java.base/java.net.SocketInputStream.socketRead0(Native Method)",
        "\t... 4 more",
    ]


def _python_traceback(rng: random.Random) -> list[str]:
    return [
        "Traceback (most recent call last):",
        '  File "/srv/worker/mailer.py", line 88, in send',
        "    smtp.sendmail(sender, rcpt, body)",
        f'  File "/usr/lib/python3.11/smtplib.py", line {rng.randrange(800, 900)}, in sendmail',
        "    raise SMTPServerDisconnected('Connection unexpectedly closed')",
        "smtplib.SMTPServerDisconnected: Connection unexpectedly closed",
    ]


class _Pino:
    """The service's pino records, with their truth."""

    def __init__(self, traffic: _Traffic) -> None:
        self.rng = traffic.rng
        self.records: list[dict[str, Any]] = []
        self.truth = _Truth()

    def add(self, level: str, ms: int, host: str, context: str, msg: str, **extra: Any) -> None:
        rng = self.rng
        record: dict[str, Any] = {"level": _PINO[level], "time": ms}
        if level == "INFO" and rng.random() < 0.05:
            record["level"] = "info"  # some loggers write the word
        if rng.random() < 0.35:
            record["timestamp"] = _iso(ms)
        record.update({"pid": 4242 if host == _HOSTS[0] else 4343, "hostname": host})
        record["context"] = context
        record.update(extra)
        record["msg"] = msg
        self.records.append(record)
        self.truth.events += 1
        self.truth.levels[level] += 1
        if extra.get("authUserId"):
            self.truth.users[extra["authUserId"]] += 1

    def request(self, r: _Request) -> None:
        began = r.ms - r.latency_ms
        req = {
            "id": r.req_id,
            "method": r.method,
            "url": r.url,
            "headers": {"host": "api.example.com", "user-agent": r.agent},
            "remoteAddress": r.ip,
        }
        user = {"authUserId": r.user} if r.user else {}
        if r.url.startswith("/api/deals/"):
            deal = int(r.url.rsplit("/", 1)[1])
            cache = "hit" if self.rng.random() < 0.7 else "miss"
            self.add(
                "DEBUG", began + 1, r.host, "DealsService", f"fetching deal {deal}",
                req={"id": r.req_id}, **user, dealId=deal, cache=cache,
            )  # fmt: skip
        if r.latency_ms > 1000 and r.status < 500:
            self.add(
                "WARN", r.ms, r.host, "HTTP", "slow request",
                req={"id": r.req_id}, **user, responseTime=r.latency_ms,
            )  # fmt: skip
        extra: dict[str, Any] = {"req": req, **user, "res": {"statusCode": r.status}}
        extra["responseTime"] = r.latency_ms
        if r.status >= 500:
            extra["err"] = {
                "type": "UpstreamError",
                "message": f"upstream pricing-service answered {r.status}",
                "stack": "UpstreamError: upstream pricing-service answered "
                f"{r.status}\n    at PricingClient.fetch (/app/dist/pricing.js:41:13)\n"
                "    at async DealsController.list (/app/dist/deals.controller.js:22:5)",
            }
            self.add("ERROR", r.ms, r.host, "HTTP", "request errored", **extra)
        else:
            level = "WARN" if r.status >= 400 and r.status != 404 else "INFO"
            self.add(level, r.ms, r.host, "HTTP", "request completed", **extra)


def _access_line(r: _Request) -> str:
    return (
        f'{r.ip} - {r.user or "-"} [{_clf(r.ms)}] "{r.method} {r.url} HTTP/1.1" {r.status} '
        f'{r.size} "-" "{r.agent}" {r.latency_ms / 1000:.3f}'
    )


def _workers(traffic: _Traffic) -> tuple[list[str], _Truth, list[str], _Truth]:
    """The Java and Python workers' lines: a job every 20 s, failing in the bursts."""
    rng = traffic.rng
    java: list[str] = []
    python: list[str] = []
    jt, pt = _Truth(), _Truth()
    for n, ms in enumerate(range(traffic.start, traffic.start + traffic.span, 20_000)):
        failing = traffic.in_burst(ms) and rng.random() < 0.6
        thread = f"pool-1-thread-{n % 4 + 1}"
        java.append(
            f"{_local(ms, '.')} [{thread}] INFO  c.e.billing.InvoiceJob - rendering batch {n}"
        )
        jt.events += 1
        jt.levels["INFO"] += 1
        if failing:
            java.append(
                f"{_local(ms + 7, '.')} [{thread}] ERROR c.e.billing.InvoiceJob - batch {n} failed"
            )
            java.extend(_java_stack(rng, "InvoiceJob"))
            jt.events += 1
            jt.levels["ERROR"] += 1
            jt.multiline += 1
        python.append(f"{_local(ms + 3, ',')} - worker.mailer - INFO - sending digest {n}")
        pt.events += 1
        pt.levels["INFO"] += 1
        if failing:
            python.append(f"{_local(ms + 9, ',')} - worker.mailer - ERROR - digest {n} failed")
            python.extend(_python_traceback(rng))
            pt.events += 1
            pt.levels["ERROR"] += 1
            pt.multiline += 1
        elif rng.random() < 0.05:
            python.append(f"{_local(ms + 5, ',')} - worker.mailer - WARNING - slow SMTP server")
            pt.events += 1
            pt.levels["WARN"] += 1
    return java, jt, python, pt


def generate_app(spec: AppSpec, out_dir: Path) -> dict[str, Any]:
    """Write the service's logs and `truth.json` under `out_dir`; return the truth."""
    traffic = _Traffic(spec)
    requests = traffic.requests()
    pino = _Pino(traffic)
    access = _Truth()
    for r in requests:
        pino.request(r)
        access.events += 1
        access.statuses[str(r.status)] += 1
        access.levels["ERROR" if r.status >= 500 else "WARN" if r.status >= 400 else "INFO"] += 1
        if r.user:
            access.users[r.user] += 1
    for minute in range(spec.minutes):  # the health checker, once a minute, no user
        ms = traffic.start + minute * 60_000 + 500
        pino.add("INFO", ms, _HOSTS[minute % 2], "HealthService", "health check ok")
    pino.records.sort(key=lambda rec: rec["time"])
    out_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, Any] = {}
    if spec.json_array:
        files.update(_write_arrays(pino.records, out_dir / "app", traffic.rng, pino.truth))
    else:
        _write_lines(out_dir / "app.jsonl", (orjson.dumps(r).decode() for r in pino.records))
        files["app.jsonl"] = pino.truth.as_dict()
    _write_lines(out_dir / "access.log", (_access_line(r) for r in requests))
    files["access.log"] = access.as_dict()
    java, java_truth, python, python_truth = _workers(traffic)
    _write_lines(out_dir / "worker-java.log", java)
    _write_lines(out_dir / "worker-python.log", python)
    files["worker-java.log"] = java_truth.as_dict()
    files["worker-python.log"] = python_truth.as_dict()
    truth = {
        "spec": {
            "seed": spec.seed,
            "requests": spec.requests,
            "users": spec.users,
            "start": spec.start,
            "minutes": spec.minutes,
            "json_array": spec.json_array,
        },
        "bursts": [[_iso(begin), _iso(end)] for begin, end in traffic.bursts],
        "requests": len(requests),
        "files": files,
    }
    (out_dir / "truth.json").write_bytes(orjson.dumps(truth, option=orjson.OPT_INDENT_2))
    return truth


def _write_lines(path: Path, lines: Any) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for line in lines:
            out.write(line)
            out.write("\n")


def _write_arrays(
    records: list[dict[str, Any]], folder: Path, rng: random.Random, truth: _Truth
) -> dict[str, Any]:
    """One JSON array file per minute, named by the minute; ~1% of records arrive late,
    in the next minute's file."""
    by_minute: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        minute = record["time"] // 60_000
        if rng.random() < 0.01:
            minute += 1
        by_minute[minute].append(record)
    folder.mkdir(parents=True, exist_ok=True)
    for minute, batch in sorted(by_minute.items()):
        name = f"{_iso(minute * 60_000)}-{rng.getrandbits(32):08x}.json"
        body = b",\n".join(orjson.dumps(r) for r in batch)
        (folder / name).write_bytes(b"[\n" + body + b"\n]\n")
    summary = truth.as_dict()
    summary["files"] = len(by_minute)
    return {"app/": summary}
