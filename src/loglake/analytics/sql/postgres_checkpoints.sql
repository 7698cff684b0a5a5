-- Completed checkpoints (and restartpoints): how many, what they wrote, how long they took.
WITH done AS (
    SELECT
        ts,
        TRY_CAST(attr(attrs, '$.buffers') AS BIGINT) AS buffers,
        TRY_CAST(attr(attrs, '$.write_s') AS DOUBLE) AS write_s,
        TRY_CAST(attr(attrs, '$.sync_s') AS DOUBLE) AS sync_s,
        TRY_CAST(attr(attrs, '$.total_s') AS DOUBLE) AS total_s,
        TRY_CAST(attr(attrs, '$.distance_kb') AS BIGINT) AS distance_kb,
        TRY_CAST(attr(attrs, '$.wal_added') AS BIGINT) AS wal_added,
        TRY_CAST(attr(attrs, '$.wal_removed') AS BIGINT) AS wal_removed,
        TRY_CAST(attr(attrs, '$.wal_recycled') AS BIGINT) AS wal_recycled
    FROM events
    {where}
)
SELECT
    count(*) AS count,
    sum(buffers) AS buffers,
    sum(write_s) AS write_s,
    sum(sync_s) AS sync_s,
    sum(total_s) AS total_s,
    max(total_s) AS max_total_s,
    sum(distance_kb) AS distance_kb,
    sum(wal_added) AS wal_added,
    sum(wal_removed) AS wal_removed,
    sum(wal_recycled) AS wal_recycled,
    min(ts) AS first_ts,
    max(ts) AS last_ts
FROM done
