"""`loglake serve`: the web UI and JSON API on a production WSGI server (waitress)."""

from __future__ import annotations

import click

from loglake.cli.common import data_option, err, handle_errors
from loglake.config import load_settings


@click.command()
@data_option
@click.option("--host", default=None, help="Address to bind (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 8050).")
@click.option("--threads", type=click.IntRange(min=1), default=None, help="Worker threads (8).")
@handle_errors
def serve(root: str | None, host: str | None, port: int | None, threads: int | None) -> None:
    """Serve the web UI and the JSON API over a dataset.

    Binds 127.0.0.1 by default; any other address needs LOGLAKE_AUTH_TOKEN, which every
    request must then carry (Authorization: Bearer TOKEN, or ?token=TOKEN).
    """
    import logging

    from waitress import serve as waitress_serve

    from loglake.web import create_app
    from loglake.web.app import check_exposure

    settings = load_settings().with_options(root=root, host=host, port=port, server_threads=threads)
    check_exposure(settings)
    app = create_app(settings)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    err(
        f"loglake: serving {settings.root} (engine {app.extensions['loglake'].engine})\n"
        f"  open http://{settings.host}:{settings.port}/dashboard in a browser; Ctrl-C stops"
    )
    waitress_serve(
        app,
        host=settings.host,
        port=settings.port,
        threads=settings.server_threads,
        ident="loglake",
        clear_untrusted_proxy_headers=True,
    )
