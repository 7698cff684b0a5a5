"""Deriving the `interactions` stream from `events`, exactly, after every commit.

A question's records may sit in different files and arrive in different ingests, so the
rows of a day are recomputed from the committed events, never appended: an after-commit
listener (`DeriveInteractions`, first in `listeners.after_commit`) finds the days whose
inputs changed — a day's rows read the events of the day before, the day and the day after
(an interaction belongs to the day of its first record and may cross midnight), so a day is
stale when the committed events files of those three days differ from the ones its rows
were derived from (`derived.interactions.dates` in the manifest: day -> a digest of those
files' keys and the profile) — derives them again (`interactions_build`) and commits the
new files with one more manifest version, replacing the day's previous files. The listeners
after it get that commit. Compaction and retention change files, so the days they touched
are derived again; a question derived once is counted once.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import re
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

from loglake.analytics import sql
from loglake.analytics.engine import view_sql
from loglake.analytics.interaction_profile import ROLES, Profile, detect, parse_profile
from loglake.analytics.interactions_build import (
    ANSWER_CHARS,
    THUMBS_DOWN,
    THUMBS_UP,
    literals,
    question_columns,
    vocabulary,
)
from loglake.config import Settings
from loglake.errors import StoreError
from loglake.layout import PARTITION_FILE, staging_dir
from loglake.schema import PARTITION_COLUMN, Stream, arrow_schema, schema_id
from loglake.store.commit import commit
from loglake.store.evolution import runs
from loglake.store.fs import LakeFS, register_filesystems
from loglake.store.listeners import Commit
from loglake.store.manifest import Location, Manifest, Tier, recompute_totals

_EVENTS = Stream.EVENTS
_OUT = Stream.INTERACTIONS
VERSION = 2  # of the derivation rules: a change derives every day again (2: SQL, md5 ids)
_DAY = dt.timedelta(days=1)


def _day(text: str, shift: int = 0) -> str:
    return (dt.date.fromisoformat(text) + shift * _DAY).isoformat()


def _digests(manifest: Manifest, profile_key: str) -> dict[str, str]:
    """Day -> what its rows derive from: the events files of it and its two neighbours."""
    keys: dict[str, list[str]] = defaultdict(list)
    for loc in manifest.locations(_EVENTS):
        keys[loc.date].append(loc.key)
    days = {_day(d, s) for d in keys for s in (-1, 0, 1)}
    out = {}
    for day in days:
        inputs = sorted(k for s in (-1, 0, 1) for k in keys.get(_day(day, s), ()))
        if inputs:
            text = "\n".join([profile_key, *inputs])
            out[day] = hashlib.blake2b(text.encode(), digest_size=10).hexdigest()
    return out


def _state(manifest: Manifest) -> dict[str, Any]:
    state = manifest.data.get("derived", {}).get("interactions", {})
    return {"dates": state.get("dates", {}), "profile": state.get("profile", {})}


def _connect(locations: list[Location]) -> Any:
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")

    def read_columns(path: str) -> frozenset[str]:
        found = con.execute(
            "SELECT * FROM read_parquet(?, hive_partitioning = false) LIMIT 0", [path]
        )
        return frozenset(d[0] for d in found.description)

    pairs = [(loc.path, loc.schema_key) for loc in locations]
    register_filesystems(con, [path for path, _ in pairs])
    con.execute(f"CREATE VIEW events AS {view_sql(_EVENTS, runs(_EVENTS, pairs, read_columns))}")
    return con


def _profile(con: Any, manifest: Manifest, low: str, high: str, settings: Settings) -> Profile:
    """The profile: the setting's roles, the roles detected before, then what these days show."""
    override = parse_profile(settings.interaction_profile)
    before = {
        role: entry["field"]
        for role, entry in _state(manifest)["profile"].items()
        if entry.get("how") == "detected" and entry.get("field")
    }
    names = sorted({n for names in ROLES.values() for n in names if "." not in n})
    pattern = '"(' + "|".join(re.escape(n) for n in names) + r')"\s*:'
    found = con.execute(sql.load("interactions_presence"), [low, high, pattern]).fetchall()
    # a question is text: a MongoDB command's `query` object is not one
    present = {name for name, text in found if text or name not in ROLES["question"]}
    files = manifest.data["files"].values()
    mapped = {name for entry in files for name in entry.get("fields", {}).values()}
    return detect(present, mapped, override, before)


def _runs(days: list[str]) -> list[tuple[str, str]]:
    """Consecutive days as (first, last) runs."""
    runs: list[tuple[str, str]] = []
    for day in sorted(days):
        if runs and _day(runs[-1][1], 1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _load_records(con: Any, profile: Profile, stale: list[str]) -> None:
    """The records of the stale days and their neighbours, roles picked, into `records`."""
    fragments: dict[str, str] = {}
    values: list[Any] = []
    for role in ("question", "answer", "response_ms", "error", "satisfaction", "user",
                 "subject", "tokens", "model", "answer_length"):  # fmt: skip
        fragments[role], bound = profile.expr(role)
        values.extend(bound)
    corr, corr_values = _corr(profile)
    runs = _runs([_day(d, s) for d in stale for s in (-1, 0, 1)])
    days = " OR ".join(["date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)"] * len(runs))
    text = sql.render("interactions_records", corr=corr, days=days, **fragments)
    bounds = [day for run in runs for day in run]
    con.execute(f"CREATE OR REPLACE TEMP TABLE records AS {text}", [*corr_values, *values, *bounds])


def _window(con: Any, low: str, high: str) -> Any:
    """The interactions of the records of days low..high, as an Arrow table (one query)."""
    text = sql.render(
        "interactions_derive",
        answer_chars=str(ANSWER_CHARS),
        thumbs_up=literals(THUMBS_UP),
        thumbs_down=literals(THUMBS_DOWN),
    )
    return con.sql(text, params=[low, high]).to_arrow_table()


def _corr(profile: Profile) -> tuple[str, list[Any]]:
    """The correlation id: the correlation field, else the user."""
    corr, corr_values = profile.expr("correlation")
    user, user_values = profile.expr("user")
    return f"coalesce({corr}, {user})", [*corr_values, *user_values]


def _rows_of_day(con: Any, day: str) -> Any:
    """The interactions whose first record is on `day` (an Arrow table in the stream's
    schema), from the records around it; topics are named by the window's questions."""
    import pyarrow as pa
    import pyarrow.compute as pc

    window = _window(con, _day(day, -1), _day(day, 1))
    vocab = vocabulary(q for q in pc.unique(window.column("question")).to_pylist() if q)
    start = int(dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC).timestamp() * 1e6)
    ts = window.column("ts")
    table = window.filter(pc.and_(pc.greater_equal(ts, start), pc.less(ts, start + 86_400_000_000)))
    columns = question_columns(table.column("question").to_pylist(), vocab)
    schema = arrow_schema(_OUT)
    arrays = []
    for name in schema.names:
        if name in columns:
            arrays.append(pa.array(columns[name], pa.string()))
        else:
            arrays.append(table.column(name))
    return pa.Table.from_arrays(
        [a.cast(schema.field(n).type) for a, n in zip(arrays, schema.names, strict=True)],
        schema=schema,
    )


def _write(table: Any, target: Path, compression: str) -> None:
    import pyarrow.parquet as pq

    target.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, target, compression=None if compression == "none" else compression)


def _stale(
    digests: dict[str, str], existing: dict[str, list[Location]], done: dict[str, str]
) -> list[str]:
    """The days whose inputs changed (a day archived to the cold tier stays as it is)."""
    return sorted(
        d for d in {*digests, *existing}
        if digests.get(d) != done.get(d)
        and all(loc.tier == Tier.HOT for loc in existing.get(d, ()))
    )  # fmt: skip


def _derive_days(
    manifest: Manifest,
    settings: Settings,
    stale: list[str],
    existing: dict[str, list[Location]],
    looked_at: tuple[str, str],
) -> tuple[Profile, dict[str, Any]]:
    """The profile (detected in the days `looked_at`), and the rows of the stale days (all
    days when the profile changed)."""
    import duckdb

    con = _connect(manifest.locations(_EVENTS))  # partition filters prune the files read
    try:
        profile = _profile(con, manifest, *looked_at, settings)
        known = _state(manifest)["profile"]
        if known and profile.as_dict() != known:  # a role names another field now
            stale = _stale(_digests(manifest, "changed"), existing, {})
        rows: dict[str, Any] = dict.fromkeys(stale)
        if profile.usable:
            _load_records(con, profile, stale)
            rows = {d: _rows_of_day(con, d) for d in stale}
    except duckdb.Error as exc:
        raise StoreError(f"could not derive the interactions: {exc}") from exc
    finally:
        con.close()
    return profile, rows


def _usable_in(
    locations: list[Location], manifest: Manifest, settings: Settings, looked_at: tuple[str, str]
) -> bool:
    """Whether these files' events show an assistant's interactions (a usable profile)."""
    import duckdb

    con = _connect(locations)
    try:
        return _profile(con, manifest, *looked_at, settings).usable
    except duckdb.Error as exc:
        raise StoreError(f"could not derive the interactions: {exc}") from exc
    finally:
        con.close()


def derive(
    manifest: Manifest, settings: Settings, ingest_id: str | None, everything: bool = False
) -> Manifest | None:
    """Derive the stale days' interactions (every day's with `everything`: `loglake
    rebuild-summaries`) and commit them; None when nothing changed.

    Until a lake has interactions, only the files an ingest (`ingest_id`) wrote are looked
    at for a question field, so a database's lake (or a stream of pushes) pays one small
    scan per ingest."""
    from loglake.ingest.writer import file_digest

    profile_key = f"v{VERSION}:{sorted(parse_profile(settings.interaction_profile).items())}"
    digests = _digests(manifest, profile_key)
    existing: dict[str, list[Location]] = defaultdict(list)
    for loc in manifest.locations(_OUT):
        existing[loc.date].append(loc)
    done = {} if everything else _state(manifest)["dates"]
    stale = _stale(digests, existing, done)
    if not stale:
        return None
    looked_at = (_day(stale[0], -1), _day(stale[-1], 1))
    if not done and not everything:  # never derived: is this ingest an assistant's?
        mine = [loc for loc in manifest.locations(_EVENTS) if loc.ingest_id == ingest_id]
        if not mine:
            return None
        looked_at = (min(loc.date for loc in mine), max(loc.date for loc in mine))
        if not _usable_in(mine, manifest, settings, looked_at):  # its own files are enough
            return None  # to say no (a day's other files would make each push scan the day)
    profile, days = _derive_days(manifest, settings, stale, existing, looked_at)
    doomed = [loc.key for d in days for loc in existing.get(d, ())]
    if not doomed and not any(t is not None and t.num_rows for t in days.values()):
        return None  # not an assistant's logs: no version of its own
    data = copy.deepcopy(manifest.data)
    part = "interactions-" + uuid.uuid4().hex[:8]
    staging = staging_dir(manifest.root, part)
    for key in doomed:
        del data["artifacts"][key]
    for day, rows in days.items():
        if rows is None or not rows.num_rows:
            continue
        rel = PARTITION_FILE.format(stream=_OUT.value, column=PARTITION_COLUMN, date=day, part=part)
        _write(rows, staging / rel, settings.compression)
        data["artifacts"][rel] = {
            "stream": _OUT.value, "date": day, "rows": rows.num_rows,
            "bytes": (staging / rel).stat().st_size, "sha256": file_digest(staging / rel),
            "schema": schema_id(_OUT), "ingest_id": part,
        }  # fmt: skip
    data.setdefault("derived", {})["interactions"] = {
        "profile": profile.as_dict(),
        "dates": dict(sorted(digests.items())),
    }
    recompute_totals(data)
    data["dataset_version"] += 1
    commit(manifest.root, staging, data)
    lake = LakeFS(manifest.root)
    for key in doomed:
        lake.remove(key)
    return Manifest(manifest.root, data)


class DeriveInteractions:
    """After-commit listener: the interactions of the days the commit changed."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __call__(self, commit_: Commit) -> Commit | None:
        """Derive and commit; the listeners after this one get the new commit."""
        derived = derive(commit_.manifest, self.settings, commit_.ingest_id)
        return Commit(derived, commit_.ingest_id, commit_.busy) if derived is not None else None
