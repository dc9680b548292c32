package anki

// Writing Anki packages (.apkg). WritePackage writes a legacy package
// (version "Legacy 1" of Anki's rslib/src/import_export/package/meta.rs):
// a zip archive holding "collection.anki2", a SQLite collection in schema
// 11 (rslib/src/storage/schema11.sql), "media", a JSON object mapping the
// zip entries "0", "1", ... to media file names, and those files. It has
// no "meta" entry, so every Anki that imports packages takes it; current
// Anki upgrades the collection as it opens it.
//
// # Decisions
//
//   - Notes are exactly those of the CSV export (Notes): the same GUIDs,
//     fields, tags and deck, and the same GUID rules (an empty or repeated
//     GUID fails the export). Anki matches an imported note to one it holds
//     by GUID and, by default, updates it only when the incoming note's mod
//     is newer: a note's mod is the latest Card.Modified of its cards (the
//     export time when none is set), so an edited deck updates in Anki and
//     an unchanged one is left alone. A note whose note type changed in
//     Anki's copy is reported as a conflict and not updated.
//   - Note types: two of flashd's own with fixed ids and names,
//     NotetypeIDBasic "flashd Basic" (Front, Back; basic and choice cards)
//     and NotetypeIDCloze "flashd Cloze" (Text, Back Extra). Anki's stock
//     "Basic" and "Cloze" have random ids and translated names, so fixed
//     ones are what lets a later export find the same note type in every
//     collection. Their mod is a constant (notetypeMod): Anki replaces a
//     note type it holds only by a newer one, so a user's changes to the
//     styling survive re-imports until flashd ships new templates and
//     raises it.
//   - Decks: "Default" (id 1, as every collection has), "flashd" and the
//     deck itself, "flashd::<title>" (deckName). Anki matches decks by
//     name; the ids are hashes of the names, so the same title gives the
//     same ids.
//   - Deck options: the deck gets its own preset (id hashed from the deck
//     name) with the learner's desired retention, maximum interval, daily
//     limits, flashd's steps (1m 10m, relearning 10m), leech threshold and,
//     only when the learner has their own FSRS parameters, those 21
//     weights (fsrsParams6; none means Anki's defaults). Anki imports a
//     preset only when the user asks for presets, and never replaces one
//     it already holds with that id. FSRS itself is a collection-wide
//     switch that a package cannot turn on.
//   - Days: col.crt is the start (04:00 in Settings.Location, flashd's and
//     Anki's rollover hour) of the study day of the earliest time the
//     package needs: the first review, any last review or due date, or Now.
//     Due days are study-day numbers counted from it (Settings.DayNumber),
//     and col.conf says rollover 4 and creationOffset (the zone's offset at
//     crt), so Anki counts days as flashd does and shifts them onto its own
//     collection's days on import.
//   - Cards: one per Deck.Cards entry. Its ord (template) is 0 for basic
//     and choice cards, Cloze-1 for a cloze card. Without progress, or in
//     phase New, a card is new (type 0, queue 0, due = its note's position
//     from 1). Learning and Relearning are types 1 and 3: queue 1 with due
//     in Unix seconds when the card is due on the study day of its last
//     review (Anki's intraday learning), else queue 3 with due a day
//     number. Review is type 2, queue 2, ivl = ScheduledDays (at least 1).
//     A learning card's ivl is 0. A relearning card keeps a review
//     interval in Anki, but go-fsrs sets ScheduledDays to 0 on a lapse, so
//     its ivl is ScheduledDays when set, else the interval of the review
//     it lapsed from (the state before its latest rating in the Review
//     phase), else 0. Suspended gives queue -1 and a bury that lasts past
//     Now queue -3 (user buried), both keeping the type; suspended wins
//     over buried. Flagged is the red flag (1). Studied cards get factor
//     2500 (Anki's starting ease, used only when FSRS is off) and data
//     {"s", "d", "dr", "decay", "lrt"}: stability, difficulty, desired
//     retention, the FSRS-6 decay (weight 20 of the learner's parameters)
//     and the last review in Unix seconds, at full float64 precision.
//     Anki keeps the schedule and the review log only when the user
//     imports with learning progress; otherwise it makes every card new.
//   - Ids: card and note ids are milliseconds just before the first review
//     (or Now), one apart in card and note order, so they are unique,
//     the same for the same input, and read as creation times. Anki refuses
//     a package with an id more than a day in the future, and gives an
//     imported card or note another id if its own collides.
//   - Review log: one row per Progress.Log entry, id its time in Unix ms
//     (Anki skips a row whose id it holds, so re-imports add no
//     duplicates), ease = rating, ivl and lastIvl the intervals of the
//     states after and before: days for a review state, minus the seconds
//     from the rating (after) or from the state's last review (before) to
//     its due date for a learning one, 0 for a new one; factor the
//     difficulty after, as Anki writes it under FSRS:
//     int(((D-1)/9 + 0.1) * 1000), 100 to 1100; time the answer time in ms
//     capped at 60 s (the preset's maxTaken, as Anki caps it when
//     answering); type from the phase before: New and Learning 0, Review 1,
//     Relearning 2.
//   - Media: every Export.Media file, in name order, stored uncompressed
//     (media are mostly compressed already). A name Anki would refuse (a
//     path, ".", "..") fails the export.
//   - What Anki cannot hold fails the export with nothing written: a state
//     whose phase is unknown, a studied card without a due date or last
//     review, a stability, difficulty or count out of range, a time before
//     2001-09-09 (Unix 1e9: Anki reads a smaller learning due as a day
//     number), a review after Now, an invalid rating, more Progress entries
//     than cards, a cloze number below 1 or repeated within a note.

import (
	"archive/zip"
	"bytes"
	"crypto/sha1"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"html"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver

	"github.com/flashd/flashd/decks"
	"github.com/flashd/flashd/srs"
)

// The note types of a package, with ids that never change so that every
// export of every deck uses the same two note types in Anki.
const (
	NotetypeIDBasic int64 = 1764547200001 // "flashd Basic": Front, Back
	NotetypeIDCloze int64 = 1764547200002 // "flashd Cloze": Text, Back Extra
)

// The names of the package note types.
const (
	NotetypeNameBasic = "flashd Basic"
	NotetypeNameCloze = "flashd Cloze"
)

// PackageCollectionName is the collection file of the package WritePackage
// writes (a legacy, schema 11 collection).
const PackageCollectionName = "collection.anki2"

const (
	// notetypeMod is the modification time (Unix seconds) of both note
	// types: raise it when their templates or styling change, so that
	// Anki replaces its copies on the next import.
	notetypeMod = 1764547200
	// writeMinTime is the earliest time a package holds: Anki takes a
	// learning card's due at or below 1e9 for a day number.
	writeMinTime = 1_000_000_000
	// writeMaxTakenSecs caps a review's answer time, as the preset's
	// maxTaken makes Anki do when answering.
	writeMaxTakenSecs = 60
	// writeStartingEase is Anki's starting ease (250%), the factor of a
	// studied card.
	writeStartingEase = 2500
	// writeIDBase and writeIDSpan make the ids hashed from names: ms-like
	// values from 2017-07-14 to 2020-09-13, never in the future.
	writeIDBase = 1_500_000_000_000
	writeIDSpan = 100_000_000_000
)

// WritePackage writes e as a legacy Anki package (.apkg): a zip of
// collection.anki2 (SQLite, schema 11) with the deck's notes, cards,
// note types, decks and deck options, the learner's schedule and review
// log when e carries progress, and the media files. See the decisions
// above. It fails, writing nothing to w, on a note with an empty or
// repeated GUID (as Write does), on more Progress entries than cards, on
// a state Anki cannot hold, on an unusable media name, or on a zero Now;
// w is written only once the whole package is built.
func WritePackage(w io.Writer, e Export) error {
	p, err := planPackage(e)
	if err != nil {
		return err
	}
	data, err := p.build()
	if err != nil {
		return fmt.Errorf("anki: write package: %w", err)
	}
	_, err = w.Write(data)
	return err
}

// writePlan is everything a package holds, checked and mapped to Anki's
// columns, before any file is made.
type writePlan struct {
	now                  time.Time
	crt                  time.Time
	conf, models         string // col JSON
	decksJSON, dconfJSON string
	notes                []writeNoteRow
	cards                []writeCardRow
	revlog               []writeRevlogRow
	media                []writeMediaFile
}

type writeNoteRow struct {
	id, mid, mod int64
	guid, tags   string
	flds, sfld   string
	csum         int64
}

type writeCardRow struct {
	id, nid, did              int64
	ord                       int
	mod                       int64
	typ, queue                int
	due                       int64
	ivl, factor, reps, lapses int
	left, flags               int
	data                      string
}

type writeRevlogRow struct {
	id, cid                         int64
	ease, ivl, lastIvl, factor, tim int
	typ                             int
}

type writeMediaFile struct {
	name string
	data []byte
}

// writeCardData is the JSON of cards.data for a studied card
// (rslib/src/storage/card/data.rs).
type writeCardData struct {
	S     float64 `json:"s"`
	D     float64 `json:"d"`
	DR    float64 `json:"dr"`
	Decay float64 `json:"decay"`
	LRT   int64   `json:"lrt"`
}

// planPackage checks e and maps it to the rows and JSON of the package.
func planPackage(e Export) (*writePlan, error) {
	if e.Now.IsZero() {
		return nil, errors.New("anki: export has no time (Export.Now)")
	}
	if e.Now.Unix() <= writeMinTime {
		return nil, fmt.Errorf("anki: export time %v is before 2001-09-09, which Anki cannot hold", e.Now)
	}
	// The CSV export's rules for notes and GUIDs, by running it.
	if err := Write(io.Discard, e.Deck); err != nil {
		return nil, err
	}
	if len(e.Progress) > len(e.Deck.Cards) {
		return nil, fmt.Errorf("anki: %d progress entries for %d cards", len(e.Progress), len(e.Deck.Cards))
	}
	set := e.Settings
	if set == (srs.Settings{}) {
		set = srs.DefaultSettings()
	}
	if err := set.Validate(); err != nil {
		return nil, fmt.Errorf("anki: settings: %w", err)
	}
	params := set.Params
	if params == (srs.Params{}) {
		params = srs.DefaultParams()
	}
	progress := func(i int) *Progress {
		if i < len(e.Progress) {
			return e.Progress[i]
		}
		return nil
	}

	// Check every time first, and find the earliest: crt is its study day.
	now := e.Now
	earliest := now
	for i := range e.Deck.Cards {
		pr := progress(i)
		if pr == nil {
			continue
		}
		if err := writeCheckState(pr.State, now); err != nil {
			return nil, fmt.Errorf("anki: card %d (%s): %w", i+1, e.Deck.Cards[i].GUID, err)
		}
		for _, t := range []time.Time{pr.State.LastReview, pr.State.Due} {
			if !t.IsZero() && t.Before(earliest) {
				earliest = t
			}
		}
		for j, r := range pr.Log {
			if err := writeCheckReview(r, now); err != nil {
				return nil, fmt.Errorf("anki: card %d (%s): review %d: %w", i+1, e.Deck.Cards[i].GUID, j+1, err)
			}
			if r.At.Before(earliest) {
				earliest = r.At
			}
		}
	}
	p := &writePlan{now: now, crt: set.DayStart(earliest)}
	crtDay := set.DayNumber(p.crt)
	day := func(t time.Time) int64 { return set.DayNumber(t) - crtDay }

	// Ids: milliseconds just before the first review (or Now).
	firstMS := now.UnixMilli()
	for i := range e.Deck.Cards {
		if pr := progress(i); pr != nil {
			for _, r := range pr.Log {
				firstMS = min(firstMS, r.At.UnixMilli())
			}
		}
	}

	name := deckName(e.Deck.Title)
	deckID := writeHashID("deck", name)
	parentID := writeHashID("deck", "flashd")
	confID := writeHashID("deck config", name)
	if deckID == parentID {
		deckID++
	}

	// Notes, and which note each card belongs to (as Notes groups them).
	notes := Notes(e.Deck)
	noteOf := make([]int, len(e.Deck.Cards))
	clozeAt := map[string]int{}
	n := 0
	for i, c := range e.Deck.Cards {
		if c.Type == decks.TypeCloze {
			if k, ok := clozeAt[c.NoteKey]; ok {
				noteOf[i] = k
				continue
			}
			clozeAt[c.NoteKey] = n
		}
		noteOf[i] = n
		if n >= len(notes) || notes[n].GUID != c.GUID {
			return nil, fmt.Errorf("anki: card %d (%s) does not match the notes of the deck", i+1, c.GUID)
		}
		n++
	}
	if n != len(notes) {
		return nil, fmt.Errorf("anki: %d notes for %d note groups", len(notes), n)
	}
	noteMod := make([]time.Time, len(notes))
	for i, c := range e.Deck.Cards {
		if k := noteOf[i]; c.Modified.After(noteMod[k]) {
			noteMod[k] = c.Modified
		}
	}
	for k, nt := range notes {
		mid := NotetypeIDBasic
		if nt.NoteType == NoteTypeCloze {
			mid = NotetypeIDCloze
		}
		mod := noteMod[k]
		if mod.IsZero() {
			mod = now
		}
		tags := ""
		if len(nt.Tags) > 0 {
			tags = " " + strings.Join(nt.Tags, " ") + " "
		}
		sfld := writeStripHTML(nt.Fields[0])
		sum := sha1.Sum([]byte(sfld))
		p.notes = append(p.notes, writeNoteRow{
			id: firstMS - int64(len(notes)) + int64(k), guid: nt.GUID, mid: mid, mod: mod.Unix(),
			tags: tags, flds: nt.Fields[0] + "\x1f" + nt.Fields[1], sfld: sfld,
			csum: int64(binary.BigEndian.Uint32(sum[:4])),
		})
	}

	// Cards.
	ords := map[[2]int]bool{}
	var logged []writeLogged
	for i, c := range e.Deck.Cards {
		k := noteOf[i]
		ord := 0
		if c.Type == decks.TypeCloze {
			if c.Cloze < 1 {
				return nil, fmt.Errorf("anki: card %d (%s) is a cloze card without a cloze number", i+1, c.GUID)
			}
			ord = c.Cloze - 1
		}
		if ords[[2]int{k, ord}] {
			return nil, fmt.Errorf("anki: card %d (%s) repeats card %d of note %s", i+1, c.GUID, ord+1, notes[k].GUID)
		}
		ords[[2]int{k, ord}] = true
		row, err := writeCard(progress(i), now, day, set.Retention, params[20])
		if err != nil {
			return nil, fmt.Errorf("anki: card %d (%s): %w", i+1, c.GUID, err)
		}
		row.id = firstMS - int64(len(e.Deck.Cards)) + int64(i)
		row.nid = p.notes[k].id
		row.did = deckID
		row.ord = ord
		if row.typ == 0 {
			row.due = int64(k + 1)
		}
		p.cards = append(p.cards, row)
		if pr := progress(i); pr != nil {
			for j, r := range pr.Log {
				logged = append(logged, writeLogged{card: i, index: j, cid: row.id, r: r})
			}
		}
	}

	// Review log, in time order. Anki keys it by id, the review's time in
	// ms; two reviews in the same ms (of different cards) would clash, so
	// a clashing id moves on by 1 ms, and so on for the ones after it,
	// keeping the order and the uniqueness across the whole package.
	slices.SortStableFunc(logged, func(a, b writeLogged) int {
		if c := a.r.At.Compare(b.r.At); c != 0 {
			return c
		}
		if a.card != b.card {
			return a.card - b.card
		}
		return a.index - b.index
	})
	last := int64(math.MinInt64)
	for _, l := range logged {
		id := max(l.r.At.UnixMilli(), last+1)
		last = id
		p.revlog = append(p.revlog, writeRevlogRow{
			id: id, cid: l.cid, ease: int(l.r.Rating),
			ivl: writeInterval(l.r.After, l.r.At), lastIvl: writeInterval(l.r.Before, l.r.Before.LastReview),
			factor: writeFactor(l.r.After.Difficulty), tim: writeAnswerMS(l.r.AnswerTime),
			typ: writeRevlogType(l.r.Before.Phase),
		})
	}

	// Media, in name order.
	names := make([]string, 0, len(e.Media))
	for name := range e.Media {
		if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") {
			return nil, fmt.Errorf("anki: media file name %q is not a plain file name, which Anki refuses", name)
		}
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		p.media = append(p.media, writeMediaFile{name: name, data: e.Media[name]})
	}

	// The JSON of col.
	var err error
	if p.conf, err = writeColConf(p.crt, now, deckID, len(notes)+1); err != nil {
		return nil, err
	}
	if p.models, err = writeModels(); err != nil {
		return nil, err
	}
	if p.decksJSON, err = writeDecks(now, deckID, parentID, confID, name); err != nil {
		return nil, err
	}
	if p.dconfJSON, err = writeDeckConfigs(now, confID, name, set); err != nil {
		return nil, err
	}
	return p, nil
}

// writeLogged is one review of the log with the card it belongs to.
type writeLogged struct {
	card, index int
	cid         int64
	r           Review
}

// writeCheckState reports a card state Anki cannot hold.
func writeCheckState(st srs.State, now time.Time) error {
	switch st.Phase {
	case srs.New, srs.Learning, srs.Review, srs.Relearning:
	default:
		return fmt.Errorf("unknown phase %d", st.Phase)
	}
	if st.Reps < 0 || st.Lapses < 0 || st.RemainingSteps < 0 || st.ScheduledDays < 0 ||
		st.Reps > math.MaxInt32 || st.Lapses > math.MaxInt32 || st.RemainingSteps > 1000 || st.ScheduledDays > math.MaxInt32 {
		return fmt.Errorf("counts out of range (reps %d, lapses %d, steps %d, scheduled days %d)", st.Reps, st.Lapses, st.RemainingSteps, st.ScheduledDays)
	}
	for _, t := range []time.Time{st.Due, st.LastReview} {
		if !t.IsZero() && t.Unix() <= writeMinTime {
			return fmt.Errorf("time %v is before 2001-09-09, which Anki cannot hold", t)
		}
	}
	if st.Phase == srs.New {
		return nil
	}
	switch {
	case st.Due.IsZero():
		return fmt.Errorf("a %v card without a due date", st.Phase)
	case st.LastReview.IsZero():
		return fmt.Errorf("a %v card without a last review", st.Phase)
	case st.LastReview.After(now):
		return fmt.Errorf("last review %v is after the export time %v", st.LastReview, now)
	}
	return writeCheckMemory(st)
}

// writeCheckMemory reports an FSRS memory state out of range: stability
// must be positive and finite (Anki keeps it as a float32), difficulty
// within FSRS's 1 to 10.
func writeCheckMemory(st srs.State) error {
	if !(st.Stability > 0 && st.Stability <= math.MaxFloat32) {
		return fmt.Errorf("stability %v is out of range", st.Stability)
	}
	if !(st.Difficulty >= 1 && st.Difficulty <= 10) {
		return fmt.Errorf("difficulty %v is outside 1 to 10", st.Difficulty)
	}
	return nil
}

// writeCheckReview reports a review Anki cannot hold. Only what its row
// takes from the states is checked: their phases, the due date of a
// learning state after and the difficulty after.
func writeCheckReview(r Review, now time.Time) error {
	switch {
	case !r.Rating.Valid():
		return fmt.Errorf("rating %d is not 1 to 4", r.Rating)
	case r.At.IsZero() || r.At.Unix() <= writeMinTime:
		return fmt.Errorf("time %v is before 2001-09-09, which Anki cannot hold", r.At)
	case r.At.After(now):
		return fmt.Errorf("time %v is after the export time %v", r.At, now)
	}
	switch r.Before.Phase {
	case srs.New, srs.Learning, srs.Review, srs.Relearning:
	default:
		return fmt.Errorf("state before: unknown phase %d", r.Before.Phase)
	}
	switch r.After.Phase {
	case srs.Learning, srs.Review, srs.Relearning:
	default:
		return fmt.Errorf("state after: phase %v is not one a rating leaves", r.After.Phase)
	}
	if !(r.After.Difficulty >= 1 && r.After.Difficulty <= 10) {
		return fmt.Errorf("state after: difficulty %v is outside 1 to 10", r.After.Difficulty)
	}
	if r.After.Phase != srs.Review && r.After.Due.IsZero() {
		return fmt.Errorf("state after: a %v state without a due date", r.After.Phase)
	}
	return nil
}

// writeCard maps a card's progress (nil: not studied) to its scheduling
// columns; the caller sets the ids, the ord and a new card's due.
func writeCard(pr *Progress, now time.Time, day func(time.Time) int64, retention, decay float64) (writeCardRow, error) {
	row := writeCardRow{mod: now.Unix()}
	if pr == nil {
		return row, nil
	}
	st := pr.State
	if !st.LastReview.IsZero() {
		row.mod = st.LastReview.Unix()
	}
	row.reps, row.lapses = st.Reps, st.Lapses
	switch st.Phase {
	case srs.New:
		// type, queue, ivl, factor 0; due is the note's position.
	case srs.Learning, srs.Relearning:
		row.typ = 1
		if st.Phase == srs.Relearning {
			row.typ = 3
			row.ivl = st.ScheduledDays
			if row.ivl == 0 {
				row.ivl = writeLapsedInterval(pr.Log)
			}
		}
		if day(st.Due) == day(st.LastReview) {
			row.queue = 1
			row.due = st.Due.Unix()
			if row.due > math.MaxInt32 {
				return row, fmt.Errorf("learning due %v is past 2038, which Anki cannot hold", st.Due)
			}
		} else {
			row.queue = 3
			row.due = day(st.Due)
		}
	case srs.Review:
		row.typ, row.queue = 2, 2
		row.due = day(st.Due)
		row.ivl = max(st.ScheduledDays, 1)
	}
	if st.Phase != srs.New {
		row.factor = writeStartingEase
		row.left = st.RemainingSteps
		data, err := json.Marshal(writeCardData{S: st.Stability, D: st.Difficulty, DR: retention, Decay: decay, LRT: st.LastReview.Unix()})
		if err != nil {
			return row, err
		}
		row.data = string(data)
	}
	if row.due > math.MaxInt32 || row.due < math.MinInt32 {
		return row, fmt.Errorf("due %d is out of range", row.due)
	}
	switch {
	case pr.Suspended:
		row.queue = -1
	case pr.BuriedUntil.After(now):
		row.queue = -3
	}
	if pr.Flagged {
		row.flags = 1
	}
	return row, nil
}

// writeLapsedInterval is the interval (days) of the review a relearning
// card lapsed from: that of the state before its latest rating in the
// Review phase; 0 when the log does not hold it.
func writeLapsedInterval(log []Review) int {
	for i := len(log) - 1; i >= 0; i-- {
		if b := log[i].Before; b.Phase == srs.Review {
			return max(b.ScheduledDays, 1)
		}
	}
	return 0
}

// writeInterval is a state's interval as the review log keeps it: days
// for a review state (at least 1), minus the seconds from since to its
// due date for a learning or relearning one, 0 for a new one (or one
// without the times).
func writeInterval(st srs.State, since time.Time) int {
	switch st.Phase {
	case srs.Review:
		return max(st.ScheduledDays, 1)
	case srs.Learning, srs.Relearning:
		if st.Due.IsZero() || since.IsZero() {
			return 0
		}
		secs := math.Round(st.Due.Sub(since).Seconds())
		return -int(min(max(secs, 0), math.MaxInt32))
	}
	return 0
}

// writeFactor is the review log's factor for an FSRS difficulty, as Anki
// writes it: the difficulty mapped from 1-10 onto 0.1-1.1, in thousandths.
func writeFactor(d float64) int {
	return int(((d-1)/9 + 0.1) * 1000)
}

// writeAnswerMS is a review's answer time in ms, capped as Anki caps it.
func writeAnswerMS(d time.Duration) int {
	return int(min(max(d.Milliseconds(), 0), writeMaxTakenSecs*1000))
}

// writeRevlogType is the review log's type for the phase a card was
// rated in: learning (0) for a new or learning card, review (1),
// relearning (2).
func writeRevlogType(before srs.Phase) int {
	switch before {
	case srs.Review:
		return 1
	case srs.Relearning:
		return 2
	}
	return 0
}

// writeHashID is a stable, positive, ms-like id for a name.
func writeHashID(kind, name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write([]byte(name))
	return writeIDBase + int64(h.Sum64()%writeIDSpan)
}

var (
	// writeMediaTag finds an image, sound, video or object tag and the
	// file it names, as Anki keeps it in the text it sorts and checks
	// duplicates on (rslib/src/text.rs).
	writeMediaTag = regexp.MustCompile(`(?is)<\b(?:img|audio|video|object|source)\b[^>]*?\b(?:src|data)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))[^>]*>`)
	// writeHTMLTag finds comments, style and script elements and tags.
	writeHTMLTag = regexp.MustCompile(`(?is)<!--.*?-->|<style.*?>.*?</style>|<script.*?>.*?</script>|<.*?>`)
)

// writeStripHTML is a field as Anki's sort field and checksum read it:
// media tags replaced by their file names between spaces, other markup
// removed, entities decoded, no-break spaces made spaces.
func writeStripHTML(s string) string {
	s = writeMediaTag.ReplaceAllString(s, " ${1}${2}${3} ")
	s = writeHTMLTag.ReplaceAllString(s, "")
	if strings.Contains(s, "&") {
		s = strings.ReplaceAll(html.UnescapeString(s), "\u00a0", " ")
	}
	return s
}

// writeMinutesWest is a zone's offset at t as Anki keeps it: minutes west
// of UTC.
func writeMinutesWest(t time.Time) int {
	_, off := t.Zone()
	return -off / 60
}

// writeColConf is col.conf: the collection settings, as a new schema 11
// collection has them, with the v3 scheduler, 04:00 rollover and the
// zone at crt.
func writeColConf(crt, now time.Time, deckID int64, nextPos int) (string, error) {
	return writeJSON(map[string]any{
		"activeDecks":    []int64{deckID},
		"curDeck":        deckID,
		"newSpread":      0,
		"collapseTime":   1200,
		"timeLim":        0,
		"estTimes":       true,
		"dueCounts":      true,
		"curModel":       NotetypeIDBasic,
		"nextPos":        nextPos,
		"sortType":       "noteFld",
		"sortBackwards":  false,
		"addToCur":       true,
		"dayLearnFirst":  false,
		"schedVer":       2,
		"sched2021":      true,
		"rollover":       srs.DayStartHour,
		"creationOffset": writeMinutesWest(crt),
		"localOffset":    writeMinutesWest(now),
	})
}

// The note type JSON of schema 11 (rslib/src/notetype/schema11.rs).
type writeNotetypeJSON struct {
	ID        int64               `json:"id"`
	Name      string              `json:"name"`
	Type      int                 `json:"type"` // 0 standard, 1 cloze
	Mod       int64               `json:"mod"`
	Usn       int                 `json:"usn"`
	Sortf     int                 `json:"sortf"`
	Did       *int64              `json:"did"`
	Tmpls     []writeTemplateJSON `json:"tmpls"`
	Flds      []writeFieldJSON    `json:"flds"`
	CSS       string              `json:"css"`
	LatexPre  string              `json:"latexPre"`
	LatexPost string              `json:"latexPost"`
	LatexSVG  bool                `json:"latexsvg"`
	Req       []any               `json:"req"`
	Tags      []string            `json:"tags"`
	Vers      []any               `json:"vers"`
}

type writeTemplateJSON struct {
	Name  string `json:"name"`
	Ord   int    `json:"ord"`
	Qfmt  string `json:"qfmt"`
	Afmt  string `json:"afmt"`
	Bqfmt string `json:"bqfmt"`
	Bafmt string `json:"bafmt"`
	Did   *int64 `json:"did"`
	Bfont string `json:"bfont"`
	Bsize int    `json:"bsize"`
}

type writeFieldJSON struct {
	Name        string `json:"name"`
	Ord         int    `json:"ord"`
	Sticky      bool   `json:"sticky"`
	RTL         bool   `json:"rtl"`
	Font        string `json:"font"`
	Size        int    `json:"size"`
	Description string `json:"description"`
	Media       []any  `json:"media"`
}

// writeCSS styles both note types; the cloze one adds the cloze colours.
const (
	writeCSS = ".card {\n  font-family: sans-serif;\n  font-size: 20px;\n  line-height: 1.5;\n" +
		"  text-align: left;\n  max-width: 40em;\n  margin: 0 auto;\n  color: black;\n  background-color: white;\n}\n" +
		".nightMode.card, .night_mode .card {\n  color: #eee;\n  background-color: #222;\n}\n"
	writeClozeCSS = ".cloze {\n  font-weight: bold;\n  color: #1a5fb4;\n}\n.nightMode .cloze {\n  color: #99c1f1;\n}\n"
	writeLatexPre = "\\documentclass[12pt]{article}\n\\special{papersize=3in,5in}\n\\usepackage[utf8]{inputenc}\n" +
		"\\usepackage{amssymb,amsmath}\n\\pagestyle{empty}\n\\setlength{\\parindent}{0in}\n\\begin{document}\n"
	writeLatexPost = "\\end{document}"
)

// writeModels is col.models: the two note types by id.
func writeModels() (string, error) {
	field := func(name string, ord int) writeFieldJSON {
		return writeFieldJSON{Name: name, Ord: ord, Font: "Arial", Size: 20, Media: []any{}}
	}
	tmpl := func(name, q, a string) writeTemplateJSON {
		return writeTemplateJSON{Name: name, Qfmt: q, Afmt: a}
	}
	basic := writeNotetypeJSON{
		ID: NotetypeIDBasic, Name: NotetypeNameBasic, Type: 0, Mod: notetypeMod, Usn: -1,
		Tmpls: []writeTemplateJSON{tmpl("Card 1", "{{Front}}", "{{FrontSide}}<hr id=answer>{{Back}}")},
		Flds:  []writeFieldJSON{field("Front", 0), field("Back", 1)},
		CSS:   writeCSS, LatexPre: writeLatexPre, LatexPost: writeLatexPost,
		// Card 1 needs any of field 0 (Front).
		Req:  []any{[]any{0, "any", []int{0}}},
		Tags: []string{}, Vers: []any{},
	}
	cloze := writeNotetypeJSON{
		ID: NotetypeIDCloze, Name: NotetypeNameCloze, Type: 1, Mod: notetypeMod, Usn: -1,
		Tmpls: []writeTemplateJSON{tmpl("Cloze", "{{cloze:Text}}", "{{cloze:Text}}<br>{{Back Extra}}")},
		Flds:  []writeFieldJSON{field("Text", 0), field("Back Extra", 1)},
		CSS:   writeCSS + writeClozeCSS, LatexPre: writeLatexPre, LatexPost: writeLatexPost,
		Req: []any{}, Tags: []string{}, Vers: []any{},
	}
	return writeJSON(map[string]writeNotetypeJSON{
		strconv.FormatInt(NotetypeIDBasic, 10): basic,
		strconv.FormatInt(NotetypeIDCloze, 10): cloze,
	})
}

// The normal deck JSON of schema 11 (rslib/src/decks/schema11.rs).
type writeDeckJSON struct {
	ID               int64    `json:"id"`
	Mod              int64    `json:"mod"`
	Name             string   `json:"name"`
	Usn              int      `json:"usn"`
	LrnToday         [2]int64 `json:"lrnToday"`
	RevToday         [2]int64 `json:"revToday"`
	NewToday         [2]int64 `json:"newToday"`
	TimeToday        [2]int64 `json:"timeToday"`
	Collapsed        bool     `json:"collapsed"`
	BrowserCollapsed bool     `json:"browserCollapsed"`
	Desc             string   `json:"desc"`
	Dyn              int      `json:"dyn"`
	Conf             int64    `json:"conf"`
	ExtendNew        int      `json:"extendNew"`
	ExtendRev        int      `json:"extendRev"`
}

// writeDecks is col.decks: Default, "flashd" and the deck, by id.
func writeDecks(now time.Time, deckID, parentID, confID int64, name string) (string, error) {
	deck := func(id int64, name string, conf int64) writeDeckJSON {
		return writeDeckJSON{ID: id, Mod: now.Unix(), Name: name, Usn: -1, Conf: conf}
	}
	return writeJSON(map[string]writeDeckJSON{
		"1":                             deck(1, "Default", 1),
		strconv.FormatInt(parentID, 10): deck(parentID, "flashd", 1),
		strconv.FormatInt(deckID, 10):   deck(deckID, name, confID),
	})
}

// The deck options JSON of schema 11 (rslib/src/deckconfig/schema11.rs).
type writeDeckConfJSON struct {
	ID                   int64          `json:"id"`
	Mod                  int64          `json:"mod"`
	Name                 string         `json:"name"`
	Usn                  int            `json:"usn"`
	MaxTaken             int            `json:"maxTaken"`
	Autoplay             bool           `json:"autoplay"`
	Timer                int            `json:"timer"`
	Replayq              bool           `json:"replayq"`
	New                  writeNewConf   `json:"new"`
	Rev                  writeRevConf   `json:"rev"`
	Lapse                writeLapseConf `json:"lapse"`
	Dyn                  bool           `json:"dyn"`
	NewMix               int            `json:"newMix"`
	NewPerDayMinimum     int            `json:"newPerDayMinimum"`
	InterdayLearningMix  int            `json:"interdayLearningMix"`
	ReviewOrder          int            `json:"reviewOrder"`
	NewSortOrder         int            `json:"newSortOrder"`
	NewGatherPriority    int            `json:"newGatherPriority"`
	BuryInterdayLearning bool           `json:"buryInterdayLearning"`
	FSRSParams6          []float64      `json:"fsrsParams6,omitempty"`
	DesiredRetention     float64        `json:"desiredRetention"`
	EasyDaysPercentages  []float64      `json:"easyDaysPercentages"`
	WaitForAudio         bool           `json:"waitForAudio"`
}

type writeNewConf struct {
	Bury          bool      `json:"bury"`
	Delays        []float64 `json:"delays"` // minutes
	InitialFactor int       `json:"initialFactor"`
	Ints          [3]int    `json:"ints"`
	Order         int       `json:"order"` // 1: in order added
	PerDay        int       `json:"perDay"`
}

type writeRevConf struct {
	Bury       bool    `json:"bury"`
	Ease4      float64 `json:"ease4"`
	IvlFct     float64 `json:"ivlFct"`
	MaxIvl     int     `json:"maxIvl"`
	PerDay     int     `json:"perDay"`
	HardFactor float64 `json:"hardFactor"`
}

type writeLapseConf struct {
	Delays      []float64 `json:"delays"` // minutes
	LeechAction int       `json:"leechAction"`
	LeechFails  int       `json:"leechFails"`
	MinInt      int       `json:"minInt"`
	Mult        float64   `json:"mult"`
}

// writeDeckConfigs is col.dconf: Anki's Default preset (id 1) and the
// deck's own, with the learner's settings.
func writeDeckConfigs(now time.Time, confID int64, name string, set srs.Settings) (string, error) {
	conf := func(id int64, name string, s srs.Settings) writeDeckConfJSON {
		c := writeDeckConfJSON{
			ID: id, Mod: now.Unix(), Name: name, Usn: -1,
			MaxTaken: writeMaxTakenSecs, Autoplay: true, Replayq: true,
			New: writeNewConf{Delays: []float64{1, 10}, InitialFactor: writeStartingEase, Ints: [3]int{1, 4, 0},
				Order: 1, PerDay: s.NewPerDay},
			Rev: writeRevConf{Ease4: 1.3, IvlFct: 1, MaxIvl: s.MaxIntervalDays, PerDay: s.ReviewsPerDay, HardFactor: 1.2},
			Lapse: writeLapseConf{Delays: []float64{10}, LeechAction: 1, LeechFails: srs.LeechLapses, MinInt: 1,
				Mult: 0},
			DesiredRetention:    s.Retention,
			EasyDaysPercentages: []float64{1, 1, 1, 1, 1, 1, 1},
			WaitForAudio:        true,
		}
		if !s.Params.IsDefault() {
			c.FSRSParams6 = s.Params[:]
		}
		return c
	}
	return writeJSON(map[string]writeDeckConfJSON{
		"1":                           conf(1, "Default", srs.DefaultSettings()),
		strconv.FormatInt(confID, 10): conf(confID, name, set),
	})
}

func writeJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// writeSchema is the schema 11 collection (rslib/src/storage/schema11.sql),
// without its placeholder col row.
const writeSchema = `
CREATE TABLE col (
  id integer PRIMARY KEY, crt integer NOT NULL, mod integer NOT NULL, scm integer NOT NULL,
  ver integer NOT NULL, dty integer NOT NULL, usn integer NOT NULL, ls integer NOT NULL,
  conf text NOT NULL, models text NOT NULL, decks text NOT NULL, dconf text NOT NULL, tags text NOT NULL
);
CREATE TABLE notes (
  id integer PRIMARY KEY, guid text NOT NULL, mid integer NOT NULL, mod integer NOT NULL,
  usn integer NOT NULL, tags text NOT NULL, flds text NOT NULL, sfld integer NOT NULL,
  csum integer NOT NULL, flags integer NOT NULL, data text NOT NULL
);
CREATE TABLE cards (
  id integer PRIMARY KEY, nid integer NOT NULL, did integer NOT NULL, ord integer NOT NULL,
  mod integer NOT NULL, usn integer NOT NULL, type integer NOT NULL, queue integer NOT NULL,
  due integer NOT NULL, ivl integer NOT NULL, factor integer NOT NULL, reps integer NOT NULL,
  lapses integer NOT NULL, left integer NOT NULL, odue integer NOT NULL, odid integer NOT NULL,
  flags integer NOT NULL, data text NOT NULL
);
CREATE TABLE revlog (
  id integer PRIMARY KEY, cid integer NOT NULL, usn integer NOT NULL, ease integer NOT NULL,
  ivl integer NOT NULL, lastIvl integer NOT NULL, factor integer NOT NULL, time integer NOT NULL,
  type integer NOT NULL
);
CREATE TABLE graves (usn integer NOT NULL, oid integer NOT NULL, type integer NOT NULL);
CREATE INDEX ix_notes_usn ON notes (usn);
CREATE INDEX ix_cards_usn ON cards (usn);
CREATE INDEX ix_revlog_usn ON revlog (usn);
CREATE INDEX ix_cards_nid ON cards (nid);
CREATE INDEX ix_cards_sched ON cards (did, queue, due);
CREATE INDEX ix_revlog_cid ON revlog (cid);
CREATE INDEX ix_notes_csum ON notes (csum);
`

// build makes the collection file in a temporary directory and returns
// the zipped package.
func (p *writePlan) build() ([]byte, error) {
	dir, err := os.MkdirTemp("", "flashd-apkg-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, PackageCollectionName)
	if err := p.writeCollection(path); err != nil {
		return nil, err
	}
	col, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	mediaMap := make(map[string]string, len(p.media))
	for i, m := range p.media {
		mediaMap[strconv.Itoa(i)] = m.name
	}
	mediaJSON, err := json.Marshal(mediaMap)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name string, method uint16, data []byte) error {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: p.now})
		if err != nil {
			return err
		}
		_, err = f.Write(data)
		return err
	}
	if err := add(PackageCollectionName, zip.Deflate, col); err != nil {
		return nil, err
	}
	if err := add("media", zip.Deflate, mediaJSON); err != nil {
		return nil, err
	}
	for i, m := range p.media {
		if err := add(strconv.Itoa(i), zip.Store, m.data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeCollection creates the SQLite collection at path.
func (p *writePlan) writeCollection(path string) (err error) {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := db.Close(); err == nil {
			err = cerr
		}
	}()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(writeSchema); err != nil {
		return fmt.Errorf("create tables: %w", err)
	}
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	nowMS := p.now.UnixMilli()
	if _, err := tx.Exec(`INSERT INTO col (id, crt, mod, scm, ver, dty, usn, ls, conf, models, decks, dconf, tags)
		VALUES (1, ?, ?, ?, 11, 0, 0, 0, ?, ?, ?, ?, '{}')`,
		p.crt.Unix(), nowMS, nowMS, p.conf, p.models, p.decksJSON, p.dconfJSON); err != nil {
		return fmt.Errorf("col: %w", err)
	}
	insert := func(query string, n int, args func(i int) []any) error {
		st, err := tx.Prepare(query)
		if err != nil {
			return err
		}
		defer st.Close()
		for i := range n {
			if _, err := st.Exec(args(i)...); err != nil {
				return err
			}
		}
		return nil
	}
	if err := insert(`INSERT INTO notes (id, guid, mid, mod, usn, tags, flds, sfld, csum, flags, data)
		VALUES (?, ?, ?, ?, -1, ?, ?, ?, ?, 0, '')`, len(p.notes), func(i int) []any {
		n := p.notes[i]
		return []any{n.id, n.guid, n.mid, n.mod, n.tags, n.flds, n.sfld, n.csum}
	}); err != nil {
		return fmt.Errorf("notes: %w", err)
	}
	if err := insert(`INSERT INTO cards (id, nid, did, ord, mod, usn, type, queue, due, ivl, factor, reps, lapses, left, odue, odid, flags, data)
		VALUES (?, ?, ?, ?, ?, -1, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?, ?)`, len(p.cards), func(i int) []any {
		c := p.cards[i]
		return []any{c.id, c.nid, c.did, c.ord, c.mod, c.typ, c.queue, c.due, c.ivl, c.factor, c.reps, c.lapses, c.left, c.flags, c.data}
	}); err != nil {
		return fmt.Errorf("cards: %w", err)
	}
	if err := insert(`INSERT INTO revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type)
		VALUES (?, ?, -1, ?, ?, ?, ?, ?, ?)`, len(p.revlog), func(i int) []any {
		r := p.revlog[i]
		return []any{r.id, r.cid, r.ease, r.ivl, r.lastIvl, r.factor, r.tim, r.typ}
	}); err != nil {
		return fmt.Errorf("revlog: %w", err)
	}
	return tx.Commit()
}
