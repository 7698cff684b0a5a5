-- Authentication attempts by result, with the time range they cover.
SELECT
    count_if(result = 'success') AS success,
    count_if(result = 'failure') AS failure,
    count(DISTINCT user) AS users,
    count(DISTINCT client_ip) AS client_ips,
    min(ts) AS first_ts,
    max(ts) AS last_ts
FROM authentications
{where}
