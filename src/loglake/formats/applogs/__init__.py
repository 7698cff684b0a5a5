"""Application logs: JSON lines, JSON arrays, logfmt and text (syslog, access logs, …).

Every format here is GENERIC and claims at most `GENERIC_MAX`: a specific format (a
database's) that is at least as sure of a file wins it, whichever registers first.
"""

GENERIC_MAX = 0.75
