-- How many rows of an alert rule each group has, in the order of alert_rows.sql.
SELECT {group} AS grp, count(*) AS n
FROM {stream}
{where}
GROUP BY 1
ORDER BY 1
