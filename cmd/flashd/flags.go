package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/flashd/flashd/store"
)

// newFlags returns a flag set for a subcommand whose flags fall back to
// FLASHD_* environment variables.
func newFlags(name string, getenv func(string) string, stderr io.Writer) *flagSet {
	fs := flag.NewFlagSet("flashd "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return &flagSet{FlagSet: fs, getenv: getenv}
}

type flagSet struct {
	*flag.FlagSet
	getenv func(string) string
}

// envString defines a string flag whose default comes from FLASHD_<NAME>
// when that is set.
func (f *flagSet) envString(name, def, help string) *string {
	env := "FLASHD_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
	if v := f.getenv(env); v != "" {
		def = v
	}
	return f.String(name, def, fmt.Sprintf("%s (env %s)", help, env))
}

// envBool defines a boolean flag whose default is true when
// FLASHD_<NAME> is 1 or true.
func (f *flagSet) envBool(name, help string) *bool {
	env := "FLASHD_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
	v := f.getenv(env)
	return f.Bool(name, v == "1" || v == "true", fmt.Sprintf("%s (env %s=1)", help, env))
}

// openExisting opens a database that must already exist: commands that
// read one should not create an empty file by mistake.
func openExisting(ctx context.Context, path string) (*store.DB, error) {
	if store.IsPostgres(path) {
		return store.Open(ctx, path)
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	return store.Open(ctx, path)
}
