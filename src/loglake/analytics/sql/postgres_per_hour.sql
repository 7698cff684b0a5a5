-- Statements and the time they took, per hour (UTC).
SELECT
    time_bucket(INTERVAL 1 HOUR, ts) AS hour,
    count(*) AS count,
    sum(duration_ms) AS total_ms,
    avg(duration_ms) AS avg_ms,
    max(duration_ms) AS max_ms
FROM slow_queries
{where}
GROUP BY 1
ORDER BY 1
LIMIT ?
