-- One page of slow operations; ties broken by position so pages never overlap.
SELECT
    ts, host, namespace, db, collection, op, op_type, plan, plan_summary, duration_ms,
    docs_examined, keys_examined, nreturned, reslen, num_yields, has_sort_stage, used_disk,
    app_name, client_ip, client_port, user, connection_id, query_hash, plan_cache_key,
    shape, shape_hash, error_code, error_name, file_id, file_offset, line_length, full_scan
FROM {source}
{where}
ORDER BY {sort} {order} NULLS LAST, file_id, file_offset
LIMIT ? OFFSET ?
