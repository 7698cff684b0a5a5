-- Per-bucket statistics of the top patterns (keys bound as a list).
SELECT
    {key} AS key,
    (epoch_us(ts) // ?) * ? AS bucket_us,
    count(*) AS count,
    coalesce(sum(duration_ms), 0) AS total_ms,
    avg(duration_ms) AS avg_ms,
    quantile_cont(duration_ms, 0.95) AS p95_ms,
    max(duration_ms) AS max_ms
FROM slow_queries
{where}
GROUP BY 1, 2
ORDER BY 1, 2
