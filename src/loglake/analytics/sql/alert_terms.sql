-- A new_term rule's terms: when each (group, term) first appears among the rule's rows.
SELECT {group} AS grp, {term} AS term, min(epoch_us(ts)) AS first_us
FROM {stream}
{where}
GROUP BY 1, 2
ORDER BY 1, 3, 2
