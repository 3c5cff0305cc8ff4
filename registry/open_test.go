package registry

import (
	"context"
	"testing"
	"time"
)

// openMigrated migrates the database cfg names and opens a Registry on it,
// closed when the test ends; Open's error is returned, not fatal.
func openMigrated(t testing.TB, cfg Config) (*Registry, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := Migrate(ctx, cfg.DatabaseURL); err != nil {
		t.Fatal(err)
	}
	reg, err := Open(ctx, cfg)
	if err == nil {
		t.Cleanup(func() { reg.Close() })
	}
	return reg, err
}
