package web

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/flashd/flashd/store"
)

// Options shuffled per showing.
//
// The review pane shows a scenario card's options in an order of their
// own for each showing of the card, so that a learner learns the answer
// rather than its place ("it's C"); the letters and their keys (1–8)
// follow the order shown. The deck page, the card info page and the Anki
// export keep the order the deck's author wrote.
//
// A showing lasts from one rating of the card to the next. Its order is
// derived, not stored: optionOrder shuffles with a seed that showingSeed
// hashes from the user, the card and the card's review history (how many
// ratings it has had and when the last one was). So within one showing
// every request sees the same order: a reload, the pane after a pick (the
// verdict, the option marked correct, the suggested rating), flagging the
// card, or coming back to it after burying. A rating changes the history,
// so the next showing gets a new order; an undo restores the history, and
// with it the order the card was rated in.
//
// A pick link carries the index of the option in the order shown
// (?pick=N) and the rating token of the state it was shown in (&token=):
// when the card's state has changed since (a rating from another tab, a
// page from the browser's history), the pick is not judged against an
// order the learner never saw; the pane shows the card as it is now and
// asks for the pick again. Exactly-once rating is untouched: the rating
// form carries the token as before, and the order plays no part in it.
//
// The order needs no secret: it only has to be unrelated to the position
// the author wrote and to the previous showing, not hidden from anyone.

// showingSeed returns the seed of the order of a card's options in one
// showing to one user: a hash of the user, the card and what changes with
// each rating of the card (its rating count and the time of the last
// rating), and nothing else, so flags, burials and suspensions keep it.
func showingSeed(userID, cardID int64, st *store.CardState) [32]byte {
	b := make([]byte, 0, 64)
	b = append(b, "flashd option order v1\x00"...)
	b = binary.BigEndian.AppendUint64(b, uint64(userID))
	b = binary.BigEndian.AppendUint64(b, uint64(cardID))
	b = binary.BigEndian.AppendUint64(b, uint64(st.Reps))
	b = binary.BigEndian.AppendUint64(b, uint64(st.LastReview))
	return sha256.Sum256(b)
}

// optionOrder returns the order in which to show n options for a seed:
// order[i] is the index, in the order written, of the option shown i-th.
// It is a Fisher–Yates shuffle driven by SHA-256 of the seed in counter
// mode, so each of the n! orders is equally likely (the modulo's bias is
// below n/2^64) and a seed gives the same order on every server and Go
// version.
func optionOrder(n int, seed [32]byte) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	var block [32]byte
	used := len(block)
	var counter uint64
	next := func() uint64 {
		if used+8 > len(block) {
			block = sha256.Sum256(binary.BigEndian.AppendUint64(seed[:], counter))
			counter++
			used = 0
		}
		v := binary.BigEndian.Uint64(block[used:])
		used += 8
		return v
	}
	for i := n - 1; i > 0; i-- {
		j := int(next() % uint64(i+1))
		order[i], order[j] = order[j], order[i]
	}
	return order
}

// shuffleOptions returns the options in the given order, lettered A, B,
// ... in that order.
func shuffleOptions(opts []optionView, order []int) []optionView {
	out := make([]optionView, len(order))
	for i, a := range order {
		out[i] = opts[a]
		out[i].Letter, out[i].Key = string(rune('A'+i)), optionKey(i)
	}
	return out
}
