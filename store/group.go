package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/flashd/flashd/srs"
)

// Role is a member's role in a group.
type Role string

// The roles. The owner created the group and alone may manage members,
// invitations, the exam date and the group itself; maintainers may also
// upload decks; members study.
const (
	RoleOwner      Role = "owner"
	RoleMaintainer Role = "maintainer"
	RoleMember     Role = "member"
)

// CanUpload reports whether the role may add and update the group's decks.
func (r Role) CanUpload() bool { return r == RoleOwner || r == RoleMaintainer }

// Group is a study group as one of its members sees it.
type Group struct {
	ID              int64  `db:"id"`
	Name            string `db:"name"`
	InviteCode      string `db:"invite_code"`
	InviteExpiresAt *int64 `db:"invite_expires_at"`
	ExamAt          *int64 `db:"exam_at"`
	CreatedAt       int64  `db:"created_at"`
	Role            Role   `db:"role"`      // the viewer's role
	Anonymous       bool   `db:"anonymous"` // the viewer appears anonymously
	Members         int    `db:"members"`
}

// MaxGroupName is the longest group name.
const MaxGroupName = 100

const groupColumns = `g.id, g.name, g.invite_code, g.invite_expires_at, g.exam_at, g.created_at, m.role, m.anonymous,
	(SELECT COUNT(*) FROM group_members x WHERE x.group_id = g.id) AS members`

// CreateGroup creates a group owned by u.
func (db *DB) CreateGroup(ctx context.Context, u *User, name string) (*Group, error) {
	name = strings.Join(strings.Fields(name), " ")
	if name == "" || len(name) > MaxGroupName {
		return nil, Errorf(EInvalid, "A group name is 1 to %d characters.", MaxGroupName)
	}
	if err := checkDisplayName(name); err != nil {
		return nil, err
	}
	var id int64
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		now := db.now()
		if err := tx.GetContext(ctx, &id, `INSERT INTO groups (name, invite_code, created_at) VALUES (?, ?, ?) RETURNING id`, name, randomToken(16), now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO group_members (group_id, user_id, role, joined_at) VALUES (?, ?, 'owner', ?)`, id, u.ID, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create group: %w", err)
	}
	return db.Group(ctx, u, id)
}

// Groups lists the groups u belongs to, by name.
func (db *DB) Groups(ctx context.Context, u *User) ([]Group, error) {
	var gs []Group
	err := db.ro.SelectContext(ctx, &gs, `SELECT `+groupColumns+` FROM groups g JOIN group_members m ON m.group_id = g.id AND m.user_id = ?
		ORDER BY g.name, g.id`, u.ID)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	return gs, nil
}

// Group returns a group u belongs to, or ENotFound: to anyone else a group
// does not exist.
func (db *DB) Group(ctx context.Context, u *User, id int64) (*Group, error) {
	return getGroup(ctx, db.ro, u.ID, id)
}

func getGroup(ctx context.Context, q sqlx.QueryerContext, userID, groupID int64) (*Group, error) {
	var g Group
	err := sqlx.GetContext(ctx, q, &g, `SELECT `+groupColumns+` FROM groups g JOIN group_members m ON m.group_id = g.id AND m.user_id = ?
		WHERE g.id = ?`, userID, groupID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENotFound, "Group not found.")
	}
	if err != nil {
		return nil, fmt.Errorf("get group %d: %w", groupID, err)
	}
	return &g, nil
}

// groupAccess is who may do a group action: members with one of the
// roles in need, or any member when need is empty. what names the action
// in a refusal.
type groupAccess struct {
	need []Role
	what string
}

// check returns EForbidden unless a member of g may do the action.
func (a groupAccess) check(g *Group) error {
	if len(a.need) == 0 {
		return nil
	}
	for _, r := range a.need {
		if g.Role == r {
			return nil
		}
	}
	return Errorf(EForbidden, "Only the group's %s can %s.", a.need[0], a.what)
}

// The access of the actions that ask for confirmation first: checked once
// by their preview, before asking, and again when the action is done.
var (
	rotateInviteAccess = groupAccess{[]Role{RoleOwner}, "change the invite link"}
	removeMemberAccess = groupAccess{[]Role{RoleOwner}, "remove members"}
	deleteGroupAccess  = groupAccess{[]Role{RoleOwner}, "delete the group"}
	leaveGroupAccess   = groupAccess{} // but see checkLeave
)

// inGroup runs fn in a write transaction after checking that u belongs to
// the group and has its access.
func (db *DB) inGroup(ctx context.Context, u *User, groupID int64, a groupAccess, fn func(tx *sqlx.Tx, g *Group) error) error {
	return db.write(ctx, func(tx *sqlx.Tx) error {
		g, err := getGroup(ctx, tx, u.ID, groupID)
		if err != nil {
			return err
		}
		if err := a.check(g); err != nil {
			return err
		}
		return fn(tx, g)
	})
}

// InviteValid reports whether a group's invite code still works at now.
func inviteValid(g *Group, now int64) bool {
	return g.InviteExpiresAt == nil || *g.InviteExpiresAt > now
}

// GroupByInvite returns the name and id of the group an invite code opens,
// or ENotFound for an unknown or expired code.
func (db *DB) GroupByInvite(ctx context.Context, code string) (*Group, error) {
	var g Group
	err := db.ro.GetContext(ctx, &g, `SELECT id, name, invite_code, invite_expires_at, exam_at, created_at FROM groups WHERE invite_code = ?`, code)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !inviteValid(&g, db.now())) {
		return nil, Errorf(ENotFound, "This invite link is unknown or has expired: ask for a new one.")
	}
	if err != nil {
		return nil, fmt.Errorf("find invite: %w", err)
	}
	return &g, nil
}

// JoinGroup adds u to the group of an invite code; joining twice is fine.
func (db *DB) JoinGroup(ctx context.Context, u *User, code string) (*Group, error) {
	g, err := db.GroupByInvite(ctx, code)
	if err != nil {
		return nil, err
	}
	err = db.write(ctx, func(tx *sqlx.Tx) error {
		r, err := tx.ExecContext(ctx, `INSERT INTO group_members (group_id, user_id, role, joined_at) VALUES (?, ?, 'member', ?)
			ON CONFLICT (group_id, user_id) DO NOTHING`, g.ID, u.ID, db.now())
		if err != nil {
			return err
		}
		if n, err := r.RowsAffected(); err != nil || n == 0 {
			return err // already a member: the learner's deck order stays
		}
		return putGroupDecksFirst(ctx, tx, u.ID, g.ID)
	})
	if err != nil {
		return nil, fmt.Errorf("join group %d: %w", g.ID, err)
	}
	return db.Group(ctx, u, g.ID)
}

// SignUpAndJoin creates an account through a group's invite link and adds
// it to the group in one transaction: an invalid or expired code creates
// no account.
func (db *DB) SignUpAndJoin(ctx context.Context, code, username, password string) (*User, *Group, error) {
	var groupID int64
	u, err := db.createUser(ctx, username, password, false, SignUpInvited, func(tx *sqlx.Tx, u *User) error {
		var g Group
		err := tx.GetContext(ctx, &g, `SELECT id, name, invite_code, invite_expires_at, exam_at, created_at FROM groups WHERE invite_code = ?`, code)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !inviteValid(&g, db.now())) {
			return Errorf(ENotFound, "This invite link is unknown or has expired: ask for a new one.")
		}
		if err != nil {
			return err
		}
		groupID = g.ID
		if _, err = tx.ExecContext(ctx, `INSERT INTO group_members (group_id, user_id, role, joined_at) VALUES (?, ?, 'member', ?)`, g.ID, u.ID, db.now()); err != nil {
			return err
		}
		return putGroupDecksFirst(ctx, tx, u.ID, g.ID)
	})
	if err != nil {
		return nil, nil, err
	}
	g, err := db.Group(ctx, u, groupID)
	return u, g, err
}

// RotateInvite replaces a group's invite code, so the old link stops
// working; validFor > 0 makes the new one expire.
func (db *DB) RotateInvite(ctx context.Context, u *User, groupID int64, validFor time.Duration) error {
	return db.inGroup(ctx, u, groupID, rotateInviteAccess, func(tx *sqlx.Tx, g *Group) error {
		var expires any
		if validFor > 0 {
			expires = db.now() + validFor.Milliseconds()
		}
		_, err := tx.ExecContext(ctx, `UPDATE groups SET invite_code = ?, invite_expires_at = ? WHERE id = ?`, randomToken(16), expires, groupID)
		return err
	})
}

// SetRole makes a member a maintainer or a plain member again.
func (db *DB) SetRole(ctx context.Context, u *User, groupID, memberID int64, role Role) error {
	if role != RoleMaintainer && role != RoleMember {
		return Errorf(EInvalid, "A member's role is maintainer or member.")
	}
	return db.inGroup(ctx, u, groupID, groupAccess{[]Role{RoleOwner}, "change roles"}, func(tx *sqlx.Tx, g *Group) error {
		r, err := tx.ExecContext(ctx, `UPDATE group_members SET role = ? WHERE group_id = ? AND user_id = ? AND role <> 'owner'`, role, groupID, memberID)
		if err == nil && rowsAffected(r) == 0 {
			return Errorf(ENotFound, "Member not found.")
		}
		return err
	})
}

// RemoveMember takes a member out of the group and replaces the invite
// link, so the member cannot come back with the old one.
func (db *DB) RemoveMember(ctx context.Context, u *User, groupID, memberID int64) error {
	return db.inGroup(ctx, u, groupID, removeMemberAccess, func(tx *sqlx.Tx, g *Group) error {
		r, err := tx.ExecContext(ctx, `DELETE FROM group_members WHERE group_id = ? AND user_id = ? AND role <> 'owner'`, groupID, memberID)
		if err == nil && rowsAffected(r) == 0 {
			return Errorf(ENotFound, "Member not found.")
		}
		if err != nil {
			return err
		}
		// The removed member knows the invite link: replace it, or they
		// could simply join again.
		_, err = tx.ExecContext(ctx, `UPDATE groups SET invite_code = ? WHERE id = ?`, randomToken(16), groupID)
		return err
	})
}

// LeaveGroup takes u out of a group. The owner cannot leave: they delete
// the group instead.
func (db *DB) LeaveGroup(ctx context.Context, u *User, groupID int64) error {
	return db.inGroup(ctx, u, groupID, leaveGroupAccess, func(tx *sqlx.Tx, g *Group) error {
		if err := checkLeave(g); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM group_members WHERE group_id = ? AND user_id = ?`, groupID, u.ID)
		return err
	})
}

// DeleteGroup deletes a group. Its decks are not deleted: they become the
// owner's private decks, so no card and no review history is lost.
func (db *DB) DeleteGroup(ctx context.Context, u *User, groupID int64) error {
	return db.inGroup(ctx, u, groupID, deleteGroupAccess, func(tx *sqlx.Tx, g *Group) error {
		// The decks become the owner's; the members keep them to study,
		// with the history they have in them.
		var ids []int64
		if err := tx.SelectContext(ctx, &ids, `SELECT id FROM decks WHERE group_id = ?`, groupID); err != nil {
			return err
		}
		now := db.now()
		for _, id := range ids {
			if err := keepReaders(ctx, tx, id, groupID, now); err != nil {
				return err
			}
			if err := recordChange(ctx, tx, id, u.ID, now, "group-deleted", ImportResult{},
				fmt.Sprintf("the group %s was deleted: now a private deck of %s, which its members keep studying", g.Name, u.Username)); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM deck_readers WHERE user_id = ? AND deck_id IN (SELECT id FROM decks WHERE group_id = ?)`, u.ID, groupID); err != nil {
			return err
		}
		// Private decks live at their owner's address (privateSlug); only
		// a private deck of the owner can hold it, and none holds it here
		// since a deck id is unique per scope.
		if _, err := tx.ExecContext(ctx, `UPDATE decks SET owner_id = ?, group_id = NULL, slug = ? || slug WHERE group_id = ?`, u.ID, privateSlug(u.ID, ""), groupID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM groups WHERE id = ?`, groupID)
		return err
	})
}

// checkLeave refuses to let the owner leave: a group always has its
// owner, who deletes it instead.
func checkLeave(g *Group) error {
	if g.Role == RoleOwner {
		return Errorf(EInvalid, "The owner cannot leave the group; delete it instead.")
	}
	return nil
}

// GroupChange is what a group action that cannot be undone would change,
// for asking to confirm it. A preview returns it after the checks the
// action makes, changing nothing.
type GroupChange struct {
	Group  *Group
	Member string // the member to remove, named as the group page names them
	Decks  int    // the group's decks
}

// preview checks that u may do an action with access a on the group and
// returns what the action would change.
func (db *DB) preview(ctx context.Context, u *User, groupID int64, a groupAccess) (*GroupChange, error) {
	g, err := db.Group(ctx, u, groupID)
	if err != nil {
		return nil, err
	}
	if err := a.check(g); err != nil {
		return nil, err
	}
	ch := &GroupChange{Group: g}
	if err := db.ro.GetContext(ctx, &ch.Decks, `SELECT COUNT(*) FROM decks WHERE group_id = ?`, groupID); err != nil {
		return nil, fmt.Errorf("count the decks of group %d: %w", groupID, err)
	}
	return ch, nil
}

// PreviewRotateInvite checks that u may replace the group's invite link.
func (db *DB) PreviewRotateInvite(ctx context.Context, u *User, groupID int64) (*GroupChange, error) {
	return db.preview(ctx, u, groupID, rotateInviteAccess)
}

// PreviewRemoveMember checks that u may remove memberID from the group,
// and names the member.
func (db *DB) PreviewRemoveMember(ctx context.Context, u *User, groupID, memberID int64) (*GroupChange, error) {
	ch, err := db.preview(ctx, u, groupID, removeMemberAccess)
	if err != nil {
		return nil, err
	}
	var m struct {
		Username  string `db:"username"`
		Anonymous bool   `db:"anonymous"`
	}
	err = db.ro.GetContext(ctx, &m, `SELECT u.username, m.anonymous FROM group_members m JOIN users u ON u.id = m.user_id
		WHERE m.group_id = ? AND m.user_id = ? AND m.role <> 'owner'`, groupID, memberID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENotFound, "Member not found.")
	}
	if err != nil {
		return nil, fmt.Errorf("get member %d of group %d: %w", memberID, groupID, err)
	}
	ch.Member = shownName(m.Username, m.Anonymous, memberID == u.ID)
	return ch, nil
}

// PreviewLeaveGroup checks that u may leave the group.
func (db *DB) PreviewLeaveGroup(ctx context.Context, u *User, groupID int64) (*GroupChange, error) {
	ch, err := db.preview(ctx, u, groupID, leaveGroupAccess)
	if err != nil {
		return nil, err
	}
	if err := checkLeave(ch.Group); err != nil {
		return nil, err
	}
	return ch, nil
}

// PreviewDeleteGroup checks that u may delete the group.
func (db *DB) PreviewDeleteGroup(ctx context.Context, u *User, groupID int64) (*GroupChange, error) {
	return db.preview(ctx, u, groupID, deleteGroupAccess)
}

// SetExamDate sets (or with the zero time clears) the date the group's
// readiness is predicted for.
func (db *DB) SetExamDate(ctx context.Context, u *User, groupID int64, at time.Time) error {
	return db.inGroup(ctx, u, groupID, groupAccess{[]Role{RoleOwner}, "set the exam date"}, func(tx *sqlx.Tx, g *Group) error {
		var v any
		if !at.IsZero() {
			v = at.UnixMilli()
		}
		_, err := tx.ExecContext(ctx, `UPDATE groups SET exam_at = ? WHERE id = ?`, v, groupID)
		return err
	})
}

// SetAnonymous chooses whether u appears by name on the group page.
func (db *DB) SetAnonymous(ctx context.Context, u *User, groupID int64, anonymous bool) error {
	return db.inGroup(ctx, u, groupID, groupAccess{}, func(tx *sqlx.Tx, g *Group) error {
		_, err := tx.ExecContext(ctx, `UPDATE group_members SET anonymous = ? WHERE group_id = ? AND user_id = ?`, anonymous, groupID, u.ID)
		return err
	})
}

// GroupUploadScope checks that u may add decks to the group and returns
// the import options that put a deck there.
func (db *DB) GroupUploadScope(ctx context.Context, u *User, groupID int64) (ImportOptions, error) {
	g, err := db.Group(ctx, u, groupID)
	if err != nil {
		return ImportOptions{}, err
	}
	if !g.Role.CanUpload() {
		return ImportOptions{}, Errorf(EForbidden, "Only the group's owner and maintainers can upload decks.")
	}
	return ImportOptions{GroupID: groupID}, nil
}

// GroupDecks lists a group's decks for one of its members, with whether
// that member paused each.
func (db *DB) GroupDecks(ctx context.Context, u *User, groupID int64) ([]DeckSummary, error) {
	if _, err := db.Group(ctx, u, groupID); err != nil {
		return nil, err
	}
	var ds []Deck
	if err := db.ro.SelectContext(ctx, &ds, `SELECT `+deckColumns+` FROM decks d WHERE d.group_id = ? ORDER BY d.title, d.id`, groupID); err != nil {
		return nil, fmt.Errorf("group decks: %w", err)
	}
	paused, err := db.pausedDecks(ctx, u)
	if err != nil {
		return nil, err
	}
	out := make([]DeckSummary, len(ds))
	for i, d := range ds {
		out[i] = DeckSummary{Deck: d, Paused: paused[d.ID]}
	}
	return out, nil
}

// pausedDecks returns the ids of the decks u paused.
func (db *DB) pausedDecks(ctx context.Context, u *User) (map[int64]bool, error) {
	var ids []int64
	if err := db.ro.SelectContext(ctx, &ids, `SELECT deck_id FROM deck_pauses WHERE user_id = ?`, u.ID); err != nil {
		return nil, fmt.Errorf("paused decks: %w", err)
	}
	m := make(map[int64]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m, nil
}

// Paused reports whether u paused the deck.
func (db *DB) Paused(ctx context.Context, u *User, deckID int64) (bool, error) {
	m, err := db.pausedDecks(ctx, u)
	return m[deckID], err
}

// SetPaused pauses a deck for u (its cards leave u's queue, progress
// kept) or resumes it.
func (db *DB) SetPaused(ctx context.Context, u *User, slug string, paused bool) error {
	d, err := db.DeckBySlug(ctx, u, slug)
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *sqlx.Tx) error {
		var err error
		if paused {
			_, err = tx.ExecContext(ctx, `INSERT INTO deck_pauses (user_id, deck_id) VALUES (?, ?) ON CONFLICT (user_id, deck_id) DO NOTHING`, u.ID, d.ID)
		} else {
			_, err = tx.ExecContext(ctx, `DELETE FROM deck_pauses WHERE user_id = ? AND deck_id = ?`, u.ID, d.ID)
		}
		return err
	})
}

// MemberReport is what the group page says of one member: a summary over
// the group's decks, never individual reviews.
type MemberReport struct {
	UserID    int64
	Name      string // "Anonymous member" for others when the member chose so
	You       bool
	Role      Role
	Anonymous bool
	Reviews7d int // ratings in the last 7 days
	Streak    int // the member's study streak, over all decks
	DueNow    int // cards due now
	Learned   int // cards in review (graduated from learning)
	// Retention30d is the share of review-state ratings passed (Hard, Good
	// or Easy) in the last 30 days, of Retention30dN ratings; -1 without
	// any.
	Retention30d  float64
	Retention30dN int
	Readiness     float64 // mean predicted recall over the group's cards at the exam date
	// LastStudiedDays is how many of the viewer's days ago the member last
	// rated one of the group's cards: 0 today, 1 yesterday; -1 never.
	LastStudiedDays int
}

// HardCard is a card the group keeps forgetting.
type HardCard struct {
	CardID     int64   `db:"card_id"`
	DeckSlug   string  `db:"deck_slug"`
	DeckTitle  string  `db:"deck_title"`
	FrontHTML  string  `db:"front_html"`
	Lapses     int     `db:"-"` // lapses summed over members
	Learners   int     `db:"-"` // members who have studied it
	MeanRecall float64 `db:"-"` // mean retrievability now over those members
}

// GroupReport is the group page's figures.
type GroupReport struct {
	Members   []MemberReport
	Cards     int       // active cards in the group's decks
	ReadyAt   time.Time // the exam date, or now when none is set
	Readiness float64   // the members' mean readiness
	Hardest   []HardCard
}

// MaxHardest is how many hardest cards the group page lists.
const MaxHardest = 10

// GroupReport computes the group page's figures for a member of the group.
// Readiness is FSRS retrievability at the exam date (now if none is set),
// averaged over the group's active cards with unseen cards counting 0.
func (db *DB) GroupReport(ctx context.Context, u *User, groupID int64) (*GroupReport, error) {
	g, err := db.Group(ctx, u, groupID)
	if err != nil {
		return nil, err
	}
	now := db.Now()
	nowMS := now.UnixMilli()
	rep := &GroupReport{ReadyAt: now}
	if g.ExamAt != nil {
		rep.ReadyAt = timeMS(*g.ExamAt)
	}

	var members []struct {
		User
		Role      Role `db:"role"`
		Anonymous bool `db:"anonymous"`
	}
	if err := db.ro.SelectContext(ctx, &members, `SELECT `+prefixed("u", userColumns)+`, m.role, m.anonymous
		FROM group_members m JOIN users u ON u.id = m.user_id WHERE m.group_id = ? ORDER BY m.joined_at, u.id`, groupID); err != nil {
		return nil, fmt.Errorf("group members: %w", err)
	}
	const groupCards = `SELECT c.id FROM cards c JOIN decks d ON d.id = c.deck_id WHERE d.group_id = ? AND c.retired_at IS NULL`
	if err := db.ro.GetContext(ctx, &rep.Cards, `SELECT COUNT(*) FROM (`+groupCards+`) AS group_cards`, groupID); err != nil {
		return nil, fmt.Errorf("group cards: %w", err)
	}

	// Ratings per member: last 7 days, and review-state ratings of the
	// last 30 days with how many passed.
	type reviewRow struct {
		UserID   int64 `db:"user_id"`
		Week     int   `db:"week"`
		Passed   int   `db:"passed"`
		Reviewed int   `db:"reviewed"`
	}
	var rrows []reviewRow
	err = db.ro.SelectContext(ctx, &rrows, `SELECT r.user_id,
		COALESCE(SUM(CASE WHEN r.reviewed_at >= ? THEN 1 ELSE 0 END), 0) AS week,
		COALESCE(SUM(CASE WHEN r.prev_phase = 2 AND r.rating >= 2 THEN 1 ELSE 0 END), 0) AS passed,
		COALESCE(SUM(CASE WHEN r.prev_phase = 2 THEN 1 ELSE 0 END), 0) AS reviewed
		FROM reviews r JOIN group_members m ON m.user_id = r.user_id AND m.group_id = ?
		WHERE r.reviewed_at >= ? AND r.undone_at IS NULL AND r.card_id IN (`+groupCards+`)
		GROUP BY r.user_id`, nowMS-7*dayMS, groupID, nowMS-30*dayMS, groupID)
	if err != nil {
		return nil, fmt.Errorf("group reviews: %w", err)
	}
	byUser := map[int64]reviewRow{}
	for _, r := range rrows {
		byUser[r.UserID] = r
	}

	// Every member's state of every group card, for due counts, learned
	// counts, readiness and the hardest cards.
	type stateRow struct {
		UserID     int64   `db:"user_id"`
		CardID     int64   `db:"card_id"`
		Phase      int     `db:"phase"`
		Due        int64   `db:"due"`
		Stability  float64 `db:"stability"`
		Lapses     int     `db:"lapses"`
		LastReview int64   `db:"last_review"`
		Suspended  bool    `db:"suspended"`
	}
	var srows []stateRow
	err = db.ro.SelectContext(ctx, &srows, `SELECT s.user_id, s.card_id, s.phase, s.due, s.stability, s.lapses, s.last_review, s.suspended
		FROM card_states s JOIN group_members m ON m.user_id = s.user_id AND m.group_id = ?
		WHERE s.card_id IN (`+groupCards+`)`, groupID, groupID)
	if err != nil {
		return nil, fmt.Errorf("group card states: %w", err)
	}
	// Each member's recall follows their own FSRS weights.
	scheds := map[int64]*srs.Scheduler{}
	for i := range members {
		scheds[members[i].ID] = srs.NewScheduler(members[i].User.Settings())
	}
	type memberAcc struct {
		due, learned int
		recall       float64
		lastReview   int64
	}
	acc := map[int64]*memberAcc{}
	type cardAcc struct {
		lapses, learners int
		recall           float64
	}
	cards := map[int64]*cardAcc{}
	for _, s := range srows {
		a := acc[s.UserID]
		if a == nil {
			a = &memberAcc{}
			acc[s.UserID] = a
		}
		if s.Phase == int(srs.New) {
			continue
		}
		a.lastReview = max(a.lastReview, s.LastReview)
		st := srs.State{Phase: srs.Phase(s.Phase), Stability: s.Stability, LastReview: timeMS(s.LastReview), Due: timeMS(s.Due)}
		sched := scheds[s.UserID]
		if !s.Suspended && s.Due <= nowMS {
			a.due++
		}
		if s.Phase == int(srs.Review) {
			a.learned++
		}
		a.recall += sched.Retrievability(st, rep.ReadyAt)
		c := cards[s.CardID]
		if c == nil {
			c = &cardAcc{}
			cards[s.CardID] = c
		}
		c.lapses += s.Lapses
		c.learners++
		c.recall += sched.Retrievability(st, now)
	}

	for _, m := range members {
		mr := MemberReport{UserID: m.ID, You: m.ID == u.ID, Role: m.Role, Anonymous: m.Anonymous, Retention30d: -1, LastStudiedDays: -1}
		mr.Name = shownName(m.Username, m.Anonymous, mr.You)
		r := byUser[m.ID]
		mr.Reviews7d = r.Week
		if r.Reviewed > 0 {
			mr.Retention30d, mr.Retention30dN = float64(r.Passed)/float64(r.Reviewed), r.Reviewed
		}
		if a := acc[m.ID]; a != nil {
			mr.DueNow, mr.Learned = a.due, a.learned
			if a.lastReview > 0 {
				viewer := u.Settings()
				mr.LastStudiedDays = int(viewer.DayNumber(now) - viewer.DayNumber(timeMS(a.lastReview)))
			}
			if rep.Cards > 0 {
				mr.Readiness = a.recall / float64(rep.Cards)
			}
		}
		user := m.User
		if mr.Streak, err = db.streak(ctx, db.ro, &user); err != nil {
			return nil, err
		}
		rep.Members = append(rep.Members, mr)
		rep.Readiness += mr.Readiness
	}
	if len(rep.Members) > 0 {
		rep.Readiness /= float64(len(rep.Members))
	}

	// The hardest cards: most lapses across members, then lowest recall.
	ids := make([]int64, 0, len(cards))
	for id, c := range cards {
		if c.lapses > 0 {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool {
		a, b := cards[ids[i]], cards[ids[j]]
		if a.lapses != b.lapses {
			return a.lapses > b.lapses
		}
		ra, rb := a.recall/float64(a.learners), b.recall/float64(b.learners)
		if ra != rb {
			return ra < rb
		}
		return ids[i] < ids[j]
	})
	if len(ids) > MaxHardest {
		ids = ids[:MaxHardest]
	}
	for _, id := range ids {
		var h HardCard
		if err := db.ro.GetContext(ctx, &h, `SELECT c.id AS card_id, d.slug AS deck_slug, d.title AS deck_title, c.front_html
			FROM cards c JOIN decks d ON d.id = c.deck_id WHERE c.id = ?`, id); err != nil {
			return nil, fmt.Errorf("hardest card %d: %w", id, err)
		}
		c := cards[id]
		h.Lapses, h.Learners, h.MeanRecall = c.lapses, c.learners, c.recall/float64(c.learners)
		rep.Hardest = append(rep.Hardest, h)
	}
	return rep, nil
}

const dayMS = int64(24 * time.Hour / time.Millisecond)

// shownName is how the group page names a member to the viewer: by
// username, but "Anonymous member" when the member chose so (to others).
func shownName(username string, anonymous, you bool) string {
	if anonymous && !you {
		return "Anonymous member"
	}
	return username
}

// checkDisplayName refuses a name others will see that is not valid
// UTF-8 or holds control characters or the Unicode bidirectional controls
// (overrides, embeddings, isolates, marks), which can make a name read as
// another or reorder the text around it.
func checkDisplayName(name string) error {
	if !utf8.ValidString(name) {
		return Errorf(EInvalid, "A group name must be valid UTF-8 text.")
	}
	for _, r := range name {
		switch {
		case unicode.IsControl(r):
			return Errorf(EInvalid, "A group name cannot hold control characters.")
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
			return Errorf(EInvalid, "A group name cannot hold characters that change the direction of text (U+%04X).", r)
		}
	}
	return nil
}
