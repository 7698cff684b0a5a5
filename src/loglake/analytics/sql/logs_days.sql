-- How many events the filters select on each partition day (UTC): the total, and how far
-- back a page must read.
SELECT {partition} AS day, count(*) AS count
FROM events
{where}
GROUP BY 1
