package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect/v2"
	"connectrpc.com/connect/v2/connecthttp"
	"connectrpc.com/grpcreflect/v2"

	"github.com/hangzhou-ai/registry/rpc/client"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/oidc/oidctest"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// TestServeDemo runs `registryd serve --demo` on a temporary SQLite file and
// checks the health service, reflection over gRPC, a Connect JSON call with
// a printed demo token, gRPC-Web, and graceful shutdown.
func TestServeDemo(t *testing.T) {
	addr := freeAddr(t)
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "registry.db")
	ctx, cancel := context.WithCancel(t.Context())
	var stdout, stderr rpctest.SyncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--demo", "--addr", addr, "--database-url", dbURL}, env(nil), &stdout, &stderr)
	}()
	base := "http://" + addr
	var health string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		res, err := http.Post(base+"/grpc.health.v1.Health/Check", "application/json", strings.NewReader(`{}`))
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			health = string(b)
			break
		}
	}
	if !strings.Contains(health, "SERVING") {
		cancel()
		t.Fatalf("health: %q\nstderr: %s", health, stderr.String())
	}

	tokens := map[string]string{}
	for _, line := range strings.Split(stdout.String(), "\n")[1:] {
		if f := strings.Fields(line); len(f) == 3 {
			tokens[f[0]+"@"+f[1]] = f[2]
		}
	}
	for _, want := range []string{"admin@admin", "auditor@auditor", "issuer@bureau:economy-it", "issuer@bureau:talent-office"} {
		if !strings.HasPrefix(tokens[want], "rgt_") {
			t.Fatalf("demo printed no token for %s:\n%s", want, stdout.String())
		}
	}

	grpcClient := connect.NewClient(connecthttp.NewTransport(client.H2C(), base, connecthttp.WithGRPC()))
	stream := grpcreflect.NewClient(grpcClient).NewStream(ctx)
	services, err := stream.ListServices()
	stream.Close()
	if err != nil {
		t.Fatalf("reflection: %v", err)
	}
	if !slices.Contains(services, "registry.v1.DesignationService") {
		t.Fatalf("reflection lists %v", services)
	}

	req, _ := http.NewRequest(http.MethodPost, base+"/registry.v1.DesignationService/ListDesignations", strings.NewReader(`{"type":"little-giant"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tokens["issuer@bureau:economy-it"])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"type":"little-giant"`) {
		t.Fatalf("connect JSON call: %d %s", res.StatusCode, body)
	}

	web := client.NewClients(http.DefaultClient, base, client.WithInterceptors(client.BearerAuth(tokens["auditor@auditor"])),
		client.WithTransportOptions(connecthttp.WithGRPCWeb())).Audit
	verify, err := web.VerifyAuditChain(ctx, &registryv1.VerifyAuditChainRequest{})
	if err != nil || !verify.Ok || verify.EventsChecked == 0 {
		t.Fatalf("gRPC-Web verify: %v %+v", err, verify)
	}

	// The profiler is off unless --pprof-addr names its port; it is never on this one.
	if res, err := http.Get(base + "/debug/pprof/"); err != nil || res.StatusCode != http.StatusNotFound {
		t.Fatalf("the RPC port serves /debug/pprof/ by default: %v %v", err, res)
	}

	// The demo prints the console's address and a certificate's public
	// page, both served on this port.
	var consoleURL, pageURL string
	for _, line := range strings.Split(stdout.String(), "\n") {
		f := strings.Fields(line)
		switch {
		case strings.HasPrefix(line, "console"):
			consoleURL = f[len(f)-1]
		case strings.HasPrefix(line, "a certificate's public page"):
			pageURL = f[len(f)-1]
		}
	}
	if consoleURL != base+"/console/" || !strings.HasPrefix(pageURL, base+"/d/") {
		t.Fatalf("console URL %q; output:\n%s", consoleURL, stdout.String())
	}
	if res, err := http.Get(consoleURL); err != nil || res.StatusCode != http.StatusOK || res.Request.URL.Path != "/console/signin" {
		t.Fatalf("the console URL does not lead to sign-in: %v %v", err, res)
	}
	res, err = http.Get(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "有效") || !strings.Contains(string(body), "杭州云栖智算科技有限公司") {
		t.Fatalf("the demo's public page %s: %d\n%s", pageURL, res.StatusCode, body)
	}

	stopServe(t, cancel, done)
	logs := stderr.String()
	if !strings.Contains(logs, `"procedure":"/registry.v1.DesignationService/ListDesignations"`) || !strings.Contains(logs, `"code":"ok"`) {
		t.Fatalf("no call log line:\n%s", logs)
	}
	for _, tok := range tokens {
		if strings.Contains(logs, tok) {
			t.Fatal("a token reached the log")
		}
	}
}

// TestTokenCommands creates a token from the command line (printing only
// the token), refuses bad principals and unknown ids, revokes it, and
// finds both changes, after the first signing key's creation, in a
// verified audit chain.
func TestTokenCommands(t *testing.T) {
	dir := t.TempDir()
	dbURL := "sqlite:" + filepath.Join(dir, "registry.db")
	vars := env(map[string]string{"REGISTRY_DATABASE_URL": dbURL})
	var out, errOut bytes.Buffer
	if err := run(t.Context(), []string{"token", "create", "--subject", "王小明", "--org", "bureau:economy-it", "--role", "issuer"}, vars, &out, &errOut); err == nil ||
		!strings.Contains(err.Error(), "registryd migrate") {
		t.Fatalf("token create before migrate: %v, want a refusal naming registryd migrate", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "registry.db.key")); !os.IsNotExist(err) {
		t.Fatalf("token create before migrate left a key file: %v", err)
	}
	if err := run(t.Context(), []string{"migrate"}, vars, io.Discard, &errOut); err != nil {
		t.Fatalf("migrate: %v\n%s", err, errOut.String())
	}
	out.Reset()
	if err := run(t.Context(), []string{"token", "create", "--subject", "王小明", "--org", "bureau:economy-it", "--role", "issuer"}, vars, &out, &errOut); err != nil {
		t.Fatalf("token create: %v\n%s", err, errOut.String())
	}
	token := strings.TrimSpace(out.String())
	if !strings.HasPrefix(token, "rgt_") || strings.Contains(token, "\n") {
		t.Fatalf("token create printed %q, want only the token", out.String())
	}
	for _, bad := range [][]string{
		{"token", "create", "--subject", "x", "--org", "bureau:nowhere", "--role", "issuer"},
		{"token", "create", "--subject", "x", "--org", "enterprise:91110000600037341L", "--role", "issuer"},
		{"token", "revoke", "--id", "999"},
	} {
		if err := run(t.Context(), bad, vars, io.Discard, io.Discard); err == nil {
			t.Errorf("%v succeeded", bad)
		}
	}
	out.Reset()
	if err := run(t.Context(), []string{"token", "revoke", "--id", "1"}, vars, &out, io.Discard); err != nil || !strings.Contains(out.String(), "revoked") {
		t.Fatalf("token revoke: %v %q", err, out.String())
	}
	out.Reset()
	if err := run(t.Context(), []string{"audit", "verify"}, vars, &out, io.Discard); err != nil || !strings.Contains(out.String(), "OK: 3 events") {
		t.Fatalf("audit verify: %v %q", err, out.String())
	}
	out.Reset()
	if err := run(t.Context(), []string{"keys", "rotate"}, vars, &out, io.Discard); err != nil || !strings.Contains(out.String(), "signed with key") {
		t.Fatalf("keys rotate: %v %q", err, out.String())
	}
	out.Reset()
	if err := run(t.Context(), []string{"audit", "verify"}, vars, &out, io.Discard); err != nil || !strings.Contains(out.String(), "OK: 4 events") {
		t.Fatalf("audit verify after rotation: %v %q", err, out.String())
	}
	if err := run(t.Context(), []string{"bogus"}, vars, io.Discard, io.Discard); err == nil {
		t.Fatal("unknown command succeeded")
	}
}

// stopServe cancels a serve started in the test and waits for it to return
// without error.
func stopServe(t *testing.T, cancel context.CancelFunc, done <-chan error) {
	t.Helper()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not shut down")
	}
}

// TestServeSSOLogin runs serve with a provider and a public URL: the
// console offers the provider's sign-in, asks for the configured client
// and scopes, and trades the code with the secret from its file (the
// provider refuses the client without it). Without --public-url the
// sign-in through the provider is off.
func TestServeSSOLogin(t *testing.T) {
	idp := oidctest.New(t, oidctest.NewRSAKey(t, "serve-1"))
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "client-secret")
	const secret = "s3cret-from-a-file"
	if err := os.WriteFile(secretFile, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	serve := func(t *testing.T, publicURL bool) (base string, logs *rpctest.SyncBuffer, stop func()) {
		addr := freeAddr(t)
		base = "http://" + addr
		args := []string{"serve", "--addr", addr, "--database-url", "sqlite:" + filepath.Join(t.TempDir(), "registry.db"),
			"--oidc-issuer", idp.Issuer, "--oidc-audience", "registry", "--oidc-client-id", "registry-console", "--oidc-scopes", "openid,profile"}
		if publicURL {
			args = append(args, "--public-url", base)
		}
		ctx, cancel := context.WithCancel(t.Context())
		logs = &rpctest.SyncBuffer{}
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, args, env(map[string]string{"REGISTRY_OIDC_CLIENT_SECRET_FILE": secretFile}), io.Discard, logs)
		}()
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if res, err := http.Get(base + "/console/signin"); err == nil {
				res.Body.Close()
				break
			}
			if time.Now().After(deadline) {
				cancel()
				t.Fatalf("serve did not start:\n%s", logs.String())
			}
		}
		return base, logs, func() { stopServe(t, cancel, done) }
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	t.Run("on", func(t *testing.T) {
		base, logs, stop := serve(t, true)
		idp.RegisterClient(oidctest.Client{ID: "registry-console", Secret: secret, RedirectURIs: []string{base + "/console/sso/callback"}})
		idp.LoginAs(map[string]any{"sub": "chen.yu", "org": "auditor", "role": "auditor"})
		res, err := http.Get(base + "/console/signin")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(body), `id="sso-login"`) {
			t.Fatalf("the sign-in page offers no single sign-on:\n%s", body)
		}
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, CheckRedirect: noFollow.CheckRedirect}
		res, err = c.Get(base + "/console/sso?next=/console/audit")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		auth, _ := url.Parse(res.Header.Get("Location"))
		if q := auth.Query(); q.Get("client_id") != "registry-console" || q.Get("scope") != "openid profile" || q.Get("redirect_uri") != base+"/console/sso/callback" {
			t.Fatalf("authorization request %s", auth)
		}
		res, err = c.Get(auth.String())
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		res, err = c.Get(res.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `content="0;url=/console/audit"`) || idp.CodeExchanges() != 1 {
			t.Fatalf("back from the provider: %d, %d codes exchanged\n%s", res.StatusCode, idp.CodeExchanges(), body)
		}
		res, err = c.Get(base + "/console/audit")
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "chen.yu") {
			t.Fatalf("the auditor's trail after signing in: %d\n%s", res.StatusCode, body)
		}
		stop()
		if strings.Contains(logs.String(), secret) {
			t.Fatal("the client secret reached the log")
		}
	})
	t.Run("off without a public URL", func(t *testing.T) {
		base, logs, stop := serve(t, false)
		res, err := noFollow.Get(base + "/console/sso")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		stop()
		if res.StatusCode != http.StatusNotFound || !strings.Contains(logs.String(), "set --public-url to turn it on") {
			t.Fatalf("/console/sso: %d\n%s", res.StatusCode, logs.String())
		}
	})
}
