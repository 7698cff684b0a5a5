"""Pieces every command shares: error handling, the --data option, stderr messages."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from loglake.errors import LoglakeError

F = TypeVar("F", bound=Callable[..., Any])


def err(message: str) -> None:
    """Write a message to stderr."""
    click.echo(message, err=True)


def handle_errors(func: F) -> F:
    """Turn LoglakeErrors into `Error: …` on stderr and exit 1 (tracebacks with --debug)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = click.get_current_context().find_root().params.get("debug", False)
        try:
            return func(*args, **kwargs)
        except LoglakeError as exc:
            if debug:
                raise
            err(f"Error: {exc}")
            sys.exit(1)
        except KeyboardInterrupt:
            err("Interrupted: nothing was committed; the dataset is unchanged.")
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def data_option(func: F) -> F:
    """The --data/--out option: the dataset root."""
    return click.option(
        "--data",
        "--out",
        "root",
        type=click.Path(file_okay=False),
        default=None,
        help="Dataset root (default: $LOGLAKE_ROOT or ./loglake-data).",
    )(func)


def warn(message: str) -> None:
    """Write a warning to stderr."""
    err(f"Warning: {message}")


def open_analytics(root: str | None) -> Any:
    """The service over the dataset at root (or the default root); StoreError without one."""
    from loglake.analytics.service import Analytics
    from loglake.config import load_settings
    from loglake.store.status import require_dataset

    settings = load_settings().with_options(root=root)
    require_dataset(settings.root)
    return Analytics(settings)
