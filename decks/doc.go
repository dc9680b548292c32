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
package decks
