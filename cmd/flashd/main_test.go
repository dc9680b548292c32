package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// noEnv is a getenv with nothing set.
func noEnv(string) string { return "" }

// runCmd runs flashd with args and returns its stdout, stderr and error.
func runCmd(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, noEnv, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), err
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const goodDeck = "---\nid: good\ntitle: Good\n---\n### Q1\nA1\n### Q2\nA2\n"

func TestLint(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.md", goodDeck)
	bad := writeFile(t, dir, "sub/bad.md", "---\nid: bad\ntitle: Bad\n---\nstray\n### Q\n\n## Scenarios\n### S\n- [ ] a\n- [ ] b\n")
	dup := writeFile(t, dir, "sub/dup.md", strings.Replace(goodDeck, "Q1", "Other", 1))

	out, _, err := runCmd(t, "lint", good)
	if err != nil || !strings.Contains(out, "deck good ok, 2 cards") {
		t.Errorf("lint of a clean deck: err %v, out %q", err, out)
	}
	out, _, err = runCmd(t, "lint", dir)
	if !errors.Is(err, errReported) {
		t.Fatalf("lint of a folder with problems: err %v, want exit 1", err)
	}
	want := []string{
		bad + ":5: text outside any card",
		bad + ":6: card has no back",
		bad + ":9: scenario card has no correct option",
		dup + ":2: duplicate deck id \"good\" (also in " + good + ":2)",
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("lint output lacks %q:\n%s", w, out)
		}
	}
	if _, _, err := runCmd(t, "lint", filepath.Join(dir, "missing.md")); err == nil || errors.Is(err, errReported) {
		t.Errorf("lint of a missing file: got %v", err)
	}
}

func TestImportCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "flashd.db")
	deck := writeFile(t, dir, "decks/good.md", goodDeck)

	out, _, err := runCmd(t, "import", "--db", db, filepath.Join(dir, "decks"))
	if err != nil || out != "deck good: 2 added, 0 updated, 0 retired, 0 unchanged\n" {
		t.Fatalf("first import: err %v, out %q", err, out)
	}
	out, _, err = runCmd(t, "import", "--db", db, deck)
	if err != nil || out != "deck good: 0 added, 0 updated, 0 retired, 2 unchanged\n" {
		t.Errorf("second import: err %v, out %q", err, out)
	}
	writeFile(t, dir, "decks/good.md", strings.Replace(goodDeck, "A2", "A2 edited", 1)+"### Q3\nA3\n")
	out, _, err = runCmd(t, "import", "--db", db, deck)
	if err != nil || out != "deck good: 1 added, 1 updated, 0 retired, 1 unchanged\n" {
		t.Errorf("import after an edit: err %v, out %q", err, out)
	}

	// One broken deck in the run: nothing is imported, not even the good one.
	other := writeFile(t, dir, "other.md", "---\nid: other\ntitle: O\n---\n### X\nY\n")
	writeFile(t, dir, "decks/good.md", goodDeck+"### Q3\n")
	_, errOut, err := runCmd(t, "import", "--db", db, other, deck)
	if !errors.Is(err, errReported) || !strings.Contains(errOut, deck+":9: card has no back") || !strings.Contains(errOut, "nothing imported") {
		t.Errorf("import of a broken deck: err %v, stderr %q", err, errOut)
	}
	out, _, _ = runCmd(t, "import", "--db", db, other)
	if out != "deck other: 1 added, 0 updated, 0 retired, 0 unchanged\n" {
		t.Errorf("the good deck of a failed run was imported: %q", out)
	}
}

func TestEnvFallback(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "env.db")
	deck := writeFile(t, dir, "good.md", goodDeck)
	env := func(k string) string {
		if k == "FLASHD_DB" {
			return db
		}
		return ""
	}
	if err := run(context.Background(), []string{"import", deck}, env, nil, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(db); err != nil {
		t.Errorf("FLASHD_DB was not used: %v", err)
	}
}

func TestUnknownCommand(t *testing.T) {
	if _, _, err := runCmd(t, "frobnicate"); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("got %v", err)
	}
}

// TestServe runs the server end to end on a free port: the built-in deck
// is imported, the pages answer, and cancelling the context shuts it down.
func TestServe(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "flashd.db")}, noEnv, nil, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no listening line: %v (run: %v)", err, <-done)
	}
	go io.Copy(io.Discard, pr)
	base := strings.Fields(strings.TrimPrefix(line, "flashd listening on "))[0]

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	get := func(path string) (int, string) {
		resp, err := c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := get("/healthz"); code != 200 || body != "ok" {
		t.Errorf("healthz: %d %q", code, body)
	}
	// Sign up as the first user, then see the built-in deck.
	_, page := get("/signup")
	csrf := regexp.MustCompile(`name="csrf-token" content="([^"]+)"`).FindStringSubmatch(page)
	if csrf == nil {
		t.Fatalf("no CSRF token on the sign-up page")
	}
	resp, err := c.PostForm(base+"/signup", url.Values{"csrf": {csrf[1]}, "username": {"ann"}, "password": {"ann-password"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for path, want := range map[string]string{"/": "aws-dva-c02-containers", "/decks/aws-dva-c02-containers": "task execution role"} {
		if code, body := get(path); code != 200 || !strings.Contains(body, want) {
			t.Errorf("GET %s: %d, body lacks %q", path, code, want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after shutdown: %v", err)
	}
}

func TestUserAdd(t *testing.T) {
	db := filepath.Join(t.TempDir(), "flashd.db")
	add := func(stdin string, args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"user", "add", "--db", db}, args...), noEnv, strings.NewReader(stdin), &out, io.Discard)
		return out.String(), err
	}
	if out, err := add("first-password\n", "ann"); err != nil || out != "user ann added (admin)\n" {
		t.Errorf("first user: %q %v", out, err)
	}
	if out, err := add("second-password\n", "ben"); err != nil || out != "user ben added (member)\n" {
		t.Errorf("second user: %q %v", out, err)
	}
	if out, err := add("third-password", "--admin", "cat"); err != nil || out != "user cat added (admin)\n" {
		t.Errorf("admin flag: %q %v", out, err)
	}
	if _, err := add("short\n", "dan"); err == nil || !strings.Contains(err.Error(), "password") {
		t.Errorf("short password: %v", err)
	}
	if _, err := add("another-password\n", "BEN"); err == nil || !strings.Contains(err.Error(), "taken") {
		t.Errorf("taken name: %v", err)
	}
}

func TestExportCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "flashd.db")
	deck := writeFile(t, dir, "good.md", goodDeck+"### Picture?\n![diagram](https://example.com/d.png)\n")
	if _, _, err := runCmd(t, "import", "--db", db, deck); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := runCmd(t, "export", "--db", db, "--deck", "good")
	if err != nil || !strings.HasPrefix(out, "#separator:tab\n") || strings.Count(out, "\tBasic\t") != 3 {
		t.Errorf("export to stdout: err %v\n%s", err, out)
	}
	if !strings.Contains(errOut, "warning: deck good: image https://example.com/d.png is on another site") {
		t.Errorf("no media warning: %q", errOut)
	}
	file := filepath.Join(dir, "good.csv")
	if _, _, err := runCmd(t, "export", "--db", db, "--deck", "good", "--format", "anki-csv", "-o", file); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(file); string(b) != out {
		t.Errorf("-o wrote something else than stdout")
	}
	for _, args := range [][]string{
		{"export", "--db", db, "--deck", "nope"},
		{"export", "--db", db, "--deck", "good", "--format", "xml"},
		{"export", "--db", db, "--deck", "good", "--user", "ann"},
		{"export", "--db", db, "--deck", "good", "--format", "apkg", "--user", "nobody"},
		{"export", "--db", db},
		{"export", "--db", filepath.Join(dir, "missing.db"), "--deck", "good"},
	} {
		if _, _, err := runCmd(t, args...); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); err == nil {
		t.Error("export created a database")
	}
}

// TestOptimizeCommand: a learner with too little history is told so and
// keeps the defaults; an unknown name is an error.
func TestOptimizeCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "flashd.db")
	if err := run(context.Background(), []string{"user", "add", "--db", db, "ann"}, noEnv, strings.NewReader("first-password\n"), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCmd(t, "optimize", "--db", db, "--user", "ann")
	if err != nil || !strings.Contains(out, "ann: refused, 0 long-term reviews") || !strings.Contains(out, "at least 400") || !strings.Contains(out, "optimal retention") {
		t.Errorf("optimize ann: %q %v", out, err)
	}
	if _, _, err := runCmd(t, "optimize", "--db", db, "--user", "nobody"); err == nil || !strings.Contains(err.Error(), `No user named "nobody"`) {
		t.Errorf("unknown user: %v", err)
	}
	if out, _, err := runCmd(t, "optimize", "--db", db); err != nil || !strings.HasPrefix(out, "ann: refused") {
		t.Errorf("every learner: %q %v", out, err)
	}
}

func TestUserDisable(t *testing.T) {
	db := filepath.Join(t.TempDir(), "flashd.db")
	for _, name := range []string{"ann", "ben"} {
		if err := run(context.Background(), []string{"user", "add", "--db", db, name}, noEnv, strings.NewReader(name+"-secret-pw\n"), io.Discard, io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	if out, _, err := runCmd(t, "user", "disable", "--db", db, "ben"); err != nil || out != "user ben disabled, sessions ended\n" {
		t.Errorf("disable: %q %v", out, err)
	}
	if _, _, err := runCmd(t, "user", "disable", "--db", db, "nobody"); err == nil || !strings.Contains(err.Error(), "nobody") {
		t.Errorf("disable an unknown user: %v", err)
	}
	if out, _, err := runCmd(t, "user", "enable", "--db", db, "ben"); err != nil || out != "user ben enabled\n" {
		t.Errorf("enable: %q %v", out, err)
	}
}

// TestAnkiCommands: a deck goes out as .apkg and as CSV and comes back in
// through import-anki into another database, its Markdown written out;
// importing again updates instead of duplicating; bad input is refused
// and imports nothing.
func TestAnkiCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "flashd.db")
	deck := writeFile(t, dir, "good.md", goodDeck)
	if _, _, err := runCmd(t, "import", "--db", db, deck); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"user", "add", "--db", db, "ann"}, noEnv, strings.NewReader("first-password\n"), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	apkg := filepath.Join(dir, "good.apkg")
	if _, errOut, err := runCmd(t, "export", "--db", db, "--deck", "good", "--format", "apkg", "--user", "ann", "-o", apkg); err != nil || !strings.Contains(errOut, "written to "+apkg) {
		t.Fatalf("export apkg: %v %s", err, errOut)
	}
	csv := filepath.Join(dir, "good.csv")
	if _, _, err := runCmd(t, "export", "--db", db, "--deck", "good", "-o", csv); err != nil {
		t.Fatal(err)
	}

	other := filepath.Join(dir, "other.db")
	mdDir := filepath.Join(dir, "md")
	out, errOut, err := runCmd(t, "import-anki", "--db", other, "--md", mdDir, apkg)
	if err != nil {
		t.Fatalf("import-anki: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, "2 added") || !strings.Contains(out, "Markdown in "+mdDir) {
		t.Errorf("import-anki output: %q", out)
	}
	files, _ := filepath.Glob(filepath.Join(mdDir, "*.md"))
	if len(files) != 1 {
		t.Fatalf("Markdown files written: %v", files)
	}
	if out, _, err := runCmd(t, "lint", files[0]); err != nil {
		t.Errorf("the written Markdown does not lint: %v %s", err, out)
	}
	if out, _, err := runCmd(t, "import-anki", "--db", other, "--md", mdDir, apkg); err != nil || !strings.Contains(out, "0 added") {
		t.Errorf("second import-anki: %v %q", err, out)
	}
	// The CSV carries the same notes: importing it updates the same deck.
	if out, _, err := runCmd(t, "import-anki", "--db", other, "--md", mdDir, csv); err != nil || !strings.Contains(out, "0 added") {
		t.Errorf("import-anki of the CSV: %v %q", err, out)
	}

	junk := writeFile(t, dir, "junk.apkg", "PK\x03\x04 not really a zip")
	for _, args := range [][]string{
		{"import-anki", "--db", other, junk},
		{"import-anki", "--db", other, filepath.Join(dir, "missing.apkg")},
		{"import-anki", "--db", other, "--user", "nobody", apkg},
		{"import-anki", "--db", other, "--public", apkg},
		{"import-anki", "--db", other},
	} {
		if _, _, err := runCmd(t, args...); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
