package web

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestCompression: pages, fragments and text files are gzipped for
// clients that accept it; images, range requests and tiny answers are
// not.
func TestCompression(t *testing.T) {
	srv, _, c := startServer(t)
	// A transport that leaves the encoding to the test.
	raw := &http.Client{Jar: c.http.Jar, Transport: &http.Transport{DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	fetch := func(path string, header ...string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := raw.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	for _, path := range []string{"/", "/decks/aws-dva-c02-containers", "/static/htmx.min.js", "/static/style.css"} {
		resp, b := fetch(path)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("%s: %d, Content-Encoding %q, Vary %q", path, resp.StatusCode, resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"))
			continue
		}
		zr, err := gzip.NewReader(strings.NewReader(string(b)))
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		plain, err := io.ReadAll(zr)
		if err != nil || len(plain) <= len(b) {
			t.Errorf("%s: %d bytes compressed to %d (%v)", path, len(plain), len(b), err)
		}
	}
	for _, tc := range []struct {
		path   string
		header []string
	}{
		{"/static/icon-192.png", nil},
		{"/healthz", nil},
		{"/static/htmx.min.js", []string{"Range", "bytes=0-99"}},
	} {
		if resp, _ := fetch(tc.path, tc.header...); resp.Header.Get("Content-Encoding") != "" {
			t.Errorf("%s %v: compressed (%q), want as it is", tc.path, tc.header, resp.Header.Get("Content-Encoding"))
		}
	}
}

// TestCSRFMasked: every response carries the CSRF token under a fresh
// mask, so no two pages show the same secret (BREACH); each masked value
// is accepted, a tampered one is not.
func TestCSRFMasked(t *testing.T) {
	_, _, c := startServer(t)
	seen := map[string]bool{}
	for range 3 {
		c.get("/settings")
		if seen[c.csrf] {
			t.Fatalf("two pages carry the same CSRF value %q", c.csrf)
		}
		seen[c.csrf] = true
		if strings.Count(c.csrf, "") < 40 {
			t.Fatalf("CSRF value %q too short", c.csrf)
		}
	}
	form := func(csrf string) url.Values {
		return url.Values{"retention": {"0.85"}, "new_per_day": {"5"}, "reviews_per_day": {"50"}, "max_interval": {"100"}, "time_zone": {"UTC"}, "csrf": {csrf}}
	}
	for v := range seen {
		if resp, _ := c.post("/settings", form(v)); resp.StatusCode != http.StatusOK {
			t.Errorf("a masked token of an earlier page: %d", resp.StatusCode)
		}
	}
	tampered := []byte(c.csrf)
	if tampered[5] == 'A' { // another letter of the base64 alphabet
		tampered[5] = 'B'
	} else {
		tampered[5] = 'A'
	}
	if resp, _ := c.post("/settings", form(string(tampered))); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a tampered token: %d, want 403", resp.StatusCode)
	}
	if got := unmaskToken(maskToken("secret-token")); got != "secret-token" {
		t.Errorf("unmask(mask(x)) = %q", got)
	}
	if maskToken("secret-token") == maskToken("secret-token") {
		t.Error("two masks of a token are equal")
	}
}
