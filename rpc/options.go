package rpc

import (
	"go.opentelemetry.io/otel/trace"

	"github.com/hangzhou-ai/registry/rpc/oidc"
)

// Option configures NewServer and NewHandler.
type Option func(*options)

type options struct {
	tracerProvider trace.TracerProvider
	metrics        *Metrics
	sso            *oidc.Verifier
	limits         Limits
}

func newOptions(opts []Option) *options {
	o := &options{limits: DefaultLimits}
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
