package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"mime"
	"net/http"
	"path"

	"github.com/labstack/echo/v4"
)

//go:embed static
var staticFS embed.FS

// assets are the embedded static files, each with a hash of its content
// that goes into its URL, so browsers may cache it for good.
type assets struct {
	files map[string][]byte
	hash  map[string]string
}

func loadAssets() (*assets, error) {
	as := &assets{files: map[string][]byte{}, hash: map[string]string{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		name := path.Base(p)
		as.files[name] = b
		as.hash[name] = hex.EncodeToString(sum[:6])
		return nil
	})
	return as, err
}

// url returns the URL of a static file, with its content hash.
func (as *assets) url(name string) string {
	return "/static/" + name + "?v=" + as.hash[name]
}

// handleStatic serves an embedded static file. A request carrying the
// current hash may be cached for a year.
func (s *Server) handleStatic(c echo.Context) error {
	name := c.Param("name")
	b, ok := s.assets.files[name]
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound, "No such file.")
	}
	h := c.Response().Header()
	if c.QueryParam("v") == s.assets.hash[name] {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	h.Set("ETag", `"`+s.assets.hash[name]+`"`)
	if c.Request().Header.Get("If-None-Match") == `"`+s.assets.hash[name]+`"` {
		return c.NoContent(http.StatusNotModified)
	}
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	return c.Blob(http.StatusOK, ctype, b)
}

// The web app manifest lets a phone install flashd on its home screen
// (an icon, a name, a window without the browser's bars). Its theme
// colour is the light theme's background; the layout's theme-color
// meta tags give each colour scheme its own.
const (
	themeLight = "#fbfbf8" // --bg in style.css, light
	themeDark  = "#16181b" // --bg in style.css, dark
)

// webManifest is the manifest's JSON.
type webManifest struct {
	Name            string         `json:"name"`
	ShortName       string         `json:"short_name"`
	Description     string         `json:"description"`
	StartURL        string         `json:"start_url"`
	Scope           string         `json:"scope"`
	Display         string         `json:"display"`
	BackgroundColor string         `json:"background_color"`
	ThemeColor      string         `json:"theme_color"`
	Icons           []manifestIcon `json:"icons"`
}

type manifestIcon struct {
	Src     string `json:"src"`
	Sizes   string `json:"sizes"`
	Type    string `json:"type"`
	Purpose string `json:"purpose"`
}

// handleManifest serves the web app manifest.
func (s *Server) handleManifest(c echo.Context) error {
	m := webManifest{
		Name: "flashd", ShortName: "flashd",
		Description: "Spaced-repetition flashcards for you and your study group.",
		StartURL:    "/", Scope: "/", Display: "standalone",
		BackgroundColor: themeLight, ThemeColor: themeLight,
		Icons: []manifestIcon{
			{Src: s.assets.url("icon-192.png"), Sizes: "192x192", Type: "image/png", Purpose: "any"},
			{Src: s.assets.url("icon-512.png"), Sizes: "512x512", Type: "image/png", Purpose: "any"},
		},
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, "application/manifest+json", b)
}

// handleFavicon answers the browsers and tools that ask for
// /favicon.ico whatever the page says: the 32-pixel icon, as PNG (which
// every browser accepts there).
func (s *Server) handleFavicon(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=86400")
	return c.Blob(http.StatusOK, "image/png", s.assets.files["favicon.png"])
}
