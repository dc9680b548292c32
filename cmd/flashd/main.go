// Command flashd is a self-hosted spaced-repetition flashcard server.
//
// Usage:
//
//	flashd [serve]  [--addr 127.0.0.1:8080] [--db ./flashd.db]
//	flashd import   [--db FILE] PATH...
//	flashd lint     [--quality] [--strict] PATH...
//	flashd export   [--db FILE] --deck ID [--format anki-csv|apkg] [--user NAME] [-o FILE]
//	flashd import-anki [--db FILE] [--user NAME [--public]] [--md DIR] FILE.apkg|FILE.colpkg|FILE.txt
//	flashd user add [--db FILE] [--admin] NAME   (password on stdin)
//	flashd user disable|enable [--db FILE] NAME
//	flashd backup   [--db FILE] OUT
//	flashd optimize [--db FILE] [--user NAME]
//	flashd healthcheck [--addr 127.0.0.1:8080] [--path /readyz]
//
// Every flag falls back to an environment variable (FLASHD_ADDR, FLASHD_DB).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // learners' time zones work on hosts without zoneinfo
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, errReported) {
			fmt.Fprintln(os.Stderr, "flashd:", err)
		}
		os.Exit(1)
	}
}

// errReported ends a command that has already told the user what is wrong
// (lint found problems): exit 1 without another message.
var errReported = errors.New("problems reported")

const usage = `usage:
  flashd [serve]  [--addr 127.0.0.1:8080] [--db ./flashd.db]
  flashd import   [--db FILE] PATH...
  flashd lint     [--quality] [--strict] PATH...
  flashd export   [--db FILE] --deck ID [--format anki-csv|apkg] [--user NAME] [-o FILE]
  flashd import-anki [--db FILE] [--user NAME [--public]] [--md DIR] FILE.apkg|FILE.colpkg|FILE.txt
  flashd user add [--db FILE] [--admin] NAME   (password on stdin)
  flashd user disable|enable [--db FILE] NAME
  flashd backup   [--db FILE] OUT
  flashd optimize [--db FILE] [--user NAME]
  flashd healthcheck [--addr 127.0.0.1:8080] [--path /readyz]
serve also takes --metrics ADDR (Prometheus, loopback), --log-format text|json,
--pprof ADDR and --trust-proxy 1.
Flags fall back to FLASHD_ADDR and FLASHD_DB.`

// run is the whole program, with its surroundings passed in so tests can
// call it.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return runServe(ctx, args, getenv, stdout, stderr)
	case "import":
		return runImport(ctx, args, getenv, stdout, stderr)
	case "lint":
		return runLint(ctx, args, getenv, stdout, stderr)
	case "export":
		return runExport(ctx, args, getenv, stdout, stderr)
	case "import-anki":
		return runImportAnki(ctx, args, getenv, stdout, stderr)
	case "backup":
		return runBackup(ctx, args, getenv, stdout, stderr)
	case "optimize":
		return runOptimize(ctx, args, getenv, stdout, stderr)
	case "user":
		return runUser(ctx, args, getenv, stdin, stdout, stderr)
	case "healthcheck":
		return runHealthcheck(ctx, args, getenv, stdout, stderr)
	case "help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, usage)
}
