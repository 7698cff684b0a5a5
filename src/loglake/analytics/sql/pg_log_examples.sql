-- the log's slowest example of each live statement, for the live advisor: the log's rows of a
-- statement are those of its pglast fingerprint (`shape_hash`) and those whose logged queryid
-- (`query_hash`, `%Q` / csvlog / jsonlog) is its pg_stat_statements queryid (texts that differ
-- only in aliases or spelling share a queryid, not a fingerprint); a row both find counts once.
-- Its text and parameters are taken from one row (a `parse` phase has no parameters yet, and a
-- statement with $n placeholders is only an example with the values it ran with), and the
-- worst skew of estimated vs actual rows its auto_explain plans showed (top node)
WITH wanted AS (
    SELECT unnest(?::VARCHAR[]) AS query_id, unnest(?::VARCHAR[]) AS fingerprint
),
pg AS (
    SELECT file_id, file_offset, shape_hash, query_hash, statement, params, duration_ms,
           op_type,
           TRY_CAST(plan_facts ->> '$.est_rows' AS DOUBLE) AS est,
           TRY_CAST(plan_facts ->> '$.actual_rows' AS DOUBLE) AS act
    FROM slow_queries
    WHERE engine = 'postgres'
      AND (shape_hash IN (SELECT fingerprint FROM wanted)
           OR query_hash IN (SELECT query_id FROM wanted))
),
rows AS (
    SELECT w.query_id, pg.* FROM pg JOIN wanted w ON pg.shape_hash = w.fingerprint
    UNION
    SELECT w.query_id, pg.* FROM pg JOIN wanted w ON pg.query_hash = w.query_id
)
SELECT query_id,
       count(*) AS n,
       arg_max({'statement': statement, 'params': params}, duration_ms)
           FILTER (WHERE statement IS NOT NULL AND op_type NOT IN ('plan', 'parse')
                   AND (params IS NOT NULL OR NOT regexp_matches(statement, '\$[0-9]')))
           AS example,
       max(greatest(est, act, 1) / greatest(least(est, act), 1))
           FILTER (WHERE est IS NOT NULL AND act IS NOT NULL) AS skew
FROM rows
GROUP BY query_id
