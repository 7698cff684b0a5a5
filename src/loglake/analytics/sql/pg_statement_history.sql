-- every snapshot of one server's statements, oldest first (anomalies, metrics over time)
SELECT query_id, snapshot_id, captured_at, calls, total_ms, mean_ms
FROM pg_statements
WHERE server = ?
ORDER BY captured_at, query_id
