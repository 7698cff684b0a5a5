"""Where a push commit's time goes: one ingest of N pushed bodies under pyinstrument.

Builds a fresh lake, commits one warm-up body, then profiles one `ingest(payloads=…)` of
N bodies of R bench/push.py records each with the after-commit listeners, as the push
batcher runs it, and prints the records/s and pyinstrument's tree (docs/benchmarks.md,
"Where a push commit goes").

    python bench/push_profile.py [--bodies 30] [--records 1000]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from push import body
from pyinstrument import Profiler

from loglake.analytics.listeners import after_commit
from loglake.config import Settings
from loglake.ingest.pipeline import ingest
from loglake.ingest.push import Payload


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bodies", type=int, default=30)
    parser.add_argument("--records", type=int, default=1000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="loglake-push-profile-"))
    try:
        settings = Settings(root=work / "lake", workers=1)
        listeners = after_commit(settings)
        ingest([], settings, payloads=[Payload(body(0, 0, args.records))], listeners=listeners)
        payloads = [Payload(body(c, 1, args.records)) for c in range(args.bodies)]
        profiler = Profiler(interval=0.002)
        profiler.start()
        started = time.perf_counter()
        ingest([], settings, payloads=payloads, listeners=listeners)
        seconds = time.perf_counter() - started
        profiler.stop()
        records = args.bodies * args.records
        print(f"{records} records in {seconds:.3f} s: {records / seconds:,.0f} records/s")
        print(profiler.output_text(unicode=False, color=False))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
