package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"golang.org/x/crypto/bcrypt"

	"github.com/flashd/flashd/srs"
)

// Session lifetimes: a session ends SessionTTL after log-in, or once it
// has not been used for SessionIdle; a user has at most MaxSessions (a
// log-in beyond them ends the least recently used).
const (
	SessionTTL  = 30 * 24 * time.Hour
	SessionIdle = 7 * 24 * time.Hour
	MaxSessions = 10
)

// sessionTouchEvery is how stale a session's last_seen may get before a
// request writes it again: one write a minute at most, not one a request.
const sessionTouchEvery = time.Minute

// Password length limits. bcrypt reads at most 72 bytes.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 72
)

var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{1,31}$`)

// User is an account and its study settings.
type User struct {
	ID            int64   `db:"id"`
	Username      string  `db:"username"`
	PasswordHash  string  `db:"password_hash"`
	Admin         bool    `db:"is_admin"`
	TimeZone      string  `db:"time_zone"`
	Retention     float64 `db:"retention"`
	MaxInterval   int     `db:"max_interval"`
	NewPerDay     int     `db:"new_per_day"`
	ReviewsPerDay int     `db:"reviews_per_day"`
	// NewGather is how the learner's new cards are gathered from several
	// decks (srs.GatherInterleaved unless the learner chose deck order).
	NewGather srs.Gather `db:"new_gather"`
	CreatedAt int64      `db:"created_at"`
	// FSRSParams are the learner's FSRS-6 weights as srs.Params.String
	// writes them; "" means the defaults.
	FSRSParams string `db:"fsrs_params"`
	// DisabledAt is when an administrator disabled the account (Unix
	// ms), 0 while it is enabled.
	DisabledAt int64 `db:"disabled_at"`
}

// Settings returns the user's scheduling settings. An unknown time zone
// (one the system no longer knows) falls back to UTC, unreadable FSRS
// weights to the defaults.
func (u *User) Settings() srs.Settings {
	loc := location(u.TimeZone)
	return srs.Settings{Retention: u.Retention, MaxIntervalDays: u.MaxInterval,
		NewPerDay: u.NewPerDay, ReviewsPerDay: u.ReviewsPerDay, Gather: u.NewGather, Location: loc, Params: params(u.FSRSParams)}
}

// paramSets caches parsed FSRS weights by their text, as locations does
// time zones: every request that schedules needs the learner's.
var paramSets sync.Map // text -> srs.Params

// params returns the weights text names, the defaults if it is unreadable.
func params(text string) srs.Params {
	if text == "" {
		return srs.Params{}
	}
	if p, ok := paramSets.Load(text); ok {
		return p.(srs.Params)
	}
	p, err := srs.ParseParams(text)
	if err != nil {
		return srs.Params{}
	}
	paramSets.Store(text, p)
	return p
}

// locations caches time zones by name: time.LoadLocation reads and
// parses the zone file on every call, and every request needs one.
var locations sync.Map // name -> *time.Location

// location returns the named time zone, UTC if the system does not know it.
func location(name string) *time.Location {
	if loc, ok := locations.Load(name); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC // not cached: only the zones the system knows are
	}
	locations.Store(name, loc)
	return loc
}

const userColumns = `id, username, password_hash, is_admin, time_zone, retention, max_interval, new_per_day, reviews_per_day, new_gather, created_at, fsrs_params, disabled_at`

// Session is a logged-in browser.
type Session struct {
	UserID    int64  `db:"user_id"`
	CSRFToken string `db:"csrf_token"`
	ExpiresAt int64  `db:"expires_at"`
	LastSeen  int64  `db:"last_seen"`
	tokenHash string
}

// checkCredentials validates a new username and password.
func checkCredentials(username, password string) error {
	if !usernamePattern.MatchString(username) {
		return Errorf(EInvalid, "A username is 2 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit.")
	}
	return checkPassword(username, password)
}

// checkPassword applies the password rules (ASVS level 2): 8 to 72 bytes,
// not the username, and not one of the common passwords attackers try
// first.
func checkPassword(username, password string) error {
	switch {
	case len(password) < MinPasswordLen || len(password) > MaxPasswordLen:
		return Errorf(EInvalid, "A password is %d to %d bytes long.", MinPasswordLen, MaxPasswordLen)
	case strings.EqualFold(strings.TrimSpace(password), strings.TrimSpace(username)):
		return Errorf(EInvalid, "A password cannot be the username.")
	case commonPasswords()[strings.ToLower(password)]:
		return Errorf(EInvalid, "That password is one of the most common ones, which attackers try first: choose another.")
	}
	return nil
}

//go:embed common-passwords.txt
var commonPasswordList string

// commonPasswords is the set of common-passwords.txt, lower-cased.
var commonPasswords = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(commonPasswordList, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			m[strings.ToLower(line)] = true
		}
	}
	return m
})

// SignUpPolicy says who may create an account through the sign-up page.
type SignUpPolicy int

// The policies. The first account on a server may always be created and
// becomes its admin.
const (
	SignUpIfOpen  SignUpPolicy = iota // only while the admin has opened sign-up
	SignUpInvited                     // the caller holds a valid invitation
	SignUpByAdmin                     // created by an administrator (CLI)
)

// CreateUser creates an account. The first account of a server becomes
// admin; later ones are admins only when admin is set by an administrator.
// Under SignUpIfOpen it fails with EForbidden unless sign-up is open.
func (db *DB) CreateUser(ctx context.Context, username, password string, admin bool, policy SignUpPolicy) (*User, error) {
	return db.createUser(ctx, username, password, admin, policy, nil)
}

// createUser creates an account and runs then, if not nil, in the same
// transaction.
func (db *DB) createUser(ctx context.Context, username, password string, admin bool, policy SignUpPolicy, then func(*sqlx.Tx, *User) error) (*User, error) {
	username = strings.TrimSpace(username)
	if err := checkCredentials(username, password); err != nil {
		return nil, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	var u *User
	err = db.write(ctx, func(tx *sqlx.Tx) error {
		// Safe to run twice (PostgreSQL retries): admin is decided here
		// afresh from the caller's wish, never from an earlier attempt.
		admin := admin
		if db.pg {
			// The count below reads the whole table, so concurrent
			// sign-ups would fail to serialize and, a few at once, give
			// up busy: they queue on a lock instead, taken before the
			// snapshot (LOCK TABLE takes none), each then seeing the
			// accounts made before it.
			if _, err := tx.ExecContext(ctx, `LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE`); err != nil {
				return err
			}
		}
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM users`); err != nil {
			return err
		}
		if n == 0 {
			admin = true
		} else if policy == SignUpIfOpen {
			open, err := serverFlag(ctx, tx, settingOpenSignUp)
			if err != nil {
				return err
			}
			if !open {
				return Errorf(EForbidden, "Sign-up is closed on this server: ask a member for an invite link.")
			}
			admin = false
		} else if policy == SignUpInvited {
			admin = false
		}
		var exists int
		if err := tx.GetContext(ctx, &exists, `SELECT COUNT(*) FROM users WHERE username_key = ?`, strings.ToLower(username)); err != nil {
			return err
		}
		if exists > 0 {
			return Errorf(EConflict, "The username %q is taken.", username)
		}
		var id int64
		if err := tx.GetContext(ctx, &id, `INSERT INTO users (username, username_key, password_hash, is_admin, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			username, strings.ToLower(username), string(hash), admin, db.now()); err != nil {
			return err
		}
		u = &User{}
		if err := tx.GetContext(ctx, u, `SELECT `+userColumns+` FROM users WHERE id = ?`, id); err != nil {
			return err
		}
		if then != nil {
			return then(tx, u)
		}
		return nil
	})
	if err != nil {
		if ErrorCode(err) != EInternal {
			return nil, err
		}
		return nil, fmt.Errorf("create user %q: %w", username, err)
	}
	return u, nil
}

// dummyHash is compared against when a username does not exist, so that a
// failed log-in takes as long either way.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("flashd-no-such-user"), bcrypt.DefaultCost)

// Authenticate returns the user with this username and password, or an
// EUnauthorized error that does not say which was wrong.
func (db *DB) Authenticate(ctx context.Context, username, password string) (*User, error) {
	var u User
	err := db.ro.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE username_key = ?`, strings.ToLower(strings.TrimSpace(username)))
	if errors.Is(err, sql.ErrNoRows) {
		bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return nil, Errorf(EUnauthorized, "Wrong username or password.")
	}
	if err != nil {
		return nil, fmt.Errorf("find user: %w", err)
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
		return nil, Errorf(EUnauthorized, "Wrong username or password.")
	}
	if u.DisabledAt != 0 {
		return nil, Errorf(EForbidden, "This account is disabled: ask the server's administrator.")
	}
	return &u, nil
}

// UserByID returns a user, or ENotFound.
func (db *DB) UserByID(ctx context.Context, id int64) (*User, error) {
	var u User
	err := sqlx.GetContext(ctx, db.rq, &u, `SELECT `+userColumns+` FROM users WHERE id = ?`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENotFound, "User not found.")
	}
	if err != nil {
		return nil, fmt.Errorf("get user %d: %w", id, err)
	}
	return &u, nil
}

// UpdateSettings stores a user's study settings after checking them.
func (db *DB) UpdateSettings(ctx context.Context, userID int64, timeZone string, s srs.Settings) error {
	if err := s.Validate(); err != nil {
		return Errorf(EInvalid, "Settings not saved: %v.", err)
	}
	if !validTimeZone(timeZone) {
		return Errorf(EInvalid, "Settings not saved: unknown time zone %q; use an IANA name such as Europe/Berlin.", timeZone)
	}
	return db.write(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE users SET time_zone = ?, retention = ?, max_interval = ?, new_per_day = ?, reviews_per_day = ?, new_gather = ? WHERE id = ?`,
			timeZone, s.Retention, s.MaxIntervalDays, s.NewPerDay, s.ReviewsPerDay, s.Gather, userID)
		return err
	})
}

// validTimeZone reports whether name is an IANA time zone this server
// knows ("Local", the server's own, is not one a learner can mean).
func validTimeZone(name string) bool {
	_, err := time.LoadLocation(name)
	return err == nil && name != "" && name != "Local"
}

// SetTimeZone sets a learner's time zone, an IANA name: the one their
// browser reports when they sign up, for instance.
func (db *DB) SetTimeZone(ctx context.Context, userID int64, timeZone string) error {
	if !validTimeZone(timeZone) {
		return Errorf(EInvalid, "Unknown time zone %q; use an IANA name such as Europe/Berlin.", timeZone)
	}
	return db.write(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE users SET time_zone = ? WHERE id = ?`, timeZone, userID)
		return err
	})
}

// randomToken returns n random bytes, base64url-encoded.
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateSession starts a session for a user and returns the token for its
// cookie. Only a hash of the token is stored. It ends the user's least
// recently used sessions beyond MaxSessions. userAgent names the browser
// in the session list.
func (db *DB) CreateSession(ctx context.Context, userID int64, userAgent ...string) (string, error) {
	token := randomToken(32)
	now := db.now()
	agent := ""
	if len(userAgent) > 0 {
		agent = userAgent[0]
		if len(agent) > 200 {
			agent = agent[:200]
		}
		agent = strings.ToValidUTF8(agent, "")
	}
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		// Expired sessions are removed here, a few at a time, rather than
		// by a background job.
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash IN (SELECT token_hash FROM sessions WHERE expires_at < ? OR last_seen < ? LIMIT 100)`,
			now, now-SessionIdle.Milliseconds()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, last_seen, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			hashToken(token), userID, randomToken(32), now, now+SessionTTL.Milliseconds(), now, agent); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND token_hash NOT IN
			(SELECT token_hash FROM sessions WHERE user_id = ? ORDER BY last_seen DESC, created_at DESC LIMIT ?)`, userID, userID, MaxSessions)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("create session: %w", err)
	}
	return token, nil
}

// sessionUserSQL reads a session and its user in one probe.
const sessionUserSQL = `SELECT s.user_id, s.csrf_token, s.expires_at, s.last_seen, ` + userColumnsU + `
	FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?`

// userColumnsU is userColumns qualified with the alias u.
const userColumnsU = `u.id, u.username, u.password_hash, u.is_admin, u.time_zone, u.retention, u.max_interval,
	u.new_per_day, u.reviews_per_day, u.new_gather, u.created_at, u.fsrs_params, u.disabled_at`

// SessionUser returns the user and session of a session token, or
// EUnauthorized when the token is unknown or expired.
func (db *DB) SessionUser(ctx context.Context, token string) (*User, *Session, error) {
	if token == "" {
		return nil, nil, Errorf(EUnauthorized, "Please log in.")
	}
	var s Session
	var u User
	s.tokenHash = hashToken(token)
	err := db.rq.QueryRowxContext(stmtContext(ctx), sessionUserSQL, s.tokenHash).Scan(&s.UserID, &s.CSRFToken, &s.ExpiresAt, &s.LastSeen,
		&u.ID, &u.Username, &u.PasswordHash, &u.Admin, &u.TimeZone, &u.Retention, &u.MaxInterval,
		&u.NewPerDay, &u.ReviewsPerDay, &u.NewGather, &u.CreatedAt, &u.FSRSParams, &u.DisabledAt)
	now := db.now()
	if errors.Is(err, sql.ErrNoRows) || (err == nil && (s.ExpiresAt <= now || s.LastSeen <= now-SessionIdle.Milliseconds() || u.DisabledAt != 0)) {
		return nil, nil, Errorf(EUnauthorized, "Please log in.")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("get session: %w", err)
	}
	if now-s.LastSeen >= sessionTouchEvery.Milliseconds() {
		// A write once a minute at most keeps the idle timeout honest;
		// a failure only makes the session look idler than it is.
		_ = db.write(ctx, func(tx *sqlx.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen = ? WHERE token_hash = ?`, now, s.tokenHash)
			return err
		})
		s.LastSeen = now
	}
	return &u, &s, nil
}

// DeleteSession ends a session.
func (db *DB) DeleteSession(ctx context.Context, token string) error {
	return db.write(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, hashToken(token))
		return err
	})
}

// SameToken compares two secrets in constant time.
func SameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

const settingOpenSignUp = "open_signup"

func serverFlag(ctx context.Context, q sqlx.QueryerContext, name string) (bool, error) {
	var v string
	err := sqlx.GetContext(ctx, q, &v, `SELECT value FROM server_settings WHERE name = ?`, name)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return v == "1", err
}

// OpenSignUp reports whether anyone may sign up without an invitation.
func (db *DB) OpenSignUp(ctx context.Context) (bool, error) {
	return serverFlag(ctx, db.ro, settingOpenSignUp)
}

// SetOpenSignUp opens or closes sign-up; only an admin may.
func (db *DB) SetOpenSignUp(ctx context.Context, actor *User, open bool) error {
	if !actor.Admin {
		return Errorf(EForbidden, "Only an administrator can change sign-up.")
	}
	v := "0"
	if open {
		v = "1"
	}
	return db.write(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO server_settings (name, value) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, settingOpenSignUp, v)
		return err
	})
}

// UserCount returns the number of accounts.
func (db *DB) UserCount(ctx context.Context) (int, error) {
	var n int
	if err := db.ro.GetContext(ctx, &n, `SELECT COUNT(*) FROM users`); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// UserByName returns the id of the user with this name, as a string for
// forms, or ENotFound.
func (db *DB) UserByName(ctx context.Context, username string) (string, error) {
	var id int64
	err := db.ro.GetContext(ctx, &id, `SELECT id FROM users WHERE username_key = ?`, strings.ToLower(username))
	if errors.Is(err, sql.ErrNoRows) {
		return "", Errorf(ENotFound, "User not found.")
	}
	return fmt.Sprint(id), err
}

// Users returns every account, by name; with names, only those (and
// ENotFound naming the first that does not exist).
func (db *DB) Users(ctx context.Context, names ...string) ([]User, error) {
	var us []User
	if len(names) == 0 {
		if err := db.ro.SelectContext(ctx, &us, `SELECT `+userColumns+` FROM users ORDER BY username_key`); err != nil {
			return nil, fmt.Errorf("users: %w", err)
		}
		return us, nil
	}
	for _, name := range names {
		var u User
		err := db.ro.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE username_key = ?`, strings.ToLower(strings.TrimSpace(name)))
		if errors.Is(err, sql.ErrNoRows) {
			return nil, Errorf(ENotFound, "No user named %q.", name)
		}
		if err != nil {
			return nil, fmt.Errorf("user %q: %w", name, err)
		}
		us = append(us, u)
	}
	return us, nil
}

// ServerSecret returns the server's secret of this name (32 random
// bytes, base64url), made on first use and kept in the database, so that
// every process serving it signs with the same key.
func (db *DB) ServerSecret(ctx context.Context, name string) (string, error) {
	key := "secret:" + name
	var v string
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO server_settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, key, randomToken(32)); err != nil {
			return err
		}
		return tx.GetContext(ctx, &v, `SELECT value FROM server_settings WHERE name = ?`, key)
	})
	if err != nil {
		return "", fmt.Errorf("server secret %s: %w", name, err)
	}
	return v, nil
}

// SessionInfo is one of a user's sessions, for the session list.
type SessionInfo struct {
	ID        string `db:"id"` // a handle: the start of the token's hash
	CreatedAt int64  `db:"created_at"`
	LastSeen  int64  `db:"last_seen"`
	UserAgent string `db:"user_agent"`
	Current   bool   `db:"-"`
}

// sessionHandle is how many hex digits of a token's hash name a session
// in the session list (64 bits: enough to be unique among a user's).
const sessionHandle = 16

// Sessions lists the user's sessions, the most recently used first;
// current (a session token, or "") marks the caller's own.
func (db *DB) Sessions(ctx context.Context, u *User, current string) ([]SessionInfo, error) {
	var ss []SessionInfo
	err := db.ro.SelectContext(ctx, &ss, `SELECT substr(token_hash, 1, ?) AS id, created_at, last_seen, user_agent FROM sessions
		WHERE user_id = ? AND expires_at > ? AND last_seen > ? ORDER BY last_seen DESC, created_at DESC`,
		sessionHandle, u.ID, db.now(), db.now()-SessionIdle.Milliseconds())
	if err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	mine := ""
	if current != "" {
		mine = hashToken(current)[:sessionHandle]
	}
	for i := range ss {
		ss[i].Current = ss[i].ID == mine
	}
	return ss, nil
}

// RevokeSession ends one of the user's sessions by its handle
// (ENotFound for any other).
func (db *DB) RevokeSession(ctx context.Context, u *User, id string) error {
	if len(id) != sessionHandle {
		return Errorf(ENotFound, "Session not found.")
	}
	return db.write(ctx, func(tx *sqlx.Tx) error {
		r, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND substr(token_hash, 1, ?) = ?`, u.ID, sessionHandle, strings.ToLower(id))
		if err != nil {
			return err
		}
		if rowsAffected(r) == 0 {
			return Errorf(ENotFound, "Session not found.")
		}
		return nil
	})
}

// ChangePassword sets the user's password after checking the current one
// and the rules for the new one, and ends every other session of the
// user (keep is the token of the session to keep, or "").
func (db *DB) ChangePassword(ctx context.Context, u *User, current, next, keep string) error {
	var hash string
	if err := db.ro.GetContext(ctx, &hash, `SELECT password_hash FROM users WHERE id = ?`, u.ID); err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(current)) != nil {
		return Errorf(EUnauthorized, "The current password is wrong.")
	}
	if err := checkPassword(u.Username, next); err != nil {
		return err
	}
	newHash, err := bcrypt.GenerateFromPassword([]byte(next), bcrypt.DefaultCost)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	keepHash := ""
	if keep != "" {
		keepHash = hashToken(keep)
	}
	return db.write(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, string(newHash), u.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?`, u.ID, keepHash)
		return err
	})
}

// SetDisabled disables (ending every session) or enables an account; only
// an administrator may, and not their own account. A nil actor is the
// operator at the command line.
func (db *DB) SetDisabled(ctx context.Context, actor *User, username string, disabled bool) error {
	if actor != nil && !actor.Admin {
		return Errorf(EForbidden, "Only an administrator can disable accounts.")
	}
	if actor != nil && strings.EqualFold(strings.TrimSpace(username), actor.Username) {
		return Errorf(EInvalid, "You cannot disable your own account.")
	}
	return db.write(ctx, func(tx *sqlx.Tx) error {
		at := int64(0)
		if disabled {
			at = db.now()
		}
		r, err := tx.ExecContext(ctx, `UPDATE users SET disabled_at = ? WHERE username_key = ?`, at, strings.ToLower(strings.TrimSpace(username)))
		if err != nil {
			return err
		}
		if rowsAffected(r) == 0 {
			return Errorf(ENotFound, "No user named %q.", username)
		}
		if disabled {
			_, err = tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username_key = ?)`, strings.ToLower(strings.TrimSpace(username)))
		}
		return err
	})
}
