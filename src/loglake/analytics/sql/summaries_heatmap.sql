-- Dataset summary: slow queries by ISO weekday and hour (UTC).
SELECT isodow(ts) AS day_of_week, hour(ts) AS hour, count(*) AS count, sum(duration_ms) AS total_ms
FROM read_parquet(?, hive_partitioning = false)
GROUP BY 1, 2
ORDER BY 1, 2
