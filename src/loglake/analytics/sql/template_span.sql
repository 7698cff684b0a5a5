-- How many events the filters select, and their time range (the trend's span).
SELECT count(*) AS total, epoch_us(min(ts)) AS first_us, epoch_us(max(ts)) AS last_us
FROM events
{where}
