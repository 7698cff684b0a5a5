-- Dataset summary: slow queries and their time by plan.
SELECT coalesce(plan, '(none)') AS plan, count(*) AS count, sum(duration_ms) AS total_ms
FROM read_parquet(?, hive_partitioning = false)
GROUP BY 1
ORDER BY 3 DESC, 1
