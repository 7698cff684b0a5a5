-- How many interactions the filters select.
SELECT count(*) AS total FROM interactions {where}
