-- Normalized statements (one fingerprint each): their cost, and where the slowest one is.
SELECT
    shape_hash,
    any_value(shape) AS shape,
    mode(op) AS op,
    mode(db) AS db,
    mode(collection) AS "table",
    count(*) AS count,
    sum(duration_ms) AS total_ms,
    avg(duration_ms) AS avg_ms,
    min(duration_ms) AS min_ms,
    max(duration_ms) AS max_ms,
    quantile_cont(duration_ms, 0.95) AS p95_ms,
    sum(nreturned) AS rows,
    min(ts) AS first_ts,
    max(ts) AS last_ts,
    arg_max(file_id, duration_ms) AS example_file_id,
    arg_max(file_offset, duration_ms) AS example_offset,
    arg_max(line_length, duration_ms) AS example_length,
    arg_max(ts, duration_ms) AS example_ts,
    arg_max({params}, duration_ms) AS example_params
FROM slow_queries
{where}
GROUP BY shape_hash
ORDER BY {sort} DESC NULLS LAST, shape_hash
LIMIT ?
