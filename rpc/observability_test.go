package rpc_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect/v2"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/access"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/rpc"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// obsServer is a registry served with rpc options, its pool and its logs.
type obsServer struct {
	*rpctest.Env
	Pool *sql.DB
	Logs *observer.ObservedLogs
}

// startWithOptions serves a registry on db like rpctest.New, with the
// options opts returns for it, and records the rpc logger's lines.
func startWithOptions(t *testing.T, db storetest.Database, opts func(reg *registry.Registry, pool *sql.DB, log *zap.Logger) []rpc.Option) *obsServer {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	log := zap.New(zapcore.NewTee(zaptest.NewLogger(t).Core(), core))
	reg, clock, secrets := registrytest.OpenLogged(t, db, log)
	pool := reg.Pool()
	var o []rpc.Option
	if opts != nil {
		o = opts(reg, pool, log)
	}
	srv := httptest.NewUnstartedServer(rpc.NewHandler(reg, log.Named("rpc"), o...))
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	t.Cleanup(srv.Close)
	return &obsServer{Env: &rpctest.Env{DB: db, Registry: reg, Clock: clock, URL: srv.URL, Secrets: secrets}, Pool: pool, Logs: logs}
}

// token issues a registry token for role@org.
func (s *obsServer) token(t *testing.T, role, org string) string {
	t.Helper()
	raw, _, err := s.Registry.IssueToken(t.Context(), registry.Principal{Subject: "obs-test", Org: "admin", Role: "admin"},
		access.NewToken{Subject: role + "@" + org, Org: org, Role: role})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// scrape reads h's metrics.
func scrape(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", rec.Code, rec.Body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("parse metrics: %v", err)
	}
	return families
}

// metricValue finds the sample of family name whose labels include want;
// ok is false when there is none.
func metricValue(families map[string]*dto.MetricFamily, name string, want map[string]string) (v float64, ok bool) {
	f := families[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

// TestMetrics makes calls with different outcomes and finds them counted
// and timed by procedure and code, with the pool and the audit chain's
// length beside them.
func TestMetrics(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		var metrics *rpc.Metrics
		s := startWithOptions(t, db, func(reg *registry.Registry, pool *sql.DB, log *zap.Logger) []rpc.Option {
			metrics = rpc.NewMetrics(reg, log.Named("metrics"))
			return []rpc.Option{rpc.WithMetrics(metrics)}
		})
		ctx := t.Context()
		admin := s.ClientsWithToken(s.token(t, "admin", "admin"))
		viewer := s.ClientsWithToken(s.token(t, "viewer", "bureau:economy-it"))
		anonymous := s.ClientsWithToken("")
		auditor := s.ClientsWithToken(s.token(t, "auditor", "auditor"))
		for range 2 {
			if _, err := admin.Access.ListGrantRules(ctx, &registryv1.ListGrantRulesRequest{}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := viewer.Access.CreateToken(ctx, &registryv1.CreateTokenRequest{Subject: "x", Organisation: "admin", Role: "admin"}); rpctest.Code(err) != connect.CodePermissionDenied {
			t.Fatalf("viewer creating a token: %v", err)
		}
		if _, err := anonymous.Access.ListGrantRules(ctx, &registryv1.ListGrantRulesRequest{}); rpctest.Code(err) != connect.CodeUnauthenticated {
			t.Fatalf("no token: %v", err)
		}
		verify, err := auditor.Audit.VerifyAuditChain(ctx, &registryv1.VerifyAuditChainRequest{})
		if err != nil || !verify.Ok {
			t.Fatalf("verify: %v %+v", err, verify)
		}

		families := scrape(t, metrics.Handler())
		const grantRules = "/registry.v1.AccessService/ListGrantRules"
		const createToken = "/registry.v1.AccessService/CreateToken"
		maxOpen := 32.0
		if db.Name == "sqlite" {
			maxOpen = 1 // an in-memory database gets one connection
		}
		for _, c := range []struct {
			name   string
			family string
			labels map[string]string
			check  func(v float64) bool
			want   string
		}{
			{"ok calls counted", "registry_rpc_requests_total", map[string]string{"procedure": grantRules, "code": "ok"}, func(v float64) bool { return v == 2 }, "2"},
			{"refused call counted", "registry_rpc_requests_total", map[string]string{"procedure": createToken, "code": "permission_denied"}, func(v float64) bool { return v == 1 }, "1"},
			{"unauthenticated call counted", "registry_rpc_requests_total", map[string]string{"procedure": grantRules, "code": "unauthenticated"}, func(v float64) bool { return v == 1 }, "1"},
			{"ok calls timed", "registry_rpc_request_duration_seconds", map[string]string{"procedure": grantRules, "code": "ok"}, func(v float64) bool { return v == 2 }, "2 observations"},
			{"pool size", "go_sql_max_open_connections", map[string]string{"db_name": "registry"}, func(v float64) bool { return v == maxOpen }, "the configured maximum"},
			{"pool connections", "go_sql_open_connections", map[string]string{"db_name": "registry"}, func(v float64) bool { return v >= 1 && v <= maxOpen }, "between 1 and the maximum"},
			{"pool in use", "go_sql_in_use_connections", map[string]string{"db_name": "registry"}, func(v float64) bool { return v >= 0 }, "present"},
			{"audit chain length", "registry_audit_chain_length", nil, func(v float64) bool { return v == float64(verify.EventsChecked) && v >= 4 }, "the verified event count"},
		} {
			t.Run(c.name, func(t *testing.T) {
				v, ok := metricValue(families, c.family, c.labels)
				if !ok {
					t.Fatalf("no %s%v in the scrape", c.family, c.labels)
				}
				if !c.check(v) {
					t.Fatalf("%s%v = %v, want %s", c.family, c.labels, v, c.want)
				}
			})
		}
	})
}

// TestTracing records spans in memory: each call makes one server span
// named after its procedure, carrying the RPC attributes and its code, and
// the call's log line names the trace.
func TestTracing(t *testing.T) {
	db := storetest.SQLite(t)
	recorder := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(recorder))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	s := startWithOptions(t, db, func(*registry.Registry, *sql.DB, *zap.Logger) []rpc.Option {
		return []rpc.Option{rpc.WithTracing(tp)}
	})
	admin := s.ClientsWithToken(s.token(t, "admin", "admin"))
	viewer := s.ClientsWithToken(s.token(t, "viewer", "bureau:economy-it"))
	for _, c := range []struct {
		name      string
		call      func(ctx context.Context) error
		procedure string
		code      string
	}{
		{"ok", func(ctx context.Context) error {
			_, err := admin.Access.ListGrantRules(ctx, &registryv1.ListGrantRulesRequest{})
			return err
		}, "registry.v1.AccessService/ListGrantRules", "OK"},
		{"refused", func(ctx context.Context) error {
			_, err := viewer.Access.CreateToken(ctx, &registryv1.CreateTokenRequest{Subject: "x", Organisation: "admin", Role: "admin"})
			return err
		}, "registry.v1.AccessService/CreateToken", "PERMISSION_DENIED"},
		{"no token", func(ctx context.Context) error {
			_, err := s.ClientsWithToken("").Audit.VerifyAuditChain(ctx, &registryv1.VerifyAuditChainRequest{})
			return err
		}, "registry.v1.AuditService/VerifyAuditChain", "UNAUTHENTICATED"},
	} {
		t.Run(c.name, func(t *testing.T) {
			recorder.Reset()
			_ = c.call(t.Context())
			var spans []sdktrace.ReadOnlySpan
			// The span ends as the handler returns, which may be just after
			// the client has its answer.
			for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
				if spans = recorder.Ended(); len(spans) > 0 {
					break
				}
			}
			if len(spans) != 1 {
				t.Fatalf("%d spans ended, want 1", len(spans))
			}
			span := spans[0]
			if span.Name() != c.procedure || span.SpanKind() != trace.SpanKindServer {
				t.Fatalf("span %q kind %v, want server span %q", span.Name(), span.SpanKind(), c.procedure)
			}
			attrs := map[attribute.Key]string{}
			for _, kv := range span.Attributes() {
				attrs[kv.Key] = kv.Value.Emit()
			}
			for k, want := range map[attribute.Key]string{
				"rpc.system.name":          "connectrpc",
				"rpc.method":               c.procedure,
				"rpc.response.status_code": c.code,
			} {
				if attrs[k] != want {
					t.Errorf("attribute %s = %q, want %q (all: %v)", k, attrs[k], want, attrs)
				}
			}
			if span.Status().Code == codes.Error {
				t.Errorf("a client error marked the span as failed: %+v", span.Status())
			}
			traceID := span.SpanContext().TraceID().String()
			found := false
			for _, e := range s.Logs.FilterMessage("rpc").All() {
				if e.ContextMap()["trace_id"] == traceID && e.ContextMap()["procedure"] == "/"+c.procedure {
					found = true
				}
			}
			if !found {
				t.Errorf("no rpc log line names trace %s", traceID)
			}
		})
	}
}

// TestNoOptions keeps the plain server untraced and unmeasured: no trace
// id reaches the log.
func TestNoOptions(t *testing.T) {
	s := startWithOptions(t, storetest.SQLite(t), nil)
	if _, err := s.ClientsWithToken(s.token(t, "admin", "admin")).Access.ListGrantRules(t.Context(), &registryv1.ListGrantRulesRequest{}); err != nil {
		t.Fatal(err)
	}
	for _, e := range s.Logs.FilterMessage("rpc").All() {
		if _, ok := e.ContextMap()["trace_id"]; ok || !strings.HasPrefix(e.ContextMap()["procedure"].(string), "/registry.v1.") {
			t.Fatalf("log line %v", e.ContextMap())
		}
	}
}
