-- The review queue counts and picks learning and review cards from this
-- index alone: it holds every column those queries test.
DROP INDEX card_states_due;
CREATE INDEX card_states_due ON card_states (user_id, phase, due, suspended, buried_until);
