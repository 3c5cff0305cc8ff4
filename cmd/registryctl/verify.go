package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/hangzhou-ai/registry/attest"
	"github.com/hangzhou-ai/registry/cmd/internal/cli"
)

// verifiedAttestation is verify's answer with -o json: the claims, and
// whether the token is valid now (signature, issuance and expiry; never
// the designations relied on). Kind is eligibility or support-statement;
// a support statement's totals are integer fen, written as strings as the
// registry's JSON writes them.
type verifiedAttestation struct {
	Valid           bool     `json:"valid"`
	Problem         string   `json:"problem"`
	KeyID           string   `json:"keyId"`
	Kind            string   `json:"kind"`
	Year            int      `json:"year"`
	AwardedFen      int64    `json:"awardedFen,string"`
	DisbursedFen    int64    `json:"disbursedFen,string"`
	RecoveredFen    int64    `json:"recoveredFen,string"`
	OutstandingFen  int64    `json:"outstandingFen,string"`
	StatementDigest string   `json:"statementDigest"`
	AwardIDs        []string `json:"awardIds"`
	Park            string   `json:"park"`
	Enterprise      string   `json:"enterprise"`
	Benefit         string   `json:"benefit"`
	AsOf            string   `json:"asOf"`
	Eligible        bool     `json:"eligible"`
	Reasons         []string `json:"reasons"`
	DesignationIDs  []string `json:"designationIds"`
	IssuedAt        string   `json:"issuedAt"`
	ExpiresAt       string   `json:"expiresAt"`
}

// verifyOffline is `registryctl verify TOKEN --jwks FILE`. It checks a
// token's signature (canonical encoding only) with the key set, that it
// was issued while its key was the signing key and is valid for at most 30
// days (the key set's active_from and active_until say when each key
// signed), and its expiry with the invocation's clock. A support
// statement's attestation shows its year and totals. It cannot know
// whether a designation relied on has changed since;
// VerificationService.VerifyAttestation answers that online.
func verifyOffline(inv *invocation, fs *pflag.FlagSet) action {
	jwksPath := fs.String("jwks", "", "JSON Web Key Set `file` with the registry's public keys (required)")
	cli.Env(fs, "jwks", "REGISTRY_JWKS")
	return func(pos []string) error {
		if *jwksPath == "" {
			return fmt.Errorf("--jwks is required (or set REGISTRY_JWKS); %v", inv.usageError())
		}
		token, err := inv.attestationArg(pos[0])
		if err != nil {
			return err
		}
		raw, err := os.ReadFile(*jwksPath)
		if err != nil {
			return fmt.Errorf("--jwks: %w", err)
		}
		var keys attest.KeySet
		if err := json.Unmarshal(raw, &keys); err != nil {
			return fmt.Errorf("--jwks: %s is not a JSON Web Key Set: %w", *jwksPath, err)
		}
		// The same rules as VerificationService.VerifyAttestation, but for
		// the designations relied on.
		v, err := attest.Verify(token, keys, inv.now())
		expired := errors.Is(err, attest.ErrExpired)
		switch {
		case expired:
			// Genuine but past its exp: shown, then refused below.
		case err != nil && v.Claims != nil:
			return fmt.Errorf("attestation refused: %w (key %s, issued %s, expires %s)", err, v.KeyID,
				time.Unix(v.Claims.IssuedAt, 0).UTC().Format(time.RFC3339), time.Unix(v.Claims.ExpiresAt, 0).UTC().Format(time.RFC3339))
		case err != nil && v.KeyID != "":
			return fmt.Errorf("attestation refused: %w (key %s)", err, v.KeyID)
		case err != nil:
			return fmt.Errorf("attestation refused: %w", err)
		}
		c := v.Claims
		issued := time.Unix(c.IssuedAt, 0).UTC().Format(time.RFC3339)
		expires := time.Unix(c.ExpiresAt, 0).UTC()
		if inv.global.output == "json" {
			out := verifiedAttestation{Valid: !expired, KeyID: v.KeyID, Kind: kindOf(c), Year: c.Year, AwardedFen: c.AwardedFen,
				DisbursedFen: c.DisbursedFen, RecoveredFen: c.RecoveredFen, OutstandingFen: c.OutstandingFen, StatementDigest: c.StatementDigest,
				AwardIDs: c.AwardIDs, Park: c.ParkCode, Enterprise: c.EnterpriseCreditCode, Benefit: c.Benefit,
				AsOf: c.AsOf, Eligible: c.Eligible, Reasons: c.ReasonCodes, DesignationIDs: c.DesignationIDs,
				IssuedAt: issued, ExpiresAt: expires.Format(time.RFC3339)}
			if expired {
				out.Problem = "expired"
			}
			for _, s := range []*[]string{&out.Reasons, &out.DesignationIDs, &out.AwardIDs} {
				if *s == nil {
					*s = []string{}
				}
			}
			b, err := json.MarshalIndent(out, "", "  ")
			if err != nil {
				return err
			}
			if _, err := inv.stdout.Write(append(b, '\n')); err != nil {
				return err
			}
		} else if c.Kind == attest.KindSupportStatement {
			fmt.Fprintf(inv.stdout, "signature   valid (key %s)\n", v.KeyID)
			fmt.Fprintf(inv.stdout, "kind        %s\nenterprise  %s\nyear        %d\nas of       %s\n", c.Kind, c.EnterpriseCreditCode, c.Year, c.AsOf)
			for _, a := range []struct {
				name string
				fen  int64
			}{{"awarded", c.AwardedFen}, {"disbursed", c.DisbursedFen}, {"recovered", c.RecoveredFen}, {"outstanding", c.OutstandingFen}} {
				fmt.Fprintf(inv.stdout, "%-11s %d fen (%s yuan)\n", a.name, a.fen, yuan(a.fen))
			}
			fmt.Fprintf(inv.stdout, "awards      %s\ndigest      %s\nissued      %s\nexpires     %s\n",
				awardIDs(c.AwardIDs), c.StatementDigest, issued, expires.Format(time.RFC3339))
		} else {
			fmt.Fprintf(inv.stdout, "signature   valid (key %s)\n", v.KeyID)
			fmt.Fprintf(inv.stdout, "park        %s\nenterprise  %s\nbenefit     %s\nas of       %s\neligible    %v\nreasons     %s\n",
				c.ParkCode, c.EnterpriseCreditCode, c.Benefit, c.AsOf, c.Eligible, strings.Join(c.ReasonCodes, ", "))
			fmt.Fprintf(inv.stdout, "relied on   %s\nissued      %s\nexpires     %s\n",
				strings.Join(c.DesignationIDs, ", "), issued, expires.Format(time.RFC3339))
		}
		if expired {
			return fmt.Errorf("attestation refused: expired at %s", expires.Format(time.RFC3339))
		}
		return nil
	}
}

// kindOf names an attestation's kind as VerificationService does.
func kindOf(c *attest.Claims) string { return attest.KindName(c.Kind) }

// awardIDs lists a support statement's awards, or says there are none.
func awardIDs(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}

// attestationArg is the attestation an argument names: the argument
// itself, or for "-" what standard input holds (at most 64 KiB, spaces
// around it dropped).
func (inv *invocation) attestationArg(arg string) (string, error) {
	if arg != "-" {
		return arg, nil
	}
	b, err := io.ReadAll(io.LimitReader(inv.stdin, 64<<10))
	if err != nil {
		return "", fmt.Errorf("reading the attestation from standard input: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}
