-- summary.sql from the rollups: totals over the hourly rows, percentiles from durations.
SELECT
    coalesce(sum(count), 0) AS count,
    coalesce(sum(total_ms), 0) AS total_duration_ms,
    (SELECT bounds FROM ({percentiles})) AS bounds,
    max(max_ms) AS max_ms,
    min(first_ts) AS first_ts,
    max(last_ts) AS last_ts,
    coalesce(sum(collscans), 0) AS collscans
FROM slow_queries_hourly
{where}
