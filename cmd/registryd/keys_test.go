package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hangzhou-ai/registry/seal"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// supplyHints are what a refusal must name so the operator can give the
// right key.
var supplyHints = []string{"REGISTRY_SECRET_KEY", "--secret-key-file", "REGISTRY_SECRET_KEY_FILE"}

func wantRefusal(t *testing.T, err error, also ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("started")
	}
	for _, want := range append(also, supplyHints...) {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not say %q:\n%v", want, err)
		}
	}
}

// TestSQLiteDefaultKeyFile runs registryd on an SQLite file with no key
// configured: the key file beside the database is created once (0600,
// logged by path, the key itself never logged) and reused; a copy of the
// database without its key file, and the original with another key,
// refuse to start saying how to supply the key, and the copy gets no key
// file of its own.
func TestSQLiteDefaultKeyFile(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "registry.db")
	keyPath := dbPath + ".key"
	vars := env(map[string]string{"REGISTRY_DATABASE_URL": "sqlite:" + dbPath})

	var logs bytes.Buffer
	if err := run(t.Context(), []string{"migrate"}, vars, io.Discard, &logs); err != nil {
		t.Fatalf("migrate: %v\n%s", err, logs.String())
	}
	key, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatalf("no key file beside the database: %v", err)
	}
	if fi, _ := os.Stat(keyPath); fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	created := regexp.MustCompile(`"msg":"created the secret key file[^"]*","path":"` + regexp.QuoteMeta(keyPath) + `"`)
	if !created.MatchString(logs.String()) {
		t.Errorf("the log does not say the key file was created at %s:\n%s", keyPath, logs.String())
	}
	if strings.Contains(logs.String(), strings.TrimSpace(string(key))) {
		t.Fatal("the key reached the log")
	}
	registerTalent(t, "sqlite:"+dbPath, string(key))

	t.Run("reused", func(t *testing.T) {
		logs.Reset()
		var out bytes.Buffer
		if err := run(t.Context(), []string{"audit", "verify"}, vars, &out, &logs); err != nil || !strings.Contains(out.String(), "audit chain OK") {
			t.Fatalf("audit verify: %v %q", err, out.String())
		}
		if again, _ := os.ReadFile(keyPath); !bytes.Equal(again, key) {
			t.Error("the key file changed")
		}
		if strings.Contains(logs.String(), "created the secret key file") {
			t.Errorf("a second start says it created the key file:\n%s", logs.String())
		}
	})

	t.Run("copy without its key file", func(t *testing.T) {
		copyDir := t.TempDir()
		for _, suffix := range []string{"", "-wal", "-shm"} {
			b, err := os.ReadFile(dbPath + suffix)
			if os.IsNotExist(err) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(copyDir, "registry.db"+suffix), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		copyPath := filepath.Join(copyDir, "registry.db")
		copyVars := env(map[string]string{"REGISTRY_DATABASE_URL": "sqlite:" + copyPath})
		for _, cmd := range [][]string{{"audit", "verify"}, {"migrate"}} {
			err := run(t.Context(), cmd, copyVars, io.Discard, io.Discard)
			wantRefusal(t, err, copyPath+".key")
			if _, err := os.Stat(copyPath + ".key"); !os.IsNotExist(err) {
				t.Fatalf("%v made a key file for the copy: %v", cmd, err)
			}
		}
		// Given its key, the copy opens.
		withKey := env(map[string]string{"REGISTRY_DATABASE_URL": "sqlite:" + copyPath, "REGISTRY_SECRET_KEY_FILE": keyPath})
		if err := run(t.Context(), []string{"audit", "verify"}, withKey, io.Discard, io.Discard); err != nil {
			t.Fatalf("the copy with its key: %v", err)
		}
	})

	t.Run("another key", func(t *testing.T) {
		other := filepath.Join(t.TempDir(), "other.key")
		if err := os.WriteFile(other, []byte(seal.NewSecretKey()), 0o600); err != nil {
			t.Fatal(err)
		}
		for name, v := range map[string]map[string]string{
			"REGISTRY_SECRET_KEY":      {"REGISTRY_SECRET_KEY": seal.NewSecretKey()},
			"REGISTRY_SECRET_KEY_FILE": {"REGISTRY_SECRET_KEY_FILE": other},
		} {
			t.Run(name, func(t *testing.T) {
				v["REGISTRY_DATABASE_URL"] = "sqlite:" + dbPath
				err := run(t.Context(), []string{"audit", "verify"}, env(v), io.Discard, io.Discard)
				wantRefusal(t, err, "not the key this database was made with")
			})
		}
	})
}

// TestWrongSecretKeyRefused makes a database under one key and starts
// registryd on it with another, on SQLite and PostgreSQL: it refuses,
// naming how to supply the key, and starts with the right one.
func TestWrongSecretKeyRefused(t *testing.T) {
	dbs := []storetest.Database{{Name: "sqlite", URL: "sqlite:" + filepath.Join(t.TempDir(), "registry.db")}}
	if os.Getenv(storetest.PostgresEnv) != "" {
		dbs = append(dbs, storetest.Postgres(t))
	}
	for _, db := range dbs {
		t.Run(db.Name, func(t *testing.T) {
			right, wrong := seal.NewSecretKey(), seal.NewSecretKey()
			withKey := func(key string) func(string) string {
				return env(map[string]string{"REGISTRY_DATABASE_URL": db.URL, "REGISTRY_SECRET_KEY": key})
			}
			if err := run(t.Context(), []string{"migrate"}, withKey(right), io.Discard, io.Discard); err != nil {
				t.Fatalf("migrate: %v", err)
			}
			registerTalent(t, db.URL, right)
			for _, cmd := range [][]string{{"audit", "verify"}, {"migrate"}, {"keys", "rotate"}} {
				err := run(t.Context(), cmd, withKey(wrong), io.Discard, io.Discard)
				wantRefusal(t, err, "not the key this database was made with", "the key came from REGISTRY_SECRET_KEY")
			}
			// serve refuses before listening.
			err := run(t.Context(), []string{"serve", "--addr", freeAddr(t)}, withKey(wrong), io.Discard, io.Discard)
			wantRefusal(t, err, "not the key this database was made with")
			var out bytes.Buffer
			if err := run(t.Context(), []string{"audit", "verify"}, withKey(right), &out, io.Discard); err != nil || !strings.Contains(out.String(), "audit chain OK") {
				t.Fatalf("the right key: %v %q", err, out.String())
			}
		})
	}
}

// TestKeysRetire withdraws the signing key from the command line: it
// reports the replacement, the withdrawal is audited, and retiring it
// again or an unknown key fails.
func TestKeysRetire(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "registry.db")
	vars := env(map[string]string{"REGISTRY_DATABASE_URL": "sqlite:" + dbPath, "USER": "ops"})
	var out bytes.Buffer
	if err := run(t.Context(), []string{"migrate"}, vars, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := run(t.Context(), []string{"keys", "rotate"}, vars, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	kid := regexp.MustCompile(`signed with key (\S+);`).FindStringSubmatch(out.String())
	if kid == nil {
		t.Fatalf("keys rotate printed %q", out.String())
	}
	out.Reset()
	if err := run(t.Context(), []string{"keys", "retire", kid[1]}, vars, &out, io.Discard); err != nil {
		t.Fatalf("keys retire: %v", err)
	}
	if !strings.Contains(out.String(), "signing key "+kid[1]+" withdrawn") || !strings.Contains(out.String(), "now signed with key ") {
		t.Fatalf("keys retire printed %q", out.String())
	}
	for _, bad := range [][]string{
		{"keys", "retire"},
		{"keys", "retire", kid[1]},
		{"keys", "retire", "no-such-key"},
		{"keys", "bogus"},
	} {
		if err := run(t.Context(), bad, vars, io.Discard, io.Discard); err == nil {
			t.Errorf("%v succeeded", bad)
		}
	}
	// Events: first key, rotation, withdrawal and the replacement.
	out.Reset()
	if err := run(t.Context(), []string{"audit", "verify"}, vars, &out, io.Discard); err != nil || !strings.Contains(out.String(), "OK: 4 events") {
		t.Fatalf("audit verify: %v %q", err, out.String())
	}
}
