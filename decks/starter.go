package decks

import _ "embed"

// Starter is a small valid deck with a card of every kind and type, for a
// new deck's editor to start from.
//
//go:embed starter.md
var Starter string
