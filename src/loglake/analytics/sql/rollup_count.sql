-- count.sql from a rollup: how many slow queries the filters select ({rows}: count or n).
SELECT coalesce(sum({rows}), 0) AS total FROM {rollup} {where}
