-- Events per template and level (the normalized level, else the format's own severity);
-- '' stands for events written before templates were mined (template_id NULL).
SELECT coalesce(template_id, '') AS template_id, coalesce(level, trim(severity), '') AS level,
    count(*) AS n
FROM events
{where}
GROUP BY ALL
