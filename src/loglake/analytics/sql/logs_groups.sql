-- Filtered events counted by the values of one or more fields ({keys}: `expr AS kN`,
-- {names}: `kN, ...`), commonest first; `groups` is how many groups there are in all.
SELECT {names}, count(*) AS count, count(*) OVER () AS groups
FROM (SELECT {keys} FROM events {where})
GROUP BY ALL
ORDER BY count DESC, {names} NULLS LAST
LIMIT ?
