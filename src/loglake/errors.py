"""The LoglakeError tree: every error a user may see, with a message that says what to do."""

from __future__ import annotations


class LoglakeError(Exception):
    """Base of every error loglake raises on purpose."""


class InputError(ValueError, LoglakeError):
    """An input file is missing, empty, unreadable or not of a known format."""


class ConfigError(ValueError, LoglakeError):
    """A setting or command-line option has an invalid value."""


class LockError(LoglakeError):
    """Another ingest holds the dataset lock."""


class StoreError(LoglakeError):
    """The dataset on disk is missing or inconsistent."""


class NotFoundError(LoglakeError):
    """What was asked for does not exist (an unknown row, file or page)."""


class TaskError(LoglakeError):
    """An ingest task failed on every attempt on a cluster (the dataset was not changed)."""


class AlertError(LoglakeError):
    """Alert rules could not be evaluated (the commit they follow stands)."""
