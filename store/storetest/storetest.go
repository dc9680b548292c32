// Package storetest gives tests a fresh, empty database of the engine the
// test run asks for: a SQLite file in the test's temporary directory, or,
// when FLASHD_TEST_POSTGRES holds a PostgreSQL URL, a schema of its own
// in that database (dropped when the test ends), so that the same tests
// run on both engines.
//
//	FLASHD_TEST_POSTGRES=postgres://postgres@127.0.0.1:55432/postgres?sslmode=disable go test ./store ./web ./cmd/...
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// Env is the environment variable that holds the PostgreSQL URL.
const Env = "FLASHD_TEST_POSTGRES"

// Postgres returns the PostgreSQL URL of the test run, or "" when the
// tests run on SQLite.
func Postgres() string { return os.Getenv(Env) }

// Target returns a database for store.Open: a new SQLite file in
// tb.TempDir(), or on PostgreSQL the URL of a new empty schema.
func Target(tb testing.TB) string {
	tb.Helper()
	base := Postgres()
	if base == "" {
		return filepath.Join(tb.TempDir(), "flashd.db")
	}
	return Schema(tb, base)
}

// Schema creates an empty schema in the PostgreSQL database at base and
// returns base's URL with that schema as its search path; the schema is
// dropped when the test ends.
func Schema(tb testing.TB, base string) string {
	tb.Helper()
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("%s: %v", Env, err)
	}
	b := make([]byte, 8)
	rand.Read(b)
	name := "test_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(context.Background(), `CREATE SCHEMA `+name); err != nil {
		tb.Fatalf("%s: create schema: %v", Env, err)
	}
	tb.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			tb.Error(err)
			return
		}
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+name+` CASCADE`); err != nil {
			tb.Errorf("drop schema %s: %v", name, err)
		}
	})
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}
