// Package decks defines the flashd deck format (v1): it parses and lints
// Markdown decks, renders their cards to sanitised HTML, and embeds the
// built-in decks. It does no I/O beyond what its callers hand it and never
// imports the store or the web server.
//
// # Format
//
// A deck is one UTF-8 Markdown file:
//
//	---
//	id: aws-dva-c02-containers        # required: stable slug, [a-z0-9-], at most 64 characters
//	title: "AWS DVA-C02 1.6: Containers" # required
//	description: Optional one-liner.
//	tags: [aws, dva-c02]              # optional; letters, digits, - _ :
//	---
//
//	## Key takeaways
//
//	### What does a task definition describe? {#task-definition}
//	The blueprint of a task: image, CPU and memory, ports, environment,
//	logging and the two IAM roles.
//
//	### ECR push flow {#ecr-push-cloze}
//	Authenticate with {{c1::aws ecr get-login-password::command}} piped to
//	`docker login`, then {{c2::docker tag}} the image and {{c3::docker push}} it.
//
//	## Traps
//
//	### An image pull fails before your code runs: which role?
//	The **task execution role**, not the task role.
//
//	## Scenarios
//
//	### A task cannot pull its image from ECR. Which role is misconfigured?
//	- [ ] The task role
//	- [x] The task execution role
//	- [ ] The EC2 instance profile
//
//	The execution role lets the agent pull images and write logs.
//
// Rules:
//
//   - Front matter is YAML between two "---" lines at the very top. Unknown
//     fields are errors.
//   - A "##" heading starts a section. "Key takeaways", "Traps" and
//     "Scenarios" (case-insensitive) give their cards the kind takeaway,
//     trap and scenario; any other section is a plain topic (kind topic).
//     Cards before the first section are topics too.
//   - A "###" heading starts a card: the heading is the front, the body up to
//     the next "##" or "###" heading is the back. Headings inside fenced code
//     blocks do not count; "####" and deeper headings belong to the body.
//     Every card needs a front and a back, and fronts are unique in a deck
//     (compared case- and space-insensitively).
//   - Non-blank text that is not inside a card (between the front matter and
//     the first card, or between a section heading and its first card) is an
//     error, and so is a "#" heading: the title lives in the front matter.
//   - A card in the Scenarios section is multiple choice. Its body holds
//     optional context (shown with the question), then a task list of
//     options, one line each ("- [ ] wrong", "- [x] right"; at least two,
//     at most eight, at least one right), then the explanation (shown after
//     answering; optional).
//   - Cloze: "{{c1::text}}" or "{{c1::text::hint}}" in a card body, Anki's
//     syntax. Each cloze number gives one card: its deletions are hidden as
//     "[...]" (or "[hint]") and every other deletion is shown. The heading is
//     the cue shown above the text. Numbers start at 1; a cloze must be
//     closed and not empty; clozes are not allowed in headings or in
//     scenario cards.
//   - Card keys: "{#key}" at the end of a heading ([a-z0-9][a-z0-9_-]*) names
//     a card for good; otherwise the key is derived from the front text. Keys
//     are unique in a deck. Cloze cards get "KEY/cN".
//   - Markdown is CommonMark with GitHub tables, strikethrough, autolinks and
//     task lists. It is rendered to HTML once, at import, and sanitised: no
//     script, event handlers, javascript: links, iframes, forms or styles
//     survive; code blocks, tables, images and links do.
//
// Every problem is reported as "file:line: message" and a deck with any
// problem is rejected whole.
//
// HTML comments ("<!-- source: https://... -->") may stand anywhere in a
// card body, for example a line at its end naming the source of its facts:
// the sanitiser removes them, so learners never see them and adding one
// changes no card's content hash. In a scenario card put the comment after
// the options (it is then part of the explanation), not before them.
//
// # Quality rules
//
// A deck can be valid and still teach badly: answerable from the form of
// its cards, or asking several facts at once. Quality (and "flashd lint
// --quality", which exits 1 on a warning only with --strict) reports these
// as "file:line: warning: message"; thresholds are in QualityOptions and
// the Default* constants:
//
//   - Positions (info, at the id line): how many correct options stand at
//     each position A, B, C... over the deck's scenario cards.
//   - Position: one position holds more than half (DefaultPositionMax) of
//     the correct options. Reorder the options in the source; readers
//     other than the review page (the deck page, the Anki export) show the
//     authored order.
//   - Longest: the correct option is strictly the longest (in characters)
//     in more than half (DefaultLongestMax) of the scenario cards.
//   - Yes/no: more than 80% (DefaultYesNoMax) of the basic cards whose
//     answer starts with "Yes" or "No" (after any emphasis, followed by
//     punctuation: "No.", "**Yes** —") give the same answer: make some
//     statements true, or ask "which...?" instead.
//   - Enumeration: a basic card's answer has more than 4 list items
//     (DefaultMaxListItems; a table counts its body cells beyond the first
//     column) or more than 4 sentences (DefaultMaxSentences), or a cloze
//     note has more than 4 sentences. Split it into one card per fact or a
//     cloze per item. Scenario explanations are not counted.
//   - Duplicate: two notes (the cloze cards of one note count once) whose
//     fronts, or whose backs, are near-duplicates, reported at the later
//     card with the line of the earlier. Texts are compared as sets of
//     word triples (3-shingles of lower-cased letters and digits; HTML
//     comments, cloze markup and link targets dropped; texts under 5 words
//     are not compared): a pair is near-duplicate when its Jaccard
//     similarity is at least 0.5 (DefaultSimilarity), or when at least 80%
//     (DefaultContainment) of the shorter text's triples appear in the
//     longer one and the Jaccard similarity is at least 0.2
//     (DefaultMinJaccard), as when a trap restates a takeaway's answer.
//     The check compares every pair that shares a triple; decks of more
//     than 5,000 notes (DefaultMaxPairCards) skip it with an info line.
//
// Deck-wide rules (position, longest, yes/no) judge only decks with at
// least 4 cards of their kind (DefaultMinCards).
package decks
