-- Dataset summary: lines by severity.
SELECT severity, count(*) AS count
FROM read_parquet(?, hive_partitioning = false)
GROUP BY 1
ORDER BY 2 DESC, 1
