-- Percentiles per group from the durations rollup, as quantile_cont finds them: position
-- pos = (N - 1) * q in the sorted durations, between the values `lo` and `hi` at its floor
-- and ceiling (found by the cumulative counts `upto`). `bounds` are those, which
-- rollups.interpolate turns into quantile_cont's exact value; `percentiles` is close
-- enough to sort by. Grouped by the group columns, over the durations rows that
-- rollups.durations_source selects; the quantiles are bound as DOUBLE[].
SELECT
    {group},
    list(lo + (hi - lo) * (pos - floor(pos)) ORDER BY q) AS percentiles,
    list(struct_pack(lo := lo, hi := hi, pos := pos) ORDER BY q) AS bounds
FROM (
    SELECT
        {group},
        q,
        min(duration_ms) FILTER (WHERE upto > floor(pos)) AS lo,
        min(duration_ms) FILTER (WHERE upto > ceil(pos)) AS hi,
        any_value(pos) AS pos
    FROM (
        SELECT *, last * q AS pos
        FROM (
            SELECT
                {group},
                duration_ms,
                sum(n) OVER (
                    PARTITION BY {group} ORDER BY duration_ms ROWS UNBOUNDED PRECEDING
                ) AS upto,
                CAST(sum(n) OVER (PARTITION BY {group}) - 1 AS DOUBLE) AS last
            FROM (
                SELECT {columns}, duration_ms, sum(n) AS n
                FROM ({source})
                GROUP BY ALL
            )
        ),
        (SELECT unnest(CAST(? AS DOUBLE[])) AS q)
    )
    GROUP BY ALL
)
GROUP BY ALL
