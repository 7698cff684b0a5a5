-- what a simulation replays: the statement as EXPLAIN was given it, and the recommendation,
-- from the newest snapshot holding both
SELECT s.snapshot_id, s.query, s.explain_sql, s.params, s.params_source, s.plan_cost, s.op,
       s.columns, r.type, r.target, r.ddl, r.evidence, r.improvement_pct AS collected_pct
FROM pg_recommendations r
JOIN pg_statements s ON s.snapshot_id = r.snapshot_id AND s.query_id = ?
WHERE r.rec_id = ?
ORDER BY r.captured_at DESC
LIMIT 1
