-- The top values of several fields in one scan: one grouping set per field ({keys}:
-- `CAST(expr AS VARCHAR) AS kN`, {names}: `kN, ...`), each keeping its `?` commonest
-- values; `field` is the grouping id, which tells the set a row belongs to.
SELECT grouping_id({names}) AS field, coalesce({names}) AS value, count(*) AS count
FROM (SELECT {keys} FROM events {where})
GROUP BY GROUPING SETS ({sets})
QUALIFY row_number() OVER (
    PARTITION BY grouping_id({names}) ORDER BY count(*) DESC, coalesce({names}) NULLS LAST
) <= ?
ORDER BY field, count DESC, value NULLS LAST
