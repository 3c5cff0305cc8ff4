package rpc

import (
	"connectrpc.com/connect/v2"
	"connectrpc.com/otelconnect"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// tracingInterceptor makes one server span per call, named after the
// procedure (registry.v1.DesignationService/GrantDesignation), with
// rpc.system.name, rpc.method and rpc.response.status_code attributes
// (otelconnect, OpenTelemetry RPC semantic conventions).
func tracingInterceptor(tp trace.TracerProvider) (connect.ServerInterceptor, error) {
	return otelconnect.NewServerInterceptor(
		otelconnect.WithTracerProvider(tp),
		otelconnect.WithPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})),
		// Prometheus counts and times calls; see Metrics.
		otelconnect.WithoutMetrics(),
	)
}
