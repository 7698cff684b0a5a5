-- workload.sql from the hourly rollup: time per value of one whitelisted key, and its share.
SELECT
    {column} AS key,
    sum(count) AS count,
    coalesce(sum(total_ms), 0) AS total_ms,
    CASE WHEN sum(timed) > 0 THEN sum(total_ms) / sum(timed) END AS avg_ms,
    coalesce(sum(total_ms), 0) / nullif(sum(sum(total_ms)) OVER (), 0) AS share
FROM slow_queries_hourly
{where}
GROUP BY 1
ORDER BY total_ms DESC, key NULLS LAST
LIMIT ?
