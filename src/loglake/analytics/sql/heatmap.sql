-- Slow operations per UTC calendar day and hour of day.
SELECT
    CAST(ts AS DATE) AS day,
    hour(ts) AS hour,
    count(*) AS count,
    coalesce(sum(duration_ms), 0) AS total_ms
FROM slow_queries
{where}
GROUP BY 1, 2
ORDER BY 1, 2
