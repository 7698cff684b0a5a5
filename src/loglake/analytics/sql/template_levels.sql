-- Events per template and level (the normalized level, else the format's own severity).
SELECT template_id, coalesce(level, trim(severity), '') AS level, count(*) AS n
FROM events
{where}
GROUP BY ALL
