package anki

import (
	"archive/zip"
	"bytes"
	"crypto/sha1"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flashd/flashd/decks"
	"github.com/flashd/flashd/srs"
)

// pkgtZone is the learner's zone of the tests: not UTC, with DST.
func pkgtZone(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skipf("no zone data: %v", err)
	}
	return loc
}

// pkgtFixture is the export of the main test and what it was made of.
type pkgtFixture struct {
	e   Export
	set srs.Settings
	loc *time.Location
	t0  time.Time // the first review
	// the states after each rating of card 0 (basic), in order
	basicAfter []srs.State
}

// pkgtDeck is a small deck: a basic card, a cloze note of two cards, a
// choice card and another basic card.
func pkgtDeck(loc *time.Location) Deck {
	return Deck{Title: "Go Basics", Tags: []string{"go", "Exam Prep"}, Cards: []Card{
		{GUID: "g-basic", NoteKey: "k-basic", Type: decks.TypeBasic, Kind: decks.KindTakeaway, Section: "Key takeaways",
			FrontHTML: "<p><b>What</b> is &amp; this?</p>", BackHTML: `<p>An image: <img src="b.png"></p>`,
			Modified: time.Date(2026, 2, 1, 10, 0, 0, 0, loc)},
		{GUID: "g-cloze", NoteKey: "k-cloze", Cloze: 1, Type: decks.TypeCloze, Kind: decks.KindTrap, Section: "Traps",
			ClozeHTML: "<p>{{c1::Paris}} is the capital of {{c2::France}}</p>",
			Modified:  time.Date(2026, 2, 3, 10, 0, 0, 0, loc)},
		{GUID: "g-cloze-2", NoteKey: "k-cloze", Cloze: 2, Type: decks.TypeCloze, Kind: decks.KindTrap, Section: "Traps",
			ClozeHTML: "<p>{{c1::Paris}} is the capital of {{c2::France}}</p>",
			Modified:  time.Date(2026, 2, 5, 10, 0, 0, 0, loc)}, // the note's latest
		{GUID: "g-choice", NoteKey: "k-choice", Type: decks.TypeChoice, Kind: decks.KindScenario, Section: "Scenarios",
			FrontHTML: "<p>Pick one</p>", BackHTML: "<p>Because.</p>",
			Options: []decks.Option{{HTML: "yes", Correct: true}, {HTML: "no"}}}, // no Modified: Now
		{GUID: "g-new", NoteKey: "k-new", Type: decks.TypeBasic, Kind: decks.KindTopic,
			FrontHTML: "<p>Never seen</p>", BackHTML: "<p>ok</p>", Modified: time.Date(2026, 1, 20, 8, 0, 0, 0, loc)},
	}}
}

// pkgtRate rates a card through the real scheduler and logs the rating.
func pkgtRate(t testing.TB, s *srs.Scheduler, p *Progress, at time.Time, r srs.Rating, answer time.Duration) {
	t.Helper()
	next, err := s.Next(p.State, at, r)
	if err != nil {
		t.Fatal(err)
	}
	p.Log = append(p.Log, Review{At: at, Rating: r, Before: p.State, After: next, AnswerTime: answer})
	p.State = next
}

// pkgtMakeFixture builds the export of the main test: card 0 reviewed
// five times (ending in review, flagged), card 1 in intraday learning and
// suspended, card 2 in learning due on the next study day, card 3 new and
// buried, card 4 never studied (Progress is one shorter than Cards).
func pkgtMakeFixture(t testing.TB, params srs.Params) pkgtFixture {
	t.Helper()
	loc := pkgtZone(t)
	set := srs.DefaultSettings()
	set.Location, set.Retention, set.MaxIntervalDays, set.NewPerDay, set.ReviewsPerDay = loc, 0.87, 3650, 15, 150
	set.Params = params
	s := srs.NewScheduler(set)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, loc)

	basic := &Progress{Flagged: true}
	pkgtRate(t, s, basic, t0, srs.Good, 4500*time.Millisecond)
	pkgtRate(t, s, basic, t0.Add(10*time.Minute), srs.Good, 3*time.Second)
	pkgtRate(t, s, basic, basic.State.Due.Add(time.Hour), srs.Good, 90*time.Second) // capped at 60 s
	pkgtRate(t, s, basic, basic.State.Due.Add(2*time.Hour), srs.Again, 7*time.Second)
	pkgtRate(t, s, basic, basic.State.Due, srs.Good, 2*time.Second)

	cloze1 := &Progress{Suspended: true}
	pkgtRate(t, s, cloze1, t0, srs.Again, time.Second) // the same ms as card 0's first

	cloze2 := &Progress{}
	// 03:55 is still the study day of March 2; the 10 minute step ends
	// in the next one.
	pkgtRate(t, s, cloze2, time.Date(2026, 3, 3, 3, 55, 0, 0, loc), srs.Good, 2*time.Second)

	now := basic.State.LastReview.Add(3 * time.Hour)
	choice := &Progress{BuriedUntil: set.NextDayStart(now)}

	var after []srs.State
	for _, r := range basic.Log {
		after = append(after, r.After)
	}
	e := Export{
		Deck:     pkgtDeck(loc),
		Progress: []*Progress{basic, cloze1, cloze2, choice},
		Settings: set,
		Media:    map[string][]byte{"b.png": []byte("\x89PNG fake"), "a.mp3": []byte("ID3 fake")},
		Now:      now,
	}
	return pkgtFixture{e: e, set: set, loc: loc, t0: t0, basicAfter: after}
}

// pkgtPackage is an unzipped package with its collection open.
type pkgtPackage struct {
	files map[string][]byte
	names []string // in archive order
	db    *sql.DB
}

// pkgtWrite writes e and opens the package.
func pkgtWrite(t *testing.T, e Export) *pkgtPackage {
	t.Helper()
	var buf bytes.Buffer
	if err := WritePackage(&buf, e); err != nil {
		t.Fatalf("WritePackage: %v", err)
	}
	return pkgtOpen(t, buf.Bytes())
}

func pkgtOpen(t *testing.T, data []byte) *pkgtPackage {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	p := &pkgtPackage{files: map[string][]byte{}}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if _, err := b.ReadFrom(rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
		p.files[f.Name] = b.Bytes()
		p.names = append(p.names, f.Name)
	}
	col, ok := p.files["collection.anki2"]
	if !ok {
		t.Fatalf("no collection.anki2 in %v", p.names)
	}
	path := filepath.Join(t.TempDir(), "collection.anki2")
	if err := os.WriteFile(path, col, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p.db = db
	return p
}

// pkgtCol is the col row.
type pkgtCol struct {
	id, crt, mod, scm, ver, dty, usn, ls int64
	conf, models, decks, dconf, tags     string
}

func (p *pkgtPackage) col(t *testing.T) pkgtCol {
	t.Helper()
	var c pkgtCol
	var n int
	if err := p.db.QueryRow(`SELECT count(*) FROM col`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("col rows: %d, %v", n, err)
	}
	err := p.db.QueryRow(`SELECT id, crt, mod, scm, ver, dty, usn, ls, conf, models, decks, dconf, tags FROM col`).
		Scan(&c.id, &c.crt, &c.mod, &c.scm, &c.ver, &c.dty, &c.usn, &c.ls, &c.conf, &c.models, &c.decks, &c.dconf, &c.tags)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type pkgtNote struct {
	id, mid, mod, usn int64
	guid, tags, flds  string
	sfld              string
	csum, flags       int64
	data              string
}

func (p *pkgtPackage) notes(t *testing.T) []pkgtNote {
	t.Helper()
	rows, err := p.db.Query(`SELECT id, guid, mid, mod, usn, tags, flds, sfld, csum, flags, data FROM notes ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []pkgtNote
	for rows.Next() {
		var n pkgtNote
		if err := rows.Scan(&n.id, &n.guid, &n.mid, &n.mod, &n.usn, &n.tags, &n.flds, &n.sfld, &n.csum, &n.flags, &n.data); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

type pkgtCard struct {
	id, nid, did, ord, mod, usn, typ, queue, due, ivl, factor, reps, lapses, left, odue, odid, flags int64
	data                                                                                             string
}

func (p *pkgtPackage) cards(t *testing.T) []pkgtCard {
	t.Helper()
	rows, err := p.db.Query(`SELECT id, nid, did, ord, mod, usn, type, queue, due, ivl, factor, reps, lapses, left, odue, odid, flags, data FROM cards ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []pkgtCard
	for rows.Next() {
		var c pkgtCard
		if err := rows.Scan(&c.id, &c.nid, &c.did, &c.ord, &c.mod, &c.usn, &c.typ, &c.queue, &c.due, &c.ivl, &c.factor,
			&c.reps, &c.lapses, &c.left, &c.odue, &c.odid, &c.flags, &c.data); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

type pkgtRevlog struct {
	id, cid, usn, ease, ivl, lastIvl, factor, time, typ int64
}

func (p *pkgtPackage) revlog(t *testing.T) []pkgtRevlog {
	t.Helper()
	rows, err := p.db.Query(`SELECT id, cid, usn, ease, ivl, lastIvl, factor, time, type FROM revlog ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []pkgtRevlog
	for rows.Next() {
		var r pkgtRevlog
		if err := rows.Scan(&r.id, &r.cid, &r.usn, &r.ease, &r.ivl, &r.lastIvl, &r.factor, &r.time, &r.typ); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// pkgtObject parses a JSON object, failing the test if it is not one.
func pkgtObject(t *testing.T, what, s string) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("%s is not a JSON object: %v\n%s", what, err, s)
	}
	return m
}

// pkgtHasKeys reports the keys of want missing from m.
func pkgtHasKeys(t *testing.T, what string, m map[string]json.RawMessage, want ...string) {
	t.Helper()
	for _, k := range want {
		if _, ok := m[k]; !ok {
			t.Errorf("%s lacks %q", what, k)
		}
	}
}

func pkgtUnmarshal(t *testing.T, what string, raw json.RawMessage, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, raw)
	}
}

// pkgtStudyDay is the study day of t as days since 1970-01-01, read off
// the study clock (local wall time less 4 hours).
func pkgtStudyDay(set srs.Settings, t time.Time) int64 {
	c := set.StudyClock(t)
	return time.Date(c.Year(), c.Month(), c.Day(), 0, 0, 0, 0, time.UTC).Unix() / 86400
}

func TestWritePackage(t *testing.T) {
	f := pkgtMakeFixture(t, srs.Params{})
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // the writer's temporary directory goes here
	p := pkgtWrite(t, f.e)
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
	set, loc, now := f.set, f.loc, f.e.Now
	t0ms := f.t0.UnixMilli()

	// The archive: a legacy 1 package.
	if !slices.Equal(p.names, []string{"collection.anki2", "media", "0", "1"}) {
		t.Errorf("entries %v, want collection.anki2 media 0 1", p.names)
	}
	var media map[string]string
	if err := json.Unmarshal(p.files["media"], &media); err != nil {
		t.Fatalf("media map: %v", err)
	}
	if len(media) != 2 || media["0"] != "a.mp3" || media["1"] != "b.png" {
		t.Errorf("media map %v", media)
	}
	if string(p.files["0"]) != "ID3 fake" || string(p.files["1"]) != "\x89PNG fake" {
		t.Errorf("media files %q %q", p.files["0"], p.files["1"])
	}

	// col.
	c := p.col(t)
	wantCrt := time.Date(2026, 3, 2, 4, 0, 0, 0, loc).Unix() // the study day of the first review
	if c.id != 1 || c.ver != 11 || c.crt != wantCrt || c.mod != now.UnixMilli() || c.scm != now.UnixMilli() || c.dty != 0 || c.usn != 0 || c.ls != 0 || c.tags != "{}" {
		t.Errorf("col id %d ver %d crt %d (want %d) mod %d scm %d dty %d usn %d ls %d tags %q", c.id, c.ver, c.crt, wantCrt, c.mod, c.scm, c.dty, c.usn, c.ls, c.tags)
	}
	if lt := time.Unix(c.crt, 0).In(loc); lt.Hour() != 4 || lt.Minute() != 0 || lt.Second() != 0 {
		t.Errorf("crt %v is not at 04:00 local", lt)
	}
	conf := pkgtObject(t, "col.conf", c.conf)
	var schedVer, nextPos, rollover, creationOffset int
	pkgtUnmarshal(t, "schedVer", conf["schedVer"], &schedVer)
	pkgtUnmarshal(t, "nextPos", conf["nextPos"], &nextPos)
	pkgtUnmarshal(t, "rollover", conf["rollover"], &rollover)
	pkgtUnmarshal(t, "creationOffset", conf["creationOffset"], &creationOffset)
	if schedVer != 2 || nextPos != 5 || rollover != 4 || creationOffset != -60 { // Berlin in March: UTC+1, 60 minutes east
		t.Errorf("conf schedVer %d nextPos %d rollover %d creationOffset %d", schedVer, nextPos, rollover, creationOffset)
	}

	// Note types.
	models := pkgtObject(t, "col.models", c.models)
	if len(models) != 2 {
		t.Errorf("%d note types, want 2", len(models))
	}
	type tmplJSON struct {
		Name, Qfmt, Afmt, Bqfmt, Bafmt string
		Ord                            int
	}
	type fldJSON struct {
		Name string
		Ord  int
	}
	type modelJSON struct {
		ID    int64
		Name  string
		Type  int
		Sortf int
		Tmpls []tmplJSON
		Flds  []fldJSON
		Req   []json.RawMessage
		CSS   string
	}
	for _, want := range []struct {
		id                 int64
		name               string
		typ                int
		fields             []string
		tmpl, qfmt, afmt   string
		req                string
		cssHasClozeColours bool
	}{
		{NotetypeIDBasic, "flashd Basic", 0, []string{"Front", "Back"}, "Card 1", "{{Front}}", "{{FrontSide}}<hr id=answer>{{Back}}", `[0,"any",[0]]`, false},
		{NotetypeIDCloze, "flashd Cloze", 1, []string{"Text", "Back Extra"}, "Cloze", "{{cloze:Text}}", "{{cloze:Text}}<br>{{Back Extra}}", "", true},
	} {
		raw, ok := models[strconv.FormatInt(want.id, 10)]
		if !ok {
			t.Errorf("no note type %d", want.id)
			continue
		}
		var obj map[string]json.RawMessage
		pkgtUnmarshal(t, want.name, raw, &obj)
		pkgtHasKeys(t, want.name, obj, "id", "name", "type", "mod", "usn", "sortf", "did", "tmpls", "flds", "css",
			"latexPre", "latexPost", "latexsvg", "req", "tags", "vers")
		var m modelJSON
		pkgtUnmarshal(t, want.name, raw, &m)
		if m.ID != want.id || m.Name != want.name || m.Type != want.typ || m.Sortf != 0 {
			t.Errorf("note type %d: id %d name %q type %d sortf %d", want.id, m.ID, m.Name, m.Type, m.Sortf)
		}
		var names []string
		for i, fl := range m.Flds {
			names = append(names, fl.Name)
			if fl.Ord != i {
				t.Errorf("%s field %q ord %d", want.name, fl.Name, fl.Ord)
			}
			var fobj map[string]json.RawMessage
			pkgtUnmarshal(t, "field", pkgtElem(t, obj, "flds", i), &fobj)
			pkgtHasKeys(t, want.name+" field", fobj, "name", "ord", "sticky", "rtl", "font", "size", "media")
		}
		if !slices.Equal(names, want.fields) {
			t.Errorf("%s fields %v, want %v", want.name, names, want.fields)
		}
		if len(m.Tmpls) != 1 || m.Tmpls[0].Name != want.tmpl || m.Tmpls[0].Ord != 0 || m.Tmpls[0].Qfmt != want.qfmt || m.Tmpls[0].Afmt != want.afmt {
			t.Errorf("%s templates %+v", want.name, m.Tmpls)
		} else {
			var tobj map[string]json.RawMessage
			pkgtUnmarshal(t, "template", pkgtElem(t, obj, "tmpls", 0), &tobj)
			pkgtHasKeys(t, want.name+" template", tobj, "name", "ord", "qfmt", "afmt", "bqfmt", "bafmt", "did", "bfont", "bsize")
		}
		if want.req != "" && (len(m.Req) != 1 || string(m.Req[0]) != want.req) {
			t.Errorf("%s req %s, want [%s]", want.name, m.Req, want.req)
		}
		if strings.Contains(m.CSS, ".cloze") != want.cssHasClozeColours {
			t.Errorf("%s css %q", want.name, m.CSS)
		}
	}

	// Decks.
	decksJSON := pkgtObject(t, "col.decks", c.decks)
	type deckJSON struct {
		ID   int64
		Name string
		Dyn  int
		Conf int64
	}
	byName := map[string]deckJSON{}
	for key, raw := range decksJSON {
		var obj map[string]json.RawMessage
		pkgtUnmarshal(t, "deck", raw, &obj)
		pkgtHasKeys(t, "deck "+key, obj, "id", "mod", "name", "usn", "lrnToday", "revToday", "newToday", "timeToday",
			"collapsed", "browserCollapsed", "desc", "dyn", "conf", "extendNew", "extendRev")
		var d deckJSON
		pkgtUnmarshal(t, "deck", raw, &d)
		if strconv.FormatInt(d.ID, 10) != key || d.Dyn != 0 {
			t.Errorf("deck %s: id %d dyn %d", key, d.ID, d.Dyn)
		}
		var today [2]int
		pkgtUnmarshal(t, "lrnToday", obj["lrnToday"], &today)
		byName[d.Name] = d
	}
	deck, ok := byName["flashd::Go Basics"]
	if len(decksJSON) != 3 || byName["Default"].ID != 1 || byName["flashd"].ID == 0 || !ok {
		t.Fatalf("decks %v", byName)
	}
	if byName["Default"].Conf != 1 || byName["flashd"].Conf != 1 || deck.Conf == 1 || deck.ID == byName["flashd"].ID {
		t.Errorf("deck confs: %v", byName)
	}
	// The same title gives the same deck id.
	f2 := pkgtMakeFixture(t, srs.Params{})
	f2.e.Now = f2.e.Now.Add(48 * time.Hour)
	var again map[string]deckJSON
	if err := json.Unmarshal([]byte(pkgtWrite(t, f2.e).col(t).decks), &again); err != nil {
		t.Fatal(err)
	}
	if _, ok := again[strconv.FormatInt(deck.ID, 10)]; !ok {
		t.Errorf("deck id %d changed in a later export: %v", deck.ID, again)
	}

	// Deck options.
	dconf := pkgtObject(t, "col.dconf", c.dconf)
	if len(dconf) != 2 {
		t.Errorf("%d deck configs, want 2", len(dconf))
	}
	type dconfJSON struct {
		ID               int64
		Name             string
		DesiredRetention float64
		FSRSParams6      []float64
		MaxTaken         int
		New              struct{ PerDay int }
		Rev              struct{ MaxIvl, PerDay int }
		Lapse            struct{ LeechFails int }
	}
	for key, raw := range dconf {
		var obj map[string]json.RawMessage
		pkgtUnmarshal(t, "dconf", raw, &obj)
		pkgtHasKeys(t, "dconf "+key, obj, "id", "mod", "name", "usn", "maxTaken", "autoplay", "timer", "new", "rev", "lapse")
		var sub map[string]json.RawMessage
		pkgtUnmarshal(t, "new", obj["new"], &sub)
		pkgtHasKeys(t, "dconf new", sub, "delays", "initialFactor", "ints", "order", "perDay")
		pkgtUnmarshal(t, "rev", obj["rev"], &sub)
		pkgtHasKeys(t, "dconf rev", sub, "ease4", "ivlFct", "maxIvl", "perDay")
		pkgtUnmarshal(t, "lapse", obj["lapse"], &sub)
		pkgtHasKeys(t, "dconf lapse", sub, "delays", "leechAction", "leechFails", "minInt", "mult")
		if _, ok := obj["fsrsParams6"]; ok {
			t.Errorf("dconf %s has FSRS parameters though the learner has the defaults", key)
		}
	}
	var def, own dconfJSON
	pkgtUnmarshal(t, "default dconf", dconf["1"], &def)
	pkgtUnmarshal(t, "own dconf", dconf[strconv.FormatInt(deck.Conf, 10)], &own)
	if def.ID != 1 || def.Name != "Default" {
		t.Errorf("default dconf %+v", def)
	}
	if own.ID != deck.Conf || own.DesiredRetention != 0.87 || own.Rev.MaxIvl != 3650 || own.New.PerDay != 15 || own.Rev.PerDay != 150 ||
		own.MaxTaken != 60 || own.Lapse.LeechFails != 8 {
		t.Errorf("own dconf %+v", own)
	}

	// Notes: the CSV export's, in card order.
	notes := p.notes(t)
	csv := Notes(f.e.Deck)
	if len(notes) != 4 || len(csv) != 4 {
		t.Fatalf("%d notes, %d CSV notes, want 4", len(notes), len(csv))
	}
	wantMod := []int64{f.e.Deck.Cards[0].Modified.Unix(), f.e.Deck.Cards[2].Modified.Unix(), now.Unix(), f.e.Deck.Cards[4].Modified.Unix()}
	wantMid := []int64{NotetypeIDBasic, NotetypeIDCloze, NotetypeIDBasic, NotetypeIDBasic}
	wantGUID := []string{"g-basic", "g-cloze", "g-choice", "g-new"}
	wantSfld := []string{"What is & this?", "{{c1::Paris}} is the capital of {{c2::France}}", "Pick oneyesno", "Never seen"}
	for i, n := range notes {
		if n.guid != wantGUID[i] || n.guid != csv[i].GUID {
			t.Errorf("note %d guid %q, want %q (CSV %q)", i, n.guid, wantGUID[i], csv[i].GUID)
		}
		if n.mid != wantMid[i] || n.mod != wantMod[i] || n.usn != -1 || n.flags != 0 || n.data != "" {
			t.Errorf("note %d mid %d mod %d usn %d flags %d data %q; want mid %d mod %d", i, n.mid, n.mod, n.usn, n.flags, n.data, wantMid[i], wantMod[i])
		}
		if want := " " + strings.Join(csv[i].Tags, " ") + " "; n.tags != want {
			t.Errorf("note %d tags %q, want %q", i, n.tags, want)
		}
		if want := csv[i].Fields[0] + "\x1f" + csv[i].Fields[1]; n.flds != want {
			t.Errorf("note %d flds %q, want %q", i, n.flds, want)
		}
		sum := sha1.Sum([]byte(wantSfld[i]))
		if n.sfld != wantSfld[i] || n.csum != int64(binary.BigEndian.Uint32(sum[:4])) {
			t.Errorf("note %d sfld %q csum %d, want %q %d", i, n.sfld, n.csum, wantSfld[i], binary.BigEndian.Uint32(sum[:4]))
		}
		if n.id != t0ms-4+int64(i) {
			t.Errorf("note %d id %d, want %d", i, n.id, t0ms-4+int64(i))
		}
	}
	if notes[0].tags != " go Exam_Prep takeaway section::Key_takeaways " {
		t.Errorf("basic note tags %q", notes[0].tags)
	}
	if !strings.Contains(notes[0].flds, "<p><b>What</b> is &amp; this?</p>\x1f<p>An image: <img src=\"b.png\"></p>") {
		t.Errorf("basic note fields %q", notes[0].flds)
	}

	// Cards.
	cards := p.cards(t)
	if len(cards) != 5 {
		t.Fatalf("%d cards, want 5", len(cards))
	}
	crtDay := pkgtStudyDay(set, time.Unix(wantCrt, 0))
	basic := f.e.Progress[0].State
	wantCards := []pkgtCard{
		// reviewed, flagged: a review card
		{nid: notes[0].id, ord: 0, mod: basic.LastReview.Unix(), typ: 2, queue: 2,
			due: pkgtStudyDay(set, basic.Due) - crtDay, ivl: int64(basic.ScheduledDays), factor: 2500,
			reps: 5, lapses: 1, left: 0, flags: 1},
		// intraday learning, suspended: due is a Unix time
		{nid: notes[1].id, ord: 0, mod: f.t0.Unix(), typ: 1, queue: -1, due: f.t0.Add(time.Minute).Unix(),
			factor: 2500, reps: 1, left: 2},
		// learning due on the next study day (March 3): day 1
		{nid: notes[1].id, ord: 1, mod: time.Date(2026, 3, 3, 3, 55, 0, 0, loc).Unix(), typ: 1, queue: 3, due: 1,
			factor: 2500, reps: 1, left: 1},
		// new and buried: due is the note's position
		{nid: notes[2].id, ord: 0, mod: now.Unix(), typ: 0, queue: -3, due: 3},
		// never studied
		{nid: notes[3].id, ord: 0, mod: now.Unix(), typ: 0, queue: 0, due: 4},
	}
	if basic.Phase != srs.Review || basic.ScheduledDays < 1 || basic.Lapses != 1 {
		t.Fatalf("fixture: card 0 ends %+v", basic)
	}
	for i, got := range cards {
		w := wantCards[i]
		w.id, w.did, w.usn = t0ms-5+int64(i), deck.ID, -1
		w.data = got.data // checked below
		if got != w {
			t.Errorf("card %d:\n got %+v\nwant %+v", i, got, w)
		}
		var st srs.State // card 4 has no progress
		if i < len(f.e.Progress) {
			st = f.e.Progress[i].State
		}
		if st.Phase == srs.New {
			if got.data != "" {
				t.Errorf("card %d: new card with data %q", i, got.data)
			}
			continue
		}
		var data map[string]float64
		if err := json.Unmarshal([]byte(got.data), &data); err != nil {
			t.Errorf("card %d data %q: %v", i, got.data, err)
			continue
		}
		if len(data) != 5 || math.Abs(data["s"]-st.Stability) > 1e-9 || math.Abs(data["d"]-st.Difficulty) > 1e-9 ||
			data["dr"] != 0.87 || data["decay"] != srs.DefaultParams()[20] || data["lrt"] != float64(st.LastReview.Unix()) {
			t.Errorf("card %d data %v, want s %v d %v dr 0.87 decay %v lrt %d", i, data, st.Stability, st.Difficulty, srs.DefaultParams()[20], st.LastReview.Unix())
		}
	}

	// Review log: in time order; card 1's review shares card 0's first ms
	// and moves on by one.
	revlog := p.revlog(t)
	if len(revlog) != 7 {
		t.Fatalf("%d revlog rows, want 7", len(revlog))
	}
	a := f.basicAfter
	factor := func(d float64) int64 { return int64(((d-1)/9 + 0.1) * 1000) }
	cid0, cid1, cid2 := cards[0].id, cards[1].id, cards[2].id
	log0 := f.e.Progress[0].Log
	want := []pkgtRevlog{
		{id: t0ms, cid: cid0, ease: 3, ivl: -600, lastIvl: 0, factor: factor(a[0].Difficulty), time: 4500, typ: 0},
		{id: t0ms + 1, cid: cid1, ease: 1, ivl: -60, lastIvl: 0, factor: factor(f.e.Progress[1].State.Difficulty), time: 1000, typ: 0},
		{id: log0[1].At.UnixMilli(), cid: cid0, ease: 3, ivl: int64(a[1].ScheduledDays), lastIvl: -600, factor: factor(a[1].Difficulty), time: 3000, typ: 0},
		{id: time.Date(2026, 3, 3, 3, 55, 0, 0, loc).UnixMilli(), cid: cid2, ease: 3, ivl: -600, lastIvl: 0, factor: factor(f.e.Progress[2].State.Difficulty), time: 2000, typ: 0},
		{id: log0[2].At.UnixMilli(), cid: cid0, ease: 3, ivl: int64(a[2].ScheduledDays), lastIvl: int64(a[1].ScheduledDays), factor: factor(a[2].Difficulty), time: 60000, typ: 1},
		{id: log0[3].At.UnixMilli(), cid: cid0, ease: 1, ivl: -600, lastIvl: int64(a[2].ScheduledDays), factor: factor(a[3].Difficulty), time: 7000, typ: 1},
		{id: log0[4].At.UnixMilli(), cid: cid0, ease: 3, ivl: int64(a[4].ScheduledDays), lastIvl: -600, factor: factor(a[4].Difficulty), time: 2000, typ: 2},
	}
	for i, got := range revlog {
		w := want[i]
		w.usn = -1
		if got != w {
			t.Errorf("revlog %d:\n got %+v\nwant %+v", i, got, w)
		}
		if got.factor < 100 || got.factor > 1100 {
			t.Errorf("revlog %d factor %d outside 100-1100", i, got.factor)
		}
	}
	for i, st := range a[1:3] {
		if st.Phase != srs.Review || st.ScheduledDays < 1 {
			t.Errorf("fixture: rating %d of card 0 left %+v, want a review", i+2, st)
		}
	}
}

// pkgtElem returns element i of the array under key of obj.
func pkgtElem(t *testing.T, obj map[string]json.RawMessage, key string, i int) json.RawMessage {
	t.Helper()
	var arr []json.RawMessage
	pkgtUnmarshal(t, key, obj[key], &arr)
	if i >= len(arr) {
		t.Fatalf("%s has %d elements", key, len(arr))
	}
	return arr[i]
}

// TestWritePackageOwnParams checks that a learner's own FSRS parameters go
// into the deck options and their decay into the card data.
func TestWritePackageOwnParams(t *testing.T) {
	params := srs.DefaultParams()
	params[0], params[20] = 0.5, 0.3
	f := pkgtMakeFixture(t, params)
	p := pkgtWrite(t, f.e)
	c := p.col(t)
	var dconf map[string]struct {
		FSRSParams6      []float64
		DesiredRetention float64
	}
	if err := json.Unmarshal([]byte(c.dconf), &dconf); err != nil {
		t.Fatal(err)
	}
	var own int
	for id, d := range dconf {
		if id == "1" {
			if d.FSRSParams6 != nil {
				t.Errorf("Default preset has parameters %v", d.FSRSParams6)
			}
			continue
		}
		own++
		if !slices.Equal(d.FSRSParams6, params[:]) || d.DesiredRetention != 0.87 {
			t.Errorf("own preset parameters %v retention %v, want %v 0.87", d.FSRSParams6, d.DesiredRetention, params)
		}
	}
	if own != 1 {
		t.Errorf("%d own presets", own)
	}
	var data string
	if err := p.db.QueryRow(`SELECT data FROM cards WHERE type = 2`).Scan(&data); err != nil {
		t.Fatal(err)
	}
	var d struct{ Decay float64 }
	if err := json.Unmarshal([]byte(data), &d); err != nil || d.Decay != 0.3 {
		t.Errorf("data %s: decay %v, want 0.3 (%v)", data, d.Decay, err)
	}
}

// TestWritePackageStates checks the card columns of states the main test
// does not reach, one card per package.
func TestWritePackageStates(t *testing.T) {
	loc := pkgtZone(t)
	set := srs.DefaultSettings()
	set.Location = loc
	now := time.Date(2026, 6, 10, 15, 0, 0, 0, loc)
	last := time.Date(2026, 6, 10, 14, 0, 0, 0, loc)
	crt := time.Date(2026, 6, 10, 4, 0, 0, 0, loc)
	mem := func(st srs.State) srs.State {
		st.Stability, st.Difficulty, st.LastReview, st.Reps = 3.25, 6.5, last, 4
		return st
	}
	lapse := Review{At: last, Rating: srs.Again,
		Before: mem(srs.State{Phase: srs.Review, Due: last, ScheduledDays: 12}),
		After:  mem(srs.State{Phase: srs.Relearning, Due: last.Add(10 * time.Minute), Lapses: 1, RemainingSteps: 1})}
	tests := []struct {
		name                           string
		pr                             *Progress
		typ, queue, due, ivl, flags    int64
		wantData                       bool
		revlogIvl, revlogLast, revType int64
	}{
		{"relearning today keeps the lapsed interval", &Progress{State: lapse.After, Log: []Review{lapse}},
			3, 1, last.Add(10 * time.Minute).Unix(), 12, 0, true, -600, 12, 1},
		{"relearning with its own interval", &Progress{State: func() srs.State { s := lapse.After; s.ScheduledDays = 5; return s }()},
			3, 1, last.Add(10 * time.Minute).Unix(), 5, 0, true, 0, 0, 0},
		{"learning due tomorrow", &Progress{State: mem(srs.State{Phase: srs.Learning, Due: time.Date(2026, 6, 11, 9, 0, 0, 0, loc)})},
			1, 3, 1, 0, 0, true, 0, 0, 0},
		{"review due in 3 days, buried earlier than now is not buried", &Progress{
			State:       mem(srs.State{Phase: srs.Review, Due: time.Date(2026, 6, 13, 14, 0, 0, 0, loc), ScheduledDays: 3}),
			BuriedUntil: now.Add(-time.Minute)},
			2, 2, 3, 3, 0, true, 0, 0, 0},
		{"review with no scheduled days gets 1", &Progress{State: mem(srs.State{Phase: srs.Review, Due: time.Date(2026, 6, 11, 14, 0, 0, 0, loc)})},
			2, 2, 1, 1, 0, true, 0, 0, 0},
		{"suspended and buried: suspended wins", &Progress{State: mem(srs.State{Phase: srs.Review, Due: time.Date(2026, 6, 11, 14, 0, 0, 0, loc), ScheduledDays: 1}),
			Suspended: true, BuriedUntil: now.Add(time.Hour)},
			2, -1, 1, 1, 0, true, 0, 0, 0},
		{"new state with progress, flagged", &Progress{Flagged: true}, 0, 0, 1, 0, 1, false, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Export{Deck: Deck{Title: "T", Cards: []Card{{GUID: "g1", NoteKey: "k1", Type: decks.TypeBasic, FrontHTML: "f", BackHTML: "b"}}},
				Progress: []*Progress{tt.pr}, Settings: set, Now: now}
			p := pkgtWrite(t, e)
			if string(p.files["media"]) != "{}" || len(p.names) != 2 {
				t.Errorf("entries %v, media %q", p.names, p.files["media"])
			}
			if c := p.col(t); c.crt != crt.Unix() {
				t.Errorf("crt %v, want %v", time.Unix(c.crt, 0).In(loc), crt)
			}
			cards := p.cards(t)
			if len(cards) != 1 {
				t.Fatalf("%d cards", len(cards))
			}
			c := cards[0]
			if c.typ != tt.typ || c.queue != tt.queue || c.due != tt.due || c.ivl != tt.ivl || c.flags != tt.flags || (c.data != "") != tt.wantData {
				t.Errorf("type %d queue %d due %d ivl %d flags %d data %q; want %d %d %d %d %d data %v",
					c.typ, c.queue, c.due, c.ivl, c.flags, c.data, tt.typ, tt.queue, tt.due, tt.ivl, tt.flags, tt.wantData)
			}
			if tt.wantData && (c.factor != 2500 || c.reps != 4 || c.mod != last.Unix()) {
				t.Errorf("factor %d reps %d mod %d", c.factor, c.reps, c.mod)
			}
			revlog := p.revlog(t)
			if len(revlog) != len(tt.pr.Log) {
				t.Fatalf("%d revlog rows for %d reviews", len(revlog), len(tt.pr.Log))
			}
			if len(revlog) == 1 {
				r := revlog[0]
				if r.ivl != tt.revlogIvl || r.lastIvl != tt.revlogLast || r.typ != tt.revType || r.factor != 711 || r.id != last.UnixMilli() {
					t.Errorf("revlog %+v, want ivl %d lastIvl %d type %d", r, tt.revlogIvl, tt.revlogLast, tt.revType)
				}
			}
		})
	}
}

// pkgtNoWrites fails the test on any write.
type pkgtNoWrites struct{ t *testing.T }

func (w pkgtNoWrites) Write(b []byte) (int, error) {
	w.t.Errorf("wrote %d bytes", len(b))
	return len(b), nil
}

// TestWritePackageErrors checks that what Anki cannot hold fails the
// export and writes nothing.
func TestWritePackageErrors(t *testing.T) {
	loc := pkgtZone(t)
	now := time.Date(2026, 6, 10, 15, 0, 0, 0, loc)
	set := srs.DefaultSettings()
	set.Location = loc
	good := srs.State{Phase: srs.Review, Due: now.Add(48 * time.Hour), LastReview: now.Add(-time.Hour), Stability: 3, Difficulty: 5, ScheduledDays: 2, Reps: 2}
	card := func(guid string) Card {
		return Card{GUID: guid, NoteKey: "k-" + guid, Type: decks.TypeBasic, FrontHTML: "f", BackHTML: "b"}
	}
	with := func(f func(*Export)) Export {
		e := Export{Deck: Deck{Title: "T", Cards: []Card{card("g1"), card("g2")}}, Settings: set, Now: now}
		f(&e)
		return e
	}
	state := func(f func(*srs.State)) []*Progress {
		st := good
		f(&st)
		return []*Progress{{State: st}}
	}
	review := func(f func(*Review)) []*Progress {
		r := Review{At: now.Add(-time.Hour), Rating: srs.Good, Before: srs.State{}, After: good}
		f(&r)
		return []*Progress{{State: good, Log: []Review{r}}}
	}
	tests := []struct {
		name, wantErr string
		e             Export
	}{
		{"duplicate GUID", "more than one note", with(func(e *Export) { e.Deck.Cards[1].GUID = "g1" })},
		{"empty GUID", "no GUID", with(func(e *Export) { e.Deck.Cards[0].GUID = " " })},
		{"more progress than cards", "3 progress entries for 2 cards", with(func(e *Export) { e.Progress = make([]*Progress, 3) })},
		{"unknown phase", "unknown phase", with(func(e *Export) { e.Progress = state(func(s *srs.State) { s.Phase = 9 }) })},
		{"review without due", "without a due date", with(func(e *Export) { e.Progress = state(func(s *srs.State) { s.Due = time.Time{} }) })},
		{"review without last review", "without a last review", with(func(e *Export) { e.Progress = state(func(s *srs.State) { s.LastReview = time.Time{} }) })},
		{"NaN stability", "stability", with(func(e *Export) { e.Progress = state(func(s *srs.State) { s.Stability = math.NaN() }) })},
		{"difficulty out of range", "difficulty", with(func(e *Export) { e.Progress = state(func(s *srs.State) { s.Difficulty = 11 }) })},
		{"negative reps", "counts out of range", with(func(e *Export) { e.Progress = state(func(s *srs.State) { s.Reps = -1 }) })},
		{"time before 2001", "before 2001", with(func(e *Export) {
			e.Progress = state(func(s *srs.State) { s.LastReview = time.Unix(5000, 0) })
		})},
		{"invalid rating", "rating", with(func(e *Export) { e.Progress = review(func(r *Review) { r.Rating = 0 }) })},
		{"review after now", "after the export time", with(func(e *Export) { e.Progress = review(func(r *Review) { r.At = now.Add(time.Minute) }) })},
		{"review leaving a new card", "state after", with(func(e *Export) { e.Progress = review(func(r *Review) { r.After = srs.State{} }) })},
		{"cloze without number", "cloze number", with(func(e *Export) {
			e.Deck.Cards[0] = Card{GUID: "g1", NoteKey: "k", Type: decks.TypeCloze, ClozeHTML: "{{c1::x}}"}
		})},
		{"cloze number repeated", "repeats", with(func(e *Export) {
			e.Deck.Cards = []Card{
				{GUID: "g1", NoteKey: "k", Type: decks.TypeCloze, Cloze: 1, ClozeHTML: "{{c1::x}}"},
				{GUID: "g2", NoteKey: "k", Type: decks.TypeCloze, Cloze: 1, ClozeHTML: "{{c1::x}}"},
			}
		})},
		{"media in a folder", "not a plain file name", with(func(e *Export) { e.Media = map[string][]byte{"img/a.png": nil} })},
		{"no export time", "Export.Now", with(func(e *Export) { e.Now = time.Time{} })},
		{"invalid settings", "settings", with(func(e *Export) { e.Settings.Retention = 0.5 })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := WritePackage(pkgtNoWrites{t}, tt.e)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err %v, want one saying %q", err, tt.wantErr)
			}
		})
	}
	// The valid export the cases start from writes a package.
	var buf bytes.Buffer
	if err := WritePackage(&buf, with(func(e *Export) { e.Progress = state(func(*srs.State) {}) })); err != nil || buf.Len() == 0 {
		t.Errorf("valid export: %v, %d bytes", err, buf.Len())
	}
}

// TestWritePackageDeterministic checks that the same input makes the
// same package.
func TestWritePackageDeterministic(t *testing.T) {
	f := pkgtMakeFixture(t, srs.Params{})
	var a, b bytes.Buffer
	if err := WritePackage(&a, f.e); err != nil {
		t.Fatal(err)
	}
	if err := WritePackage(&b, f.e); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two packages of the same export differ")
	}
}

func TestWriteStripHTML(t *testing.T) {
	for in, want := range map[string]string{
		"<p><b>What</b> is &amp; this?</p>":             "What is & this?",
		`see <img class="x" src="a b.png"> here`:        "see  a b.png  here",
		"a<!-- c -->b<style>p{}</style>c":               "abc",
		"x&nbsp;y":                                      "x y",
		"plain":                                         "plain",
		`<audio src='s.mp3'></audio><script>x</script>`: " s.mp3 ",
	} {
		if got := writeStripHTML(in); got != want {
			t.Errorf("writeStripHTML(%q) = %q, want %q", in, got, want)
		}
	}
}
