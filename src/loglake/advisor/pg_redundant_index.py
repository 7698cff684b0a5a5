"""Redundant indexes: a prefix (or a copy) of another index on the same table, or unused
since the statistics were reset. Every write pays for them; dropping one saves space and
write time. Unique and primary-key indexes enforce constraints and are never proposed.
"""

from __future__ import annotations

from loglake.advisor.pg_recommendation import Context, Index, Recommendation

UNUSED_CONFIDENCE = 0.3  # below a prefix's: the scan counts are this server's only


def _method(index: Index) -> str:
    text = index.definition.upper()
    return text.split(" USING ", 1)[1].split(" ", 1)[0] if " USING " in text else "BTREE"


def _covering(ctx: Context, index: Index) -> Index | None:
    n = len(index.columns)
    for other in ctx.indexes:
        if other.name == index.name or other.table != index.table or other.partial:
            continue
        if _method(other) != _method(index) or "?" in other.columns:
            continue
        longer = len(other.columns) > n and other.columns[:n] == index.columns
        same = other.columns == index.columns and (other.unique or other.name < index.name)
        if longer or same:
            return other
    return None


def _risk(index: Index) -> str:
    return (
        f"DROP INDEX CONCURRENTLY does not block writes; a replica or a rare report may use "
        f"it (scans counted here: {index.scans:,}); {index.size / 1e6:.1f} MB freed"
    )


def find(ctx: Context) -> list[Recommendation]:
    """One recommendation per redundant or unused index."""
    out = []
    candidates = [i for i in ctx.indexes
                  if not (i.unique or i.primary or i.partial or "?" in i.columns)]  # fmt: skip
    # an index that covers a redundant prefix is the one to keep, used or not
    keep = {c.name for i in candidates if (c := _covering(ctx, i)) is not None}
    for index in candidates:
        table = ctx.tables.get(index.table)
        writes = table.writes if table else 0
        ddl = f"DROP INDEX CONCURRENTLY {index.name};"
        covering = _covering(ctx, index)
        evidence = {"index": index.name, "table": index.table, "columns": index.columns,
                    "scans": index.scans,
                    "size_bytes": index.size, "table_writes": writes}  # fmt: skip
        if covering is not None:
            out.append(Recommendation(
                "redundant_index", index.name, ddl,
                f"{index.name} ({', '.join(index.columns)}) is a prefix of {covering.name} "
                f"({', '.join(covering.columns)}), which answers the same lookups; "
                f"{writes:,} writes maintained both",
                _risk(index), {**evidence, "covered_by": covering.name,
                               "covered_by_columns": covering.columns},
            ))  # fmt: skip
        elif (index.scans == 0 and index.name not in keep and table is not None
              and table.seq_scan + table.idx_scan > 0):  # fmt: skip
            out.append(Recommendation(
                "redundant_index", index.name, ddl,
                f"{index.name} was never scanned since the statistics were reset, while "
                f"{table.name} was read {table.seq_scan + table.idx_scan:,} times",
                _risk(index), evidence, confidence=UNUSED_CONFIDENCE,
            ))  # fmt: skip
    return out
