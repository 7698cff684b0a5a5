-- Authentication attempts by result, with the time range they cover.
SELECT
    coalesce(count_if(result = 'success'), 0) AS success,
    coalesce(count_if(result = 'failure'), 0) AS failure,
    count(DISTINCT user) AS users,
    count(DISTINCT client_ip) AS client_ips,
    min(ts) AS first_ts,
    max(ts) AS last_ts
FROM authentications
{where}
