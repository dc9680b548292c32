package store

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flashd/flashd/decks"
	"github.com/flashd/flashd/srs"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata")

// The two decks of the golden queue test: takeaways, traps, scenarios, a
// cloze note (two cards) and a plain topic section, 23 cards in all.
const (
	goldenCoreDeck = `---
id: core
title: Core
---
## Key takeaways

### C1 what is a task definition?
The blueprint of a task.

### C2 what keeps tasks running?
A service.

### C3 where do images live?
In a registry.

### C4 what runs on Fargate?
Tasks without servers.

### C5 what scales a service?
Auto scaling.

### C6 what drains a task?
A stop signal.

### C7 push flow {#push}
{{c1::get-login-password}}, then {{c2::docker push}}.

## Traps

### C-T1 task role or execution role?
The execution role pulls the image.

### C-T2 port mappings on Fargate?
awsvpc only.

### C-T3 secrets in plain environment?
No: use secrets.

## Scenarios

### C-S1 image pull fails. Which role?
- [ ] Task role
- [x] Task execution role

### C-S2 tasks stop at once. Why?
- [x] The essential container exited
- [ ] The cluster is full
`

	goldenNetDeck = `---
id: net
title: Networking
---
## Key takeaways

### N1 what is a subnet?
A slice of a VPC.

### N2 what is a route table?
Where packets go.

### N3 what is a NAT gateway?
Outbound only.

### N4 what is a security group?
A stateful firewall.

## Traps

### N-T1 are NACLs stateful?
No.

### N-T2 does a security group deny?
No: allow rules only.

## Scenarios

### N-S1 private task cannot reach the internet. Fix?
- [ ] An internet gateway route
- [x] A NAT gateway route

### N-S2 two tasks cannot talk. Check?
- [x] Security group rules
- [ ] The route to the internet

## Ports

### N-P1 HTTPS port?
443

### N-P2 SSH port?
22
`
)

// goldenSession is one study session: the dashboard, then Next and a
// rating, card after card, until max cards (0: the dashboard only) or no
// card. acts names what the learner does with the
// i-th card of the session instead of the drawn rating.
type goldenSession struct {
	hour, min int
	nextDay   bool // the session is on the next calendar morning (same study day before 04:00)
	filter    Filter
	max       int
	acts      map[int]string // "again-ahead", "undo", "bury", "suspend"
	unsuspend bool           // unsuspend the cards suspended earlier, first
}

// goldenSim drives one learner through the queue and writes the
// transcript.
type goldenSim struct {
	t         *testing.T
	db        *DB
	u         *User
	clock     *time.Time
	loc       *time.Location
	rng       uint64
	out       *strings.Builder
	suspended []*ReviewCard
}

// rand returns the next value of a 64-bit LCG (Knuth's MMIX constants),
// high bits first: self-contained, so the sequence never changes.
func (s *goldenSim) rand(n uint64) uint64 {
	s.rng = s.rng*6364136223846793005 + 1442695040888963407
	return (s.rng >> 33) % n
}

// rating draws a rating: mostly Good, some Again, Hard and Easy.
func (s *goldenSim) rating() srs.Rating {
	switch x := s.rand(20); {
	case x < 3:
		return srs.Again
	case x < 5:
		return srs.Hard
	case x < 17:
		return srs.Good
	default:
		return srs.Easy
	}
}

// think advances the clock by 5 to 60 seconds.
func (s *goldenSim) think() { *s.clock = s.clock.Add(time.Duration(5+s.rand(56)) * time.Second) }

func (s *goldenSim) printf(format string, a ...any) {
	fmt.Fprintf(s.out, "%s %s\n", s.clock.In(s.loc).Format(time.RFC3339), fmt.Sprintf(format, a...))
}

func goldenFilter(f Filter) string {
	var parts []string
	if f.Deck != "" {
		parts = append(parts, "deck="+f.Deck)
	}
	if f.Kind != "" {
		parts = append(parts, "kind="+string(f.Kind))
	}
	if len(parts) == 0 {
		return "all"
	}
	return strings.Join(parts, ",")
}

func goldenCounts(c Counts) string { return fmt.Sprintf("n=%d l=%d r=%d", c.New, c.Learning, c.Review) }

func goldenCard(c *ReviewCard) string {
	s := fmt.Sprintf("%s %q", c.DeckSlug, c.FrontSrc)
	if c.Cloze > 0 {
		s += fmt.Sprintf("/c%d", c.Cloze)
	}
	return s
}

// next calls Next and logs the counts and the pick: the card with its
// phase, marked when it is shown before its due time (a review due later
// in the study day, a learning card within srs.LearnAhead), or the next
// due time (UTC) when there is no card.
func (s *goldenSim) next(f Filter) *Queue {
	s.t.Helper()
	q, err := s.db.Next(context.Background(), s.u, f)
	if err != nil {
		s.t.Fatalf("%s: next: %v", s.clock.In(s.loc).Format(time.RFC3339), err)
	}
	line := fmt.Sprintf("next %-13s %s -> ", goldenFilter(f), goldenCounts(q.Counts))
	switch {
	case q.Card != nil:
		st := q.Card.State
		line += goldenCard(q.Card) + " " + strings.ToLower(st.Phase.String())
		switch {
		case st.Due <= s.clock.UnixMilli():
		case st.Phase == srs.Review:
			line += " (due later today)"
		default:
			line += " (learn ahead)"
		}
	case q.NextDue.IsZero():
		line += "none next=-"
	default:
		line += "none next=" + q.NextDue.UTC().Format(time.RFC3339)
	}
	s.printf("%s", line)
	return q
}

func (s *goldenSim) dashboard() {
	s.t.Helper()
	d, err := s.db.Dashboard(context.Background(), s.u)
	if err != nil {
		s.t.Fatal(err)
	}
	line := "dash total " + goldenCounts(d.Total)
	for _, ds := range d.Decks {
		line += fmt.Sprintf(" | %s %s", ds.Slug, goldenCounts(ds.Counts))
	}
	s.printf("%s | today=%d streak=%d", line, d.ReviewsToday, d.Streak)
}

func (s *goldenSim) rate(c *ReviewCard, r srs.Rating) *Rating {
	s.t.Helper()
	res, err := s.db.Rate(context.Background(), s.u, c.ID, c.State.Token(), r)
	if err != nil {
		s.t.Fatalf("%s: rate %s: %v", s.clock.In(s.loc).Format(time.RFC3339), goldenCard(c), err)
	}
	return res
}

func (s *goldenSim) act(c *ReviewCard, a CardAction) {
	s.t.Helper()
	if err := s.db.Act(context.Background(), s.u, c.ID, a); err != nil {
		s.t.Fatalf("%s %s: %v", a, goldenCard(c), err)
	}
	s.printf("%s %s", a, goldenCard(c))
}

// session runs one study session starting at the local time of ses on
// the study day day (a local date).
func (s *goldenSim) session(day time.Time, ses goldenSession) {
	s.t.Helper()
	y, m, d := day.Date()
	if ses.nextDay {
		d++
	}
	start := time.Date(y, m, d, ses.hour, ses.min, 0, 0, s.loc)
	if start.Before(*s.clock) {
		s.t.Fatalf("session at %v starts before the clock %v", start, s.clock.In(s.loc))
	}
	*s.clock = start
	s.dashboard()
	if ses.unsuspend {
		for _, c := range s.suspended {
			s.act(c, ActionUnsuspend)
		}
		s.suspended = nil
	}
	for i := 0; i < ses.max; i++ {
		q := s.next(ses.filter)
		if q.Card == nil {
			break
		}
		c := q.Card
		s.think()
		switch ses.acts[i] {
		case "bury":
			s.act(c, ActionBury)
			continue
		case "suspend":
			s.act(c, ActionSuspend)
			s.suspended = append(s.suspended, c)
			continue
		case "again-ahead":
			// Again, then the next card within the minute: a learning
			// step not yet due.
			s.rate(c, srs.Again)
			s.printf("rate Again")
			*s.clock = s.clock.Add(20 * time.Second)
			continue
		case "undo":
			r := s.rating()
			res := s.rate(c, r)
			s.printf("rate %s", r)
			s.think()
			id, err := s.db.Undo(context.Background(), s.u, res.ReviewID)
			if err != nil || id != c.ID {
				s.t.Fatalf("undo %s: card %d, %v", goldenCard(c), id, err)
			}
			s.printf("undo %s", goldenCard(c))
			continue
		}
		r := s.rating()
		s.rate(c, r)
		s.printf("rate %s", r)
	}
}

// probe calls Next without rating at a local time of the next calendar
// morning: just before and just after the 04:00 start of the study day.
func (s *goldenSim) probe(day time.Time) {
	s.t.Helper()
	y, m, d := day.Date()
	for _, at := range []time.Time{
		time.Date(y, m, d+1, 3, 59, 30, 0, s.loc),
		time.Date(y, m, d+1, 4, 0, 30, 0, s.loc),
	} {
		if at.Before(*s.clock) {
			s.t.Fatalf("probe at %v before the clock %v", at, s.clock.In(s.loc))
		}
		*s.clock = at
		s.next(Filter{})
	}
}

// goldenLearner creates a learner with small daily limits in a time zone.
func goldenLearner(t *testing.T, db *DB, name, zone string, newPerDay, reviewsPerDay int) (*User, *time.Location) {
	t.Helper()
	ctx := context.Background()
	u, err := db.CreateUser(ctx, name, name+"-secret", false, SignUpByAdmin)
	if err != nil {
		t.Fatal(err)
	}
	set := u.Settings()
	set.NewPerDay, set.ReviewsPerDay = newPerDay, reviewsPerDay
	set.Gather = srs.GatherDeckOrder // the transcript pins deck order; TestGatherInterleaved the other
	if err := db.UpdateSettings(ctx, u.ID, zone, set); err != nil {
		t.Fatal(err)
	}
	if u, err = db.UserByID(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	return u, loc
}

// TestQueueGolden pins the behaviour of the review queue: two learners
// study two decks for weeks, at a few local times a day, across DST
// changes, with filters, undo, bury and suspend, skipped days and small
// daily limits. Every Next call (counts, pick, next due time) and one
// dashboard per session go to a transcript compared with
// testdata/queue_golden.txt; "go test ./store -run TestQueueGolden
// -update" rewrites it.
func TestQueueGolden(t *testing.T) {
	db := openTestDB(t)
	clock := time.Date(2026, 2, 28, 12, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return clock }
	importDeck(t, db, goldenCoreDeck)
	importDeck(t, db, goldenNetDeck)
	ana, ny := goldenLearner(t, db, "ana", "America/New_York", 3, 6)
	kai, akl := goldenLearner(t, db, "kai", "Pacific/Auckland", 4, 5)
	var out strings.Builder
	out.WriteString("# TestQueueGolden transcript (go test ./store -run TestQueueGolden -update rewrites it).\n" +
		"# next FILTER n=new l=learning r=review -> DECK \"FRONT\"[/cN] PHASE [(due later today)|(learn ahead)], or none next=NEXTDUE (UTC)\n" +
		"# dash total COUNTS | DECK COUNTS ... | today=ratings this study day streak=study days\n")

	// ana: America/New_York, 33 days from Sun 2026-03-01. DST starts on
	// Sun 2026-03-08 (day 7) at 02:00, so the study day of Sat the 7th
	// lasts 23 hours (04:00 EST to 04:00 EDT); new cards last until day 8.
	// Days 14-17 are skipped, day 18's only rating is undone, and day 19
	// meets the review limit.
	s := &goldenSim{t: t, db: db, u: ana, clock: &clock, loc: ny, rng: 20260301, out: &out}
	for day := 0; day < 33; day++ {
		date := time.Date(2026, 3, 1+day, 0, 0, 0, 0, ny)
		fmt.Fprintf(&out, "== ana day %d %s\n", day, date.Format("Mon 2006-01-02"))
		var sessions []goldenSession
		switch day {
		case 14, 15, 16, 17, 26:
			// skipped
		case 18:
			// The only rating of the day is undone and the card buried:
			// the day is no study day after all.
			sessions = append(sessions, goldenSession{hour: 7, min: 30, max: 2, acts: map[int]string{0: "undo", 1: "bury"}},
				goldenSession{hour: 12, min: 10}) // the dashboard only
		default:
			morning := goldenSession{hour: 7, min: 30, max: 8}
			switch day {
			case 0:
				morning.acts = map[int]string{1: "again-ahead"}
			case 2:
				morning.acts = map[int]string{2: "bury"}
			case 7:
				morning.acts = map[int]string{3: "undo"}
			case 19:
				morning.max = 60 // after the gap: until the review limit stops it
			case 22:
				morning.unsuspend = true
			}
			if day%5 != 4 || day == 19 {
				sessions = append(sessions, morning)
			}
			if day%3 == 0 || day == 1 {
				lunch := goldenSession{hour: 12, min: 10, max: 5}
				switch {
				case day == 1:
					lunch.filter = Filter{Deck: "core"}
				case day%9 == 0:
					lunch.filter = Filter{Deck: "net"}
				case day%9 == 3:
					lunch.filter = Filter{Kind: decks.KindTrap}
				case day%9 == 6:
					lunch.filter = Filter{Kind: decks.KindScenario}
				}
				if day == 12 {
					lunch.acts = map[int]string{0: "again-ahead"}
				}
				sessions = append(sessions, lunch)
			}
			if day%2 == 1 || day == 0 || day == 6 {
				night := goldenSession{hour: 23, min: 50, max: 6}
				switch day {
				case 0, 6:
					night.max = 60 // until nothing is left: learning cards come early
				case 5:
					night.acts = map[int]string{0: "suspend"}
				case 13:
					night.filter = Filter{Deck: "net", Kind: decks.KindTrap}
				}
				sessions = append(sessions, night)
			}
			if day%4 == 2 {
				sessions = append(sessions, goldenSession{hour: 3, min: 30, nextDay: true, max: 4})
			}
		}
		if len(sessions) == 0 {
			fmt.Fprintf(&out, "skip\n")
		}
		for _, ses := range sessions {
			s.session(date, ses)
		}
		switch day {
		case 3, 6, 20, 30:
			s.probe(date)
		}
	}

	// kai: Pacific/Auckland, 12 days from Sat 2026-04-04. DST ends on Sun
	// 2026-04-05 at 03:00 (back to 02:00), so the study day of Sat the 4th
	// lasts 25 hours (04:00 NZDT to 04:00 NZST). Days 7 and 8 are skipped.
	s = &goldenSim{t: t, db: db, u: kai, clock: &clock, loc: akl, rng: 20260404, out: &out}
	for day := 0; day < 12; day++ {
		date := time.Date(2026, 4, 4+day, 0, 0, 0, 0, akl)
		fmt.Fprintf(&out, "== kai day %d %s\n", day, date.Format("Mon 2006-01-02"))
		if day == 7 || day == 8 {
			fmt.Fprintf(&out, "skip\n")
			continue
		}
		sessions := []goldenSession{{hour: 7, min: 30, max: 7}}
		if day == 4 {
			sessions = append(sessions, goldenSession{hour: 12, min: 10, max: 4, filter: Filter{Deck: "core"}})
		}
		if day%2 == 0 {
			sessions = append(sessions, goldenSession{hour: 23, min: 50, max: 5})
		}
		if day == 0 || day == 6 {
			sessions = append(sessions, goldenSession{hour: 3, min: 30, nextDay: true, max: 4})
		}
		for _, ses := range sessions {
			s.session(date, ses)
		}
		if day == 0 || day == 9 {
			s.probe(date)
		}
	}

	compareGolden(t, filepath.Join("testdata", "queue_golden.txt"), out.String())
}

// compareGolden compares got with the golden file, or rewrites the file
// under -update. A mismatch reports the first differing line.
func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./store -run TestQueueGolden -update to create it)", err)
	}
	want := string(data)
	if got == want {
		return
	}
	gl, wl := strings.Split(strings.TrimSuffix(got, "\n"), "\n"), strings.Split(strings.TrimSuffix(want, "\n"), "\n")
	for i := 0; i < max(len(gl), len(wl)); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		} else {
			g = "<end of transcript>"
		}
		if i < len(wl) {
			w = wl[i]
		} else {
			w = "<end of golden file>"
		}
		if g != w {
			t.Fatalf("%s:%d differs (transcript %d lines, golden %d):\ngot:  %s\nwant: %s", path, i+1, len(gl), len(wl), g, w)
		}
	}
}
