"""Ingest from an S3 server vs the same file on local disk (and, with --dask, on a cluster).

A seeded mongod log is generated (plain and `.gz`), put into a bucket of a real
S3-compatible server started on loopback (moto's server mode, the tests' `s3_server`),
and ingested by `loglake ingest` as separate processes: from the local file, then from
`s3://bucket/…` (range reads over HTTP), each into a fresh lake. With `--dask` the S3
object is also ingested with `--executor dask://…` on a `distributed.LocalCluster` of two
worker processes. Rows must be equal in every run (checked). Results go to their own
section of docs/benchmarks.md.

    python bench/s3.py [--size 200MB] [--repeat 3] [--workdir bench/out] [--dask] [--no-write]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from queries import write_section

REPO = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO / "tests"))
from s3_server import running_s3_server  # noqa: E402 - the tests' real S3 server

S3_MARK = "<!-- s3 ingest: written by bench/s3.py -->"
S3_END = "<!-- end of s3 ingest -->"
MB = 1_000_000


def ingest_once(source: str, root: Path, env: dict[str, str], *extra: str) -> dict[str, Any]:
    from run import measured

    shutil.rmtree(root, ignore_errors=True)
    cmd = [sys.executable, "-m", "loglake", "ingest", source, "--out", str(root), "--json", "-q"]
    result = measured([*cmd, *extra], env=env)
    result["report"] = json.loads(result["stdout"])
    return result


def timed(source: str, root: Path, env: dict[str, str], repeat: int, *extra: str) -> dict:
    runs = [ingest_once(source, root, env, *extra) for _ in range(repeat)]
    seconds = statistics.median(r["seconds"] for r in runs)
    report = runs[0]["report"]
    return {
        "seconds": seconds,
        "rows": report["rows"],
        "bytes": report["bytes"],
        "peak_rss_mb": max(r["peak_rss"] for r in runs) / MB,
    }


def run(work: Path, size: int, repeat: int, seed: int, dask: bool) -> dict[str, Any]:
    from run import generate

    work.mkdir(parents=True, exist_ok=True)
    log = work / f"mongod-{size // MB}MB-seed{seed}.log"
    generate(log, size, seed)
    packed = log.with_name(log.name + ".gz")
    if not packed.exists():
        packed.write_bytes(gzip.compress(log.read_bytes(), compresslevel=6))
    results: dict[str, Any] = {
        "size_mb": log.stat().st_size / MB,
        "gz_mb": packed.stat().st_size / MB,
    }
    with running_s3_server() as s3:
        env = {**os.environ, **s3.env}
        bucket = s3.new_bucket()
        client = s3.client()
        for path in (log, packed):
            client.upload_file(str(path), bucket, f"logs/{path.name}")
        for name, path in (("plain", log), ("gz", packed)):
            local = timed(str(path), work / "s3-bench-lake", env, repeat)
            remote = timed(f"s3://{bucket}/logs/{path.name}", work / "s3-bench-lake", env, repeat)
            if remote["rows"] != local["rows"]:
                raise RuntimeError(f"{name}: rows differ: {remote['rows']} != {local['rows']}")
            results[name] = {
                "local": local,
                "s3": remote,
                "ratio": remote["seconds"] / local["seconds"],
            }
            print(json.dumps({name: results[name]}), flush=True)
        if dask:
            from distributed import LocalCluster

            with LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address=None, env=s3.env,
            ) as cluster:  # fmt: skip
                url = "dask://" + cluster.scheduler_address.removeprefix("tcp://")
                on_dask = timed(
                    f"s3://{bucket}/logs/{log.name}", work / "s3-bench-lake", env, repeat,
                    "--executor", url,
                )  # fmt: skip
            if on_dask["rows"] != results["plain"]["local"]["rows"]:
                raise RuntimeError("dask: rows differ from the local ingest")
            results["dask"] = on_dask
            print(json.dumps({"dask": on_dask}), flush=True)
    shutil.rmtree(work / "s3-bench-lake", ignore_errors=True)
    return results


def section(results: dict[str, Any], command: str) -> str:
    def cell(r: dict[str, Any], mb: float) -> str:
        return f"{r['seconds']:.2f} s, {mb / r['seconds']:.1f} MB/s"

    size, gz = results["size_mb"], results["gz_mb"]
    lines = [
        "## Ingest from S3 vs local disk",
        "",
        f"- command: `{command}`",
        f"- when: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {os.cpu_count()} cores",
        "- S3: moto's server mode on loopback (HTTP), range reads through s3fs; a median of "
        "repeated `loglake ingest … --json -q` runs, each a fresh lake, rows checked equal",
        "- peak RSS (raw results): the ingest's process tree; with `--executor dask://` the "
        "client alone (the workers belong to the cluster)",
        "",
        "| input | local file | s3:// object | s3 / local |",
        "|---|---|---|---|",
        f"| {size:,.0f} MB plain | {cell(results['plain']['local'], size)} | "
        f"{cell(results['plain']['s3'], size)} | {results['plain']['ratio']:.2f}x |",
        f"| {gz:,.1f} MB .gz ({size:,.0f} MB of log) | {cell(results['gz']['local'], size)} | "
        f"{cell(results['gz']['s3'], size)} | {results['gz']['ratio']:.2f}x |",
    ]
    if "dask" in results:
        lines.append(
            f"| {size:,.0f} MB plain, `--executor dask://` (LocalCluster, 2 worker processes) "
            f"| - | {cell(results['dask'], size)} | - |"
        )
    lines += ["", "```json", json.dumps(results), "```", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="200MB")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--workdir", default=str(BENCH / "out"))
    ap.add_argument("--dask", action="store_true", help="also ingest on a Dask LocalCluster")
    ap.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = ap.parse_args(argv)
    from run import parse_size

    results = run(Path(args.workdir), parse_size(args.size), args.repeat, args.seed, args.dask)
    if not args.no_write:
        command = f"python bench/s3.py --size {args.size} --repeat {args.repeat}"
        write_section(section(results, command + (" --dask" if args.dask else "")), S3_MARK, S3_END)
    return results


if __name__ == "__main__":
    main()
