-- Each rating records what it was scheduled with, so a learner's log can be
-- replayed (and later learned from) even after settings changed: the
-- desired retention, the maximum interval, the time zone of the study
-- clock, the FSRS parameter set, and the answer time (from showing the
-- card to the rating, capped at 60 s as Anki does; 0 when not known).
-- Older rows have the defaults: retention 0 means "not recorded".
ALTER TABLE reviews ADD COLUMN retention REAL NOT NULL DEFAULT 0;
ALTER TABLE reviews ADD COLUMN max_interval INTEGER NOT NULL DEFAULT 0;
ALTER TABLE reviews ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
ALTER TABLE reviews ADD COLUMN params TEXT NOT NULL DEFAULT '';
ALTER TABLE reviews ADD COLUMN answer_ms INTEGER NOT NULL DEFAULT 0;
