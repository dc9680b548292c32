-- The log-in throttle's recent attempts (see store/throttle.go), in the
-- database so that every replica on it shares them: one row per throttle
-- key (a username from one address, or an address) of every password
-- check reserved, pending while the check runs, then a failure counted
-- until it leaves its key's window, or deleted when the check did not
-- fail. Rows are deleted as they leave their windows, and the table is
-- capped, so it never grows without bound.
CREATE TABLE login_attempts (
    id           INTEGER PRIMARY KEY,
    throttle_key TEXT    NOT NULL,
    at           INTEGER NOT NULL, -- reserved at, then failed at
    expires_at   INTEGER NOT NULL, -- at plus the key's window: when it stops counting
    pending      INTEGER NOT NULL  -- 1 while the check runs
);
CREATE INDEX login_attempts_key ON login_attempts (throttle_key, at);
CREATE INDEX login_attempts_expiry ON login_attempts (expires_at);
