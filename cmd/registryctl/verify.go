package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

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

// runVerify checks a token's signature (canonical encoding only) with the
// key set, that it was issued while its key was the signing key and is
// valid for at most 30 days (the key set's active_from and active_until
// say when each key signed), and its expiry with now. It cannot know whether a designation relied on has changed
// since; VerificationService.VerifyAttestation answers that online.
func runVerify(args []string, stdin io.Reader, stdout, stderr io.Writer, now func() time.Time) error {
	fs := flag.NewFlagSet("registryctl verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	jwksPath := fs.String("jwks", "", "JSON Web Key Set file with the registry's public keys (required)")
	var token string
	// Accept the token before or after the flags.
	if len(args) > 0 && (args[0] == "-" || !strings.HasPrefix(args[0], "-")) {
		token, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if token == "" && fs.NArg() == 1 {
		token = fs.Arg(0)
	}
	if token == "" || *jwksPath == "" {
		return errors.New("usage: registryctl verify TOKEN --jwks FILE")
	}
	if token == "-" {
		b, err := io.ReadAll(io.LimitReader(stdin, 64<<10))
		if err != nil {
			return err
		}
		token = strings.TrimSpace(string(b))
	}
	raw, err := os.ReadFile(*jwksPath)
	if err != nil {
		return err
	}
	var keys jws.KeySet
	if err := json.Unmarshal(raw, &keys); err != nil {
		return fmt.Errorf("%s is not a JSON Web Key Set: %w", *jwksPath, err)
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
	// The same rules as VerificationService.VerifyAttestation: issued while
	// its key was the signing key, valid for at most 30 days.
	key, _ := keys.Key(tok.Header.Kid)
	if err := jws.CheckIssued(key, c.IssuedAt, c.ExpiresAt, now()); err != nil {
		return fmt.Errorf("attestation refused: %w (key %s, issued %s, expires %s)", err, tok.Header.Kid,
			time.Unix(c.IssuedAt, 0).UTC().Format(time.RFC3339), time.Unix(c.ExpiresAt, 0).UTC().Format(time.RFC3339))
	}
	expires := time.Unix(c.ExpiresAt, 0).UTC()
	fmt.Fprintf(stdout, "signature   valid (key %s)\n", tok.Header.Kid)
	fmt.Fprintf(stdout, "park        %s\nenterprise  %s\nbenefit     %s\nas of       %s\neligible    %v\nreasons     %s\n",
		c.Park, c.Enterprise, c.Benefit, c.AsOf, c.Eligible, strings.Join(c.Reasons, ", "))
	fmt.Fprintf(stdout, "relied on   %s\nissued      %s\nexpires     %s\n",
		strings.Join(c.DesignationIDs, ", "), time.Unix(c.IssuedAt, 0).UTC().Format(time.RFC3339), expires.Format(time.RFC3339))
	if !now().Before(expires) {
		return fmt.Errorf("attestation refused: expired at %s", expires.Format(time.RFC3339))
	}
	return nil
}
