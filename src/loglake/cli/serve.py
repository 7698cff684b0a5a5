"""`loglake serve`: the web UI and JSON API on a production WSGI server (waitress)."""

from __future__ import annotations

import click

from loglake.cli.alerts import ALERTS_OPTION
from loglake.cli.common import data_option, err, handle_errors
from loglake.config import load_settings


@click.command()
@data_option
@click.option("--host", default=None, help="Address to bind (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 8050).")
@click.option("--threads", type=click.IntRange(min=1), default=None, help="Worker threads (8).")
@click.option(
    "--archive-every",
    default=None,
    help="Run `loglake archive` on this schedule inside the server (e.g. 1d, 6h).",
)
@click.option(
    "--older-than", default="7d", show_default=True, help="With --archive-every: the age cut."
)
@click.option(
    "--to", "to", default=None, help="With --archive-every: the cold root (or LOGLAKE_COLD_ROOT)."
)
@click.option(
    "--hook",
    "hooks",
    multiple=True,
    help="A pre-ingest hook for pushed records, module:function (repeatable; LOGLAKE_HOOKS).",
)
@ALERTS_OPTION
@handle_errors
def serve(
    root: str | None,
    host: str | None,
    port: int | None,
    threads: int | None,
    archive_every: str | None,
    older_than: str,
    to: str | None,
    hooks: tuple[str, ...],
    alert_rules: str | None,
) -> None:
    """Serve the web UI and the JSON API over a dataset.

    Binds 127.0.0.1 by default; any other address needs LOGLAKE_AUTH_TOKEN, which every
    request must then carry (Authorization: Bearer TOKEN, or ?token=TOKEN).
    """
    import logging

    from waitress import serve as waitress_serve

    from loglake.web import create_app
    from loglake.web.app import check_exposure

    settings = load_settings().with_options(
        root=root,
        host=host,
        port=port,
        server_threads=threads,
        hooks=",".join(hooks) if hooks else None,
        alert_rules=alert_rules,
    )
    check_exposure(settings)
    app = create_app(settings)
    schedule = None
    if archive_every is not None:
        from loglake.analytics.listeners import after_commit
        from loglake.config import parse_duration
        from loglake.ingest.archive import ArchiveSchedule

        schedule = ArchiveSchedule(
            settings.root,
            to or settings.cold_root,
            older_than,
            parse_duration(archive_every),
            chunk_rows=settings.chunk_rows,
            report=err,
            listeners=after_commit(settings),
        ).start()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    err(
        f"loglake: serving {settings.root} (engine {app.extensions['loglake'].engine})\n"
        f"  open http://{settings.host}:{settings.port}/dashboard in a browser; Ctrl-C stops\n"
        f"  push records: POST /api/ingest (application/x-ndjson); metrics: /metrics"
    )
    try:
        waitress_serve(
            app,
            host=settings.host,
            port=settings.port,
            threads=settings.server_threads,
            ident="loglake",
            clear_untrusted_proxy_headers=True,
            asyncore_use_poll=True,  # select() fails past descriptor 1024 (many open files)
        )
    finally:
        app.extensions["loglake_push"].close()  # commit the pushes still waiting
        app.extensions["loglake_courier"].stop()  # after the delivery under way
        if schedule is not None:
            schedule.stop()
