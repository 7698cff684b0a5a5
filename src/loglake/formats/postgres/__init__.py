"""PostgreSQL logs: stderr (any log_line_prefix, syslog, RDS, Azure, Cloud SQL, Heroku),
csvlog and jsonlog (CloudNativePG, Cloud SQL JSON); `--format postgres` picks among them."""
