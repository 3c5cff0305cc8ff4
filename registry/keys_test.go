package registry

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hangzhou-ai/registry/attest"
	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/registry/audit"
	"github.com/hangzhou-ai/registry/registry/internal/core"
	"github.com/hangzhou-ai/registry/registry/keys"
	"github.com/hangzhou-ai/registry/registry/park"
	"github.com/hangzhou-ai/registry/registry/talent"
	"github.com/hangzhou-ai/registry/seal"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// keysOpen opens a Registry on db with secrets and clock; the error of Open
// is returned, not fatal.
func keysOpen(t *testing.T, db storetest.Database, secrets *seal.Secrets, clock *storetest.Clock) (*Registry, *ent.Client, error) {
	t.Helper()
	reg, err := openMigrated(t, Config{DatabaseURL: db.URL, Secrets: secrets, Clock: clock.Now})
	if err != nil {
		return nil, nil, err
	}
	return reg, reg.DB, nil
}

// TestSecretKeyCheck starts registries on one database with the key it
// was made with and with another: the other is refused (naming the
// fingerprint the database expects), a database made before key check
// values accepts only the key that opens its data, and the check value is
// no form of the key.
func TestSecretKeyCheck(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		ctx := context.Background()
		clock := storetest.NewClock(rekeyToday)
		right, wrong := rekeySecrets(t, 0x41), rekeySecrets(t, 0x42)
		reg, client, err := keysOpen(t, db, right, clock)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := reg.Talents.RegisterTalent(core.WithPrincipal(ctx, rekeyTalent), talent.NewTalent{Name: "陈思远", IDNumber: "11010519491231002X"}); err != nil {
			t.Fatal(err)
		}
		row, err := client.KeyCheck.Get(ctx, keys.KeyCheckID)
		if err != nil {
			t.Fatalf("no key check value after the first start: %v", err)
		}
		if row.Fingerprint != right.Fingerprint() || row.CheckValue == "" || strings.Contains(row.CheckValue, strings.Repeat("41", 8)) {
			t.Fatalf("key check row %+v", row)
		}
		signingKeys := func() int {
			n, err := client.SigningKey.Query().Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		keysBefore := signingKeys()

		// mustRefuse starts with the wrong key; the refusal names its
		// fingerprint and, once the database has a check value, the one
		// it expects.
		mustRefuse := func(t *testing.T, checked bool) {
			t.Helper()
			_, _, err := keysOpen(t, db, wrong, clock)
			if !errors.Is(err, keys.ErrSecretKeyMismatch) {
				t.Fatalf("New with another key: %v, want ErrSecretKeyMismatch", err)
			}
			if !strings.Contains(err.Error(), wrong.Fingerprint()) || checked && !strings.Contains(err.Error(), right.Fingerprint()) {
				t.Errorf("the refusal does not name the fingerprints: %v", err)
			}
		}
		tests := []struct {
			name string
			// prepare changes the database before the two starts.
			prepare func(t *testing.T)
		}{
			{"with a check value", func(*testing.T) {}},
			{"made before check values", func(t *testing.T) {
				if _, err := client.KeyCheck.Delete().Exec(ctx); err != nil {
					t.Fatal(err)
				}
			}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				tc.prepare(t)
				mustRefuse(t, tc.name == "with a check value")
				if n := signingKeys(); n != keysBefore {
					t.Errorf("a refused start changed the signing keys: %d, want %d", n, keysBefore)
				}
				again, _, err := keysOpen(t, db, right, clock)
				if err != nil {
					t.Fatalf("New with the right key: %v", err)
				}
				// The registry with the right key finds the talent by number.
				_, err = again.Talents.RegisterTalent(core.WithPrincipal(ctx, rekeyTalent), talent.NewTalent{Name: "重复", IDNumber: "11010519491231002X"})
				if core.KindOf(err) != core.KindAlreadyExists {
					t.Errorf("registering the known number again: %v, want already exists", err)
				}
				if _, err := client.KeyCheck.Get(ctx, keys.KeyCheckID); err != nil {
					t.Errorf("no key check value after a start with the right key: %v", err)
				}
				// Once stored, the check refuses the other key too.
				mustRefuse(t, true)
			})
		}
	})
}

// forge signs claims with the registry's current signing key, as only the
// registry (or a thief of its key) could.
func forge(t *testing.T, r *Registry, claims attest.Claims) string {
	t.Helper()
	kid, key, err := r.Keys.Signer(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	token, err := attest.Sign(key, kid, claims)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// TestAttestationKeyPeriodAndLifetime signs attestations with the real key
// at times and lifetimes the registry never would, and checks that only
// those issued while their key was current and valid for at most 30 days
// verify, and that withdrawing a key makes everything under it unknown.
func TestAttestationKeyPeriodAndLifetime(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		ctx := context.Background()
		clock := storetest.NewClock(rekeyToday)
		reg, _, err := keysOpen(t, db, rekeySecrets(t, 0x51), clock)
		if err != nil {
			t.Fatal(err)
		}
		claims := func(iat time.Time, lifetime time.Duration) attest.Claims {
			return attest.Claims{
				Issuer: attest.Issuer, Subject: "91330106MA27XK0A1X", ParkCode: "west-lake", EnterpriseCreditCode: "91330106MA27XK0A1X",
				Benefit: "rent-reduction", AsOf: "2026-06-15", Eligible: true, IssuedAt: iat.Unix(), ExpiresAt: iat.Add(lifetime).Unix(),
			}
		}
		created := rekeyToday
		firstKid, _, err := reg.Keys.Signer(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// A day later the first key is retired by a rotation.
		clock.Set(created.Add(24 * time.Hour))
		duringFirst := forge(t, reg, claims(created.Add(time.Hour), park.AttestationLifetime))
		atCreation := forge(t, reg, claims(created, park.AttestationLifetime))
		afterFirst := forge(t, reg, claims(created.Add(25*time.Hour), park.AttestationLifetime))
		forever := forge(t, reg, claims(created.Add(time.Hour), time.Date(2076, 1, 1, 0, 0, 0, 0, time.UTC).Sub(created.Add(time.Hour))))
		retiredAt := clock.Now()
		if _, err := reg.Keys.RotateSigningKey(ctx); err != nil {
			t.Fatal(err)
		}
		clock.Set(retiredAt.Add(2 * time.Hour))
		now := clock.Now()

		tests := []struct {
			name  string
			token string
			want  string
		}{
			{"first key, issued while current", duringFirst, ""},
			{"first key, issued at its creation", atCreation, ""},
			{"first key, issued after its retirement", afterFirst, park.ProblemOutsideKeyPeriod},
			{"first key, expiring in 2076", forever, park.ProblemLifetime},
			{"current key, genuine lifetime", forge(t, reg, claims(now, park.AttestationLifetime)), ""},
			{"current key, 30 days and a second", forge(t, reg, claims(now, park.AttestationLifetime+time.Second)), park.ProblemLifetime},
			{"current key, expiring in 2076", forge(t, reg, claims(now, time.Date(2076, 1, 1, 0, 0, 0, 0, time.UTC).Sub(now))), park.ProblemLifetime},
			{"current key, exp before iat", forge(t, reg, claims(now, -time.Hour)), park.ProblemLifetime},
			{"current key, issued before its creation", forge(t, reg, claims(retiredAt.Add(-time.Minute), park.AttestationLifetime)), park.ProblemOutsideKeyPeriod},
			{"current key, issued in the future", forge(t, reg, claims(now.Add(time.Hour), park.AttestationLifetime)), park.ProblemOutsideKeyPeriod},
			{"current key, issued in 2076", forge(t, reg, claims(time.Date(2076, 1, 1, 0, 0, 0, 0, time.UTC), park.AttestationLifetime)), park.ProblemOutsideKeyPeriod},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				check, err := reg.Parks.VerifyAttestation(ctx, tc.token)
				if err != nil {
					t.Fatal(err)
				}
				if check.Problem != tc.want || check.Valid != (tc.want == "") {
					t.Fatalf("problem %q valid %v, want %q", check.Problem, check.Valid, tc.want)
				}
				if tc.want != "" && !check.SignatureValid {
					t.Errorf("the signature itself is genuine: %+v", check)
				}
			})
		}

		t.Run("withdrawn key", func(t *testing.T) {
			w, err := reg.Keys.WithdrawSigningKey(ctx, rekeyCLI, firstKid)
			if err != nil {
				t.Fatal(err)
			}
			if w.Replacement != "" {
				t.Errorf("withdrawing a retired key made a replacement %s", w.Replacement)
			}
			check, err := reg.Parks.VerifyAttestation(ctx, duringFirst)
			if err != nil || check.Problem != park.ProblemUnknownKey || check.Valid {
				t.Fatalf("attestation under a withdrawn key: %+v %v", check, err)
			}
			keys, err := reg.Keys.SigningKeys(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := keys.Key(firstKid); ok || len(keys.Keys) != 1 {
				t.Errorf("published keys after withdrawal: %+v", keys)
			}
			if _, err := reg.Keys.WithdrawSigningKey(ctx, rekeyCLI, firstKid); core.KindOf(err) != core.KindFailedPrecondition {
				t.Errorf("withdrawing it again: %v, want failed precondition", err)
			}
			if _, err := reg.Keys.WithdrawSigningKey(ctx, rekeyCLI, "no-such-key"); core.KindOf(err) != core.KindNotFound {
				t.Errorf("withdrawing an unknown key: %v, want not found", err)
			}
		})

		t.Run("withdrawing the key that signs", func(t *testing.T) {
			kid, _, err := reg.Keys.Signer(ctx)
			if err != nil {
				t.Fatal(err)
			}
			before := forge(t, reg, claims(clock.Now(), park.AttestationLifetime))
			w, err := reg.Keys.WithdrawSigningKey(ctx, rekeyCLI, kid)
			if err != nil {
				t.Fatal(err)
			}
			if w.Replacement == "" || w.Replacement == kid {
				t.Fatalf("withdrawal %+v: no replacement signing key", w)
			}
			if check, _ := reg.Parks.VerifyAttestation(ctx, before); check.Problem != park.ProblemUnknownKey {
				t.Errorf("attestation under the withdrawn key: %+v", check)
			}
			after := forge(t, reg, claims(clock.Now(), park.AttestationLifetime))
			check, err := reg.Parks.VerifyAttestation(ctx, after)
			if err != nil || !check.Valid || check.KeyID != w.Replacement {
				t.Errorf("attestation after the withdrawal: %+v %v, want valid under %s", check, err, w.Replacement)
			}
			events, _, err := reg.Trail.ListAuditEvents(core.WithPrincipal(ctx, rekeyAuditor), audit.AuditFilter{Entity: "signing-key:" + kid, PageSize: 10})
			if err != nil {
				t.Fatal(err)
			}
			withdrawals := 0
			for _, e := range events {
				if e.Action == "signing-key.withdraw" && e.Subject == rekeyCLI.Subject {
					withdrawals++
				}
			}
			if withdrawals != 1 {
				t.Errorf("%d withdrawal events for %s by %s, want 1: %+v", withdrawals, kid, rekeyCLI.Subject, events)
			}
			if rep, err := reg.Trail.VerifyAuditChain(core.WithPrincipal(ctx, rekeyAuditor)); err != nil || !rep.OK {
				t.Errorf("audit chain: %+v %v", rep, err)
			}
		})
	})
}
