package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect/v2"

	"github.com/hangzhou-ai/registry/rpc/client"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/gen/registry/v1/registryv1connect"
	"github.com/hangzhou-ai/registry/rpc/oidc/oidctest"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
)

// metricLine finds the value of the sample whose line starts with prefix
// (name and labels as exposed, e.g. `go_sql_open_connections{db_name="registry"}`).
func metricLine(t *testing.T, exposition, prefix string) float64 {
	t.Helper()
	for _, line := range strings.Split(exposition, "\n") {
		if rest, ok := strings.CutPrefix(line, prefix+" "); ok {
			v, err := strconv.ParseFloat(strings.Fields(rest)[0], 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return v
		}
	}
	t.Fatalf("no %s in the metrics:\n%s", prefix, exposition)
	return 0
}

// TestServeMetricsAndSSO runs `registryd serve` with an admin port and
// single sign-on against an identity provider the test runs: a JWT of the
// provider is accepted as the principal its claims name, a bad one is
// refused, and /metrics on the admin port (and only there) counts the
// calls and shows the pool and the audit chain.
func TestServeMetricsAndSSO(t *testing.T) {
	key := oidctest.NewECKey(t, "city-1")
	idp := oidctest.New(t, key)
	addr, metricsAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr rpctest.SyncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--demo", "--addr", addr,
			"--database-url", "sqlite:" + filepath.Join(t.TempDir(), "registry.db"),
			"--oidc-issuer", idp.Issuer, "--oidc-org-claim", "hz_org", "--oidc-subject-claim", "preferred_username",
		}, env(map[string]string{
			"REGISTRY_METRICS_ADDR":    metricsAddr,
			"REGISTRY_OIDC_AUDIENCE":   "registry",
			"REGISTRY_OIDC_ROLE_CLAIM": "hz_role",
		}), &stdout, &stderr)
	}()
	base := "http://" + addr
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		res, err := http.Post(base+"/grpc.health.v1.Health/Check", "application/json", strings.NewReader(`{}`))
		if err == nil {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start:\n%s", stderr.String())
		}
	}
	var auditorToken string
	for _, line := range strings.Split(stdout.String(), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "auditor" {
			auditorToken = f[2]
		}
	}

	now := time.Now()
	claims := map[string]any{
		"iss": idp.Issuer, "aud": "registry", "sub": "c0ffee", "preferred_username": "zhang.wei",
		"hz_org": "bureau:economy-it", "hz_role": "issuer", "exp": now.Add(5 * time.Minute).Unix(), "iat": now.Unix(),
	}
	good := idp.Sign(key, claims)
	claims["aud"] = "someone-else"
	bad := idp.Sign(key, claims)
	designations := func(token string) registryv1connect.DesignationServiceClient {
		return client.NewClients(http.DefaultClient, base, client.WithInterceptors(client.BearerAuth(token))).Designation
	}
	if _, err := designations(good).ListDesignations(ctx, &registryv1.ListDesignationsRequest{Type: "little-giant"}); err != nil {
		t.Fatalf("SSO token: %v", err)
	}
	if _, err := designations(bad).ListDesignations(ctx, &registryv1.ListDesignationsRequest{}); connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("SSO token for another audience: %v", err)
	}
	audit := client.NewClients(http.DefaultClient, base, client.WithInterceptors(client.BearerAuth(auditorToken))).Audit
	verify, err := audit.VerifyAuditChain(ctx, &registryv1.VerifyAuditChainRequest{})
	if err != nil || !verify.Ok {
		t.Fatalf("verify: %v %+v", err, verify)
	}

	res, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := string(body)
	for _, c := range []struct {
		name, sample string
		check        func(float64) bool
	}{
		{"SSO call counted", `registry_rpc_requests_total{code="ok",procedure="/registry.v1.DesignationService/ListDesignations"}`, func(v float64) bool { return v == 1 }},
		{"refused call counted", `registry_rpc_requests_total{code="unauthenticated",procedure="/registry.v1.DesignationService/ListDesignations"}`, func(v float64) bool { return v == 1 }},
		{"calls timed", `registry_rpc_request_duration_seconds_count{code="ok",procedure="/registry.v1.AuditService/VerifyAuditChain"}`, func(v float64) bool { return v == 1 }},
		{"pool maximum", `go_sql_max_open_connections{db_name="registry"}`, func(v float64) bool { return v == 0 }}, // SQLite file: unlimited
		{"pool open", `go_sql_open_connections{db_name="registry"}`, func(v float64) bool { return v >= 1 }},
		{"audit chain", `registry_audit_chain_length`, func(v float64) bool { return v == float64(verify.EventsChecked) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			if v := metricLine(t, m, c.sample); !c.check(v) {
				t.Fatalf("%s = %v", c.sample, v)
			}
		})
	}
	if res, err := http.Get(base + "/metrics"); err != nil || res.StatusCode != http.StatusNotFound {
		t.Fatalf("the RPC port serves /metrics: %v %v", err, res)
	}

	stopServe(t, cancel, done)
	logs := stderr.String()
	if !regexp.MustCompile(`"subject":"zhang.wei"`).MatchString(logs) || !strings.Contains(logs, `"sso_refusal":"audience`) {
		t.Fatalf("log lacks the SSO subject or the refusal's reason:\n%s", logs)
	}
	for _, tok := range []string{good, bad, auditorToken} {
		if strings.Contains(logs, tok) {
			t.Fatal("a token reached the log")
		}
	}
}

// TestServeFlags checks that serve documents its flags and environment,
// and refuses half an SSO configuration.
func TestServeFlags(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), []string{"serve", "--help"}, env(nil), io.Discard, &out); err != nil {
		t.Fatalf("serve --help: %v", err)
	}
	for _, want := range []string{
		"-metrics-addr", "REGISTRY_METRICS_ADDR", "-pprof-addr", "REGISTRY_PPROF_ADDR", "-oidc-issuer", "REGISTRY_OIDC_ISSUER", "-oidc-audience", "REGISTRY_OIDC_AUDIENCE",
		"-oidc-org-claim", "REGISTRY_OIDC_ORG_CLAIM", "-oidc-role-claim", "REGISTRY_OIDC_ROLE_CLAIM",
		"-oidc-subject-claim", "REGISTRY_OIDC_SUBJECT_CLAIM",
		"REGISTRY_SECRET_KEY", "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT",
		"-import-idle-timeout", "REGISTRY_IMPORT_IDLE_TIMEOUT", "-max-concurrent-imports", "REGISTRY_MAX_CONCURRENT_IMPORTS",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("serve --help does not mention %s", want)
		}
	}
	for _, c := range []struct {
		name string
		args []string
		vars map[string]string
	}{
		{"issuer without audience", []string{"serve", "--oidc-issuer", "https://sso.example"}, nil},
		{"audience without issuer", []string{"serve"}, map[string]string{"REGISTRY_OIDC_AUDIENCE": "registry"}},
		{"negative import idle timeout", []string{"serve", "--import-idle-timeout", "-1s"}, nil},
		{"unreadable concurrent imports", []string{"serve"}, map[string]string{"REGISTRY_MAX_CONCURRENT_IMPORTS": "two"}},
		{"unusable profiler address", []string{"serve", "--pprof-addr", "127.0.0.1:notaport", "--database-url", "file:pprofaddr?mode=memory&cache=shared", "--addr", "127.0.0.1:0"}, nil},
		{"plain http issuer", []string{"serve", "--oidc-issuer", "http://sso.example", "--oidc-audience", "registry", "--database-url", "file:flags?mode=memory&cache=shared", "--addr", "127.0.0.1:0"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := run(t.Context(), c.args, env(c.vars), io.Discard, io.Discard); err == nil {
				t.Fatal("serve started")
			}
		})
	}
}

// TestServePprof runs `registryd serve` with the profiler's port named by
// the environment twin REGISTRY_PPROF_ADDR: the profiler answers there,
// index and CPU profile, and only there (the RPC port answers 404 for
// /debug/pprof/, and the profiler's port serves no RPC).
func TestServePprof(t *testing.T) {
	addr, pprofAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stderr rpctest.SyncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", addr, "--database-url", "sqlite:" + filepath.Join(t.TempDir(), "registry.db")},
			env(map[string]string{"REGISTRY_PPROF_ADDR": pprofAddr}), io.Discard, &stderr)
	}()
	base, prof := "http://"+addr, "http://"+pprofAddr
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		res, err := http.Get(prof + "/debug/pprof/")
		if err == nil {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("profiler did not start:\n%s", stderr.String())
		}
	}
	get := func(t *testing.T, url string) (int, []byte) {
		t.Helper()
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, body
	}
	for _, c := range []struct {
		name, url string
		code      int
		check     func([]byte) bool
	}{
		{"index on the profiler's port", prof + "/debug/pprof/", http.StatusOK, func(b []byte) bool { return bytes.Contains(b, []byte("goroutine")) }},
		{"a named profile", prof + "/debug/pprof/goroutine?debug=1", http.StatusOK, func(b []byte) bool { return bytes.Contains(b, []byte("goroutine profile:")) }},
		{"CPU profile", prof + "/debug/pprof/profile?seconds=1", http.StatusOK, isProfile},
		{"no profiler on the RPC port", base + "/debug/pprof/", http.StatusNotFound, nil},
		{"no CPU profile on the RPC port", base + "/debug/pprof/profile?seconds=1", http.StatusNotFound, nil},
		{"no RPC on the profiler's port", prof + "/grpc.health.v1.Health/Check", http.StatusNotFound, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, body := get(t, c.url)
			if code != c.code {
				t.Fatalf("%s: %d, want %d", c.url, code, c.code)
			}
			if c.check != nil && !c.check(body) {
				t.Fatalf("%s: unexpected body (%d bytes): %.200q", c.url, len(body), body)
			}
		})
	}
	stopServe(t, cancel, done)
	if _, err := http.Get(prof + "/debug/pprof/"); err == nil {
		t.Fatal("the profiler still answers after shutdown")
	}
}

// isProfile reports whether b is a gzipped profile.proto with samples'
// types in it, as /debug/pprof/profile writes.
func isProfile(b []byte) bool {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return false
	}
	raw, err := io.ReadAll(zr)
	return err == nil && len(raw) > 0 && bytes.Contains(raw, []byte("nanoseconds"))
}

func TestTracingEnabled(t *testing.T) {
	for _, c := range []struct {
		name string
		vars map[string]string
		want bool
	}{
		{"nothing set", nil, false},
		{"exporter otlp", map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, true},
		{"endpoint only", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, true},
		{"traces endpoint only", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, true},
		{"exporter none", map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, false},
		{"sdk disabled", map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := tracingEnabled(env(c.vars)); got != c.want {
				t.Fatalf("tracingEnabled = %v, want %v", got, c.want)
			}
		})
	}
	tp, stop, err := setupTracing(t.Context(), env(nil), nil)
	if err != nil || tp != nil || stop(t.Context()) != nil {
		t.Fatalf("tracing off by default: %v %v", tp, err)
	}
}
