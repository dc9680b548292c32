package anki

// Reading Anki packages (.apkg, one or more decks; .colpkg, a whole
// collection). Both are zip archives of the same layout, in one of three
// versions (Anki's rslib/src/import_export/package/meta.rs):
//
//   - Legacy 1: no "meta" entry and no collection.anki21. The collection is
//     "collection.anki2" (SQLite, schema 11), "media" is a JSON object
//     {"0": "name.png", ...} and each media file is stored, uncompressed,
//     under its key.
//   - Legacy 2: "collection.anki21" (schema 11), otherwise as legacy 1; a
//     "meta" entry, when present, says version 2.
//   - Latest (3): "meta" is a protobuf PackageMetadata saying version 3, the
//     collection is "collection.anki21b", zstd compressed, in schema 18;
//     "media" is a zstd-compressed protobuf MediaEntries, and media file i
//     is zstd compressed under the name "i".
//
// Anki writes a dummy collection.anki2 ("please update to the latest Anki
// version") beside the real collection of versions 2 and 3, so the version
// alone decides which collection file is read.

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha1"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/klauspost/compress/zstd"
	"google.golang.org/protobuf/encoding/protowire"
	"modernc.org/sqlite"
)

// ReadLimits bounds what ReadPackage takes from a package, which is
// untrusted input: sizes are counted as the data is decompressed, so a
// small archive that inflates to gigabytes is refused once it passes the
// limit, whatever its headers claim. A zero or negative field takes its
// value from DefaultReadLimits.
type ReadLimits struct {
	// MaxCollectionBytes is the largest the collection file may be once
	// decompressed.
	MaxCollectionBytes int64
	// MaxMediaBytes is the largest the media files may be together once
	// decompressed.
	MaxMediaBytes int64
	// MaxMediaFiles is the most media files the package may list.
	MaxMediaFiles int
}

// DefaultReadLimits are the limits ReadPackage applies where a ReadLimits
// field is zero: a 256 MiB collection, 256 MiB of media and 10000 media
// files.
var DefaultReadLimits = ReadLimits{
	MaxCollectionBytes: 256 << 20,
	MaxMediaBytes:      256 << 20,
	MaxMediaFiles:      10000,
}

func (l ReadLimits) orDefaults() ReadLimits {
	if l.MaxCollectionBytes <= 0 {
		l.MaxCollectionBytes = DefaultReadLimits.MaxCollectionBytes
	}
	if l.MaxMediaBytes <= 0 {
		l.MaxMediaBytes = DefaultReadLimits.MaxMediaBytes
	}
	if l.MaxMediaFiles <= 0 {
		l.MaxMediaFiles = DefaultReadLimits.MaxMediaFiles
	}
	return l
}

// The package versions of PackageMetadata.Version (proto/anki/
// import_export.proto).
const (
	readPkgLegacy1 = 1
	readPkgLegacy2 = 2
	readPkgLatest  = 3
)

// readPkgCollectionNames are the collection files of the package versions.
var readPkgCollectionNames = map[int]string{
	readPkgLegacy1: "collection.anki2",
	readPkgLegacy2: "collection.anki21",
	readPkgLatest:  "collection.anki21b",
}

const (
	// readZstdMaxWindow bounds the window a zstd frame may ask for (and so
	// the decoder's memory). Anki compresses at zstd's default level, whose
	// window is at most a few MiB.
	readZstdMaxWindow = 64 << 20
	// readMetaMaxBytes bounds the "meta" entry, a two-byte message.
	readMetaMaxBytes = 4 << 10
	// readMediaNameMaxBytes is the longest media file name accepted.
	readMediaNameMaxBytes = 255
	// readMinSchema and readMaxSchema are the collection schema versions
	// Anki opens (rslib/src/storage/upgrades/mod.rs); from 15 on, note
	// types and decks live in their own tables instead of col's JSON.
	readMinSchema     = 11
	readMaxSchema     = 18
	readTablesSchema  = 15
	readSQLiteMagic   = "SQLite format 3\x00"
	readUnicaseName   = "unicase"
	readMiB           = 1 << 20
	readKiB           = 1 << 10
	readFilteredDueTS = 1_000_000_000 // a learning due above this is a Unix time
)

// ReadPackageFile reads the Anki package (.apkg or .colpkg) at path; see
// ReadPackage.
func ReadPackageFile(path string, lim ReadLimits) (*Collection, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return ReadPackage(f, st.Size(), lim)
}

// ReadPackage reads an Anki package, an .apkg (decks) or .colpkg (a whole
// collection) of any version Anki writes, from r, which holds size bytes.
// It returns everything the package holds, or an error saying in a
// sentence what is wrong with it and no Collection.
//
// The package is untrusted: the decompressed collection and media are
// bounded by lim; zstd frames may not ask for windows over 64 MiB; media
// names must be plain file names (no path separators, ".", "..", NUL or
// control characters, at most 255 bytes, valid UTF-8) and unique, and
// every listed media file must be present (in the latest version, with
// the size and SHA-1 the list gives). The collection is extracted to a
// temporary file, removed before ReadPackage returns, and opened read-only
// with untrusted-schema protections; it must be an SQLite database of
// schema 11 to 18 with Anki's tables.
//
// A card in a filtered deck is returned as it would be back home, as Anki
// does when an export leaves filtered decks out: DeckID is its home deck
// (odid), Due its home due (odue, when set) and a Queue that is not
// suspended or buried is the one of its Type. A package without a media
// list (older AnkiDroid colpkgs) has no media.
func ReadPackage(r io.ReaderAt, size int64, lim ReadLimits) (*Collection, error) {
	lim = lim.orDefaults()
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		// ErrInsecurePath is harmless here: entry names are looked up, never
		// used as paths.
		return nil, fmt.Errorf("the package is not a zip archive (%v)", err)
	}
	entries := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		if _, dup := entries[f.Name]; dup {
			return nil, fmt.Errorf("the package has two entries named %q", f.Name)
		}
		entries[f.Name] = f
	}

	version, err := readPkgVersion(entries)
	if err != nil {
		return nil, err
	}
	colName := readPkgCollectionNames[version]
	colFile := entries[colName]
	if colFile == nil {
		return nil, fmt.Errorf("the package has no collection file (%s)", colName)
	}

	// The latest version compresses the collection, media list and media
	// files with zstd; dec stays nil for the legacy ones.
	var dec *zstd.Decoder
	if version == readPkgLatest {
		dec, err = zstd.NewReader(nil,
			zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxWindow(readZstdMaxWindow),
			zstd.WithDecoderMaxMemory(readZstdMaxWindow))
		if err != nil {
			return nil, fmt.Errorf("start a zstd decoder: %w", err)
		}
		defer dec.Close()
	}

	col, err := readPkgCollection(colFile, dec, lim.MaxCollectionBytes)
	if err != nil {
		return nil, err
	}
	col.Format = colName
	col.Media, err = readPkgMedia(entries, version, dec, lim)
	if err != nil {
		return nil, err
	}
	return col, nil
}

// readPkgVersion returns the package version: the one "meta" gives, or
// without "meta" legacy 2 when collection.anki21 is present and legacy 1
// otherwise.
func readPkgVersion(entries map[string]*zip.File) (int, error) {
	meta := entries["meta"]
	if meta == nil {
		if entries[readPkgCollectionNames[readPkgLegacy2]] != nil {
			return readPkgLegacy2, nil
		}
		return readPkgLegacy1, nil
	}
	var buf bytes.Buffer
	if err := readPkgEntry(meta, nil, &buf, readMetaMaxBytes, "meta entry"); err != nil {
		return 0, err
	}
	var version int64
	err := readProto(buf.Bytes(), func(f readProtoField) error {
		if f.num == 1 {
			if f.typ != protowire.VarintType {
				return errors.New("its version is not a number")
			}
			version = int64(int32(f.varint))
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("the package's meta entry is corrupt: %v", err)
	}
	if _, ok := readPkgCollectionNames[int(version)]; !ok {
		return 0, fmt.Errorf("the package's format version %d is not supported (supported: 1 to 3); it may come from a newer Anki", version)
	}
	return int(version), nil
}

// readPkgEntry decompresses the zip entry f, and then zstd when dec is
// not nil, into dst, failing with a *readTooLargeError once more than
// limit bytes come out. what names the entry in errors ("collection.anki2",
// "media list").
func readPkgEntry(f *zip.File, dec *zstd.Decoder, dst io.Writer, limit int64, what string) error {
	tooLarge := &readTooLargeError{what: what, limit: limit}
	if dec == nil && f.UncompressedSize64 > uint64(limit) {
		return tooLarge // the zip reader never yields more than the header says
	}
	rc, err := f.Open()
	if err != nil {
		if errors.Is(err, zip.ErrAlgorithm) {
			return fmt.Errorf("the package's %s uses a compression method other than store or deflate", what)
		}
		return fmt.Errorf("the package's %s cannot be read: %v", what, err)
	}
	defer rc.Close()
	var src io.Reader = rc
	if dec != nil {
		if err := dec.Reset(rc); err != nil {
			return fmt.Errorf("the package's %s is not valid zstd data: %v", what, err)
		}
		src = dec
	}
	n, err := io.Copy(dst, io.LimitReader(src, limit+1))
	if err != nil {
		if errors.Is(err, zstd.ErrWindowSizeExceeded) || errors.Is(err, zstd.ErrDecoderSizeExceeded) {
			return fmt.Errorf("the package's %s asks for a zstd window over %s", what, readSize(readZstdMaxWindow))
		}
		var pe *os.PathError
		if errors.As(err, &pe) {
			return fmt.Errorf("extract the package's %s: %w", what, err)
		}
		return fmt.Errorf("the package's %s is corrupt: %v", what, err)
	}
	if n > limit {
		return tooLarge
	}
	return nil
}

// readTooLargeError is the error of an entry that decompresses to more
// than its limit.
type readTooLargeError struct {
	what  string
	limit int64
}

func (e *readTooLargeError) Error() string {
	return fmt.Sprintf("the package's %s is larger than the limit of %s once decompressed", e.what, readSize(e.limit))
}

// readSize formats a byte count for an error message.
func readSize(n int64) string {
	switch {
	case n >= readMiB && n%readMiB == 0:
		return fmt.Sprintf("%d MiB", n/readMiB)
	case n >= readKiB && n%readKiB == 0:
		return fmt.Sprintf("%d KiB", n/readKiB)
	}
	return fmt.Sprintf("%d bytes", n)
}

// readPkgCollection extracts the collection file to a temporary file and
// reads it.
func readPkgCollection(f *zip.File, dec *zstd.Decoder, limit int64) (*Collection, error) {
	dir, err := os.MkdirTemp("", "flashd-apkg-")
	if err != nil {
		return nil, fmt.Errorf("make a temporary directory for the collection: %w", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "collection.sqlite")
	tmp, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("make a temporary file for the collection: %w", err)
	}
	err = readPkgEntry(f, dec, tmp, limit, f.Name)
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("extract the package's %s: %w", f.Name, cerr)
	}
	if err != nil {
		return nil, err
	}
	return readCollectionDB(path, f.Name)
}

// readCollectionDB reads the SQLite collection at path; name is the
// collection file's name in the package, for errors.
func readCollectionDB(path, name string) (*Collection, error) {
	head := make([]byte, len(readSQLiteMagic))
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	_, err = io.ReadFull(fh, head)
	fh.Close()
	if err != nil || string(head) != readSQLiteMagic {
		return nil, fmt.Errorf("the package's %s is not an SQLite database", name)
	}

	db, err := readOpenSQLite(path)
	if err != nil {
		return nil, fmt.Errorf("the package's %s cannot be opened: %v", name, err)
	}
	defer db.Close()
	ctx := context.Background()

	// The tables read must be plain tables: not views, which could run any
	// query, nor virtual tables.
	tables := map[string]bool{}
	if err := readRows(ctx, db, `SELECT name, sql FROM sqlite_master WHERE type = 'table'`, nil, func(rows *sql.Rows) error {
		var t string
		var ddl sql.NullString
		if err := rows.Scan(&t, &ddl); err != nil {
			return err
		}
		if !strings.HasPrefix(strings.ToUpper(strings.Join(strings.Fields(ddl.String), " ")), "CREATE VIRTUAL ") {
			tables[strings.ToLower(t)] = true
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("the package's %s is not a readable SQLite database: %v", name, err)
	}
	for _, t := range []string{"col", "notes", "cards", "revlog"} {
		if !tables[t] {
			return nil, fmt.Errorf("the package's %s is not an Anki collection: it has no %s table", name, t)
		}
	}

	var crt, ver int64
	err = db.QueryRowContext(ctx, `SELECT crt, ver FROM col LIMIT 1`).Scan(&crt, &ver)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("the package's %s is not an Anki collection: its col table is empty", name)
	}
	if err != nil {
		return nil, fmt.Errorf("the package's %s has an unreadable col table: %v", name, err)
	}
	if ver < readMinSchema || ver > readMaxSchema {
		return nil, fmt.Errorf("the package's %s has schema version %d, which is not supported (supported: %d to %d)", name, ver, readMinSchema, readMaxSchema)
	}

	col := &Collection{Created: time.Unix(crt, 0).UTC()}
	if ver >= readTablesSchema {
		for _, t := range []string{"notetypes", "fields", "decks"} {
			if !tables[t] {
				return nil, fmt.Errorf("the package's %s is not an Anki collection of schema %d: it has no %s table", name, ver, t)
			}
		}
		err = readTablesSchema18(ctx, db, col)
	} else {
		err = readJSONSchema11(ctx, db, col)
	}
	if err == nil {
		err = readNotesCards(ctx, db, col)
	}
	if err != nil {
		return nil, fmt.Errorf("the package's %s: %w", name, err)
	}
	return col, nil
}

var (
	readUnicaseOnce sync.Once
	readUnicaseErr  error
)

// readRegisterUnicase registers, once, the "unicase" collation the tables
// of schema 15 and later declare, without which SQLite refuses them. If a
// collation of that name is registered already (by another part of the
// program), that one serves.
func readRegisterUnicase() error {
	readUnicaseOnce.Do(func() {
		err := sqlite.RegisterCollationUtf8(readUnicaseName, readUnicaseCompare)
		if err != nil && !strings.Contains(err.Error(), "already registered") {
			readUnicaseErr = err
		}
	})
	return readUnicaseErr
}

// readUnicaseCompare compares two strings without regard to case: each
// rune stands for the smallest rune of its case-folding orbit, so strings
// that strings.EqualFold calls equal compare 0.
func readUnicaseCompare(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		fa, fb := readFoldRune(ra), readFoldRune(rb)
		if fa != fb {
			if fa < fb {
				return -1
			}
			return 1
		}
		a, b = a[na:], b[nb:]
	}
	switch {
	case a == "" && b == "":
		return 0
	case a == "":
		return -1
	}
	return 1
}

// readFoldRune returns the smallest rune of r's simple case-folding orbit.
func readFoldRune(r rune) rune {
	min := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < min {
			min = f
		}
	}
	return min
}

// readOpenSQLite opens the SQLite file at path read-only, as an immutable
// file (so no journal or WAL file is looked for or made), in defensive
// mode, with an untrusted schema (its views and triggers may not call
// functions with side effects) and query-only.
func readOpenSQLite(path string) (*sql.DB, error) {
	if err := readRegisterUnicase(); err != nil {
		return nil, fmt.Errorf("register the unicase collation: %w", err)
	}
	u := url.URL{Scheme: "file", Path: path, RawQuery: "mode=ro&immutable=1&_defensive=1" +
		"&_pragma=trusted_schema(0)&_pragma=cell_size_check(1)&_pragma=query_only(1)"}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// readRows runs query and calls each for every row.
func readRows(ctx context.Context, db *sql.DB, query string, args []any, each func(*sql.Rows) error) error {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// readJSONSchema11 reads the note types and decks of a schema 11
// collection, JSON objects in col.models and col.decks
// (rslib/src/notetype/schema11.rs, rslib/src/decks/schema11.rs).
func readJSONSchema11(ctx context.Context, db *sql.DB, col *Collection) error {
	var models, decks string
	if err := db.QueryRowContext(ctx, `SELECT models, decks FROM col LIMIT 1`).Scan(&models, &decks); err != nil {
		return fmt.Errorf("its col table is unreadable: %v", err)
	}

	var rawModels map[string]json.RawMessage
	if err := json.Unmarshal([]byte(models), &rawModels); err != nil {
		return fmt.Errorf("its note types (col.models) are not a JSON object: %v", err)
	}
	col.Notetypes = make(map[int64]Notetype, len(rawModels))
	for key, raw := range rawModels {
		var m struct {
			ID   readJSONInt `json:"id"`
			Name string      `json:"name"`
			Type readJSONInt `json:"type"`
			Flds []struct {
				Name string       `json:"name"`
				Ord  *readJSONInt `json:"ord"`
			} `json:"flds"`
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			return fmt.Errorf("its note type %q is corrupt: %v", key, err)
		}
		id := int64(m.ID)
		if id == 0 {
			id, _ = strconv.ParseInt(key, 10, 64)
		}
		type field struct {
			ord  int64
			name string
		}
		fields := make([]field, len(m.Flds))
		for i, f := range m.Flds {
			fields[i] = field{int64(i), f.Name}
			if f.Ord != nil {
				fields[i].ord = int64(*f.Ord)
			}
		}
		sort.SliceStable(fields, func(i, j int) bool { return fields[i].ord < fields[j].ord })
		nt := Notetype{ID: id, Name: m.Name, Cloze: m.Type == 1, Fields: make([]string, len(fields))}
		for i, f := range fields {
			nt.Fields[i] = f.name
		}
		col.Notetypes[id] = nt
	}

	var rawDecks map[string]json.RawMessage
	if err := json.Unmarshal([]byte(decks), &rawDecks); err != nil {
		return fmt.Errorf("its decks (col.decks) are not a JSON object: %v", err)
	}
	col.Decks = make(map[int64]CollectionDeck, len(rawDecks))
	for key, raw := range rawDecks {
		var d struct {
			ID   readJSONInt `json:"id"`
			Name string      `json:"name"`
			Dyn  readJSONInt `json:"dyn"`
		}
		if err := json.Unmarshal(raw, &d); err != nil {
			return fmt.Errorf("its deck %q is corrupt: %v", key, err)
		}
		id := int64(d.ID)
		if id == 0 {
			id, _ = strconv.ParseInt(key, 10, 64)
		}
		col.Decks[id] = CollectionDeck{ID: id, Name: d.Name, Filtered: d.Dyn == 1}
	}
	return nil
}

// readJSONInt is an integer of Anki's legacy JSON, which may be written as
// a number, a numeric string or a boolean (a deck's "dyn").
type readJSONInt int64

// UnmarshalJSON implements json.Unmarshaler.
func (n *readJSONInt) UnmarshalJSON(b []byte) error {
	s := string(b)
	switch s {
	case "null":
		return nil
	case "true":
		*n = 1
		return nil
	case "false":
		*n = 0
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		*n = readJSONInt(v)
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != float64(int64(f)) {
		return fmt.Errorf("%s is not an integer", b)
	}
	*n = readJSONInt(int64(f))
	return nil
}

// readTablesSchema18 reads the note types, fields and decks of a schema
// 15-18 collection from their tables (rslib/src/storage/upgrades/
// schema15_upgrade.sql). A notetype's config is a protobuf
// Notetype.Config whose field 1 is its kind (1: cloze); a deck's kind is
// a protobuf Deck.KindContainer, field 1 normal, field 2 filtered; deck
// names separate their levels with "\x1f".
func readTablesSchema18(ctx context.Context, db *sql.DB, col *Collection) error {
	col.Notetypes = map[int64]Notetype{}
	err := readRows(ctx, db, `SELECT id, name, config FROM notetypes ORDER BY id`, nil, func(rows *sql.Rows) error {
		var nt Notetype
		var config []byte
		if err := rows.Scan(&nt.ID, &nt.Name, &config); err != nil {
			return err
		}
		var kind uint64
		err := readProto(config, func(f readProtoField) error {
			if f.num == 1 {
				if f.typ != protowire.VarintType {
					return errors.New("its kind is not a number")
				}
				kind = f.varint
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("note type %d has a corrupt config: %v", nt.ID, err)
		}
		nt.Cloze = kind == 1
		col.Notetypes[nt.ID] = nt
		return nil
	})
	if err != nil {
		return fmt.Errorf("its notetypes table is unreadable: %v", err)
	}

	err = readRows(ctx, db, `SELECT ntid, name FROM fields ORDER BY ntid, ord`, nil, func(rows *sql.Rows) error {
		var ntid int64
		var name string
		if err := rows.Scan(&ntid, &name); err != nil {
			return err
		}
		if nt, ok := col.Notetypes[ntid]; ok {
			nt.Fields = append(nt.Fields, name)
			col.Notetypes[ntid] = nt
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("its fields table is unreadable: %v", err)
	}
	for id, nt := range col.Notetypes {
		if nt.Fields == nil {
			nt.Fields = []string{}
			col.Notetypes[id] = nt
		}
	}

	col.Decks = map[int64]CollectionDeck{}
	err = readRows(ctx, db, `SELECT id, name, kind FROM decks ORDER BY id`, nil, func(rows *sql.Rows) error {
		var d CollectionDeck
		var kind []byte
		if err := rows.Scan(&d.ID, &d.Name, &kind); err != nil {
			return err
		}
		d.Name = strings.ReplaceAll(d.Name, "\x1f", "::")
		found := false
		err := readProto(kind, func(f readProtoField) error {
			if f.num == 1 || f.num == 2 {
				if f.typ != protowire.BytesType {
					return errors.New("its kind is not a message")
				}
				d.Filtered, found = f.num == 2, true
			}
			return nil
		})
		if err == nil && !found {
			err = errors.New("it is neither normal nor filtered")
		}
		if err != nil {
			return fmt.Errorf("deck %d (%q) has a corrupt kind: %v", d.ID, d.Name, err)
		}
		col.Decks[d.ID] = d
		return nil
	})
	if err != nil {
		return fmt.Errorf("its decks table is unreadable: %v", err)
	}
	return nil
}

// readNotesCards reads the notes, cards and review log, which schemas 11
// to 18 store alike (rslib/src/storage/schema11.sql). Like Anki, an
// unreadable due, original due, answer time or review type reads as 0.
func readNotesCards(ctx context.Context, db *sql.DB, col *Collection) error {
	col.Notes = []CollectionNote{}
	err := readRows(ctx, db, `SELECT id, guid, mid, mod, tags, flds FROM notes ORDER BY id`, nil, func(rows *sql.Rows) error {
		var n CollectionNote
		var mod int64
		var tags, flds string
		if err := rows.Scan(&n.ID, &n.GUID, &n.NotetypeID, &mod, &tags, &flds); err != nil {
			return err
		}
		n.Modified = time.Unix(mod, 0).UTC()
		if t := strings.Fields(tags); len(t) > 0 {
			n.Tags = t
		}
		n.Fields = strings.Split(flds, "\x1f")
		col.Notes = append(col.Notes, n)
		return nil
	})
	if err != nil {
		return fmt.Errorf("its notes table is unreadable: %v", err)
	}

	col.Cards = []CollectionCard{}
	err = readRows(ctx, db, `SELECT id, nid, did, ord, type, queue,
		COALESCE(CAST(due AS INTEGER), 0), ivl, factor, reps, lapses,
		COALESCE(CAST(odue AS INTEGER), 0), odid, flags, data FROM cards ORDER BY id`, nil, func(rows *sql.Rows) error {
		var c CollectionCard
		var did, odue, odid int64
		if err := rows.Scan(&c.ID, &c.NoteID, &did, &c.Ord, &c.Type, &c.Queue, &c.Due, &c.Ivl,
			&c.Factor, &c.Reps, &c.Lapses, &odue, &odid, &c.Flags, &c.Data); err != nil {
			return err
		}
		c.DeckID = did
		if odid != 0 {
			// Back home, as Anki's remove_from_filtered_deck_restoring_queue
			// (rslib/src/scheduler/filtered/card.rs) puts it.
			c.DeckID = odid
			if odue != 0 {
				c.Due = odue
			}
			if c.Queue >= 0 {
				c.Queue = readQueueOfType(c.Type, c.Due)
			}
		}
		col.Cards = append(col.Cards, c)
		return nil
	})
	if err != nil {
		return fmt.Errorf("its cards table is unreadable: %v", err)
	}

	col.Revlog = []CollectionReview{}
	err = readRows(ctx, db, `SELECT id, cid, ease, ivl, lastIvl, factor,
		COALESCE(CAST(time AS INTEGER), 0), COALESCE(CAST(type AS INTEGER), 0) FROM revlog ORDER BY id`, nil, func(rows *sql.Rows) error {
		var r CollectionReview
		if err := rows.Scan(&r.ID, &r.CardID, &r.Ease, &r.Ivl, &r.LastIvl, &r.Factor, &r.Time, &r.Type); err != nil {
			return err
		}
		col.Revlog = append(col.Revlog, r)
		return nil
	})
	if err != nil {
		return fmt.Errorf("its revlog table is unreadable: %v", err)
	}
	return nil
}

// readQueueOfType is the queue a card of the type and due goes back to
// when it leaves a filtered deck.
func readQueueOfType(typ int, due int64) int {
	switch typ {
	case 1, 3: // learning, relearning
		if due > readFilteredDueTS {
			return 1 // intraday: due is a Unix time
		}
		return 3 // interday: due is a day number
	case 2:
		return 2
	}
	return 0
}

// readMediaEntry is one media file a package lists.
type readMediaEntry struct {
	zipName string // the zip entry holding it
	num     uint64 // zipName as a number, legacy versions only
	name    string
	size    uint32 // latest version only
	sha1    []byte // latest version only
}

// readPkgMedia reads the media list and the files it names.
func readPkgMedia(entries map[string]*zip.File, version int, dec *zstd.Decoder, lim ReadLimits) (map[string][]byte, error) {
	media := map[string][]byte{}
	listFile := entries["media"]
	if listFile == nil {
		return media, nil
	}
	var buf bytes.Buffer
	listLimit := int64(1<<20) + int64(lim.MaxMediaFiles)*512
	if err := readPkgEntry(listFile, dec, &buf, listLimit, "media list"); err != nil {
		return nil, err
	}
	var list []readMediaEntry
	var err error
	if version == readPkgLatest {
		list, err = readMediaEntries(buf.Bytes(), lim.MaxMediaFiles)
	} else {
		list, err = readLegacyMediaMap(buf.Bytes(), lim.MaxMediaFiles)
	}
	if err != nil {
		return nil, err
	}

	seen := make(map[string]string, len(list))
	for _, e := range list {
		if why := readUnsafeMediaName(e.name); why != "" {
			return nil, fmt.Errorf("media file %s has an unsafe name %q: %s", e.zipName, e.name, why)
		}
		if other, dup := seen[e.name]; dup {
			return nil, fmt.Errorf("media files %s and %s have the same name %q", other, e.zipName, e.name)
		}
		seen[e.name] = e.zipName
	}

	budget := lim.MaxMediaBytes
	for _, e := range list {
		f := entries[e.zipName]
		if f == nil {
			return nil, fmt.Errorf("media file %s (%q) is missing from the package", e.zipName, e.name)
		}
		var data bytes.Buffer // not grown to the declared size: an upload of a few bytes may declare any
		err := readPkgEntry(f, dec, &data, budget, fmt.Sprintf("media file %s (%q)", e.zipName, e.name))
		if err != nil {
			var tl *readTooLargeError
			if errors.As(err, &tl) {
				return nil, fmt.Errorf("the package's media are larger than the limit of %s once decompressed (at media file %s, %q)", readSize(lim.MaxMediaBytes), e.zipName, e.name)
			}
			return nil, err
		}
		budget -= int64(data.Len())
		if version == readPkgLatest {
			if int64(data.Len()) != int64(e.size) {
				return nil, fmt.Errorf("media file %s (%q) has %d bytes, but the media list says %d", e.zipName, e.name, data.Len(), e.size)
			}
			if sum := sha1.Sum(data.Bytes()); !bytes.Equal(sum[:], e.sha1) {
				return nil, fmt.Errorf("media file %s (%q) does not match the SHA-1 the media list gives", e.zipName, e.name)
			}
		}
		media[e.name] = data.Bytes()
	}
	return media, nil
}

// readLegacyMediaMap decodes the media list of legacy packages, a JSON
// object from zip entry name (a number) to file name.
func readLegacyMediaMap(b []byte, maxFiles int) ([]readMediaEntry, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	corrupt := func(err error) error {
		return fmt.Errorf("the package's media list is not a JSON object of names: %v", err)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, corrupt(err)
	}
	if tok != json.Delim('{') {
		return nil, corrupt(fmt.Errorf("it starts with %v", tok))
	}
	var list []readMediaEntry
	keys := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, corrupt(err)
		}
		key := tok.(string) // object keys are strings
		var name string
		if err := dec.Decode(&name); err != nil {
			return nil, corrupt(fmt.Errorf("entry %q: %v", key, err))
		}
		idx, err := strconv.ParseUint(key, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("the package's media list has an entry %q that is not a file number", key)
		}
		zipName := strconv.FormatUint(idx, 10)
		if keys[zipName] {
			return nil, fmt.Errorf("the package's media list has media file %s twice", zipName)
		}
		keys[zipName] = true
		if len(list) == maxFiles {
			return nil, fmt.Errorf("the package has more media files than the limit of %d", maxFiles)
		}
		list = append(list, readMediaEntry{zipName: zipName, num: idx, name: name})
	}
	if _, err := dec.Token(); err != nil {
		return nil, corrupt(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, corrupt(errors.New("data follows the object"))
	}
	sort.Slice(list, func(i, j int) bool { return list[i].num < list[j].num })
	return list, nil
}

// readMediaEntries decodes the media list of the latest version, a
// protobuf MediaEntries {repeated MediaEntry entries = 1} with MediaEntry
// {string name = 1; uint32 size = 2; bytes sha1 = 3; optional uint32
// legacy_zip_filename = 255}. Entry i is in the zip entry "i", or the one
// legacy_zip_filename names.
func readMediaEntries(b []byte, maxFiles int) ([]readMediaEntry, error) {
	var list []readMediaEntry
	err := readProto(b, func(f readProtoField) error {
		if f.num != 1 {
			return nil
		}
		if f.typ != protowire.BytesType {
			return errors.New("an entry is not a message")
		}
		if len(list) == maxFiles {
			return readErrTooManyMedia
		}
		e := readMediaEntry{zipName: strconv.Itoa(len(list))}
		err := readProto(f.bytes, func(g readProtoField) error {
			want := protowire.VarintType
			if g.num == 1 || g.num == 3 {
				want = protowire.BytesType
			}
			if (g.num == 1 || g.num == 2 || g.num == 3 || g.num == 255) && g.typ != want {
				return fmt.Errorf("entry %s has field %d of the wrong type", e.zipName, g.num)
			}
			switch g.num {
			case 1:
				e.name = string(g.bytes)
			case 2:
				e.size = uint32(g.varint)
			case 3:
				e.sha1 = g.bytes
			case 255:
				e.zipName = strconv.FormatUint(uint64(uint32(g.varint)), 10)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(e.sha1) != sha1.Size {
			return fmt.Errorf("media file %s (%q) has no SHA-1", e.zipName, e.name)
		}
		list = append(list, e)
		return nil
	})
	if errors.Is(err, readErrTooManyMedia) {
		return nil, fmt.Errorf("the package has more media files than the limit of %d", maxFiles)
	}
	if err != nil {
		return nil, fmt.Errorf("the package's media list is corrupt: %v", err)
	}
	return list, nil
}

var readErrTooManyMedia = errors.New("too many media files")

// readUnsafeMediaName says why name may not be a media file's name, or ""
// when it may: it must be one plain file name, as Anki's
// filename_is_safe requires (rslib/io/src/lib.rs), in valid UTF-8 and
// free of control characters.
func readUnsafeMediaName(name string) string {
	switch {
	case name == "":
		return "it is empty"
	case name == "." || name == "..":
		return "it names a directory"
	case !utf8.ValidString(name):
		return "it is not valid UTF-8"
	case len(name) > readMediaNameMaxBytes:
		return fmt.Sprintf("it is longer than %d bytes", readMediaNameMaxBytes)
	case strings.ContainsAny(name, `/\`):
		return "it holds a path separator"
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "it holds a NUL or control character"
	}
	return ""
}

// readProtoField is one field of a protobuf message: its number, wire
// type and, for varint and length-delimited fields, its value.
type readProtoField struct {
	num    protowire.Number
	typ    protowire.Type
	varint uint64
	bytes  []byte
}

// readProto calls each for every field of the protobuf message b, in
// order.
func readProto(b []byte, each func(readProtoField) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		f := readProtoField{num: num, typ: typ}
		switch typ {
		case protowire.VarintType:
			f.varint, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			f.bytes, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := each(f); err != nil {
			return err
		}
	}
	return nil
}
