package rpc

import (
	"context"
	"errors"
	"strings"
	"time"

	"connectrpc.com/connect/v2"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/rpc/gen/registry/v1/registryv1connect"
	"github.com/hangzhou-ai/registry/rpc/oidc"
)

// publicProcedurePrefixes need no token.
var publicProcedurePrefixes = []string{
	"/grpc.reflection.",
	"/grpc.health.",
	"/" + registryv1connect.VerificationServiceName + "/",
	// The audit tree's checkpoints and proofs hold hashes only: anyone
	// may monitor the log.
	registryv1connect.AuditServiceGetCheckpointProcedure,
	registryv1connect.AuditServiceGetInclusionProofProcedure,
	registryv1connect.AuditServiceGetConsistencyProofProcedure,
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
// maps the handler's error through toConnectError, logs one line per call
// (procedure, code, duration, subject, the trace id when traced, and why a
// single sign-on token was refused) and counts it in the metrics. Tokens
// and request bodies are never logged.
func serverInterceptor(reg *registry.Registry, log *zap.Logger, o *options) connect.ServerInterceptor {
	return func(next connect.ServerFunc) connect.ServerFunc {
		return func(ctx context.Context, spec connect.Spec, stream connect.ServerStream) error {
			start := time.Now()
			subject, refusal := "", ""
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
				p, err := o.authenticate(ctx, reg, strings.TrimSpace(raw), &refusal)
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
			elapsed := time.Since(start)
			fields := []zap.Field{
				zap.String("procedure", spec.Procedure),
				zap.String("code", code),
				zap.Duration("duration", elapsed),
				zap.String("subject", subject),
			}
			if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
				fields = append(fields, zap.String("trace_id", sc.TraceID().String()))
			}
			if refusal != "" {
				fields = append(fields, zap.String("sso_refusal", refusal))
			}
			log.Info("rpc", fields...)
			if o.metrics != nil {
				o.metrics.observe(spec.Procedure, code, elapsed)
			}
			return err
		}
	}
}

// authenticate returns the principal of a bearer token: a JWT goes to the
// single sign-on verifier when one is configured, anything else to the
// registry's tokens. Why a JWT was refused is stored in refusal for the
// log; the caller learns only that it was (and whether it had expired).
func (o *options) authenticate(ctx context.Context, reg *registry.Registry, raw string, refusal *string) (registry.Principal, error) {
	if o.sso == nil || !oidc.LooksLikeJWT(raw) {
		return reg.Authenticate(ctx, raw)
	}
	p, err := o.sso.Verify(ctx, raw)
	if err == nil {
		return p, nil
	}
	var oe *oidc.Error
	if !errors.As(err, &oe) {
		return registry.Principal{}, err
	}
	*refusal = oe.Reason
	switch oe.Problem {
	case oidc.Expired:
		return registry.Principal{}, connect.NewError(connect.CodeUnauthenticated, "single sign-on token expired or not yet valid")
	case oidc.Unavailable:
		return registry.Principal{}, connect.NewError(connect.CodeUnavailable, "cannot check single sign-on tokens now: the identity provider's keys are unavailable")
	default:
		return registry.Principal{}, connect.NewError(connect.CodeUnauthenticated, "single sign-on token refused")
	}
}
