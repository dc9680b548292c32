package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/flashd/flashd/decks"
	"github.com/flashd/flashd/store"
)

// MaxDeckUpload is the largest deck a browser may upload.
const MaxDeckUpload = decks.MaxUploadBytes

// groupsPage lists the user's groups.
type groupsPage struct {
	layout
	Groups []store.Group
	Error  string
}

func (s *Server) handleGroups(c echo.Context) error {
	gs, err := s.db.Groups(c.Request().Context(), currentUser(c))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "groups", &groupsPage{layout: s.layout(c, "Groups"), Groups: gs})
}

// handleCreateGroup creates a group owned by the user.
func (s *Server) handleCreateGroup(c echo.Context) error {
	g, err := s.db.CreateGroup(c.Request().Context(), currentUser(c), c.FormValue("name"))
	if err != nil {
		return err
	}
	return s.redirect(c, fmt.Sprintf("/groups/%d", g.ID))
}

// groupPage is a group as one member sees it.
type groupPage struct {
	layout
	Group      *store.Group
	InviteURL  string
	InviteNote string // when the link expires
	ExamDate   string // YYYY-MM-DD in the viewer's zone
	Decks      []store.DeckSummary
	Report     *store.GroupReport
	Upload     uploadResult
}

// uploadForm is what the upload form template needs.
type uploadForm struct {
	CSRF   string
	Action string
	Upload uploadResult
}

// UploadForm returns the group's deck upload form.
func (p *groupPage) UploadForm() uploadForm {
	return uploadForm{CSRF: p.CSRF, Action: fmt.Sprintf("/groups/%d/decks", p.Group.ID), Upload: p.Upload}
}

// UploadForm returns the private deck upload form.
func (p *decksPage) UploadForm() uploadForm {
	return uploadForm{CSRF: p.CSRF, Action: "/decks", Upload: p.Upload}
}

// uploadResult is the outcome of a deck upload, shown on the page.
type uploadResult struct {
	Problems []string // lint problems, as file:line: message
	Error    string
	Done     string // the import line
	Markdown string // the pasted text, kept after an error
	// Retire asks to confirm an upload that would retire most of the
	// deck's cards; Markdown then holds the deck to send again.
	Retire *store.RetireError
	Slug   string          // the deck's address, once imported
	errs   decks.ErrorList // the problems, with their lines
}

func parseGroupID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, store.Errorf(store.ENotFound, "Group not found.")
	}
	return id, nil
}

// groupPage loads everything the group page shows.
func (s *Server) groupPage(c echo.Context, id int64) (*groupPage, error) {
	ctx := c.Request().Context()
	u := currentUser(c)
	g, err := s.db.Group(ctx, u, id)
	if err != nil {
		return nil, err
	}
	p := &groupPage{layout: s.layout(c, g.Name), Group: g, InviteURL: c.Scheme() + "://" + c.Request().Host + "/join/" + g.InviteCode}
	loc := u.Settings().Location
	if g.InviteExpiresAt != nil {
		p.InviteNote = "expires " + time.UnixMilli(*g.InviteExpiresAt).In(loc).Format("Mon 2 Jan 2006 15:04")
	}
	if g.ExamAt != nil {
		p.ExamDate = time.UnixMilli(*g.ExamAt).In(loc).Format("2006-01-02")
	}
	if p.Decks, err = s.db.GroupDecks(ctx, u, id); err != nil {
		return nil, err
	}
	if p.Report, err = s.db.GroupReport(ctx, u, id); err != nil {
		return nil, err
	}
	return p, nil
}

func (s *Server) handleGroup(c echo.Context) error {
	id, err := parseGroupID(c)
	if err != nil {
		return err
	}
	p, err := s.groupPage(c, id)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "group", p)
}

// handleGroupAction runs one owner or member action on a group, then goes
// back to the group page (or the group list when the user left it).
// Replacing the invite link, removing a member, leaving and deleting the
// group cannot be undone: after the same checks as the action, a form
// without confirm=yes gets a page asking to confirm instead.
func (s *Server) handleGroupAction(c echo.Context) error {
	id, err := parseGroupID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	u := currentUser(c)
	member := func() (int64, error) {
		m, err := strconv.ParseInt(c.FormValue("member"), 10, 64)
		if err != nil {
			return 0, store.Errorf(store.ENotFound, "Member not found.")
		}
		return m, nil
	}
	back := fmt.Sprintf("/groups/%d", id)
	switch action := c.Param("action"); action {
	case "invite":
		days, _ := strconv.Atoi(c.FormValue("expires_days"))
		if days < 0 || days > 365 {
			return store.Errorf(store.EInvalid, "An invite link lasts 0 (no expiry) to 365 days.")
		}
		if !confirmed(c) {
			ch, err := s.db.PreviewRotateInvite(ctx, u, id)
			if err != nil {
				return err
			}
			return s.askToConfirm(c, ch.Group, inviteConfirmation(ch.Group, days), "expires_days", strconv.Itoa(days))
		}
		err = s.db.RotateInvite(ctx, u, id, time.Duration(days)*24*time.Hour)
	case "role":
		var m int64
		if m, err = member(); err == nil {
			err = s.db.SetRole(ctx, u, id, m, store.Role(c.FormValue("role")))
		}
	case "remove":
		m, err := member()
		if err != nil {
			return err
		}
		if !confirmed(c) {
			ch, err := s.db.PreviewRemoveMember(ctx, u, id, m)
			if err != nil {
				return err
			}
			return s.askToConfirm(c, ch.Group, removeConfirmation(ch.Group, ch.Member), "member", strconv.FormatInt(m, 10))
		}
		if err := s.db.RemoveMember(ctx, u, id, m); err != nil {
			return err
		}
	case "leave":
		if !confirmed(c) {
			ch, err := s.db.PreviewLeaveGroup(ctx, u, id)
			if err != nil {
				return err
			}
			return s.askToConfirm(c, ch.Group, leaveConfirmation(ch.Group))
		}
		err, back = s.db.LeaveGroup(ctx, u, id), "/groups"
	case "delete":
		if !confirmed(c) {
			ch, err := s.db.PreviewDeleteGroup(ctx, u, id)
			if err != nil {
				return err
			}
			return s.askToConfirm(c, ch.Group, deleteConfirmation(ch.Group, ch.Decks))
		}
		err, back = s.db.DeleteGroup(ctx, u, id), "/groups"
	case "exam":
		var at time.Time
		if v := strings.TrimSpace(c.FormValue("exam_date")); v != "" {
			if at, err = time.ParseInLocation("2006-01-02", v, u.Settings().Location); err != nil {
				return store.Errorf(store.EInvalid, "An exam date looks like 2027-03-01.")
			}
			at = at.Add(9 * time.Hour) // the morning of the exam
		}
		err = s.db.SetExamDate(ctx, u, id, at)
	case "anonymous":
		err = s.db.SetAnonymous(ctx, u, id, c.FormValue("anonymous") == "1")
	default:
		return store.Errorf(store.ENotFound, "Unknown group action %q.", action)
	}
	if err != nil {
		return err
	}
	return s.redirect(c, back)
}

// confirmed reports whether the form of an action that cannot be undone
// says it was confirmed: a POST without confirm=yes only asks.
func confirmed(c echo.Context) bool { return c.FormValue("confirm") == "yes" }

// confirmation is what flashd asks before a group action that cannot be
// undone. The dialog on the group page (with JavaScript) and the page
// askToConfirm renders (without) say the same.
type confirmation struct {
	Question string // the dialog's or page's heading
	Detail   string // exactly what the action does
	Button   string // the label of the button that does it
}

func inviteConfirmation(g *store.Group, days int) confirmation {
	c := confirmation{
		Question: fmt.Sprintf("Replace the invite link of %s?", g.Name),
		Detail:   "The current link stops working: anyone who has it and has not joined yet needs the new one. Members stay members.",
		Button:   "Replace the link",
	}
	switch {
	case days == 1:
		c.Detail += " The new link lasts 1 day."
	case days > 1:
		c.Detail += fmt.Sprintf(" The new link lasts %d days.", days)
	case days == 0:
		c.Detail += " The new link does not expire."
	}
	return c
}

func removeConfirmation(g *store.Group, member string) confirmation {
	return confirmation{
		Question: fmt.Sprintf("Remove %s from %s?", member, g.Name),
		Detail: "Their progress stays theirs; they lose access to the group's page and decks. " +
			"The invite link is replaced too, so they cannot join again with the one they know.",
		Button: "Remove " + member,
	}
}

func leaveConfirmation(g *store.Group) confirmation {
	return confirmation{
		Question: fmt.Sprintf("Leave %s?", g.Name),
		Detail: "You lose access to the group's page and decks. Your progress stays yours: " +
			"it is still there if you join again, which takes a new invite link.",
		Button: "Leave the group",
	}
}

func deleteConfirmation(g *store.Group, decks int) confirmation {
	var others, kept string
	switch n := g.Members - 1; n {
	case 0:
		others = "Nobody else is in the group."
	case 1:
		others = "Its other member loses the group's page, and the invite link stops working."
	default:
		others = fmt.Sprintf("Its %d other members lose the group's page, and the invite link stops working.", n)
	}
	switch decks {
	case 0:
		kept = "It has no decks."
	case 1:
		kept = "Its deck becomes your private deck; whoever studies it keeps studying it, with their progress."
	default:
		kept = fmt.Sprintf("Its %d decks become your private decks; whoever studies them keeps studying them, with their progress.", decks)
	}
	return confirmation{
		Question: fmt.Sprintf("Delete the group %s?", g.Name),
		Detail:   others + " " + kept,
		Button:   "Delete the group",
	}
}

// ConfirmInvite is what replacing the invite link asks (the new link's
// days are the form's, unknown here).
func (p *groupPage) ConfirmInvite() confirmation { return inviteConfirmation(p.Group, -1) }

// ConfirmRemove is what removing the member the page names name asks.
func (p *groupPage) ConfirmRemove(name string) confirmation {
	return removeConfirmation(p.Group, name)
}

// ConfirmLeave is what leaving the group asks.
func (p *groupPage) ConfirmLeave() confirmation { return leaveConfirmation(p.Group) }

// ConfirmDelete is what deleting the group asks.
func (p *groupPage) ConfirmDelete() confirmation { return deleteConfirmation(p.Group, len(p.Decks)) }

// confirmPage asks to confirm a group action: its form sends the
// action's own fields again, with confirm=yes.
type confirmPage struct {
	layout
	confirmation
	Action string      // the form's action: the request's own path
	Fields []formField // the action's fields
	Back   string      // where Cancel goes: the group page
}

// formField is one hidden field of a form.
type formField struct{ Name, Value string }

// askToConfirm renders the page that asks to confirm the request's action
// on group g; fields are the action's, as name and value pairs.
func (s *Server) askToConfirm(c echo.Context, g *store.Group, q confirmation, fields ...string) error {
	p := &confirmPage{
		layout:       s.layout(c, q.Question),
		confirmation: q,
		Action:       fmt.Sprintf("/groups/%d/%s", g.ID, c.Param("action")),
		Back:         fmt.Sprintf("/groups/%d", g.ID),
	}
	for i := 0; i+1 < len(fields); i += 2 {
		p.Fields = append(p.Fields, formField{fields[i], fields[i+1]})
	}
	return s.render(c, http.StatusOK, "confirm", p)
}

// readDeckUpload reads an uploaded deck: the multipart file field "deck",
// or the pasted text field "markdown".
func readDeckUpload(c echo.Context) (name string, src []byte, err error) {
	if fh, ferr := c.FormFile("deck"); ferr == nil {
		if fh.Size > MaxDeckUpload {
			return "", nil, echo.NewHTTPError(http.StatusRequestEntityTooLarge, fmt.Sprintf("A deck may be at most %d KiB.", MaxDeckUpload>>10))
		}
		f, err := fh.Open()
		if err != nil {
			return "", nil, err
		}
		defer f.Close()
		src, err = io.ReadAll(io.LimitReader(f, MaxDeckUpload+1))
		if err != nil {
			return "", nil, err
		}
		name = fh.Filename
	} else {
		src, name = []byte(c.FormValue("markdown")), "pasted.md"
	}
	return name, src, checkDeckText(src, "Choose a deck file or paste a deck.")
}

// checkDeckText refuses a deck that is too large or empty (saying empty).
func checkDeckText(src []byte, empty string) error {
	if len(src) > MaxDeckUpload {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, fmt.Sprintf("A deck may be at most %d KiB.", MaxDeckUpload>>10))
	}
	if len(strings.TrimSpace(string(src))) == 0 {
		return store.Errorf(store.EInvalid, "%s", empty)
	}
	return nil
}

// importUpload lints and imports an uploaded deck into a scope. Problems
// come back in the result with their lines; nothing is imported then.
func (s *Server) importUpload(c echo.Context, opt store.ImportOptions) (uploadResult, int, error) {
	res, _, status, err := s.importFrom(c, opt, readDeckUpload, nil)
	return res, status, err
}

// deckCheck is a rule a deck must meet on top of its format's (the deck
// editor's: the deck keeps its id), returning its problem or nil.
type deckCheck func(*decks.Deck) *decks.Error

// importFrom is importUpload with the deck read by read and, unless check
// is nil, held to check. The deck comes back parsed when it has no problem
// of its format.
func (s *Server) importFrom(c echo.Context, opt store.ImportOptions, read func(echo.Context) (string, []byte, error), check deckCheck) (uploadResult, *decks.Deck, int, error) {
	var res uploadResult
	user := currentUser(c).ID
	if he := s.uploads.enter(user); he != nil {
		res.Error = he.Message.(string)
		if he.Code == http.StatusServiceUnavailable {
			c.Response().Header().Set("Retry-After", "5")
		}
		return res, nil, he.Code, nil
	}
	defer s.uploads.leave(user)
	name, src, err := read(c)
	if err != nil {
		status, ok := readFailure(&res, err)
		if !ok {
			return res, nil, 0, err
		}
		return res, nil, status, nil
	}
	if c.FormValue("markdown") != "" {
		res.Markdown = string(src)
	}
	// Parsing and importing stop when the request does (the browser gave
	// up, or the request's deadline passed).
	ctx := c.Request().Context()
	d, err := parseDeck(ctx, name, src, check, &res)
	if err != nil || res.Problems != nil {
		return res, d, http.StatusUnprocessableEntity, err
	}
	if s.builtinIDs[d.ID] {
		res.Error = fmt.Sprintf("The deck id %q belongs to a built-in deck: choose another id in the front matter.", d.ID)
		return res, d, http.StatusConflict, nil
	}
	opt.ActorID = user
	opt.ConfirmRetire, opt.ConfirmedHash = true, c.Request().PostFormValue("confirm")
	r, err := s.db.ImportDeck(ctx, d, opt)
	var retire *store.RetireError
	if errors.As(err, &retire) {
		res.Retire, res.Markdown = retire, string(src)
		return res, d, http.StatusConflict, nil
	}
	if store.ErrorCode(err) == store.EConflict {
		res.Error = store.ErrorMessage(err)
		return res, d, http.StatusConflict, nil
	}
	if err != nil {
		return res, d, 0, err
	}
	res.Done, res.Markdown, res.Slug = r.String(), "", r.Slug
	return res, d, http.StatusOK, nil
}

// readFailure puts a deck that could not be read (too large, empty) into
// res.Error with its status; ok is false for any other error, which the
// caller returns.
func readFailure(res *uploadResult, err error) (status int, ok bool) {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		res.Error, _ = he.Message.(string)
		return he.Code, true
	}
	if store.ErrorCode(err) == store.EInvalid {
		res.Error = store.ErrorMessage(err)
		return http.StatusBadRequest, true
	}
	return 0, false
}

// parseDeck parses a deck within the upload limits, stopping when ctx is
// done. Its problems (those of its format, then check's) go to
// res.Problems and res.errs, and the deck is returned only without them.
func parseDeck(ctx context.Context, name string, src []byte, check deckCheck, res *uploadResult) (*decks.Deck, error) {
	d, err := decks.ParseContext(ctx, name, src, decks.UploadLimits)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var list decks.ErrorList
	if errors.As(err, &list) {
		res.setProblems(list)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if check != nil {
		if e := check(d); e != nil {
			res.setProblems(decks.ErrorList{e})
			return nil, nil
		}
	}
	return d, nil
}

// setProblems records a deck's problems.
func (r *uploadResult) setProblems(list decks.ErrorList) {
	r.errs = list
	for _, e := range list {
		r.Problems = append(r.Problems, e.Error())
	}
}

// handleGroupUpload adds or updates a deck of the group.
func (s *Server) handleGroupUpload(c echo.Context) error {
	id, err := parseGroupID(c)
	if err != nil {
		return err
	}
	opt, err := s.db.GroupUploadScope(c.Request().Context(), currentUser(c), id)
	if err != nil {
		return err
	}
	res, status, err := s.importUpload(c, opt)
	if err != nil {
		return err
	}
	p, err := s.groupPage(c, id)
	if err != nil {
		return err
	}
	p.Upload = res
	return s.render(c, status, "group", p)
}

// joinPage offers to join a group, or to sign up and join.
type joinPage struct {
	layout
	Group    *store.Group
	Code     string
	Username string
	Error    string
}

// handleJoin shows an invite: a button that joins for a logged-in user,
// a sign-up form that creates the account and joins for a visitor. A GET
// never joins: a link from another site must not make anyone a member.
func (s *Server) handleJoin(c echo.Context) error {
	code := c.Param("code")
	g, err := s.db.GroupByInvite(c.Request().Context(), code)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "join", &joinPage{layout: s.layout(c, "Join "+g.Name), Group: g, Code: code})
}

// handleJoinSignUp joins the group of an invite link: the logged-in user,
// or a new account it creates.
func (s *Server) handleJoinSignUp(c echo.Context) error {
	ctx := c.Request().Context()
	code := c.Param("code")
	if u := currentUser(c); u != nil {
		g, err := s.db.JoinGroup(ctx, u, code)
		if err != nil {
			return err
		}
		to, err := s.afterJoin(ctx, u, g)
		if err != nil {
			return err
		}
		return s.redirect(c, to)
	}
	g, err := s.db.GroupByInvite(ctx, code)
	if err != nil {
		return err
	}
	p := &joinPage{layout: s.layout(c, "Join "+g.Name), Group: g, Code: code, Username: strings.TrimSpace(c.FormValue("username"))}
	var u *store.User
	err = s.checkPassword(c, func(ctx context.Context) (err error) {
		u, g, err = s.db.SignUpAndJoin(ctx, code, p.Username, c.FormValue("password"))
		return err
	})
	switch store.ErrorCode(err) {
	case "":
		if err := s.detectedTimeZone(c, u); err != nil {
			return err
		}
		to, err := s.afterJoin(ctx, u, g)
		if err != nil {
			return err
		}
		return s.startSession(c, u, to)
	case store.EInvalid, store.EConflict:
		p.Error = store.ErrorMessage(err)
		return s.render(c, statusOf[store.ErrorCode(err)], "join", p)
	}
	return err
}

// afterJoin is where a new member goes: studying the group's decks when
// it has cards to study, else the group's page.
func (s *Server) afterJoin(ctx context.Context, u *store.User, g *store.Group) (string, error) {
	ds, err := s.db.GroupDecks(ctx, u, g.ID)
	if err != nil {
		return "", err
	}
	for _, d := range ds {
		if d.Cards > 0 && !d.Paused {
			return fmt.Sprintf("/review?group=%d", g.ID), nil
		}
	}
	return fmt.Sprintf("/groups/%d", g.ID), nil
}

// handleUploadPrivate adds or updates one of the user's private decks.
func (s *Server) handleUploadPrivate(c echo.Context) error {
	res, status, err := s.importUpload(c, store.ImportOptions{OwnerID: currentUser(c).ID})
	if err != nil {
		return err
	}
	ds, err := s.db.Decks(c.Request().Context(), currentUser(c))
	if err != nil {
		return err
	}
	return s.render(c, status, "decks", &decksPage{layout: s.layout(c, "Decks"), Decks: ds, Upload: res})
}

// handlePause pauses or resumes a deck for the user.
func (s *Server) handlePause(c echo.Context) error {
	if err := s.db.SetPaused(c.Request().Context(), currentUser(c), c.Param("id"), c.FormValue("paused") == "1"); err != nil {
		return err
	}
	return s.redirect(c, localPath(c.FormValue("back")))
}
