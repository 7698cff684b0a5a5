-- the log's slowest example of each statement (by pglast fingerprint), for the live advisor:
-- its text and parameters taken from one row (a `parse` phase has no parameters yet, and a
-- statement with $n placeholders is only an example with the values it ran with), and the
-- worst skew of estimated vs actual rows its auto_explain plans showed (top node)
WITH rows AS (
    SELECT *,
           TRY_CAST(plan_facts ->> '$.est_rows' AS DOUBLE) AS est,
           TRY_CAST(plan_facts ->> '$.actual_rows' AS DOUBLE) AS act
    FROM slow_queries
    WHERE engine = 'postgres' AND shape_hash IN (SELECT unnest(?::VARCHAR[]))
)
SELECT shape_hash,
       count(*) AS n,
       arg_max({'statement': statement, 'params': params}, duration_ms)
           FILTER (WHERE statement IS NOT NULL AND op_type NOT IN ('plan', 'parse')
                   AND (params IS NOT NULL OR NOT regexp_matches(statement, '\$[0-9]')))
           AS example,
       max(greatest(est, act, 1) / greatest(least(est, act), 1))
           FILTER (WHERE est IS NOT NULL AND act IS NOT NULL) AS skew
FROM rows
GROUP BY shape_hash
