-- the live advisor's newest snapshot (loglake pg collect)
SELECT snapshot_id, captured_at, server
FROM pg_statements
ORDER BY captured_at DESC
LIMIT 1
