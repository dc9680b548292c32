package decks

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// MaxOptions is the most options a multiple-choice card may have.
const MaxOptions = 8

var (
	idPattern     = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
	tagPattern    = regexp.MustCompile(`^[\p{L}\p{N}_:-]+$`)
	keyPattern    = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	headingKey    = regexp.MustCompile(`\s*\{#([^{}]*)\}$`)
	atxHeading    = regexp.MustCompile(`^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$`)
	optionLine    = regexp.MustCompile(`^ {0,3}[-*+] \[([ xX])\](?:[ \t]+(.*))?$`)
	yamlLineInMsg = regexp.MustCompile(`line (\d+)`)
	yamlAnchor    = regexp.MustCompile(`^unknown anchor '(.*)' referenced`)
)

// frontMatter is the YAML block at the top of a deck.
type frontMatter struct {
	ID, Title, Description string
	Tags                   []string
	TagLines               []int // the file line of each tag
	// wrong holds the fields given with a value of the wrong kind (a
	// list for the title...), reported already.
	wrong map[string]bool
}

// rawCard is a card's lines before they are interpreted.
type rawCard struct {
	line     int // heading line
	heading  string
	section  string
	kind     Kind
	body     []string
	bodyLine int // line of body[0]
}

// parser collects the problems of one file.
type parser struct {
	file string
	errs ErrorList
	ctx  context.Context
	lim  Limits
	html int // rendered so far
}

func (p *parser) errorf(line int, format string, args ...any) {
	p.errs = append(p.errs, &Error{p.file, line, fmt.Sprintf(format, args...)})
}

// What a card may cost. Rendering Markdown is linear in the card for most
// input, but goldmark is quadratic in some (deeply nested block quotes,
// runs of unclosed links), and every cloze number of a note is a card of
// its own holding the whole note: these caps keep the work and the
// storage of any deck in proportion to its size.
const (
	// MaxCardBytes is the most Markdown one card (heading and body) may
	// hold.
	MaxCardBytes = 8 << 10
	// MaxBrackets is the most "[" one card may hold (each opens a
	// possible link that Markdown parsing must try to close).
	MaxBrackets = 256
	// MaxQuoteDepth is the deepest block quote nesting on a line.
	MaxQuoteDepth = 8
	// MaxClozeNumbers is the most cloze numbers (cards) one note may
	// have, and MaxClozeNumber the highest number (Anki puts every number
	// above 500 on card 500).
	MaxClozeNumbers = 50
	MaxClozeNumber  = 500
	// MaxCardHTML is the most HTML one card may render to.
	MaxCardHTML = 64 << 10
)

// Limits cap a whole deck; zero means no cap. Decks uploaded through the
// web are held to UploadLimits; an operator importing files is not.
type Limits struct {
	Bytes int // Markdown source
	Cards int
	HTML  int // rendered HTML of all cards
}

// MaxUploadBytes is the most Markdown a deck uploaded in the browser may
// have.
const MaxUploadBytes = 512 << 10

// UploadLimits are the caps of a deck uploaded in the browser.
var UploadLimits = Limits{Bytes: MaxUploadBytes, Cards: 5000, HTML: 16 << 20}

// Parse parses and renders one deck. file names the deck in messages. The
// error, if any, is an ErrorList holding every problem found.
func Parse(file string, src []byte) (*Deck, error) {
	return ParseContext(context.Background(), file, src, Limits{})
}

// ParseContext is Parse within limits, stopping with ctx's error (wrapped)
// once ctx is done.
func ParseContext(ctx context.Context, file string, src []byte, lim Limits) (*Deck, error) {
	p := &parser{file: file, ctx: ctx, lim: lim}
	if lim.Bytes > 0 && len(src) > lim.Bytes {
		p.errorf(1, "deck is %d KiB; a deck may have at most %d KiB: split it into several decks", (len(src)+1023)>>10, lim.Bytes>>10)
		return nil, p.errs
	}
	d := p.parse(src)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: parsing stopped: %w", file, err)
	}
	if len(p.errs) > 0 {
		sort.SliceStable(p.errs, func(i, j int) bool { return p.errs[i].Line < p.errs[j].Line })
		return nil, p.errs
	}
	return d, nil
}

func (p *parser) parse(src []byte) *Deck {
	if !utf8.Valid(src) {
		line := 1
		for i := 0; i < len(src); {
			r, n := utf8.DecodeRune(src[i:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			if r == '\n' {
				line++
			}
			i += n
		}
		p.errorf(line, "file is not valid UTF-8")
		return nil
	}
	sum := sha256.Sum256(append([]byte(renderVersion+"\x00"), src...))
	text := strings.TrimPrefix(string(src), "\uFEFF")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.Split(text, "\n")

	d := &Deck{File: p.file, Hash: hex.EncodeToString(sum[:]), Source: text}
	start := p.frontMatter(d, lines)
	if start < 0 {
		return nil
	}
	raws := p.split(lines, start)
	p.cards(d, raws)
	return d
}

// frontMatter reads the YAML block and returns the index of the first line
// after it, or -1 when there is no usable block.
func (p *parser) frontMatter(d *Deck, lines []string) int {
	if len(lines) == 0 || strings.TrimRight(lines[0], " \t") != "---" {
		p.errorf(1, "missing front matter: a deck starts with a line \"---\", then id and title, then \"---\"")
		return -1
	}
	end := -1
	for i := 1; i < len(lines); i++ {
		if strings.TrimRight(lines[i], " \t") == "---" {
			end = i
			break
		}
	}
	if end < 0 {
		p.errorf(1, "front matter is not closed with a \"---\" line")
		return -1
	}
	block := strings.Join(lines[1:end], "\n")
	fm, node, ok := p.decodeFrontMatter(block, end)
	if !ok {
		return end + 1
	}
	d.IDLine = 1
	if l := keyLine(node, "id"); l > 0 {
		d.IDLine = l + 1
	}
	fm.ID = strings.TrimSpace(fm.ID)
	fm.Title = strings.TrimSpace(fm.Title)
	switch {
	case fm.wrong["id"]:
	case fm.ID == "":
		p.errorf(1, "front matter has no id")
	case !idPattern.MatchString(fm.ID):
		p.errorf(d.IDLine, "deck id %q must be lowercase letters, digits and hyphens (at most 64)", fm.ID)
	}
	if fm.Title == "" && !fm.wrong["title"] {
		p.errorf(1, "front matter has no title")
	}
	for i, t := range fm.Tags {
		if !tagPattern.MatchString(t) {
			p.errorf(fm.TagLines[i], "tag %q may hold only letters, digits, - _ and :", t)
		}
	}
	d.ID, d.Title, d.Description, d.Tags = fm.ID, fm.Title, strings.TrimSpace(fm.Description), fm.Tags
	if d.Description != "" {
		d.DescriptionHTML = renderBlock(d.Description)
	}
	return end + 1
}

// frontMatterFields are the fields a front matter may have, as the
// messages list them.
const frontMatterFields = "id, title, description and tags"

// decodeFrontMatter reads the YAML block (the file's lines 2 to last)
// field by field, so that every problem is told in plain words at its own
// line: YAML's own messages name Go types ("cannot unmarshal !!seq into
// string"). ok is false when the block is not YAML at all.
func (p *parser) decodeFrontMatter(block string, last int) (fm frontMatter, doc *yaml.Node, ok bool) {
	// The block starts on the file's second line; YAML also breaks lines
	// at a lone "\r", which the deck's lines do not, so a line is at most
	// the block's last.
	line := func(n int) int { return min(n+1, max(last, 1)) }
	doc = &yaml.Node{}
	if err := yaml.Unmarshal([]byte(block), doc); err != nil {
		at, msg := plainYAMLError(err, block)
		p.errorf(line(at), "front matter is not valid YAML: %s", msg)
		return fm, nil, false
	}
	if len(doc.Content) == 0 { // an empty block: no id and no title, told by the caller
		return fm, doc, true
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		p.errorf(line(root.Line), "front matter must be \"field: value\" lines (%s), not %s", frontMatterFields, nodeKind(root))
		return fm, nil, false
	}
	seen := map[string]int{}
	fm.wrong = map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], deref(root.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			p.errorf(line(k.Line), "a field name must be a word followed by \":\", like \"title:\"")
			continue
		}
		if first, dup := seen[k.Value]; dup {
			p.errorf(line(k.Line), "%q is given twice (first at line %d)", k.Value, line(first))
			continue
		}
		seen[k.Value] = k.Line
		switch k.Value {
		case "id", "title", "description":
			if v.Kind != yaml.ScalarNode {
				p.errorf(line(k.Line), "%q must be text, not %s", k.Value, nodeKind(v))
				fm.wrong[k.Value] = true
				continue
			}
			if v.Tag == "!!null" {
				continue
			}
			switch k.Value {
			case "id":
				fm.ID = v.Value
			case "title":
				fm.Title = v.Value
			default:
				fm.Description = v.Value
			}
		case "tags":
			switch {
			case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
			case v.Kind != yaml.SequenceNode:
				p.errorf(line(k.Line), "\"tags\" must be a list, like \"tags: [aws, ecs]\", not %s", nodeKind(v))
			default:
				for _, t := range v.Content {
					if t = deref(t); t.Kind != yaml.ScalarNode {
						p.errorf(line(t.Line), "a tag must be a word, not %s", nodeKind(t))
						continue
					}
					fm.Tags, fm.TagLines = append(fm.Tags, t.Value), append(fm.TagLines, line(t.Line))
				}
			}
		default:
			p.errorf(line(k.Line), "unknown field %q: the front matter has %s", k.Value, frontMatterFields)
		}
	}
	return fm, doc, true
}

// deref follows a YAML alias ("*name") to the value it stands for.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// nodeKind names the kind of a YAML value for a message.
func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a map of fields"
	}
	return "text"
}

// yamlSyntax turns the YAML parser's messages into plain ones; a message
// it does not know is shown as the parser wrote it, which names no Go
// type (those come from decoding into Go values, which the parser above
// does not do).
//
// The parser's errors (as opposed to the scanner's) give lines counted
// from 0 (a bug of yaml.v3's); parser marks them.
var yamlSyntax = []struct {
	prefix, plain string
	parser        bool
}{
	{"did not find expected ',' or ']'", `a list in "[ ]" is not closed with "]"`, true},
	{"did not find expected ',' or '}'", `a map in "{ }" is not closed with "}"`, true},
	{"mapping values are not allowed in this context", `a value holds ": ": put the value in quotes`, false},
	{"found a tab character", "a tab: indent the front matter with spaces", false},
	{"found character that cannot start any token", "a value cannot start with this character: put the value in quotes", false},
	{"could not find expected ':'", `this line is not "field: value"`, false},
	{"did not find expected key", `this line is not "field: value" (check its indentation)`, true},
	{"did not find expected node content", "a value is missing", true},
	{"did not find expected '-' indicator", `a list's items must line up, each starting with "- "`, true},
	{"found unexpected end of stream", "a quoted value is not closed", false},
	{"found unclosed", "a quoted value is not closed", false},
	{"unknown anchor", `a value starting with "*" names an anchor that is not defined: put the value in quotes`, false},
	{"found undefined tag handle", `a value starting with "!" is a YAML tag: put the value in quotes`, false},
}

// plainYAMLError returns the line of block a YAML syntax error is on
// (1-based; the first line when the error names none) and a plain message.
func plainYAMLError(err error, block string) (line int, msg string) {
	msg = strings.TrimPrefix(err.Error(), "yaml: ")
	if sm := yamlAnchor.FindStringSubmatch(msg); sm != nil {
		for i, l := range strings.Split(block, "\n") {
			if strings.Contains(l, "*"+sm[1]) {
				msg = fmt.Sprintf("line %d: %s", i+1, msg)
				break
			}
		}
	}
	line = 0
	if sm := yamlLineInMsg.FindStringSubmatch(msg); sm != nil {
		line, _ = strconv.Atoi(sm[1])
		msg = strings.TrimPrefix(strings.TrimSpace(yamlLineInMsg.ReplaceAllString(msg, "")), ": ")
	}
	for _, s := range yamlSyntax {
		if strings.HasPrefix(msg, s.prefix) {
			if s.parser {
				line++
			}
			return max(line, 1), s.plain
		}
	}
	line = max(line, 1)
	if strings.Contains(msg, "!!") || strings.Contains(msg, "unmarshal") {
		return line, "check the lines between the two \"---\""
	}
	return line, msg
}

// keyLine returns the 1-based line of a top-level mapping key in a YAML
// document, or 0.
func keyLine(doc *yaml.Node, key string) int {
	if doc == nil || len(doc.Content) == 0 {
		return 0
	}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i].Line
		}
	}
	return 0
}

// split cuts the lines after the front matter into sections and cards,
// reporting text that belongs to no card.
func (p *parser) split(lines []string, start int) []*rawCard {
	var (
		cards   []*rawCard
		cur     *rawCard
		section string
		kind    = KindTopic
		fence   string // the open fence marker, or ""
		stray   bool   // inside a block of text outside any card
	)
	for i := start; i < len(lines); i++ {
		line, n := lines[i], i+1
		if fence != "" {
			if FenceClose(line, fence) {
				fence = ""
			}
		} else if f := FenceOpen(line); f != "" {
			fence = f
		} else if m := atxHeading.FindStringSubmatch(line); m != nil && len(m[1]) <= 3 {
			stray = false
			switch len(m[1]) {
			case 1:
				p.errorf(n, "a \"#\" heading is not part of a deck: put the title in the front matter")
				cur = nil
			case 2:
				section = strings.TrimSpace(m[2])
				kind = sectionKind(section)
				if section == "" {
					p.errorf(n, "section heading is empty")
				}
				cur = nil
			case 3:
				cur = &rawCard{line: n, heading: m[2], section: section, kind: kind, bodyLine: n + 1}
				cards = append(cards, cur)
			}
			continue
		}
		if cur != nil {
			cur.body = append(cur.body, line)
			continue
		}
		if strings.TrimSpace(line) == "" {
			stray = false
			continue
		}
		if !stray {
			p.errorf(n, "text outside any card: start a card with a \"###\" heading")
			stray = true
		}
	}
	if fence != "" && cur != nil {
		p.errorf(cur.line, "code block in this card is not closed")
	}
	return cards
}

// FenceOpen returns the marker of a code fence opened by line, or "",
// as the parser reads fences (for tools that write decks).
func FenceOpen(line string) string {
	t := strings.TrimLeft(line, " ")
	if len(line)-len(t) > 3 {
		return ""
	}
	for _, c := range []byte{'`', '~'} {
		n := 0
		for n < len(t) && t[n] == c {
			n++
		}
		if n >= 3 {
			if c == '`' && strings.Contains(t[n:], "`") {
				return ""
			}
			return t[:n]
		}
	}
	return ""
}

// FenceClose reports whether line closes the code fence opened with
// fence.
func FenceClose(line, fence string) bool {
	t := strings.TrimLeft(line, " ")
	if len(line)-len(t) > 3 {
		return false
	}
	t = strings.TrimRight(t, " \t")
	return strings.HasPrefix(t, fence) && strings.Trim(t, fence[:1]) == ""
}

// sectionKind maps a section title to the kind of its cards.
func sectionKind(title string) Kind {
	switch NormalizeText(title) {
	case "key takeaways":
		return KindTakeaway
	case "traps":
		return KindTrap
	case "scenarios":
		return KindScenario
	}
	return KindTopic
}

// cards interprets the raw cards and renders them into d.
func (p *parser) cards(d *Deck, raws []*rawCard) {
	keys := map[string]int{}   // key -> line
	fronts := map[string]int{} // normalized front -> line
	if p.lim.Cards > 0 && len(raws) > p.lim.Cards {
		p.errorf(raws[p.lim.Cards].line, "deck has %d cards; a deck may have at most %d: split it into several decks", len(raws), p.lim.Cards)
		return
	}
	for _, rc := range raws {
		if p.ctx.Err() != nil {
			return
		}
		if !p.affordable(rc) {
			continue
		}
		n := len(d.Cards)
		front, key, explicit := p.heading(rc)
		body, bodyLine := trimBlank(rc.body, rc.bodyLine)
		if front == "" {
			p.errorf(rc.line, "card has no front: write the question after \"###\"")
			continue
		}
		if clozeIntent.MatchString(front) {
			p.errorf(rc.line, "cloze in a heading: put deletions in the card body")
		}
		if first, ok := fronts[NormalizeText(front)]; ok {
			p.errorf(rc.line, "duplicate front %q (first at line %d)", front, first)
			continue
		}
		fronts[NormalizeText(front)] = rc.line
		// Derived keys of distinct fronts differ, but an explicit key may
		// happen to equal another card's derived key: check them all.
		if first, ok := keys[key]; ok {
			p.errorf(rc.line, "duplicate card key %q (first at line %d)", key, first)
			continue
		}
		keys[key] = rc.line
		if len(body) == 0 {
			p.errorf(rc.line, "card has no back: write the answer below the heading")
			continue
		}
		base := Card{Key: key, NoteKey: key, Explicit: explicit, Line: rc.line, Section: rc.section, Kind: rc.kind, Front: front, Back: strings.Join(body, "\n")}
		switch {
		case rc.kind == KindScenario:
			if c, ok := p.choice(base, body, bodyLine); ok {
				d.Cards = append(d.Cards, c)
			}
		case clozeIntent.MatchString(base.Back):
			d.Cards = append(d.Cards, p.cloze(base, body, bodyLine)...)
		default:
			base.Type = TypeBasic
			base.FrontHTML = renderInline(front)
			base.BackHTML = renderBlock(base.Back)
			d.Cards = append(d.Cards, base)
		}
		for _, c := range d.Cards[n:] {
			size := len(c.FrontHTML) + len(c.BackHTML) + len(c.ClozeHTML)
			for _, o := range c.Options {
				size += len(o.HTML)
			}
			if size > MaxCardHTML {
				p.errorf(rc.line, "card renders to %d KiB of HTML; a card may have at most %d KiB", (size+1023)>>10, MaxCardHTML>>10)
			}
			p.html += size
		}
		if p.lim.HTML > 0 && p.html > p.lim.HTML {
			p.errorf(rc.line, "deck renders to more than %s of HTML by this card: split it into several decks", byteSize(p.lim.HTML))
			return
		}
	}
}

// affordable checks that a card stays within what a card may cost
// before anything of it is rendered.
func (p *parser) affordable(rc *rawCard) bool {
	size, brackets := len(rc.heading), strings.Count(rc.heading, "[")
	for i, line := range rc.body {
		size += len(line) + 1
		brackets += strings.Count(line, "[")
		if d := quoteDepth(line); d > MaxQuoteDepth {
			p.errorf(rc.bodyLine+i, "block quotes nested %d deep; at most %d", d, MaxQuoteDepth)
			return false
		}
	}
	switch {
	case size > MaxCardBytes:
		p.errorf(rc.line, "card is %d KiB; a card may have at most %d KiB", (size+1023)>>10, MaxCardBytes>>10)
		return false
	case brackets > MaxBrackets:
		p.errorf(rc.line, "card has %d \"[\"; a card may have at most %d (each may open a link)", brackets, MaxBrackets)
		return false
	}
	return true
}

// byteSize is n bytes in MiB or KiB.
func byteSize(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

// quoteDepth is how deeply line nests block quotes ("> > x" is 2): the
// ">" before its text, list markers between them included ("- > - > x"
// nests too).
func quoteDepth(line string) int {
	d := 0
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == '>':
			d++
		case c == ' ' || c == '\t' || c == '-' || c == '*' || c == '+' || c == '.' || c == ')' || c >= '0' && c <= '9':
		default:
			return d
		}
	}
	return d
}

// heading splits a card heading into its front text and key.
func (p *parser) heading(rc *rawCard) (front, key string, explicit bool) {
	h := strings.TrimSpace(rc.heading)
	// An ATX heading may end in a closing run of #s.
	if t := strings.TrimRight(h, "#"); t != h && (t == "" || strings.HasSuffix(t, " ")) {
		h = strings.TrimSpace(t)
	}
	if m := headingKey.FindStringSubmatchIndex(h); m != nil {
		key = h[m[2]:m[3]]
		h = strings.TrimSpace(h[:m[0]])
		if !keyPattern.MatchString(key) {
			p.errorf(rc.line, "card key %q must be lowercase letters, digits, - and _ (at most 64)", key)
		}
		return h, key, true
	}
	return h, derivedKey(h), false
}

// trimBlank drops leading and trailing blank lines, keeping line numbers.
func trimBlank(body []string, first int) ([]string, int) {
	for len(body) > 0 && strings.TrimSpace(body[0]) == "" {
		body = body[1:]
		first++
	}
	for len(body) > 0 && strings.TrimSpace(body[len(body)-1]) == "" {
		body = body[:len(body)-1]
	}
	return body, first
}

// choice reads a multiple-choice card: context, options, explanation.
func (p *parser) choice(c Card, body []string, first int) (Card, bool) {
	c.Type = TypeChoice
	if clozeIntent.MatchString(c.Back) {
		p.errorf(c.Line, "scenario card cannot hold a cloze")
		return c, false
	}
	var context, explanation []string
	state := 0 // 0 context, 1 options, 2 explanation
	fence := ""
	ok := true
	for i, line := range body {
		if fence != "" {
			if FenceClose(line, fence) {
				fence = ""
			}
		} else if f := FenceOpen(line); f != "" {
			fence = f
		} else if m := optionLine.FindStringSubmatch(line); m != nil {
			if state == 2 {
				p.errorf(first+i, "options of a scenario card must form one list")
				ok = false
				continue
			}
			state = 1
			text := strings.TrimSpace(m[2])
			if text == "" {
				p.errorf(first+i, "option is empty")
				ok = false
				continue
			}
			c.Options = append(c.Options, Option{HTML: renderInline(text), Correct: m[1] != " "})
			continue
		}
		switch {
		case state == 1 && strings.TrimSpace(line) == "":
		case state == 0:
			context = append(context, line)
		default:
			state = 2
			explanation = append(explanation, line)
		}
	}
	correct := 0
	for _, o := range c.Options {
		if o.Correct {
			correct++
		}
	}
	switch {
	case len(c.Options) < 2:
		p.errorf(c.Line, "scenario card needs at least two options (\"- [ ] wrong\", \"- [x] right\"), it has %d", len(c.Options))
		return c, false
	case len(c.Options) > MaxOptions:
		p.errorf(c.Line, "scenario card has %d options, at most %d are allowed", len(c.Options), MaxOptions)
		return c, false
	case correct == 0:
		p.errorf(c.Line, "scenario card has no correct option: mark one with \"- [x]\"")
		return c, false
	}
	c.FrontHTML = renderInline(c.Front)
	if ctx, _ := trimBlank(context, 0); len(ctx) > 0 {
		c.FrontHTML = "<p>" + c.FrontHTML + "</p>\n" + renderBlock(strings.Join(ctx, "\n"))
	}
	if ex, _ := trimBlank(explanation, 0); len(ex) > 0 {
		c.BackHTML = renderBlock(strings.Join(ex, "\n"))
	}
	return c, ok
}

// clozeSpan is one deletion in a cloze text.
type clozeSpan struct {
	start, end int // byte offsets of "{{" and just past "}}"
	num        int
	text, hint string
	html       string // text rendered, once
}

var (
	clozeOpen = regexp.MustCompile(`\{\{c(\d*)::`)
	// clozeIntent is what makes a card a cloze card: "{{c1::", but also a
	// near miss such as "{{c1:" that must be reported rather than shown.
	clozeIntent = regexp.MustCompile(`\{\{c[\d,]*:`)
	// clozeMulti is Anki's deletion shown on several cards ({{c1,2::x}}).
	clozeMulti = regexp.MustCompile(`\{\{c\d+(?:,\d+)+::`)
)

// cloze reads a cloze note and returns one card per cloze number.
func (p *parser) cloze(c Card, body []string, first int) []Card {
	src := c.Back
	lineAt := func(off int) int { return first + strings.Count(src[:off], "\n") }
	var spans []clozeSpan
	bad := false
	if m := clozeMulti.FindStringIndex(src); m != nil {
		p.errorf(lineAt(m[0]), "cloze %q: a deletion on several cards is not supported: write one deletion per card number", src[m[0]:m[1]])
		return nil
	}
	pos := 0
	for {
		loc := clozeOpen.FindStringSubmatchIndex(src[pos:])
		if loc == nil {
			break
		}
		start, inner := pos+loc[0], pos+loc[1]
		digits := src[pos+loc[2] : pos+loc[3]]
		closeAt := strings.Index(src[inner:], "}}")
		if closeAt < 0 {
			p.errorf(lineAt(start), "cloze %q is not closed with \"}}\"", src[start:inner])
			bad = true
			break
		}
		content := src[inner : inner+closeAt]
		end := inner + closeAt + 2
		pos = end
		num, err := strconv.Atoi(digits)
		switch {
		case digits == "" || err != nil:
			p.errorf(lineAt(start), "cloze has no number: write {{c1::...}}")
			bad = true
			continue
		case num < 1:
			p.errorf(lineAt(start), "cloze number c%s: numbers start at c1", digits)
			bad = true
			continue
		case num > MaxClozeNumber:
			p.errorf(lineAt(start), "cloze number c%d: at most c%d", num, MaxClozeNumber)
			bad = true
			continue
		case strings.Contains(content, "{{"):
			p.errorf(lineAt(start), "cloze inside a cloze is not supported")
			bad = true
			continue
		}
		text, hint, _ := strings.Cut(content, "::")
		if strings.TrimSpace(text) == "" {
			p.errorf(lineAt(start), "cloze c%d is empty", num)
			bad = true
			continue
		}
		spans = append(spans, clozeSpan{start: start, end: end, num: num, text: strings.TrimSpace(text), hint: strings.TrimSpace(hint)})
	}
	if bad {
		return nil
	}
	if len(spans) == 0 {
		p.errorf(c.Line, "malformed cloze: write {{c1::text}} or {{c1::text::hint}}")
		return nil
	}
	var nums []int
	seen := map[int]bool{}
	for _, s := range spans {
		if !seen[s.num] {
			seen[s.num] = true
			nums = append(nums, s.num)
		}
	}
	sort.Ints(nums)
	if len(nums) > MaxClozeNumbers {
		p.errorf(c.Line, "note has %d cloze numbers; a note may have at most %d (each is a card holding the whole note)", len(nums), MaxClozeNumbers)
		return nil
	}

	cue := ""
	if c.Front != "" {
		cue = `<p class="cue">` + renderInline(c.Front) + "</p>\n"
	}
	// Each deletion becomes a placeholder word that Markdown leaves alone;
	// the rendered HTML then gets the deletion's own HTML in its place.
	var masked strings.Builder
	last := 0
	for i, s := range spans {
		masked.WriteString(src[last:s.start])
		masked.WriteString(placeholder(i))
		last = s.end
	}
	masked.WriteString(src[last:])
	// The note is rendered once, and each deletion's text once: a card is
	// the rendered note's pieces with its deletions' HTML between them, so
	// the work is linear in the note and its cards.
	rendered := renderBlockRaw(masked.String())
	pieces := make([]string, 0, len(spans)+1)
	order := make([]int, 0, len(spans)) // the span each gap holds
	last = 0
	for _, m := range placeholderPattern.FindAllStringSubmatchIndex(rendered, -1) {
		i, err := strconv.Atoi(rendered[m[2]:m[3]])
		if err != nil || i >= len(spans) {
			continue // text that merely looks like a placeholder
		}
		pieces = append(pieces, rendered[last:m[0]])
		order = append(order, i)
		last = m[1]
	}
	pieces = append(pieces, rendered[last:])
	inline := make([]string, len(spans))
	for i, s := range spans {
		inline[i] = renderInlineRaw(s.text)
		spans[i].html = inline[i]
	}
	fill := func(f func(s clozeSpan) string) string {
		var b strings.Builder
		b.WriteString(cue)
		for k, piece := range pieces {
			b.WriteString(piece)
			if k < len(order) {
				b.WriteString(f(spans[order[k]]))
			}
		}
		return sanitize(b.String())
	}

	var cards []Card
	for _, n := range nums {
		cc := c
		cc.Type = TypeCloze
		cc.Cloze = n
		cc.Key = fmt.Sprintf("%s/c%d", c.NoteKey, n)
		cc.FrontHTML = fill(func(s clozeSpan) string {
			if s.num != n {
				return s.html
			}
			if s.hint != "" {
				return `<span class="cloze">[` + escape(s.hint) + `]</span>`
			}
			return `<span class="cloze">[...]</span>`
		})
		cc.BackHTML = fill(func(s clozeSpan) string {
			if s.num != n {
				return s.html
			}
			return `<span class="cloze">` + s.html + `</span>`
		})
		cc.ClozeHTML = fill(func(s clozeSpan) string {
			out := fmt.Sprintf("{{c%d::%s", s.num, ankiClozePart(s.html))
			if s.hint != "" {
				out += "::" + ankiClozePart(escape(s.hint))
			}
			return out + "}}"
		})
		cards = append(cards, cc)
	}
	return cards
}

// ankiClozePart keeps a deletion's text from closing Anki's cloze early:
// Anki ends a deletion at the first "}}", so braces that would meet (inside
// the text, or a "}" at its end against the closing "}}") are kept apart
// by a space, as Anki's manual suggests.
func ankiClozePart(s string) string {
	for strings.Contains(s, "}}") {
		s = strings.ReplaceAll(s, "}}", "} }")
	}
	if strings.HasSuffix(s, "}") {
		s += " "
	}
	return s
}

func placeholder(i int) string { return fmt.Sprintf("zqxclozeholder%dzqx", i) }

// placeholderPattern finds the placeholders in rendered HTML.
var placeholderPattern = regexp.MustCompile(`zqxclozeholder(\d+)zqx`)

func escape(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&#34;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
