-- patterns.sql from the rollups: the same columns, added up from the hourly rows, the
-- percentiles from durations; namespace, op and shape are each group's most common value
-- (as mode() gives it; for shapes the only value).
WITH rows AS (
    SELECT {key} AS key, * FROM slow_queries_hourly {where}
),
pct AS ({percentiles}),
plans AS (
    SELECT key, map(list(plan ORDER BY plan), list(n ORDER BY plan)) AS plans
    FROM (SELECT key, coalesce(plan, '(none)') AS plan, sum(count) AS n FROM rows GROUP BY 1, 2)
    GROUP BY key
),
namespaces AS (
    SELECT key, arg_max(namespace, n) AS namespace
    FROM (SELECT key, namespace, sum(count) AS n FROM rows WHERE namespace IS NOT NULL GROUP BY 1, 2)
    GROUP BY key
),
ops AS (
    SELECT key, arg_max(op, n) AS op
    FROM (SELECT key, op, sum(count) AS n FROM rows WHERE op IS NOT NULL GROUP BY 1, 2)
    GROUP BY key
),
shapes AS (
    SELECT key, arg_max(shape, n) AS shape
    FROM (SELECT key, shape, sum(count) AS n FROM rows WHERE shape IS NOT NULL GROUP BY 1, 2)
    GROUP BY key
),
groups AS (
    SELECT
        key,
        sum(count) AS count,
        coalesce(sum(total_ms), 0) AS total_ms,
        CASE WHEN sum(timed) > 0 THEN sum(total_ms) / sum(timed) END AS avg_ms,
        min(min_ms) AS min_ms,
        max(max_ms) AS max_ms,
        coalesce(sum(docs_examined), 0) AS docs_examined,
        coalesce(sum(keys_examined), 0) AS keys_examined,
        coalesce(sum(nreturned), 0) AS nreturned,
        coalesce(sum(in_memory_sorts), 0) AS in_memory_sorts,
        coalesce(sum(disk_uses), 0) AS disk_uses,
        min(first_ts) AS first_ts,
        max(last_ts) AS last_ts,
        arg_max(sample, max_ms) AS sample
    FROM rows
    GROUP BY key
)
SELECT * FROM (
    SELECT
        g.key,
        g.count,
        g.total_ms,
        g.avg_ms,
        g.min_ms,
        g.max_ms,
        pct.percentiles,
        pct.bounds,
        g.docs_examined,
        g.keys_examined,
        g.nreturned,
        plans.plans,
        g.in_memory_sorts,
        g.disk_uses,
        g.first_ts,
        g.last_ts,
        namespaces.namespace,
        ops.op,
        shapes.shape,
        g.sample,
        count(*) OVER () AS groups
    FROM groups AS g
    LEFT JOIN pct ON pct.key IS NOT DISTINCT FROM g.key
    LEFT JOIN plans ON plans.key IS NOT DISTINCT FROM g.key
    LEFT JOIN namespaces ON namespaces.key IS NOT DISTINCT FROM g.key
    LEFT JOIN ops ON ops.key IS NOT DISTINCT FROM g.key
    LEFT JOIN shapes ON shapes.key IS NOT DISTINCT FROM g.key
)
ORDER BY {sort} {order} NULLS LAST, key NULLS LAST
LIMIT ?
