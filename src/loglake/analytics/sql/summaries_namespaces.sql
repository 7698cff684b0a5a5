-- Dataset summary: the namespaces with the most slow-query time (the first ? of them).
SELECT
    namespace,
    count(*) AS count,
    sum(duration_ms) AS total_ms,
    quantile_cont(duration_ms, 0.95) AS p95_ms
FROM read_parquet(?, hive_partitioning = false)
GROUP BY 1
ORDER BY 3 DESC, 1
LIMIT ?
