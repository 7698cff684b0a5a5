"""The statements the live advisor runs on a PostgreSQL server (values always bound)."""

from __future__ import annotations

# pg_stat_statements of this database, costliest first (boilerplate is dropped in Python,
# by pglast's op: BEGIN/COMMIT/SET/SHOW and DDL are not statements to tune)
STATEMENTS = """
SELECT s.queryid::text, s.query, s.calls, s.total_exec_time, s.mean_exec_time,
       s.stddev_exec_time, s.rows, s.shared_blks_hit, s.shared_blks_read, s.temp_blks_read,
       s.temp_blks_written
FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
WHERE d.datname = current_database() AND s.toplevel AND s.mean_exec_time >= %s
ORDER BY s.total_exec_time DESC
LIMIT %s
"""

TABLES = """
SELECT n.nspname || '.' || c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid),
       coalesce(t.seq_scan, 0), coalesce(t.seq_tup_read, 0), coalesce(t.idx_scan, 0),
       coalesce(t.n_tup_ins, 0), coalesce(t.n_tup_upd, 0), coalesce(t.n_tup_del, 0),
       coalesce(t.n_live_tup, 0), coalesce(t.n_mod_since_analyze, 0),
       greatest(t.last_analyze, t.last_autoanalyze),
       (SELECT string_agg(a.attname, ',' ORDER BY a.attnum) FROM pg_attribute a
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_user_tables t ON t.relid = c.oid
WHERE c.relkind IN ('r', 'p', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg_temp%%' AND n.nspname <> 'loglake_sandbox'
ORDER BY 1
"""

INDEXES = """
SELECT n.nspname || '.' || ic.relname, n.nspname || '.' || tc.relname,
       (SELECT string_agg(coalesce(a.attname, '?'), ',' ORDER BY k.ord)
        FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
        LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
        WHERE k.ord <= i.indnkeyatts),
       i.indisunique, i.indisprimary, i.indpred IS NOT NULL,
       coalesce(s.idx_scan, 0), pg_relation_size(ic.oid), pg_get_indexdef(ic.oid)
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class tc ON tc.oid = i.indrelid
JOIN pg_namespace n ON n.oid = tc.relnamespace
LEFT JOIN pg_stat_user_indexes s ON s.indexrelid = i.indexrelid
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg_temp%%' AND n.nspname <> 'loglake_sandbox'
ORDER BY 1
"""

# pg_stats of some columns: (schema, table, column) arrays of the same length
COLUMN_STATS = """
SELECT s.schemaname || '.' || s.tablename, s.attname, s.null_frac, s.n_distinct,
       s.correlation, s.most_common_vals::text::text[], s.most_common_freqs,
       s.histogram_bounds::text::text[]
FROM pg_stats s
JOIN unnest(%s::text[], %s::text[], %s::text[]) AS w(sch, tab, col)
  ON s.schemaname = w.sch AND s.tablename = w.tab AND s.attname = w.col
"""

# sessions waiting on a lock, and what blocks them
LOCK_WAITS = """
SELECT w.query, b.query
FROM pg_stat_activity w
JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS blocker(pid) ON true
JOIN pg_stat_activity b ON b.pid = blocker.pid
WHERE w.datname = current_database() AND w.wait_event_type = 'Lock'
"""

HYPO_CREATE = "SELECT indexrelid FROM hypopg_create_index(%s)"
HYPO_RESET = "SELECT hypopg_reset()"
HYPO_LIST = "SELECT count(*) FROM hypopg()"
