package decks

import "fmt"

// Similar is how alike two fronts must be (character-bigram Dice
// coefficient of their normalised text, 0 to 1) for a card whose front and
// back both changed to keep its identity at the same position.
const Similar = 0.6

// Known is a card already imported, as Match needs to see it.
type Known struct {
	Key      string
	Explicit bool
	Cloze    int
	Position int
	Front    string
	Back     string
	Retired  bool
}

// Match decides which known card each card of a new version of a deck
// continues, so that learners keep their progress across edits. It returns,
// for every card in cards, the index in known of the card it continues, or
// -1 for a new card. Each known card is continued at most once. The rules,
// tried in order for each card:
//
//  1. Same key: the card continues the known card with its key, active or
//     retired (a retired card comes back with its history).
//  2. Key added: a card with a new explicit {#key} continues the active
//     card whose derived key its front gives (adding a key to a card keeps
//     its progress).
//  3. Front edited: a card without an explicit key continues an active card
//     without one, of the same cloze number, that no card continues by key
//     and that has the same back (white space and case aside), if exactly
//     one such card has it.
//  4. Both edited: failing that, it continues such a card at the same
//     position whose front is at least Similar alike.
//
// Known cards no card continues are to be retired.
func Match(known []Known, cards []Card) []int {
	match := make([]int, len(cards))
	taken := make([]bool, len(known))
	byKey := make(map[string]int, len(known))
	for i, k := range known {
		byKey[k.Key] = i
	}
	pending := make([]int, 0)
	for i, c := range cards {
		match[i] = -1
		if j, ok := byKey[c.Key]; ok && !taken[j] {
			match[i], taken[j] = j, true
			continue
		}
		pending = append(pending, i)
	}
	// candidate reports whether known card j may be continued by a card
	// without an exact key match.
	candidate := func(j int, c Card) bool {
		k := known[j]
		return !taken[j] && !k.Retired && !k.Explicit && k.Cloze == c.Cloze
	}
	var rest []int
	for _, i := range pending {
		c := cards[i]
		if c.Explicit {
			if j, ok := byKey[derivedCardKey(c)]; ok && candidate(j, c) {
				match[i], taken[j] = j, true
			}
			continue
		}
		rest = append(rest, i)
	}
	if len(rest) == 0 {
		return match
	}
	// Index the known cards the remaining ones may continue, by back and
	// by position, so matching stays linear in the size of the deck.
	byBack := map[string][]int{}
	byPosition := map[int][]int{}
	for j, k := range known {
		if !taken[j] && !k.Retired && !k.Explicit {
			byBack[NormalizeText(k.Back)] = append(byBack[NormalizeText(k.Back)], j)
			byPosition[k.Position] = append(byPosition[k.Position], j)
		}
	}
	for _, i := range rest {
		c := cards[i]
		var found []int
		for _, j := range byBack[NormalizeText(c.Back)] {
			if candidate(j, c) {
				found = append(found, j)
			}
		}
		if len(found) == 1 {
			match[i], taken[found[0]] = found[0], true
		}
	}
	for _, i := range rest {
		if match[i] >= 0 {
			continue
		}
		c := cards[i]
		for _, j := range byPosition[i] {
			if candidate(j, c) && similarity(known[j].Front, c.Front) >= Similar {
				match[i], taken[j] = j, true
				break
			}
		}
	}
	return match
}

// derivedCardKey is the key the card would have without its explicit key.
func derivedCardKey(c Card) string {
	k := derivedKey(c.Front)
	if c.Type == TypeCloze {
		k += fmt.Sprintf("/c%d", c.Cloze)
	}
	return k
}

// similarity is the Dice coefficient of the character bigrams of two
// normalised texts: 1 for equal texts, 0 for texts sharing no bigram.
func similarity(a, b string) float64 {
	ra, rb := []rune(NormalizeText(a)), []rune(NormalizeText(b))
	if len(ra) < 2 || len(rb) < 2 {
		if string(ra) == string(rb) {
			return 1
		}
		return 0
	}
	grams := make(map[[2]rune]int, len(ra))
	for i := 0; i+1 < len(ra); i++ {
		grams[[2]rune{ra[i], ra[i+1]}]++
	}
	shared := 0
	for i := 0; i+1 < len(rb); i++ {
		g := [2]rune{rb[i], rb[i+1]}
		if grams[g] > 0 {
			grams[g]--
			shared++
		}
	}
	return 2 * float64(shared) / float64(len(ra)-1+len(rb)-1)
}
