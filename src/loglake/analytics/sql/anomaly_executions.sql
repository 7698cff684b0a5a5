-- Executions far above their pattern's usual duration: scored by mad_score (macros.sql)
-- against the pattern's median and MAD. Bound: min executions, threshold, min ratio to the
-- median, limit.
WITH base AS (
    SELECT shape_hash, namespace, op, shape, ts, duration_ms, file_id, file_offset, line_length
    FROM slow_queries
    {where}
),
stats AS (
    SELECT shape_hash, count(*) AS executions, median(duration_ms) AS median, mad(duration_ms) AS mad
    FROM base
    GROUP BY 1
    HAVING count(*) >= ?
),
spread AS (
    SELECT b.shape_hash, avg(abs(b.duration_ms - s.median)) AS mean_ad
    FROM base AS b JOIN stats AS s USING (shape_hash)
    GROUP BY 1
),
scored AS (
    SELECT
        b.*, s.executions, s.median, s.mad,
        mad_score(b.duration_ms, s.median, s.mad, d.mean_ad) AS score
    FROM base AS b
    JOIN stats AS s USING (shape_hash)
    JOIN spread AS d USING (shape_hash)
)
SELECT
    shape_hash, namespace, op, shape, ts, duration_ms AS value, median, mad, score, executions,
    file_id, file_offset, line_length,
    count(*) OVER () AS total
FROM scored
WHERE score > ? AND duration_ms >= ? * median
ORDER BY score DESC, ts, file_id, file_offset
LIMIT ?
