-- Dataset summary: how many lines, and the time they span.
SELECT count(*) AS count, iso_utc(min(ts)) AS first_ts, iso_utc(max(ts)) AS last_ts
FROM read_parquet(?, hive_partitioning = false)
