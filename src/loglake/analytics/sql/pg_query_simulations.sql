-- the simulations of one statement replayed from the snapshots of one server (loglake pg
-- simulate), newest first; by snapshot, so a simulation through another spelling of the
-- server's address (localhost, 127.0.0.1) is still the statement's
SELECT simulation_id, snapshot_id, captured_at, server, rec_id, mode, type, ddl,
       params_source, before_cost, after_cost, before_ms, after_ms, improvement_pct,
       plan_changes, before_nodes, after_nodes, before_plan, after_plan, seconds
FROM pg_simulations
WHERE query_id = ?
  AND snapshot_id IN (SELECT DISTINCT snapshot_id FROM pg_statements WHERE server = ?)
ORDER BY captured_at DESC, simulation_id
LIMIT ?
