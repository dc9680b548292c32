package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/flashd/flashd/srs"
	"github.com/flashd/flashd/store"
)

//go:embed templates/*.html
var templateFS embed.FS

// pages holds every page template, each parsed with the layout and
// partials.
type pages struct {
	byName map[string]*template.Template
}

// parsePages parses templates/layout.html and templates/_*.html once, then
// one clone per page file.
func parsePages(as *assets) (*pages, error) {
	funcs := template.FuncMap{
		"static":      as.url,
		"trusted":     trusted,
		"leechLapses": func() int { return srs.LeechLapses },
		"percent":     func(f float64) string { return fmt.Sprintf("%.0f%%", 100*f) },
		"daysAgo":     daysAgo,
		"spent":       formatSpent,
		"ranges":      func() []int { return []int{30, 90, 365} },
		"interval":    formatInterval,
		"phaseName":   func(p srs.Phase) string { return strings.ToLower(p.String()) },
		"when":        func(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04 UTC") },
	}
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/_*.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	ps := &pages{byName: map[string]*template.Template{}}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" || strings.HasPrefix(name, "_") {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, f)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", f, err)
		}
		ps.byName[name] = t
	}
	return ps, nil
}

// layout is what every page passes to the layout template.
type layout struct {
	Title string
	CSRF  string      // the token unsafe requests must carry
	User  *store.User // nil for visitors
}

// layout returns the layout fields for the current request.
func (s *Server) layout(c echo.Context, title string) layout {
	return layout{Title: title, CSRF: csrfToken(c), User: currentUser(c)}
}

// isHTMX reports whether htmx sent the request.
func isHTMX(c echo.Context) bool { return c.Request().Header.Get("HX-Request") == "true" }

// isFragment reports whether htmx asked for the page's content only. A
// boosted link or a history restore swaps the whole body, so it needs the
// whole page.
func isFragment(c echo.Context) bool {
	h := c.Request().Header
	return isHTMX(c) && h.Get("HX-Boosted") != "true" && h.Get("HX-History-Restore-Request") != "true"
}

// render executes a page into a buffer, so that a template error becomes a
// clean 500 instead of half a page, and writes it.
func (s *Server) render(c echo.Context, status int, name string, data any) error {
	root := "layout"
	if isFragment(c) {
		root = "content"
	}
	return s.renderTemplate(c, status, name, root, data)
}

// renderTemplate executes one named template of a page.
func (s *Server) renderTemplate(c echo.Context, status int, name, root string, data any) error {
	t, ok := s.pages.byName[name]
	if !ok {
		return fmt.Errorf("no page template %q", name)
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, root, data); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	return c.HTMLBlob(status, b.Bytes())
}

// trusted marks HTML that was sanitised when its deck was imported.
func trusted(s string) template.HTML { return template.HTML(s) }

// daysAgo says how long ago a day was, given as days before today (-1 for
// never).
func daysAgo(days int) string {
	switch {
	case days < 0:
		return "never"
	case days == 0:
		return "today"
	case days == 1:
		return "yesterday"
	}
	return fmt.Sprintf("%d days ago", days)
}
