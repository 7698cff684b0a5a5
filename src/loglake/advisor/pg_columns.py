"""What a statement does with its columns, read from pglast's parse tree.

Per table: the columns compared with a constant or a parameter (`eq`, `range`, `like`), the
columns joined to another table's (`join`) and the columns sorted on (`sort`); which column
each `$n` placeholder is compared with (EXPLAIN then uses that column's pg_stats values);
correlated subqueries (a subquery reading a column of the statement around it); and a
family label built from those tokens (`orders_join_2col`, `users_like_email`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

_EQ = {"=", "IN"}
_RANGE = {"<", ">", "<=", ">=", "BETWEEN"}
_LIKE = {"~~", "~~*"}
_KINDS = ("eq", "range", "like", "join", "sort")


@dataclass
class Correlated:
    """A subquery that reads a column of the statement around it."""

    kind: str  # EXPR_SUBLINK (a value in the select list or WHERE), EXISTS_SUBLINK, ...
    inner_table: str
    inner_column: str
    outer_table: str
    outer_column: str
    aggregate: str | None  # the subquery's aggregate (count, sum, max, ...), if any


@dataclass
class Usage:
    """The columns a statement uses, by table (schema-qualified when the catalog knows it)."""

    columns: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    params: dict[int, tuple[str, str]] = field(default_factory=dict)  # $n -> (table, column)
    limit_params: set[int] = field(default_factory=set)
    correlated: list[Correlated] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    verb: str = ""

    def add(self, kind: str, table: str, column: str) -> None:
        """Note one use of a column (once per kind)."""
        per = self.columns.setdefault(table, {k: [] for k in _KINDS})
        if column not in per[kind]:
            per[kind].append(column)

    def pairs(self) -> set[tuple[str, str]]:
        """Every (table, column) used."""
        return {
            (t, c) for t, kinds in self.columns.items() for cols in kinds.values() for c in cols
        }

    def as_json(self) -> str:
        """The `columns` column of pg_statements."""
        return orjson.dumps(self.columns).decode()

    def family(self) -> str:
        """A label for statements alike: main table, verb and predicate shape."""
        main = (self.tables[0] if self.tables else "none").rsplit(".", 1)[-1]
        if self.correlated:
            return f"{main}_correlated_subquery"
        filters = {c for t in self.columns.values() for k in ("eq", "range") for c in t[k]}
        likes = [c for t in self.columns.values() for c in t["like"]]
        joins = [c for t in self.columns.values() for c in t["join"]]
        if joins:
            return f"{main}_join_{len(filters) + len(joins) // 2}col"
        if likes:
            return f"{main}_like_{likes[0]}"
        if filters:
            return f"{main}_{self.verb.lower()}_{len(filters)}col"
        return f"{main}_{self.verb.lower() or 'statement'}"


def _sval(node: Any) -> str:
    if isinstance(node, dict) and "String" in node:
        return str(node["String"].get("sval", ""))
    return ""


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every dict of a tree, depth first."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def _walk_outer(node: Any) -> Iterator[dict[str, Any]]:
    """Every dict of a tree, not entering subqueries (SubLink, RangeSubselect)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(v for k, v in reversed(item.items()) if k not in ("SubLink", "subselect"))
        elif isinstance(item, list):
            stack.extend(reversed(item))


class _Scope:
    """Aliases and table names -> catalog tables, and unqualified columns -> their table."""

    def __init__(self, catalog: Mapping[str, set[str]]) -> None:
        self.catalog = catalog
        self.aliases: dict[str, str] = {}
        self.order: list[str] = []

    def table(self, relname: str, schema: str | None) -> str:
        if schema:
            return f"{schema}.{relname}"
        for name in self.catalog:
            if name.rsplit(".", 1)[-1] == relname:
                return name
        return relname

    def add_range(self, rv: dict[str, Any]) -> str:
        name = self.table(str(rv.get("relname", "")), rv.get("schemaname"))
        alias = (rv.get("alias") or {}).get("aliasname")
        self.aliases[alias or str(rv.get("relname", ""))] = name
        self.aliases.setdefault(str(rv.get("relname", "")), name)
        if name not in self.order:
            self.order.append(name)
        return name

    def resolve(self, fields: list[Any], local: list[str] | None = None) -> tuple[str, str] | None:
        names = [_sval(f) for f in fields]
        if not names or not names[-1]:
            return None
        if len(names) >= 2:
            table = self.aliases.get(names[-2])
            return (table, names[-1]) if table else None
        owners = [t for t in (local or self.order) if names[0] in self.catalog.get(t, set())]
        if len(owners) == 1:
            return owners[0], names[0]
        return ((local or self.order)[0], names[0]) if len(local or self.order) == 1 else None


def _strip(node: Any) -> Any:
    while isinstance(node, dict) and "TypeCast" in node:
        node = node["TypeCast"].get("arg")
    return node


def _column(node: Any) -> list[Any] | None:
    node = _strip(node)
    if isinstance(node, dict) and "ColumnRef" in node:
        return list(node["ColumnRef"].get("fields") or [])
    return None


def _params(node: Any) -> list[int]:
    node = _strip(node)
    if isinstance(node, dict) and "ParamRef" in node:
        return [int(node["ParamRef"].get("number", 0))]
    if isinstance(node, dict) and "List" in node:
        return [n for item in node["List"].get("items") or [] for n in _params(item)]
    if isinstance(node, list):
        return [n for item in node for n in _params(item)]
    return []


def _constant(node: Any) -> bool:
    node = _strip(node)
    if isinstance(node, dict) and ("A_Const" in node or "ParamRef" in node):
        return True
    if isinstance(node, dict) and "List" in node:
        return all(_constant(i) for i in node["List"].get("items") or [])
    if isinstance(node, list):
        return all(_constant(i) for i in node)
    return False


def _op(expr: dict[str, Any]) -> str:
    kind = str(expr.get("kind", ""))
    if kind == "AEXPR_IN":
        return "IN"
    if kind.startswith("AEXPR_BETWEEN"):
        return "BETWEEN"
    names = expr.get("name") or []
    return _sval(names[-1]) if names else ""


def _predicates(tree: Any, scope: _Scope, usage: Usage) -> None:
    for node in _walk_outer(tree):
        expr = node.get("A_Expr")
        if not isinstance(expr, dict):
            continue
        op = _op(expr)
        left, right = _column(expr.get("lexpr")), _column(expr.get("rexpr"))
        if left is not None and right is not None and op == "=":
            a, b = scope.resolve(left), scope.resolve(right)
            if a and b and a[0] != b[0]:
                usage.add("join", *a)
                usage.add("join", *b)
            continue
        col, other = (left, expr.get("rexpr")) if left is not None else (right, expr.get("lexpr"))
        if col is None or not _constant(other):
            continue
        found = scope.resolve(col)
        if found is None:
            continue
        kind = "eq" if op in _EQ else "range" if op in _RANGE else "like" if op in _LIKE else ""
        if kind:
            usage.add(kind, *found)
        for number in _params(other):
            usage.params[number] = found


def _sorts(select: dict[str, Any], scope: _Scope, usage: Usage) -> None:
    for item in select.get("sortClause") or []:
        col = _column((item.get("SortBy") or {}).get("node"))
        found = scope.resolve(col) if col else None
        if found:
            usage.add("sort", *found)
    limit = select.get("limitCount")
    usage.limit_params.update(_params(limit))


def _correlated(select: dict[str, Any], scope: _Scope, usage: Usage) -> None:
    outer = dict(scope.aliases)
    for node in _walk_outer([select.get("targetList"), select.get("whereClause")]):
        link = node.get("SubLink")
        if not isinstance(link, dict):
            continue
        inner = (link.get("subselect") or {}).get("SelectStmt") or {}
        local: dict[str, str] = {}
        for item in _walk_outer(inner.get("fromClause")):
            if isinstance(item.get("RangeVar"), dict):
                rv = item["RangeVar"]
                name = scope.table(str(rv.get("relname", "")), rv.get("schemaname"))
                local[(rv.get("alias") or {}).get("aliasname") or str(rv.get("relname"))] = name
        calls = [f["FuncCall"] for f in _walk(inner.get("targetList")) if "FuncCall" in f]
        agg = _sval((calls[0].get("funcname") or [""])[-1]) if calls else None
        for sub in _walk(inner.get("whereClause")):
            expr = sub.get("A_Expr")
            if not isinstance(expr, dict) or _op(expr) != "=":
                continue
            left, right = _column(expr.get("lexpr")), _column(expr.get("rexpr"))
            if left is None or right is None:
                continue
            sides = [[_sval(f) for f in left], [_sval(f) for f in right]]
            inner_side = next((s for s in sides if len(s) == 1 or s[-2] in local), None)
            outer_side = next(
                (s for s in sides if len(s) == 2 and s[-2] not in local and s[-2] in outer), None
            )
            if inner_side is None or outer_side is None or inner_side is outer_side:
                continue
            inner_table = (
                local.get(inner_side[-2])
                if len(inner_side) == 2
                else next(iter(local.values()), "")
            )
            usage.correlated.append(Correlated(
                str(link.get("subLinkType", "")), inner_table or "", inner_side[-1],
                outer[outer_side[-2]], outer_side[-1], agg,
            ))  # fmt: skip
            if inner_table:
                usage.add("join", inner_table, inner_side[-1])


def usage_of(text: str, catalog: Mapping[str, set[str]]) -> Usage:
    """The columns one statement uses (an empty Usage when pglast cannot parse it).

    `catalog` maps schema.table -> its columns (for unqualified column names)."""
    from pglast import parser

    usage = Usage()
    try:
        tree = orjson.loads(parser.parse_sql_json(text))
    except Exception:  # noqa: BLE001  (pglast.parser.ParseError and odd input)
        return usage
    stmts = tree.get("stmts") or []
    if len(stmts) != 1:
        return usage
    kind, body = next(iter((stmts[0].get("stmt") or {}).items()), ("", {}))
    body = body if isinstance(body, dict) else {}
    usage.verb = kind.removesuffix("Stmt").upper()
    scope = _Scope(catalog)
    for node in _walk(body):
        if isinstance(node.get("RangeVar"), dict):
            scope.add_range(node["RangeVar"])
        relation = node.get("relation")
        if isinstance(relation, dict) and relation.get("relname"):
            scope.add_range(relation)
    # the statement's own tables first (FROM, or the written table), then its subqueries'
    outer = [
        scope.table(str(n["RangeVar"].get("relname", "")), n["RangeVar"].get("schemaname"))
        for n in _walk_outer(body.get("fromClause"))
        if isinstance(n.get("RangeVar"), dict)
    ]
    if isinstance(body.get("relation"), dict):
        outer.insert(0, scope.table(str(body["relation"].get("relname", "")),
                                    body["relation"].get("schemaname")))  # fmt: skip
    usage.tables = [*dict.fromkeys(outer), *(t for t in scope.order if t not in outer)]
    _predicates([body.get("whereClause"), body.get("fromClause")], scope, usage)
    if kind == "SelectStmt":
        _sorts(body, scope, usage)
        _correlated(body, scope, usage)
    return usage


def single_statement(text: str) -> str | None:
    """The statement's kind (SelectStmt, UpdateStmt, …) when the text is exactly one."""
    from pglast import parser

    try:
        tree = orjson.loads(parser.parse_sql_json(text))
    except Exception:  # noqa: BLE001
        return None
    stmts = tree.get("stmts") or []
    if len(stmts) != 1:
        return None
    return next(iter((stmts[0].get("stmt") or {}).keys()), None)
