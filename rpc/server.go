package rpc

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"connectrpc.com/connect/v2"
	"connectrpc.com/connect/v2/connecthttp"
	"connectrpc.com/grpchealth"
	"connectrpc.com/grpcreflect/v2"
	"go.uber.org/zap"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/rpc/gen/registry/v1/registryv1connect"
)

// maxRequestBytes caps a request message.
const maxRequestBytes = 4 << 20

// compressMinBytes leaves small responses uncompressed: gzip costs more CPU
// than it saves on answers of a few kilobytes.
const compressMinBytes = 16 << 10

// NewServer registers every registry.v1 service, server reflection and the
// interceptors on a connect.Server. Use it directly for in-process clients
// (connectinprocess) or mount it with NewHandler. Options add tracing
// (WithTracing), metrics (WithMetrics) and single sign-on (WithOIDC).
func NewServer(reg *registry.Registry, log *zap.Logger, opts ...Option) *connect.Server {
	o := newOptions(opts)
	var interceptors []connect.ServerInterceptor
	if o.tracerProvider != nil {
		// Outermost, so the span covers authentication and sees the code
		// the caller gets.
		ti, err := tracingInterceptor(o.tracerProvider)
		if err != nil {
			log.Error("tracing disabled", zap.Error(err))
		} else {
			interceptors = append(interceptors, ti)
		}
	}
	interceptors = append(interceptors, serverInterceptor(reg, log, o), limitInterceptor(o.limits), idempotencyInterceptor(reg))
	s := connect.NewServer(interceptors...)
	registryv1connect.RegisterEnterpriseServiceHandler(s, &enterpriseService{reg: reg})
	registryv1connect.RegisterTalentServiceHandler(s, &talentService{reg: reg})
	registryv1connect.RegisterDesignationServiceHandler(s, &designationService{reg: reg})
	registryv1connect.RegisterAccessServiceHandler(s, &accessService{reg: reg})
	registryv1connect.RegisterAuditServiceHandler(s, &auditService{reg: reg})
	registryv1connect.RegisterTalentAuthorizationServiceHandler(s, &talentAuthorizationService{reg: reg})
	registryv1connect.RegisterCompetitionServiceHandler(s, &competitionService{reg: reg})
	registryv1connect.RegisterParkServiceHandler(s, &parkService{reg: reg})
	registryv1connect.RegisterBenefitServiceHandler(s, &benefitService{reg: reg})
	registryv1connect.RegisterVerificationServiceHandler(s, &verificationService{reg: reg})
	registryv1connect.RegisterImportServiceHandler(s, newImportService(reg, o.imports))
	registryv1connect.RegisterChangeServiceHandler(s, &changeService{reg: reg, o: o, limits: o.watches})
	registryv1connect.RegisterWebhookServiceHandler(s, &webhookService{reg: reg})
	grpcreflect.Register(s)
	return s
}

// ServiceNames are the fully-qualified names of the registry.v1 services.
var ServiceNames = []string{
	registryv1connect.EnterpriseServiceName,
	registryv1connect.TalentServiceName,
	registryv1connect.DesignationServiceName,
	registryv1connect.AccessServiceName,
	registryv1connect.AuditServiceName,
	registryv1connect.TalentAuthorizationServiceName,
	registryv1connect.CompetitionServiceName,
	registryv1connect.ParkServiceName,
	registryv1connect.BenefitServiceName,
	registryv1connect.VerificationServiceName,
	registryv1connect.ImportServiceName,
	registryv1connect.ChangeServiceName,
	registryv1connect.WebhookServiceName,
}

// NewHandler serves the registry over HTTP: every service under its
// Connect/gRPC/gRPC-Web routes, plus grpc.health.v1.Health reporting
// SERVING for the registry's services, the attestation signing keys at
// /.well-known/jwks.json, and the audit log's signed checkpoint and its
// verifier key at /.well-known/registry/checkpoint and checkpoint.key. JSON requests are read strictly and JSON
// answers show every field (jsonCodec). Metrics are not served here: mount
// Metrics.Handler on a separate, private listener.
func NewHandler(reg *registry.Registry, log *zap.Logger, opts ...Option) http.Handler {
	mux := http.NewServeMux()
	connecthttp.Mount(mux, NewServer(reg, log, opts...), connecthttp.WithReadMaxBytes(maxRequestBytes),
		connecthttp.WithCompressMinBytes(compressMinBytes), connecthttp.WithCodecs(codecs()...))
	mux.Handle(grpchealth.NewHandler(grpchealth.NewStaticChecker(ServiceNames...)))
	mux.Handle("GET /.well-known/jwks.json", jwksHandler(reg, log))
	mux.Handle("GET /.well-known/registry/checkpoint", checkpointHandler(reg, log, false))
	mux.Handle("GET /.well-known/registry/checkpoint.key", checkpointHandler(reg, log, true))
	return untimedStreams(mux)
}

// untimedStreams lifts the server's read and write timeouts from import
// streams, which may rightly run for minutes, and from change watches,
// which stay open; every other call keeps them. An import still ends when
// its client goes away, or goes idle (see receiveWithin and sendWithin,
// which gets the response controller through the request's context), and
// a watch when its client stops taking changes.
func untimedStreams(h http.Handler) http.Handler {
	prefixes := []string{"/" + registryv1connect.ImportServiceName + "/", registryv1connect.ChangeServiceWatchChangesProcedure}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(r.URL.Path, p) }) {
			rc := http.NewResponseController(w)
			_ = rc.SetReadDeadline(time.Time{})
			_ = rc.SetWriteDeadline(time.Time{})
			r = r.WithContext(context.WithValue(r.Context(), responseControllerKey{}, rc))
		}
		h.ServeHTTP(w, r)
	})
}
