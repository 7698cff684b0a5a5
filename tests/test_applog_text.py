"""Text application logs: Loghub's HDFS, Apache and OpenSSH samples against their
structured CSVs, lnav's shop access log, syslog, log4j/logback and Python layouts with
multi-line entries, logfmt, `--pattern`, and a mixed folder sniffed file by file."""

from __future__ import annotations

import csv
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import IngestFn, Runner, query, read_source, shared
from loglake.config import Settings
from loglake.errors import ConfigError
from loglake.formats.levels import word_level
from loglake.generate.app import AppSpec, generate_app
from loglake.store.manifest import load_manifest

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _structured(system: str) -> list[dict[str, str]]:
    path = shared("applogs", "loghub", system, f"{system}_2k.log_structured.csv")
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _rows(settings: Settings, columns: str) -> list[tuple]:
    return query(settings.root, "events", f"select {columns} from t order by file_offset")


def _us(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp()) * 1_000_000


def test_loghub_hdfs_every_line_with_time_level_and_source(
    settings: Settings, run_ingest: IngestFn
) -> None:
    truth = _structured("HDFS")
    report = run_ingest(shared("applogs", "loghub", "HDFS", "HDFS_2k.log"))
    assert report["files"][0]["format"] == "text"
    assert report["rows"]["events"] == len(truth) == 2000
    assert report["bad_lines"]["total"] == 0
    rows = _rows(settings, "epoch_us(ts), level, severity, component, message, attrs")
    for row, line in zip(rows, truth, strict=True):
        when = datetime.strptime(line["Date"] + line["Time"].zfill(6), "%y%m%d%H%M%S")
        assert row[0] == _us(when)
        assert row[1:5] == (
            word_level(line["Level"]),
            line["Level"],
            line["Component"],
            line["Content"],
        )
        assert json.loads(row[5])["pid"] == int(line["Pid"])


def test_loghub_apache_error_log(settings: Settings, run_ingest: IngestFn) -> None:
    truth = _structured("Apache")
    report = run_ingest(shared("applogs", "loghub", "Apache", "Apache_2k.log"))
    assert report["rows"]["events"] == len(truth) == 2000
    rows = _rows(settings, "epoch_us(ts), level, severity, message")
    for row, line in zip(rows, truth, strict=True):
        assert row[0] == _us(datetime.strptime(line["Time"], "%a %b %d %H:%M:%S %Y"))
        assert row[2] == line["Level"]
        assert row[1] == {"notice": "INFO", "error": "ERROR", "warn": "WARN"}[line["Level"]]
        assert row[3] == line["Content"]


def test_loghub_openssh_syslog_without_a_year(settings: Settings, run_ingest: IngestFn) -> None:
    truth = _structured("OpenSSH")
    path = shared("applogs", "loghub", "OpenSSH", "OpenSSH_2k.log")
    report = run_ingest(path)
    assert report["rows"]["events"] == len(truth) == 2000
    year = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).year
    rows = _rows(settings, "epoch_us(ts), host, component, message, attrs")
    for row, line in zip(rows, truth, strict=True):
        month = _MONTHS.index(line["Date"]) + 1
        clock = datetime.strptime(line["Time"], "%H:%M:%S")
        when = datetime(year, month, int(line["Day"]), clock.hour, clock.minute, clock.second)
        assert row[0] == _us(when)
        assert row[1:4] == (line["Component"], "sshd", line["Content"])
        assert json.loads(row[4])["pid"] == int(line["Pid"])


_COMBINED = re.compile(r'(\S+) \S+ (\S+) \[([^\]]+)\] "(\S+) (\S+) [^"]*" (\d{3}) (\d+|-)')


def test_the_shop_access_log(settings: Settings, run_ingest: IngestFn) -> None:
    path = shared("applogs", "lnav", "logfile_shop_access_log.0")
    lines = read_source(path).decode().splitlines()
    report = run_ingest(path)
    assert report["rows"]["events"] == len(lines) == 1000
    rows = _rows(settings, "epoch_us(ts), http_method, http_path, http_status, http_bytes, level")
    for row, line in zip(rows, lines, strict=True):
        _client, _user, stamp, method, target, status, size = _COMBINED.match(line).groups()
        when = datetime.strptime(stamp, "%d/%b/%Y:%H:%M:%S %z")
        assert row[0] == int(when.timestamp()) * 1_000_000
        assert row[1:5] == (method, target, int(status), None if size == "-" else int(size))
        assert row[5] == (
            "ERROR" if int(status) >= 500 else "WARN" if int(status) >= 400 else "INFO"
        )


@pytest.fixture(scope="module")
def app_logs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("app")
    return out, generate_app(AppSpec(seed=3, requests=1200, users=30, minutes=15), out)


def test_generated_access_log_counts_and_response_times(
    app_logs: tuple[Path, dict], settings: Settings, run_ingest: IngestFn
) -> None:
    out, truth = app_logs
    access = truth["files"]["access.log"]
    report = run_ingest(out / "access.log")
    assert report["rows"]["events"] == access["events"]
    got = dict(
        query(settings.root, "events", "select http_status::text, count(*) from t group by 1")
    )
    assert got == access["statuses"]
    users = query(
        settings.root,
        "events",
        'select "user", count(*) from t where "user" is not null group by 1',
    )
    assert dict(users) == access["users"]
    assert (
        dict(query(settings.root, "events", "select level, count(*) from t group by 1"))
        == access["levels"]
    )
    lines = (out / "access.log").read_text().splitlines()
    seconds = [float(line.rsplit(" ", 1)[1]) for line in lines]
    durations = [r[0] for r in _rows(settings, "duration_ms")]
    assert durations == pytest.approx([s * 1000 for s in seconds])


@pytest.mark.parametrize("name", ["worker-java.log", "worker-python.log"])
def test_stack_traces_join_their_first_line_and_read_back_whole(
    name: str, app_logs: tuple[Path, dict], settings: Settings, run_ingest: IngestFn
) -> None:
    out, truth = app_logs
    expected = truth["files"][name]
    report = run_ingest(out / name, workers=2, range_bytes=4096)  # ranges cut anywhere
    assert report["rows"]["events"] == expected["events"]
    assert report["bad_lines"]["total"] == 0
    assert (
        dict(query(settings.root, "events", "select level, count(*) from t group by 1"))
        == expected["levels"]
    )
    data = (out / name).read_bytes()
    multi = _rows(settings, "file_offset, line_length, message, level")
    joined = [r for r in multi if "\n" in r[2]]
    assert len(joined) == expected["multiline"]
    marker = "... 4 more" if name.endswith("java.log") else "smtplib.SMTPServerDisconnected"
    for offset, length, message, level in joined:
        raw = data[offset : offset + length].decode()
        assert level == "ERROR" and marker in raw and raw.endswith(message.split("\n")[-1])
        assert raw.count("\n") == message.count("\n")
    assert sum(r[1] for r in multi) + len(multi) == len(data)  # every byte, once


def test_syslog_rfc5424_and_3164_with_priorities(
    tmp_path: Path, settings: Settings, run_ingest: IngestFn
) -> None:
    modern = tmp_path / "modern.log"
    modern.write_text(
        "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
        '[exampleSDID@32473 iut="3" eventSource="Application"] An application event\n'
        "<34>1 2003-10-11T22:14:16Z mymachine su - ID48 - 'su root' failed for lonvick\n"
    )
    classic = tmp_path / "classic.log"
    classic.write_text(
        "<34>Dec 31 23:59:59 mymachine su: 'su root' failed for lonvick on /dev/pts/8\n"
        "<13>Jan  1 00:00:01 mymachine cron[42]: (root) CMD (run-parts /etc/cron.hourly)\n"
    )
    run_ingest(modern, classic)
    rows = query(
        settings.root,
        "events",
        "select epoch_us(ts), host, component, level, severity, message from t order by ts",
    )
    year = datetime.fromtimestamp(classic.stat().st_mtime, tz=UTC).year - 1  # crossed New Year
    assert rows == [
        (1065910455003000, "mymachine.example.com", "evntslog", "INFO", "165",
         "An application event"),
        (1065910456000000, "mymachine", "su", "FATAL", "34", "'su root' failed for lonvick"),
        (_us(datetime(year, 12, 31, 23, 59, 59)), "mymachine", "su", "FATAL", "34",
         "'su root' failed for lonvick on /dev/pts/8"),
        (_us(datetime(year + 1, 1, 1, 0, 0, 1)), "mymachine", "cron", "INFO", "13",
         "(root) CMD (run-parts /etc/cron.hourly)"),
    ]  # fmt: skip


def test_log4j_layouts_and_python_basic_format(
    tmp_path: Path, settings: Settings, run_ingest: IngestFn
) -> None:
    log4j = tmp_path / "server.log"
    log4j.write_text(
        "2026-11-30 10:00:00,123 INFO  [main] org.example.Server: started in 1.2 s\n"
        "2026-11-30T10:00:01.5+01:00 WARN org.example.Cache - cache 80% full\n"
        "2026-11-30 10:00:02.000 [worker-3] ERROR o.e.Jobs - job 7 failed\n"
        "java.lang.RuntimeException: boom\n"
        "\tat org.example.Jobs.run(Jobs.java:10)\n"
    )
    basic = tmp_path / "2026-11-29" / "worker.log"
    basic.parent.mkdir()
    basic.write_text("WARNING:root:disk almost full\nERROR:app.db:connection lost\n")
    run_ingest(log4j, basic)
    rows = query(
        settings.root,
        "events",
        "select epoch_ms(ts), level, component, context, message from t order by all",
    )
    trace = (
        "job 7 failed\njava.lang.RuntimeException: boom\n\tat org.example.Jobs.run(Jobs.java:10)"
    )
    assert rows == [
        (1795910400000, "ERROR", "app.db", None, "connection lost"),  # the folder's date
        (1795910400000, "WARN", "root", None, "disk almost full"),
        (1796029201500, "WARN", "org.example.Cache", None, "cache 80% full"),
        (1796032800123, "INFO", "org.example.Server", "main", "started in 1.2 s"),
        (1796032802000, "ERROR", "o.e.Jobs", "worker-3", trace),
    ]


def test_logfmt_lines(tmp_path: Path, settings: Settings, run_ingest: IngestFn) -> None:
    log = tmp_path / "svc.log"
    log.write_text(
        'time=2026-11-30T10:00:00Z level=info msg="user signed in" user_id=42 duration_ms=12.5\n'
        'time=2026-11-30T10:00:01Z level=error msg="payment failed: \\"card declined\\"" '
        "user_id=7 status=502 method=POST path=/api/pay retry\n"
    )
    report = run_ingest(log)
    assert report["files"][0]["format"] == "logfmt"
    rows = _rows(
        settings,
        'epoch_us(ts), level, message, "user", duration_ms, http_status, http_method, http_path, '
        "attrs",
    )
    assert rows == [
        (1796032800000000, "INFO", "user signed in", "42", 12.5, None, None, None, None),
        (1796032801000000, "ERROR", 'payment failed: "card declined"', "7", None, 502, "POST",
         "/api/pay", '{"retry":true}'),
    ]  # fmt: skip


def test_pattern_reads_what_no_layout_does(
    tmp_path: Path, settings: Settings, runner: Runner
) -> None:
    log = tmp_path / "custom.log"
    log.write_text(
        "@1700000000 alice [E] cart: checkout failed\n"
        "@1700000060 bob [I] cart: checkout ok\n"
        "garbage line\n"
    )
    pattern = r"@(?P<ts>\d+) (?P<user>\w+) \[(?P<level>\w)\] (?P<source>\w+): (?P<message>.*)"
    result = runner.run(
        "ingest", str(log), "--out", str(settings.root), "--pattern", pattern, "--json", "-q"
    )
    report = json.loads(result.stdout)
    assert report["files"][0]["format"] == "pattern"
    assert report["files"][0]["fields"] == {"pattern": pattern}
    assert report["bad_lines"] == {"total": 1, "other_format": 1}
    rows = _rows(settings, 'epoch_us(ts), "user", level, component, message')
    assert rows == [
        (1_700_000_000_000_000, "alice", "ERROR", "cart", "checkout failed"),
        (1_700_000_060_000_000, "bob", "INFO", "cart", "checkout ok"),
    ]
    with pytest.raises(ConfigError, match="name the parts"):
        Settings(pattern=r"\d+ .*")
    with pytest.raises(ConfigError, match="not a regular expression"):
        Settings(pattern=r"(?P<ts>\d+")


def test_a_mixed_folder_is_sniffed_file_by_file(
    app_logs: tuple[Path, dict], settings: Settings, run_ingest: IngestFn
) -> None:
    out, truth = app_logs
    mongod = shared("mongodb", "json", "edutask-8.2.7.log")
    (out / "mongod.log").write_bytes(mongod.read_bytes())
    (out / "svc.logfmt").write_text("ts=2026-11-30T10:00:00Z level=warn msg=hi\n")
    report = run_ingest(out)
    formats = {Path(f["path"]).name: f["format"] for f in report["files"]}
    assert formats == {
        "app.jsonl": "jsonl",
        "access.log": "text",
        "worker-java.log": "text",
        "worker-python.log": "text",
        "mongod.log": "mongodb",
        "svc.logfmt": "logfmt",
        "truth.json": None,  # not a log: skipped with a warning
    }
    generated = sum(f["events"] for f in truth["files"].values())
    assert report["rows"]["events"] == generated + 478 + 1
    layouts = {Path(f["path"]).name: f.get("fields", {}).get("layout") for f in report["files"]}
    assert layouts["access.log"] == "access" and layouts["worker-java.log"] == "log4j"
    assert load_manifest(settings.root)["files"]


def test_crlf_stack_traces(tmp_path: Path, settings: Settings, run_ingest: IngestFn) -> None:
    log = tmp_path / "win.log"
    data = (
        b"2026-11-30 10:00:00.000 [main] ERROR a.B - failed\r\n"
        b"java.io.IOException: gone\r\n\tat a.B.run(B.java:1)\r\n"
        b"2026-11-30 10:00:01.000 [main] INFO  a.B - next\r\n"
    )
    log.write_bytes(data)
    run_ingest(log)
    rows = _rows(settings, "file_offset, line_length, message")
    assert [r[2] for r in rows] == [
        "failed\njava.io.IOException: gone\n\tat a.B.run(B.java:1)",
        "next",
    ]
    offset, length, _message = rows[0]
    assert data[offset : offset + length] == data.split(b"\r\n2026-11-30 10:00:01")[0]


def test_syslog_without_a_host_and_access_logs_with_a_virtual_host(
    tmp_path: Path, settings: Settings, run_ingest: IngestFn
) -> None:
    syslog = tmp_path / "system.log"
    syslog.write_text(
        "Dec 10 06:55:46 sshd[24200]: Invalid user webmaster\n"
        "Dec 10 06:55:47 mybox kernel: [ 12.5] eth0: link up\n"
    )
    access = tmp_path / "other_vhosts_access.log"
    access.write_text(
        'example.com:443 10.0.0.1 - - [30/Nov/2026:10:00:00 +0000] "GET /a HTTP/2.0" 200 12 '
        '"-" "curl/8.0"\n'
    )
    run_ingest(syslog, access)
    rows = query(
        settings.root,
        "events",
        "select host, component, message, http_path, attrs from t "
        "order by http_path nulls first, ts",
    )
    assert rows[:2] == [
        (None, "sshd", "Invalid user webmaster", None, '{"pid":24200}'),
        ("mybox", "kernel", "[ 12.5] eth0: link up", None, None),
    ]
    assert rows[2][3] == "/a" and json.loads(rows[2][4])["vhost"] == "example.com:443"


def test_more_loghub_layouts(tmp_path: Path, settings: Settings, run_ingest: IngestFn) -> None:
    # first lines of Loghub's Spark, ZooKeeper and OpenStack samples
    spark = tmp_path / "spark.log"
    spark.write_text(
        "17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: "
        "Registered signal handlers for [TERM, HUP, INT]\n"
    )
    zookeeper = tmp_path / "zookeeper.log"
    zookeeper.write_text(
        "2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:"
        "FastLeaderElection@774] - Notification time out: 3200\n"
    )
    openstack = tmp_path / "nova-api.log"
    openstack.write_text(
        "2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server "
        '[req-38101a0b-2096-447d-96ea-a692162415ae] "GET /v2/servers/detail HTTP/1.1" 200\n'
    )
    report = run_ingest(spark, zookeeper, openstack)
    layouts = {Path(f["path"]).name: f["fields"]["layout"] for f in report["files"]}
    assert layouts == {
        "spark.log": "spark",
        "zookeeper.log": "zookeeper",
        "nova-api.log": "openstack",
    }
    rows = query(
        settings.root, "events", "select epoch_ms(ts), level, component, context, message from t"
    )
    requests = query(
        settings.root, "events", "select request_id from t where component like 'nova%'"
    )
    assert requests == [("req-38101a0b-2096-447d-96ea-a692162415ae",)]
    assert sorted(rows) == [
        (1438191704747, "INFO", None,
         "QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774",
         "Notification time out: 3200"),
        (1494892800008, "INFO", "nova.osapi_compute.wsgi.server", None,
         '[req-38101a0b-2096-447d-96ea-a692162415ae] "GET /v2/servers/detail HTTP/1.1" 200'),
        (1497039040000, "INFO", "executor.CoarseGrainedExecutorBackend", None,
         "Registered signal handlers for [TERM, HUP, INT]"),
    ]  # fmt: skip
