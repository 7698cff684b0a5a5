-- Dataset summary: authentication successes and failures.
SELECT
    count(*) FILTER (WHERE result = 'success') AS success,
    count(*) FILTER (WHERE result = 'failure') AS failure
FROM read_parquet(?, hive_partitioning = false)
