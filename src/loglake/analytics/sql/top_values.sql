-- The busiest values of one column (a whitelisted identifier) by total time.
SELECT
    {column} AS key,
    count(*) AS count,
    coalesce(sum(duration_ms), 0) AS total_ms
FROM slow_queries
{where}
GROUP BY 1
ORDER BY total_ms DESC, count DESC, key NULLS LAST
LIMIT ?
