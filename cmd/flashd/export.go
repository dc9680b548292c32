package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/flashd/flashd/decks/anki"
)

// runExport writes a deck as an Anki CSV to stdout or to -o FILE.
func runExport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("export", getenv, stderr)
	dbPath := fs.envString("db", "./flashd.db", "SQLite database file")
	deckID := fs.String("deck", "", "id of the deck to export")
	format := fs.String("format", "anki-csv", "output format (only anki-csv)")
	out := fs.String("o", "", "write to this file instead of stdout")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *deckID == "" || fs.NArg() > 0 {
		return errors.New("usage: flashd export [--db FILE] --deck ID [--format anki-csv] [-o FILE]")
	}
	if *format != "anki-csv" {
		return fmt.Errorf("unknown format %q: the only format is anki-csv", *format)
	}
	db, err := openExisting(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	d, err := db.OperatorDeck(ctx, *deckID)
	if err != nil {
		return err
	}
	deck, err := db.AnkiDeck(ctx, d)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := anki.Write(&buf, deck); err != nil {
		return err
	}
	for _, w := range anki.MediaWarnings(deck) {
		fmt.Fprintf(stderr, "warning: deck %s: %s\n", d.Slug, w)
	}
	if *out == "" {
		_, err = stdout.Write(buf.Bytes())
		return err
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "deck %s: %d cards written to %s\n", d.Slug, d.Cards, *out)
	return nil
}
