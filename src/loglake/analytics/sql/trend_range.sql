-- The time range the filters cover, to choose a bucket width.
SELECT epoch_us(min(ts)) AS first_us, epoch_us(max(ts)) AS last_us
FROM {stream}
{where}
