package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/talent"
	"github.com/hangzhou-ai/registry/seal"
)

// TestSecretRotate rotates the secret key of an SQLite registry holding a
// talent: the command reports what it re-encrypted, the registry then
// opens with the new key (not the old), and the audit chain verifies.
func TestSecretRotate(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "registry.db")
	vars := env(map[string]string{"REGISTRY_DATABASE_URL": "sqlite:" + dbPath})
	if err := run(t.Context(), []string{"migrate"}, vars, io.Discard, io.Discard); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	oldKey, err := os.ReadFile(dbPath + ".key")
	if err != nil {
		t.Fatalf("the key file beside the database: %v", err)
	}
	registerTalent(t, "sqlite:"+dbPath, string(oldKey))

	newKeyFile := filepath.Join(dir, "new.key")
	if err := os.WriteFile(newKeyFile, []byte(seal.NewSecretKey()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]string{
		{"secret"},
		{"secret", "rotate"},
		{"secret", "rotate", "--new-key-file", filepath.Join(dir, "missing.key")},
		{"secret", "rotate", "--new-key-file", dbPath + ".key"}, // the key in use
	} {
		if err := run(t.Context(), bad, vars, io.Discard, io.Discard); err == nil {
			t.Errorf("%v succeeded", bad)
		}
	}
	var out bytes.Buffer
	if err := run(t.Context(), []string{"secret", "rotate", "--new-key-file", newKeyFile}, vars, &out, io.Discard); err != nil {
		t.Fatalf("secret rotate: %v", err)
	}
	if !strings.Contains(out.String(), "re-encrypted 2 records (identity documents: 1, signing keys: 1)") {
		t.Fatalf("secret rotate printed %q", out.String())
	}

	withNew := env(map[string]string{"REGISTRY_DATABASE_URL": "sqlite:" + dbPath, "REGISTRY_SECRET_KEY_FILE": newKeyFile})
	out.Reset()
	if err := run(t.Context(), []string{"audit", "verify"}, withNew, &out, io.Discard); err != nil || !strings.Contains(out.String(), "audit chain OK") {
		t.Fatalf("audit verify: %v %q", err, out.String())
	}
	// The database's key check now names the new key: the old key (still
	// beside the database) no longer starts anything.
	for _, cmd := range [][]string{{"secret", "rotate", "--new-key-file", newKeyFile}, {"audit", "verify"}} {
		err := run(t.Context(), cmd, vars, io.Discard, io.Discard)
		wantRefusal(t, err, "not the key this database was made with", dbPath+".key")
	}
}

// registerTalent registers a talent with key (hex) as an issuer would.
func registerTalent(t *testing.T, url, key string) {
	t.Helper()
	raw, err := seal.ParseSecretKey(key)
	if err != nil {
		t.Fatal(err)
	}
	secrets, err := seal.NewSecrets(raw)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := registry.Open(context.Background(), registry.Config{DatabaseURL: url, Secrets: secrets})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	ctx := registry.WithPrincipal(t.Context(), registry.Principal{Subject: "issuer", Org: "bureau:talent-office", Role: "issuer"})
	if _, err := reg.RegisterTalent(ctx, talent.NewTalent{Name: "陈思远", IDNumber: "11010519491231002X"}); err != nil {
		t.Fatal(err)
	}
}
