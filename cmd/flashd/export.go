package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/flashd/flashd/decks/anki"
	"github.com/flashd/flashd/store"
)

const exportUsage = "usage: flashd export [--db FILE] --deck ID [--format anki-csv|apkg] [--user NAME] [-o FILE]"

// runExport writes a deck as an Anki CSV (its content) or an .apkg (its
// content and media and, with --user, that learner's progress and review
// history) to stdout or to -o FILE.
func runExport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("export", getenv, stderr)
	dbPath := fs.envString("db", "./flashd.db", "SQLite database file, or a postgres:// URL")
	deckID := fs.String("deck", "", "id of the deck to export")
	format := fs.String("format", "anki-csv", "output format: anki-csv or apkg")
	user := fs.String("user", "", "apkg: include this learner's progress and review history")
	out := fs.String("o", "", "write to this file instead of stdout")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *deckID == "" || fs.NArg() > 0 {
		return errors.New(exportUsage)
	}
	switch *format {
	case "anki-csv":
		if *user != "" {
			return errors.New("--user needs --format apkg: a CSV carries no progress")
		}
	case "apkg":
	default:
		return fmt.Errorf("unknown format %q: use anki-csv or apkg", *format)
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
	var buf bytes.Buffer
	var media []string
	if *format == "apkg" {
		var learner *store.User
		if *user != "" {
			users, err := db.Users(ctx, *user)
			if err != nil {
				return err
			}
			learner = &users[0]
		}
		e, err := db.AnkiExport(ctx, d, learner)
		if err != nil {
			return err
		}
		if err := anki.WritePackage(&buf, e); err != nil {
			return err
		}
		media = anki.PackageMediaWarnings(e)
	} else {
		deck, err := db.AnkiDeck(ctx, d)
		if err != nil {
			return err
		}
		if err := anki.Write(&buf, deck); err != nil {
			return err
		}
		media = anki.MediaWarnings(deck)
	}
	for _, w := range media {
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
