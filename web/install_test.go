package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"strings"
	"testing"
)

// TestInstallable checks what a phone needs to put flashd on its home
// screen: a manifest whose icons are served at the sizes it gives, theme
// colours for both colour schemes, and a favicon.
func TestInstallable(t *testing.T) {
	srv, _, c := startServer(t)
	resp, body := c.get("/manifest.webmanifest")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/manifest+json" {
		t.Fatalf("manifest: status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var m webManifest
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("manifest %s: %v", body, err)
	}
	if m.Name != "flashd" || m.ShortName == "" || m.StartURL != "/" || m.Display != "standalone" || m.ThemeColor == "" || m.BackgroundColor == "" {
		t.Errorf("manifest %+v", m)
	}
	sizes := map[string]bool{}
	for _, icon := range m.Icons {
		w, h := pngSize(t, c, icon.Src, icon.Type)
		if got := fmt.Sprintf("%dx%d", w, h); got != icon.Sizes {
			t.Errorf("icon %s is %s, the manifest says %s", icon.Src, got, icon.Sizes)
		}
		sizes[icon.Sizes] = true
	}
	if !sizes["192x192"] || !sizes["512x512"] {
		t.Errorf("manifest icons %v: want 192x192 and 512x512", m.Icons)
	}
	if w, h := pngSize(t, c, "/favicon.ico", "image/png"); w != 32 || h != 32 {
		t.Errorf("favicon is %dx%d, want 32x32", w, h)
	}

	// Anyone may fetch them: a browser asks before anyone logs in.
	for _, path := range []string{"/manifest.webmanifest", "/favicon.ico"} {
		if resp, err := srv.Client().Get(srv.URL + path); err != nil || resp.StatusCode != 200 {
			t.Errorf("GET %s logged out: %v %v", path, resp, err)
		}
	}

	_, page := c.get("/")
	for _, want := range []string{
		`<link rel="manifest" href="/manifest.webmanifest">`,
		`<meta name="theme-color" content="` + themeLight + `" media="(prefers-color-scheme: light)">`,
		`<meta name="theme-color" content="` + themeDark + `" media="(prefers-color-scheme: dark)">`,
		`<link rel="icon" href="/static/favicon.png?v=`,
		`<link rel="apple-touch-icon" href="/static/icon-192.png?v=`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
}

// pngSize fetches a PNG and returns its size.
func pngSize(t *testing.T, c *client, path, wantType string) (int, int) {
	t.Helper()
	resp, body := c.get(path)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != wantType {
		t.Fatalf("GET %s: status %d, type %q", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	cfg, err := png.DecodeConfig(bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return cfg.Width, cfg.Height
}

// TestPageOutline checks every page, logged in and out: one h1, and a
// skip link first in the body that leads to the main content.
func TestPageOutline(t *testing.T) {
	srv, _, c := startServer(t)
	visitor := newClient(t, srv)
	pages := []struct {
		c     *client
		paths []string
	}{
		{c, []string{"/", "/review", "/decks", "/decks/aws-dva-c02-containers", "/groups", "/stats", "/leeches", "/settings"}},
		{visitor, []string{"/login", "/signup"}},
	}
	for _, group := range pages {
		for _, path := range group.paths {
			resp, body := group.c.get(path)
			if resp.StatusCode != 200 {
				t.Errorf("GET %s: status %d", path, resp.StatusCode)
				continue
			}
			if n := strings.Count(body, "<h1"); n != 1 {
				t.Errorf("GET %s: %d h1 elements, want 1", path, n)
			}
			_, afterBody, _ := strings.Cut(body, "<body>")
			if !strings.HasPrefix(strings.TrimSpace(afterBody), `<a class="skip" href="#main">Skip to content</a>`) {
				t.Errorf("GET %s: the body does not open with the skip link", path)
			}
			if !strings.Contains(body, `<main id="main">`) {
				t.Errorf("GET %s: no main element for the skip link", path)
			}
		}
	}
}
