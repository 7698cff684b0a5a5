-- heatmap.sql from the hourly rollup (its ts is the hour's start, so day and hour agree).
SELECT
    CAST(ts AS DATE) AS day,
    hour(ts) AS hour,
    sum(count) AS count,
    coalesce(sum(total_ms), 0) AS total_ms
FROM slow_queries_hourly
{where}
GROUP BY 1, 2
ORDER BY 1, 2
