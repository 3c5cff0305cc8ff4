// Command registryctl is the registry's command-line client: a noun-verb
// command for every RPC (registryctl enterprise get 9133…, registryctl
// designation list --as-of 2026-06-30, …; see cli.go for the list), with
// the answer as an aligned table or, with -o json, as JSON. Its verify
// command checks an eligibility attestation offline against a JSON Web Key
// Set, with no access to the registry.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "registryctl:", err)
		os.Exit(1)
	}
}
