package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/flashd/flashd/decks"
	"github.com/flashd/flashd/store"
	"github.com/flashd/flashd/web"
)

// shutdownGrace is how long in-flight requests get to finish after
// SIGINT or SIGTERM.
const shutdownGrace = 10 * time.Second

// runServe opens the database, imports the built-in decks that changed,
// and serves until ctx is cancelled.
func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", getenv, stderr)
	addr := fs.envString("addr", "127.0.0.1:8080", "address to listen on")
	dbPath := fs.envString("db", "./flashd.db", "SQLite database file")
	pprofAddr := fs.envString("pprof", "", "serve Go's profiler on this address (loopback only; off when empty)")
	trustProxy := fs.envString("trust-proxy", "", "set to 1 behind a reverse proxy on a loopback or private address: client addresses come from X-Forwarded-For")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve takes no arguments, got %q", fs.Args())
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if *pprofAddr != "" {
		if err := servePprof(*pprofAddr, log); err != nil {
			return err
		}
	}

	db, err := store.Open(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	builtin, err := decks.Builtin()
	if err != nil {
		return fmt.Errorf("built-in decks: %w", err)
	}
	for _, d := range builtin {
		res, err := db.ImportDeck(ctx, d, store.ImportOptions{Builtin: true})
		if store.ErrorCode(err) == store.EConflict {
			// A user's deck took the id first: serve without this one
			// rather than not at all.
			log.Warn("built-in deck not imported", "deck", d.ID, "err", err)
			continue
		}
		if err != nil {
			return err
		}
		if !res.Skipped {
			log.Info("imported built-in deck", "result", res.String())
		}
	}

	srv, err := web.New(db, log, web.Options{TrustProxy: *trustProxy == "1" || *trustProxy == "true"})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(stdout, "flashd listening on http://%s (database %s)\n", ln.Addr(), *dbPath)

	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// servePprof serves net/http/pprof on a loopback address, for finding
// where a busy server spends its time.
func servePprof(addr string, log *slog.Logger) error {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
		return fmt.Errorf("--pprof %q: give a loopback address such as 127.0.0.1:6060", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	log.Info("profiler listening", "addr", ln.Addr().String())
	go http.Serve(ln, mux)
	return nil
}
