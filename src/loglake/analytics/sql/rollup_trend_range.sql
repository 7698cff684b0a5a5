-- trend_range.sql from the hourly rollup: the time range the filters cover.
SELECT epoch_us(min(first_ts)) AS first_us, epoch_us(max(last_ts)) AS last_us
FROM slow_queries_hourly
{where}
