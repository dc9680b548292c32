package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
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
