package anki

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha1"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"google.golang.org/protobuf/encoding/protowire"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// The fixtures below are built from Anki's schemas (rslib/src/storage/
// schema11.sql and upgrades/schema1[4578]_upgrade.sql) and package layout
// (rslib/src/import_export/package), not from this package's writer.

// fxSchema11 is the schema 11 DDL, rslib/src/storage/schema11.sql.
var fxSchema11 = []string{
	`CREATE TABLE col (id integer PRIMARY KEY, crt integer NOT NULL, mod integer NOT NULL,
		scm integer NOT NULL, ver integer NOT NULL, dty integer NOT NULL, usn integer NOT NULL,
		ls integer NOT NULL, conf text NOT NULL, models text NOT NULL, decks text NOT NULL,
		dconf text NOT NULL, tags text NOT NULL)`,
	`CREATE TABLE notes (id integer PRIMARY KEY, guid text NOT NULL, mid integer NOT NULL,
		mod integer NOT NULL, usn integer NOT NULL, tags text NOT NULL, flds text NOT NULL,
		sfld integer NOT NULL, csum integer NOT NULL, flags integer NOT NULL, data text NOT NULL)`,
	`CREATE TABLE cards (id integer PRIMARY KEY, nid integer NOT NULL, did integer NOT NULL,
		ord integer NOT NULL, mod integer NOT NULL, usn integer NOT NULL, type integer NOT NULL,
		queue integer NOT NULL, due integer NOT NULL, ivl integer NOT NULL, factor integer NOT NULL,
		reps integer NOT NULL, lapses integer NOT NULL, left integer NOT NULL, odue integer NOT NULL,
		odid integer NOT NULL, flags integer NOT NULL, data text NOT NULL)`,
	`CREATE TABLE revlog (id integer PRIMARY KEY, cid integer NOT NULL, usn integer NOT NULL,
		ease integer NOT NULL, ivl integer NOT NULL, lastIvl integer NOT NULL, factor integer NOT NULL,
		time integer NOT NULL, type integer NOT NULL)`,
	`CREATE TABLE graves (usn integer NOT NULL, oid integer NOT NULL, type integer NOT NULL)`,
	`CREATE INDEX ix_notes_usn ON notes (usn)`,
	`CREATE INDEX ix_cards_usn ON cards (usn)`,
	`CREATE INDEX ix_revlog_usn ON revlog (usn)`,
	`CREATE INDEX ix_cards_nid ON cards (nid)`,
	`CREATE INDEX ix_cards_sched ON cards (did, queue, due)`,
	`CREATE INDEX ix_revlog_cid ON revlog (cid)`,
	`CREATE INDEX ix_notes_csum ON notes (csum)`,
	`INSERT INTO col VALUES (1, 0, 0, 0, 0, 0, 0, 0, '{}', '{}', '{}', '{}', '{}')`,
}

// fxSchema18 upgrades fxSchema11 to schema 18: the upgrade scripts 14, 15,
// 17 and 18 of rslib/src/storage/upgrades.
var fxSchema18 = []string{
	// 14
	`CREATE TABLE deck_config (id integer PRIMARY KEY NOT NULL, name text NOT NULL COLLATE unicase,
		mtime_secs integer NOT NULL, usn integer NOT NULL, config blob NOT NULL)`,
	`CREATE TABLE config (KEY text NOT NULL PRIMARY KEY, usn integer NOT NULL,
		mtime_secs integer NOT NULL, val blob NOT NULL) without rowid`,
	`CREATE TABLE tags (tag text NOT NULL PRIMARY KEY COLLATE unicase, usn integer NOT NULL) without rowid`,
	// 15
	`CREATE TABLE fields (ntid integer NOT NULL, ord integer NOT NULL, name text NOT NULL COLLATE unicase,
		config blob NOT NULL, PRIMARY KEY (ntid, ord)) without rowid`,
	`CREATE UNIQUE INDEX idx_fields_name_ntid ON fields (name, ntid)`,
	`CREATE TABLE templates (ntid integer NOT NULL, ord integer NOT NULL, name text NOT NULL COLLATE unicase,
		mtime_secs integer NOT NULL, usn integer NOT NULL, config blob NOT NULL, PRIMARY KEY (ntid, ord)) without rowid`,
	`CREATE UNIQUE INDEX idx_templates_name_ntid ON templates (name, ntid)`,
	`CREATE INDEX idx_templates_usn ON templates (usn)`,
	`CREATE TABLE notetypes (id integer NOT NULL PRIMARY KEY, name text NOT NULL COLLATE unicase,
		mtime_secs integer NOT NULL, usn integer NOT NULL, config blob NOT NULL)`,
	`CREATE UNIQUE INDEX idx_notetypes_name ON notetypes (name)`,
	`CREATE INDEX idx_notetypes_usn ON notetypes (usn)`,
	`CREATE TABLE decks (id integer PRIMARY KEY NOT NULL, name text NOT NULL COLLATE unicase,
		mtime_secs integer NOT NULL, usn integer NOT NULL, common blob NOT NULL, kind blob NOT NULL)`,
	`CREATE UNIQUE INDEX idx_decks_name ON decks (name)`,
	`CREATE INDEX idx_notes_mid ON notes (mid)`,
	`CREATE INDEX idx_cards_odid ON cards (odid) WHERE odid != 0`,
	// 17
	`DROP TABLE tags`,
	`CREATE TABLE tags (tag text NOT NULL PRIMARY KEY COLLATE unicase, usn integer NOT NULL,
		collapsed boolean NOT NULL, config blob NULL) without rowid`,
	// 18
	`ALTER TABLE graves RENAME TO graves_old`,
	`CREATE TABLE graves (oid integer NOT NULL, type integer NOT NULL, usn integer NOT NULL,
		PRIMARY KEY (oid, type)) WITHOUT ROWID`,
	`INSERT OR IGNORE INTO graves (oid, type, usn) SELECT oid, type, usn FROM graves_old`,
	`DROP TABLE graves_old`,
	`CREATE INDEX idx_graves_pending ON graves (usn)`,
}

// fxRows are the notes, cards and review log of the test collection, in
// reverse id order so that the reader must sort them; schemas 11 and 18
// store them alike.
var fxRows = []string{
	`INSERT INTO notes VALUES (300, 'g3', 1111, 1700000300, 0, '', 'third front' || char(31) || 'third back', 'third front', 0, 0, '')`,
	`INSERT INTO notes VALUES (200, 'g2', 2222, 1700000200, 0, '', '{{c1::Paris}} is in {{c2::France}}' || char(31) || 'extra <img src="pic.png">', '', 0, 0, '')`,
	`INSERT INTO notes VALUES (100, 'g1', 1111, 1700000100, 0, ' vocab  tag::two ', 'front' || char(31) || 'back [sound:sound.mp3]', 'front', 0, 0, '')`,
	// id, nid, did, ord, mod, usn, type, queue, due, ivl, factor, reps, lapses, left, odue, odid, flags, data
	// user buried in a filtered deck, home 11: keeps its queue, due back to 80
	`INSERT INTO cards VALUES (3000, 300, 20, 0, 0, 0, 2, -3, 7, 20, 2300, 8, 0, 0, 80, 11, 0, '')`,
	// suspended new cloze card 2
	`INSERT INTO cards VALUES (2001, 200, 10, 1, 0, 0, 0, -1, 3, 0, 0, 0, 0, 0, 0, 0, 0, '')`,
	// relearning in a filtered (no rescheduling) deck: queue 2 there, 1 home; due is the position, odue a Unix time
	`INSERT INTO cards VALUES (2000, 200, 20, 0, 0, 0, 3, 2, 5, 1, 2100, 9, 2, 1001, 1700050000, 10, 0, '')`,
	`INSERT INTO cards VALUES (1000, 100, 11, 0, 0, 0, 2, 2, 50, 10, 2500, 5, 1, 0, 0, 0, 3, '{"s":12.5,"d":5.1,"dr":0.9}')`,
	// id, cid, usn, ease, ivl, lastIvl, factor, time, type; one time stored as REAL
	`INSERT INTO revlog VALUES (1700000300000, 2000, 0, 2, 1, -600, 2100, 3500.7, 2)`,
	`INSERT INTO revlog VALUES (1700000200000, 1000, 0, 3, 10, 4, 2500, 6000, 1)`,
	`INSERT INTO revlog VALUES (1700000100000, 1000, 0, 1, -600, 0, 0, 12000, 0)`,
}

// fxCrt is the test collection's col.crt.
const fxCrt = 1700000000

var (
	fxPNG = []byte("\x89PNG\r\n\x1a\n fake image data")
	fxMP3 = []byte("ID3 fake sound data")
)

// fxWant is what each test package holds, written out by hand.
func fxWant(format string) *Collection {
	return &Collection{
		Format:  format,
		Created: time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC),
		Decks: map[int64]CollectionDeck{
			1:  {ID: 1, Name: "Default"},
			10: {ID: 10, Name: "Parent"},
			11: {ID: 11, Name: "Parent::Child"},
			20: {ID: 20, Name: "Filtered Deck 1", Filtered: true},
		},
		Notetypes: map[int64]Notetype{
			1111: {ID: 1111, Name: "Basic", Fields: []string{"Front", "Back"}},
			2222: {ID: 2222, Name: "Cloze", Cloze: true, Fields: []string{"Text", "Back Extra"}},
		},
		Notes: []CollectionNote{
			{ID: 100, GUID: "g1", NotetypeID: 1111, Modified: time.Date(2023, 11, 14, 22, 15, 0, 0, time.UTC),
				Tags: []string{"vocab", "tag::two"}, Fields: []string{"front", "back [sound:sound.mp3]"}},
			{ID: 200, GUID: "g2", NotetypeID: 2222, Modified: time.Date(2023, 11, 14, 22, 16, 40, 0, time.UTC),
				Fields: []string{"{{c1::Paris}} is in {{c2::France}}", `extra <img src="pic.png">`}},
			{ID: 300, GUID: "g3", NotetypeID: 1111, Modified: time.Date(2023, 11, 14, 22, 18, 20, 0, time.UTC),
				Fields: []string{"third front", "third back"}},
		},
		Cards: []CollectionCard{
			{ID: 1000, NoteID: 100, DeckID: 11, Ord: 0, Type: 2, Queue: 2, Due: 50, Ivl: 10, Factor: 2500,
				Reps: 5, Lapses: 1, Flags: 3, Data: `{"s":12.5,"d":5.1,"dr":0.9}`},
			{ID: 2000, NoteID: 200, DeckID: 10, Ord: 0, Type: 3, Queue: 1, Due: 1700050000, Ivl: 1, Factor: 2100,
				Reps: 9, Lapses: 2},
			{ID: 2001, NoteID: 200, DeckID: 10, Ord: 1, Type: 0, Queue: -1, Due: 3},
			{ID: 3000, NoteID: 300, DeckID: 11, Ord: 0, Type: 2, Queue: -3, Due: 80, Ivl: 20, Factor: 2300, Reps: 8},
		},
		Revlog: []CollectionReview{
			{ID: 1700000100000, CardID: 1000, Ease: 1, Ivl: -600, LastIvl: 0, Factor: 0, Time: 12000, Type: 0},
			{ID: 1700000200000, CardID: 1000, Ease: 3, Ivl: 10, LastIvl: 4, Factor: 2500, Time: 6000, Type: 1},
			{ID: 1700000300000, CardID: 2000, Ease: 2, Ivl: 1, LastIvl: -600, Factor: 2100, Time: 3500, Type: 2},
		},
		Media: map[string][]byte{"pic.png": fxPNG, "sound.mp3": fxMP3},
	}
}

// fxModelsJSON and fxDecksJSON are col.models and col.decks of the schema
// 11 collection, in the shapes Anki writes (and the variants it reads:
// string ids, fields out of order, a boolean "dyn").
const (
	fxModelsJSON = `{
		"1111": {"id": 1111, "name": "Basic", "type": 0, "mod": 0, "usn": 0, "sortf": 0, "did": 1,
			"tmpls": [{"name": "Card 1", "ord": 0, "qfmt": "{{Front}}", "afmt": "{{Back}}"}],
			"flds": [{"name": "Front", "ord": 0, "sticky": false, "rtl": false, "font": "Arial", "size": 20},
			         {"name": "Back", "ord": 1, "sticky": false, "rtl": false, "font": "Arial", "size": 20}],
			"css": ".card {}", "latexPre": "", "latexPost": "", "req": [[0, "any", [0]]]},
		"2222": {"id": "2222", "name": "Cloze", "type": 1, "mod": 0, "usn": 0, "sortf": 0, "did": null,
			"tmpls": [{"name": "Cloze", "ord": 0, "qfmt": "{{cloze:Text}}", "afmt": "{{cloze:Text}}"}],
			"flds": [{"name": "Back Extra", "ord": 1, "sticky": false, "rtl": false, "font": "Arial", "size": 20},
			         {"name": "Text", "ord": 0, "sticky": false, "rtl": false, "font": "Arial", "size": 20}],
			"css": ""}
	}`
	fxDecksJSON = `{
		"1": {"id": 1, "name": "Default", "dyn": 0, "conf": 1, "desc": "", "collapsed": false, "mod": 0, "usn": 0},
		"10": {"id": 10, "name": "Parent", "dyn": 0, "conf": 1, "desc": "", "collapsed": false, "mod": 0, "usn": 0},
		"11": {"id": "11", "name": "Parent::Child", "dyn": false, "conf": 1, "desc": "", "mod": 0, "usn": 0},
		"20": {"id": 20, "name": "Filtered Deck 1", "dyn": true, "resched": false,
			"terms": [["deck:Parent", 100, 0]], "mod": 0, "usn": 0}
	}`
)

// fxSQLite makes an SQLite database from the statements and returns the
// file's bytes.
func fxSQLite(t testing.TB, wal bool, stmts ...[]string) []byte {
	t.Helper()
	if err := readRegisterUnicase(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "col.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	if wal {
		var mode string
		if err := db.QueryRow(`PRAGMA journal_mode=WAL`).Scan(&mode); err != nil || mode != "wal" {
			t.Fatalf("journal_mode=WAL: %q, %v", mode, err)
		}
	}
	for _, list := range stmts {
		for _, s := range list {
			if _, err := db.Exec(s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fxSchema11Col is a schema 11 collection of the test content, and then
// the extra statements.
func fxSchema11Col(t testing.TB, extra ...[]string) []byte {
	return fxSQLite(t, false, append([][]string{fxSchema11, fxRows, {
		fmt.Sprintf(`UPDATE col SET crt = %d, ver = 11, conf = '%s', models = '%s', decks = '%s'`, fxCrt, fxConfJSON, fxModelsJSON, fxDecksJSON),
	}}, extra...)...)
}

// fxConfJSON is col.conf of the schema 11 collection: the second
// scheduler, as Anki's legacy exports say.
const fxConfJSON = `{"activeDecks": [1], "curDeck": 1, "schedVer": 2, "sched2021": true, "rollover": 4}`

// fxDummyCol is the collection.anki2 that modern Anki writes beside the
// real collection: one note asking to update Anki.
func fxDummyCol(t testing.TB) []byte {
	return fxSQLite(t, false, fxSchema11, []string{
		`UPDATE col SET crt = 1600000000, ver = 11,
			models = '{"5": {"id": 5, "name": "Basic", "type": 0, "flds": [{"name": "Front", "ord": 0}, {"name": "Back", "ord": 1}]}}',
			decks = '{"1": {"id": 1, "name": "Default", "dyn": 0}}'`,
		`INSERT INTO notes VALUES (9, 'dummy', 5, 1600000000, 0, '', 'Please update to the latest Anki version, then import the .colpkg/.apkg file again.' || char(31), '', 0, 0, '')`,
		`INSERT INTO cards VALUES (9, 9, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, '')`,
	})
}

// Protobuf encoding of the few messages the fixtures need.

func fxPBVarint(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func fxPBBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

// fxMeta is a PackageMetadata of the version.
func fxMeta(version uint64) []byte { return fxPBVarint(nil, 1, version) }

// fxMediaEntry is one MediaEntry; legacyZip < 0 leaves
// legacy_zip_filename unset.
func fxMediaEntry(name string, data []byte, legacyZip int) []byte {
	sum := sha1.Sum(data)
	e := fxPBBytes(nil, 1, []byte(name))
	e = fxPBVarint(e, 2, uint64(len(data)))
	e = fxPBBytes(e, 3, sum[:])
	if legacyZip >= 0 {
		e = fxPBVarint(e, 255, uint64(legacyZip))
	}
	return e
}

// fxMediaEntries is a MediaEntries of the entries.
func fxMediaEntries(entries ...[]byte) []byte {
	var b []byte
	for _, e := range entries {
		b = fxPBBytes(b, 1, e)
	}
	return b
}

// fxSchema18Col is a schema 18 collection of the test content, in WAL
// mode as Anki leaves it, and then the extra statements. col.models and
// col.decks are empty, as in Anki.
func fxSchema18Col(t testing.TB, extra ...[]string) []byte {
	basicConfig := fxPBBytes(nil, 3, []byte(".card {}"))                                       // css; kind unset: normal
	basicConfig = fxPBBytes(basicConfig, 255, []byte(`{"x":1}`))                               // other
	clozeConfig := fxPBVarint(fxPBBytes(nil, 3, []byte(".cloze {}")), 1, 1)                    // kind: cloze, after css
	normal := fxPBBytes(nil, 1, fxPBVarint(nil, 1, 1))                                         // KindContainer{normal{config_id: 1}}
	emptyNormal := fxPBBytes(nil, 1, nil)                                                      // KindContainer{normal{}}
	filtered := fxPBBytes(nil, 2, fxPBBytes(fxPBVarint(nil, 1, 0), 2, []byte("\n\x06deck:1"))) // KindContainer{filtered{...}}
	common := fxPBVarint(nil, 1, 1)
	blob := func(b []byte) string { return fmt.Sprintf("x'%x'", b) }
	return fxSQLite(t, true, append([][]string{fxSchema11, fxSchema18, fxRows, {
		fmt.Sprintf(`UPDATE col SET crt = %d, ver = 18`, fxCrt),
		`INSERT INTO notetypes VALUES (2222, 'Cloze', 0, 0, ` + blob(clozeConfig) + `)`,
		`INSERT INTO notetypes VALUES (1111, 'Basic', 0, 0, ` + blob(basicConfig) + `)`,
		`INSERT INTO fields VALUES (2222, 1, 'Back Extra', x'')`,
		`INSERT INTO fields VALUES (1111, 1, 'Back', x'')`,
		`INSERT INTO fields VALUES (2222, 0, 'Text', x'')`,
		`INSERT INTO fields VALUES (1111, 0, 'Front', x'')`,
		`INSERT INTO templates VALUES (1111, 0, 'Card 1', 0, 0, x'')`,
		`INSERT INTO templates VALUES (2222, 0, 'Cloze', 0, 0, x'')`,
		`INSERT INTO decks VALUES (1, 'Default', 0, 0, ` + blob(common) + `, ` + blob(normal) + `)`,
		`INSERT INTO decks VALUES (10, 'Parent', 0, 0, x'', ` + blob(emptyNormal) + `)`,
		`INSERT INTO decks VALUES (11, 'Parent' || char(31) || 'Child', 0, 0, x'', ` + blob(normal) + `)`,
		`INSERT INTO decks VALUES (20, 'Filtered Deck 1', 0, 0, x'', ` + blob(filtered) + `)`,
		`INSERT INTO deck_config VALUES (1, 'Default', 0, 0, x'')`,
		`INSERT INTO config VALUES ('curDeck', 0, 0, '1')`,
		`INSERT INTO config VALUES ('schedVer', 0, 0, CAST('2' AS BLOB))`,
		`INSERT INTO tags VALUES ('vocab', 0, 0, NULL)`,
	}}, extra...)...)
}

// fxEntry is one zip entry; deflate compresses it, otherwise it is stored.
type fxEntry struct {
	name    string
	data    []byte
	deflate bool
}

// fxZip makes a zip archive of the entries.
func fxZip(t testing.TB, entries ...fxEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Store}
		if e.deflate {
			h.Method = zip.Deflate
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fxZstd compresses b with zstd.
func fxZstd(t testing.TB, b []byte) []byte {
	t.Helper()
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	return enc.EncodeAll(b, nil)
}

// fxLegacyMedia are the media entries of a legacy package: the JSON map
// and the uncompressed files under their numbers.
func fxLegacyMedia(t testing.TB, names map[string]string, files map[string][]byte) []fxEntry {
	t.Helper()
	m, err := json.Marshal(names)
	if err != nil {
		t.Fatal(err)
	}
	entries := []fxEntry{{name: "media", data: m}}
	for k, v := range files {
		entries = append(entries, fxEntry{name: k, data: v, deflate: true})
	}
	return entries
}

// fxLegacy1 is a legacy 1 package: collection.anki2 (schema 11), no meta,
// a JSON media map.
func fxLegacy1(t testing.TB) []byte {
	entries := []fxEntry{{name: "collection.anki2", data: fxSchema11Col(t), deflate: true}}
	entries = append(entries, fxLegacyMedia(t,
		map[string]string{"0": "pic.png", "1": "sound.mp3"},
		map[string][]byte{"0": fxPNG, "1": fxMP3})...)
	return fxZip(t, entries...)
}

// fxLegacy2 is a legacy 2 package: collection.anki21 beside a dummy
// collection.anki2, with a meta entry of version 2 when meta is set.
// Its media numbers have a gap, as legacy maps may.
func fxLegacy2(t testing.TB, meta bool) []byte {
	var entries []fxEntry
	if meta {
		entries = append(entries, fxEntry{name: "meta", data: fxMeta(2)})
	}
	entries = append(entries,
		fxEntry{name: "collection.anki2", data: fxDummyCol(t)},
		fxEntry{name: "collection.anki21", data: fxSchema11Col(t), deflate: true})
	entries = append(entries, fxLegacyMedia(t,
		map[string]string{"0": "sound.mp3", "2": "pic.png"},
		map[string][]byte{"0": fxMP3, "2": fxPNG})...)
	return fxZip(t, entries...)
}

// fxLatest is a latest (version 3) package: meta, zstd collection.anki21b
// in schema 18, the dummy collection.anki2, a zstd protobuf media list and
// zstd media files; the second file sits under its legacy_zip_filename.
func fxLatest(t testing.TB) []byte {
	list := fxMediaEntries(fxMediaEntry("pic.png", fxPNG, -1), fxMediaEntry("sound.mp3", fxMP3, 7))
	return fxZip(t,
		fxEntry{name: "meta", data: fxMeta(3)},
		fxEntry{name: "collection.anki21b", data: fxZstd(t, fxSchema18Col(t))},
		fxEntry{name: "collection.anki2", data: fxDummyCol(t)},
		fxEntry{name: "media", data: fxZstd(t, list)},
		fxEntry{name: "0", data: fxZstd(t, fxPNG)},
		fxEntry{name: "7", data: fxZstd(t, fxMP3)},
	)
}

// fxRead reads a package from memory with the limits, and checks that a
// failure returns no Collection.
func fxRead(t testing.TB, pkg []byte, lim ReadLimits) (*Collection, error) {
	t.Helper()
	col, err := ReadPackage(bytes.NewReader(pkg), int64(len(pkg)), lim)
	if err != nil && col != nil {
		t.Errorf("ReadPackage returned a Collection with the error %v", err)
	}
	return col, err
}

// fxCompare reports every field of got that differs from want.
func fxCompare(t testing.TB, got, want *Collection) {
	t.Helper()
	if got == nil {
		t.Fatal("nil Collection")
	}
	gv, wv := reflect.ValueOf(*got), reflect.ValueOf(*want)
	for i := 0; i < gv.NumField(); i++ {
		name := gv.Type().Field(i).Name
		if g, w := gv.Field(i).Interface(), wv.Field(i).Interface(); !reflect.DeepEqual(g, w) {
			t.Errorf("%s:\n got %#v\nwant %#v", name, g, w)
		}
	}
}

func TestReadPackageVersions(t *testing.T) {
	for _, tc := range []struct {
		name, format string
		pkg          func(t testing.TB) []byte
	}{
		{"legacy 1", "collection.anki2", fxLegacy1},
		{"legacy 2 with meta", "collection.anki21", func(t testing.TB) []byte { return fxLegacy2(t, true) }},
		{"legacy 2 without meta", "collection.anki21", func(t testing.TB) []byte { return fxLegacy2(t, false) }},
		{"latest", "collection.anki21b", fxLatest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			col, err := fxRead(t, tc.pkg(t), ReadLimits{})
			if err != nil {
				t.Fatal(err)
			}
			fxCompare(t, col, fxWant(tc.format))
			left, err := os.ReadDir(tmp)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range left {
				t.Errorf("ReadPackage left %s in the temporary directory", e.Name())
			}
		})
	}
}

func TestReadPackageFileColpkg(t *testing.T) {
	path := filepath.Join(t.TempDir(), "collection.colpkg")
	if err := os.WriteFile(path, fxLatest(t), 0o600); err != nil {
		t.Fatal(err)
	}
	col, err := ReadPackageFile(path, DefaultReadLimits)
	if err != nil {
		t.Fatal(err)
	}
	fxCompare(t, col, fxWant("collection.anki21b"))

	if col, err := ReadPackageFile(filepath.Join(t.TempDir(), "missing.apkg"), DefaultReadLimits); err == nil || col != nil {
		t.Errorf("missing file: %v, %v", col, err)
	}
}

// TestReadPackageNoMediaList: older AnkiDroid colpkgs have no media list.
func TestReadPackageNoMediaList(t *testing.T) {
	col, err := fxRead(t, fxZip(t, fxEntry{name: "collection.anki2", data: fxSchema11Col(t)}), ReadLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if col.Media == nil || len(col.Media) != 0 {
		t.Errorf("Media = %#v, want an empty map", col.Media)
	}
	if len(col.Notes) != 3 {
		t.Errorf("%d notes, want 3", len(col.Notes))
	}
}

func TestReadPackageRefusals(t *testing.T) {
	schema11 := fxSchema11Col(t)
	legacy := func(media map[string]string, files map[string][]byte) []byte {
		entries := []fxEntry{{name: "collection.anki2", data: schema11}}
		return fxZip(t, append(entries, fxLegacyMedia(t, media, files)...)...)
	}
	latest := func(col []byte, list []byte, files ...fxEntry) []byte {
		entries := []fxEntry{
			{name: "meta", data: fxMeta(3)},
			{name: "collection.anki21b", data: col},
			{name: "media", data: fxZstd(t, list)},
		}
		return fxZip(t, append(entries, files...)...)
	}
	schema18 := fxZstd(t, fxSchema18Col(t))
	zeros := make([]byte, 8<<20)

	// A corrupt SQLite file: a valid header, then garbage.
	corrupt := append([]byte(nil), schema11...)
	for i := 100; i < len(corrupt); i++ {
		corrupt[i] = byte(i * 7)
	}
	// A zstd frame that asks for a 1 GiB window: frame header descriptor
	// 0 (so a window descriptor follows), window exponent 20 (2^30), then
	// one last raw block of one byte.
	hugeWindow := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 20 << 3, 0x09, 0x00, 0x00, 'x'}
	// A zip entry whose header understates its size.
	var lying bytes.Buffer
	{
		zw := zip.NewWriter(&lying)
		w, err := zw.CreateRaw(&zip.FileHeader{Name: "collection.anki2", Method: zip.Store,
			CompressedSize64: uint64(len(schema11)), UncompressedSize64: 100})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(schema11)
		zw.Close()
	}

	small := ReadLimits{MaxCollectionBytes: 1 << 20, MaxMediaBytes: 1 << 20, MaxMediaFiles: 3}
	for _, tc := range []struct {
		name string
		pkg  []byte
		lim  ReadLimits
		want string
	}{
		{"not a zip", []byte("this is not a zip archive"), ReadLimits{}, "the package is not a zip archive"},
		{"no collection", fxZip(t, fxEntry{name: "media", data: []byte("{}")}), ReadLimits{},
			"the package has no collection file (collection.anki2)"},
		{"latest without its collection", fxZip(t, fxEntry{name: "meta", data: fxMeta(3)},
			fxEntry{name: "collection.anki2", data: schema11}), ReadLimits{},
			"the package has no collection file (collection.anki21b)"},
		{"not SQLite", fxZip(t, fxEntry{name: "collection.anki2", data: []byte("PK not a database at all")}), ReadLimits{},
			"the package's collection.anki2 is not an SQLite database"},
		{"empty collection file", fxZip(t, fxEntry{name: "collection.anki2"}), ReadLimits{},
			"the package's collection.anki2 is not an SQLite database"},
		{"corrupt SQLite", fxZip(t, fxEntry{name: "collection.anki2", data: corrupt}), ReadLimits{},
			"the package's collection.anki2 "},
		{"SQLite without Anki's tables", fxZip(t, fxEntry{name: "collection.anki2",
			data: fxSQLite(t, false, []string{`CREATE TABLE col (crt integer, ver integer)`, `CREATE TABLE notes (id integer)`})}), ReadLimits{},
			"the package's collection.anki2 is not an Anki collection: it has no cards table"},
		{"notes is a view", fxZip(t, fxEntry{name: "collection.anki2", data: fxSQLite(t, false, fxSchema11[:1], fxSchema11[2:5],
			[]string{`CREATE VIEW notes AS SELECT * FROM cards`, fxSchema11[len(fxSchema11)-1]})}), ReadLimits{},
			"the package's collection.anki2 is not an Anki collection: it has no notes table"},
		{"notes is a virtual table", fxZip(t, fxEntry{name: "collection.anki2", data: fxSQLite(t, false, fxSchema11[:1], fxSchema11[2:5],
			[]string{`CREATE VIRTUAL TABLE notes USING fts5(id, guid, mid, mod, tags, flds)`, fxSchema11[len(fxSchema11)-1]})}), ReadLimits{},
			"the package's collection.anki2 is not an Anki collection: it has no notes table"},
		{"empty col", fxZip(t, fxEntry{name: "collection.anki2", data: fxSQLite(t, false, fxSchema11, []string{`DELETE FROM col`})}), ReadLimits{},
			"the package's collection.anki2 is not an Anki collection: its col table is empty"},
		{"schema too new", fxZip(t, fxEntry{name: "collection.anki2", data: fxSQLite(t, false, fxSchema11, []string{`UPDATE col SET ver = 19`})}), ReadLimits{},
			"the package's collection.anki2 has schema version 19, which is not supported (supported: 11 to 18)"},
		{"schema 18 without notetypes", latest(fxZstd(t, fxSQLite(t, false, fxSchema11, fxSchema18,
			[]string{`DROP TABLE notetypes`, `UPDATE col SET ver = 18`})), fxMediaEntries()), ReadLimits{},
			"the package's collection.anki21b is not an Anki collection of schema 18: it has no notetypes table"},
		{"corrupt models JSON", fxZip(t, fxEntry{name: "collection.anki2", data: fxSQLite(t, false, fxSchema11, []string{`UPDATE col SET ver = 11, models = '[1'`})}), ReadLimits{},
			"the package's collection.anki2: its note types (col.models) are not a JSON object"},
		{"corrupt notetype config", latest(fxZstd(t, fxSQLite(t, false, fxSchema11, fxSchema18,
			[]string{`UPDATE col SET ver = 18`, `INSERT INTO notetypes VALUES (1, 'X', 0, 0, x'0a')`})), fxMediaEntries()), ReadLimits{},
			"the package's collection.anki21b: its notetypes table is unreadable: note type 1 has a corrupt config"},
		{"deck of no kind", latest(fxZstd(t, fxSQLite(t, false, fxSchema11, fxSchema18,
			[]string{`UPDATE col SET ver = 18`, `INSERT INTO decks VALUES (5, 'A' || char(31) || 'B', 0, 0, x'', x'')`})), fxMediaEntries()), ReadLimits{},
			`the package's collection.anki21b: its decks table is unreadable: deck 5 ("A::B") has a corrupt kind: it is neither normal nor filtered`},
		{"unknown meta version", fxZip(t, fxEntry{name: "meta", data: fxMeta(4)}, fxEntry{name: "collection.anki21b", data: schema18}), ReadLimits{},
			"the package's format version 4 is not supported (supported: 1 to 3); it may come from a newer Anki"},
		{"empty meta", fxZip(t, fxEntry{name: "meta"}, fxEntry{name: "collection.anki21b", data: schema18}), ReadLimits{},
			"the package's format version 0 is not supported"},
		{"corrupt meta", fxZip(t, fxEntry{name: "meta", data: []byte{0x08}}, fxEntry{name: "collection.anki21b", data: schema18}), ReadLimits{},
			"the package's meta entry is corrupt"},
		{"duplicate zip entries", fxZip(t, fxEntry{name: "collection.anki2", data: schema11}, fxEntry{name: "collection.anki2", data: schema11}), ReadLimits{},
			`the package has two entries named "collection.anki2"`},
		{"unsafe name ../x", legacy(map[string]string{"0": "../x"}, map[string][]byte{"0": fxPNG}), ReadLimits{},
			`media file 0 has an unsafe name "../x": it holds a path separator`},
		{"unsafe name a/b", legacy(map[string]string{"0": "ok.png", "1": "a/b"}, map[string][]byte{"0": fxPNG, "1": fxPNG}), ReadLimits{},
			`media file 1 has an unsafe name "a/b": it holds a path separator`},
		{"unsafe name a\\b", legacy(map[string]string{"0": `a\b`}, map[string][]byte{"0": fxPNG}), ReadLimits{},
			`media file 0 has an unsafe name "a\\b": it holds a path separator`},
		{"unsafe name ..", legacy(map[string]string{"0": ".."}, map[string][]byte{"0": fxPNG}), ReadLimits{},
			`media file 0 has an unsafe name "..": it names a directory`},
		{"unsafe name NUL", legacy(map[string]string{"0": "a\x00.png"}, map[string][]byte{"0": fxPNG}), ReadLimits{},
			`media file 0 has an unsafe name "a\x00.png": it holds a NUL or control character`},
		{"unsafe name newline", legacy(map[string]string{"0": "a\n.png"}, map[string][]byte{"0": fxPNG}), ReadLimits{},
			`media file 0 has an unsafe name "a\n.png": it holds a NUL or control character`},
		{"unsafe name empty", legacy(map[string]string{"0": ""}, map[string][]byte{"0": fxPNG}), ReadLimits{},
			`media file 0 has an unsafe name "": it is empty`},
		{"unsafe name too long", legacy(map[string]string{"0": strings.Repeat("a", 256)}, map[string][]byte{"0": fxPNG}), ReadLimits{},
			`it is longer than 255 bytes`},
		{"unsafe name latest", latest(schema18, fxMediaEntries(fxMediaEntry("../x", fxPNG, -1)), fxEntry{name: "0", data: fxZstd(t, fxPNG)}), ReadLimits{},
			`media file 0 has an unsafe name "../x": it holds a path separator`},
		{"missing media file", legacy(map[string]string{"0": "pic.png", "3": "x.png"}, map[string][]byte{"0": fxPNG}), ReadLimits{},
			`media file 3 ("x.png") is missing from the package`},
		{"missing media file latest", latest(schema18, fxMediaEntries(fxMediaEntry("pic.png", fxPNG, -1), fxMediaEntry("x.png", fxPNG, -1)),
			fxEntry{name: "0", data: fxZstd(t, fxPNG)}), ReadLimits{},
			`media file 1 ("x.png") is missing from the package`},
		{"duplicate media name", legacy(map[string]string{"0": "pic.png", "1": "pic.png"}, map[string][]byte{"0": fxPNG, "1": fxPNG}), ReadLimits{},
			`media files 0 and 1 have the same name "pic.png"`},
		{"media key not a number", legacy(map[string]string{"x": "pic.png"}, map[string][]byte{"x": fxPNG}), ReadLimits{},
			`the package's media list has an entry "x" that is not a file number`},
		{"legacy media list not JSON", fxZip(t, fxEntry{name: "collection.anki2", data: schema11}, fxEntry{name: "media", data: []byte(`["pic.png"]`)}), ReadLimits{},
			"the package's media list is not a JSON object of names"},
		{"latest media list not zstd", fxZip(t, fxEntry{name: "meta", data: fxMeta(3)}, fxEntry{name: "collection.anki21b", data: schema18},
			fxEntry{name: "media", data: fxMediaEntries(fxMediaEntry("pic.png", fxPNG, -1))}), ReadLimits{},
			"the package's media list is corrupt"},
		{"media SHA-1 mismatch", latest(schema18, fxMediaEntries(fxMediaEntry("pic.png", fxPNG, -1)), fxEntry{name: "0", data: fxZstd(t, fxMP3)}), ReadLimits{},
			`media file 0 ("pic.png") has 19 bytes, but the media list says 24`},
		{"media SHA-1 mismatch same size", latest(schema18, fxMediaEntries(fxMediaEntry("pic.png", fxPNG, -1)),
			fxEntry{name: "0", data: fxZstd(t, append([]byte("X"), fxPNG[1:]...))}), ReadLimits{},
			`media file 0 ("pic.png") does not match the SHA-1 the media list gives`},
		{"too many media files", legacy(map[string]string{"0": "a.png", "1": "b.png", "2": "c.png", "3": "d.png"},
			map[string][]byte{"0": fxPNG, "1": fxPNG, "2": fxPNG, "3": fxPNG}), small,
			"the package has more media files than the limit of 3"},
		{"too many media files latest", latest(schema18, fxMediaEntries(fxMediaEntry("a", nil, -1), fxMediaEntry("b", nil, -1),
			fxMediaEntry("c", nil, -1), fxMediaEntry("d", nil, -1))), small,
			"the package has more media files than the limit of 3"},
		{"collection zip bomb (deflate)", fxZip(t, fxEntry{name: "collection.anki2", data: zeros, deflate: true}), small,
			"the package's collection.anki2 is larger than the limit of 1 MiB once decompressed"},
		{"collection zip bomb (zstd)", latest(fxZstd(t, zeros), fxMediaEntries()), small,
			"the package's collection.anki21b is larger than the limit of 1 MiB once decompressed"},
		{"media zip bomb (deflate)", legacy(map[string]string{"0": "big.png"}, map[string][]byte{"0": zeros}), small,
			`the package's media are larger than the limit of 1 MiB once decompressed (at media file 0, "big.png")`},
		{"media zip bomb (zstd)", latest(schema18, fxMediaEntries(fxMediaEntry("big.png", zeros, -1)), fxEntry{name: "0", data: fxZstd(t, zeros)}), small,
			`the package's media are larger than the limit of 1 MiB once decompressed (at media file 0, "big.png")`},
		{"media over the limit together", legacy(map[string]string{"0": "a.png", "1": "b.png"},
			map[string][]byte{"0": zeros[:600<<10], "1": zeros[:600<<10]}), small,
			`the package's media are larger than the limit of 1 MiB once decompressed (at media file 1, "b.png")`},
		{"zstd window too large", latest(hugeWindow, fxMediaEntries()), ReadLimits{},
			"the package's collection.anki21b asks for a zstd window over 64 MiB"},
		{"header understates the size", lying.Bytes(), ReadLimits{},
			"the package's collection.anki2 is corrupt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			col, err := fxRead(t, tc.pkg, tc.lim)
			if err == nil {
				t.Fatalf("no error; read %d notes", len(col.Notes))
			}
			t.Logf("%v", err)
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\n does not contain %q", err, tc.want)
			}
			if col != nil {
				t.Errorf("returned a Collection with the error")
			}
		})
	}
}

// TestReadPackageLimitsDefault: zero limits take DefaultReadLimits, so a
// package under those but over the small limits reads.
func TestReadPackageLimitsDefault(t *testing.T) {
	pkg := fxZip(t, fxEntry{name: "collection.anki2", data: fxSchema11Col(t)},
		fxEntry{name: "media", data: []byte(`{"0": "big.png"}`)}, fxEntry{name: "0", data: make([]byte, 2<<20), deflate: true})
	if _, err := fxRead(t, pkg, ReadLimits{MaxMediaBytes: 1 << 20}); err == nil {
		t.Fatal("2 MiB of media read under a 1 MiB limit")
	}
	col, err := fxRead(t, pkg, ReadLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(col.Media["big.png"]) != 2<<20 {
		t.Errorf("big.png has %d bytes, want %d", len(col.Media["big.png"]), 2<<20)
	}
}

func TestReadUnicase(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"abc", "ABC", 0},
		{"Äpfel", "äPFEL", 0},
		{"a", "B", -1},
		{"B", "a", 1},
		{"ab", "A", 1},
		{"", "a", -1},
		{"", "", 0},
		{"Kelvin", "\u212aelvin", 0}, // KELVIN SIGN folds to k
	} {
		if got := readUnicaseCompare(tc.a, tc.b); got != tc.want {
			t.Errorf("compare(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}

	// SQLite uses it: a unicase unique index refuses a name that differs
	// only in case.
	if err := readRegisterUnicase(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "u.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE d (name text COLLATE unicase UNIQUE)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO d VALUES ('Parent')`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO d VALUES ('pARENT')`); err == nil {
		t.Error("the unicase index took a name differing only in case")
	}
}

// TestReadOpenSQLite: the collection is opened read-only, query-only,
// with an untrusted schema, in defensive mode and with SQLite's limits.
func TestReadOpenSQLite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	if err := os.WriteFile(path, fxSchema18Col(t), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := readOpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for pragma, want := range map[string]int{"trusted_schema": 0, "query_only": 1, "cell_size_check": 1} {
		var got int
		if err := db.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %d, want %d", pragma, got, want)
		}
	}
	for _, l := range []struct {
		id, want int
		name     string
	}{
		{sqlite3.SQLITE_LIMIT_LENGTH, 16 << 20, "length"},
		{sqlite3.SQLITE_LIMIT_SQL_LENGTH, 1 << 20, "SQL length"},
		{sqlite3.SQLITE_LIMIT_ATTACHED, 0, "attached"},
		{sqlite3.SQLITE_LIMIT_COLUMN, 2000, "column"},
		{sqlite3.SQLITE_LIMIT_EXPR_DEPTH, 1000, "expression depth"},
		{sqlite3.SQLITE_LIMIT_TRIGGER_DEPTH, 1000, "trigger depth"},
	} {
		got, err := sqlite.Limit(db.Conn, l.id, -1)
		if err != nil || got != l.want {
			t.Errorf("%s limit = %d, %v; want %d", l.name, got, err, l.want)
		}
	}

	// Defensive mode: SQLite ignores journal_mode=OFF, which a connection
	// without it (the control) takes.
	for _, c := range []struct {
		name string
		db   interface {
			QueryRowContext(context.Context, string, ...any) *sql.Row
		}
		wantOff bool
	}{
		{"reader", db, false},
		{"control", fxOpenPlain(t, path, "mode=ro&immutable=1"), true},
		{"control with _defensive", fxOpenPlain(t, path, "mode=ro&immutable=1&_defensive=1"), false},
	} {
		var mode string
		if err := c.db.QueryRowContext(ctx, `PRAGMA journal_mode = OFF`).Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if off := strings.EqualFold(mode, "off"); off != c.wantOff {
			t.Errorf("%s: journal_mode=OFF left %q (defensive mode %s)", c.name, mode, map[bool]string{true: "off", false: "on"}[off])
		}
	}
	// The reader refuses a connection without defensive mode.
	plain := fxOpenPlain(t, path, "mode=ro&immutable=1")
	conn, err := plain.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := readSetUpSQLite(ctx, &readConn{Conn: conn, db: plain}); err == nil || !strings.Contains(err.Error(), "defensive mode is not on") {
		t.Errorf("set up without defensive mode: %v", err)
	}

	if _, err := db.ExecContext(ctx, `DELETE FROM notes`); err == nil {
		t.Error("a write to the collection succeeded")
	}
	if _, err := db.ExecContext(ctx, `ATTACH ':memory:' AS other`); err == nil {
		t.Error("ATTACH succeeded")
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM notes`).Scan(&n); err != nil || n != 3 {
		t.Errorf("notes: %d, %v; want 3", n, err)
	}
}

// fxOpenPlain opens the SQLite file at path with the query parameters
// only, closing it when the test ends.
func fxOpenPlain(t testing.TB, path, query string) *sql.DB {
	t.Helper()
	u := url.URL{Scheme: "file", Path: path, RawQuery: query}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// fxWithDDL is the statements with the CREATE TABLE of table replaced by
// ddl.
func fxWithDDL(t testing.TB, list []string, table, ddl string) []string {
	t.Helper()
	out := append([]string(nil), list...)
	for i, s := range out {
		if strings.HasPrefix(s, "CREATE TABLE "+table+" (") {
			out[i] = ddl
			return out
		}
	}
	t.Fatalf("no CREATE TABLE %s", table)
	return nil
}

// fxColPkg is a legacy 1 package of the collection file alone.
func fxColPkg(t testing.TB, col []byte) []byte {
	return fxZip(t, fxEntry{name: "collection.anki2", data: col, deflate: true})
}

// fxLatestPkg is a latest package of the schema 18 collection file and an
// empty media list.
func fxLatestPkg(t testing.TB, col []byte) []byte {
	return fxZip(t,
		fxEntry{name: "meta", data: fxMeta(3)},
		fxEntry{name: "collection.anki21b", data: fxZstd(t, col)},
		fxEntry{name: "media", data: fxZstd(t, fxMediaEntries())})
}

// fxRefused reads pkg and checks that it is refused with an error
// containing want.
func fxRefused(t *testing.T, pkg []byte, lim ReadLimits, want string) {
	t.Helper()
	col, err := fxRead(t, pkg, lim)
	if err == nil {
		t.Fatalf("no error; read %d notes", len(col.Notes))
	}
	t.Logf("%v", err)
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q\n does not contain %q", err, want)
	}
}

// fxAllocated is the bytes f allocates.
func fxAllocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestReadPackageGeneratedColumns: a table with a generated column, which
// SQLite would compute as it is read (here 200 MB per note), is refused.
func TestReadPackageGeneratedColumns(t *testing.T) {
	bomb := `CREATE TABLE notes (id integer PRIMARY KEY, guid text NOT NULL, mid integer NOT NULL,
		mod integer NOT NULL, usn integer NOT NULL, tags text NOT NULL,
		flds text GENERATED ALWAYS AS (printf('%.*c', 200000000, 'x')),
		sfld integer NOT NULL, csum integer NOT NULL, flags integer NOT NULL, data text NOT NULL)`
	bombCol := fxSQLite(t, false, fxWithDDL(t, fxSchema11, "notes", bomb), []string{
		fmt.Sprintf(`UPDATE col SET crt = %d, ver = 11, models = '%s', decks = '%s'`, fxCrt, fxModelsJSON, fxDecksJSON),
		`INSERT INTO notes (id, guid, mid, mod, usn, tags, sfld, csum, flags, data) VALUES (1, 'g', 1111, 0, 0, '', '', 0, 0, '')`,
		`INSERT INTO notes (id, guid, mid, mod, usn, tags, sfld, csum, flags, data) VALUES (2, 'h', 1111, 0, 0, '', '', 0, 0, '')`,
		`INSERT INTO notes (id, guid, mid, mod, usn, tags, sfld, csum, flags, data) VALUES (3, 'i', 1111, 0, 0, '', '', 0, 0, '')`,
	})
	storedCards := `CREATE TABLE cards (id integer PRIMARY KEY, nid integer NOT NULL, did integer NOT NULL,
		ord integer NOT NULL, mod integer NOT NULL, usn integer NOT NULL, type integer NOT NULL,
		queue integer NOT NULL, due integer NOT NULL, ivl integer NOT NULL, factor integer NOT NULL,
		reps integer NOT NULL, lapses integer NOT NULL, left integer NOT NULL, odue integer NOT NULL,
		odid integer NOT NULL, flags integer NOT NULL, data text GENERATED ALWAYS AS ('{}') STORED)`
	virtualCol := `CREATE TABLE col (id integer PRIMARY KEY, crt integer NOT NULL, mod integer NOT NULL,
		scm integer NOT NULL, ver integer GENERATED ALWAYS AS (11), dty integer NOT NULL, usn integer NOT NULL,
		ls integer NOT NULL, conf text NOT NULL, models text NOT NULL, decks text NOT NULL,
		dconf text NOT NULL, tags text NOT NULL)`
	genDecks := `CREATE TABLE decks (id integer PRIMARY KEY NOT NULL, name text NOT NULL COLLATE unicase,
		mtime_secs integer NOT NULL, usn integer NOT NULL, common blob NOT NULL,
		kind blob GENERATED ALWAYS AS (x'0a00'))`
	genConfig := `CREATE TABLE config (KEY text NOT NULL PRIMARY KEY, usn integer NOT NULL,
		mtime_secs integer NOT NULL, val blob GENERATED ALWAYS AS (CAST('2' AS BLOB))) without rowid`
	for _, tc := range []struct {
		name string
		pkg  []byte
		want string
	}{
		{"notes.flds virtual", fxColPkg(t, bombCol),
			"the package's collection.anki2 is not an Anki collection: its notes table has a generated column (flds)"},
		{"cards.data stored", fxColPkg(t, fxSQLite(t, false, fxWithDDL(t, fxSchema11, "cards", storedCards))),
			"its cards table has a generated column (data)"},
		{"col.ver", fxColPkg(t, fxSQLite(t, false, fxWithDDL(t, fxSchema11[:len(fxSchema11)-1], "col", virtualCol),
			[]string{`INSERT INTO col (id, crt, mod, scm, dty, usn, ls, conf, models, decks, dconf, tags) VALUES (1, 0, 0, 0, 0, 0, 0, '{}', '{}', '{}', '{}', '{}')`})),
			"its col table has a generated column (ver)"},
		{"decks.kind", fxLatestPkg(t, fxSQLite(t, false, fxSchema11, fxWithDDL(t, fxSchema18, "decks", genDecks), []string{`UPDATE col SET ver = 18`})),
			"the package's collection.anki21b is not an Anki collection: its decks table has a generated column (kind)"},
		{"config.val", fxLatestPkg(t, fxSQLite(t, false, fxSchema11, fxWithDDL(t, fxSchema18, "config", genConfig), []string{`UPDATE col SET ver = 18`})),
			"its config table has a generated column (val)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var n uint64
			n = fxAllocated(func() { fxRefused(t, tc.pkg, ReadLimits{}, tc.want) })
			if n > 64<<20 {
				t.Errorf("refusing it allocated %d MiB", n>>20)
			}
		})
	}
	if len(fxColPkg(t, bombCol)) > 4<<10 {
		t.Logf("the bomb package has %d bytes", len(fxColPkg(t, bombCol)))
	}
}

// TestReadPackageSQLiteLimits: a value over 16 MiB, or a schema statement
// over 1 MiB, is refused by SQLite.
func TestReadPackageSQLiteLimits(t *testing.T) {
	big := strings.Repeat("x", 17<<20)
	fxRefused(t, fxColPkg(t, fxSchema11Col(t, []string{`UPDATE notes SET flds = '` + big + `' WHERE id = 200`})), ReadLimits{},
		"the package's collection.anki2: its notes table is unreadable: it holds a value larger than the limit of 16 MiB")
	fxRefused(t, fxColPkg(t, fxSchema11Col(t, []string{`UPDATE col SET models = '` + big + `'`})), ReadLimits{},
		"its col table is unreadable: it holds a value larger than the limit of 16 MiB")
	// Just under the limit reads.
	under := strings.Repeat("y", 16<<20-100)
	col, err := fxRead(t, fxColPkg(t, fxSchema11Col(t, []string{`UPDATE notes SET flds = '` + under + `' WHERE id = 200`})), ReadLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if got := col.Notes[1].Fields[0]; len(got) != len(under) {
		t.Errorf("note 200 has %d bytes, want %d", len(got), len(under))
	}

	longDDL := `CREATE TABLE extra (x text DEFAULT '` + strings.Repeat("z", 2<<20) + `')`
	fxRefused(t, fxColPkg(t, fxSchema11Col(t, []string{longDDL})), ReadLimits{}, "too big")
}

// TestReadPackageNoteFields: a note may have at most 256 fields, or its
// note type's count plus 8; a million separators are refused without a
// million strings.
func TestReadPackageNoteFields(t *testing.T) {
	fields := func(n int) string { return strings.Repeat("f"+"' || char(31) || '", n-1) + "f" }
	fxRefused(t, fxColPkg(t, fxSchema11Col(t, []string{`UPDATE notes SET flds = '` + fields(257) + `' WHERE id = 100`})), ReadLimits{},
		"the package's collection.anki2: note 100 has 257 fields; at most 256 can be read")

	sep := fxColPkg(t, fxSchema11Col(t, []string{`UPDATE notes SET flds = printf('%.*c', 1000000, char(31)) WHERE id = 100`}))
	n := fxAllocated(func() { fxRefused(t, sep, ReadLimits{}, "note 100 has 1,000,001 fields; at most 256 can be read") })
	if n > 12<<20 {
		t.Errorf("refusing a note of a million fields allocated %d MiB", n>>20)
	}

	col, err := fxRead(t, fxColPkg(t, fxSchema11Col(t, []string{`UPDATE notes SET flds = '` + fields(256) + `' WHERE id = 100`})), ReadLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(col.Notes[0].Fields) != 256 {
		t.Errorf("note 100 has %d fields, want 256", len(col.Notes[0].Fields))
	}

	// A note type of 300 fields (schema 18): its notes may have 308.
	var wide []string
	for i := 0; i < 300; i++ {
		wide = append(wide, fmt.Sprintf(`INSERT INTO fields VALUES (3333, %d, 'F%d', x'')`, i, i))
	}
	wide = append(wide, `INSERT INTO notetypes VALUES (3333, 'Wide', 0, 0, x'')`,
		`INSERT INTO notes VALUES (400, 'g4', 3333, 0, 0, '', '`+fields(308)+`', '', 0, 0, '')`)
	col, err = fxRead(t, fxLatestPkg(t, fxSchema18Col(t, wide)), ReadLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if got := col.Notetypes[3333].Fields; len(got) != 300 || got[299] != "F299" {
		t.Errorf("note type 3333 has %d fields", len(got))
	}
	if got := col.Notes[3].Fields; len(got) != 308 {
		t.Errorf("note 400 has %d fields, want 308", len(got))
	}
	wide[len(wide)-1] = `INSERT INTO notes VALUES (400, 'g4', 3333, 0, 0, '', '` + fields(309) + `', '', 0, 0, '')`
	fxRefused(t, fxLatestPkg(t, fxSchema18Col(t, wide)), ReadLimits{}, "note 400 has 309 fields; at most 308 can be read")
}

// TestReadPackageTextLimit: MaxTextBytes bounds the fields, tags, GUIDs,
// card data and names together.
func TestReadPackageTextLimit(t *testing.T) {
	pkg := fxLegacy1(t)
	col, err := fxRead(t, pkg, ReadLimits{})
	if err != nil {
		t.Fatal(err)
	}
	// What the fixture costs: note types, fields and decks' names, then
	// the notes (GUID, tags and fields), then the cards' data.
	var cost int64
	for _, nt := range col.Notetypes {
		cost += readStrings(nt.Name) + readStrings(nt.Fields...)
	}
	for _, d := range col.Decks {
		cost += readStrings(d.Name)
	}
	for _, n := range col.Notes {
		cost += readStrings(n.GUID) + readStrings(n.Tags...) + readStrings(n.Fields...)
	}
	for _, c := range col.Cards {
		if c.Data != "" {
			cost += readStrings(c.Data)
		}
	}
	// The tags column " vocab  tag::two " is counted whole (17 bytes), not
	// as its two tags (13): 4 bytes more; fields are counted with their
	// separators: one per note.
	cost += 4 + 3
	if _, err := fxRead(t, pkg, ReadLimits{MaxTextBytes: cost}); err != nil {
		t.Errorf("at the limit of %d bytes: %v", cost, err)
	}
	fxRefused(t, pkg, ReadLimits{MaxTextBytes: cost - 1},
		fmt.Sprintf("the package's collection.anki2: its text (note fields, tags, card data, names) is larger than the limit of %d bytes (at card 1000)", cost-1))
	fxRefused(t, pkg, ReadLimits{MaxTextBytes: 100}, "is larger than the limit of 100 bytes (at ")
	fxRefused(t, fxLatest(t), ReadLimits{MaxTextBytes: 60}, "is larger than the limit of 60 bytes (at field ")
}

// TestReadPackageRowLimits: notes, cards and reviews are counted before
// they are read.
func TestReadPackageRowLimits(t *testing.T) {
	legacy, latest := fxLegacy1(t), fxLatest(t)
	for _, tc := range []struct {
		name string
		pkg  []byte
		lim  ReadLimits
		want string
	}{
		{"notes", legacy, ReadLimits{MaxNotes: 2}, "the package holds 3 notes; at most 2 can be imported"},
		{"notes latest", latest, ReadLimits{MaxNotes: 2}, "the package holds 3 notes; at most 2 can be imported"},
		{"cards", legacy, ReadLimits{MaxCards: 3}, "the package holds 4 cards; at most 3 can be imported"},
		{"reviews", latest, ReadLimits{MaxReviews: 2}, "the package holds 3 reviews; at most 2 can be imported"},
		{"far more notes", legacy, ReadLimits{MaxNotes: 1}, "the package holds more than 2 notes; at most 1 can be imported"},
		// The notes are counted before they are read: the note of 300
		// fields is never reached.
		{"counted first", fxColPkg(t, fxSchema11Col(t, []string{`UPDATE notes SET flds = '` +
			strings.Repeat("' || char(31) || '", 299) + `' WHERE id = 100`})), ReadLimits{MaxNotes: 2},
			"the package holds 3 notes; at most 2 can be imported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			col, err := fxRead(t, tc.pkg, tc.lim)
			if err == nil {
				t.Fatalf("no error; read %d notes", len(col.Notes))
			}
			if err.Error() != tc.want {
				t.Errorf("error %q\n  want %q", err, tc.want)
			}
		})
	}
	col, err := fxRead(t, legacy, ReadLimits{MaxNotes: 3, MaxCards: 4, MaxReviews: 3})
	if err != nil {
		t.Fatalf("at the limits: %v", err)
	}
	fxCompare(t, col, fxWant("collection.anki2"))

	// More note types or decks than can be read.
	var decks []string
	for i := 0; i < readMaxDecks+1; i++ {
		decks = append(decks, fmt.Sprintf(`INSERT INTO decks VALUES (%d, 'd%d', 0, 0, x'', x'0a00')`, 1000+i, i))
	}
	fxRefused(t, fxLatestPkg(t, fxSchema18Col(t, []string{`BEGIN`}, decks, []string{`COMMIT`})), ReadLimits{},
		"the package holds 100,005 decks; at most 100,000 can be imported")
}

func TestReadCount(t *testing.T) {
	for n, want := range map[int]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 250000: "250,000",
		1234567: "1,234,567", -1234: "-1,234"} {
		if got := readCount(n); got != want {
			t.Errorf("readCount(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestReadLimitsDefaults: a zero field takes the default.
func TestReadLimitsDefaults(t *testing.T) {
	if got := (ReadLimits{}).orDefaults(); got != DefaultReadLimits {
		t.Errorf("zero limits: %+v, want %+v", got, DefaultReadLimits)
	}
	if DefaultReadLimits.MaxNotes != 200_000 || DefaultReadLimits.MaxCards != 400_000 ||
		DefaultReadLimits.MaxReviews != 3_000_000 || DefaultReadLimits.MaxTextBytes != 256<<20 {
		t.Errorf("DefaultReadLimits = %+v", DefaultReadLimits)
	}
	got := (ReadLimits{MaxNotes: 5, MaxReviews: -1}).orDefaults()
	want := DefaultReadLimits
	want.MaxNotes = 5
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// TestReadPackageZipEntries: the zip archive may hold at most
// MaxMediaFiles + 8 entries, and a directory of many more is refused
// before it is parsed whole.
func TestReadPackageZipEntries(t *testing.T) {
	col := fxSchema11Col(t)
	withEmpty := func(n int, name func(int) string) []byte {
		entries := []fxEntry{{name: "collection.anki2", data: col}}
		for i := 0; i < n; i++ {
			entries = append(entries, fxEntry{name: name(i)})
		}
		return fxZip(t, entries...)
	}
	short := func(i int) string { return fmt.Sprintf("x%d", i) }
	lim := ReadLimits{MaxMediaFiles: 3}

	if _, err := fxRead(t, withEmpty(10, short), lim); err != nil {
		t.Errorf("11 entries, at the limit: %v", err)
	}
	fxRefused(t, withEmpty(20, short), lim, "the package holds 21 zip entries; at most 11 can be read (3 media files and 8 others)")

	long := func(i int) string { return fmt.Sprintf("%0200d", i) }
	fxRefused(t, withEmpty(1000, long), lim,
		"the package's zip directory is larger than 133888 bytes: it lists more entries than the 11 that can be read (3 media files and 8 others)")

	// 100,000 empty entries: opening the archive whole would make as many
	// zip.Files (some 20 MB).
	many := withEmpty(100_000, short)
	n := fxAllocated(func() {
		fxRefused(t, many, ReadLimits{MaxMediaFiles: 10}, "the package's zip directory is larger than")
	})
	if n > 4<<20 {
		t.Errorf("refusing %d empty entries allocated %.1f MiB", 100_000, float64(n)/(1<<20))
	}
	// Under the default limits too, though less tightly.
	n = fxAllocated(func() { fxRefused(t, many, ReadLimits{}, "the package's zip directory is larger than") })
	if n > 24<<20 {
		t.Errorf("refusing %d empty entries allocated %.1f MiB", 100_000, float64(n)/(1<<20))
	}
	// A long zip comment is not counted against the entries.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("collection.anki2")
	w.Write(col)
	zw.SetComment(strings.Repeat("c", 65535))
	zw.Close()
	if _, err := fxRead(t, buf.Bytes(), ReadLimits{MaxMediaFiles: 1}); err != nil {
		t.Errorf("with a 64 KiB comment: %v", err)
	}
}

// TestReadPackageScheduler: SchedulerV1 is set unless "schedVer" is 2, in
// col.conf up to schema 13 and in the config table from schema 14 on.
func TestReadPackageScheduler(t *testing.T) {
	conf := func(c string) []byte {
		return fxColPkg(t, fxSchema11Col(t, []string{`UPDATE col SET conf = '` + c + `'`}))
	}
	config := func(stmts ...string) []byte {
		return fxLatestPkg(t, fxSchema18Col(t, append([]string{`DELETE FROM config WHERE KEY = 'schedVer'`}, stmts...)))
	}
	// Schema 14: note types and decks still in col's JSON, the
	// configuration in the config table.
	schema14 := func(c string, stmts ...string) []byte {
		return fxColPkg(t, fxSchema11Col(t, fxSchema18[:3], append([]string{`UPDATE col SET ver = 14, conf = '` + c + `'`}, stmts...)))
	}
	for _, tc := range []struct {
		name string
		pkg  []byte
		v1   bool
	}{
		{"conf 2", conf(`{"schedVer": 2}`), false},
		{"conf 1", conf(`{"schedVer": 1, "curDeck": 1}`), true},
		{"conf missing", conf(`{"curDeck": 1}`), true},
		{"conf empty", conf(`{}`), true},
		{"conf string", conf(`{"schedVer": "2"}`), true},
		{"conf float", conf(`{"schedVer": 2.0}`), true},
		{"conf 3", conf(`{"schedVer": 3}`), true},
		{"conf null", conf(`{"schedVer": null}`), true},
		{"conf other case", conf(`{"SchedVer": 2}`), true},
		{"conf last wins", conf(`{"schedVer": 1, "x": {"schedVer": 1}, "schedVer": 2}`), false},
		{"conf nested only", conf(`{"x": {"schedVer": 2}}`), true},
		{"config 2", config(`INSERT INTO config VALUES ('schedVer', 0, 0, CAST('2' AS BLOB))`), false},
		{"config 2 spaced", config(`INSERT INTO config VALUES ('schedVer', 0, 0, CAST(' 2 ' AS BLOB))`), false},
		{"config 1", config(`INSERT INTO config VALUES ('schedVer', 0, 0, CAST('1' AS BLOB))`), true},
		{"config missing", config(), true},
		{"config text", config(`INSERT INTO config VALUES ('schedVer', 0, 0, '2')`), true},
		{"config integer", config(`INSERT INTO config VALUES ('schedVer', 0, 0, 2)`), true},
		{"config not JSON", config(`INSERT INTO config VALUES ('schedVer', 0, 0, CAST('two' AS BLOB))`), true},
		{"config other case", config(`INSERT INTO config VALUES ('SCHEDVER', 0, 0, CAST('2' AS BLOB))`), true},
		{"schema 14 config 2", schema14(`{"schedVer": 1}`, `INSERT INTO config VALUES ('schedVer', 0, 0, CAST('2' AS BLOB))`), false},
		{"schema 14 conf ignored", schema14(`{"schedVer": 2}`), true},
		{"schema 14 empty conf", schema14(``, `INSERT INTO config VALUES ('schedVer', 0, 0, CAST('2' AS BLOB))`), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			col, err := fxRead(t, tc.pkg, ReadLimits{})
			if err != nil {
				t.Fatal(err)
			}
			if col.SchedulerV1 != tc.v1 {
				t.Errorf("SchedulerV1 = %v, want %v", col.SchedulerV1, tc.v1)
			}
			if len(col.Notes) != 3 || len(col.Notetypes) != 2 {
				t.Errorf("%d notes, %d note types", len(col.Notes), len(col.Notetypes))
			}
		})
	}
	fxRefused(t, conf(`[]`), ReadLimits{}, "the package's collection.anki2: its configuration (col.conf) is not a JSON object")
	fxRefused(t, conf(``), ReadLimits{}, "its configuration (col.conf) is not a JSON object")
	fxRefused(t, conf(`{"schedVer": 2} x`), ReadLimits{}, "its configuration (col.conf) is not a JSON object: data follows the object")
	fxRefused(t, fxLatestPkg(t, fxSchema18Col(t, []string{`DROP TABLE config`})), ReadLimits{},
		"the package's collection.anki21b is not an Anki collection of schema 18: it has no config table")
}

// fxCountdownCtx is a context that is done once its Err has been called
// more than left times.
type fxCountdownCtx struct {
	context.Context
	left  atomic.Int64
	calls atomic.Int64
	once  sync.Once
	done  chan struct{}
}

func fxCountdown(left int64) *fxCountdownCtx {
	c := &fxCountdownCtx{Context: context.Background(), done: make(chan struct{})}
	c.left.Store(left)
	return c
}

func (c *fxCountdownCtx) Done() <-chan struct{} { return c.done }

func (c *fxCountdownCtx) Err() error {
	// database/sql looks too, from goroutines of its own that watch
	// Done, at moments of their own: those looks are not counted.
	if pc, _, _, ok := runtime.Caller(1); ok {
		if f := runtime.FuncForPC(pc); f != nil && strings.HasPrefix(f.Name(), "database/sql.") {
			if c.left.Load() < 0 {
				return context.Canceled
			}
			return nil
		}
	}
	c.calls.Add(1)
	if c.left.Add(-1) < 0 {
		c.once.Do(func() { close(c.done) })
		return context.Canceled
	}
	return nil
}

// TestReadPackageContext: a done context stops the reading at each of
// the points it is looked at, with an error that wraps it and no
// Collection.
func TestReadPackageContext(t *testing.T) {
	for _, pkg := range [][]byte{fxLegacy1(t), fxLatest(t)} {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		col, err := ReadPackageContext(ctx, bytes.NewReader(pkg), int64(len(pkg)), ReadLimits{})
		if !errors.Is(err, context.Canceled) || col != nil {
			t.Errorf("canceled: %v, %v", col, err)
		}
		ctx, cancel = context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		col, err = ReadPackageContext(ctx, bytes.NewReader(pkg), int64(len(pkg)), ReadLimits{})
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || col != nil || !strings.HasPrefix(err.Error(), "reading the package stopped: ") {
			t.Errorf("past its deadline: %v, %v", col, err)
		}

		full := fxCountdown(1 << 40)
		if _, err := ReadPackageContext(full, bytes.NewReader(pkg), int64(len(pkg)), ReadLimits{}); err != nil {
			t.Fatal(err)
		}
		calls := full.calls.Load()
		if calls < 10 {
			t.Errorf("the context was looked at only %d times", calls)
		}
		for cut := int64(0); cut < calls; cut++ {
			col, err := ReadPackageContext(fxCountdown(cut), bytes.NewReader(pkg), int64(len(pkg)), ReadLimits{})
			if !errors.Is(err, context.Canceled) || col != nil {
				t.Errorf("done after %d of %d looks: %v, %v", cut, calls, col, err)
			}
		}
	}
}

// TestReadRowsContext: the row loops look at the context every 4096 rows.
func TestReadRowsContext(t *testing.T) {
	var rows []string
	rows = append(rows, `BEGIN`)
	for i := 0; i < 3*readCtxRows; i++ {
		rows = append(rows, fmt.Sprintf(`INSERT INTO revlog VALUES (%d, 1, 0, 3, 1, 1, 2500, 1000, 1)`, i+1))
	}
	rows = append(rows, `COMMIT`)
	path := filepath.Join(t.TempDir(), "c.db")
	if err := os.WriteFile(path, fxSchema11Col(t, rows), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := readOpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	// A context whose Done never fires, so that only readRows's own looks
	// can stop it.
	ctx := &fxCountdownCtx{Context: context.Background(), done: make(chan struct{})}
	ctx.left.Store(1 << 40)
	seen := 0
	err = readRows(ctx, db, `SELECT id FROM revlog`, func(*sql.Rows) error {
		if seen++; seen == 10 {
			ctx.left.Store(0)
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("readRows: %v", err)
	}
	if seen != readCtxRows-1 {
		t.Errorf("readRows read %d rows after the context was done at row 10, want it to stop at row %d", seen, readCtxRows)
	}
}
