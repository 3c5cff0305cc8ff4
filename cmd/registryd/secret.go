package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/seal"
)

// runSecret is `registryd secret rotate --new-key-file FILE`: it
// re-encrypts every identity and passport number, recomputes their lookup
// hashes and re-seals the attestation signing keys under the key in FILE,
// in one transaction. The old key comes from the usual settings
// (REGISTRY_SECRET_KEY, --secret-key-file, or the key file beside an
// SQLite database).
func runSecret(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "rotate" {
		return errors.New("usage: registryd secret rotate --new-key-file FILE [flags]")
	}
	var newKeyFile string
	flags := func(f *envFlags) {
		f.fs.StringVar(&newKeyFile, "new-key-file", "",
			"file holding the new 32-byte secret key (64 hex digits or base64; make one with: openssl rand -hex 32)")
		f.fs.Usage = func() {
			fmt.Fprintf(f.fs.Output(), "usage: registryd secret rotate --new-key-file FILE [flags]\n\n"+
				"Re-encrypts every identity and passport number and re-seals the attestation signing keys\n"+
				"under the new key, in one transaction. The current key comes from REGISTRY_SECRET_KEY,\n"+
				"--secret-key-file or the key file beside an SQLite database. Stop every registryd serve\n"+
				"first, and start them again with the new key.\n\nflags:\n")
			f.fs.PrintDefaults()
		}
	}
	return withRegistry(ctx, "secret rotate", args[1:], getenv, stderr, flags, func(reg *registry.Registry) error {
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
		res, err := reg.RotateSecretKey(ctx, cliActor(getenv), next)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "re-encrypted %d records (identity documents: %d, signing keys: %d) from key %s to key %s\n",
			res.Records(), res.Talents, res.SigningKeys, res.From, res.To)
		fmt.Fprintf(stdout, "the old key no longer opens them: start registryd with --secret-key-file %s (or its contents in REGISTRY_SECRET_KEY)\n", newKeyFile)
		return nil
	})
}
