package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// runBackup writes a consistent copy of the database, also while a server
// is using it.
func runBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("backup", getenv, stderr)
	dbPath := fs.envString("db", "./flashd.db", "SQLite database file, or a postgres:// URL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: flashd backup [--db FILE] OUT")
	}
	db, err := openExisting(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Backup(ctx, fs.Arg(0)); err != nil {
		return err
	}
	info, err := os.Stat(fs.Arg(0))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup of %s written to %s (%d bytes, integrity ok)\n", *dbPath, fs.Arg(0), info.Size())
	return nil
}
