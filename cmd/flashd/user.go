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

const userUsage = "usage: flashd user add [--db FILE] [--admin] NAME   (password on stdin)\n       flashd user disable|enable [--db FILE] NAME"

// runUser handles "flashd user add [--db FILE] [--admin] NAME", reading the
// password from the first line of stdin, and "flashd user disable|enable
// NAME", which refuses (and ends the sessions of) or allows an account.
func runUser(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "disable" || args[0] == "enable") {
		return runUserDisable(ctx, args[0] == "disable", args[1:], getenv, stdout, stderr)
	}
	if len(args) == 0 || args[0] != "add" {
		return errors.New(userUsage)
	}
	fs := newFlags("user add", getenv, stderr)
	dbPath := fs.envString("db", "./flashd.db", "SQLite database file, or a postgres:// URL")
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

// runUserDisable disables or enables an account as the operator.
func runUserDisable(ctx context.Context, disable bool, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("user", getenv, stderr)
	dbPath := fs.envString("db", "./flashd.db", "SQLite database file, or a postgres:// URL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New(userUsage)
	}
	db, err := openExisting(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.SetDisabled(ctx, nil, fs.Arg(0), disable); err != nil {
		return err
	}
	if disable {
		fmt.Fprintf(stdout, "user %s disabled, sessions ended\n", fs.Arg(0))
	} else {
		fmt.Fprintf(stdout, "user %s enabled\n", fs.Arg(0))
	}
	return nil
}
