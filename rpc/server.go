package rpc

import (
	"net/http"

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

// NewServer registers every registry.v1 service, server reflection and the
// interceptors on a connect.Server. Use it directly for in-process clients
// (connectinprocess) or mount it with NewHandler.
func NewServer(reg *registry.Registry, log *zap.Logger) *connect.Server {
	s := connect.NewServer(serverInterceptor(reg, log))
	registryv1connect.RegisterEnterpriseServiceHandler(s, &enterpriseService{reg: reg})
	registryv1connect.RegisterTalentServiceHandler(s, &talentService{reg: reg})
	registryv1connect.RegisterDesignationServiceHandler(s, &designationService{reg: reg})
	registryv1connect.RegisterAccessServiceHandler(s, &accessService{reg: reg})
	registryv1connect.RegisterAuditServiceHandler(s, &auditService{reg: reg})
	registryv1connect.RegisterTalentAuthorizationServiceHandler(s, &talentAuthorizationService{reg: reg})
	registryv1connect.RegisterCompetitionServiceHandler(s, &competitionService{reg: reg})
	registryv1connect.RegisterParkServiceHandler(s, &parkService{reg: reg})
	registryv1connect.RegisterVerificationServiceHandler(s, &verificationService{reg: reg})
	registryv1connect.RegisterImportServiceHandler(s, &importService{reg: reg})
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
	registryv1connect.VerificationServiceName,
	registryv1connect.ImportServiceName,
}

// NewHandler serves the registry over HTTP: every service under its
// Connect/gRPC/gRPC-Web routes, plus grpc.health.v1.Health reporting
// SERVING for the registry's services, and the attestation signing keys
// at /.well-known/jwks.json.
func NewHandler(reg *registry.Registry, log *zap.Logger) http.Handler {
	mux := http.NewServeMux()
	connecthttp.Mount(mux, NewServer(reg, log), connecthttp.WithReadMaxBytes(maxRequestBytes))
	mux.Handle(grpchealth.NewHandler(grpchealth.NewStaticChecker(ServiceNames...)))
	mux.Handle("GET /.well-known/jwks.json", jwksHandler(reg, log))
	return mux
}
