-- Count and total time per plan, per namespace and per op, in one scan.
SELECT
    grouping(plan) = 0 AS by_plan,
    grouping(namespace) = 0 AS by_namespace,
    plan,
    namespace,
    op,
    count(*) AS count,
    coalesce(sum(duration_ms), 0) AS total_ms
FROM slow_queries
{where}
GROUP BY GROUPING SETS ((plan), (namespace), (op))
