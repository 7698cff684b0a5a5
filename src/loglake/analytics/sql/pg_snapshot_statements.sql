-- the statements of one snapshot, costliest first
SELECT query_id, fingerprint, query, op, tables, calls, total_ms, mean_ms, stddev_ms, rows,
       shared_blks_hit, shared_blks_read, temp_blks_written, family, explained, had_seq_scan,
       contention, plan_facts, plan_cost, params_source, log_examples, columns, captured_at
FROM pg_statements
WHERE snapshot_id = ?
ORDER BY total_ms DESC, query_id
