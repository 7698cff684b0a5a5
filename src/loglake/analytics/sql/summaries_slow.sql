-- Dataset summary: totals and percentiles of slow queries in a list of files.
SELECT
    count(*) AS count,
    coalesce(sum(duration_ms), 0) AS total_duration_ms,
    quantile_cont(duration_ms, 0.5) AS p50_ms,
    quantile_cont(duration_ms, 0.95) AS p95_ms,
    quantile_cont(duration_ms, 0.99) AS p99_ms,
    max(duration_ms) AS max_ms,
    iso_utc(min(ts)) AS first_ts,
    iso_utc(max(ts)) AS last_ts
FROM read_parquet(?, hive_partitioning = false)
