"""Application logs: JSON lines, JSON arrays, logfmt and text (syslog, access logs, …)."""
