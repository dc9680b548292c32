package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/flashd/flashd/store"
)

// runUser handles "flashd user add [--db FILE] [--admin] NAME", reading the
// password from the first line of stdin.
func runUser(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New("usage: flashd user add [--db FILE] [--admin] NAME   (password on stdin)")
	}
	fs := newFlags("user add", getenv, stderr)
	dbPath := fs.envString("db", "./flashd.db", "SQLite database file")
	admin := fs.Bool("admin", false, "make the user an administrator")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: flashd user add [--db FILE] [--admin] NAME   (password on stdin)")
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read password: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	db, err := store.Open(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := db.CreateUser(ctx, fs.Arg(0), password, *admin, store.SignUpByAdmin)
	if err != nil {
		return err
	}
	role := "member"
	if u.Admin {
		role = "admin"
	}
	fmt.Fprintf(stdout, "user %s added (%s)\n", u.Username, role)
	return nil
}
