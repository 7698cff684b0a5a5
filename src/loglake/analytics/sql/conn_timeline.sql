-- Per time bucket: connections opened, closed, and the most open at once (as logged).
SELECT
    (epoch_us(ts) // ?) * ? AS bucket_us,
    count_if(event = 'accepted') AS accepted,
    count_if(event = 'ended') AS ended,
    max(connection_count) AS open
FROM connections
{where}
GROUP BY 1
ORDER BY 1
