"""The live PostgreSQL advisor: collect of 100 statements (warm) and one hypopg simulation.

A throwaway PostgreSQL 15 (tests/pg_server.py) gets the seeded demo schema and workload
(generate/pgdemo.py) plus statements of distinct shapes until pg_stat_statements holds at
least 100 of this database; `collect(top=100, explain_top=20)` runs once cold, then
`--repeat` times warm (the catalog cached), and the top index recommendation is simulated
`--repeat` times (each run committed to the lake's `pg_simulations`). Then `loglake serve`
over that lake and Debian's Chromium (Playwright, as bench/ui.py does) load /pg/bottlenecks
`--loads` times: first contentful paint, cold (a fresh browser profile each load) and warm
(the same profile reloading). Prints JSON (medians, and the share of the top
recommendations whose simulated cut is over 30%).

    python bench/pg_advisor.py [--repeat 5] [--loads 7] [--workdir bench/out]
    python bench/pg_advisor.py --demo-lake DIR   # `make demo`: one snapshot into DIR, no timing
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from loglake.advisor.pg_collect import collect  # noqa: E402
from loglake.advisor.pg_simulate import simulate  # noqa: E402
from loglake.config import Settings  # noqa: E402
from pg_advisor_demo import demo_database  # noqa: E402
from pg_server import running_pg_cluster  # noqa: E402

COLUMNS = ("id", "customer_id", "status", "total", "created_at")
FILTERS = ("id = %s", "customer_id = %s", "status = %s", "total > %s")


def _shapes(conn: object, wanted: int) -> int:
    """Distinct statements (column lists x filters) run twice each; how many."""
    made = 0
    for n in range(1, len(COLUMNS) + 1):
        for cols in itertools.combinations(COLUMNS, n):
            for where in FILTERS:
                value = "new" if where.startswith("status") else 7
                text = f"SELECT {', '.join(cols)} FROM orders WHERE {where} LIMIT 5"
                for _ in range(2):
                    conn.execute(text, [value]).fetchall()  # type: ignore[attr-defined]
                made += 1
                if made >= wanted:
                    return made
    return made


def _pages(settings: Settings, row: dict[str, str], repeat: int) -> dict[str, float]:
    """Server time of the bottlenecks page (warm) and of the page's simulation fragment."""
    from loglake.web import create_app

    client = create_app(settings).test_client()
    client.get("/pg/bottlenecks")
    token = client.application.config["LOGLAKE_CSRF"]
    page, sim = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        assert client.get("/pg/bottlenecks").status_code == 200
        page.append(time.perf_counter() - started)
        started = time.perf_counter()
        done = client.post(
            f"/pg/queries/{row['query_id']}/simulate", data={"rec_id": row["rec_id"]},
            headers={"X-CSRF-Token": token, "HX-Request": "true"},
        )  # fmt: skip
        assert b"simulation-result" in done.data, done.data[:300]
        sim.append(time.perf_counter() - started)
    return {
        "bottlenecks_page_median_s": round(statistics.median(page), 3),
        "simulation_fragment_median_s": round(statistics.median(sim), 3),
    }


def _first_paint(root: Path, loads: int) -> dict[str, dict[str, float]]:
    """Median HTML-received and first-contentful-paint ms of /pg/bottlenecks in Chromium."""
    import ui
    from playwright.sync_api import sync_playwright

    with ui.server(root) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=ui.CHROMIUM, args=ui.FLAGS)
        page = f"{url}/pg/bottlenecks"
        ui.load(browser, page, 0, None)  # the server's first answer
        cold = [ui.load(browser, page, 0, None) for _ in range(loads)]
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        ui.load(browser, page, 0, context)
        warm = [ui.load(browser, page, 0, context) for _ in range(loads)]
        context.close()
        browser.close()
    return {
        kind: {k: round(statistics.median(r[k] for r in runs), 1) for k in ("html", "fcp")}
        | {"fcp_max": round(max(r["fcp"] for r in runs), 1)}
        for kind, runs in (("cold", cold), ("warm", warm))
    }


def main() -> None:
    """Run the benchmark and print its numbers."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--loads", type=int, default=7, help="browser loads of the page")
    parser.add_argument("--workdir", type=Path, default=REPO / "bench" / "out")
    parser.add_argument("--demo-lake", type=Path, default=None)
    args = parser.parse_args()
    if args.demo_lake is not None:
        with running_pg_cluster() as cluster:
            demo = demo_database(cluster)
            report = collect(Settings(root=args.demo_lake, pg_dsn=demo.dsn), explain_top=20)
        print(f"live advisor demo: {report['statements']} statements, "
              f"{report['recommendations']} recommendations in {args.demo_lake}")  # fmt: skip
        return
    root = args.workdir / "pg-advisor-lake"
    shutil.rmtree(root, ignore_errors=True)
    with running_pg_cluster() as cluster:
        demo = demo_database(cluster)
        with cluster.connect("advisor_demo", app="bench") as conn:
            extra = _shapes(conn, 100)
        settings = Settings(root=root, pg_dsn=demo.dsn, workers=1)
        cold = collect(settings, top=100, explain_top=20)
        warm = [collect(settings, top=100, explain_top=20) for _ in range(args.repeat)]
        from loglake.analytics.service import Analytics

        answer = Analytics(settings).ask("pg_bottlenecks", {"limit": "50"})
        top = [r for r in answer["rows"] if r["type"] in ("missing_index", "composite_index")]
        sims = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            simulate(settings, top[0]["query_id"], top[0]["rec_id"])
            sims.append(time.perf_counter() - started)
        cuts = [simulate(settings, r["query_id"], r["rec_id"])["improvement_pct"] for r in top[:10]]
        pages = _pages(settings, top[0], args.repeat)
    paint = _first_paint(root, args.loads)
    print(json.dumps({
        "statements": warm[0]["statements"], "extra_shapes": extra,
        "explained": warm[0]["explained"], "recommendations": warm[0]["recommendations"],
        "collect_cold_s": cold["seconds"],
        "collect_warm_median_s": round(statistics.median(w["seconds"] for w in warm), 3),
        "collect_warm_max_s": max(w["seconds"] for w in warm),
        "simulate_median_s": round(statistics.median(sims), 3),
        "simulate_max_s": round(max(sims), 3),
        "top_recs": len(cuts), "top_recs_over_30pct": sum(c > 30 for c in cuts),
        "cuts_pct": cuts, "repeat": args.repeat, **pages,
        "bottlenecks_first_paint_ms": paint, "loads": args.loads,
    }, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
