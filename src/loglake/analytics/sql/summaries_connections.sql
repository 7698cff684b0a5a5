-- Dataset summary: connection events, the peak of open connections and distinct clients.
SELECT
    count(*) FILTER (WHERE event = 'accepted') AS accepted,
    count(*) FILTER (WHERE event = 'ended') AS ended,
    count(*) FILTER (WHERE event = 'metadata') AS metadata,
    max(connection_count) AS peak_open,
    count(DISTINCT client_ip) AS unique_hosts
FROM read_parquet(?, hive_partitioning = false)
