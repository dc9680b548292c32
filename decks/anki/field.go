package anki

import "strings"

// blockTags are the elements next to which a newline in HTML is
// insignificant white space, so fieldHTML drops it instead of writing <br>.
var blockTags = map[string]bool{
	"address": true, "article": true, "aside": true, "blockquote": true,
	"br": true, "caption": true, "col": true, "colgroup": true, "dd": true,
	"details": true, "div": true, "dl": true, "dt": true, "figcaption": true,
	"figure": true, "footer": true, "h1": true, "h2": true, "h3": true,
	"h4": true, "h5": true, "h6": true, "header": true, "hr": true,
	"li": true, "main": true, "nav": true, "ol": true, "p": true,
	"pre": true, "section": true, "summary": true, "table": true,
	"tbody": true, "td": true, "tfoot": true, "th": true, "thead": true,
	"tr": true, "ul": true,
}

// tagName returns the lower-case name of the tag that s starts with ("<p",
// "</pre", ...), whether it is a closing tag, and whether s starts with a
// tag at all.
func tagName(s string) (name string, closing, ok bool) {
	if len(s) < 2 || s[0] != '<' {
		return "", false, false
	}
	i := 1
	if s[i] == '/' {
		closing = true
		i++
	}
	j := i
	for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || j > i && s[j] >= '0' && s[j] <= '9') {
		j++
	}
	if j == i {
		return "", false, false
	}
	return strings.ToLower(s[i:j]), closing, true
}

// tagEnd returns the index just past the ">" that ends the tag starting at
// s[0], skipping quoted attribute values, or -1 if it is not closed.
func tagEnd(s string) int {
	var q byte
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '"' || c == '\'':
			q = c
		case c == '>':
			return i + 1
		}
	}
	return -1
}

// fieldHTML removes every raw line break from an HTML field, keeping what
// it shows: "\r" is dropped; inside <pre> "\n" becomes <br>; elsewhere a
// "\n" next to a block-level tag (or at either end of the field) is
// insignificant and dropped, and any other "\n" becomes <br>. A line break
// inside a tag (between attributes) becomes a space.
func fieldHTML(s string) string {
	// "[sound:x]" in a field makes Anki play (and look up) a sound file:
	// flashd's text never means that.
	s = strings.ReplaceAll(s, "[sound:", "&#91;sound:")
	s = strings.ReplaceAll(s, "\r", "")
	if !strings.Contains(s, "\n") {
		return s
	}
	var b strings.Builder
	pre := 0
	blockBefore := true // the field start counts as a block boundary
	for i := 0; i < len(s); {
		c := s[i]
		if c == '<' {
			if name, closing, ok := tagName(s[i:]); ok {
				if end := tagEnd(s[i:]); end > 0 {
					b.WriteString(strings.NewReplacer("\n", " ").Replace(s[i : i+end]))
					if name == "pre" {
						if closing {
							pre = max(pre-1, 0)
						} else {
							pre++
						}
					}
					blockBefore = blockTags[name]
					i += end
					continue
				}
			}
		}
		if c != '\n' {
			b.WriteByte(c)
			blockBefore = false
			i++
			continue
		}
		i++
		switch {
		case pre > 0:
			b.WriteString("<br>")
		case blockBefore || blockAfter(s[i:]):
			// insignificant: between blocks or at the field's ends
		default:
			b.WriteString("<br>")
		}
	}
	return b.String()
}

// blockAfter reports whether rest (what follows a newline) is the end of
// the field or starts with a block-level tag.
func blockAfter(rest string) bool {
	if rest == "" {
		return true
	}
	name, _, ok := tagName(rest)
	return ok && blockTags[name]
}

// quote returns v as one value of a tab-separated row, quoted RFC 4180
// style (quotes doubled) when Anki could otherwise misread it: when it holds
// a tab, a quote or a line break, starts with "#" (a comment at the start
// of a row), is empty, or starts or ends with a space.
func quote(v string) string {
	if v != "" && !strings.ContainsAny(v, "\t\"\n\r") && v[0] != '#' && v[0] != ' ' && v[len(v)-1] != ' ' {
		return v
	}
	return `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
}
