package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hangzhou-ai/registry/checkpoint"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// monitorRun runs `registryctl audit monitor` against env, with no token.
func monitorRun(t *testing.T, env *rpctest.Env, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(t.Context(), append([]string{"--addr", env.URL, "audit", "monitor"}, args...),
		func(string) string { return "" }, strings.NewReader(""), &out, io.Discard)
	return out.String(), err
}

// registerSome records n more enterprises, one audit event each.
func registerSome(t *testing.T, env *rpctest.Env, from, n int) {
	t.Helper()
	ctx := registrytest.As(t.Context(), "issuer", "bureau:economy-it")
	for i := range n {
		code := registrytest.CreditCode(t, fmt.Sprintf("91330106MA2%05d1", from+i))
		if _, err := env.Registry.RegisterEnterprise(ctx, enterprise.NewEnterprise{CreditCode: code, Name: "监测企业" + code[12:]}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAuditMonitor is what a third party sees: the monitor accepts a log
// that grows, and fails, naming the first bad size, once events a saved
// checkpoint covers are rewritten, inserted or truncated — even when the
// database was resealed so that its own chain verifies.
func TestAuditMonitor(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		tampers := []struct {
			name      string
			tamper    string
			truncates bool
		}{
			{"an actor edited", "UPDATE audit_events SET actor_subject = 'someone-else' WHERE id = 3", false},
			{"the last three events deleted", "DELETE FROM audit_events WHERE id > (SELECT MAX(id) - 3 FROM audit_events)", true},
			{"an event inserted", "", false},
		}
		for _, tc := range tampers {
			t.Run(tc.name, func(t *testing.T) {
				fresh := storetest.SQLite(t)
				if db.Name == "postgres" {
					fresh = storetest.Postgres(t)
				}
				env := rpctest.New(t, fresh)
				dir := t.TempDir()
				state, key := filepath.Join(dir, "state.json"), filepath.Join(dir, "checkpoint.key")
				if err := os.WriteFile(key, []byte(registrytest.CheckpointSigner(t).VerifierKey()+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				if _, err := monitorRun(t, env, "--state", state); err == nil || !strings.Contains(err.Error(), "--key") {
					t.Fatalf("a first run without --key: %v", err)
				}
				registerSome(t, env, 0, 3)
				out, err := monitorRun(t, env, "--state", state, "--key", key)
				if err != nil || !strings.HasPrefix(out, "OK: ") {
					t.Fatalf("first run: %q, %v", out, err)
				}
				registerSome(t, env, 3, 4)
				if out, err := monitorRun(t, env, "--state", state); err != nil || !strings.HasPrefix(out, "OK: ") {
					t.Fatalf("second run: %q, %v", out, err)
				}
				st, err := checkpoint.LoadState(state)
				if err != nil || len(st.Checkpoints) != 2 {
					t.Fatalf("state after two runs: %+v, %v", st, err)
				}
				last := st.Checkpoints[1].Size

				conn := storetest.OpenSQL(t, fresh)
				if tc.tamper != "" {
					if _, err := conn.Exec(tc.tamper); err != nil {
						t.Fatal(err)
					}
				} else {
					for _, q := range []string{
						"UPDATE audit_events SET id = id + 1000000 WHERE id >= 4",
						"UPDATE audit_events SET id = id - 999999 WHERE id >= 1000000",
						`INSERT INTO audit_events (id, occurred_at, actor_subject, actor_org, actor_role, action, entity_type, entity_id, "before", "after", reason, prev_hash, hash, owner_org)
							SELECT 4, occurred_at, 'backdated', actor_org, actor_role, action, entity_type, entity_id, "before", "after", reason, prev_hash, hash, owner_org FROM audit_events WHERE id = 3`,
					} {
						if _, err := conn.Exec(q); err != nil {
							t.Fatal(err)
						}
					}
				}
				registrytest.ResealAuditLog(t, env.Registry)
				auditor := registrytest.As(t.Context(), "auditor", "auditor")
				if rep, err := env.Registry.VerifyAuditChain(auditor); err != nil || !rep.OK {
					t.Fatalf("the resealed database does not verify on its own (%+v, %v): the test tampers badly", rep, err)
				}
				out, err = monitorRun(t, env, "--state", state)
				if err == nil || !strings.Contains(out, "first bad size") {
					t.Fatalf("after tampering: %q, %v", out, err)
				}
				// The first checkpoint covers events 3 and 4, the edit's and
				// the insertion's; the truncation leaves it whole.
				want := st.Checkpoints[0].Size
				if tc.truncates {
					want = last
				}
				if !strings.Contains(out, "first bad size "+strconv.FormatInt(want, 10)+":") {
					t.Fatalf("after tampering: %q, want first bad size %d", out, want)
				}
				after, err := checkpoint.LoadState(state)
				if err != nil || len(after.Checkpoints) != 2 {
					t.Fatalf("a failed run changed the state: %+v, %v", after, err)
				}
			})
		}
		t.Run("a checkpoint under another key", func(t *testing.T) {
			env := rpctest.New(t, storetest.SQLite(t))
			dir := t.TempDir()
			_, otherKey, err := checkpoint.GenerateKey(registrytest.CheckpointOrigin)
			if err != nil {
				t.Fatal(err)
			}
			key := filepath.Join(dir, "k")
			if err := os.WriteFile(key, []byte(otherKey), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := monitorRun(t, env, "--state", filepath.Join(dir, "s"), "--key", key)
			if err == nil || !strings.Contains(out, "BAD CHECKPOINT") {
				t.Fatalf("%q, %v", out, err)
			}
		})
	})
}
