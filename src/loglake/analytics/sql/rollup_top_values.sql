-- top_values.sql from the hourly rollup: count and total time per plan, namespace, op, shape.
SELECT
    grouping(plan) = 0 AS by_plan,
    grouping(namespace) = 0 AS by_namespace,
    grouping(op) = 0 AS by_op,
    plan,
    namespace,
    op,
    shape_hash,
    sum(count) AS count,
    coalesce(sum(total_ms), 0) AS total_ms
FROM slow_queries_hourly
{where}
GROUP BY GROUPING SETS ((plan), (namespace), (op), (shape_hash))
