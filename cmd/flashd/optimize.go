package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/flashd/flashd/store"
)

// runOptimize handles "flashd optimize [--db FILE] [--user NAME]": it fits
// the FSRS weights of one learner (or of every learner, one after the
// other) to their review log, adopts them where they predict the newest
// reviews better, and prints the figures.
func runOptimize(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("optimize", getenv, stderr)
	dbPath := fs.envString("db", "./flashd.db", "SQLite database file, or a postgres:// URL")
	user := fs.String("user", "", "the learner to optimize (default: every learner)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return errors.New("usage: flashd optimize [--db FILE] [--user NAME]")
	}
	db, err := store.Open(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	var names []string
	if *user != "" {
		names = append(names, *user)
	}
	users, err := db.Users(ctx, names...)
	if err != nil {
		return err
	}
	for i := range users {
		u := &users[i]
		o, err := db.Optimize(ctx, u, nil)
		if err != nil {
			return fmt.Errorf("optimize %s: %w", u.Username, err)
		}
		fmt.Fprintf(stdout, "%s: %s, %d long-term reviews\n", u.Username, o.State, o.Reviews)
		if o.Evaluated() {
			fmt.Fprintf(stdout, "  held out %d of them: log loss %.4f -> %.4f, RMSE(bins) %.4f -> %.4f, AUC %.4f -> %.4f\n",
				o.Test, o.BeforeLogLoss, o.AfterLogLoss, o.BeforeRMSE, o.AfterRMSE, o.BeforeAUC, o.AfterAUC)
			fmt.Fprintf(stdout, "  parameters %s\n", o.ParamsAfter)
		}
		fmt.Fprintf(stdout, "  %s\n", o.Message)
		if o.OptimalRetention > 0 {
			fmt.Fprintf(stdout, "  optimal retention %.2f (desired retention now %.2f)\n", o.OptimalRetention, u.Retention)
		}
	}
	return nil
}
