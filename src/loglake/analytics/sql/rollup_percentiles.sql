-- Percentiles per group from durations rows, as quantile_cont finds them: position
-- pos = (N - 1) * q in the group's sorted durations, between the values `lo` and `hi` at
-- its floor and ceiling: the first durations whose cumulative count `upto` reaches past
-- those ranks. `bounds` are those, which rollups.interpolate turns into quantile_cont's
-- exact value; `percentiles` is close enough to sort by. The cumulative counts are one
-- running sum over all groups in order, less the counts of the groups before (a window
-- partitioned by group is much slower in DuckDB). Grouped by the group columns over the
-- durations rows rollups.durations_source selects; each quantile is bound as a DOUBLE
-- after them (q0, q1, ...).
WITH durations AS (
    SELECT {columns}, duration_ms, sum(n) AS n FROM ({source}) GROUP BY ALL
),
groups AS (
    SELECT
        {group},
        CAST(total - 1 AS DOUBLE) AS last,
        sum(total) OVER (ORDER BY {group} ROWS UNBOUNDED PRECEDING) - total AS before
    FROM (SELECT {group}, sum(n) AS total FROM durations GROUP BY ALL)
),
ranked AS (
    SELECT
        d.*,
        sum(n) OVER (ORDER BY {ordered}, duration_ms ROWS UNBOUNDED PRECEDING) - g.before AS upto,
        g.last
    FROM durations AS d
    JOIN groups AS g ON {joined}
)
SELECT {group}, [{values}] AS percentiles, [{bounds}] AS bounds
FROM (
    SELECT {group}, {picks}
    FROM ranked, ({quantiles}) AS quantiles
    GROUP BY ALL
)
