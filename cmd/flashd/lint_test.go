package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/flashd/flashd/decks"
	"github.com/flashd/flashd/srs"
	"github.com/flashd/flashd/store"
)

// builtinDeck is the source of the built-in deck this package's tests
// lint and re-import.
var builtinDeck = filepath.Join("..", "..", "decks", "builtin", "aws-dva-c02-containers.md")

// fairDeck passes every quality rule; biasedDeck breaks the deck-wide ones
// (every correct option B, every yes/no answer "No").
const (
	fairDeck = "---\nid: fair\ntitle: Fair\n---\n## Traps\n" +
		"### Does Fargate bill per instance? {#t1}\nNo, per task.\n" +
		"### Can ECS do blue/green without CodeDeploy? {#t2}\nYes, natively.\n" +
		"## Scenarios\n" +
		"### Which role pulls the image on Fargate? {#s1}\n- [x] Execution role\n- [ ] The task role\n" +
		"### Which mode gives a task an ENI? {#s2}\n- [ ] bridge\n- [x] awsvpc\n"
	biasedDeck = "---\nid: biased\ntitle: Biased\n---\n## Traps\n" +
		"### Q1? {#t1}\nNo.\n### Q2? {#t2}\nNo.\n### Q3? {#t3}\nNo.\n### Q4? {#t4}\nNo.\n" +
		"## Scenarios\n" +
		"### S1? {#s1}\n- [ ] a1\n- [x] b1\n### S2? {#s2}\n- [ ] a2\n- [x] b2\n" +
		"### S3? {#s3}\n- [ ] a3\n- [x] b3\n### S4? {#s4}\n- [ ] a4\n- [x] b4\n"
)

func TestLintQuality(t *testing.T) {
	dir := t.TempDir()
	fair := writeFile(t, dir, "fair.md", fairDeck)
	biased := writeFile(t, dir, "biased.md", biasedDeck)

	// Plain lint does not look at quality.
	out, errOut, err := runCmd(t, "lint", biased)
	if err != nil || out != biased+": deck biased ok, 8 cards\n" || errOut != "" {
		t.Errorf("plain lint: err %v, out %q, stderr %q", err, out, errOut)
	}

	// --quality prints the warnings and the histogram but exits 0.
	out, errOut, err = runCmd(t, "lint", "--quality", biased)
	if err != nil {
		t.Errorf("lint --quality exits 1 on warnings: %v", err)
	}
	for _, want := range []string{
		biased + ":2: info: correct options by position in 4 scenario cards: A 0, B 4, C 0, D 0",
		biased + ":15: warning: the correct option is B in 4 of 4 scenario answers",
		biased + ":6: warning: 4 of 4 yes/no answers are \"No\"",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("lint --quality output lacks %q:\n%s", want, out)
		}
	}
	if errOut != "2 quality warnings\n" {
		t.Errorf("stderr %q", errOut)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		if !regexp.MustCompile(`^` + regexp.QuoteMeta(biased) + `:\d+: (warning|info): `).MatchString(line) {
			t.Errorf("line not in file:line: warning: form: %q", line)
		}
	}

	// --strict exits 1 on a warning, 0 on a clean deck, and implies --quality.
	if _, _, err := runCmd(t, "lint", "--strict", biased); !errors.Is(err, errReported) {
		t.Errorf("lint --strict of a biased deck: %v, want exit 1", err)
	}
	out, errOut, err = runCmd(t, "lint", "--strict", fair)
	if err != nil || !strings.Contains(out, "info: correct options by position in 2 scenario cards") || errOut != "0 quality warnings\n" {
		t.Errorf("lint --strict of a fair deck: err %v, out %q, stderr %q", err, out, errOut)
	}
	// One biased deck among clean ones fails the whole run.
	if _, _, err := runCmd(t, "lint", "--quality", "--strict", dir); !errors.Is(err, errReported) {
		t.Errorf("lint --strict of a folder: %v", err)
	}
	// Errors still win: a broken deck is reported as before.
	bad := writeFile(t, t.TempDir(), "bad.md", "---\nid: bad\ntitle: Bad\n---\n### Q\n")
	if out, _, err := runCmd(t, "lint", "--quality", bad); !errors.Is(err, errReported) || !strings.Contains(out, bad+":5: card has no back") {
		t.Errorf("lint --quality of a broken deck: %v %q", err, out)
	}
}

// TestBuiltinLintStrict runs "flashd lint --quality --strict" on every
// built-in deck file, as CI would.
func TestBuiltinLintStrict(t *testing.T) {
	out, errOut, err := runCmd(t, "lint", "--quality", "--strict", filepath.Dir(builtinDeck))
	if err != nil || strings.Contains(out, ": warning: ") {
		t.Fatalf("built-in decks are not --strict clean: %v\n%s%s", err, out, errOut)
	}
	if !strings.Contains(out, "deck aws-dva-c02-containers ok") {
		t.Errorf("output lacks the containers deck:\n%s", out)
	}
}

// TestReimportKeepsProgress imports the built-in deck as it was before the
// 2026 rewrite (testdata/builtin-before.md), rates some of its cards as a
// user, imports the current deck over it with the real import command, and
// checks that every card whose key was kept still has its id and the
// user's state, while cards whose key went away are retired.
func TestReimportKeepsProgress(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "flashd.db")
	before := filepath.Join("testdata", "builtin-before.md")

	oldDeck := parseFile(t, before)
	newDeck := parseFile(t, builtinDeck)
	oldKeys, newKeys := keySet(oldDeck), keySet(newDeck)
	added, retired, kept := 0, 0, 0
	for k := range newKeys {
		if !oldKeys[k] {
			added++
		}
	}
	for k := range oldKeys {
		if newKeys[k] {
			kept++
		} else {
			retired++
		}
	}
	if kept < 80 {
		t.Fatalf("only %d of %d card keys kept: progress would be lost", kept, len(oldKeys))
	}

	if out, _, err := runCmd(t, "import", "--db", dbPath, before); err != nil || !strings.HasPrefix(out, fmt.Sprintf("deck aws-dva-c02-containers: %d added", len(oldDeck.Cards))) {
		t.Fatalf("import of the old deck: %v %q", err, out)
	}
	var userOut strings.Builder
	if err := run(ctx, []string{"user", "add", "--db", dbPath, "ann"}, noEnv, strings.NewReader("ann-password-1\n"), &userOut, os.Stderr); err != nil {
		t.Fatal(err)
	}

	// Rate cards of every kind: unchanged ones, edited ones that kept their
	// key, a cloze, and one whose key the rewrite dropped.
	rated := []string{
		"ecs-what", "task-role", "rolling-deployment-params", // unchanged
		"task-execution-role", "ecs-deployment-strategies", "app-runner-when", // edited, same meaning
		"iam-roles-cloze/c1", "iam-roles-cloze/c4", // edited cloze
		"trap-ec2-density-billing", "trap-secrets-role", // traps rewritten around the same fact
		"scn-image-pull-role", "scn-long-running-containers", // the chapter's scenarios
		"trap-blue-green-native", // meaning changed: retired
	}
	db, u, ids := openAs(t, dbPath)
	for _, key := range rated {
		id, ok := ids[key]
		if !ok {
			t.Fatalf("old deck has no card %q", key)
		}
		if _, err := db.Rate(ctx, u, id, "0", srs.Good); err != nil {
			t.Fatalf("rate %s: %v", key, err)
		}
	}
	deckID := deckOf(t, db, u)
	statesBefore, err := db.CardStates(ctx, u, deckID)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	out, _, err := runCmd(t, "import", "--db", dbPath, builtinDeck)
	m := regexp.MustCompile(`^deck aws-dva-c02-containers: (\d+) added, (\d+) updated, (\d+) retired, (\d+) unchanged\n$`).FindStringSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("import of the new deck: %v %q", err, out)
	}
	if m[1] != fmt.Sprint(added) || m[3] != fmt.Sprint(retired) {
		t.Errorf("import: %q, want %d added and %d retired", out, added, retired)
	}
	t.Logf("re-import: %s (%d keys kept)", strings.TrimSpace(out), kept)

	db, u, idsAfter := openAs(t, dbPath)
	defer db.Close()
	statesAfter, err := db.CardStates(ctx, u, deckOf(t, db, u))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range rated {
		id := ids[key]
		if !newKeys[key] {
			if _, active := idsAfter[key]; active {
				t.Errorf("%s: dropped from the deck but still active", key)
			}
			continue
		}
		if idsAfter[key] != id {
			t.Errorf("%s: card id %d became %d: the card was not continued", key, id, idsAfter[key])
			continue
		}
		b, a := statesBefore[id], statesAfter[id]
		if a.Reps != 1 || a.Due != b.Due || a.Stability != b.Stability || a.Phase != b.Phase {
			t.Errorf("%s: state %+v after the re-import, was %+v", key, a, b)
		}
	}
	// Every kept key continues its card: the active card ids of kept keys
	// are the old ones.
	for key, id := range ids {
		if newKeys[key] && idsAfter[key] != id {
			t.Errorf("%s: kept key has card id %d, was %d", key, idsAfter[key], id)
		}
	}
}

func parseFile(t *testing.T, name string) *decks.Deck {
	t.Helper()
	src, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	d, err := decks.Parse(name, src)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func keySet(d *decks.Deck) map[string]bool {
	keys := map[string]bool{}
	for _, c := range d.Cards {
		keys[c.Key] = true
	}
	return keys
}

// openAs opens the database as user ann and returns the ids of the active
// cards of the containers deck by key.
func openAs(t *testing.T, path string) (*store.DB, *store.User, map[string]int64) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	u, err := db.Authenticate(ctx, "ann", "ann-password-1")
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	cards, err := db.Cards(ctx, deckOf(t, db, u))
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, c := range cards {
		if c.RetiredAt == nil {
			ids[c.Key] = c.ID
		}
	}
	return db, u, ids
}

func deckOf(t *testing.T, db *store.DB, u *store.User) int64 {
	t.Helper()
	d, err := db.DeckBySlug(context.Background(), u, "aws-dva-c02-containers")
	if err != nil {
		t.Fatal(err)
	}
	return d.ID
}

// TestLintStopsOnSignal: lint runs under the context main cancels on
// SIGINT or SIGTERM, and stops parsing when it is cancelled.
func TestLintStopsOnSignal(t *testing.T) {
	deck := writeFile(t, t.TempDir(), "d.md", goodDeck)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out strings.Builder
	err := run(ctx, []string{"lint", deck}, noEnv, strings.NewReader(""), &out, io.Discard)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "parsing stopped") || out.Len() != 0 {
		t.Errorf("lint when cancelled: %v, printed %q", err, out.String())
	}
}
