package store

import (
	"context"
	"testing"
	"time"
)

func TestPasswordRules(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	for _, tt := range []struct{ name, password string }{
		{"dora", "Password1"},      // common, any case
		{"erin", "qwertyuiop"},     // common
		{"frank1234", "FRANK1234"}, // the username
		{"gus", "short"},           // too short
	} {
		if _, err := db.CreateUser(ctx, tt.name, tt.password, false, SignUpByAdmin); ErrorCode(err) != EInvalid {
			t.Errorf("CreateUser(%q, %q): %v, want EInvalid", tt.name, tt.password, err)
		}
	}
	if _, err := db.CreateUser(ctx, "hana", "correct horse battery", false, SignUpByAdmin); err != nil {
		t.Errorf("a good password: %v", err)
	}
}

// TestSessionsSelfService: the session list, revoking one (not another
// user's), the cap on sessions, the idle timeout, and a password change
// that ends the other sessions.
func TestSessionsSelfService(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return clock }
	ann, _ := db.CreateUser(ctx, "ann", "ann-secret-pw", false, SignUpByAdmin)
	bob, _ := db.CreateUser(ctx, "bob", "bob-secret-pw", false, SignUpByAdmin)
	var tokens []string
	for i := range MaxSessions + 2 {
		clock = clock.Add(time.Minute)
		tok, err := db.CreateSession(ctx, ann.ID, "browser "+string(rune('A'+i)))
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, tok)
	}
	list, err := db.Sessions(ctx, ann, tokens[len(tokens)-1])
	if err != nil || len(list) != MaxSessions || !list[0].Current || list[0].UserAgent != "browser L" {
		t.Fatalf("sessions after %d log-ins: %d, %+v, %v", MaxSessions+2, len(list), list[0], err)
	}
	if _, _, err := db.SessionUser(ctx, tokens[0]); ErrorCode(err) != EUnauthorized {
		t.Errorf("the oldest session beyond the cap: %v", err)
	}
	bobTok, _ := db.CreateSession(ctx, bob.ID, "bob's")
	bobList, _ := db.Sessions(ctx, bob, bobTok)
	if err := db.RevokeSession(ctx, ann, bobList[0].ID); ErrorCode(err) != ENotFound {
		t.Errorf("revoking another user's session: %v", err)
	}
	if err := db.RevokeSession(ctx, ann, list[1].ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SessionUser(ctx, tokens[len(tokens)-2]); ErrorCode(err) != EUnauthorized {
		t.Errorf("a revoked session: %v", err)
	}
	// Idle: a session unused for SessionIdle ends; use keeps it alive.
	clock = clock.Add(SessionIdle - time.Hour)
	if _, _, err := db.SessionUser(ctx, tokens[len(tokens)-1]); err != nil {
		t.Fatalf("a session used within the idle timeout: %v", err)
	}
	clock = clock.Add(2 * time.Hour)
	if _, _, err := db.SessionUser(ctx, tokens[len(tokens)-1]); err != nil {
		t.Errorf("a session used an hour ago: %v", err)
	}
	if _, _, err := db.SessionUser(ctx, tokens[len(tokens)-3]); ErrorCode(err) != EUnauthorized {
		t.Errorf("a session idle for longer than SessionIdle: %v", err)
	}
	// A password change ends the other sessions.
	other, _ := db.CreateSession(ctx, ann.ID, "other")
	bobTok, _ = db.CreateSession(ctx, bob.ID, "bob's, again")
	keep := tokens[len(tokens)-1]
	if err := db.ChangePassword(ctx, ann, "wrong", "a-new-secret", keep); ErrorCode(err) != EUnauthorized {
		t.Errorf("wrong current password: %v", err)
	}
	if err := db.ChangePassword(ctx, ann, "ann-secret-pw", "password123", keep); ErrorCode(err) != EInvalid {
		t.Errorf("a common new password: %v", err)
	}
	if err := db.ChangePassword(ctx, ann, "ann-secret-pw", "a-new-secret", keep); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SessionUser(ctx, other); ErrorCode(err) != EUnauthorized {
		t.Errorf("another session after the change: %v", err)
	}
	if _, _, err := db.SessionUser(ctx, keep); err != nil {
		t.Errorf("the session that changed it: %v", err)
	}
	if _, err := db.Authenticate(ctx, "ann", "a-new-secret"); err != nil {
		t.Errorf("log-in with the new password: %v", err)
	}
	if _, _, err := db.SessionUser(ctx, bobTok); err != nil {
		t.Errorf("bob's session after ann changed her password: %v", err)
	}
}

func TestDisableUser(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	admin, _ := db.CreateUser(ctx, "root", "root-secret-pw", false, SignUpByAdmin) // the first: admin
	ann, _ := db.CreateUser(ctx, "ann", "ann-secret-pw", false, SignUpByAdmin)
	tok, _ := db.CreateSession(ctx, ann.ID)
	if err := db.SetDisabled(ctx, ann, "root", true); ErrorCode(err) != EForbidden {
		t.Errorf("a member disabling the admin: %v", err)
	}
	if err := db.SetDisabled(ctx, admin, "root", true); ErrorCode(err) != EInvalid {
		t.Errorf("the admin disabling themselves: %v", err)
	}
	if err := db.SetDisabled(ctx, admin, "nobody", true); ErrorCode(err) != ENotFound {
		t.Errorf("an unknown user: %v", err)
	}
	if err := db.SetDisabled(ctx, admin, "ANN", true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SessionUser(ctx, tok); ErrorCode(err) != EUnauthorized {
		t.Errorf("a disabled user's session: %v", err)
	}
	if _, err := db.Authenticate(ctx, "ann", "ann-secret-pw"); ErrorCode(err) != EForbidden {
		t.Errorf("a disabled user's log-in: %v", err)
	}
	if err := db.SetDisabled(ctx, admin, "ann", false); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Authenticate(ctx, "ann", "ann-secret-pw"); err != nil {
		t.Errorf("log-in once enabled again: %v", err)
	}
}
