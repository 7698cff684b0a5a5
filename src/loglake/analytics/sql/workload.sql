-- Time spent per value of one whitelisted column, with its share of the total.
SELECT
    {column} AS key,
    count(*) AS count,
    coalesce(sum(duration_ms), 0) AS total_ms,
    avg(duration_ms) AS avg_ms,
    coalesce(sum(duration_ms), 0) / nullif(sum(sum(duration_ms)) OVER (), 0) AS share
FROM slow_queries
{where}
GROUP BY 1
ORDER BY total_ms DESC, key NULLS LAST
LIMIT ?
