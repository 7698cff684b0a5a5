-- Successes and failures per time bucket (width in microseconds, bound twice).
SELECT
    (epoch_us(ts) // ?) * ? AS bucket_us,
    coalesce(count_if(result = 'success'), 0) AS success,
    coalesce(count_if(result = 'failure'), 0) AS failure
FROM authentications
{where}
GROUP BY 1
ORDER BY 1
