package rpc

import (
	"context"
	"strings"
	"time"

	"connectrpc.com/connect/v2"
	"go.uber.org/zap"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/rpc/gen/registry/v1/registryv1connect"
)

// publicProcedurePrefixes need no token.
var publicProcedurePrefixes = []string{
	"/grpc.reflection.",
	"/grpc.health.",
	"/" + registryv1connect.VerificationServiceName + "/",
}

func isPublic(procedure string) bool {
	for _, p := range publicProcedurePrefixes {
		if strings.HasPrefix(procedure, p) {
			return true
		}
	}
	return false
}

// serverInterceptor authenticates the caller before any payload is read,
// maps the handler's error through toConnectError and logs one line per
// call (procedure, code, duration, subject). Tokens and request bodies are
// never logged.
func serverInterceptor(reg *registry.Registry, log *zap.Logger) connect.ServerInterceptor {
	return func(next connect.ServerFunc) connect.ServerFunc {
		return func(ctx context.Context, spec connect.Spec, stream connect.ServerStream) error {
			start := time.Now()
			subject := ""
			err := func() error {
				if isPublic(spec.Procedure) {
					return next(ctx, spec, stream)
				}
				info, _ := connect.CallInfoForServerContext(ctx)
				var header string
				if info != nil {
					header = info.RequestHeader().Get("Authorization")
				}
				raw, ok := strings.CutPrefix(header, "Bearer ")
				if !ok || raw == "" {
					return connect.NewError(connect.CodeUnauthenticated, "missing bearer token: send Authorization: Bearer <token>")
				}
				p, err := reg.Authenticate(ctx, strings.TrimSpace(raw))
				if err != nil {
					return err
				}
				subject = p.Subject
				return next(registry.WithPrincipal(ctx, p), spec, stream)
			}()
			err = toConnectError(log, spec.Procedure, err)
			code := "ok"
			if err != nil {
				code = connect.CodeOf(err).String()
			}
			log.Info("rpc",
				zap.String("procedure", spec.Procedure),
				zap.String("code", code),
				zap.Duration("duration", time.Since(start)),
				zap.String("subject", subject),
			)
			return err
		}
	}
}
