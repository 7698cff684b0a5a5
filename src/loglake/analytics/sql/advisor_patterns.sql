-- Slow queries per shape with every sum the advisor's rules read; totals over all shapes.
WITH per_shape AS (
    SELECT
        shape_hash AS key,
        any_value(namespace) AS namespace,
        any_value(db) AS db,
        any_value(collection) AS collection,
        any_value(op) AS op,
        any_value(shape) AS shape,
        coalesce(bool_or(is_system), false) AS is_system,
        count(*) AS count,
        coalesce(sum(duration_ms), 0) AS total_ms,
        avg(duration_ms) AS avg_ms,
        max(duration_ms) AS max_ms,
        coalesce(sum(docs_examined), 0) AS docs_examined,
        coalesce(sum(keys_examined), 0) AS keys_examined,
        coalesce(sum(nreturned), 0) AS nreturned,
        coalesce(sum(coalesce(nreturned, nmatched, ndeleted)), 0) AS matched,
        coalesce(sum(reslen), 0) AS reslen,
        max(reslen) AS max_reslen,
        coalesce(sum(num_yields), 0) AS num_yields,
        coalesce(sum(write_conflicts), 0) AS write_conflicts,
        coalesce(count_if(replanned), 0) AS replanned,
        coalesce(count_if(has_sort_stage), 0) AS in_memory_sorts,
        coalesce(count_if(used_disk), 0) AS disk_uses,
        coalesce(count_if(full_scan), 0) AS collscans,
        histogram(coalesce(plan_summary, '(none)')) AS plan_summaries,
        min(ts) AS first_ts,
        max(ts) AS last_ts,
        arg_max(
            struct_pack(file_id := file_id, file_offset := file_offset, line_length := line_length),
            duration_ms
        ) AS sample
    FROM slow_queries
    {where}
    GROUP BY shape_hash
)
SELECT
    *,
    -- getMores of the cursors a shape opened: they carry the originating command's shape
    sum(CASE WHEN op = 'getMore' THEN count ELSE 0 END)
        OVER (PARTITION BY namespace, shape) AS getmores,
    sum(total_ms) OVER () AS workload_ms,
    count(*) OVER () AS groups
FROM per_shape
ORDER BY total_ms DESC, key NULLS LAST
LIMIT ?
