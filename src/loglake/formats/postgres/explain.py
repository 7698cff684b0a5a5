"""auto_explain plans (text and JSON) -> plan facts: the main scan's kind, full scan, disk
spills, sorts, joins, estimated vs actual rows and buffers.

The text form is EXPLAIN's indented tree (`->  Node  (cost=… rows=… width=…) (actual …)`
plus detail lines such as `Sort Method: external merge  Disk: 1024kB`); the JSON form is
EXPLAIN (FORMAT JSON)'s `{"Query Text": …, "Plan": {…}}`. Both give one `PlanFacts`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import orjson

SCAN_NODES = (
    "Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan", "Bitmap Index Scan",
    "Tid Scan", "Tid Range Scan", "Sample Scan", "Parallel Seq Scan", "Parallel Index Scan",
    "Parallel Index Only Scan", "Parallel Bitmap Heap Scan", "Foreign Scan", "CTE Scan",
    "Function Scan", "Values Scan", "Subquery Scan", "WorkTable Scan",
)  # fmt: skip
FULL_SCAN = "Seq Scan"
_TABLE_SCANS = {"Seq Scan", "Parallel Seq Scan", "Sample Scan"}
_NODE = re.compile(
    r"^(?P<indent>\s*)(?:->\s+)?(?P<node>[A-Z][A-Za-z ]*?)"
    r"(?: using (?P<index>\S+))?(?: on (?P<rel>\S+)(?: (?P<alias>\S+))?)?"
    r"\s+\(cost=[\d.]+\.\.[\d.]+ rows=(?P<rows>[\d.]+) width=\d+\)"
    r"(?: \(actual (?:time=[\d.]+\.\.[\d.]+ )?rows=(?P<arows>[\d.]+) loops=(?P<loops>\d+)\))?"
)
_SORT_DISK = re.compile(r"Sort Method: .*Disk: ")
_BATCHES = re.compile(r"Batches: (\d+)")
_BUFFERS = re.compile(r"(shared|local|temp) ((?:(?:hit|read|dirtied|written)=\d+ ?)+)")
_PAIR = re.compile(r"(hit|read|dirtied|written)=(\d+)")


@dataclass
class PlanFacts:
    """What a plan says about an execution."""

    query_text: str | None = None
    params: str | None = None
    nodes: list[str] = field(default_factory=list)
    scans: list[dict[str, Any]] = field(default_factory=list)
    joins: list[str] = field(default_factory=list)
    est_rows: float | None = None
    actual_rows: float | None = None
    sort: bool = False
    sort_spill: bool = False
    hash_spill: bool = False
    buffers: dict[str, int] = field(default_factory=dict)
    format: str = "text"

    @property
    def plan(self) -> str | None:
        """The kind of the main scan: the first table scan, else the first scan node."""
        for scan in self.scans:
            if scan.get("relation"):
                return str(scan["node"]).removeprefix("Parallel ")
        return str(self.scans[0]["node"]).removeprefix("Parallel ") if self.scans else None

    @property
    def full_scan(self) -> bool:
        """A sequential scan read a whole table."""
        return any(s["node"] in _TABLE_SCANS and s.get("relation") for s in self.scans)

    @property
    def used_disk(self) -> bool:
        """A sort or hash spilled to disk, or temp blocks were written."""
        return self.sort_spill or self.hash_spill or self.buffers.get("temp_written", 0) > 0

    def as_json(self) -> str:
        """The `plan_facts` column."""
        facts = {
            "format": self.format,
            "nodes": self.nodes,
            "scans": self.scans,
            "joins": self.joins,
            "est_rows": self.est_rows,
            "actual_rows": self.actual_rows,
            "sort": self.sort,
            "sort_spill": self.sort_spill,
            "hash_spill": self.hash_spill,
            "buffers": self.buffers,
        }
        return orjson.dumps(facts).decode()


def _number(text: str | None) -> float | None:
    return None if text is None else float(text)


def _add_node(
    facts: PlanFacts,
    node: str,
    rel: str | None,
    index: str | None,
    est: float | None,
    actual: float | None,
) -> None:
    if node not in facts.nodes:
        facts.nodes.append(node)
    if facts.est_rows is None:
        facts.est_rows, facts.actual_rows = est, actual
    if "Join" in node or node.startswith("Nested Loop"):
        facts.joins.append(node)
    if node.startswith("Sort") or node.startswith("Incremental Sort"):
        facts.sort = True
    if node in SCAN_NODES:
        scan: dict[str, Any] = {"node": node, "est_rows": est, "actual_rows": actual}
        if rel:
            scan["relation"] = rel
        if index:
            scan["index"] = index
        facts.scans.append(scan)


def text_plan(text: str) -> PlanFacts:
    """Facts of an auto_explain text plan (the lines after `plan:`)."""
    facts = PlanFacts()
    for raw in text.split("\n"):
        line = raw.strip("\t")
        stripped = line.strip()
        if stripped.startswith("Query Text: "):
            facts.query_text = stripped[12:]
            continue
        if stripped.startswith("Query Parameters: "):
            facts.params = stripped[18:]
            continue
        m = _NODE.match(line)
        if m:
            node = m["node"].strip()
            rel = m["rel"] if m["rel"] and node in SCAN_NODES else None
            _add_node(facts, node, rel, m["index"], _number(m["rows"]), _number(m["arows"]))
            continue
        if _SORT_DISK.search(stripped):
            facts.sort_spill = True
        elif (b := _BATCHES.search(stripped)) and int(b.group(1)) > 1:
            facts.hash_spill = True
        elif stripped.startswith("Buffers: ") and not facts.buffers:  # the top node's: totals
            for kind, pairs in _BUFFERS.findall(stripped):
                for what, count in _PAIR.findall(pairs):
                    key = f"{kind}_{what}"
                    facts.buffers[key] = facts.buffers.get(key, 0) + int(count)
    if facts.query_text and facts.query_text.count("\n") == 0:
        facts.query_text = _query_text_lines(text) or facts.query_text
    return facts


def _query_text_lines(text: str) -> str | None:
    """A multi-line Query Text runs until the first plan node or Query Parameters line."""
    lines = text.split("\n")
    for i, raw in enumerate(lines):
        if raw.strip().startswith("Query Text: "):
            out = [raw.strip()[12:]]
            for more in lines[i + 1 :]:
                body = more.strip("\t")
                if _NODE.match(body) or body.strip().startswith("Query Parameters: "):
                    break
                out.append(body)
            return "\n".join(out).strip()
    return None


_JSON_BUFFERS = {
    "Shared Hit Blocks": "shared_hit",
    "Shared Read Blocks": "shared_read",
    "Shared Dirtied Blocks": "shared_dirtied",
    "Shared Written Blocks": "shared_written",
    "Temp Read Blocks": "temp_read",
    "Temp Written Blocks": "temp_written",
}


def json_plan(text: str) -> PlanFacts | None:
    """Facts of an auto_explain JSON plan, or None when the text is not one."""
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    if isinstance(doc, list) and doc:
        doc = doc[0]
    if not isinstance(doc, dict) or not isinstance(doc.get("Plan"), dict):
        return None
    facts = PlanFacts(format="json")
    if isinstance(doc.get("Query Text"), str):
        facts.query_text = doc["Query Text"]
    if isinstance(doc.get("Query Parameters"), str):
        facts.params = doc["Query Parameters"]
    stack = [doc["Plan"]]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        kind = str(node.get("Node Type", ""))
        if node.get("Parallel Aware") and kind in ("Seq Scan", "Index Scan", "Bitmap Heap Scan"):
            kind = f"Parallel {kind}"
        if kind in ("Hash Join", "Merge Join", "Nested Loop") and node.get("Join Type"):
            kind = f"{kind} ({node['Join Type']})"
        rel = node.get("Relation Name")
        if rel and node.get("Schema"):
            rel = f"{node['Schema']}.{rel}"
        _add_node(
            facts,
            kind,
            rel,
            node.get("Index Name"),
            _float(node.get("Plan Rows")),
            _float(node.get("Actual Rows")),
        )
        if node.get("Sort Space Type") == "Disk":
            facts.sort_spill = True
        if isinstance(node.get("Hash Batches"), int) and node["Hash Batches"] > 1:
            facts.hash_spill = True
        for key, name in _JSON_BUFFERS.items():
            if isinstance(node.get(key), int) and node is doc["Plan"]:
                facts.buffers[name] = node[key]
        stack.extend(reversed(node.get("Plans") or []))
    return facts


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None


def plan_of(text: str) -> PlanFacts:
    """Facts of the plan after auto_explain's `plan:`, JSON or text."""
    body = text.strip()
    if body.startswith(("{", "[")):
        facts = json_plan(body)
        if facts is not None:
            return facts
    return text_plan(text)
