-- The file_id and file_offset range of every row group of a stream's files.
SELECT
    file_name,
    row_group_id,
    min(stats_min_value) FILTER (WHERE path_in_schema = 'file_id') AS id_min,
    max(stats_max_value) FILTER (WHERE path_in_schema = 'file_id') AS id_max,
    min(TRY_CAST(stats_min_value AS BIGINT)) FILTER (WHERE path_in_schema = 'file_offset')
        AS offset_min,
    max(TRY_CAST(stats_max_value AS BIGINT)) FILTER (WHERE path_in_schema = 'file_offset')
        AS offset_max
FROM parquet_metadata(?)
WHERE path_in_schema IN ('file_id', 'file_offset')
GROUP BY 1, 2
