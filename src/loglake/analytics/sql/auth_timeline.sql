-- Successes and failures per time bucket (width in microseconds, bound twice).
SELECT
    (epoch_us(ts) // ?) * ? AS bucket_us,
    count_if(result = 'success') AS success,
    count_if(result = 'failure') AS failure
FROM authentications
{where}
GROUP BY 1
ORDER BY 1
