package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hangzhou-ai/registry/checkpoint"
	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/seal"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// TestAuditVerifyCheckpoint: a checkpoint saved with `audit checkpoint`
// matches the log as it grows, and `audit verify --checkpoint` fails,
// naming the checkpoint's size, once events it covers are rewritten or
// truncated, though the resealed chain verifies on its own.
func TestAuditVerifyCheckpoint(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		for _, tc := range []struct {
			name, tamper string
		}{
			{"an actor edited", "UPDATE audit_events SET actor_subject = 'someone-else' WHERE id = 2"},
			{"the last event of the checkpoint deleted", "DELETE FROM audit_events WHERE id >= (SELECT MAX(id) FROM audit_events) - 1"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				db := db
				if db.Name == "postgres" {
					db = storetest.Postgres(t)
				} else {
					db = storetest.SQLite(t)
				}
				dir := t.TempDir()
				keyFile := filepath.Join(dir, "checkpoint.key")
				var vkey bytes.Buffer
				if err := run(t.Context(), []string{"checkpoint-key", "new", "--origin", "registry.test/verify", "--out", keyFile}, env(nil), &vkey, &bytes.Buffer{}); err != nil {
					t.Fatal(err)
				}
				if info, err := os.Stat(keyFile); err != nil || info.Mode().Perm() != 0o600 {
					t.Fatalf("key file %v, %v", info, err)
				}
				secret := seal.NewSecretKey()
				vars := map[string]string{"REGISTRY_DATABASE_URL": db.URL, "REGISTRY_SECRET_KEY": secret, "REGISTRY_CHECKPOINT_KEY_FILE": keyFile}
				do := func(args ...string) (string, error) {
					var out bytes.Buffer
					err := run(t.Context(), args, env(vars), &out, &bytes.Buffer{})
					return out.String(), err
				}
				if _, err := do("migrate"); err != nil {
					t.Fatal(err)
				}
				if out, err := do("checkpoint-key", "show"); err != nil || out != vkey.String() {
					t.Fatalf("show: %q, %v; new printed %q", out, err, vkey.String())
				}
				for i := range 4 {
					if _, err := do("token", "create", "--subject", "s"+strconv.Itoa(i), "--org", "auditor", "--role", "auditor"); err != nil {
						t.Fatal(err)
					}
				}
				note, err := do("audit", "checkpoint")
				if err != nil {
					t.Fatal(err)
				}
				c, err := checkpoint.Open([]byte(note), vkey.String())
				if err != nil || c.Size < 4 || c.Origin != "registry.test/verify" {
					t.Fatalf("checkpoint %q: %+v, %v", note, c, err)
				}
				saved := filepath.Join(dir, "saved.checkpoint")
				if err := os.WriteFile(saved, []byte(note), 0o600); err != nil {
					t.Fatal(err)
				}
				if _, err := do("token", "create", "--subject", "later", "--org", "auditor", "--role", "auditor"); err != nil {
					t.Fatal(err)
				}
				if out, err := do("audit", "verify", "--checkpoint", saved); err != nil || !strings.Contains(out, "matches 1 checkpoint") {
					t.Fatalf("before tampering: %q, %v", out, err)
				}
				// Tamper, then reseal the chain as the database's own
				// verification would want it.
				conn := storetest.OpenSQL(t, db)
				if _, err := conn.Exec(tc.tamper); err != nil {
					t.Fatal(err)
				}
				key, err := seal.ParseSecretKey(secret)
				if err != nil {
					t.Fatal(err)
				}
				secrets, err := seal.NewSecrets(key)
				if err != nil {
					t.Fatal(err)
				}
				reg, err := registry.Open(t.Context(), registry.Config{DatabaseURL: db.URL, Secrets: secrets})
				if err != nil {
					t.Fatal(err)
				}
				registrytest.ResealAuditLog(t, reg)
				reg.Close()
				out, err := do("audit", "verify")
				if err != nil || !strings.Contains(out, "audit chain OK") {
					t.Fatalf("the resealed chain does not verify on its own (%q, %v): the test tampers badly", out, err)
				}
				out, err = do("audit", "verify", "--checkpoint", saved)
				if err == nil || !strings.Contains(out, "first bad size "+strconv.FormatInt(c.Size, 10)+":") {
					t.Fatalf("after tampering: %q, %v", out, err)
				}
				// The same with the verifier key given, as an outsider
				// holding only the public key would.
				pub := filepath.Join(dir, "verifier.key")
				if err := os.WriteFile(pub, vkey.Bytes(), 0o600); err != nil {
					t.Fatal(err)
				}
				if out, err = do("audit", "verify", "--checkpoint", saved, "--key", pub); err == nil || !strings.Contains(out, "first bad size") {
					t.Fatalf("with --key: %q, %v", out, err)
				}
			})
		}
	})
}
