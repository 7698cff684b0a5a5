-- One page of authentication attempts, newest first.
SELECT
    ts, host, user, auth_db, mechanism, result, error, error_code, connection_id,
    client_ip, client_port, file_id, file_offset, line_length
FROM {source}
{where}
ORDER BY ts DESC, file_id, file_offset DESC
LIMIT ? OFFSET ?
