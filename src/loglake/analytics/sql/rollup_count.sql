-- count.sql from a rollup source: how many slow queries the filters select (the sum of
-- the hourly rollup's count, or of the durations' n).
SELECT coalesce(sum({rows}), 0) AS total FROM ({source})
