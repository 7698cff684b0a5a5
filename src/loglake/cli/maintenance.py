"""Dataset upkeep commands: rebuild the summaries, compact, apply retention, archive.

Each changes the dataset under its lock and runs the after-commit work, as an ingest does.
"""

from __future__ import annotations

import json

import click

from loglake.cli.common import data_option, err, handle_errors, warn
from loglake.config import load_settings


@click.command("rebuild-summaries")
@data_option
@handle_errors
def rebuild_summaries_cmd(root: str | None) -> None:
    """Recompute every summary, and the assistant interactions, from the Parquet files alone."""
    from loglake.analytics.interactions_derive import derive
    from loglake.analytics.listeners import after_commit
    from loglake.analytics.rollup_writer import rebuild
    from loglake.analytics.summaries import rebuild_ingest_summaries
    from loglake.schema import Stream
    from loglake.store.listeners import Commit, notify
    from loglake.store.lock import dataset_change
    from loglake.store.manifest import Manifest
    from loglake.store.status import require_dataset

    settings = load_settings().with_options(root=root)
    require_dataset(settings.root)
    with dataset_change(settings.root, "rebuild-summaries", warn=warn):
        manifest = Manifest.load(settings.root)
        # the interactions first: they commit a version of their own, which the rest reads
        manifest = derive(manifest, settings, None, everything=True) or manifest
        interactions = sum(loc.rows for loc in manifest.locations(Stream.INTERACTIONS))
        count = rebuild_ingest_summaries(manifest)
        parts = len(rebuild(manifest)["parts"]) if settings.rollups else 0
        # the dataset summary and the answers: what follows a commit of this version
        notify(after_commit(settings), Commit(manifest), warn)
    err(
        f"Rebuilt {count + 1} summaries, {parts} rollup parts, {interactions} interactions "
        f"and the dashboard answers in {settings.root}"
    )


@click.command()
@data_option
@click.option(
    "--min-files",
    type=click.IntRange(min=2),
    default=8,
    show_default=True,
    help="Merge partitions holding at least this many files.",
)
@handle_errors
def compact(root: str | None, min_files: int) -> None:
    """Merge each crowded date partition's small Parquet files into one."""
    from loglake.analytics.listeners import after_commit
    from loglake.ingest.compact import compact as run_compact
    from loglake.store.status import require_dataset

    settings = load_settings().with_options(root=root)
    require_dataset(settings.root)
    done = run_compact(settings.root, min_files, settings.compression, warn, after_commit(settings))
    err(
        f"Compacted {done['partitions']} partitions: "
        f"{done['files_before']} files -> {done['files_after']}"
    )


@click.command()
@data_option
@click.option("--before", required=True, help="Drop partitions dated before YYYY-MM-DD (UTC).")
@click.option(
    "--tier",
    type=click.Choice(["all", "hot", "cold"]),
    default="all",
    show_default=True,
    help="Which tier to apply retention to.",
)
@click.option("--dry-run", is_flag=True, help="Only say what would be removed.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@handle_errors
def clean(root: str | None, before: str, tier: str, dry_run: bool, as_json: bool) -> None:
    """Apply retention: remove every partition dated before a date (hot, cold or both)."""
    from loglake.analytics.listeners import after_commit
    from loglake.store.retention import clean_before
    from loglake.store.status import require_dataset

    settings = load_settings().with_options(root=root)
    require_dataset(settings.root)
    result = clean_before(
        settings.root,
        before,
        dry_run=dry_run,
        tier=tier,
        warn=warn,
        listeners=after_commit(settings),
    )
    if as_json:
        click.echo(json.dumps(result))
        return
    verb = "Would remove" if dry_run else "Removed"
    err(
        f"{verb} {result['files']} files, {result['rows']:,} rows in "
        f"{len(result['partitions'])} partitions dated before {result['before']} "
        f"(tier: {tier})"
    )


@click.command()
@data_option
@click.option(
    "--older-than",
    default="7d",
    show_default=True,
    help="Archive partitions older than this (e.g. 7d, 12h, 2w).",
)
@click.option("--to", "to", default=None, help="The cold root: s3://bucket/prefix or a path.")
@click.option("--dry-run", is_flag=True, help="Only say what would be archived.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@handle_errors
def archive(
    root: str | None, older_than: str, to: str | None, dry_run: bool, as_json: bool
) -> None:
    """Move partitions older than a cut to the cold tier (Parquet + raw lines, one commit)."""
    from loglake.analytics.listeners import after_commit
    from loglake.ingest.archive import archive as run_archive
    from loglake.store.status import require_dataset

    settings = load_settings().with_options(root=root)
    require_dataset(settings.root)
    result = run_archive(
        settings.root,
        to or settings.cold_root,
        older_than,
        dry_run=dry_run,
        chunk_rows=settings.chunk_rows,
        warn=warn,
        listeners=after_commit(settings),
    )
    if as_json:
        click.echo(json.dumps(result))
        return
    verb = "Would archive" if dry_run else "Archived"
    err(
        f"{verb} {result['files']} files, {result['rows']:,} rows in "
        f"{len(result['partitions'])} partitions dated before {result['before']} "
        f"to {result['cold_root']}"
    )


COMMANDS = (rebuild_summaries_cmd, compact, clean, archive)
