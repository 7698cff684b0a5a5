"""One Settings object; the only place environment variables are read.

Every setting has a `LOGLAKE_*` variable; the seed tool's `MONGO_SLOWQ_*` names are accepted
as aliases so existing deployments keep working. Command-line options override both.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from loglake.errors import ConfigError

COMPRESSIONS = ("snappy", "zstd", "gzip", "lz4", "none")

# setting name -> environment variables, first found wins
_ENV: dict[str, tuple[str, ...]] = {
    "root": ("LOGLAKE_ROOT", "MONGO_SLOWQ_OUT_ROOT"),
    "compression": ("LOGLAKE_COMPRESSION", "MONGO_SLOWQ_PARQUET_COMPRESSION"),
    "chunk_rows": ("LOGLAKE_CHUNK_ROWS", "MONGO_SLOWQ_CHUNK_ROWS"),
    "copy_source": ("LOGLAKE_COPY_SOURCE", "MONGO_SLOWQ_KEEP_SOURCE_COPY"),
    "workers": ("LOGLAKE_WORKERS",),
    "executor": ("LOGLAKE_EXECUTOR",),
    "max_line_bytes": ("LOGLAKE_MAX_LINE_BYTES",),
    "range_bytes": ("LOGLAKE_RANGE_BYTES",),
    "vectorized": ("LOGLAKE_VECTORIZED",),
    "duckdb_threads": ("LOGLAKE_DUCKDB_THREADS",),
    "duckdb_memory_limit": ("LOGLAKE_DUCKDB_MEMORY_LIMIT",),
    "disable_duckdb": ("LOGLAKE_DISABLE_DUCKDB",),
    "cache_entries": ("LOGLAKE_CACHE_ENTRIES",),
    "precomputed_answers": ("LOGLAKE_PRECOMPUTED_ANSWERS",),
    "rollups": ("LOGLAKE_ROLLUPS",),
    "search_max_matches": ("LOGLAKE_SEARCH_MAX_MATCHES",),
    "host": ("LOGLAKE_HOST",),
    "port": ("LOGLAKE_PORT",),
    "auth_token": ("LOGLAKE_AUTH_TOKEN",),
    "server_threads": ("LOGLAKE_SERVER_THREADS",),
    "max_upload_mb": ("LOGLAKE_MAX_UPLOAD_MB",),
    "wipe_on_upload": ("LOGLAKE_WIPE_ON_UPLOAD",),
    "s3_endpoint_url": ("LOGLAKE_S3_ENDPOINT_URL",),
    "field_map": ("LOGLAKE_MAP",),
    "pattern": ("LOGLAKE_PATTERN",),
    "pg_prefix": ("LOGLAKE_PG_PREFIX",),
    "cold_root": ("LOGLAKE_COLD_ROOT",),
    "hooks": ("LOGLAKE_HOOKS",),
    "push_batch_records": ("LOGLAKE_PUSH_BATCH_RECORDS",),
    "push_batch_ms": ("LOGLAKE_PUSH_BATCH_MS",),
    "max_push_mb": ("LOGLAKE_MAX_PUSH_MB",),
    "alert_rules": ("LOGLAKE_ALERT_RULES",),
    "alert_webhook_timeout_ms": ("LOGLAKE_ALERT_WEBHOOK_TIMEOUT_MS",),
    "alert_webhook_attempts": ("LOGLAKE_ALERT_WEBHOOK_ATTEMPTS",),
    "alert_webhook_backoff_ms": ("LOGLAKE_ALERT_WEBHOOK_BACKOFF_MS",),
    "alert_delivery_rounds": ("LOGLAKE_ALERT_DELIVERY_ROUNDS",),
    "alert_drain_ms": ("LOGLAKE_ALERT_DRAIN_MS",),
    "alert_outbox_poll_ms": ("LOGLAKE_ALERT_OUTBOX_POLL_MS",),
    "interaction_profile": ("LOGLAKE_INTERACTION_PROFILE",),
    "pg_dsn": ("LOGLAKE_PG_DSN",),
    "pg_statement_timeout_ms": ("LOGLAKE_PG_STATEMENT_TIMEOUT_MS",),
    "pg_catalog_ttl_s": ("LOGLAKE_PG_CATALOG_TTL_S",),
    "pg_min_improvement_pct": ("LOGLAKE_PG_MIN_IMPROVEMENT_PCT",),
    "pg_simulations_in_flight": ("LOGLAKE_PG_SIMULATIONS_IN_FLIGHT",),
    "pg_simulations_per_minute": ("LOGLAKE_PG_SIMULATIONS_PER_MINUTE",),
}


class UrlRoot(type(Path())):  # type: ignore[misc]  # PosixPath (or WindowsPath)
    """A dataset root on object storage (`s3://bucket/prefix`), where a Path would mangle the
    URL (`s3:/bucket/prefix`): `str`, `os.fspath` and `/` keep the URL, which the store opens
    through fsspec (`store/fs.LakeFS`), so the whole lake lives on object storage
    ("everything cold"): ingest stages on the local temporary disk and publishes there
    (`layout.staging_area`), the lock is an object (`store/lock.py`), summaries and answers
    are written through the seam. The local-disk operations of a Path (stat, mkdir, open,
    ...) refuse with a clear error instead of touching a local folder named `s3:`."""

    _url: str

    def __new__(cls, url: str) -> UrlRoot:
        self = super().__new__(cls, url)
        self._url = url.rstrip("/")
        return self

    def __str__(self) -> str:
        return self._url

    def __fspath__(self) -> str:
        return self._url

    def __repr__(self) -> str:
        return f"UrlRoot({self._url!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UrlRoot) and other._url == self._url

    def __hash__(self) -> int:
        return hash(self._url)

    def __truediv__(self, other: Any) -> UrlRoot:
        return UrlRoot(f"{self._url}/{str(other).strip('/')}")

    @property
    def name(self) -> str:  # type: ignore[override]
        return self._url.rsplit("/", 1)[-1]

    @property
    def parent(self) -> UrlRoot:  # type: ignore[override]
        return UrlRoot(self._url.rsplit("/", 1)[0])

    def _local_only(self, *_args: Any, **_kwargs: Any) -> Any:
        raise ConfigError(
            f"{self._url} is on object storage: this needs a dataset root on a local disk"
        )

    stat = mkdir = open = iterdir = unlink = rmdir = touch = _local_only
    rename = replace = write_bytes = write_text = read_bytes = read_text = _local_only


def lake_root(value: str | os.PathLike[str]) -> Path:
    """A dataset root as given: a local Path, or a UrlRoot for `scheme://…`."""
    text = os.fspath(value)
    if isinstance(value, UrlRoot) or "://" in text:
        return UrlRoot(text)
    return Path(text)


def is_remote(root: Path) -> bool:
    """True when a dataset root is on object storage."""
    return isinstance(root, UrlRoot)


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Settings:
    """Everything configurable about loglake, with its default."""

    root: Path = Path("loglake-data")
    compression: str = "zstd"
    chunk_rows: int = 100_000
    copy_source: bool = False
    workers: int = 0  # 0 = all cores
    executor: str = "local"  # where ingest tasks run: `local` processes (ingest/executors/)
    max_line_bytes: int = 64 * 1024 * 1024
    range_bytes: int = 64 * 1024 * 1024
    vectorized: bool = True  # parse blocks of lines in DuckDB where the format supports it
    duckdb_threads: int = 0  # 0 = DuckDB's default (all cores)
    duckdb_memory_limit: str = ""  # e.g. "4GB"; empty = DuckDB's default (80% of RAM)
    disable_duckdb: bool = False  # answer queries with the Polars fallback engine
    cache_entries: int = 256  # query results kept in the LRU cache (0 disables it)
    precomputed_answers: bool = True  # answer unfiltered dashboard questions from summaries/
    rollups: bool = True  # write slow-query rollups after each commit and answer from them
    search_max_matches: int = 1_000_000  # a search stops counting after this many lines
    host: str = "127.0.0.1"  # `loglake serve` binds here; beyond loopback it needs auth_token
    port: int = 8050
    auth_token: str = ""  # required on every request when set (Bearer header or ?token=)
    server_threads: int = 8
    max_upload_mb: int = 2048  # the web upload refuses a file larger than this
    wipe_on_upload: bool = False  # a web upload replaces the dataset instead of adding to it
    s3_endpoint_url: str = ""  # an S3-compatible store's URL; empty = AWS (credentials: AWS_*)
    # application logs: `ts=when,user=actor.login` (or a mapping file) and a regex with
    # named groups for text lines no built-in layout reads (formats/applogs/)
    field_map: str = ""
    pattern: str = ""
    pg_prefix: str = ""  # PostgreSQL log_line_prefix (% escapes) for stderr logs; empty = detect
    cold_root: str = ""  # where `loglake archive` moves old partitions: s3://bucket/prefix, a path
    hooks: str = ""  # pre-ingest hooks, `module:function` separated by commas (ingest/hooks.py)
    push_batch_records: int = 10_000  # POST /api/ingest commits once this many records wait
    push_batch_ms: int = 200  # ... or once the oldest waiting push has waited this long
    max_push_mb: int = 64  # the largest push body accepted (after gzip decompression)
    alert_rules: str = ""  # a YAML rules file evaluated after every commit (alerts/rules.py)
    alert_webhook_timeout_ms: int = 5000  # one webhook attempt
    alert_webhook_attempts: int = 3  # tries of a webhook before its failure is recorded
    alert_webhook_backoff_ms: int = 500  # the wait before the second try, doubled after
    alert_delivery_rounds: int = 10  # failed deliveries (of all attempts) before giving up
    alert_drain_ms: int = 30_000  # the most a batch ingest spends delivering after its commit
    alert_outbox_poll_ms: int = 1000  # how often a courier looks for alerts of other processes
    # chatbot interactions: `question=prompt,subject=dealId` (or a profile file) overrides the
    # fields detected by common names (analytics/interaction_profile.py)
    interaction_profile: str = ""
    # the live PostgreSQL advisor (`loglake pg …`, advisor/pg_*.py): the server to collect
    # from (a libpq DSN or URL; its password is never printed, logged or stored)
    pg_dsn: str = field(default="", repr=False)
    pg_statement_timeout_ms: int = 5000  # every statement the advisor runs on the server
    pg_catalog_ttl_s: int = 180  # tables, indexes and pg_stats are read again after this
    pg_min_improvement_pct: int = 20  # an index candidate must cut the plan cost this much
    pg_simulations_in_flight: int = 3  # POST /api/pg/simulate: at most this many at once
    pg_simulations_per_minute: int = 30  # ... and this many a minute

    def __post_init__(self) -> None:
        if not isinstance(self.root, Path) or "://" in str(self.root):
            object.__setattr__(self, "root", lake_root(self.root))
        if self.compression not in COMPRESSIONS:
            raise ConfigError(
                f"unknown compression {self.compression!r}; choose one of {', '.join(COMPRESSIONS)}"
            )
        for name in (
            "chunk_rows", "max_line_bytes", "range_bytes", "search_max_matches", "server_threads",
            "max_upload_mb", "push_batch_records", "max_push_mb", "pg_statement_timeout_ms",
            "pg_simulations_in_flight", "pg_simulations_per_minute",
        ):  # fmt: skip
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be a positive number, not {getattr(self, name)}")
        if self.duckdb_threads < 0 or self.cache_entries < 0 or self.push_batch_ms < 0:
            raise ConfigError("duckdb_threads, cache_entries and push_batch_ms must be 0 or more")
        if self.memory_limit_invalid():
            raise ConfigError(
                f"duckdb_memory_limit must look like 512MB or 4GB, not {self.duckdb_memory_limit!r}"
            )
        if not 0 < self.port < 65536:
            raise ConfigError(f"port must be between 1 and 65535, not {self.port}")
        if self.workers < 0:
            raise ConfigError(f"workers must be 0 (all cores) or more, not {self.workers}")
        if self.pattern:
            _check_pattern(self.pattern)
        if min(self.alert_webhook_timeout_ms, self.alert_webhook_attempts) < 1:
            raise ConfigError(
                "alert_webhook_timeout_ms and alert_webhook_attempts must be 1 or more"
            )
        if self.alert_webhook_backoff_ms < 0 or self.alert_drain_ms < 0:
            raise ConfigError("alert_webhook_backoff_ms and alert_drain_ms must be 0 or more")
        if min(self.alert_delivery_rounds, self.alert_outbox_poll_ms) < 1:
            raise ConfigError("alert_delivery_rounds and alert_outbox_poll_ms must be 1 or more")
        if self.pg_catalog_ttl_s < 0 or not 0 <= self.pg_min_improvement_pct < 100:
            raise ConfigError("pg_catalog_ttl_s must be 0 or more and pg_min_improvement_pct 0..99")

    def memory_limit_invalid(self) -> bool:
        """True when the DuckDB memory limit is set but not a size such as 4GB."""
        limit = self.duckdb_memory_limit.strip()
        return (
            bool(limit)
            and re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", limit, re.I) is None
        )

    @property
    def effective_workers(self) -> int:
        """The number of worker processes to use."""
        return self.workers or os.cpu_count() or 1

    def with_options(self, **options: Any) -> Settings:
        """A copy with the given options applied; None values are ignored."""
        given = {k: v for k, v in options.items() if v is not None}
        if "root" in given:
            given["root"] = lake_root(given["root"])
        return replace(self, **given)


def _check_pattern(pattern: str) -> None:
    """A `--pattern` must compile and name its groups (`(?P<ts>…)`, `(?P<message>…)`)."""
    try:
        groups = re.compile(pattern).groupindex
    except re.error as exc:
        raise ConfigError(f"pattern: not a regular expression ({exc}): {pattern!r}") from None
    if not groups:
        raise ConfigError(
            "pattern: name the parts with groups such as (?P<ts>...) and (?P<message>...)"
        )


def _convert(name: str, raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        value = raw.strip().lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise ConfigError(f"{name}: expected true/false, got {raw!r}")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{name}: expected a whole number, got {raw!r}") from None
    if isinstance(default, Path):
        return lake_root(raw)
    return raw.strip().lower() if name.endswith("COMPRESSION") else raw


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from the environment (LOGLAKE_* first, then the MONGO_SLOWQ_* aliases)."""
    env = os.environ if environ is None else environ
    defaults = Settings()
    values: dict[str, Any] = {}
    for f in fields(Settings):
        for var in _ENV.get(f.name, ()):
            if var in env:
                values[f.name] = _convert(var, env[var], getattr(defaults, f.name))
                break
    return Settings(**values)


def storage_options(url: str) -> dict[str, Any]:
    """fsspec options for opening `url`: for s3:// the endpoint of `s3_endpoint_url`.

    Credentials, region and profiles come from the standard AWS variables and files, which
    s3fs (botocore) reads itself; they never pass through loglake's settings or logs.
    """
    if not url.startswith(("s3://", "s3a://")):
        return {}
    endpoint = load_settings().s3_endpoint_url
    return {"client_kwargs": {"endpoint_url": endpoint}} if endpoint else {}


def polars_storage_options(url: str) -> dict[str, str] | None:
    """Polars' (object_store's) options for reading `url`: the same endpoint as fsspec's;
    credentials again come from the standard AWS variables."""
    if not url.startswith(("s3://", "s3a://")):
        return None
    endpoint = load_settings().s3_endpoint_url
    if not endpoint:
        return {}
    allow_http = "true" if endpoint.startswith("http:") else "false"
    return {"aws_endpoint_url": endpoint, "aws_allow_http": allow_http}


_DURATION = re.compile(r"(\d+)\s*([smhdw])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str) -> int:
    """Seconds in a duration such as 7d, 12h, 30m, 90s or 2w (ConfigError otherwise)."""
    found = _DURATION.fullmatch(text.strip().lower())
    if found is None or int(found[1]) < 1:
        raise ConfigError(f"not a duration: {text!r} (expected e.g. 7d, 12h, 30m)")
    return int(found[1]) * _UNIT_SECONDS[found[2]]


def test_stop_after() -> int:
    """Test-only: `LOGLAKE_TEST_STOP_AFTER=N` makes `loglake archive` kill itself (SIGKILL)
    right after its step N, so tests can prove a crash at any step leaves the old or the new
    state. 0 (unset) in normal use."""
    raw = os.environ.get("LOGLAKE_TEST_STOP_AFTER", "")
    return int(raw) if raw.isdigit() else 0
