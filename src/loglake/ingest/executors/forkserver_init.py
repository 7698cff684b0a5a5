"""Imported first by the fork server that starts `KeptPool`'s workers: the fork server dies
with the process that started it (as the workers die with the fork server), so a server
killed outright leaves no process behind; and the workers' module is loaded once, there."""

from __future__ import annotations

from loglake.ingest.worker import die_with_parent

die_with_parent(None)
