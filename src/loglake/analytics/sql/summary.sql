-- Totals over the filtered slow queries.
SELECT
    count(*) AS count,
    coalesce(sum(duration_ms), 0) AS total_duration_ms,
    quantile_cont(duration_ms, 0.5) AS p50_ms,
    quantile_cont(duration_ms, 0.95) AS p95_ms,
    quantile_cont(duration_ms, 0.99) AS p99_ms,
    max(duration_ms) AS max_ms,
    min(ts) AS first_ts,
    max(ts) AS last_ts,
    count(DISTINCT namespace) AS namespaces,
    count(DISTINCT shape_hash) AS patterns,
    coalesce(count_if(plan = 'COLLSCAN'), 0) AS collscans
FROM slow_queries
{where}
