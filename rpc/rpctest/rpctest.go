// Package rpctest starts a real registry server in-process, over HTTP on
// loopback, on a real database, and hands out generated clients for any
// principal. Tests use it to drive the API end to end.
package rpctest

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect/v2"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/access"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/rpc"
	"github.com/hangzhou-ai/registry/rpc/client"
	"github.com/hangzhou-ai/registry/seal"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// Start is the default start of the test clock: 2026-06-15, noon in
// Hangzhou, the day the registry's own tests start on too.
var Start = registrytest.Start

// Env is a running registry.
type Env struct {
	t        testing.TB
	DB       storetest.Database
	Registry *registry.Registry
	Clock    *storetest.Clock
	URL      string
	Secrets  *seal.Secrets

	srv *httptest.Server
}

// New starts a registry on db behind an httptest server, without rate
// limits (tests call fast).
func New(t testing.TB, db storetest.Database) *Env {
	return NewWithOptions(t, db, rpc.WithLimits(rpc.Limits{MaxCallDuration: time.Minute}))
}

// NewWithOptions starts a registry whose handler gets opts.
func NewWithOptions(t testing.TB, db storetest.Database, opts ...rpc.Option) *Env {
	t.Helper()
	log := testLogger(t)
	reg, clock, secrets := registrytest.OpenLogged(t, db, log)
	srv := httptest.NewUnstartedServer(rpc.NewHandler(reg, log.Named("rpc"), opts...))
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	t.Cleanup(srv.Close)
	return &Env{t: t, DB: db, Registry: reg, Clock: clock, URL: srv.URL, Secrets: secrets, srv: srv}
}

// Stop shuts the server down as registryd does: the registry's watches
// end first (so that their streams do not hold the shutdown up), then the
// server closes. The registry stays open until the test ends; a test
// "restarts" with New on the same database.
func (e *Env) Stop() {
	e.Registry.EndWatches()
	e.srv.Close()
}

// testLogger logs to t until the test's cleanups run, and drops lines
// after: a handler of the test's server may still be finishing a stream
// when the test ends, and a test must not be written to once it has.
func testLogger(t testing.TB) *zap.Logger {
	w := &testWriter{t: t}
	t.Cleanup(w.stop)
	enc := zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig())
	return zap.New(zapcore.NewCore(enc, zapcore.AddSync(w), zapcore.DebugLevel))
}

// testWriter passes log lines to a test while it runs.
type testWriter struct {
	mu      sync.RWMutex
	t       testing.TB
	stopped bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if !w.stopped {
		w.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

func (w *testWriter) stop() {
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
}

// Clients are generated clients of every service, sending one token.
type Clients = client.Clients

// h2c carries the import streams, which are bidirectional and so need
// HTTP/2; the other calls go over HTTP/1.1, as most callers' do.
var h2c = client.H2C()

// ClientsWithToken returns clients that send token as their bearer token
// (none when token is empty).
func (e *Env) ClientsWithToken(token string) *Clients {
	return client.NewClients(http.DefaultClient, e.URL,
		client.WithInterceptors(client.BearerAuth(token)), client.WithStreamingHTTPClient(h2c))
}

// Token issues a token for p.
func (e *Env) Token(p registry.Principal) string {
	e.t.Helper()
	raw, _, err := e.Registry.IssueToken(context.Background(), registry.Principal{Subject: "rpctest", Org: "admin", Role: "admin"},
		access.NewToken{Subject: p.Subject, Org: p.Org, Role: p.Role})
	if err != nil {
		e.t.Fatal(err)
	}
	return raw
}

// As returns clients acting as a principal with the given role and organisation.
func (e *Env) As(role, org string) *Clients {
	return e.ClientsWithToken(e.Token(registry.Principal{Subject: role + "@" + org, Org: org, Role: role}))
}

// Code returns the Connect code of err, or 0 for nil.
func Code(err error) connect.Code {
	if err == nil {
		return 0
	}
	return connect.CodeOf(err)
}

// SyncBuffer is a bytes.Buffer that one goroutine may write while another
// reads it: the log of a server a test runs, say.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what has been written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
