"""Facts about MongoDB commands shared by the JSON and legacy parsers."""

from __future__ import annotations

# Databases MongoDB keeps for itself: `is_system` rows, left out by `hide_system`.
SYSTEM_DBS = frozenset({"admin", "local", "config"})
# The plan stage that reads every document of a collection: `full_scan` rows.
FULL_SCAN_STAGE = "COLLSCAN"

# Commands whose first value names a collection of the database (`{ find: "orders" }`).
COLLECTION_COMMANDS = frozenset(
    {"find", "aggregate", "count", "distinct", "update", "delete", "insert", "getMore"}
    | {"findAndModify", "findandmodify", "mapReduce", "mapreduce", "geoNear", "geonear"}
    | {"create", "drop", "createIndexes", "dropIndexes", "deleteIndexes", "listIndexes"}
    | {"collStats", "collstats", "validate", "compact", "reIndex", "collMod", "killCursors"}
)


def command_collection(command: object) -> str | None:
    """The collection a `db.$cmd` command works on (`{update: "orders"}` -> "orders"), if any.

    Only commands that name a collection count: `{getLog: "startupWarnings"}` names none.
    A getMore names its collection in its `collection` field.
    """
    if not isinstance(command, dict) or not command:
        return None
    name, first = next(iter(command.items()))
    if name == "getMore":
        first = command.get("collection")
    if name in COLLECTION_COMMANDS and isinstance(first, str) and first:
        return first
    return None
