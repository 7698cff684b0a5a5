-- Dataset summary: the users with the most failed authentications (the first ? of them).
SELECT coalesce(user, '') AS user, count(*) AS count
FROM read_parquet(?, hive_partitioning = false)
WHERE result = 'failure'
GROUP BY 1
ORDER BY 2 DESC, 1
LIMIT ?
