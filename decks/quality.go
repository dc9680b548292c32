package decks

import (
	"fmt"
	"hash/fnv"
	"html"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// The default thresholds of the quality rules; a zero QualityOptions field
// means its default. They are documented in the package doc.
const (
	DefaultMaxListItems = 4    // an answer with more list items is an enumeration
	DefaultMaxSentences = 4    // an answer with more sentences holds several facts
	DefaultMinCards     = 4    // deck-wide rules judge no fewer cards than this
	DefaultPositionMax  = 0.5  // one option position may hold at most this share
	DefaultYesNoMax     = 0.8  // one yes/no answer may hold at most this share
	DefaultLongestMax   = 0.5  // the correct option may be the longest in at most this share
	DefaultSimilarity   = 0.5  // word 3-shingle Jaccard at which two texts are near-duplicates
	DefaultContainment  = 0.8  // share of the shorter text's 3-shingles found in the longer one ...
	DefaultMinJaccard   = 0.2  // ... when the pair also has at least this Jaccard similarity
	DefaultMinDupWords  = 5    // texts with fewer words are not compared
	DefaultMaxPairCards = 5000 // above this many notes the pair check is skipped
)

// QualityOptions tune Quality. The zero value uses the defaults above.
type QualityOptions struct {
	MaxListItems int     // warn when an answer has more list items (tables: cells beyond the first column)
	MaxSentences int     // warn when an answer has more sentences
	MinCards     int     // deck-wide rules need at least this many cards of their kind
	PositionMax  float64 // warn when one position holds more than this share of correct options
	YesNoMax     float64 // warn when "Yes" or "No" starts more than this share of yes/no answers
	LongestMax   float64 // warn when the correct option is the longest in more than this share of scenario cards
	Similarity   float64 // warn when two fronts or two backs are at least this alike (Jaccard, 0 to 1)
	Containment  float64 // warn when this share of the shorter text's shingles is in the longer one,
	MinJaccard   float64 // and the pair's Jaccard similarity is at least this
	MinDupWords  int     // fronts and backs with fewer words are left out of the pair check
	MaxPairCards int     // skip the pair check (with an info line) for decks with more notes
}

func (o QualityOptions) withDefaults() QualityOptions {
	if o.MaxListItems <= 0 {
		o.MaxListItems = DefaultMaxListItems
	}
	if o.MaxSentences <= 0 {
		o.MaxSentences = DefaultMaxSentences
	}
	if o.MinCards <= 0 {
		o.MinCards = DefaultMinCards
	}
	if o.PositionMax <= 0 {
		o.PositionMax = DefaultPositionMax
	}
	if o.YesNoMax <= 0 {
		o.YesNoMax = DefaultYesNoMax
	}
	if o.LongestMax <= 0 {
		o.LongestMax = DefaultLongestMax
	}
	if o.Similarity <= 0 {
		o.Similarity = DefaultSimilarity
	}
	if o.Containment <= 0 {
		o.Containment = DefaultContainment
	}
	if o.MinJaccard <= 0 {
		o.MinJaccard = DefaultMinJaccard
	}
	if o.MinDupWords <= 0 {
		o.MinDupWords = DefaultMinDupWords
	}
	if o.MaxPairCards <= 0 {
		o.MaxPairCards = DefaultMaxPairCards
	}
	return o
}

// The quality rules, as named in Warning.Rule.
const (
	RulePositions   = "positions"   // info: the correct-option position histogram
	RulePosition    = "position"    // one position holds most correct options
	RuleYesNo       = "yes-no"      // yes/no answers (nearly) all go the same way
	RuleLongest     = "longest"     // the correct option is usually the longest
	RuleEnumeration = "enumeration" // an answer with too many list items or sentences
	RuleDuplicate   = "duplicate"   // two near-duplicate fronts or backs
	RulePairsSkip   = "pairs-skipped"
)

// Warning is one finding of Quality, at a line of the deck's file. Info
// findings (Info true) describe the deck and are not problems.
type Warning struct {
	File string
	Line int
	Rule string
	Info bool
	Msg  string
}

// String formats the warning as "file:line: warning: message" (or
// "file:line: info: message").
func (w Warning) String() string {
	level := "warning"
	if w.Info {
		level = "info"
	}
	return fmt.Sprintf("%s:%d: %s: %s", w.File, w.Line, level, w.Msg)
}

// CountWarnings returns how many of ws are warnings rather than info.
func CountWarnings(ws []Warning) int {
	n := 0
	for _, w := range ws {
		if !w.Info {
			n++
		}
	}
	return n
}

// Quality checks what the parser cannot: that a deck's cards cannot be
// answered by their form and that each asks one thing. It returns its
// findings in line order; see the package doc for the rules.
func Quality(d *Deck, opts QualityOptions) []Warning {
	q := &quality{d: d, o: opts.withDefaults()}
	q.scenarios()
	q.yesNo()
	q.enumerations()
	q.duplicates()
	sort.SliceStable(q.ws, func(i, j int) bool { return q.ws[i].Line < q.ws[j].Line })
	return q.ws
}

type quality struct {
	d  *Deck
	o  QualityOptions
	ws []Warning
}

func (q *quality) add(line int, rule string, info bool, format string, args ...any) {
	q.ws = append(q.ws, Warning{File: q.d.File, Line: line, Rule: rule, Info: info, Msg: fmt.Sprintf(format, args...)})
}

// deckLine is where findings about the whole deck go.
func (q *quality) deckLine() int {
	if q.d.IDLine > 0 {
		return q.d.IDLine
	}
	return 1
}

// lineList names up to five lines, "12, 30, 41 and 3 more".
func lineList(lines []int) string {
	const show = 5
	parts := make([]string, 0, show)
	for i, l := range lines {
		if i == show {
			break
		}
		parts = append(parts, fmt.Sprint(l))
	}
	s := strings.Join(parts, ", ")
	if len(lines) > show {
		s += fmt.Sprintf(" and %d more", len(lines)-show)
	}
	return s
}

func optionLetter(i int) string { return string(rune('A' + i)) }

// scenarios runs the rules on the options of choice cards: the position
// histogram, a dominant position, and the correct option being longest.
func (q *quality) scenarios() {
	var (
		cards   int
		counts  [MaxOptions]int
		total   int
		byPos   [MaxOptions][]int // lines of the cards with a correct option there
		longest []int
	)
	for i := range q.d.Cards {
		c := &q.d.Cards[i]
		if c.Type != TypeChoice || len(c.Options) == 0 {
			continue
		}
		cards++
		for p, o := range c.Options {
			if o.Correct && p < MaxOptions {
				counts[p]++
				total++
				byPos[p] = append(byPos[p], c.Line)
			}
		}
		if correctIsLongest(c.Options) {
			longest = append(longest, c.Line)
		}
	}
	if cards == 0 {
		return
	}
	width := 0
	for p := range counts {
		if counts[p] > 0 {
			width = p + 1
		}
	}
	width = max(width, 4)
	parts := make([]string, 0, width)
	for p := 0; p < width && p < MaxOptions; p++ {
		parts = append(parts, fmt.Sprintf("%s %d", optionLetter(p), counts[p]))
	}
	q.add(q.deckLine(), RulePositions, true, "correct options by position in %d scenario cards: %s", cards, strings.Join(parts, ", "))
	if cards < q.o.MinCards {
		return
	}
	top := 0
	for p := range counts {
		if counts[p] > counts[top] {
			top = p
		}
	}
	if float64(counts[top]) > q.o.PositionMax*float64(total) {
		q.add(byPos[top][0], RulePosition, false,
			"the correct option is %s in %d of %d scenario answers (more than %.0f%%): a learner can guess it from its position; reorder the options (lines %s)",
			optionLetter(top), counts[top], total, 100*q.o.PositionMax, lineList(byPos[top]))
	}
	if float64(len(longest)) > q.o.LongestMax*float64(cards) {
		q.add(longest[0], RuleLongest, false,
			"the correct option is the longest in %d of %d scenario cards (more than %.0f%%): a learner can pick it by its length; shorten it or lengthen the distractors (lines %s)",
			len(longest), cards, 100*q.o.LongestMax, lineList(longest))
	}
}

// correctIsLongest reports whether a correct option is longer than every
// wrong one, in characters of its text.
func correctIsLongest(opts []Option) bool {
	bestRight, bestWrong := -1, -1
	for _, o := range opts {
		n := utf8.RuneCountInString(plainText(o.HTML))
		if o.Correct {
			bestRight = max(bestRight, n)
		} else {
			bestWrong = max(bestWrong, n)
		}
	}
	return bestWrong >= 0 && bestRight > bestWrong
}

var (
	htmlTagRE     = regexp.MustCompile(`<[^>]*>`)
	commentRE     = regexp.MustCompile(`(?s)<!--.*?-->`)
	yesNoRE       = regexp.MustCompile(`(?i)^(yes|no)[*_]*\s*(?:[.,;:!?—–-]|$)`)
	leadingMarkRE = regexp.MustCompile(`^[\s*_>~]+`)
)

// plainText is the text of sanitised HTML.
func plainText(h string) string {
	return strings.TrimSpace(html.UnescapeString(htmlTagRE.ReplaceAllString(h, "")))
}

// YesNo reports whether a card's answer starts with "Yes" or "No" (after
// any emphasis) followed by punctuation or nothing, and which: "No." and
// "**Yes** — it can" count, "No servers to manage" does not.
func YesNo(c *Card) (answer string, ok bool) {
	if c.Type != TypeBasic {
		return "", false
	}
	s := leadingMarkRE.ReplaceAllString(stripComments(c.Back), "")
	m := yesNoRE.FindStringSubmatch(s)
	if m == nil {
		return "", false
	}
	return strings.ToLower(m[1]), true
}

// yesNo warns when (nearly) every yes/no answer is the same.
func (q *quality) yesNo() {
	lines := map[string][]int{}
	n := 0
	for i := range q.d.Cards {
		if a, ok := YesNo(&q.d.Cards[i]); ok {
			lines[a] = append(lines[a], q.d.Cards[i].Line)
			n++
		}
	}
	if n < q.o.MinCards {
		return
	}
	for _, a := range []string{"no", "yes"} {
		if k := len(lines[a]); float64(k) > q.o.YesNoMax*float64(n) {
			word := strings.ToUpper(a[:1]) + a[1:]
			q.add(lines[a][0], RuleYesNo, false,
				"%d of %d yes/no answers are %q (more than %.0f%%): a learner can answer from the form; make some true statements or ask an open question (lines %s)",
				k, n, word, 100*q.o.YesNoMax, lineList(lines[a]))
		}
	}
}

// enumerations warns about answers that list more than a learner can
// recall as one fact. Scenario cards (whose answer is the choice) are not
// checked; a cloze note is checked once, for its sentences.
func (q *quality) enumerations() {
	seen := map[string]bool{}
	for i := range q.d.Cards {
		c := &q.d.Cards[i]
		switch c.Type {
		case TypeBasic:
			items, sentences := answerShape(c.Back)
			if items > q.o.MaxListItems {
				q.add(c.Line, RuleEnumeration, false,
					"the answer lists %d items (more than %d): split it into one card per item, or a cloze per item", items, q.o.MaxListItems)
			}
			if sentences > q.o.MaxSentences {
				q.add(c.Line, RuleEnumeration, false,
					"the answer has %d sentences (more than %d): keep one fact per card", sentences, q.o.MaxSentences)
			}
		case TypeCloze:
			if seen[c.NoteKey] {
				continue
			}
			seen[c.NoteKey] = true
			_, sentences := answerShape(clozeText(c.Back))
			if sentences > q.o.MaxSentences {
				q.add(c.Line, RuleEnumeration, false,
					"the cloze text has %d sentences (more than %d): keep one fact per note", sentences, q.o.MaxSentences)
			}
		}
	}
}

var (
	listItemRE  = regexp.MustCompile(`^\s*(?:[-*+]|\d{1,9}[.)])\s+\S`)
	tableRowRE  = regexp.MustCompile(`^\s*\|.*\|\s*$`)
	tableSepRE  = regexp.MustCompile(`^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$`)
	inlineCode  = regexp.MustCompile("`[^`]*`")
	linkRE      = regexp.MustCompile(`\]\([^)]*\)`)
	sentenceEnd = regexp.MustCompile(`((?:[\p{L}\p{N}]+\.)*[\p{L}\p{N}]+)?[.!?]+["'”’)\]*_]*(?:\s|$)`)
	clozeRE     = regexp.MustCompile(`\{\{c\d+::(.*?)(?:::[^}]*)?\}\}`)
)

// abbreviations end in a dot without ending a sentence.
var abbreviations = map[string]bool{"e.g": true, "i.e": true, "eg": true, "ie": true, "etc": true, "vs": true, "cf": true, "approx": true}

func stripComments(s string) string { return commentRE.ReplaceAllString(s, "") }

// clozeText is a cloze note's text with each deletion replaced by its text.
func clozeText(s string) string { return clozeRE.ReplaceAllString(s, "$1") }

// answerShape counts an answer's list items (a table counts its body cells
// beyond the first column) and the sentences of its other text. HTML
// comments and code blocks do not count.
func answerShape(src string) (items, sentences int) {
	src = stripComments(src)
	var prose []string
	fence := ""
	tableCols := 0 // columns of the table being read, 0 outside a table
	for _, line := range strings.Split(src, "\n") {
		if fence != "" {
			if FenceClose(line, fence) {
				fence = ""
			}
			continue
		}
		if f := FenceOpen(line); f != "" {
			fence = f
			continue
		}
		switch {
		case tableRowRE.MatchString(line):
			cells := strings.Count(strings.Trim(strings.TrimSpace(line), "|"), "|") + 1
			switch {
			case tableCols == 0:
				tableCols = cells // the header row
			case tableSepRE.MatchString(line):
			default:
				items += max(cells-1, 1)
			}
			continue
		case listItemRE.MatchString(line):
			items++
			tableCols = 0
			continue
		}
		tableCols = 0
		prose = append(prose, line)
	}
	text := strings.Join(prose, "\n")
	text = inlineCode.ReplaceAllString(text, "code")
	text = linkRE.ReplaceAllString(text, "]")
	for _, m := range sentenceEnd.FindAllStringSubmatch(text, -1) {
		if !abbreviations[strings.ToLower(m[1])] {
			sentences++
		}
	}
	// Text after the last full stop is a sentence too.
	rest := text
	if locs := sentenceEnd.FindAllStringIndex(text, -1); len(locs) > 0 {
		rest = text[locs[len(locs)-1][1]:]
	}
	if strings.TrimSpace(leadingMarkRE.ReplaceAllString(rest, "")) != "" {
		sentences++
	}
	return items, sentences
}

// Words splits text into lower-case words of letters and digits, after
// dropping HTML comments, cloze markup and link targets.
func Words(s string) []string {
	s = clozeText(stripComments(s))
	s = linkRE.ReplaceAllString(s, "]")
	return wordRE.FindAllString(strings.ToLower(s), -1)
}

var wordRE = regexp.MustCompile(`[\p{L}\p{N}]+`)

// shingles returns the distinct word 3-grams of words, as hashes.
func shingles(words []string) []uint64 {
	seen := map[uint64]bool{}
	var out []uint64
	for i := 0; i+3 <= len(words); i++ {
		h := fnv.New64a()
		h.Write([]byte(words[i] + " " + words[i+1] + " " + words[i+2]))
		s := h.Sum64()
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// Similarity is the Jaccard similarity of the word 3-shingle sets of two
// texts, from 0 (nothing shared) to 1 (the same shingles).
func Similarity(a, b string) float64 {
	sa, sb := shingles(Words(a)), shingles(Words(b))
	if len(sa) == 0 || len(sb) == 0 {
		return 0
	}
	in := map[uint64]bool{}
	for _, s := range sa {
		in[s] = true
	}
	shared := 0
	for _, s := range sb {
		if in[s] {
			shared++
		}
	}
	return float64(shared) / float64(len(sa)+len(sb)-shared)
}

// duplicates warns about pairs of notes whose fronts, or whose backs, are
// near-duplicates. Cloze cards of one note count once.
func (q *quality) duplicates() {
	var notes []*Card
	seen := map[string]bool{}
	for i := range q.d.Cards {
		c := &q.d.Cards[i]
		if seen[c.NoteKey] {
			continue
		}
		seen[c.NoteKey] = true
		notes = append(notes, c)
	}
	if len(notes) > q.o.MaxPairCards {
		q.add(q.deckLine(), RulePairsSkip, true, "near-duplicate check skipped: %d notes, more than %d", len(notes), q.o.MaxPairCards)
		return
	}
	q.pairs(notes, "front", func(c *Card) string { return c.Front })
	q.pairs(notes, "back", func(c *Card) string { return c.Back })
}

// pairs compares one field of every pair of notes through an inverted
// index of shingles, so that pairs sharing nothing cost nothing.
func (q *quality) pairs(notes []*Card, field string, text func(*Card) string) {
	sets := make([][]uint64, len(notes))
	postings := map[uint64][]int{}
	for i, c := range notes {
		words := Words(text(c))
		if len(words) < q.o.MinDupWords {
			continue
		}
		sets[i] = shingles(words)
		for _, s := range sets[i] {
			postings[s] = append(postings[s], i)
		}
	}
	type hit struct {
		j, n               int
		jaccard, contained float64
	}
	shared := make([]int, len(notes))
	var (
		touched []int
		hits    []hit
	)
	for i := range notes {
		touched = touched[:0]
		for _, s := range sets[i] {
			for _, j := range postings[s] {
				if j >= i {
					break // postings are in note order
				}
				if shared[j] == 0 {
					touched = append(touched, j)
				}
				shared[j]++
			}
		}
		hits = hits[:0]
		for _, j := range touched {
			n := shared[j]
			shared[j] = 0
			jaccard := float64(n) / float64(len(sets[i])+len(sets[j])-n)
			contained := float64(n) / float64(min(len(sets[i]), len(sets[j])))
			if jaccard >= q.o.Similarity || (contained >= q.o.Containment && jaccard >= q.o.MinJaccard) {
				hits = append(hits, hit{j, n, jaccard, contained})
			}
		}
		sort.Slice(hits, func(a, b int) bool { return hits[a].j < hits[b].j })
		for _, h := range hits {
			q.add(notes[i].Line, RuleDuplicate, false,
				"%s is a near-duplicate of the %s at line %d (%d shared word triples: Jaccard %.2f, containment %.2f): the cards interfere; merge or differentiate them",
				field, field, notes[h.j].Line, h.n, h.jaccard, h.contained)
		}
	}
}
