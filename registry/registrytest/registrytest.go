// Package registrytest opens a real registry for the programme packages'
// own tests: on a fresh database (storetest), migrated, with a fixed
// secret key and a movable clock. Each programme's service is a field of
// the Registry it returns (reg.Designations, reg.Parks, …).
package registrytest

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/seal"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// Start is the instant the clock of Open starts at: 2026-06-15, noon in
// China Standard Time (the same day the rpc tests start on).
var Start = time.Date(2026, 6, 15, 4, 0, 0, 0, time.UTC)

// Open migrates db and opens a registry on it, closed when the test ends.
func Open(t testing.TB, db storetest.Database) (*registry.Registry, *storetest.Clock) {
	t.Helper()
	secrets, err := seal.NewSecrets([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := registry.Migrate(ctx, db.URL); err != nil {
		t.Fatal(err)
	}
	clock := storetest.NewClock(Start)
	reg, err := registry.Open(ctx, registry.Config{DatabaseURL: db.URL, Secrets: secrets, Clock: clock.Now, Logger: zaptest.NewLogger(t).Named("registry")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	return reg, clock
}

// As returns ctx acting as role@org.
func As(ctx context.Context, role, org string) context.Context {
	return registry.WithPrincipal(ctx, registry.Principal{Subject: role + "-test", Org: org, Role: role})
}
