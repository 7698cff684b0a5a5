-- The `daily_durations` rollup: the durations rollup added up per UTC day (`ts` is the
-- day's start), for percentiles over whole days from far fewer rows.
SELECT
    date_trunc('day', ts) AS ts,
    date,
    {keys},
    duration_ms,
    CAST(sum(n) AS BIGINT) AS n
FROM durations
GROUP BY ALL
