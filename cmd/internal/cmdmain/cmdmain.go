// Package cmdmain is what the registry's commands share around their run
// function: a context cancelled by SIGINT or SIGTERM, and the error printed
// after the command's name with exit status 1.
package cmdmain

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Main runs run with a context that an interrupt or termination signal
// cancels and returns the process's exit status: 0, or 1 after printing
// "name: error" to standard error.
func Main(name string, run func(ctx context.Context) error) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		return 1
	}
	return 0
}
