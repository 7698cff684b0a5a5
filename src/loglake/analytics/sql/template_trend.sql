-- Events per template and time bucket: bucket = (ts - start) // width (both in us, bound
-- first), then the where clause's values; '' for events without a template_id.
SELECT coalesce(template_id, '') AS template_id, (epoch_us(ts) - ?) // ? AS bucket, count(*) AS n
FROM events
{where}
GROUP BY ALL
