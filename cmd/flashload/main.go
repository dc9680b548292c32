// Command flashload puts review load on a running flashd server over
// loopback, then checks in the server's database that every acknowledged
// rating was saved exactly once.
//
// Usage:
//
//	flashload --server http://127.0.0.1:8080 --db ./flashd.db --learners 64 (--reviews N | --duration D) [--rate R] [--baseline]
//
// It creates (or reuses) learner accounts load-001... in the database,
// gives them a generated deck "flashload" without daily limits, logs each
// in through /login, and has them review through the real pages and forms
// (GET /review, POST /review/{card} with its token, cookies and CSRF
// included) at full speed, or at R reviews per second in all. It prints
// progress every second and ends with one line:
//
//	reviews=12000 ok=12000 errors=0 lost=0 doubled=0 rps=2450.1 p50_ms=3.1 p95_ms=9.8 p99_ms=15.2
//
// where latencies are those of the rating posts, lost counts acknowledged
// ratings missing from the database and doubled counts ratings stored more
// than once. With --baseline it then runs the same rating transactions
// straight on a scratch SQLite database of the same shape in this process
// (no HTTP) and prints baseline_rps=... ratio=... (the server's rps over
// the baseline's).
//
// Every request goes to the loopback address given; any other host is
// refused.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "flashload:", err)
		os.Exit(1)
	}
}
