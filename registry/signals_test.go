package registry

import (
	"context"
	"testing"
	"time"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ident"
	"github.com/hangzhou-ai/registry/registry/access"
	"github.com/hangzhou-ai/registry/registry/internal/core"
	"github.com/hangzhou-ai/registry/seal"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// replicas opens two registries on one database, as two processes of a
// deployment would be.
func replicas(t *testing.T, db storetest.Database) (a, b *Registry) {
	t.Helper()
	secrets, err := seal.NewSecrets([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	a, err = openMigrated(t, Config{DatabaseURL: db.URL, Secrets: secrets})
	if err != nil {
		t.Fatal(err)
	}
	b, err = openMigrated(t, Config{DatabaseURL: db.URL, Secrets: secrets})
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}

// within polls cond until it holds, failing the test after limit.
func within(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// heardWithin is how soon another process must see a change: at once with
// a notification on PostgreSQL, after at most core.MaxStaleness on SQLite,
// with room for a loaded machine.
const heardWithin = core.MaxStaleness + time.Second

// TestChangesReachOtherProcesses checks that what one process changes and
// another keeps in memory (a valid token, the signing key, the policy) is
// dropped by the other within a second: by notification on PostgreSQL,
// by expiry on SQLite. It also checks that the memory is used, so that the
// signals are what keeps it right.
func TestChangesReachOtherProcesses(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		a, b := replicas(t, db)
		ctx := context.Background()
		admin := core.Principal{Subject: "ops", Org: "admin", Role: "admin"}

		t.Run("revoked token", func(t *testing.T) {
			raw, tok, err := a.IssueToken(ctx, admin, access.NewToken{Subject: "clerk", Org: "bureau:economy-it", Role: "issuer"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := b.Authenticate(ctx, raw); err != nil {
				t.Fatal(err)
			}
			hash, _ := access.ParseToken(raw)
			// Behind the registry's back, with no signal, the other
			// process keeps answering from memory: the cache is real.
			if _, err := b.DB.ExecContext(ctx, storetest.Rebind(db, "UPDATE api_tokens SET organisation = ? WHERE token_hash = ?"), "bureau:cyberspace", hash); err != nil {
				t.Fatal(err)
			}
			if p, err := b.Authenticate(ctx, raw); err != nil || p.Org != "bureau:economy-it" {
				t.Fatalf("right after a silent change: %+v %v, want the remembered principal", p, err)
			}
			if _, err := a.RevokeToken(ctx, admin, tok.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Authenticate(ctx, raw); KindOf(err) != KindUnauthenticated {
				t.Fatalf("the revoking process accepted the token: %v", err)
			}
			within(t, heardWithin, "the other process refusing the revoked token", func() bool {
				_, err := b.Authenticate(ctx, raw)
				return KindOf(err) == KindUnauthenticated
			})
		})

		t.Run("rotated signing key", func(t *testing.T) {
			old, _, err := b.Signer(ctx)
			if err != nil {
				t.Fatal(err)
			}
			kid, err := a.RotateSigningKey(ctx)
			if err != nil || kid == old {
				t.Fatalf("rotate: %s %v", kid, err)
			}
			within(t, heardWithin, "the other process signing with the new key", func() bool {
				got, _, err := b.Signer(ctx)
				return err == nil && got == kid
			})
		})

		t.Run("policy line", func(t *testing.T) {
			if db.Name != "postgres" {
				t.Skip("on SQLite the server is the only process that changes the policy")
			}
			code, err := ident.CompleteCreditCode("91330106MA2PX0001")
			if err != nil {
				t.Fatal(err)
			}
			req := authz.Request{
				Role: authz.RoleTalentAssessor, Org: authz.EnterpriseOrg(code), Object: authz.DesignationObject("talent-recognition"),
				Action: authz.ActRecognize, Owners: []string{authz.EnterpriseOrg(code)},
			}
			if d, err := b.Authz.Decide(req); err != nil || d.Allowed {
				t.Fatalf("before: %+v %v", d, err)
			}
			err = a.InPolicyTx(ctx, func(tx *ent.Tx, pc *core.PolicyChange) error {
				var err error
				pc.Added, err = authz.AddRules(ctx, tx.Client(), []authz.Rule{authz.AuthorizedEnterprise(code)})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if d, err := a.Authz.Decide(req); err != nil || !d.Allowed {
				t.Fatalf("the changing process: %+v %v", d, err)
			}
			within(t, heardWithin, "the other process applying the policy line", func() bool {
				d, err := b.Authz.Decide(req)
				return err == nil && d.Allowed
			})
		})
	})
}

// TestRolledBackChangeSignalsNothing checks that a transaction that
// signals and then fails leaves every cache as it was.
func TestRolledBackChangeSignalsNothing(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		a, _ := replicas(t, db)
		before := a.Signals.Generation(core.TopicTokens)
		err := a.InTx(context.Background(), func(tx *ent.Tx) error {
			if err := a.Signal(context.Background(), tx, core.TopicTokens); err != nil {
				return err
			}
			return core.FailedPrecondition("changed its mind")
		})
		if KindOf(err) != KindFailedPrecondition {
			t.Fatalf("got %v", err)
		}
		if got := a.Signals.Generation(core.TopicTokens); got != before {
			t.Fatalf("generation moved from %d to %d on a rollback", before, got)
		}
	})
}
