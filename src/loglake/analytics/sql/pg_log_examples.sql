-- the log's slowest example of each statement (by pglast fingerprint), for the live advisor:
-- its text and parameters taken from one row (a `parse` phase has no parameters yet, and a
-- statement with $n placeholders is only an example with the values it ran with)
SELECT shape_hash,
       count(*) AS n,
       arg_max({'statement': statement, 'params': params}, duration_ms)
           FILTER (WHERE statement IS NOT NULL AND op_type NOT IN ('plan', 'parse')
                   AND (params IS NOT NULL OR NOT regexp_matches(statement, '\$[0-9]')))
           AS example
FROM slow_queries
WHERE engine = 'postgres' AND shape_hash IN (SELECT unnest(?::VARCHAR[]))
GROUP BY shape_hash
