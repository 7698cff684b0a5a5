"""The lake's message templates: one small Parquet table, committed with the ingest.

The manifest's `templates` key names the table in force (`templates/templates-<ingest>.
parquet`); an ingest that creates or generalizes templates stages a new table, which
`commit` publishes with the data files, and the manifest switches to it in the same atomic
step. `commit.recover` removes tables no manifest names. The miner is `ingest/templates.py`.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from loglake.errors import StoreError
from loglake.layout import templates_relpath
from loglake.store.fs import LakeFS

MANIFEST_KEY = "templates"
# the table's columns, declared once (name, Arrow type name, what it holds)
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("template_id", "string", "the id events carry in their template_id column"),
    ("source", "string", "the source (component) the template was mined for"),
    ("template", "string", "the template text: <*> and masks such as <NUM> mark variables"),
    ("example", "string", "the message the template was created from"),
    ("created", "string", "the ingest that created it"),
)


def _schema() -> Any:
    import pyarrow as pa

    return pa.schema([(name, getattr(pa, kind)()) for name, kind, _doc in COLUMNS])


def templates_key(manifest: dict[str, Any]) -> str | None:
    """The relative path of the templates table a manifest names (None: no templates yet)."""
    key = manifest.get(MANIFEST_KEY)
    return key if isinstance(key, str) else None


def load_templates(root: Path, manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The committed templates as rows (empty when the lake has none)."""
    import pyarrow.parquet as pq

    key = templates_key(manifest)
    if key is None:
        return []
    try:
        data = LakeFS(root).read(key)
        table = pq.read_table(io.BytesIO(data))
    except (OSError, ValueError) as exc:
        raise StoreError(f"{key}: unreadable templates table ({exc})") from None
    rows: list[dict[str, Any]] = table.select([c[0] for c in COLUMNS]).to_pylist()
    return rows


def stage_templates(staging: Path, ingest_id: str, rows: list[dict[str, Any]]) -> str:
    """Write the templates table into the staging area; its path under the root."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rel = templates_relpath(ingest_id)
    path = staging / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=_schema()), path)
    return rel


def drop_superseded(root: Path, before: str | None, manifest: dict[str, Any]) -> None:
    """After a commit, remove the templates table the committed manifest no longer names
    (as compaction removes the files it replaced)."""
    if before is not None and before != templates_key(manifest):
        LakeFS(root).remove(before)
