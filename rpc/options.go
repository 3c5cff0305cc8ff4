package rpc

import (
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/hangzhou-ai/registry/registry/imports"
	"github.com/hangzhou-ai/registry/rpc/oidc"
)

// Option configures NewServer and NewHandler.
type Option func(*options)

type options struct {
	tracerProvider trace.TracerProvider
	metrics        *Metrics
	sso            *oidc.Verifier
	limits         Limits
	imports        ImportLimits
	watches        WatchLimits
}

func newOptions(opts []Option) *options {
	o := &options{limits: DefaultLimits, imports: DefaultImportLimits, watches: DefaultWatchLimits}
	for _, opt := range opts {
		if opt != nil {
			opt(o)
		}
	}
	return o
}

// WithTracing makes a server span for every call (otelconnect) with tp,
// continuing W3C trace context and baggage sent by the caller (as a link
// to the caller's span, not a child of it). Without it, or with a nil tp,
// nothing is traced.
func WithTracing(tp trace.TracerProvider) Option {
	return func(o *options) { o.tracerProvider = tp }
}

// WithMetrics counts and times every call in m, by procedure and code.
func WithMetrics(m *Metrics) Option {
	return func(o *options) { o.metrics = m }
}

// WithOIDC accepts single sign-on tokens (JWTs) checked by v besides
// registry tokens. A bearer token shaped like a JWT goes to v; any other
// goes to the registry.
func WithOIDC(v *oidc.Verifier) Option {
	return func(o *options) { o.sso = v }
}

// WithLimits replaces DefaultLimits.
func WithLimits(l Limits) Option {
	return func(o *options) { o.limits = l }
}

// ImportLimits bound ImportService streams, which may rightly run for
// minutes and so escape Limits.MaxCallDuration.
type ImportLimits struct {
	// IdleTimeout ends, with deadline_exceeded, a stream whose client
	// sends nothing for that long; 0 means no limit.
	IdleTimeout time.Duration
	// MaxConcurrent imports run at once per server; more are refused
	// with resource_exhausted. 0 means no limit.
	MaxConcurrent int
	// Slots, when set, replaces MaxConcurrent with slots shared with the
	// console's imports, so the bound holds for both.
	Slots *imports.Slots
}

// DefaultImportLimits apply without WithImportLimits.
var DefaultImportLimits = ImportLimits{IdleTimeout: 30 * time.Second, MaxConcurrent: 2}

// WithImportLimits replaces DefaultImportLimits.
func WithImportLimits(l ImportLimits) Option {
	return func(o *options) { o.imports = l }
}
