package rpc_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hangzhou-ai/registry/attest"
	"github.com/hangzhou-ai/registry/registry"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// TestAttestationCanonicalEncoding sends a genuine attestation in
// spellings a lenient decoder reads as the same bytes: every one answers
// non_canonical, distinct from malformed and bad_signature, and the
// genuine spelling stays valid.
func TestAttestationCanonicalEncoding(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newParkFixture(t, db)
		public := f.env.ClientsWithToken("")
		token := f.verify(t, "rent-reduction", "2026-06-15").Attestation
		parts := strings.Split(token, ".")
		sig := parts[2]
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		// The signature's last character has spare bits; set the lowest.
		spare := sig[:len(sig)-1] + string(alphabet[strings.IndexByte(alphabet, sig[len(sig)-1])^1])
		header, _ := base64.RawURLEncoding.DecodeString(parts[0])
		spacedHeader := base64.RawURLEncoding.EncodeToString([]byte(strings.ReplaceAll(string(header), `":"`, `": "`)))
		tests := []struct{ name, token, want string }{
			{"genuine", token, ""},
			{"spare bits of the signature set", parts[0] + "." + parts[1] + "." + spare, "non_canonical"},
			{"leading space", " " + token, "non_canonical"},
			{"trailing newline", token + "\n", "non_canonical"},
			{"space inside", parts[0] + "." + parts[1] + " ." + parts[2], "non_canonical"},
			{"padding", token + "==", "non_canonical"},
			{"header re-spaced", spacedHeader + "." + parts[1] + "." + parts[2], "non_canonical"},
			{"signature of other bytes", parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 64)), "bad_signature"},
			{"not base64", parts[0] + "." + parts[1] + ".*", "malformed"},
		}
		if std := strings.NewReplacer("-", "+", "_", "/").Replace(token); std != token {
			// Only a token spelt with - or _ has another spelling in the
			// standard alphabet (the attest package's test makes sure of one).
			tests = append(tests, struct{ name, token, want string }{"standard base64 alphabet", std, "non_canonical"})
		}
		if spare == sig {
			t.Fatal("the spare-bit spelling equals the signature")
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				res, err := public.Verification.VerifyAttestation(t.Context(), &registryv1.VerifyAttestationRequest{Token: tc.token})
				if err != nil {
					t.Fatal(err)
				}
				if res.Problem != tc.want || res.Valid != (tc.want == "") {
					t.Fatalf("problem %q valid %v, want %q", res.Problem, res.Valid, tc.want)
				}
				if tc.want == "non_canonical" && (res.SignatureValid || res.Claims != nil) {
					t.Errorf("a non-canonical token had its signature or claims read: %+v", res)
				}
			})
		}
	})
}

// TestSigningKeyWithdrawal publishes each key's active period, then
// withdraws first a retired and then the current signing key: attestations
// under either answer unknown_key, neither is published any more, and the
// registry signs on with a key made in the same step.
func TestSigningKeyWithdrawal(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newParkFixture(t, db)
		ctx := t.Context()
		public := f.env.ClientsWithToken("")
		admin := registry.Principal{Subject: "registryd:test", Org: "admin", Role: "admin"}
		problem := func(token string) string {
			t.Helper()
			res, err := public.Verification.VerifyAttestation(ctx, &registryv1.VerifyAttestationRequest{Token: token})
			if err != nil {
				t.Fatal(err)
			}
			return res.Problem
		}
		kidOf := func(token string) string {
			t.Helper()
			// Against no keys, verification stops at the key, having read
			// the kid.
			v, err := attest.Verify(token, attest.KeySet{}, f.env.Clock.Now())
			if !errors.Is(err, attest.ErrUnknownKey) {
				t.Fatal(err)
			}
			return v.KeyID
		}
		published := func() (rpcKeys map[string]*registryv1.SigningKey, jwks map[string]attest.Key) {
			t.Helper()
			res, err := public.Verification.GetSigningKeys(ctx, &registryv1.GetSigningKeysRequest{})
			if err != nil {
				t.Fatal(err)
			}
			rpcKeys = map[string]*registryv1.SigningKey{}
			for _, k := range res.Keys {
				rpcKeys[k.Kid] = k
			}
			hr, err := http.Get(f.env.URL + "/.well-known/jwks.json")
			if err != nil {
				t.Fatal(err)
			}
			defer hr.Body.Close()
			var set attest.KeySet
			if err := json.NewDecoder(hr.Body).Decode(&set); err != nil {
				t.Fatal(err)
			}
			jwks = map[string]attest.Key{}
			for _, k := range set.Keys {
				jwks[k.KeyID] = k
			}
			return rpcKeys, jwks
		}

		first := f.verify(t, "rent-reduction", "2026-06-15").Attestation
		firstKid := kidOf(first)
		f.env.Clock.Set(rpctest.Start.Add(time.Hour))
		if _, err := f.env.Registry.RotateSigningKey(ctx); err != nil {
			t.Fatal(err)
		}
		second := f.verify(t, "rent-reduction", "2026-06-15").Attestation
		secondKid := kidOf(second)

		t.Run("active periods published", func(t *testing.T) {
			rpcKeys, jwks := published()
			start, rotated := rpctest.Start.Unix(), rpctest.Start.Unix()+3600
			if k := rpcKeys[firstKid]; k == nil || k.ActiveFrom != start || k.ActiveUntil != rotated {
				t.Errorf("GetSigningKeys, first key: %+v", k)
			}
			if k := rpcKeys[secondKid]; k == nil || k.ActiveFrom != rotated || k.ActiveUntil != 0 {
				t.Errorf("GetSigningKeys, second key: %+v", k)
			}
			if k := jwks[firstKid]; k.ActiveFrom != start || k.ActiveUntil != rotated {
				t.Errorf("jwks, first key: %+v", k)
			}
			for _, tok := range []string{first, second} {
				if p := problem(tok); p != "" {
					t.Errorf("before any withdrawal: %q", p)
				}
			}
		})

		t.Run("retired key withdrawn", func(t *testing.T) {
			w, err := f.env.Registry.WithdrawSigningKey(ctx, admin, firstKid)
			if err != nil || w.Replacement != "" {
				t.Fatalf("withdraw: %+v %v", w, err)
			}
			if p := problem(first); p != "unknown_key" {
				t.Errorf("attestation under the withdrawn key: %q, want unknown_key", p)
			}
			if p := problem(second); p != "" {
				t.Errorf("attestation under the current key: %q", p)
			}
			rpcKeys, jwks := published()
			if _, ok := rpcKeys[firstKid]; ok {
				t.Error("GetSigningKeys still publishes the withdrawn key")
			}
			if _, ok := jwks[firstKid]; ok {
				t.Error("jwks still publishes the withdrawn key")
			}
		})

		t.Run("current key withdrawn", func(t *testing.T) {
			w, err := f.env.Registry.WithdrawSigningKey(ctx, admin, secondKid)
			if err != nil || w.Replacement == "" {
				t.Fatalf("withdraw: %+v %v", w, err)
			}
			if p := problem(second); p != "unknown_key" {
				t.Errorf("attestation under the withdrawn key: %q, want unknown_key", p)
			}
			third := f.verify(t, "rent-reduction", "2026-06-15").Attestation
			if kid := kidOf(third); kid != w.Replacement {
				t.Errorf("signed with %s after the withdrawal, want the replacement %s", kid, w.Replacement)
			}
			if p := problem(third); p != "" {
				t.Errorf("attestation after the withdrawal: %q", p)
			}
			rpcKeys, _ := published()
			if len(rpcKeys) != 1 || rpcKeys[w.Replacement] == nil {
				t.Errorf("published after both withdrawals: %v", rpcKeys)
			}
		})
	})
}
