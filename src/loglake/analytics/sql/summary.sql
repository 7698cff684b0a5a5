-- Totals over the filtered slow queries (one sort serves all three percentiles).
SELECT
    count(*) AS count,
    coalesce(sum(duration_ms), 0) AS total_duration_ms,
    quantile_cont(duration_ms, [0.5, 0.95, 0.99]) AS percentiles,
    max(duration_ms) AS max_ms,
    min(ts) AS first_ts,
    max(ts) AS last_ts,
    coalesce(count_if(full_scan), 0) AS collscans
FROM slow_queries
{where}
