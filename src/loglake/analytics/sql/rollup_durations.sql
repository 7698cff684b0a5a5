-- The `durations` rollup: how many slow queries took each duration, per (UTC hour, date
-- partition, keys). Exact percentiles come from its cumulative counts (rollup_percentiles).
SELECT
    date_trunc('hour', ts) AS ts,
    date,
    {keys},
    duration_ms,
    count(*) AS n
FROM slow_queries
WHERE duration_ms IS NOT NULL
GROUP BY ALL
