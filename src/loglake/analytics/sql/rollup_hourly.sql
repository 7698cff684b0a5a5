-- The `hourly` rollup of slow queries: one row per (UTC hour, date partition, keys), with
-- everything summary, patterns and trend add up. `ts` is the hour's start and `date` the
-- rows' partition, so `filters.where` applies to this table as it does to the rows.
SELECT
    date_trunc('hour', ts) AS ts,
    date,
    {keys},
    count(*) AS count,
    count(duration_ms) AS timed,
    sum(duration_ms) AS total_ms,
    min(duration_ms) AS min_ms,
    max(duration_ms) AS max_ms,
    CAST(sum(docs_examined) AS BIGINT) AS docs_examined,
    CAST(sum(keys_examined) AS BIGINT) AS keys_examined,
    CAST(sum(nreturned) AS BIGINT) AS nreturned,
    CAST(count_if(has_sort_stage) AS BIGINT) AS in_memory_sorts,
    CAST(count_if(used_disk) AS BIGINT) AS disk_uses,
    CAST(count_if(full_scan) AS BIGINT) AS collscans,
    min(ts) AS first_ts,
    max(ts) AS last_ts,
    any_value(shape) AS shape,
    arg_max(
        struct_pack(file_id := file_id, file_offset := file_offset, line_length := line_length),
        duration_ms
    ) AS sample
FROM slow_queries
GROUP BY ALL
