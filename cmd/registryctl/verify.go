package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/hangzhou-ai/registry/registry/jws"
)

// attestationClaims are the claims registryctl shows and checks.
type attestationClaims struct {
	Park           string   `json:"park"`
	Enterprise     string   `json:"enterprise"`
	Benefit        string   `json:"benefit"`
	AsOf           string   `json:"as_of"`
	Eligible       bool     `json:"eligible"`
	Reasons        []string `json:"reasons"`
	DesignationIDs []string `json:"designation_ids"`
	IssuedAt       int64    `json:"iat"`
	ExpiresAt      int64    `json:"exp"`
}

// verifiedAttestation is verify's answer with -o json: the claims, and
// whether the token is valid now (signature, issuance and expiry; never
// the designations relied on).
type verifiedAttestation struct {
	Valid          bool     `json:"valid"`
	Problem        string   `json:"problem"`
	KeyID          string   `json:"keyId"`
	Park           string   `json:"park"`
	Enterprise     string   `json:"enterprise"`
	Benefit        string   `json:"benefit"`
	AsOf           string   `json:"asOf"`
	Eligible       bool     `json:"eligible"`
	Reasons        []string `json:"reasons"`
	DesignationIDs []string `json:"designationIds"`
	IssuedAt       string   `json:"issuedAt"`
	ExpiresAt      string   `json:"expiresAt"`
}

// verifyOffline is `registryctl verify TOKEN --jwks FILE`. It checks a
// token's signature (canonical encoding only) with the key set, that it
// was issued while its key was the signing key and is valid for at most 30
// days (the key set's active_from and active_until say when each key
// signed), and its expiry with the invocation's clock. It cannot know
// whether a designation relied on has changed since;
// VerificationService.VerifyAttestation answers that online.
func verifyOffline(inv *invocation, fs *pflag.FlagSet) action {
	jwksPath := fs.String("jwks", "", "JSON Web Key Set `file` with the registry's public keys (required)")
	withEnv(fs, "jwks", "REGISTRY_JWKS")
	return func(pos []string) error {
		if *jwksPath == "" {
			return fmt.Errorf("--jwks is required (or set REGISTRY_JWKS); %v", inv.usageError())
		}
		token := pos[0]
		if token == "-" {
			b, err := io.ReadAll(io.LimitReader(inv.stdin, 64<<10))
			if err != nil {
				return err
			}
			token = strings.TrimSpace(string(b))
		}
		raw, err := os.ReadFile(*jwksPath)
		if err != nil {
			return fmt.Errorf("--jwks: %w", err)
		}
		var keys jws.KeySet
		if err := json.Unmarshal(raw, &keys); err != nil {
			return fmt.Errorf("--jwks: %s is not a JSON Web Key Set: %w", *jwksPath, err)
		}
		tok, err := jws.Parse(token)
		if err != nil {
			return fmt.Errorf("attestation refused: %w", err)
		}
		if err := tok.Verify(keys); err != nil {
			return fmt.Errorf("attestation refused: %w (key %s)", err, tok.Header.Kid)
		}
		var c attestationClaims
		if err := json.Unmarshal(tok.Payload, &c); err != nil {
			return fmt.Errorf("attestation refused: claims: %w", err)
		}
		issued := time.Unix(c.IssuedAt, 0).UTC().Format(time.RFC3339)
		expires := time.Unix(c.ExpiresAt, 0).UTC()
		// The same rules as VerificationService.VerifyAttestation: issued while
		// its key was the signing key, valid for at most 30 days.
		key, _ := keys.Key(tok.Header.Kid)
		if err := jws.CheckIssued(key, c.IssuedAt, c.ExpiresAt, inv.now()); err != nil {
			return fmt.Errorf("attestation refused: %w (key %s, issued %s, expires %s)", err, tok.Header.Kid, issued, expires.Format(time.RFC3339))
		}
		expired := !inv.now().Before(expires)
		if inv.global.output == "json" {
			v := verifiedAttestation{Valid: !expired, KeyID: tok.Header.Kid, Park: c.Park, Enterprise: c.Enterprise, Benefit: c.Benefit,
				AsOf: c.AsOf, Eligible: c.Eligible, Reasons: c.Reasons, DesignationIDs: c.DesignationIDs,
				IssuedAt: issued, ExpiresAt: expires.Format(time.RFC3339)}
			if expired {
				v.Problem = "expired"
			}
			if v.Reasons == nil {
				v.Reasons = []string{}
			}
			if v.DesignationIDs == nil {
				v.DesignationIDs = []string{}
			}
			b, err := json.MarshalIndent(v, "", "  ")
			if err != nil {
				return err
			}
			if _, err := inv.stdout.Write(append(b, '\n')); err != nil {
				return err
			}
		} else {
			fmt.Fprintf(inv.stdout, "signature   valid (key %s)\n", tok.Header.Kid)
			fmt.Fprintf(inv.stdout, "park        %s\nenterprise  %s\nbenefit     %s\nas of       %s\neligible    %v\nreasons     %s\n",
				c.Park, c.Enterprise, c.Benefit, c.AsOf, c.Eligible, strings.Join(c.Reasons, ", "))
			fmt.Fprintf(inv.stdout, "relied on   %s\nissued      %s\nexpires     %s\n",
				strings.Join(c.DesignationIDs, ", "), issued, expires.Format(time.RFC3339))
		}
		if expired {
			return fmt.Errorf("attestation refused: expired at %s", expires.Format(time.RFC3339))
		}
		return nil
	}
}
