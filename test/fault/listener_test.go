package fault

import (
	"bytes"
	"fmt"
	"os/exec"
	"testing"
	"time"

	"connectrpc.com/connect/v2"

	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
)

// TestRevocationWhileListenerIsCut runs two registryd replicas on one
// PostgreSQL database, cuts their notification sessions (as a network
// failure or a failover would) and revokes a token the second replica has
// in memory from a third process at that moment: the notification is lost,
// yet the second replica refuses the token within a second and a half,
// because a replica that cannot hear keeps nothing longer than a second.
// Once the listeners are back, a second revocation is heard at once.
func TestRevocationWhileListenerIsCut(t *testing.T) {
	t.Parallel()
	pg := newCluster(t)
	first := newServer(t, pg.URL("registry"))
	second := &server{t: t, bin: first.bin, env: first.env, addr: fmt.Sprintf("127.0.0.1:%d", freePort(t)), log: &rpctest.SyncBuffer{}}
	t.Cleanup(second.kill)
	tokens := []string{first.token("clerk-1", "bureau:economy-it", "viewer"), first.token("clerk-2", "bureau:economy-it", "viewer")}
	first.start()
	second.start()
	admin := pg.open("registry")
	defer admin.Close()
	listeners := func() int {
		var n int
		if err := admin.QueryRow("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'registry-listener'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	waitFor := func(limit time.Duration, what string, cond func() bool) time.Duration {
		t.Helper()
		start := time.Now()
		for !cond() {
			if time.Since(start) > limit {
				t.Fatalf("%s: not within %v", what, limit)
			}
			time.Sleep(10 * time.Millisecond)
		}
		return time.Since(start)
	}
	waitFor(10*time.Second, "both replicas listening", func() bool { return listeners() == 2 })
	refused := func(token string) bool {
		_, err := newClients(second.url(), token).Enterprise.ListEnterprises(t.Context(), &registryv1.ListEnterprisesRequest{})
		return connect.CodeOf(err) == connect.CodeUnauthenticated
	}
	for _, tok := range tokens {
		if refused(tok) {
			t.Fatal("a fresh token was refused")
		}
	}
	revoke := func(id int) {
		cmd := exec.Command(first.bin, "token", "revoke", "--id", fmt.Sprint(id))
		cmd.Env = first.env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("token revoke: %v\n%s", err, out.String())
		}
	}

	if _, err := admin.Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'registry-listener'"); err != nil {
		t.Fatal(err)
	}
	revoke(1)
	took := waitFor(1500*time.Millisecond, "the replica refusing a token revoked while it could not hear", func() bool { return refused(tokens[0]) })
	t.Logf("revoked while cut: refused after %v", took)

	waitFor(10*time.Second, "both replicas listening again", func() bool { return listeners() == 2 })
	// What the second replica reads now it may keep until told otherwise.
	if refused(tokens[1]) {
		t.Fatal("the second token was refused before its revocation")
	}
	time.Sleep(1200 * time.Millisecond) // longer than a deaf replica would keep it
	revoke(2)
	took = waitFor(time.Second, "the replica refusing a token revoked once it hears again", func() bool { return refused(tokens[1]) })
	t.Logf("revoked while listening: refused after %v", took)
}
