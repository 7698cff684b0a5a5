-- Checkpoints (and restartpoints) started, by the reason logged (time, wal, immediate force…).
SELECT attr(attrs, '$.reason') AS reason, count(*) AS count
FROM events
{where}
GROUP BY 1
ORDER BY count DESC, reason NULLS LAST
