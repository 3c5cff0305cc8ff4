// Command registryd runs the certification registry server and its
// maintenance tasks: serve, migrate, token create|revoke, audit verify,
// keys rotate|retire and secret rotate (see cli.go and run.go). Its
// settings are flags with REGISTRY_* environment twins, and
// REGISTRY_SECRET_KEY.
package main

import (
	"context"
	"os"

	"github.com/hangzhou-ai/registry/cmd/internal/cmdmain"
)

func main() {
	os.Exit(cmdmain.Main("registryd", func(ctx context.Context) error {
		return run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	}))
}
