-- The row of one stream at a line's position, in the files that can hold it.
SELECT * FROM read_parquet(?, hive_partitioning = false)
WHERE file_id = ? AND file_offset = ?
LIMIT 1
