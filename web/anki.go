package web

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/flashd/flashd/decks"
	"github.com/flashd/flashd/decks/anki"
	"github.com/flashd/flashd/store"
)

// MaxAnkiUpload is the largest Anki package (or notes file) a browser may
// upload; packages carry media, so it is far above a deck's limit.
const MaxAnkiUpload = 64 << 20

// ankiUploadPath is where Anki packages are uploaded; it alone takes
// bodies up to MaxAnkiUpload.
const ankiUploadPath = "/decks/anki"

// ankiReadLimits bound what an uploaded package may unpack to in
// memory: 64 MiB compressed may hold at most twice that in media and in
// text (the command line takes anki.DefaultReadLimits).
var ankiReadLimits = anki.ReadLimits{MaxMediaBytes: 2 * MaxAnkiUpload, MaxTextBytes: 2 * MaxAnkiUpload}

// ankiLimits bound each deck an Anki upload turns into: a deck of some
// thousands of notes, so more than a hand-written upload.
var ankiLimits = decks.Limits{Bytes: 16 << 20, Cards: 20000, HTML: 64 << 20}

// handleApkgExport downloads a deck the user may see as an .apkg with the
// user's own progress and review history.
func (s *Server) handleApkgExport(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	d, err := s.db.DeckBySlug(ctx, u, c.Param("id"))
	if err != nil {
		return err
	}
	e, err := s.db.AnkiExport(ctx, d, u)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := anki.WritePackage(&buf, e); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Disposition", contentDisposition(fileName(d.Title, ".apkg")))
	h.Set("Cache-Control", "private, no-cache")
	return c.Blob(http.StatusOK, "application/apkg", buf.Bytes())
}

// handleDeckSource downloads the Markdown a deck was imported from.
func (s *Server) handleDeckSource(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := s.db.DeckBySlug(ctx, currentUser(c), c.Param("id"))
	if err != nil {
		return err
	}
	src, err := s.db.DeckSource(ctx, d)
	if err != nil {
		return err
	}
	if src == "" {
		return store.Errorf(store.ENotFound, "This deck was imported before flashd kept deck sources: upload it again to keep its Markdown here.")
	}
	h := c.Response().Header()
	h.Set("Content-Disposition", contentDisposition(fileName(d.Title, ".md")))
	h.Set("Cache-Control", "private, no-cache")
	return c.Blob(http.StatusOK, "text/markdown; charset=utf-8", []byte(src))
}

// handleMedia serves a media file of a deck the user may see. Its address
// names its content, so it may be cached for good (by the user's browser
// only).
func (s *Server) handleMedia(c echo.Context) error {
	// Echo gives the name as sent when the path needed escaping (a "," or
	// ";"): unescape it.
	name, err := url.PathUnescape(c.Param("name"))
	if err != nil {
		return store.Errorf(store.ENotFound, "Media file not found.")
	}
	ct, data, err := s.db.Media(c.Request().Context(), currentUser(c), c.Param("sum"), name)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "private, max-age=31536000, immutable")
	// A media file is never a page: nothing in it runs.
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Content-Disposition", "inline")
	return c.Blob(http.StatusOK, ct, data)
}

// ankiUploadResult is the outcome of an Anki upload, shown on the decks
// page.
type ankiUploadResult struct {
	Error    string
	Decks    []store.AnkiDeckResult
	Refusals []anki.Refusal // the first maxShownRefusals
	Refused  int            // notes refused in all
	Warnings []string
}

// maxShownRefusals is how many refused notes the page lists.
const maxShownRefusals = 100

// handleAnkiUpload imports an uploaded Anki package (or notes file) as the
// user's private decks, with the user's review history from it.
func (s *Server) handleAnkiUpload(c echo.Context) error {
	u := currentUser(c)
	res, status, err := s.importAnki(c, u)
	if err != nil {
		return err
	}
	ds, err := s.db.Decks(c.Request().Context(), u)
	if err != nil {
		return err
	}
	return s.render(c, status, "decks", &decksPage{layout: s.layout(c, "Decks"), Decks: ds, Anki: res})
}

// ankiUploadGate lets an Anki upload in only within the user's upload
// slot (one at a time, a few on the server), gives its body the time a
// large upload takes, and spools its file to disk: all before the body
// is read.
func (s *Server) ankiUploadGate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := currentUser(c)
		if he := s.uploads.enter(u.ID); he != nil {
			if he.Code == http.StatusServiceUnavailable {
				c.Response().Header().Set("Retry-After", "5")
			}
			return he
		}
		defer s.uploads.leave(u.ID)
		// The server's read timeout suits forms, not 64 MiB over a home
		// connection.
		_ = http.NewResponseController(c.Response().Writer).SetReadDeadline(time.Now().Add(AnkiUploadTimeout))
		if err := c.Request().ParseMultipartForm(1 << 20); err != nil {
			return store.Errorf(store.EInvalid, "The upload could not be read: choose the file again.")
		}
		return next(c)
	}
}

// importAnki reads and imports an Anki upload; the problems a user can
// fix come back in the result.
func (s *Server) importAnki(c echo.Context, u *store.User) (ankiUploadResult, int, error) {
	var res ankiUploadResult
	fail := func(status int, format string, args ...any) (ankiUploadResult, int, error) {
		res.Error = fmt.Sprintf(format, args...)
		return res, status, nil
	}
	fh, err := c.FormFile("package")
	if err != nil {
		return fail(http.StatusBadRequest, "Choose an Anki package (.apkg or .colpkg) or a notes file (.txt).")
	}
	if fh.Size > MaxAnkiUpload {
		return fail(http.StatusRequestEntityTooLarge, "An Anki upload may be at most %d MiB.", MaxAnkiUpload>>20)
	}
	f, err := fh.Open()
	if err != nil {
		return res, 0, err
	}
	defer f.Close()
	coll, err := anki.ReadFile(c.Request().Context(), f, fh.Size, ankiReadLimits)
	if err != nil {
		return fail(http.StatusUnprocessableEntity, "%s cannot be read, so nothing was imported: %v.", fh.Filename, err)
	}
	ctx := c.Request().Context()
	r, err := s.db.ImportAnki(ctx, coll, store.AnkiImport{
		ImportOptions: store.ImportOptions{OwnerID: u.ID, ActorID: u.ID},
		Learner:       u, Limits: ankiLimits,
	})
	res.Refused = len(r.Refusals)
	res.Refusals = r.Refusals[:min(len(r.Refusals), maxShownRefusals)]
	if err != nil {
		if ctx.Err() != nil {
			return res, 0, ctx.Err()
		}
		var re *store.RetireError
		if errors.As(err, &re) || store.ErrorCode(err) != store.EInternal {
			return fail(http.StatusUnprocessableEntity, "Nothing was imported: %s", store.ErrorMessage(err))
		}
		return res, 0, err
	}
	res.Decks, res.Warnings = r.Decks, r.Warnings
	return res, http.StatusOK, nil
}
