-- one statement of one snapshot with what EXPLAIN was given and returned
SELECT query, explain_sql, params, params_source, plan, plan_facts, plan_cost, columns
FROM pg_statements
WHERE snapshot_id = ? AND query_id = ?
