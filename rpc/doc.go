// Package rpc serves the registry.v1 API over Connect, gRPC and gRPC-Web.
// It holds the .proto contract (registry/v1), the generated code (gen/),
// thin handlers that convert between protobuf and registry types, and the
// interceptors that authenticate callers, map errors and log each call.
// Decisions belong to package registry; rpc never touches storage.
package rpc
