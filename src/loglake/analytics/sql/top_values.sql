-- Count and total time per plan, per namespace, per op and per shape, in one scan.
SELECT
    grouping(plan) = 0 AS by_plan,
    grouping(namespace) = 0 AS by_namespace,
    grouping(op) = 0 AS by_op,
    plan,
    namespace,
    op,
    shape_hash,
    count(*) AS count,
    coalesce(sum(duration_ms), 0) AS total_ms
FROM slow_queries
{where}
GROUP BY GROUPING SETS ((plan), (namespace), (op), (shape_hash))
