-- the simulations of one statement of one server (loglake pg simulate), newest first
SELECT simulation_id, snapshot_id, captured_at, rec_id, mode, type, ddl, params_source,
       before_cost, after_cost, before_ms, after_ms, improvement_pct, plan_changes,
       before_nodes, after_nodes, before_plan, after_plan, seconds
FROM pg_simulations
WHERE server = ? AND query_id = ?
ORDER BY captured_at DESC, simulation_id
LIMIT ?
