package main

import (
	"context"
	"fmt"
	"strings"

	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
)

// tracingHelp ends `registryd serve --help`.
const tracingHelp = `
Tracing (OpenTelemetry) is off unless the standard environment variables ask
for it; then every RPC makes a server span:
  OTEL_TRACES_EXPORTER          otlp or console; none (or unset, with no endpoint) turns tracing off
  OTEL_EXPORTER_OTLP_ENDPOINT   collector, e.g. http://otel-collector:4318 (setting it alone enables otlp)
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL (http/protobuf or grpc),
  OTEL_EXPORTER_OTLP_HEADERS, OTEL_SERVICE_NAME (default registryd), OTEL_RESOURCE_ATTRIBUTES,
  OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG, OTEL_SDK_DISABLED
`

// tracingEnabled reports whether the OTEL_* environment asks for traces
// to be exported. Unlike the OpenTelemetry default (otlp to localhost),
// nothing is exported unless an exporter or an endpoint is named.
func tracingEnabled(getenv func(string) string) bool {
	if strings.EqualFold(getenv("OTEL_SDK_DISABLED"), "true") {
		return false
	}
	switch exporter := strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")); exporter {
	case "none":
		return false
	case "":
		return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
	default:
		return true
	}
}

// setupTracing returns the tracer provider the OTEL_* environment
// configures (exporter by go.opentelemetry.io/contrib/exporters/autoexport,
// sampler and resource by the SDK), and a function that flushes and stops
// it; a nil provider when tracing is off. The exporter reads the process
// environment itself, so getenv only decides whether tracing is on.
func setupTracing(ctx context.Context, getenv func(string) string, log *zap.Logger) (trace.TracerProvider, func(context.Context) error, error) {
	if !tracingEnabled(getenv) {
		return nil, func(context.Context) error { return nil }, nil
	}
	exp, err := autoexport.NewSpanExporter(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("tracing: %w", err)
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", "registryd")),
		resource.WithTelemetrySDK(),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win
	)
	if err != nil {
		return nil, nil, fmt.Errorf("tracing: resource: %w", err)
	}
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		log.Warn("opentelemetry", zap.Error(err))
	}))
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	log.Info("tracing on", zap.String("exporter", getenv("OTEL_TRACES_EXPORTER")))
	return tp, tp.Shutdown, nil
}
