-- Account and session self-service: a session remembers when it was last
-- used (for the idle timeout, updated at most once a minute) and the
-- browser that made it (for the session list); an administrator can
-- disable an account, which ends its sessions and refuses its log-ins.
-- Sessions open at the upgrade count as used then, so nobody is logged
-- out by it.
ALTER TABLE sessions ADD COLUMN last_seen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
UPDATE sessions SET last_seen = CAST(strftime('%s', 'now') AS INTEGER) * 1000;
ALTER TABLE users ADD COLUMN disabled_at INTEGER NOT NULL DEFAULT 0; -- 0: enabled
