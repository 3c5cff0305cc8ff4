package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/hangzhou-ai/registry/checkpoint"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
)

// auditMonitor is `registryctl audit monitor --state FILE [--key FILE]`,
// what a third party runs on a schedule: it fetches the log's signed
// checkpoint, checks its signature with the verifier key and its
// consistency with the checkpoints saved in FILE, and saves it there. Any
// rewrite, insertion or truncation of events a saved checkpoint covers
// fails it, naming the first bad size. No token is needed.
func auditMonitor(inv *invocation, fs *pflag.FlagSet) action {
	statePath := fs.String("state", "", "`FILE` keeping the checkpoints verified so far (made on the first run)")
	keyPath := fs.String("key", "", "`FILE` holding the registry's checkpoint verifier key (needed on the first run; "+
		"/.well-known/registry/checkpoint.key serves it — compare it with the one the registry publishes elsewhere)")
	return func([]string) error {
		if *statePath == "" {
			return fmt.Errorf("--state is required; %v", inv.usageError())
		}
		st, err := checkpoint.LoadState(*statePath)
		if err != nil {
			return fmt.Errorf("--state: %w", err)
		}
		if *keyPath != "" {
			b, err := os.ReadFile(*keyPath)
			if err != nil {
				return fmt.Errorf("--key: %w", err)
			}
			key := strings.TrimSpace(string(b))
			if st.VerifierKey != "" && st.VerifierKey != key {
				return fmt.Errorf("--key differs from the verifier key %s was kept with: the registry's key changed, or this is another log", *statePath)
			}
			st.VerifierKey = key
		}
		if st.VerifierKey == "" {
			return fmt.Errorf("the first run needs --key FILE, the registry's checkpoint verifier key")
		}
		res, err := checkpoint.Monitor(inv.ctx, monitoredLog{inv}, st, time.Now())
		if err != nil {
			return err
		}
		if !res.OK {
			if res.FirstBadSize > 0 {
				fmt.Fprintf(inv.stdout, "INCONSISTENT: first bad size %d: %s\n", res.FirstBadSize, res.Problem)
				return fmt.Errorf("the audit log is not consistent with the checkpoint of size %d saved in %s", res.FirstBadSize, *statePath)
			}
			fmt.Fprintf(inv.stdout, "BAD CHECKPOINT: %s\n", res.Problem)
			return fmt.Errorf("the registry's checkpoint does not verify: %s", res.Problem)
		}
		if res.Saved {
			if err := st.Save(*statePath); err != nil {
				return fmt.Errorf("--state: %w", err)
			}
		}
		fmt.Fprintf(inv.stdout, "OK: %s at size %d, root %s; consistent with %d saved checkpoint(s)\n",
			res.Latest.Origin, res.Latest.Size, res.Latest.Root, len(st.Checkpoints)-boolInt(res.Saved))
		return nil
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// monitoredLog asks the registry through the AuditService.
type monitoredLog struct{ inv *invocation }

func (l monitoredLog) Checkpoint(ctx context.Context) ([]byte, error) {
	res, err := l.inv.clients().Audit.GetCheckpoint(ctx, &registryv1.GetCheckpointRequest{})
	if err != nil {
		return nil, err
	}
	return []byte(res.GetCheckpoint()), nil
}

func (l monitoredLog) ConsistencyProof(ctx context.Context, oldSize, newSize int64) (tlog.TreeProof, error) {
	res, err := l.inv.clients().Audit.GetConsistencyProof(ctx, &registryv1.GetConsistencyProofRequest{OldSize: oldSize, NewSize: newSize})
	if err != nil {
		return nil, err
	}
	if res.GetOldSize() != oldSize || res.GetNewSize() != newSize {
		return nil, fmt.Errorf("asked for the proof %d→%d, got %d→%d", oldSize, newSize, res.GetOldSize(), res.GetNewSize())
	}
	proof := make(tlog.TreeProof, len(res.GetProof()))
	for i, s := range res.GetProof() {
		h, err := tlog.ParseHash(s)
		if err != nil {
			return nil, fmt.Errorf("proof hash %d: %w", i, err)
		}
		proof[i] = h
	}
	return proof, nil
}

// auditCheckpoint is `registryctl audit checkpoint`: the log's signed
// checkpoint as text (-o json: with its parts).
func auditCheckpoint(inv *invocation, fs *pflag.FlagSet) action {
	return func([]string) error {
		res, err := inv.clients().Audit.GetCheckpoint(inv.ctx, &registryv1.GetCheckpointRequest{})
		if err != nil {
			return err
		}
		if inv.global.output == "json" {
			return inv.emit(res, nil)
		}
		_, err = fmt.Fprint(inv.stdout, res.GetCheckpoint())
		return err
	}
}
