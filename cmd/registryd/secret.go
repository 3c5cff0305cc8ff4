package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/seal"
)

// secretRotateCommand is `registryd secret rotate --new-key-file FILE`:
// it re-encrypts every identity and passport number, recomputes their
// lookup hashes and re-seals the attestation signing keys under the key in
// FILE, in one transaction. The old key comes from the usual settings
// (REGISTRY_SECRET_KEY, --secret-key-file, or the key file beside an
// SQLite database).
func (inv *invocation) secretRotateCommand() *cobra.Command {
	var newKeyFile string
	cmd := &cobra.Command{
		Use:   "rotate --new-key-file FILE",
		Short: "re-encrypt identity numbers and signing keys under a new secret key",
		Long: "Re-encrypts every identity and passport number and re-seals the attestation signing keys\n" +
			"under the new key, in one transaction. The current key comes from REGISTRY_SECRET_KEY,\n" +
			"--secret-key-file or the key file beside an SQLite database. Stop every registryd serve\n" +
			"first, and start them again with the new key.",
		Args: positional(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return inv.withRegistry(cmd.Context(), func(reg *registry.Registry) error {
				return rotateSecret(cmd.Context(), reg, newKeyFile, cliActor(inv.getenv), inv.stdout)
			})
		},
	}
	cmd.Flags().StringVar(&newKeyFile, "new-key-file", "",
		"`FILE` holding the new 32-byte secret key (64 hex digits or base64; make one with: openssl rand -hex 32)")
	return cmd
}

// rotateSecret re-encrypts reg's secrets under the key in newKeyFile and
// says how many records changed.
func rotateSecret(ctx context.Context, reg *registry.Registry, newKeyFile string, actor registry.Principal, stdout io.Writer) error {
	if newKeyFile == "" {
		return errors.New("--new-key-file is required")
	}
	text, err := os.ReadFile(newKeyFile)
	if err != nil {
		return fmt.Errorf("new key file: %w", err)
	}
	key, err := seal.ParseSecretKey(string(text))
	if err != nil {
		return fmt.Errorf("new key file: %w", err)
	}
	next, err := seal.NewSecrets(key)
	if err != nil {
		return err
	}
	res, err := reg.RotateSecretKey(ctx, actor, next)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "re-encrypted %d records (identity documents: %d, signing keys: %d) from key %s to key %s\n",
		res.Records(), res.Talents, res.SigningKeys, res.From, res.To)
	fmt.Fprintf(stdout, "the old key no longer opens them: start registryd with --secret-key-file %s (or its contents in REGISTRY_SECRET_KEY)\n", newKeyFile)
	return nil
}
