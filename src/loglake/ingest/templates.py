"""Message templates, mined during ingest: Drain (the drain3 library) over masked messages.

Every events row gets a `template_id`, through one seam: the writer hands each events table
to `Miner.assign` before writing it, whatever format produced it. Mining is per source
(`component`), and cheap per line because it works on distinct values: the messages of a
table are dictionary-encoded (C++), each distinct message is masked once (RE2 over the Arrow
array, `MASKS`), and Python and Drain see each new distinct (source, masked message) once (a
cache per task answers the pairs seen before).

Ids are stable across ingests, appends and parallel workers (see docs/internals.md,
"Templates"): a template's id is a hash of its source and the text it had when it was
created, and it keeps that id when Drain later generalizes its text. Workers are seeded
with the lake's templates, so a known message keeps its template; the templates each
worker created or changed are merged by id at commit (`merge`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from drain3.drain import Drain, LogCluster

# (RE2 pattern, replacement), applied in order to each distinct message before Drain sees it;
# written to mean the same in Python's re (bench/templates.py feeds them to plain drain3)
MASKS: tuple[tuple[str, str], ...] = (
    (r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", "<UUID>"),
    (r"(\d{1,3}\.){3}\d{1,3}(:\d+)?", "<IP>"),
    (r"\b0[xX][0-9a-fA-F]+\b", "<NUM>"),
    (r"\B(/[\w.+@%-]+)+/?", "<PATH>"),  # \B: a path not glued to a word, e.g. " /etc/x"
    (r"\b[A-Za-z]+_-?\d[\w-]*", "<ID>"),  # blk_-1608999687919862906, task_2008_0001_m_5
    (r"\b\d+(\.\d+)?\b", "<NUM>"),
    (r"\b[0-9a-fA-F]{8,}\b", "<NUM>"),  # object ids, digests: one placeholder with numbers
)
# Drain's prefix-tree depth and similarity threshold: one setting for every source, measured
# on the Loghub samples (tests/test_templates_accuracy.py)
DEPTH = 5
SIM_TH = 0.7
MAX_CHILDREN = 100
PARAM = "<*>"
_CACHE_MAX = 200_000  # distinct (source, masked message) keys remembered per task
_EXAMPLE_CHARS = 1000
_SEP = "\x1f"  # between source and text in what a template id hashes
MAX_MINED_CHARS = 4096  # of a message, what is masked and mined (a stack trace's head)


def template_id(source: str, text: str) -> str:
    """The id of a template: a hash of its source and the text it was created with."""
    digest = hashlib.blake2b(f"{source}{_SEP}{text}".encode(), digest_size=8)
    return digest.hexdigest()


def mask_array(messages: pa.Array) -> pa.Array:
    """Messages with numbers, ids, IPs, UUIDs, hex and paths replaced by placeholders."""
    out = messages
    for pattern, replacement in MASKS:
        out = pc.replace_substring_regex(out, pattern=pattern, replacement=replacement)
    return out


def merge_text(one: str, other: str) -> str:
    """Two texts of one template: the positions where they differ become `<*>`."""
    a, b = one.split(), other.split()
    if len(a) != len(b):
        return one
    return " ".join(x if x == y else PARAM for x, y in zip(a, b, strict=True))


@dataclass
class Template:
    """One template as the lake keeps it."""

    template_id: str
    source: str
    template: str
    example: str
    created: str = ""  # the ingest that created it (set at commit)

    def as_row(self) -> dict[str, Any]:
        """The template as a row of the lake's templates table."""
        return {
            "template_id": self.template_id,
            "source": self.source,
            "template": self.template,
            "example": self.example,
            "created": self.created,
        }


class _Drain(Drain):  # type: ignore[misc]
    """Drain whose search reaches the leaf its insertion would: a cut-independent route.

    drain3's search falls back to the `<*>` child for any token without a child of its own,
    while its insertion routes only tokens with digits (or beyond `max_children`) there. So
    whether `command local.x ...` joined the cluster of `command local1.x ...` depended on
    whether a `local.x` node existed yet, i.e. on which message the task met first: a
    one-task and a many-task ingest of one file gave that message different templates.
    Here a token reaches the `<*>` child only where insertion would put it.
    """

    def tree_search(
        self, root_node: Any, tokens: list[str], sim_th: float, include_params: bool
    ) -> LogCluster | None:
        node = root_node.key_to_child_node.get(str(len(tokens)))
        if node is None:
            return None
        if not tokens:
            found: LogCluster | None = self.id_to_cluster.get(node.cluster_ids[0])
            return found
        depth = 1
        for token in tokens:
            if depth >= self.max_node_depth or depth == len(tokens):
                break
            children = node.key_to_child_node
            node = children.get(token)
            if node is None and (
                (self.parametrize_numeric_tokens and self.has_numbers(token))
                or len(children) >= self.max_children
            ):
                node = children.get(self.param_str)
            if node is None:  # insertion would give this token a node of its own
                return None
            depth += 1
        match: LogCluster | None = self.fast_match(node.cluster_ids, tokens, sim_th, include_params)
        return match


def _new_drain() -> Drain:
    return _Drain(depth=DEPTH, sim_th=SIM_TH, max_children=MAX_CHILDREN, param_str=PARAM)


@dataclass
class _Source:
    drain: Drain
    ids: dict[int, str] = field(default_factory=dict)  # drain cluster id -> template id


class Miner:
    """Assigns template ids to events tables; remembers what it created or changed."""

    def __init__(self, seed: Iterable[tuple[str, str, str]] = ()) -> None:
        self._sources: dict[str, _Source] = {}
        self._known: dict[str, Template] = {}  # template id -> as seeded or mined
        self._touched: dict[str, None] = {}  # ids created or generalized here, in that order
        self._cache: dict[tuple[str, str], str] = {}  # (source, masked message) -> id
        for tid, source, text in seed:
            self._seed(tid, source, text)

    def _source(self, source: str) -> _Source:
        found = self._sources.get(source)
        if found is None:
            found = self._sources[source] = _Source(_new_drain())
        return found

    def _seed(self, tid: str, source: str, text: str) -> None:
        state = self._source(source)
        drain = state.drain
        drain.clusters_counter += 1
        cluster = LogCluster(text.split(), drain.clusters_counter)
        drain.id_to_cluster[cluster.cluster_id] = cluster
        drain.add_seq_to_prefix_tree(drain.root_node, cluster)
        state.ids[cluster.cluster_id] = tid
        self._known[tid] = Template(tid, source, text, "")

    def assign(self, table: pa.Table) -> pa.Table:
        """The events table with its `template_id` column mined from `component` + `message`.

        Per row only Arrow kernels run (dictionary-encode, take, integer arithmetic); masking
        runs once per distinct message, and Python once per distinct (source, masked message).
        """
        if table.num_rows == 0:
            return table
        source = pc.dictionary_encode(pc.fill_null(table.column("component").combine_chunks(), ""))
        message = pc.dictionary_encode(pc.fill_null(table.column("message").combine_chunks(), ""))
        head = pc.utf8_slice_codeunits(message.dictionary, 0, MAX_MINED_CHARS)
        masked = pc.dictionary_encode(mask_array(head))  # one entry per distinct message
        width = len(masked.dictionary)
        pair = pc.add(
            pc.multiply(source.indices.cast(pa.int64()), width),
            masked.indices.take(message.indices).cast(pa.int64()),
        )
        keys = pc.dictionary_encode(pair)
        sources = source.dictionary.to_pylist()
        texts = masked.dictionary.to_pylist()
        distinct = [(sources[k // width], texts[k % width]) for k in keys.dictionary.to_pylist()]
        cache = self._cache
        ids = [cache.get(k) for k in distinct]
        missing = [i for i, tid in enumerate(ids) if tid is None]
        if missing:
            if len(cache) + len(missing) > _CACHE_MAX:
                cache.clear()
            examples = _first_messages(keys.indices, message, missing)
            for i, example in zip(missing, examples, strict=True):
                src, text = distinct[i]
                ids[i] = cache[distinct[i]] = self._mine_one(src, example, text)
        column = pa.array(ids, pa.string()).take(keys.indices)
        return table.set_column(table.schema.get_field_index("template_id"), "template_id", column)

    def _mine_one(self, source: str, message: str, text: str) -> str:
        state = self._source(source)
        cluster, change = state.drain.add_log_message(text)
        template = " ".join(cluster.log_template_tokens)
        tid = state.ids.get(cluster.cluster_id)
        if tid is None:  # created now: its id is a function of what it was created from
            tid = state.ids[cluster.cluster_id] = template_id(source, template)
            if tid not in self._known:  # else: a template created from this text before
                self._known[tid] = Template(tid, source, template, message[:_EXAMPLE_CHARS])
                self._touched[tid] = None
        elif change != "none":
            known = self._known[tid]
            known.template = template
            if not known.example:
                known.example = message[:_EXAMPLE_CHARS]
            self._touched[tid] = None
        return tid

    def report(self) -> list[Template]:
        """The templates this miner created or generalized, in that order (for the commit)."""
        return [self._known[tid] for tid in self._touched]


def _first_messages(keys: pa.Array, message: pa.DictionaryArray, wanted: list[int]) -> list[str]:
    """The raw message of the first row of each wanted key (an index of the keys' dictionary)."""
    _values, first = np.unique(keys.to_numpy(zero_copy_only=False), return_index=True)
    examples: list[str] = message.take(pa.array(first[wanted])).to_pylist()
    return examples


def reconcile(
    known: Iterable[Template], reports: Iterable[list[Template]], ingest_id: str
) -> tuple[list[Template], dict[str, str]]:
    """The lake's templates after an ingest, and the ids to rewrite in its events.

    `reports` are the tasks' reports in task order. Each task's templates are matched, by
    Drain, against the lake's templates and those of the tasks before it (never against its
    own: a task's Drain kept those apart): a match is the same template, which another worker
    created from a different first message; its id becomes an alias of the first one's, and
    the first one's text is generalized. The same id from several tasks (created from the
    same masked text) is one template, its texts merged position by position.
    """
    out = {t.template_id: Template(**t.as_row()) for t in known}
    drains: dict[str, _Source] = {}
    clusters: dict[str, LogCluster] = {}  # template id -> its cluster in the commit's Drain

    def add(t: Template) -> None:
        state = drains.get(t.source)
        if state is None:
            state = drains[t.source] = _Source(_new_drain())
        drain = state.drain
        drain.clusters_counter += 1
        cluster = LogCluster(t.template.split(), drain.clusters_counter)
        drain.id_to_cluster[cluster.cluster_id] = cluster
        drain.add_seq_to_prefix_tree(drain.root_node, cluster)
        state.ids[cluster.cluster_id] = t.template_id
        clusters[t.template_id] = cluster

    for t in out.values():
        add(t)
    aliases: dict[str, str] = {}
    for report in reports:
        created = []
        for t in report:
            if t.template_id in aliases:  # created again elsewhere from the same text
                first = aliases[t.template_id]
                out[first].template = merge_text(out[first].template, t.template)
                clusters[first].log_template_tokens = tuple(out[first].template.split())
                continue
            have = out.get(t.template_id)
            if have is not None:  # a lake template, or one an earlier task created
                have.template = merge_text(have.template, t.template)
                clusters[t.template_id].log_template_tokens = tuple(have.template.split())
                continue
            state = drains.get(t.source)
            found = None
            if state is not None:
                found = state.drain.tree_search(
                    state.drain.root_node, t.template.split(), SIM_TH, include_params=False
                )
            if state is None or found is None:
                created.append(t)
                continue
            first = state.ids[found.cluster_id]
            aliases[t.template_id] = first
            out[first].template = merge_text(out[first].template, t.template)
            found.log_template_tokens = tuple(out[first].template.split())
        for t in created:  # only now: a task's own templates never match each other
            out[t.template_id] = Template(t.template_id, t.source, t.template, t.example, ingest_id)
            add(out[t.template_id])
    return sorted(out.values(), key=lambda t: (t.source, t.template_id)), aliases


def rewrite_ids(path: Path, aliases: dict[str, str], compression: str | None) -> bool:
    """Replace aliased template ids in one staged events file, row group by row group (so
    its row groups stay as written); False when the file holds none of them."""
    import pyarrow.parquet as pq

    old = pa.array(list(aliases), pa.string())
    new = pa.array(list(aliases.values()), pa.string())
    source = pq.ParquetFile(path)
    temporary = path.with_suffix(".rewrite")
    try:
        groups = range(source.num_row_groups)
        ids = [source.read_row_group(i, ["template_id"]).column(0) for i in groups]
        if not any(pc.any(pc.is_in(column, value_set=old)).as_py() for column in ids):
            return False
        with pq.ParquetWriter(temporary, source.schema_arrow, compression=compression) as out:
            for i, column in zip(groups, ids, strict=True):
                group = source.read_row_group(i)
                at = pc.index_in(column, value_set=old)
                mapped = pc.if_else(pc.is_null(at), column, new.take(pc.fill_null(at, 0)))
                field = group.schema.get_field_index("template_id")
                out.write_table(group.set_column(field, "template_id", mapped))
    finally:
        source.close()
    temporary.replace(path)
    return True
