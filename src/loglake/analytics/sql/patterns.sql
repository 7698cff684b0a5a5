-- Slow queries grouped by one whitelisted key; `sample` is the slowest execution's line.
SELECT
    {key} AS key,
    count(*) AS count,
    coalesce(sum(duration_ms), 0) AS total_ms,
    avg(duration_ms) AS avg_ms,
    min(duration_ms) AS min_ms,
    max(duration_ms) AS max_ms,
    quantile_cont(duration_ms, [0.5, 0.95, 0.99]) AS percentiles,
    coalesce(sum(docs_examined), 0) AS docs_examined,
    coalesce(sum(keys_examined), 0) AS keys_examined,
    coalesce(sum(nreturned), 0) AS nreturned,
    histogram(coalesce(plan, '(none)')) AS plans,
    coalesce(count_if(has_sort_stage), 0) AS in_memory_sorts,
    coalesce(count_if(used_disk), 0) AS disk_uses,
    min(ts) AS first_ts,
    max(ts) AS last_ts,
    {namespace} AS namespace,
    {op} AS op,
    {shape} AS shape,
    arg_max(
        struct_pack(file_id := file_id, file_offset := file_offset, line_length := line_length),
        duration_ms
    ) AS sample,
    count(*) OVER () AS groups
FROM slow_queries
{where}
GROUP BY 1
ORDER BY {sort} {order} NULLS LAST, key NULLS LAST
LIMIT ?
