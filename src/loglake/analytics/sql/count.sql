-- How many rows of a stream the filters select.
SELECT count(*) AS total FROM {stream} {where}
