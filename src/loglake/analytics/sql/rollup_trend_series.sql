-- trend_series.sql from the rollups (buckets of whole hours): sums from the hourly rows,
-- p95 from durations. Bound: the width twice, the filters, then the same for percentiles.
WITH series AS (
    SELECT
        {key} AS key,
        (epoch_us(ts) // ?) * ? AS bucket_us,
        sum(count) AS count,
        coalesce(sum(total_ms), 0) AS total_ms,
        CASE WHEN sum(timed) > 0 THEN sum(total_ms) / sum(timed) END AS avg_ms,
        max(max_ms) AS max_ms
    FROM slow_queries_hourly
    {where}
    GROUP BY 1, 2
),
pct AS ({percentiles})
-- p95_ms holds the bounds here, which the caller interpolates (rollups.interpolate)
SELECT s.key, s.bucket_us, s.count, s.total_ms, s.avg_ms, pct.bounds AS p95_ms, s.max_ms
FROM series AS s
LEFT JOIN pct ON pct.key IS NOT DISTINCT FROM s.key AND pct.bucket_us = s.bucket_us
ORDER BY 1, 2
