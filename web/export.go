package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/flashd/flashd/decks/anki"
)

// fileName makes a deck title safe as a download's file name, with the
// extension ext (".csv").
func fileName(title, ext string) string {
	name := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\:*?"<>|`, r) || r < ' ' {
			return ' '
		}
		return r
	}, title)
	name = strings.Join(strings.Fields(name), " ")
	if name == "" {
		name = "deck"
	}
	return name + ext
}

// contentDisposition names a download: a plain ASCII filename for old
// clients, and the exact UTF-8 name (RFC 5987) for the rest.
func contentDisposition(name string) string {
	ascii := strings.Map(func(r rune) rune {
		switch {
		case r == '—' || r == '–':
			return '-'
		case r > '~':
			return -1
		case r == '"' || r == '\\':
			return ' '
		}
		return r
	}, name)
	v := `attachment; filename="` + ascii + `"`
	if ascii != name {
		v += "; filename*=UTF-8''" + rfc5987(name)
	}
	return v
}

// rfc5987 percent-encodes every byte of s that is not an attr-char.
func rfc5987(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// handleAnkiExport downloads a deck the user may see as an Anki CSV.
func (s *Server) handleAnkiExport(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := s.db.DeckBySlug(ctx, currentUser(c), c.Param("id"))
	if err != nil {
		return err
	}
	deck, err := s.db.AnkiDeck(ctx, d)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := anki.Write(&buf, deck); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Disposition", contentDisposition(fileName(d.Title, ".csv")))
	h.Set("Cache-Control", "private, no-cache")
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}
