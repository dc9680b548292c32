package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/flashd/flashd/decks/anki"
	"github.com/flashd/flashd/store"
)

const importAnkiUsage = "usage: flashd import-anki [--db FILE] [--user NAME [--public]] [--md DIR] FILE.apkg|FILE.colpkg|FILE.txt"

// runImportAnki handles "flashd import-anki": it turns every deck of an
// Anki package (or a "Notes in Plain Text" file) into a flashd deck,
// writes each deck's Markdown into --md DIR, and with --user replays that
// learner's Anki review history, the decks being the learner's private
// decks unless --public.
func runImportAnki(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("import-anki", getenv, stderr)
	dbPath := fs.envString("db", "./flashd.db", "SQLite database file, or a postgres:// URL")
	user := fs.String("user", "", "replay the package's review history for this learner; the decks become theirs")
	public := fs.Bool("public", false, "with --user: make the decks public instead of the learner's private decks")
	mdDir := fs.String("md", ".", "write each deck's Markdown into this folder")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *public && *user == "" {
		return errors.New(importAnkiUsage)
	}
	path := fs.Arg(0)
	coll, err := readAnkiFile(ctx, path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.MkdirAll(*mdDir, 0o755); err != nil {
		return err
	}
	db, err := store.Open(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	var opt store.AnkiImport
	if *user != "" {
		users, err := db.Users(ctx, *user)
		if err != nil {
			return err
		}
		opt.Learner = &users[0]
		if !*public {
			opt.OwnerID = opt.Learner.ID
		}
	}
	res, err := db.ImportAnki(ctx, coll, opt)
	for _, r := range res.Refusals {
		fmt.Fprintf(stderr, "refused: %s\n", r)
	}
	if err != nil {
		return err
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	for _, d := range res.Decks {
		file := filepath.Join(*mdDir, d.Deck+".md")
		if err := os.WriteFile(file, d.Markdown, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s (Anki deck %q, Markdown in %s)", d.ImportResult, d.Name, file)
		if opt.Learner != nil {
			fmt.Fprintf(stdout, ", %d reviews replayed", d.Reviews)
			if d.Kept > 0 {
				fmt.Fprintf(stdout, ", %d left out for cards already studied here", d.Kept)
			}
		}
		if d.Media > 0 {
			fmt.Fprintf(stdout, ", %d media files", d.Media)
		}
		fmt.Fprintln(stdout)
	}
	return nil
}

// readAnkiFile reads an Anki package or notes file; it stops when ctx
// ends (SIGINT, SIGTERM).
func readAnkiFile(ctx context.Context, path string) (*anki.Collection, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return anki.ReadFile(ctx, f, st.Size(), anki.DefaultReadLimits)
}
