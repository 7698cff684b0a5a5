-- The rows of one rollup that the filters select (parts of a durations source).
SELECT * FROM {rollup} {where}
