-- Filtered events per time bucket, every bucket from the first to the last (an empty one is
-- 0). Values: first and last bucket start and the width, the width twice, then the WHERE's.
SELECT b.bucket_us, coalesce(c.count, 0) AS count
FROM range(?, ? + 1, ?) AS b(bucket_us)
LEFT JOIN (
    SELECT (epoch_us(ts) // ?) * ? AS bucket_us, count(*) AS count
    FROM events
    {where}
    GROUP BY 1
) AS c USING (bucket_us)
ORDER BY 1
