// Command registrybench measures the registry against the database's own
// limit on the same machine, in the same run, so that the machine's noise
// cancels out of each ratio: read throughput and latency against pgbench,
// bulk import against psql \copy, grants against pgbench running the same
// SQL transaction, and casbin's cost at ten times a city's rules.
//
//	go run ./cmd/registrybench --database-url postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable [--quick]
//
// It creates a throw-away database on that server, builds and starts
// registryd on it as a separate process, loads it over real HTTP on
// loopback, and prints one markdown table.
package main

import (
	"context"
	"os"

	"github.com/hangzhou-ai/registry/cmd/internal/cmdmain"
)

func main() {
	os.Exit(cmdmain.Main("registrybench", func(ctx context.Context) error {
		return run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	}))
}
