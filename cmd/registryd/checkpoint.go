package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hangzhou-ai/registry/checkpoint"
	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/seal"
)

// checkpointKeyHelp documents the checkpoint key's environment-only twin.
const checkpointKeyHelp = `  REGISTRY_CHECKPOINT_KEY (environment only) the checkpoint signer key itself; wins over --checkpoint-key-file
`

// checkpointKey is the resolved checkpoint signer and where it came from.
type checkpointKey struct {
	signer *checkpoint.Signer // nil: no checkpoints are signed
	source string
	// created is the key file this start made beside an SQLite database.
	created string
}

// checkpointKey resolves the key that signs the audit log's checkpoints:
// REGISTRY_CHECKPOINT_KEY, then --checkpoint-key-file, then (SQLite files
// only) DATABASE.checkpoint.key beside the database, made when missing;
// in-memory databases get a throw-away key. A PostgreSQL registry given no
// key signs no checkpoints. The key is never in the database, so whoever
// can rewrite the database still cannot sign a checkpoint over it.
func (c *config) checkpointKey() (checkpointKey, error) {
	var out checkpointKey
	text := c.CheckpointKey
	switch {
	case text != "":
		out.source = "REGISTRY_CHECKPOINT_KEY"
	case c.CheckpointKeyFile != "":
		b, err := os.ReadFile(c.CheckpointKeyFile)
		if err != nil {
			return out, fmt.Errorf("checkpoint key file: %w", err)
		}
		text, out.source = string(b), "the checkpoint key file "+c.CheckpointKeyFile
	case strings.Contains(c.DatabaseURL, "mode=memory"):
		skey, _, err := checkpoint.GenerateKey(defaultOrigin())
		if err != nil {
			return out, err
		}
		text, out.source = skey, "a throw-away checkpoint key (in-memory database)"
	case strings.HasPrefix(c.DatabaseURL, "sqlite:"):
		path := strings.TrimPrefix(c.DatabaseURL, "sqlite:")
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
		path += ".checkpoint.key"
		var err error
		if text, out.created, err = loadOrCreateCheckpointKey(path); err != nil {
			return out, err
		}
		out.source = "the checkpoint key file " + path + " beside the database"
	default:
		return out, nil
	}
	s, err := checkpoint.NewSigner(text)
	if err != nil {
		return out, fmt.Errorf("%s: %w", out.source, err)
	}
	out.signer = s
	return out, nil
}

// defaultOrigin names a log whose key the registry made itself: unique, so
// that two registries' checkpoints are never confused.
func defaultOrigin() string {
	return "hangzhou-ai-registry/" + hex.EncodeToString(seal.RandomBytes(4))
}

// loadOrCreateCheckpointKey reads the signer key at path, or makes one
// there (0600) when the file does not exist; created is path then.
func loadOrCreateCheckpointKey(path string) (key, created string, err error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return string(b), "", nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", "", fmt.Errorf("checkpoint key file: %w", err)
	}
	skey, _, err := checkpoint.GenerateKey(defaultOrigin())
	if err != nil {
		return "", "", err
	}
	if err := writeNewFile(path, skey+"\n"); err != nil {
		return "", "", fmt.Errorf("checkpoint key file: %w", err)
	}
	return skey, path, nil
}

// writeNewFile creates path (0600), failing if it exists.
func writeNewFile(path, text string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, werr := f.WriteString(text)
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// checkpointKeyNewCommand is `registryd checkpoint-key new`.
func (inv *invocation) checkpointKeyNewCommand() *cobra.Command {
	var origin, out string
	cmd := &cobra.Command{
		Use:   "new --origin NAME --out FILE",
		Short: "make a checkpoint signer key in FILE (0600) and print its verifier key, to publish",
		Args:  positional(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if origin == "" || out == "" {
				return fmt.Errorf("usage: %s", cmd.UseLine())
			}
			skey, vkey, err := checkpoint.GenerateKey(origin)
			if err != nil {
				return fmt.Errorf("--origin: %w", err)
			}
			if _, err := checkpoint.NewSigner(skey); err != nil {
				return fmt.Errorf("--origin: %w", err)
			}
			if err := writeNewFile(out, skey+"\n"); err != nil {
				return fmt.Errorf("--out: %w", err)
			}
			fmt.Fprintln(inv.stdout, vkey)
			return nil
		},
	}
	cmd.Flags().StringVar(&origin, "origin", "", "the log's `NAME`, e.g. registry.example.gov.cn/audit (no spaces or +)")
	cmd.Flags().StringVar(&out, "out", "", "`FILE` to write the signer key to; it must not exist")
	return cmd
}

// checkpointKeyShowCommand is `registryd checkpoint-key show`.
func (inv *invocation) checkpointKeyShowCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "show",
		Short: "print the verifier key of the configured checkpoint key",
		Args:  positional(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, err := inv.config.checkpointKey()
			if err != nil {
				return err
			}
			if key.signer == nil {
				return errors.New("no checkpoint key: set --checkpoint-key-file (env REGISTRY_CHECKPOINT_KEY_FILE) or REGISTRY_CHECKPOINT_KEY")
			}
			fmt.Fprintln(inv.stdout, key.signer.VerifierKey())
			return nil
		},
	}
}

// savedCheckpoints reads the checkpoints in path, a signed checkpoint or
// a monitor's state file, and checks their signatures with vkey.
func savedCheckpoints(path, vkey string) ([]checkpoint.Checkpoint, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if checkpoint.IsSigned(b) {
		c, err := checkpoint.Open(b, vkey)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return []checkpoint.Checkpoint{c}, nil
	}
	st, err := checkpoint.ParseState(b)
	if err != nil {
		return nil, fmt.Errorf("%s: neither a signed checkpoint nor a monitor's state: %w", path, err)
	}
	if st.VerifierKey != "" && strings.TrimSpace(st.VerifierKey) != strings.TrimSpace(vkey) {
		return nil, fmt.Errorf("%s was kept with verifier key %q, not this registry's %q", path, st.VerifierKey, vkey)
	}
	return st.Open(vkey)
}

// verifyCheckpoints checks reg's log against the checkpoints in path.
func (inv *invocation) verifyCheckpoints(ctx context.Context, reg *registry.Registry, path, keyFile string) error {
	vkey, err := inv.verifierKey(reg, keyFile)
	if err != nil {
		return err
	}
	cps, err := savedCheckpoints(path, vkey)
	if err != nil {
		return err
	}
	rep, err := reg.VerifyCheckpoints(ctx, cps)
	if err != nil {
		return err
	}
	if !rep.OK {
		fmt.Fprintf(inv.stdout, "audit log does NOT match the checkpoint: first bad size %d: %s\n", rep.FirstBadSize, rep.Problem)
		return fmt.Errorf("audit log does not match the checkpoint of size %d", rep.FirstBadSize)
	}
	fmt.Fprintf(inv.stdout, "audit log matches %d checkpoint(s) (%d events hashed again)\n", rep.CheckpointsChecked, rep.EventsChecked)
	return nil
}

// verifierKey is the verifier key in keyFile, or else the configured
// checkpoint key's.
func (inv *invocation) verifierKey(reg *registry.Registry, keyFile string) (string, error) {
	if keyFile != "" {
		b, err := os.ReadFile(keyFile)
		if err != nil {
			return "", fmt.Errorf("--key: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	if reg.Trail.Checkpoints == nil {
		return "", errors.New("--checkpoint needs the verifier key: --key FILE, or the registry's checkpoint key (--checkpoint-key-file)")
	}
	return reg.Trail.Checkpoints.VerifierKey(), nil
}

// auditCheckpointCommand is `registryd audit checkpoint`: the log's signed
// checkpoint now, read from the database directly, to save and check later
// with `audit verify --checkpoint`.
func (inv *invocation) auditCheckpointCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "checkpoint",
		Short: "print the audit log's signed checkpoint now (save it to check the log against later)",
		Args:  positional(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return inv.withRegistry(cmd.Context(), func(reg *registry.Registry) error {
				c, err := reg.GetCheckpoint(cmd.Context())
				if err != nil {
					return err
				}
				_, err = inv.stdout.Write(c.Note)
				return err
			})
		},
	}
}
