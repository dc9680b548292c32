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
	dbPath := fs.envString("db", "./flashd.db", "SQLite database file, or a postgres:// URL")
	pprofAddr := fs.envString("pprof", "", "serve Go's profiler on this address (loopback only; off when empty)")
	trustProxy := fs.envString("trust-proxy", "", "set to 1 behind a reverse proxy on a loopback or private address: client addresses come from X-Forwarded-For")
	metricsAddr := fs.envString("metrics", "", "serve Prometheus metrics at /metrics on this address (loopback only; off when empty)")
	logFormat := fs.envString("log-format", "text", "log lines as text (key=value) or json")
	noCheckpoint := fs.envBool("no-checkpoint", "leave SQLite's checkpoints to Litestream (or another program that copies the WAL and checkpoints it)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve takes no arguments, got %q", fs.Args())
	}
	log, err := newLogger(*logFormat, stderr)
	if err != nil {
		return err
	}
	if *pprofAddr != "" {
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		if err := serveLoopback("pprof", *pprofAddr, "127.0.0.1:6060", mux, log); err != nil {
			return err
		}
	}

	db, err := store.OpenWith(ctx, *dbPath, store.Options{NoCheckpoint: *noCheckpoint})
	if err != nil {
		return err
	}
	defer db.Close()
	builtin, err := decks.Builtin()
	if err != nil {
		return fmt.Errorf("built-in decks: %w", err)
	}
	err = db.ImportBuiltin(ctx, builtin, func(res store.ImportResult, err error) error {
		switch {
		case store.ErrorCode(err) == store.EConflict:
			// A user's deck took the id first: serve without this one
			// rather than not at all.
			log.Warn("built-in deck not imported", "deck", res.Deck, "err", err)
		case err != nil:
			return err
		case res.Superseded:
			log.Warn("built-in deck left as it is: the database has a newer version of it than this binary", "deck", res.Deck)
		case !res.Skipped:
			log.Info("imported built-in deck", "result", res.String())
		}
		return nil
	})
	if err != nil {
		return err
	}

	srv, err := web.New(db, log, web.Options{TrustProxy: *trustProxy == "1" || *trustProxy == "true"})
	if err != nil {
		return err
	}
	if *metricsAddr != "" {
		mux := http.NewServeMux()
		mux.Handle("/metrics", srv.Metrics())
		if err := serveLoopback("metrics", *metricsAddr, "127.0.0.1:9464", mux, log); err != nil {
			return err
		}
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
	fmt.Fprintf(stdout, "flashd listening on http://%s (database %s)\n", ln.Addr(), store.Redact(*dbPath))

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

// newLogger returns the server's logger, writing text (key=value) or JSON
// lines.
func newLogger(format string, w io.Writer) (*slog.Logger, error) {
	switch format {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	}
	return nil, fmt.Errorf("--log-format %q: give text or json", format)
}

// serveLoopback serves h on a loopback address, for the operator's tools
// (the profiler, Prometheus): what they show is not for the public
// address. example is an address to suggest when addr is not one.
func serveLoopback(flagName, addr, example string, h http.Handler, log *slog.Logger) error {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
		return fmt.Errorf("--%s %q: give a loopback address such as %s", flagName, addr, example)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	log.Info(flagName+" listening", "addr", ln.Addr().String())
	go http.Serve(ln, h)
	return nil
}
