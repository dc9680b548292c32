package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/flashd/flashd/decks/anki"
)

// ankiCollection is a generated collection: notes basic notes in one
// deck, each card with reviews ratings a few days apart.
func ankiCollection(notes, reviews int) *anki.Collection {
	c := &anki.Collection{
		Decks:     map[int64]anki.CollectionDeck{1: {ID: 1, Name: "Generated"}},
		Notetypes: map[int64]anki.Notetype{1: {ID: 1, Name: "Basic", Fields: []string{"Front", "Back"}}},
	}
	start := time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC)
	for i := 1; i <= notes; i++ {
		id := int64(i)
		c.Notes = append(c.Notes, anki.CollectionNote{ID: id, GUID: fmt.Sprintf("g%06d", i), NotetypeID: 1,
			Fields: []string{fmt.Sprintf("Question number %d?", i), fmt.Sprintf("Answer <b>%d</b>.", i)}})
		c.Cards = append(c.Cards, anki.CollectionCard{ID: id, NoteID: id, DeckID: 1, Type: 2, Queue: 2})
		at := start.Add(time.Duration(i) * time.Second)
		for r := 0; r < reviews; r++ {
			ease := 3
			if (i+r)%7 == 0 {
				ease = 1
			}
			c.Revlog = append(c.Revlog, anki.CollectionReview{ID: at.UnixMilli(), CardID: id, Ease: ease, Type: 1, Factor: 2500})
			at = at.Add(time.Duration(1+r) * 24 * time.Hour)
		}
	}
	return c
}

// BenchmarkImportAnki imports a generated collection with its history
// into a fresh database, along each axis: notes, and reviews per card.
func BenchmarkImportAnki(b *testing.B) {
	for _, size := range []struct{ notes, reviews int }{{1000, 0}, {1000, 10}, {1000, 40}, {4000, 10}} {
		c := ankiCollection(size.notes, size.reviews)
		b.Run(fmt.Sprintf("notes=%d/reviews=%d", size.notes, size.notes*size.reviews), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				db := openTestDB(b)
				u, err := db.CreateUser(context.Background(), "ann", "ann-secret-1", false, SignUpByAdmin)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				res, err := db.ImportAnki(context.Background(), c, AnkiImport{ImportOptions: ImportOptions{OwnerID: u.ID}, Learner: u})
				if err != nil || res.Decks[0].Reviews != size.notes*size.reviews {
					b.Fatalf("import: %v %+v", err, res.Decks)
				}
			}
		})
	}
}
