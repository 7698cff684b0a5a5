"""Statements -> shape, fingerprint, op and tables, by pglast (libpg_query).

`shape` is libpg_query's normalization (constants become `$1`, `$2`... as in
pg_stat_statements) and `shape_hash` its fingerprint, which ignores constant values and
parameter numbers, so one statement run with any parameters has one fingerprint. Parsing the
tree (for the op and the tables) is the costly part and is cached per fingerprint. A statement
libpg_query cannot parse (cut short, or not SQL) gets a textual normalization and a hash of it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import orjson
from pglast import parser

_CACHE_LIMIT = 50_000
_TEXT_CACHE_LIMIT = 5_000  # exact texts repeat (BEGIN, END, prepared statements)
_SYSTEM_SCHEMAS = ("pg_catalog.", "information_schema.")
_DML = {
    "SelectStmt": "SELECT",
    "InsertStmt": "INSERT",
    "UpdateStmt": "UPDATE",
    "DeleteStmt": "DELETE",
    "MergeStmt": "MERGE",
    "CopyStmt": "COPY",
    "TransactionStmt": "TCL",
    "DeclareCursorStmt": "SELECT",
}
_DDL_WORDS = ("Create", "Alter", "Drop", "Rename", "Truncate", "Index", "Comment", "Grant")


@dataclass(frozen=True, slots=True)
class Statement:
    """What the lake keeps of a statement's text."""

    shape: str
    shape_hash: str
    op: str
    collection: str | None
    tables: tuple[str, ...]
    is_system: bool  # only the catalogs are touched (pg_catalog, information_schema, pg_*)

    @property
    def table_list(self) -> str | None:
        """The tables as the lake's `tables` column keeps them: comma-separated."""
        return ",".join(self.tables) or None


def _is_system(tables: tuple[str, ...]) -> bool:
    return bool(tables) and all(t.startswith((*_SYSTEM_SCHEMAS, "pg_")) for t in tables)


_by_shape: dict[str, Statement] = {}  # normalized text -> its statement facts
_by_text: dict[str, Statement] = {}


def statement_of(sql: str) -> Statement:
    """The shape, fingerprint, op and tables of one statement's text (never raises)."""
    hit = _by_text.get(sql)
    if hit is not None:
        return hit
    text = sql.strip().rstrip(";").strip() or sql
    try:
        shape = parser.normalize(text)
        # statements that differ only in their constants normalize alike, and the
        # fingerprint ignores constants: one fingerprint (and parse) per normalized text
        known = _by_shape.get(shape)
        if known is None:
            known = _by_shape[shape] = _parsed(text, shape)
            if len(_by_shape) > _CACHE_LIMIT:
                _by_shape.clear()
        result = known
    except Exception:  # noqa: BLE001  (libpg_query raises ParseError, or others on odd input)
        result = _unparsed(text)
    if len(_by_text) > _TEXT_CACHE_LIMIT:
        _by_text.clear()
    _by_text[sql] = result
    return result


def _parsed(text: str, shape: str) -> Statement:
    """The facts of a statement libpg_query normalized (so it parses)."""
    fingerprint = parser.fingerprint(text)
    op, main, tables = _tree_facts(text)
    return Statement(_squeeze(shape), fingerprint, op, main, tables, _is_system(tables))


def _tree_facts(text: str) -> tuple[str, str | None, tuple[str, ...]]:
    """(op, main table, every table) from the parse tree of the first statement."""
    try:
        tree = orjson.loads(parser.parse_sql_json(text))
    except Exception:  # noqa: BLE001
        return _first_word(text), None, ()
    stmts = [s.get("stmt") or {} for s in tree.get("stmts") or [{}]] or [{}]
    # a string of several statements (BEGIN; UPDATE ...; COMMIT) is named by its first
    # statement that is not transaction control
    node = next((s for s in stmts if "TransactionStmt" not in s), stmts[0])
    kind, body = next(iter(node.items()), ("", {}))
    op = _DML.get(kind)
    if op is None:
        op = "DDL" if kind.startswith(_DDL_WORDS) or kind.endswith("DefineStmt") else "UTILITY"
    ctes = set(_cte_names(body))
    tables = sorted({name for name in _range_vars(stmts) if name not in ctes})
    main = _main_table(kind, body, ctes)
    return op, main, tuple(tables)


def _main_table(kind: str, body: object, ctes: set[str]) -> str | None:
    if not isinstance(body, dict):
        return None
    if kind in ("DeclareCursorStmt", "ExplainStmt"):
        inner = body.get("query") or {}
        inner_kind, inner_body = next(iter(inner.items()), ("", {}))
        return _main_table(inner_kind, inner_body, ctes)
    relation = body.get("relation")
    if isinstance(relation, dict) and relation.get("relname"):
        return _name(relation)
    for name in _range_vars(body.get("fromClause") or body):
        if name not in ctes:
            return name
    return None


def _range_vars(node: object) -> list[str]:
    """Every table named in a parse tree (RangeVar nodes and DML targets), in order."""
    out: list[str] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("RangeVar"), dict):
                out.append(_name(item["RangeVar"]))
                continue
            relation = item.get("relation")
            if isinstance(relation, dict) and "relname" in relation:
                out.append(_name(relation))
            # depth first, in the order written (a join's left side before its right)
            stack.extend(v for k, v in reversed(item.items()) if k != "relation")
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return out


def _cte_names(body: object) -> list[str]:
    if not isinstance(body, dict):
        return []
    ctes = (body.get("withClause") or {}).get("ctes") or []
    return [c["CommonTableExpr"]["ctename"] for c in ctes if "CommonTableExpr" in c]


def _name(range_var: dict[str, object]) -> str:
    schema, rel = range_var.get("schemaname"), str(range_var.get("relname", ""))
    return f"{schema}.{rel}" if schema else rel


_LITERALS = re.compile(r"'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b")
_SPACES = re.compile(r"\s+")


def _squeeze(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _unparsed(text: str) -> Statement:
    """A statement libpg_query refused: literals replaced by $n, hashed as text."""
    counter = iter(range(1, 1_000_000))
    shape = _squeeze(_LITERALS.sub(lambda _m: f"${next(counter)}", text))
    digest = hashlib.blake2b(_LITERALS.sub("?", text).lower().encode(), digest_size=8)
    return Statement(shape, digest.hexdigest(), _first_word(text), None, (), False)


_WORD_OPS = {
    **dict.fromkeys(("SELECT", "WITH", "VALUES", "TABLE"), "SELECT"),
    **{w: w for w in ("INSERT", "UPDATE", "DELETE", "MERGE", "COPY")},
    **dict.fromkeys(("BEGIN", "COMMIT", "END", "ROLLBACK", "START", "SAVEPOINT"), "TCL"),
    **dict.fromkeys(("CREATE", "ALTER", "DROP", "TRUNCATE", "COMMENT", "GRANT"), "DDL"),
}


def _first_word(text: str) -> str:
    words = text.split(None, 1)
    return _WORD_OPS.get(words[0].upper().rstrip(";(") if words else "", "UTILITY")
