-- Session durations: each ended connection paired with its accepted event (by uuid when
-- logged, else by source file and connection number), in seconds.
WITH accepted AS (
    SELECT coalesce(uuid, file_id || ':' || connection_id) AS conn, min(ts) AS opened
    FROM connections
    {where_accepted}
    GROUP BY 1
),
ended AS (
    SELECT coalesce(uuid, file_id || ':' || connection_id) AS conn, max(ts) AS closed
    FROM connections
    {where_ended}
    GROUP BY 1
),
sessions AS (
    SELECT epoch_ms(closed) / 1000.0 - epoch_ms(opened) / 1000.0 AS seconds
    FROM accepted JOIN ended USING (conn)
    WHERE closed >= opened
)
SELECT
    count(*) AS count,
    avg(seconds) AS avg_s,
    quantile_cont(seconds, 0.5) AS p50_s,
    quantile_cont(seconds, 0.95) AS p95_s,
    max(seconds) AS max_s,
    coalesce(count_if(seconds < 1), 0) AS under_1s,
    coalesce(count_if(seconds >= 1 AND seconds < 10), 0) AS s1_10,
    coalesce(count_if(seconds >= 10 AND seconds < 60), 0) AS s10_60,
    coalesce(count_if(seconds >= 60 AND seconds < 600), 0) AS m1_10,
    coalesce(count_if(seconds >= 600 AND seconds < 3600), 0) AS m10_60,
    coalesce(count_if(seconds >= 3600), 0) AS over_1h
FROM sessions
