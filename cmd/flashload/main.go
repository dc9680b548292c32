// Command flashload puts review load on a running flashd server over
// loopback, then checks in the server's database that every acknowledged
// rating was saved exactly once.
//
// Usage:
//
//	flashload --server http://127.0.0.1:8080 --db ./flashd.db --learners 64 (--reviews N | --duration D) [--rate R] [--think D] [--baseline]
//
// It creates (or reuses) learner accounts load-001... in the database,
// gives them a generated deck "flashload" without daily limits, logs each
// in through /login, and has them review as the browser does with htmx:
// the review page is loaded once, then each rating is one POST
// /review/{card} (HX-Request, the CSRF header and the card's token) whose
// answer is the next card's pane. Learners rate at full speed, at R
// reviews per second in all, or after a jittered think time. It prints
// progress every second and ends with one line:
//
//	reviews=12000 ok=12000 errors=0 lost=0 doubled=0 rps=2450.1 p50_ms=3.1 p95_ms=9.8 p99_ms=15.2 requests_per_review=1.05 page_p99_ms=4.0
//
// where latencies are those of the rating posts (which render the next
// card), lost counts acknowledged ratings missing from the database and
// doubled counts ratings stored more than once. With --baseline it then
// runs the raw SQL of the same steps (the rating transaction, then the
// reads of the next card's page) on a scratch database of the same shape
// in this process, with as many workers as learners and no HTTP, and
// prints baseline_rps=... ratio=... (the server's rps over the baseline's).
//
// --db may also be a postgres:// URL: the database that several flashd
// replicas share, with --server the address of the load balancer in front
// of them (then there is no disk probe and no --baseline).
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
