-- Time buckets where a pattern's count or latency (median duration in the bucket) spikes
-- versus its own buckets: scored by mad_score (macros.sql). Counts are scored
-- over every bucket of the time range (a bucket without executions counts 0), latency over
-- the buckets the pattern ran in. Bound: width twice, min executions, width, min buckets,
-- threshold, min ratio, min executions in a count spike, limit.
WITH base AS (
    SELECT
        shape_hash, namespace, op, shape, duration_ms, file_id, file_offset, line_length,
        (epoch_us(ts) // ?) * ? AS bucket_us
    FROM slow_queries
    {where}
),
patterns AS (
    SELECT shape_hash, any_value(namespace) AS namespace, any_value(op) AS op,
        any_value(shape) AS shape
    FROM base
    GROUP BY 1
    HAVING count(*) >= ?
),
grid AS (SELECT unnest(range(min(bucket_us), max(bucket_us) + 1, ?)) AS bucket_us FROM base),
cells AS (
    SELECT
        shape_hash, bucket_us, count(*) AS count, median(duration_ms) AS latency,
        arg_max(
            struct_pack(file_id := file_id, file_offset := file_offset,
                        line_length := line_length),
            duration_ms
        ) AS sample
    FROM base
    WHERE shape_hash IN (SELECT shape_hash FROM patterns)
    GROUP BY 1, 2
),
filled AS (
    SELECT p.shape_hash, g.bucket_us, coalesce(c.count, 0) AS count, c.latency, c.sample
    FROM patterns AS p
    CROSS JOIN grid AS g
    LEFT JOIN cells AS c ON c.shape_hash = p.shape_hash AND c.bucket_us = g.bucket_us
),
measures AS (
    SELECT shape_hash, bucket_us, 'count_spike' AS kind, count::DOUBLE AS value, count, sample
    FROM filled
    UNION ALL
    SELECT shape_hash, bucket_us, 'latency_spike', latency, count, sample
    FROM filled
    WHERE count > 0
),
stats AS (
    SELECT
        shape_hash, kind, count(*) AS buckets, median(value) AS median,
        -- counts are whole numbers: a deviation of one execution is the smallest unit
        CASE WHEN kind = 'count_spike' THEN greatest(mad(value), 1) ELSE mad(value) END AS mad
    FROM measures
    GROUP BY 1, 2
    HAVING count(*) >= ?
),
spread AS (
    SELECT m.shape_hash, m.kind, avg(abs(m.value - s.median)) AS mean_ad
    FROM measures AS m JOIN stats AS s USING (shape_hash, kind)
    GROUP BY 1, 2
),
scored AS (
    SELECT
        m.*, s.buckets, s.median, s.mad,
        mad_score(m.value, s.median, s.mad, d.mean_ad) AS score
    FROM measures AS m
    JOIN stats AS s USING (shape_hash, kind)
    JOIN spread AS d USING (shape_hash, kind)
)
SELECT
    s.kind, s.shape_hash, p.namespace, p.op, p.shape, s.bucket_us, s.value, s.median, s.mad,
    s.score, s.count, s.buckets, s.sample,
    count(*) OVER () AS total
FROM scored AS s
JOIN patterns AS p USING (shape_hash)
WHERE s.score > ? AND s.value >= ? * s.median AND (s.kind = 'latency_spike' OR s.count >= ?)
ORDER BY s.score DESC, s.bucket_us, s.shape_hash, s.kind
LIMIT ?
