// Package rpc serves the registry.v1 API over Connect, gRPC and gRPC-Web.
// It holds the .proto contract (registry/v1), the generated code (gen/),
// thin handlers that convert between protobuf and registry types, and the
// interceptors that authenticate callers, map errors and log each call.
// Options add OpenTelemetry server spans (WithTracing), Prometheus metrics
// (WithMetrics, served by Metrics.Handler on a separate port) and single
// sign-on JWTs checked by package rpc/oidc (WithOIDC).
// Decisions belong to package registry; rpc never touches storage.
package rpc
