-- What the statistics read of each rating: the interval the card had
-- before it (young below 21 days, mature from 21), kept in the covering
-- index of the review log so a year of history is read from the index.

ALTER TABLE reviews ADD COLUMN prev_interval_days INTEGER NOT NULL DEFAULT 0;
UPDATE reviews SET prev_interval_days = COALESCE(json_extract(before_state, '$.scheduled_days'), 0);

CREATE INDEX reviews_user_time_stats ON reviews (user_id, reviewed_at, card_id, rating, prev_phase, prev_interval_days, undone_at);
DROP INDEX reviews_user_time_cover;
