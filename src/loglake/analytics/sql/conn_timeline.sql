-- Per time bucket: connections opened, closed, and the most open at once (as logged).
SELECT
    (epoch_us(ts) // ?) * ? AS bucket_us,
    coalesce(count_if(event = 'accepted'), 0) AS accepted,
    coalesce(count_if(event = 'ended'), 0) AS ended,
    max(connection_count) AS open
FROM connections
{where}
GROUP BY 1
ORDER BY 1
