"""Template mining: our miner (ingest/templates.py) against plain drain3, on the same lines.

    python bench/templates.py [--repeat 3] [--mongodb FILE] [--no-write]

Inputs, each mined by both in this one run, on one core:
- the Loghub 2k samples (HDFS, Apache, OpenSSH: messages split off their headers as
  tests/test_templates_accuracy.py does), with both miners' grouping accuracy;
- the messages of a MongoDB JSON log (`--mongodb`, default: a seeded generated log).

"plain drain3" is drain3's `TemplateMiner` with the same masks, depth and similarity, one
`add_log_message` per line, per source: what a user of the library would write. "ours" is
`Miner.assign` over Arrow tables of up to 100,000 lines (as the writer hands it chunks).
The mining cost per line of a real ingest is measured by bench/stages.py. Writes its section
of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
from drain3 import TemplateMiner
from drain3.masking import MaskingInstruction
from drain3.template_miner_config import TemplateMinerConfig

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from loglake.ingest import templates  # noqa: E402
from test_templates_accuracy import LOGHUB, grouping_accuracy  # noqa: E402

MARK = "<!-- templates: written by bench/templates.py -->"
END = "<!-- end of templates -->"
CHUNK = 100_000
Lines = tuple[list[str], list[str]]  # (sources, messages)


def loghub(dataset: str) -> tuple[Lines, list[str]]:
    """A Loghub sample's (sources, messages) and the true event id of each line."""
    import csv

    from test_templates_accuracy import LAYOUTS

    layout = re.compile(LAYOUTS[dataset])
    folder = LOGHUB / dataset
    sources, messages = [], []
    for line in (folder / f"{dataset}_2k.log").read_text(encoding="utf-8").splitlines():
        match = layout.fullmatch(line)
        assert match is not None
        sources.append(match.groupdict().get("source") or "")
        messages.append(match["message"])
    with (folder / f"{dataset}_2k.log_structured.csv").open(encoding="utf-8") as f:
        truth = [row["EventId"] for row in csv.DictReader(f)]
    return (sources, messages), truth


def mongodb(path: Path) -> Lines:
    """(component, msg) of every JSON line of a mongod log."""
    sources, messages = [], []
    with path.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            sources.append(str(record.get("c") or ""))
            messages.append(str(record.get("msg") or ""))
    return sources, messages


def tables_of(lines: Lines) -> list[pa.Table]:
    """The lines as the events tables the writer hands the miner (built before timing)."""
    sources, messages = lines
    out = []
    for start in range(0, len(messages), CHUNK):
        n = len(messages[start : start + CHUNK])
        out.append(
            pa.table(
                {
                    "component": sources[start : start + CHUNK],
                    "message": messages[start : start + CHUNK],
                    "template_id": pa.nulls(n, pa.string()),
                }
            )
        )
    return out


def ours(tables: list[pa.Table]) -> list[str]:
    miner = templates.Miner()
    out: list[str] = []
    for table in tables:
        out.extend(miner.assign(table).column("template_id").to_pylist())
    return out


def plain_drain3(lines: Lines) -> list[tuple[str, int]]:
    config = TemplateMinerConfig()
    config.drain_depth = templates.DEPTH
    config.drain_sim_th = templates.SIM_TH
    config.drain_max_children = templates.MAX_CHILDREN
    config.mask_prefix, config.mask_suffix = "<", ">"
    config.masking_instructions = [
        MaskingInstruction(pattern, mask.strip("<>")) for pattern, mask in templates.MASKS
    ]
    config.parametrize_numeric_tokens = True
    miners: dict[str, TemplateMiner] = {}
    out = []
    for source, message in zip(*lines, strict=True):
        miner = miners.get(source)
        if miner is None:
            miner = miners[source] = TemplateMiner(config=config)
        out.append((source, miner.add_log_message(message)["cluster_id"]))
    return out


def timed(fn: Callable[[Any], list], lines: Any, repeat: int) -> tuple[float, list]:
    runs = []
    result: list = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn(lines)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs), result


def redrawn(inputs: list[tuple[str, Lines, list[str] | None]], copies: int) -> Lines:
    """The Loghub lines `copies` times, each digit redrawn (seeded): mostly distinct lines."""
    r = random.Random(3)
    sources, messages = [], []
    for _ in range(copies):
        for _name, (src, msg), _truth in inputs:
            sources.extend(src)
            messages.extend(re.sub(r"\d", lambda _m: str(r.randint(0, 9)), m) for m in msg)
    return sources, messages


def generated_mongodb(work: Path) -> Path:
    path = work / "mongod-templates.log"
    generate = [sys.executable, "-m", "loglake.generate", "--size", "30MB", "--seed", "7"]
    subprocess.run(
        [*generate, "-o", str(path)],
        check=True,
        capture_output=True,
    )
    return path


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--mongodb", type=Path, help="a mongod JSON log (default: generated, 30MB)")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        inputs: list[tuple[str, Lines, list[str] | None]] = []
        for dataset in ("HDFS", "Apache", "OpenSSH"):
            lines, truth = loghub(dataset)
            inputs.append((f"Loghub {dataset} 2k", lines, truth))
        inputs.append(("Loghub 3 samples x10, numbers redrawn", redrawn(inputs, 10), None))
        path = args.mongodb or generated_mongodb(Path(tmp))
        inputs.append((f"MongoDB {path.name}", mongodb(path), None))
        for name, lines, truth in inputs:
            n = len(lines[1])
            our_s, our_ids = timed(ours, tables_of(lines), args.repeat)
            plain_s, plain_ids = timed(plain_drain3, lines, args.repeat)
            row = {
                "input": name,
                "lines": n,
                "ours_lines_per_s": n / our_s,
                "drain3_lines_per_s": n / plain_s,
                "speedup": plain_s / our_s,
                "ours_us_per_line": 1e6 * our_s / n,
                "ours_accuracy": grouping_accuracy(truth, our_ids) if truth else None,
                "drain3_accuracy": grouping_accuracy(truth, plain_ids) if truth else None,
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    if not args.no_write:
        write(rows, args)


def write(rows: list[dict], args: argparse.Namespace) -> None:
    from queries import write_section

    command = "python bench/templates.py" + (f" --repeat {args.repeat}" if args.repeat != 5 else "")
    command += f" --mongodb {args.mongodb}" if args.mongodb else ""
    lines = [
        "## Template mining: our miner vs plain drain3 (one core)",
        "",
        f"- command: `{command}` (also `make bench`); "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, median of {args.repeat}",
        "- ours: `Miner.assign` over Arrow tables of 100,000 lines, as ingest hands them (the",
        "  ids read back as Python strings; masks on distinct messages, Drain on new distinct",
        "  masked ones); drain3: `TemplateMiner.add_log_message`",
        "  per line with the same masks, depth and similarity, per source",
        "- a shared 2-core machine, load average "
        f"{os.getloadavg()[0]:.1f} when it ran: small inputs (2,000 lines) vary by 2x",
        "",
        "| input | lines | ours lines/s | drain3 lines/s | speed-up | ours µs/line "
        "| accuracy ours | accuracy drain3 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        acc = ["" if r[k] is None else f"{r[k]:.4f}" for k in ("ours_accuracy", "drain3_accuracy")]
        lines.append(
            f"| {r['input']} | {r['lines']:,} | {r['ours_lines_per_s']:,.0f} "
            f"| {r['drain3_lines_per_s']:,.0f} | {r['speedup']:.1f}x "
            f"| {r['ours_us_per_line']:.2f} | {acc[0]} | {acc[1]} |"
        )
    write_section("\n".join(lines) + "\n", MARK, END)


if __name__ == "__main__":
    main()
