package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/flashd/flashd/srs"
)

// ImportHistory adds ratings given elsewhere (in another app, or by a
// simulated learner) to the learner's review log and gives each card the
// state that replaying its ratings through the learner's scheduler
// leaves, as if they had been given here. The ratings must be the whole
// history of cards the learner has not studied here (EConflict names the
// first that was), of cards the learner may see (ENotFound otherwise);
// nothing is written unless all of them are. It returns how many ratings
// were added. Imported rows record no answer time.
func (db *DB) ImportHistory(ctx context.Context, u *User, log []srs.Logged) (int, error) {
	var added int
	err := db.writeAlone(ctx, func(tx *sqlx.Tx) error {
		var err error
		added, _, err = importHistoryTx(ctx, tx, db.tq(tx), u, log, nil, false, db.now())
		return err
	})
	if err != nil {
		if ErrorCode(err) != EInternal {
			return 0, err
		}
		return 0, fmt.Errorf("import history: %w", err)
	}
	return added, nil
}

// cardMarks are what a card's schedule holds besides its ratings.
type cardMarks struct {
	Suspended   bool
	Flagged     bool
	BuriedUntil int64
}

// importHistoryTx is ImportHistory inside a write transaction, with the
// marks to set on cards (by id) after their ratings. With keepStudied a
// card the learner has already studied here keeps its schedule, and its
// ratings are left out (counted in kept) instead of failing the import.
// Its statements go through q, the transaction's prepared statements.
func importHistoryTx(ctx context.Context, tx *sqlx.Tx, q cached, u *User, log []srs.Logged, marks map[int64]cardMarks, keepStudied bool, now int64) (added, kept int, err error) {
	byCard := map[int64][]srs.Logged{}
	for _, l := range log {
		if !l.Rating.Valid() {
			return 0, 0, Errorf(EInvalid, "Card %d: a rating is 1 to 4, got %d.", l.Card, l.Rating)
		}
		byCard[l.Card] = append(byCard[l.Card], l)
	}
	for id := range marks {
		if _, ok := byCard[id]; !ok {
			byCard[id] = nil
		}
	}
	cards := make([]int64, 0, len(byCard))
	for id := range byCard {
		cards = append(cards, id)
	}
	slices.Sort(cards)
	set := u.Settings()
	sched := srs.NewScheduler(set)
	decksTouched := map[int64]bool{}
	for _, id := range cards {
		t, err := loadTarget(ctx, q, u.ID, id)
		if err != nil {
			return 0, 0, err
		}
		if t.state.Phase != srs.New || t.state.Version != 0 {
			if keepStudied {
				kept += len(byCard[id])
				continue
			}
			return 0, 0, Errorf(EConflict, "Card %d already has a history here; only cards not studied yet can be imported.", id)
		}
		decksTouched[t.deckID] = true
		cl := byCard[id]
		slices.SortStableFunc(cl, func(a, b srs.Logged) int { return a.At.Compare(b.At) })
		st := t.state
		for _, l := range cl {
			at := l.At.Truncate(time.Millisecond)
			before := st
			if st, err = rated(sched, before, at, l.Rating); err != nil {
				return 0, 0, err
			}
			st.Version++
			if _, err := logRating(ctx, q, u, set, id, before, st, l.Rating, at, 0); err != nil {
				return 0, 0, err
			}
			added++
		}
		if m, ok := marks[id]; ok {
			st.Suspended, st.Flagged, st.BuriedUntil = m.Suspended, m.Flagged, m.BuriedUntil
		}
		st.Version-- // saveState stores Version+1
		if err := saveState(ctx, q, u.ID, id, st, now); err != nil {
			return 0, 0, err
		}
	}
	for deck := range decksTouched {
		if err := recount(ctx, tx, deck); err != nil {
			return 0, 0, err
		}
	}
	return added, kept, nil
}
