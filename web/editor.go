package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/flashd/flashd/decks"
	"github.com/flashd/flashd/store"
)

// The deck editor: a deck's Markdown in a text area, checked as it is
// typed (the same file:line problems an upload gets, pointing at the
// editor's lines) with a preview of the cards as learners see them, and
// saved through the upload's own import (the same checks, and the same
// confirmation before most of a deck's cards retire). It edits a deck
// for whoever may upload it again: the owner of a private deck, the owner
// and maintainers of a group's deck; a new deck starts from decks.Starter.

// editorFile names the editor's text in problems ("deck.md:12: ...").
const editorFile = "deck.md"

// editorTarget is where an editor saves: an existing deck, or a new one
// among the user's private decks or in a group.
type editorTarget struct {
	deck  *store.Deck  // nil for a new deck
	group *store.Group // a new group deck's group
	opt   store.ImportOptions
}

// check is the rule the target adds to the format's: an existing deck
// keeps its id, so that saving replaces it rather than making another.
func (t *editorTarget) check() deckCheck {
	if t.deck == nil {
		return nil
	}
	want := t.deck.SourceID()
	return func(d *decks.Deck) *decks.Error {
		if d.ID == want {
			return nil
		}
		return &decks.Error{File: d.File, Line: d.IDLine,
			Msg: fmt.Sprintf("this editor saves the deck %q: keep \"id: %s\" (to make another deck, start a new one from the decks page)", want, want)}
	}
}

// editorPage is the deck editor.
type editorPage struct {
	layout
	Heading   string
	Action    string // where Save posts
	LintURL   string // where Check posts (and the live check)
	Group     int64  // a new group deck's group, sent back with the form
	Back      string
	BackLabel string
	Markdown  string
	Lint      lintResult
	Upload    uploadResult // the outcome of a save
}

// lintResult is what a check of the editor's text found: its problems, or
// the cards it makes.
type lintResult struct {
	Checked  bool
	Error    string // the text could not be checked (too large, empty, busy)
	Problems []lintProblem
	Cards    []cardView
	OOB      bool // the preview replaces the page's, out of band (htmx)
}

// lintProblem is one problem, with the line the editor moves to.
type lintProblem struct {
	Line int
	Text string
}

// newDeckTarget is the target of a new deck: the user's private decks, or
// the group named by group (a form or query value) for its owner and
// maintainers.
func (s *Server) newDeckTarget(c echo.Context, group string) (*editorTarget, error) {
	u := currentUser(c)
	if group == "" {
		return &editorTarget{opt: store.ImportOptions{OwnerID: u.ID}}, nil
	}
	id, err := strconv.ParseInt(group, 10, 64)
	if err != nil || id <= 0 {
		return nil, store.Errorf(store.ENotFound, "Group not found.")
	}
	ctx := c.Request().Context()
	opt, err := s.db.GroupUploadScope(ctx, u, id)
	if err != nil {
		return nil, err
	}
	g, err := s.db.Group(ctx, u, id)
	if err != nil {
		return nil, err
	}
	return &editorTarget{group: g, opt: opt}, nil
}

// editDeckTarget is the target of the deck the request's path names.
func (s *Server) editDeckTarget(c echo.Context) (*editorTarget, error) {
	d, opt, err := s.db.DeckEditScope(c.Request().Context(), currentUser(c), c.Param("id"))
	if err != nil {
		return nil, err
	}
	return &editorTarget{deck: d, opt: opt}, nil
}

// editorPage returns the editor's page for a target, holding text.
func (s *Server) editorPage(c echo.Context, t *editorTarget, text string) *editorPage {
	p := &editorPage{Markdown: text}
	switch {
	case t.deck != nil:
		p.layout = s.layout(c, "Edit "+t.deck.Title)
		p.Heading = "Edit " + t.deck.Title
		p.Action = "/decks/" + t.deck.Slug + "/edit"
		p.Back, p.BackLabel = "/decks/"+t.deck.Slug, "Back to the deck"
	case t.group != nil:
		p.layout = s.layout(c, "New deck for "+t.group.Name)
		p.Heading = "New deck for " + t.group.Name
		p.Action, p.Group = "/decks/new", t.group.ID
		p.Back, p.BackLabel = fmt.Sprintf("/groups/%d", t.group.ID), "Back to the group"
	default:
		p.layout = s.layout(c, "New private deck")
		p.Heading = "New private deck"
		p.Action = "/decks/new"
		p.Back, p.BackLabel = "/decks", "Back to the decks"
	}
	p.LintURL = p.Action + "/lint"
	return p
}

// handleNewDeck opens the editor on the starter deck, for a private deck
// or (with ?group=ID) a group's.
func (s *Server) handleNewDeck(c echo.Context) error {
	t, err := s.newDeckTarget(c, c.QueryParam("group"))
	if err != nil {
		return err
	}
	p := s.editorPage(c, t, decks.Starter)
	if err := s.lint(c, t, p); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "editor", p)
}

// handleNewDeckLint checks a new deck's text.
func (s *Server) handleNewDeckLint(c echo.Context) error {
	t, err := s.newDeckTarget(c, c.FormValue("group"))
	if err != nil {
		return err
	}
	return s.lintEditor(c, t)
}

// handleNewDeckSave imports a new deck from the editor.
func (s *Server) handleNewDeckSave(c echo.Context) error {
	t, err := s.newDeckTarget(c, c.FormValue("group"))
	if err != nil {
		return err
	}
	return s.saveEditor(c, t)
}

// handleEditDeck opens the editor on a deck's current Markdown.
func (s *Server) handleEditDeck(c echo.Context) error {
	t, err := s.editDeckTarget(c)
	if err != nil {
		return err
	}
	src, err := s.db.DeckSource(c.Request().Context(), t.deck)
	if err != nil {
		return err
	}
	if src == "" {
		return store.Errorf(store.ENotFound, "This deck was imported before flashd kept deck sources: upload it again to edit it here.")
	}
	p := s.editorPage(c, t, src)
	if err := s.lint(c, t, p); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "editor", p)
}

// handleEditDeckLint checks an edited deck's text.
func (s *Server) handleEditDeckLint(c echo.Context) error {
	t, err := s.editDeckTarget(c)
	if err != nil {
		return err
	}
	return s.lintEditor(c, t)
}

// handleEditDeckSave imports an edited deck.
func (s *Server) handleEditDeckSave(c echo.Context) error {
	t, err := s.editDeckTarget(c)
	if err != nil {
		return err
	}
	return s.saveEditor(c, t)
}

// emptyEditor is the message for an empty editor.
const emptyEditor = "The deck is empty: write its front matter and cards."

// readEditor reads the editor's text, the form field "markdown".
func readEditor(c echo.Context) (string, []byte, error) {
	src := []byte(c.FormValue("markdown"))
	return editorFile, src, checkDeckText(src, emptyEditor)
}

// lintEditor checks the editor's text: htmx gets the problems and the
// preview, a form without JavaScript the whole page. A check always
// answers 200 (htmx swaps nothing else); the deck's problems are its
// content.
func (s *Server) lintEditor(c echo.Context, t *editorTarget) error {
	p := s.editorPage(c, t, c.FormValue("markdown"))
	if err := s.lint(c, t, p); err != nil {
		return err
	}
	if isHTMX(c) {
		p.Lint.OOB = true
		return s.renderTemplate(c, http.StatusOK, "editor", "lint", p)
	}
	return s.render(c, http.StatusOK, "editor", p)
}

// lint checks the page's text as an upload of it would be (within the
// user's upload slot: parsing is the costly part), and fills p.Lint.
func (s *Server) lint(c echo.Context, t *editorTarget, p *editorPage) error {
	p.Lint.Checked = true
	user := currentUser(c).ID
	if he := s.uploads.enter(user); he != nil {
		p.Lint.Error, _ = he.Message.(string)
		return nil
	}
	defer s.uploads.leave(user)
	src := []byte(p.Markdown)
	if err := checkDeckText(src, emptyEditor); err != nil {
		var res uploadResult
		if _, ok := readFailure(&res, err); !ok {
			return err
		}
		p.Lint.Error = res.Error
		return nil
	}
	var res uploadResult
	d, err := parseDeck(c.Request().Context(), editorFile, src, t.check(), &res)
	if err != nil {
		return err
	}
	p.Lint.set(d, res.errs)
	return nil
}

// saveEditor imports the editor's text through the upload's import and
// shows the editor again with the outcome. A new deck's editor becomes
// the saved deck's.
func (s *Server) saveEditor(c echo.Context, t *editorTarget) error {
	res, d, status, err := s.importFrom(c, t.opt, readEditor, t.check())
	if err != nil {
		return err
	}
	p := s.editorPage(c, t, c.FormValue("markdown"))
	if res.Slug != "" && t.deck == nil {
		p.Action, p.Group = "/decks/"+res.Slug+"/edit", 0
		p.LintURL = p.Action + "/lint"
		p.Back, p.BackLabel = "/decks/"+res.Slug, "Back to the deck"
	}
	p.Upload = res
	p.Lint.Checked = res.errs != nil || d != nil
	p.Lint.set(d, res.errs)
	return s.render(c, status, "editor", p)
}

// set fills the result from a check: the problems, or the deck's cards.
func (l *lintResult) set(d *decks.Deck, errs decks.ErrorList) {
	for _, e := range errs {
		l.Problems = append(l.Problems, lintProblem{Line: e.Line, Text: e.Error()})
	}
	if d == nil {
		return
	}
	for i := range d.Cards {
		l.Cards = append(l.Cards, previewCardView(i+1, &d.Cards[i]))
	}
}

// previewCardView is a parsed card as the deck page shows it, numbered n
// in the preview, with the line of its heading.
func previewCardView(n int, c *decks.Card) cardView {
	v := cardView{ID: int64(n), Kind: c.Kind, Type: c.Type, Cloze: c.Cloze, Section: c.Section,
		FrontHTML: trusted(c.FrontHTML), BackHTML: trusted(c.BackHTML), Preview: true, Line: c.Line}
	for i, o := range c.Options {
		v.Options = append(v.Options, optionView{Letter: string(rune('A' + i)), Key: optionKey(i), HTML: trusted(o.HTML), Correct: o.Correct})
	}
	return v
}
