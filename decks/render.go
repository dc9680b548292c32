package decks

import (
	"bytes"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"
)

var (
	// markdown renders CommonMark plus GitHub's tables, strikethrough,
	// autolinks and task lists. Raw HTML passes through goldmark and is
	// then cleaned by policy, so harmless tags such as <br> or <sub> work.
	markdown = goldmark.New(
		goldmark.WithExtensions(extension.GFM),
		goldmark.WithRendererOptions(html.WithUnsafe()),
	)
	policy = newPolicy()
)

// newPolicy is bluemonday's policy for user-generated content, plus the
// classes flashd's own markup uses. It drops script, style, iframes, forms,
// event handlers and javascript: URLs.
func newPolicy() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^language-[\w+#.-]+$`)).OnElements("code")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^(cloze|cue)$`)).OnElements("span", "p")
	p.RequireNoReferrerOnLinks(true)
	return p
}

// sanitize cleans rendered HTML. The id attributes a deck may set, and
// the links to them, get a "d-" prefix, so that a card cannot take the id
// of an element of the page around it (htmx swaps the review pane by its
// id). The policy writes every attribute as name="value" and escapes
// quotes in text, so the replacement only meets attributes.
func sanitize(s string) string { return deckIDs.Replace(policy.Sanitize(s)) }

var deckIDs = strings.NewReplacer(` id="`, ` id="d-`, ` href="#`, ` href="#d-`)

// renderBlockRaw renders Markdown without sanitising; callers sanitise the
// final HTML.
func renderBlockRaw(src string) string {
	var b bytes.Buffer
	if err := markdown.Convert([]byte(src), &b); err != nil {
		// goldmark only fails when the writer does; a bytes.Buffer does not.
		panic(err)
	}
	return b.String()
}

// renderBlock renders Markdown to sanitised HTML.
func renderBlock(src string) string { return sanitize(renderBlockRaw(src)) }

// renderInlineRaw renders one line of Markdown without its paragraph.
func renderInlineRaw(src string) string {
	out := strings.TrimSpace(renderBlockRaw(src))
	if strings.HasPrefix(out, "<p>") && strings.HasSuffix(out, "</p>") && strings.Count(out, "<p>") == 1 {
		out = out[len("<p>") : len(out)-len("</p>")]
	}
	return out
}

// renderInline renders one line of Markdown, such as a heading, to
// sanitised HTML without a wrapping paragraph.
func renderInline(src string) string { return sanitize(renderInlineRaw(src)) }
