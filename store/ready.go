package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Ready reports whether the database answers on both pools and has every
// migration this binary embeds applied: what a load balancer's readiness
// probe (/readyz) asks before it sends a replica traffic.
func (db *DB) Ready(ctx context.Context) error {
	_, names, err := db.migrationFiles()
	if err != nil {
		return err
	}
	if err := db.rw.PingContext(ctx); err != nil {
		return fmt.Errorf("database (writer): %w", err)
	}
	var applied int
	if err := db.ro.GetContext(ctx, &applied, `SELECT COUNT(*) FROM schema_migrations`); err != nil {
		return fmt.Errorf("database (readers): %w", err)
	}
	if applied < len(names) {
		return fmt.Errorf("database: %d of %d migrations applied", applied, len(names))
	}
	return nil
}

// Pools returns the database's connection pools by name ("write",
// "read"), for exporting their statistics (sql.DBStats).
func (db *DB) Pools() map[string]*sql.DB {
	if db.pg {
		return map[string]*sql.DB{"postgres": db.rw.DB}
	}
	return map[string]*sql.DB{"write": db.rw.DB, "read": db.ro.DB}
}
