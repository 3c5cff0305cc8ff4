// Command registryctl is the registry's command-line client: a noun-verb
// command for every RPC (registryctl enterprise get 9133…, registryctl
// designation list --as-of 2026-06-30, …; see cli.go for the list), with
// the answer as an aligned table or, with -o json, as JSON. Its verify
// command checks an eligibility attestation offline against a JSON Web Key
// Set, with no access to the registry.
package main

import (
	"context"
	"os"

	"github.com/hangzhou-ai/registry/cmd/internal/cmdmain"
)

func main() {
	os.Exit(cmdmain.Main("registryctl", func(ctx context.Context) error {
		return run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	}))
}
