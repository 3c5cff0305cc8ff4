// Package registrytest opens a real registry for the programme packages'
// own tests: on a fresh database (storetest), migrated, with a fixed
// secret key and a movable clock. Each programme's service is a field of
// the Registry it returns (reg.Designations, reg.Parks, …).
package registrytest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/hangzhou-ai/registry/checkpoint"
	"github.com/hangzhou-ai/registry/ident"
	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/seal"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// Start is the instant the clock of Open starts at: 2026-06-15, noon in
// China Standard Time.
var Start = time.Date(2026, 6, 15, 4, 0, 0, 0, time.UTC)

// Open migrates db and opens a registry on it, closed when the test ends.
func Open(t testing.TB, db storetest.Database) (*registry.Registry, *storetest.Clock) {
	t.Helper()
	reg, clock, _ := OpenLogged(t, db, zaptest.NewLogger(t))
	return reg, clock
}

// OpenLogged is Open logging to log, and also returns the secrets the
// registry seals with (a fixed test key).
func OpenLogged(t testing.TB, db storetest.Database, log *zap.Logger) (*registry.Registry, *storetest.Clock, *seal.Secrets) {
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
	reg, err := registry.Open(ctx, registry.Config{DatabaseURL: db.URL, Secrets: secrets, Clock: clock.Now, Logger: log.Named("registry"),
		CheckpointSigner: CheckpointSigner(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	return reg, clock, secrets
}

// CheckpointOrigin names the test registries' log.
const CheckpointOrigin = "registry.test/audit"

var checkpointKey = sync.OnceValues(func() (string, error) {
	skey, _, err := checkpoint.GenerateKey(CheckpointOrigin)
	return skey, err
})

// CheckpointSigner is the checkpoint signer of the test registries: one
// key per test binary, so registries reopened on a database keep it.
func CheckpointSigner(t testing.TB) *checkpoint.Signer {
	t.Helper()
	skey, err := checkpointKey()
	if err != nil {
		t.Fatal(err)
	}
	s, err := checkpoint.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// As returns ctx acting as role@org.
func As(ctx context.Context, role, org string) context.Context {
	return registry.WithPrincipal(ctx, registry.Principal{Subject: role + "-test", Org: org, Role: role})
}

// Succeeds stands for "no error" where a table lists the Kind a call must
// fail with.
const Succeeds = registry.Kind(-1)

// Check fails the test unless err is of kind want (no error for
// Succeeds) and, when a field is given, names it among its violations.
func Check(t testing.TB, err error, want registry.Kind, field ...string) {
	t.Helper()
	if want == Succeeds {
		if err != nil {
			t.Fatalf("got %v, want success", err)
		}
		return
	}
	if err == nil || registry.KindOf(err) != want {
		t.Fatalf("got %v (kind %d), want kind %d", err, registry.KindOf(err), want)
	}
	for _, f := range field {
		if f != "" && !slices.Contains(Violated(err), f) {
			t.Fatalf("got %v, want a violation of %s", err, f)
		}
	}
}

// Violated lists the fields an invalid-argument error names, in order;
// nil for any other error.
func Violated(err error) []string {
	var e *registry.Error
	if !errors.As(err, &e) || e.Kind != registry.KindInvalidArgument {
		return nil
	}
	var out []string
	for _, v := range e.Violations {
		out = append(out, v.Field)
	}
	return out
}

// AuditLength is the number of events in reg's audit chain.
func AuditLength(t testing.TB, reg *registry.Registry) int64 {
	t.Helper()
	n, err := reg.AuditChainLength(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// CreditCode completes first17 with its check character.
func CreditCode(t testing.TB, first17 string) string {
	t.Helper()
	code, err := ident.CompleteCreditCode(first17)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// IDNumber completes the first 17 characters of an identity number with
// its check character.
func IDNumber(t testing.TB, first17 string) string {
	t.Helper()
	id, err := ident.CompleteIDNumber(first17)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
