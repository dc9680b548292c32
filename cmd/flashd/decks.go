package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/flashd/flashd/decks"
	"github.com/flashd/flashd/store"
)

// maxDeckBytes is the largest deck file flashd reads.
const maxDeckBytes = 8 << 20

// deckFiles expands paths into the .md files they name: files as given,
// folders walked recursively in name order.
func deckFiles(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			files = append(files, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.EqualFold(filepath.Ext(path), ".md") {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	return files, nil
}

// parseDecks reads and parses every deck under paths. The error lists every
// problem in every file, each as file:line: message.
func parseDecks(ctx context.Context, paths []string) ([]*decks.Deck, error) {
	files, err := deckFiles(paths)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no .md files in %s", strings.Join(paths, " "))
	}
	var (
		ds   []*decks.Deck
		errs decks.ErrorList
	)
	for _, f := range files {
		src, err := readLimited(f)
		if err != nil {
			errs = append(errs, &decks.Error{File: f, Line: 1, Msg: err.Error()})
			continue
		}
		d, err := decks.ParseContext(ctx, f, src, decks.Limits{})
		var list decks.ErrorList
		if errors.As(err, &list) {
			errs = append(errs, list...)
			continue
		}
		if err != nil {
			return nil, err // stopped by a signal
		}
		ds = append(ds, d)
	}
	if err := decks.CheckUnique(ds); err != nil {
		errs = append(errs, err.(decks.ErrorList)...)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return ds, nil
}

func readLimited(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxDeckBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxDeckBytes {
		return nil, fmt.Errorf("file is larger than %d MiB", maxDeckBytes>>20)
	}
	return b, nil
}

// runLint checks decks and prints every problem; it exits 1 when there is
// any. With --quality it also prints the card-quality warnings of
// decks.Quality (and info lines), which do not change the exit status
// unless --strict is given; --strict implies --quality.
func runLint(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("lint", getenv, stderr)
	quality := fs.Bool("quality", false, "also check card quality: answer patterns, enumerations, near-duplicates")
	strict := fs.Bool("strict", false, "exit 1 when there is any quality warning (implies --quality)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("usage: flashd lint [--quality] [--strict] PATH...")
	}
	*quality = *quality || *strict
	ds, err := parseDecks(ctx, fs.Args())
	var list decks.ErrorList
	if errors.As(err, &list) {
		for _, e := range list {
			fmt.Fprintln(stdout, e)
		}
		fmt.Fprintf(stderr, "%d problems\n", len(list))
		return errReported
	}
	if err != nil {
		return err
	}
	warnings := 0
	for _, d := range ds {
		fmt.Fprintf(stdout, "%s: deck %s ok, %d cards\n", d.File, d.ID, len(d.Cards))
		if !*quality {
			continue
		}
		ws := decks.Quality(d, decks.QualityOptions{})
		for _, w := range ws {
			fmt.Fprintln(stdout, w)
		}
		warnings += decks.CountWarnings(ws)
	}
	if *quality {
		plural := "s"
		if warnings == 1 {
			plural = ""
		}
		fmt.Fprintf(stderr, "%d quality warning%s\n", warnings, plural)
	}
	if *strict && warnings > 0 {
		return errReported
	}
	return nil
}

// runImport imports decks into the database. Every deck is checked first:
// if any has a problem, none is imported.
func runImport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("import", getenv, stderr)
	dbPath := fs.envString("db", "./flashd.db", "SQLite database file, or a postgres:// URL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("usage: flashd import [--db FILE] PATH...")
	}
	ds, err := parseDecks(ctx, fs.Args())
	var list decks.ErrorList
	if errors.As(err, &list) {
		for _, e := range list {
			fmt.Fprintln(stderr, e)
		}
		fmt.Fprintln(stderr, "nothing imported")
		return errReported
	}
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, d := range ds {
		res, err := db.ImportDeck(ctx, d, store.ImportOptions{})
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, res)
	}
	return nil
}
