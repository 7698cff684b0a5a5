"""`python -m loglake.generate`: write a generated MongoDB log and report its stats."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import orjson

from loglake.errors import ConfigError
from loglake.generate import VERSIONS, GenSpec, generate, parse_size


def main(argv: list[str] | None = None) -> int:
    """Parse the options, generate, print MB/s; return the exit status."""
    ap = argparse.ArgumentParser(
        prog="python -m loglake.generate",
        description="Write a seeded, realistic MongoDB 4.4+ JSON log.",
    )
    ap.add_argument("--size", default="50MB", help="target size: 200MB, 1GB, 3GB (default 50MB)")
    ap.add_argument("--seed", type=int, default=GenSpec.seed)
    ap.add_argument("--faults", action="store_true", help="inject bad lines, CRLF, huge lines")
    ap.add_argument("--tz", default="+00:00", help="offsets, comma-separated: +00:00,+05:30,Z")
    ap.add_argument("--version", default=GenSpec.mongo_version, choices=sorted(VERSIONS))
    ap.add_argument("--start", default=GenSpec.start, help="first timestamp, UTC")
    ap.add_argument("--days", type=float, default=GenSpec.days, help="time span of the log")
    ap.add_argument("-o", "--output", required=True, type=Path)
    ap.add_argument("--stats", type=Path, help="also write GenStats as JSON to this file")
    args = ap.parse_args(argv)
    try:
        spec = GenSpec(
            seed=args.seed,
            target_bytes=parse_size(args.size),
            start=args.start,
            tz_offsets=tuple(args.tz.split(",")),
            faults=args.faults,
            mongo_version=args.version,
            days=args.days,
        )
        t0 = time.perf_counter()
        with args.output.open("wb") as f:
            stats = generate(spec, f)
        secs = time.perf_counter() - t0
    except (ConfigError, OSError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    if args.stats:
        args.stats.write_bytes(orjson.dumps(stats.to_dict(), option=orjson.OPT_INDENT_2))
    mb = stats.bytes / 1e6
    print(
        f"wrote {mb:,.1f} MB, {stats.lines:,} lines, {stats.slow:,} slow queries "
        f"in {secs:.1f} s: {mb / secs:,.1f} MB/s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
