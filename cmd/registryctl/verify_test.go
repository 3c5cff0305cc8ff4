package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hangzhou-ai/registry/attest"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// runVerify runs `registryctl verify ARGS...` with the clock now and no
// environment.
func runVerify(args []string, stdin io.Reader, stdout, stderr io.Writer, now func() time.Time) error {
	inv := &invocation{ctx: context.Background(), getenv: func(string) string { return "" }, stdin: stdin, stdout: stdout, stderr: stderr, now: now}
	return inv.execute(append([]string{"verify"}, args...))
}

// TestVerifyOffline takes an attestation from a running registry, saves the
// registry's /.well-known/jwks.json, and checks the token offline: genuine,
// tampered, against the wrong key set, and after it expired.
func TestVerifyOffline(t *testing.T) {
	env := rpctest.New(t, storetest.SQLite(t))
	ctx := t.Context()
	economy := env.As("issuer", "bureau:economy-it")
	operator := env.As("operator", "park:west-lake")
	code := registrytest.CreditCode(t, "91330106MA27XK0A1")
	steps := []func() error{
		func() error {
			_, err := economy.Park.RegisterPark(ctx, &registryv1.RegisterParkRequest{Code: "west-lake", Name: "西湖人工智能产业园"})
			return err
		},
		func() error {
			_, err := economy.Enterprise.RegisterEnterprise(ctx, &registryv1.RegisterEnterpriseRequest{CreditCode: code, Name: "杭州云栖智算科技有限公司"})
			return err
		},
		func() error {
			_, err := operator.Park.AdmitTenant(ctx, &registryv1.AdmitTenantRequest{ParkCode: "west-lake", EnterpriseCreditCode: code, StartDate: "2026-01-01"})
			return err
		},
		func() error {
			_, err := operator.Park.SetEligibilityRule(ctx, &registryv1.SetEligibilityRuleRequest{ParkCode: "west-lake", Benefit: "rent-reduction"})
			return err
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	answer, err := operator.Park.VerifyTenantEligibility(ctx, &registryv1.VerifyTenantEligibilityRequest{ParkCode: "west-lake", EnterpriseCreditCode: code, Benefit: "rent-reduction"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(env.URL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	jwks, _ := io.ReadAll(res.Body)
	res.Body.Close()
	dir := t.TempDir()
	jwksFile := filepath.Join(dir, "jwks.json")
	if err := os.WriteFile(jwksFile, jwks, 0o600); err != nil {
		t.Fatal(err)
	}
	otherFile := filepath.Join(dir, "other.json")
	if err := os.WriteFile(otherFile, []byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"someone-else"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(answer.Attestation, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(bytes.Replace(payload, []byte("west-lake"), []byte("qiantang1"), 1)) + "." + parts[2]

	// The test registry's clock stands at rpctest.Start.
	now := func() time.Time { return rpctest.Start }
	later := func() time.Time { return rpctest.Start.Add(31 * 24 * time.Hour) }
	tests := []struct {
		name    string
		args    []string
		now     func() time.Time
		wantErr string
		wantOut string
	}{
		{"genuine", []string{answer.Attestation, "--jwks", jwksFile}, now, "", "eligible    true"},
		{"flags first", []string{"--jwks", jwksFile, answer.Attestation}, now, "", "park        west-lake"},
		{"tampered", []string{tampered, "--jwks", jwksFile}, now, "signature does not verify", ""},
		{"unknown key", []string{answer.Attestation, "--jwks", otherFile}, now, "unknown key", ""},
		{"expired", []string{answer.Attestation, "--jwks", jwksFile}, later, "expired", ""},
		{"no key set", []string{answer.Attestation}, now, "--jwks is required (or set REGISTRY_JWKS); usage: registryctl verify TOKEN --jwks FILE", ""},
		{"json after the token", []string{answer.Attestation, "--jwks", jwksFile, "-o", "json"}, now, "", `"eligible": true`},
		{"json expired", []string{answer.Attestation, "-o", "json", "--jwks", jwksFile}, later, "expired", `"problem": "expired"`},
		{"missing key set file", []string{answer.Attestation, "--jwks", filepath.Join(dir, "missing.json")}, now, "--jwks: open ", ""},
		{"no token", []string{"--jwks", jwksFile}, now, "usage: registryctl verify TOKEN --jwks FILE", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := runVerify(tc.args, strings.NewReader(""), &out, io.Discard, tc.now)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			case !strings.Contains(out.String(), tc.wantOut):
				t.Fatalf("output %q lacks %q", out.String(), tc.wantOut)
			}
		})
	}
}

// TestVerifyOfflineRules checks that offline verification applies the
// registry's rules with the key set's active periods: an attestation
// issued after its key was replaced, one valid for longer than 30 days
// (expiring in 2076), one under a key set without active periods, and a
// non-canonical spelling are refused; one issued while its key was current
// verifies.
func TestVerifyOfflineRules(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	kid := attest.KeyID(pub)
	from := rpctest.Start
	until := from.Add(24 * time.Hour)
	dir := t.TempDir()
	writeKeys := func(name string, k attest.Key) string {
		b, err := json.Marshal(attest.KeySet{Keys: []attest.Key{k}})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	key := attest.NewKey(kid, pub)
	noPeriod := writeKeys("no-period.json", key)
	key.ActiveFrom, key.ActiveUntil = from.Unix(), until.Unix()
	withPeriod := writeKeys("jwks.json", key)
	sign := func(iat, exp time.Time) string {
		tok, err := attest.Sign(priv, kid, attest.Claims{Issuer: attest.Issuer, ParkCode: "west-lake", Eligible: true, IssuedAt: iat.Unix(), ExpiresAt: exp.Unix()})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	now := func() time.Time { return until.Add(time.Hour) }
	genuine := sign(from.Add(time.Hour), from.Add(time.Hour+30*24*time.Hour))
	tests := []struct {
		name, token, jwks, wantErr string
	}{
		{"issued while current", genuine, withPeriod, ""},
		{"issued after its key was replaced", sign(until.Add(time.Minute), until.Add(24*time.Hour)), withPeriod, "outside its key's active period"},
		{"expiring in 2076", sign(from.Add(time.Hour), time.Date(2076, 1, 1, 0, 0, 0, 0, time.UTC)), withPeriod, "lifetime exceeds"},
		{"key set without active periods", genuine, noPeriod, "outside its key's active period"},
		{"trailing space", genuine + " ", withPeriod, "canonical"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := runVerify([]string{tc.token, "--jwks", tc.jwks}, strings.NewReader(""), io.Discard, io.Discard, now)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}
