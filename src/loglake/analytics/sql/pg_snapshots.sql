-- the snapshots in the lake, newest first
SELECT snapshot_id, server, max(captured_at) AS captured_at, count(*) AS statements
FROM pg_statements
GROUP BY snapshot_id, server
ORDER BY captured_at DESC
