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
//
// The scheduler version is "schedVer" of the collection's configuration:
// a key of the col.conf JSON object up to schema 13, a row of the config
// table (its val a JSON blob) from schema 14 on. Like Anki
// (rslib/src/config/mod.rs, scheduler_version), only a value of 2 means
// the second scheduler; a missing or unreadable one means the first.
//
// A package is an untrusted upload, and everything it holds is bounded
// before it costs much (see ReadLimits and ReadPackageContext):
//
//   - the zip directory: at most MaxMediaFiles + 8 entries, and the
//     central directory read while the archive is opened is bounded too, so
//     that a zip of a million empty entries is refused before it is
//     parsed;
//   - the decompressed collection, media list and media, and the zstd
//     window;
//   - the SQLite file: opened read-only and immutable, in defensive mode
//     (checked), with an untrusted schema and query-only, with a 16 MiB
//     limit on any value and a 1 MiB one on any statement (the schema's
//     included) and no ATTACH. Only plain tables are read (no views,
//     virtual tables or generated columns, whose values SQLite would
//     compute), without ORDER BY (so that SQLite never sorts or spills a
//     table to a temporary file: rows are sorted here);
//   - the rows: notes, cards and reviews are counted before any is read
//     (MaxNotes, MaxCards, MaxReviews), and note types, their fields and
//     decks too (at most 10,000, 250,000 and 100,000); the count itself
//     stops at twice the limit, so that a corrupt b-tree whose pages
//     repeat cannot make it run for long;
//   - the text: a note may have at most 256 fields (or its note type's
//     count plus 8, if that is more), and the fields, tags, GUIDs, card
//     data and names read together are bounded by MaxTextBytes, since a
//     corrupt file can make many rows share one overflow chain.

import (
	"archive/zip"
	"bytes"
	"cmp"
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
	"slices"
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
	sqlite3 "modernc.org/sqlite/lib"
)

// ReadLimits bounds what ReadPackage takes from a package, which is
// untrusted input: sizes are counted as the data is decompressed, so a
// small archive that inflates to gigabytes is refused once it passes the
// limit, whatever its headers claim, and rows are counted before they are
// read. A zero or negative field takes its value from DefaultReadLimits.
type ReadLimits struct {
	// MaxCollectionBytes is the largest the collection file may be once
	// decompressed.
	MaxCollectionBytes int64
	// MaxMediaBytes is the largest the media files may be together once
	// decompressed.
	MaxMediaBytes int64
	// MaxMediaFiles is the most media files the package may list. The zip
	// archive may hold at most 8 entries more.
	MaxMediaFiles int
	// MaxNotes, MaxCards and MaxReviews are the most notes, cards and
	// review log rows the collection may hold. Besides their text, a note
	// takes about 100 bytes once read, a card 110 and a review 64.
	MaxNotes   int
	MaxCards   int
	MaxReviews int
	// MaxTextBytes is the most text the collection may yield: the notes'
	// fields, tags and GUIDs, the cards' data and the names of decks, note
	// types and fields together, each string counted at its length plus
	// 16 bytes (what holding it takes).
	MaxTextBytes int64
}

// DefaultReadLimits are the limits ReadPackage applies where a ReadLimits
// field is zero: a 256 MiB collection, 256 MiB of media in at most 10,000
// files, 200,000 notes, 400,000 cards, 3,000,000 reviews (about 190 MB
// once read) and 256 MiB of text.
var DefaultReadLimits = ReadLimits{
	MaxCollectionBytes: 256 << 20,
	MaxMediaBytes:      256 << 20,
	MaxMediaFiles:      10000,
	MaxNotes:           200_000,
	MaxCards:           400_000,
	MaxReviews:         3_000_000,
	MaxTextBytes:       256 << 20,
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
	if l.MaxNotes <= 0 {
		l.MaxNotes = DefaultReadLimits.MaxNotes
	}
	if l.MaxCards <= 0 {
		l.MaxCards = DefaultReadLimits.MaxCards
	}
	if l.MaxReviews <= 0 {
		l.MaxReviews = DefaultReadLimits.MaxReviews
	}
	if l.MaxTextBytes <= 0 {
		l.MaxTextBytes = DefaultReadLimits.MaxTextBytes
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
	// readZipOtherEntries is how many zip entries a package may hold
	// besides its media files: meta, three collection files, the media
	// list and a few to spare.
	readZipOtherEntries = 8
	// readZipEntryDirBytes is the central directory an entry may take on
	// average (46 bytes of header, then its name, extra fields and
	// comment), and readZipDirSlack what opening the archive reads
	// besides: the end record, its comment of up to 64 KiB and the zip64
	// records.
	readZipEntryDirBytes = 256
	readZipDirSlack      = 128 << 10
	// readMinSchema and readMaxSchema are the collection schema versions
	// Anki opens (rslib/src/storage/upgrades/mod.rs); from 14 on the
	// configuration lives in the config table, from 15 on note types and
	// decks live in their own tables instead of col's JSON.
	readMinSchema     = 11
	readMaxSchema     = 18
	readConfigSchema  = 14
	readTablesSchema  = 15
	readSQLiteMagic   = "SQLite format 3\x00"
	readUnicaseName   = "unicase"
	readMiB           = 1 << 20
	readKiB           = 1 << 10
	readFilteredDueTS = 1_000_000_000 // a learning due above this is a Unix time
	// readMaxValueBytes is SQLite's length limit: no string or blob (a
	// note's fields together, col.models) may be longer.
	readMaxValueBytes = 16 << 20
	// readMaxSQLBytes is SQLite's limit on a statement, the CREATE
	// statements of the schema included (Anki's are under 1 KiB).
	readMaxSQLBytes = 1 << 20
	// readMaxTables is the most tables the schema may have (Anki's has
	// about fifteen).
	readMaxTables = 1000
	// readMaxNotetypes, readMaxFieldRows and readMaxDecks bound the note
	// types, their fields (all together) and the decks.
	readMaxNotetypes = 10_000
	readMaxFieldRows = 250_000
	readMaxDecks     = 100_000
	// A note may have readMaxNoteFields fields, or readExtraNoteFields
	// more than its note type when that is more (Anki's check database
	// merges extra fields into the last one).
	readMaxNoteFields   = 256
	readExtraNoteFields = 8
	// readStringBytes is what a string costs besides its bytes, for
	// MaxTextBytes.
	readStringBytes = 16
	// readCtxRows is how often the row loops look at the context.
	readCtxRows = 4096
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

// ReadPackage reads an Anki package as ReadPackageContext does, without a
// way to stop it.
func ReadPackage(r io.ReaderAt, size int64, lim ReadLimits) (*Collection, error) {
	return ReadPackageContext(context.Background(), r, size, lim)
}

// ReadPackageContext reads an Anki package, an .apkg (decks) or .colpkg (a
// whole collection) of any version Anki writes, from r, which holds size
// bytes. It returns everything the package holds, or an error saying in a
// sentence what is wrong with it and no Collection.
//
// The package is untrusted: the zip entries, the decompressed collection
// and media, the notes, cards, reviews and their text are bounded by lim;
// zstd frames may not ask for windows over 64 MiB; media names must be
// plain file names (no path separators, ".", "..", NUL or control
// characters, at most 255 bytes, valid UTF-8) and unique, and every listed
// media file must be present (in the latest version, with the size and
// SHA-1 the list gives). The collection is extracted to a temporary file,
// removed before ReadPackageContext returns, and opened read-only in
// SQLite's defensive mode with untrusted-schema protections and a 16 MiB
// limit on any value; it must be an SQLite database of schema 11 to 18
// with Anki's tables, plain tables without generated columns, and a note
// may have at most 256 fields (more if its note type has more).
//
// ctx stops the reading: it is looked at between stages, as data is
// decompressed and every few thousand rows, and it interrupts SQLite's
// queries. Once ctx is done, the error wraps ctx.Err(). As a corrupt
// SQLite file can make a query slow, a caller reading uploads should give
// ctx a deadline.
//
// A card in a filtered deck is returned as it would be back home, as Anki
// does when an export leaves filtered decks out: DeckID is its home deck
// (odid), Due its home due (odue, when set) and a Queue that is not
// suspended or buried is the one of its Type. A package without a media
// list (older AnkiDroid colpkgs) has no media.
func ReadPackageContext(ctx context.Context, r io.ReaderAt, size int64, lim ReadLimits) (*Collection, error) {
	col, err := readPackage(ctx, r, size, lim.orDefaults())
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, fmt.Errorf("reading the package stopped: %w", cerr)
		}
		return nil, err
	}
	return col, nil
}

func readPackage(ctx context.Context, r io.ReaderAt, size int64, lim ReadLimits) (*Collection, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Opening the archive parses its whole central directory, whatever the
	// end record says, into a zip.File for every entry: the directory read
	// is bounded so that a few megabytes of empty entries cannot make
	// millions of them.
	maxEntries := lim.MaxMediaFiles + readZipOtherEntries
	dirLimit := &readZipDirLimit{r: r, left: int64(maxEntries)*readZipEntryDirBytes + readZipDirSlack}
	zr, err := zip.NewReader(dirLimit, size)
	dirLimit.left = -1 // done: entries are read at will
	if errors.Is(err, readErrZipDir) {
		return nil, fmt.Errorf("the package's zip directory is larger than %s: it lists more entries than the %s that can be read (%s media files and %d others)",
			readSize(int64(maxEntries)*readZipEntryDirBytes+readZipDirSlack), readCount(maxEntries), readCount(lim.MaxMediaFiles), readZipOtherEntries)
	}
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		// ErrInsecurePath is harmless here: entry names are looked up, never
		// used as paths.
		return nil, fmt.Errorf("the package is not a zip archive (%v)", err)
	}
	if len(zr.File) > maxEntries {
		return nil, fmt.Errorf("the package holds %s zip entries; at most %s can be read (%s media files and %d others)",
			readCount(len(zr.File)), readCount(maxEntries), readCount(lim.MaxMediaFiles), readZipOtherEntries)
	}
	entries := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		if _, dup := entries[f.Name]; dup {
			return nil, fmt.Errorf("the package has two entries named %q", f.Name)
		}
		entries[f.Name] = f
	}

	version, err := readPkgVersion(ctx, entries)
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

	col, err := readPkgCollection(ctx, colFile, dec, lim)
	if err != nil {
		return nil, err
	}
	col.Format = colName
	col.Media, err = readPkgMedia(ctx, entries, version, dec, lim)
	if err != nil {
		return nil, err
	}
	return col, nil
}

// readZipDirLimit is the io.ReaderAt zip.NewReader reads through: until
// left is set negative, it fails once more than left bytes have been
// read.
type readZipDirLimit struct {
	r    io.ReaderAt
	left int64
}

var readErrZipDir = errors.New("the zip directory is too large")

// ReadAt implements io.ReaderAt.
func (l *readZipDirLimit) ReadAt(p []byte, off int64) (int, error) {
	if l.left >= 0 {
		if int64(len(p)) > l.left {
			return 0, readErrZipDir
		}
		l.left -= int64(len(p))
	}
	return l.r.ReadAt(p, off)
}

// readCount formats a count with thousands separators: 250,000.
func readCount(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// readPkgVersion returns the package version: the one "meta" gives, or
// without "meta" legacy 2 when collection.anki21 is present and legacy 1
// otherwise.
func readPkgVersion(ctx context.Context, entries map[string]*zip.File) (int, error) {
	meta := entries["meta"]
	if meta == nil {
		if entries[readPkgCollectionNames[readPkgLegacy2]] != nil {
			return readPkgLegacy2, nil
		}
		return readPkgLegacy1, nil
	}
	var buf bytes.Buffer
	if err := readPkgEntry(ctx, meta, nil, &buf, readMetaMaxBytes, "meta entry"); err != nil {
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

// readCtxReader is a reader that fails once ctx is done.
type readCtxReader struct {
	ctx context.Context
	r   io.Reader
}

// Read implements io.Reader.
func (c readCtxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// readPkgEntry decompresses the zip entry f, and then zstd when dec is
// not nil, into dst, failing with a *readTooLargeError once more than
// limit bytes come out, or once ctx is done. what names the entry in
// errors ("collection.anki2", "media list").
func readPkgEntry(ctx context.Context, f *zip.File, dec *zstd.Decoder, dst io.Writer, limit int64, what string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
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
	n, err := io.Copy(dst, io.LimitReader(readCtxReader{ctx, src}, limit+1))
	if err != nil {
		if errors.Is(err, zstd.ErrWindowSizeExceeded) || errors.Is(err, zstd.ErrDecoderSizeExceeded) {
			return fmt.Errorf("the package's %s asks for a zstd window over %s", what, readSize(readZstdMaxWindow))
		}
		if ctx.Err() != nil {
			return err
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
func readPkgCollection(ctx context.Context, f *zip.File, dec *zstd.Decoder, lim ReadLimits) (*Collection, error) {
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
	err = readPkgEntry(ctx, f, dec, tmp, lim.MaxCollectionBytes, f.Name)
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("extract the package's %s: %w", f.Name, cerr)
	}
	if err != nil {
		return nil, err
	}
	return readCollectionDB(ctx, path, f.Name, lim)
}

// readLimitError is an error of a limit the collection passes; it is
// reported as it is rather than as an unreadable table.
type readLimitError struct{ msg string }

func (e *readLimitError) Error() string { return e.msg }

func readLimitf(format string, args ...any) error {
	return &readLimitError{fmt.Sprintf(format, args...)}
}

// readTableErr is the error of reading table t: err itself when it is a
// limit's, otherwise one saying the table is unreadable.
func readTableErr(t string, err error) error {
	var le *readLimitError
	if errors.As(err, &le) {
		return err
	}
	return fmt.Errorf("its %s table is unreadable: %v", t, readDBErr(err))
}

// readDBErr rewords SQLite's error for a value over its length limit.
func readDBErr(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_TOOBIG {
		return fmt.Errorf("it holds a value larger than the limit of %s", readSize(readMaxValueBytes))
	}
	return err
}

// readTextBudget is what is left of ReadLimits.MaxTextBytes.
type readTextBudget struct {
	left, limit int64
}

// take spends n bytes of text, read at where ("note 12"), or fails.
func (b *readTextBudget) take(n int64, where string) error {
	if n > b.left {
		return readLimitf("its text (note fields, tags, card data, names) is larger than the limit of %s (at %s)", readSize(b.limit), where)
	}
	b.left -= n
	return nil
}

// readStrings is what the strings cost against the text budget.
func readStrings(s ...string) int64 {
	var n int64
	for _, x := range s {
		n += int64(len(x)) + readStringBytes
	}
	return n
}

// readCollectionDB reads the SQLite collection at path; name is the
// collection file's name in the package, for errors.
func readCollectionDB(ctx context.Context, path, name string, lim ReadLimits) (*Collection, error) {
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

	db, err := readOpenSQLite(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("the package's %s cannot be opened: %v", name, readDBErr(err))
	}
	defer db.Close()

	// The tables read must be plain tables: not views, which could run any
	// query, nor virtual tables.
	tables := map[string]bool{}
	ntables := 0
	if err := readRows(ctx, db, `SELECT name, sql FROM sqlite_master WHERE type = 'table'`, func(rows *sql.Rows) error {
		if ntables++; ntables > readMaxTables {
			return fmt.Errorf("it has more than %s tables", readCount(readMaxTables))
		}
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
		return nil, fmt.Errorf("the package's %s is not a readable SQLite database: %v", name, readDBErr(err))
	}
	notAnki := func(format string, args ...any) error {
		return fmt.Errorf("the package's %s is not an Anki collection: %s", name, fmt.Sprintf(format, args...))
	}
	// checkTables checks that the tables exist and have no generated (or
	// hidden) columns, which SQLite would compute as they are read.
	checkTables := func(ts ...string) error {
		for _, t := range ts {
			if !tables[t] {
				return notAnki("it has no %s table", t)
			}
		}
		for _, t := range ts {
			col, err := readGeneratedColumn(ctx, db, t)
			if err != nil {
				return fmt.Errorf("the package's %s is not a readable SQLite database: its %s table: %v", name, t, readDBErr(err))
			}
			if col != "" {
				return notAnki("its %s table has a generated column (%s)", t, col)
			}
		}
		return nil
	}
	if err := checkTables("col", "notes", "cards", "revlog"); err != nil {
		return nil, err
	}

	var crt, ver int64
	err = db.QueryRowContext(ctx, `SELECT crt, ver FROM col LIMIT 1`).Scan(&crt, &ver)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notAnki("its col table is empty")
	}
	if err != nil {
		return nil, fmt.Errorf("the package's %s has an unreadable col table: %v", name, readDBErr(err))
	}
	if ver < readMinSchema || ver > readMaxSchema {
		return nil, fmt.Errorf("the package's %s has schema version %d, which is not supported (supported: %d to %d)", name, ver, readMinSchema, readMaxSchema)
	}
	var more []string
	if ver >= readTablesSchema {
		more = append(more, "notetypes", "fields", "decks")
	}
	if ver >= readConfigSchema {
		more = append(more, "config")
	}
	for _, t := range more {
		if !tables[t] {
			return nil, fmt.Errorf("the package's %s is not an Anki collection of schema %d: it has no %s table", name, ver, t)
		}
	}
	if err := checkTables(more...); err != nil {
		return nil, err
	}

	// Count the rows before reading any.
	type count struct {
		table, what string
		max         int
		n           *int
	}
	var nNotes, nCards, nReviews, nNotetypes, nFields, nDecks int
	counts := []count{
		{"notes", "notes", lim.MaxNotes, &nNotes},
		{"cards", "cards", lim.MaxCards, &nCards},
		{"revlog", "reviews", lim.MaxReviews, &nReviews},
	}
	if ver >= readTablesSchema {
		counts = append(counts,
			count{"notetypes", "note types", readMaxNotetypes, &nNotetypes},
			count{"fields", "note type fields", readMaxFieldRows, &nFields},
			count{"decks", "decks", readMaxDecks, &nDecks})
	}
	for _, c := range counts {
		n, err := readCountRows(ctx, db, c.table, c.max)
		if err != nil {
			return nil, fmt.Errorf("the package's %s: %w", name, readTableErr(c.table, err))
		}
		if n > c.max {
			more := ""
			if n > 2*c.max {
				more, n = "more than ", 2*c.max
			}
			return nil, fmt.Errorf("the package holds %s%s %s; at most %s can be imported", more, readCount(n), c.what, readCount(c.max))
		}
		*c.n = n
	}

	col := &Collection{Created: time.Unix(crt, 0).UTC()}
	r := &readCollection{
		ctx: ctx, db: db, col: col, lim: lim,
		text: readTextBudget{left: lim.MaxTextBytes, limit: lim.MaxTextBytes},
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if ver >= readTablesSchema {
		err = r.tablesSchema18(nNotetypes, nFields, nDecks)
	} else {
		err = r.jsonSchema11()
	}
	if err == nil {
		col.SchedulerV1, err = r.schedulerV1(ver >= readConfigSchema)
	}
	if err == nil {
		err = r.notesCards(nNotes, nCards, nReviews)
	}
	if err != nil {
		return nil, fmt.Errorf("the package's %s: %w", name, err)
	}
	return col, nil
}

// readGeneratedColumn returns the name of a generated or hidden column
// of table t, or "" if it has none: PRAGMA table_xinfo's hidden is 1 for
// a virtual table's hidden column, 2 for a generated virtual one and 3 for
// a generated stored one.
func readGeneratedColumn(ctx context.Context, db *readConn, t string) (string, error) {
	found := ""
	err := readRows(ctx, db, `SELECT name, hidden FROM pragma_table_xinfo(?)`, func(rows *sql.Rows) error {
		var name string
		var hidden int64
		if err := rows.Scan(&name, &hidden); err != nil {
			return err
		}
		if hidden != 0 && found == "" {
			found = name
		}
		return nil
	}, t)
	return found, err
}

// readCountRows counts the rows of table (one of the fixed names the
// reader reads), but stops past 2*max + 1: a corrupt b-tree whose pages
// repeat could make a full count run for hours.
func readCountRows(ctx context.Context, db *readConn, table string, max int) (int, error) {
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM `+table+` LIMIT ?)`, int64(2*max+1)).Scan(&n)
	return n, err
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

// readConn is the one SQLite connection a collection is read through:
// its limits are the connection's, so every query must go through it
// rather than through a pool that could open another.
type readConn struct {
	*sql.Conn
	db *sql.DB
}

// Close closes the connection and its database.
func (c *readConn) Close() error {
	err := c.Conn.Close()
	if cerr := c.db.Close(); err == nil {
		err = cerr
	}
	return err
}

// readSQLiteLimits are the limits set on the connection (sqlite3_limit)
// before the schema is read; SQLite's defaults serve for the others
// (2000 columns, expressions 1000 deep, 500 terms of a compound SELECT,
// ...), which the reader's own queries are far from and a schema's
// statements, under 1 MiB, cannot pass to harm.
var readSQLiteLimits = []struct {
	id, val int
	name    string
}{
	{sqlite3.SQLITE_LIMIT_LENGTH, readMaxValueBytes, "length"},
	{sqlite3.SQLITE_LIMIT_SQL_LENGTH, readMaxSQLBytes, "SQL length"},
	{sqlite3.SQLITE_LIMIT_ATTACHED, 0, "attached databases"},
}

// readOpenSQLite opens the SQLite file at path read-only, as an immutable
// file (so no journal or WAL file is looked for or made), in defensive
// mode (which it checks), with an untrusted schema (its views and
// triggers may not call functions with side effects), query-only and
// with the limits of readSQLiteLimits, all set before the schema is
// parsed.
func readOpenSQLite(ctx context.Context, path string) (*readConn, error) {
	if err := readRegisterUnicase(); err != nil {
		return nil, fmt.Errorf("register the unicase collation: %w", err)
	}
	// _defensive applies at open; the pragmas are run below, after the
	// limits, as the first of them would read the schema.
	u := url.URL{Scheme: "file", Path: path, RawQuery: "mode=ro&immutable=1&_defensive=1"}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	c := &readConn{Conn: conn, db: db}
	if err := readSetUpSQLite(ctx, c); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func readSetUpSQLite(ctx context.Context, c *readConn) error {
	for _, l := range readSQLiteLimits {
		if _, err := sqlite.Limit(c.Conn, l.id, l.val); err != nil {
			return fmt.Errorf("set SQLite's %s limit: %w", l.name, err)
		}
		if got, err := sqlite.Limit(c.Conn, l.id, -1); err != nil || got != l.val {
			return fmt.Errorf("set SQLite's %s limit to %d: it is %d (%v)", l.name, l.val, got, err)
		}
	}
	for _, p := range []string{"trusted_schema = 0", "cell_size_check = 1", "query_only = 1"} {
		if _, err := c.ExecContext(ctx, "PRAGMA "+p); err != nil {
			return err
		}
	}
	// Defensive mode makes SQLite ignore journal_mode=OFF (which is
	// harmless on this read-only connection either way): a mode of "off"
	// afterwards means the driver did not turn defensive mode on.
	var mode string
	if err := c.QueryRowContext(ctx, `PRAGMA journal_mode = OFF`).Scan(&mode); err != nil {
		return err
	}
	if strings.EqualFold(mode, "off") {
		return errors.New("SQLite's defensive mode is not on")
	}
	return nil
}

// readRows runs query and calls each for every row, looking at ctx every
// readCtxRows rows.
func readRows(ctx context.Context, db *readConn, query string, each func(*sql.Rows) error, args ...any) error {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for n := 1; rows.Next(); n++ {
		if n%readCtxRows == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := each(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// readCollection is the state of reading a collection's tables.
type readCollection struct {
	ctx  context.Context
	db   *readConn
	col  *Collection
	lim  ReadLimits
	text readTextBudget
}

// readJSONObject calls each for every member of the JSON object s, in
// order, with dec at the member's value, which each must consume. It
// streams, so that a large object never sits in memory decoded whole.
func readJSONObject(s string, each func(key string, dec *json.Decoder) error) error {
	dec := json.NewDecoder(strings.NewReader(s))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != json.Delim('{') {
		return fmt.Errorf("it starts with %v", tok)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if err := each(tok.(string), dec); err != nil { // object keys are strings
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data follows the object")
	}
	return nil
}

// readJSONError is an error of a JSON member's value, reported as such
// rather than as the whole object's syntax.
type readJSONError struct{ err error }

func (e *readJSONError) Error() string { return e.err.Error() }
func (e *readJSONError) Unwrap() error { return e.err }

// jsonSchema11 reads the note types and decks of a schema 11
// collection, JSON objects in col.models and col.decks
// (rslib/src/notetype/schema11.rs, rslib/src/decks/schema11.rs).
func (r *readCollection) jsonSchema11() error {
	col := r.col
	var models, decks string
	if err := r.db.QueryRowContext(r.ctx, `SELECT models, decks FROM col LIMIT 1`).Scan(&models, &decks); err != nil {
		return fmt.Errorf("its col table is unreadable: %v", readDBErr(err))
	}

	col.Notetypes = map[int64]Notetype{}
	err := readJSONObject(models, func(key string, dec *json.Decoder) error {
		if len(col.Notetypes) == readMaxNotetypes {
			return readLimitf("the package holds more than %s note types; at most %s can be imported", readCount(readMaxNotetypes), readCount(readMaxNotetypes))
		}
		var m struct {
			ID   readJSONInt `json:"id"`
			Name string      `json:"name"`
			Type readJSONInt `json:"type"`
			Flds []struct {
				Name string       `json:"name"`
				Ord  *readJSONInt `json:"ord"`
			} `json:"flds"`
		}
		if err := dec.Decode(&m); err != nil {
			return &readJSONError{fmt.Errorf("its note type %q is corrupt: %v", key, err)}
		}
		id := int64(m.ID)
		if id == 0 {
			id, _ = strconv.ParseInt(key, 10, 64)
		}
		cost := readStrings(m.Name)
		for _, f := range m.Flds {
			cost += readStrings(f.Name)
		}
		if err := r.text.take(cost, fmt.Sprintf("note type %d", id)); err != nil {
			return err
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
		return nil
	})
	if err != nil {
		return readJSONErr(err, "its note types (col.models) are not a JSON object: %v")
	}
	if err := r.ctx.Err(); err != nil {
		return err
	}

	col.Decks = map[int64]CollectionDeck{}
	err = readJSONObject(decks, func(key string, dec *json.Decoder) error {
		if len(col.Decks) == readMaxDecks {
			return readLimitf("the package holds more than %s decks; at most %s can be imported", readCount(readMaxDecks), readCount(readMaxDecks))
		}
		var d struct {
			ID   readJSONInt `json:"id"`
			Name string      `json:"name"`
			Dyn  readJSONInt `json:"dyn"`
		}
		if err := dec.Decode(&d); err != nil {
			return &readJSONError{fmt.Errorf("its deck %q is corrupt: %v", key, err)}
		}
		id := int64(d.ID)
		if id == 0 {
			id, _ = strconv.ParseInt(key, 10, 64)
		}
		if err := r.text.take(readStrings(d.Name), fmt.Sprintf("deck %d", id)); err != nil {
			return err
		}
		col.Decks[id] = CollectionDeck{ID: id, Name: d.Name, Filtered: d.Dyn == 1}
		return nil
	})
	if err != nil {
		return readJSONErr(err, "its decks (col.decks) are not a JSON object: %v")
	}
	return nil
}

// readJSONErr is the error of reading a JSON object of col: a member's
// or a limit's as it is, a syntax error in the sentence of format.
func readJSONErr(err error, format string) error {
	var je *readJSONError
	var le *readLimitError
	if errors.As(err, &je) || errors.As(err, &le) {
		return err
	}
	return fmt.Errorf(format, err)
}

// schedulerV1 reports whether the collection is of Anki's first
// scheduler: its "schedVer" is not 2. From schema 14 on (config) it is a
// row of the config table, whose val Anki reads as a JSON blob (a value
// of another type is unreadable); before, a member of the col.conf JSON
// object, which must be an object (Anki would not open the collection
// otherwise). A missing or unreadable value means the first scheduler,
// as in Anki's scheduler_version.
func (r *readCollection) schedulerV1(config bool) (bool, error) {
	isV2 := func(raw []byte) bool {
		var v uint8
		return json.Unmarshal(raw, &v) == nil && v == 2
	}
	if config {
		var blob bool
		var val []byte
		err := r.db.QueryRowContext(r.ctx, `SELECT typeof(val) = 'blob', val FROM config WHERE KEY = 'schedVer' LIMIT 1`).Scan(&blob, &val)
		if errors.Is(err, sql.ErrNoRows) {
			return true, nil
		}
		if err != nil {
			return false, readTableErr("config", err)
		}
		return !blob || !isV2(val), nil
	}
	var conf string
	if err := r.db.QueryRowContext(r.ctx, `SELECT conf FROM col LIMIT 1`).Scan(&conf); err != nil {
		return false, fmt.Errorf("its col table is unreadable: %v", readDBErr(err))
	}
	v1 := true
	var raw json.RawMessage // reused: members are skipped without copies
	err := readJSONObject(conf, func(key string, dec *json.Decoder) error {
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		if key == "schedVer" {
			v1 = !isV2(raw) // the last one counts, as in Anki's map
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("its configuration (col.conf) is not a JSON object: %v", err)
	}
	return v1, nil
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

// tablesSchema18 reads the note types, fields and decks of a schema
// 15-18 collection from their tables (rslib/src/storage/upgrades/
// schema15_upgrade.sql), of which there are nNotetypes, nFields and nDecks
// rows. A notetype's config is a protobuf Notetype.Config whose field 1 is
// its kind (1: cloze); a deck's kind is a protobuf Deck.KindContainer,
// field 1 normal, field 2 filtered; deck names separate their levels with
// "\x1f".
func (r *readCollection) tablesSchema18(nNotetypes, nFields, nDecks int) error {
	col := r.col
	col.Notetypes = make(map[int64]Notetype, nNotetypes)
	tooMany := func(max int, what string) error {
		return readLimitf("the package holds more than %s %s; at most %s can be imported", readCount(max), what, readCount(max))
	}
	rowsRead := 0
	err := readRows(r.ctx, r.db, `SELECT id, name, config FROM notetypes`, func(rows *sql.Rows) error {
		if rowsRead++; rowsRead > readMaxNotetypes {
			return tooMany(readMaxNotetypes, "note types")
		}
		var nt Notetype
		var config []byte
		if err := rows.Scan(&nt.ID, &nt.Name, &config); err != nil {
			return err
		}
		if err := r.text.take(readStrings(nt.Name), fmt.Sprintf("note type %d", nt.ID)); err != nil {
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
		return readTableErr("notetypes", err)
	}
	if err := r.ctx.Err(); err != nil {
		return err
	}

	type field struct {
		ntid, ord int64
		name      string
	}
	fields := make([]field, 0, nFields)
	err = readRows(r.ctx, r.db, `SELECT ntid, ord, name FROM fields`, func(rows *sql.Rows) error {
		if len(fields) == readMaxFieldRows {
			return tooMany(readMaxFieldRows, "note type fields")
		}
		var f field
		if err := rows.Scan(&f.ntid, &f.ord, &f.name); err != nil {
			return err
		}
		if err := r.text.take(readStrings(f.name), fmt.Sprintf("field %d of note type %d", f.ord, f.ntid)); err != nil {
			return err
		}
		fields = append(fields, f)
		return nil
	})
	if err != nil {
		return readTableErr("fields", err)
	}
	slices.SortStableFunc(fields, func(a, b field) int {
		if a.ntid != b.ntid {
			return cmp.Compare(a.ntid, b.ntid)
		}
		return cmp.Compare(a.ord, b.ord)
	})
	for _, f := range fields {
		if nt, ok := col.Notetypes[f.ntid]; ok {
			nt.Fields = append(nt.Fields, f.name)
			col.Notetypes[f.ntid] = nt
		}
	}
	for id, nt := range col.Notetypes {
		if nt.Fields == nil {
			nt.Fields = []string{}
			col.Notetypes[id] = nt
		}
	}
	if err := r.ctx.Err(); err != nil {
		return err
	}

	col.Decks = make(map[int64]CollectionDeck, nDecks)
	rowsRead = 0
	err = readRows(r.ctx, r.db, `SELECT id, name, kind FROM decks`, func(rows *sql.Rows) error {
		if rowsRead++; rowsRead > readMaxDecks {
			return tooMany(readMaxDecks, "decks")
		}
		var d CollectionDeck
		var kind []byte
		if err := rows.Scan(&d.ID, &d.Name, &kind); err != nil {
			return err
		}
		if err := r.text.take(readStrings(d.Name), fmt.Sprintf("deck %d", d.ID)); err != nil {
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
		return readTableErr("decks", err)
	}
	return nil
}

// readCountTags is len(strings.Fields(s)), without making the slice.
func readCountTags(s string) int {
	n := 0
	in := false
	for _, c := range s {
		switch {
		case unicode.IsSpace(c):
			in = false
		case !in:
			in = true
			n++
		}
	}
	return n
}

// notesCards reads the notes, cards and review log, which schemas 11
// to 18 store alike (rslib/src/storage/schema11.sql), and of which there
// are nNotes, nCards and nReviews rows. Like Anki, an unreadable due,
// original due, answer time or review type reads as 0. The rows are read
// in storage order and sorted here by id.
func (r *readCollection) notesCards(nNotes, nCards, nReviews int) error {
	col, lim := r.col, r.lim
	tooMany := func(max int, what string) error {
		return readLimitf("the package holds more than %s %s; at most %s can be imported", readCount(max), what, readCount(max))
	}

	col.Notes = make([]CollectionNote, 0, nNotes)
	err := readRows(r.ctx, r.db, `SELECT id, guid, mid, mod, tags, flds FROM notes`, func(rows *sql.Rows) error {
		if len(col.Notes) == lim.MaxNotes {
			return tooMany(lim.MaxNotes, "notes")
		}
		var n CollectionNote
		var mod int64
		var tags, flds string
		if err := rows.Scan(&n.ID, &n.GUID, &n.NotetypeID, &mod, &tags, &flds); err != nil {
			return err
		}
		nFields := strings.Count(flds, "\x1f") + 1
		maxFields := readMaxNoteFields
		if nt, ok := col.Notetypes[n.NotetypeID]; ok && len(nt.Fields)+readExtraNoteFields > maxFields {
			maxFields = len(nt.Fields) + readExtraNoteFields
		}
		if nFields > maxFields {
			return readLimitf("note %d has %s fields; at most %s can be read", n.ID, readCount(nFields), readCount(maxFields))
		}
		nTags := readCountTags(tags)
		cost := readStrings(n.GUID) + int64(len(tags)+len(flds)) + int64(nTags+nFields)*readStringBytes
		if err := r.text.take(cost, fmt.Sprintf("note %d", n.ID)); err != nil {
			return err
		}
		n.Modified = time.Unix(mod, 0).UTC()
		if nTags > 0 {
			n.Tags = strings.Fields(tags)
		}
		n.Fields = strings.Split(flds, "\x1f")
		col.Notes = append(col.Notes, n)
		return nil
	})
	if err != nil {
		return readTableErr("notes", err)
	}
	slices.SortStableFunc(col.Notes, func(a, b CollectionNote) int { return cmp.Compare(a.ID, b.ID) })
	if err := r.ctx.Err(); err != nil {
		return err
	}

	col.Cards = make([]CollectionCard, 0, nCards)
	err = readRows(r.ctx, r.db, `SELECT id, nid, did, ord, type, queue,
		COALESCE(CAST(due AS INTEGER), 0), ivl, factor, reps, lapses,
		COALESCE(CAST(odue AS INTEGER), 0), odid, flags, data FROM cards`, func(rows *sql.Rows) error {
		if len(col.Cards) == lim.MaxCards {
			return tooMany(lim.MaxCards, "cards")
		}
		var c CollectionCard
		var did, odue, odid int64
		if err := rows.Scan(&c.ID, &c.NoteID, &did, &c.Ord, &c.Type, &c.Queue, &c.Due, &c.Ivl,
			&c.Factor, &c.Reps, &c.Lapses, &odue, &odid, &c.Flags, &c.Data); err != nil {
			return err
		}
		if c.Data != "" {
			if err := r.text.take(readStrings(c.Data), fmt.Sprintf("card %d", c.ID)); err != nil {
				return err
			}
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
		return readTableErr("cards", err)
	}
	slices.SortStableFunc(col.Cards, func(a, b CollectionCard) int { return cmp.Compare(a.ID, b.ID) })
	if err := r.ctx.Err(); err != nil {
		return err
	}

	col.Revlog = make([]CollectionReview, 0, nReviews)
	err = readRows(r.ctx, r.db, `SELECT id, cid, ease, ivl, lastIvl, factor,
		COALESCE(CAST(time AS INTEGER), 0), COALESCE(CAST(type AS INTEGER), 0) FROM revlog`, func(rows *sql.Rows) error {
		if len(col.Revlog) == lim.MaxReviews {
			return tooMany(lim.MaxReviews, "reviews")
		}
		var rv CollectionReview
		if err := rows.Scan(&rv.ID, &rv.CardID, &rv.Ease, &rv.Ivl, &rv.LastIvl, &rv.Factor, &rv.Time, &rv.Type); err != nil {
			return err
		}
		col.Revlog = append(col.Revlog, rv)
		return nil
	})
	if err != nil {
		return readTableErr("revlog", err)
	}
	slices.SortStableFunc(col.Revlog, func(a, b CollectionReview) int { return cmp.Compare(a.ID, b.ID) })
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
func readPkgMedia(ctx context.Context, entries map[string]*zip.File, version int, dec *zstd.Decoder, lim ReadLimits) (map[string][]byte, error) {
	media := map[string][]byte{}
	listFile := entries["media"]
	if listFile == nil {
		return media, nil
	}
	var buf bytes.Buffer
	listLimit := int64(1<<20) + int64(lim.MaxMediaFiles)*512
	if err := readPkgEntry(ctx, listFile, dec, &buf, listLimit, "media list"); err != nil {
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
		err := readPkgEntry(ctx, f, dec, &data, budget, fmt.Sprintf("media file %s (%q)", e.zipName, e.name))
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
