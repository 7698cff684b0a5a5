-- One interaction by its id.
SELECT * EXCLUDE (date), epoch_us(ts) AS ts_us FROM interactions WHERE interaction_id = ?
LIMIT 1
