package rpc

import (
	"context"
	"errors"

	"connectrpc.com/connect/v2"
	"connectrpc.com/connect/v2/connectproto"
	"go.uber.org/zap"
	"google.golang.org/genproto/googleapis/rpc/errdetails"

	"github.com/hangzhou-ai/registry/registry"
)

var codeOfKind = map[registry.Kind]connect.Code{
	registry.KindInvalidArgument:    connect.CodeInvalidArgument,
	registry.KindNotFound:           connect.CodeNotFound,
	registry.KindAlreadyExists:      connect.CodeAlreadyExists,
	registry.KindPermissionDenied:   connect.CodePermissionDenied,
	registry.KindFailedPrecondition: connect.CodeFailedPrecondition,
	registry.KindUnauthenticated:    connect.CodeUnauthenticated,
	registry.KindResourceExhausted:  connect.CodeResourceExhausted,
	registry.KindAborted:            connect.CodeAborted,
	registry.KindUnavailable:        connect.CodeUnavailable,
}

// toConnectError is the one place that turns an error into what the caller
// sees. Registry errors keep their message and field violations (as
// google.rpc.BadRequest); Connect errors pass through; context errors become
// canceled or deadline_exceeded; anything else is logged and reported as a
// bare internal error, so no SQL or stack text leaks.
func toConnectError(log *zap.Logger, procedure string, err error) error {
	if err == nil {
		return nil
	}
	var regErr *registry.Error
	if errors.As(err, &regErr) {
		code, ok := codeOfKind[regErr.Kind]
		if !ok {
			log.Error("registry error of unknown kind", zap.String("procedure", procedure), zap.Error(err))
			return connect.NewError(connect.CodeInternal, "internal error")
		}
		ce := connect.NewError(code, regErr.Message)
		if len(regErr.Violations) > 0 {
			br := &errdetails.BadRequest{}
			for _, v := range regErr.Violations {
				br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: v.Field, Description: v.Description})
			}
			if detail, derr := connectproto.NewErrorDetail(br); derr == nil {
				ce = ce.WithDetail(detail)
			}
		}
		return ce
	}
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce
	}
	switch {
	case errors.Is(err, context.Canceled):
		return connect.NewError(connect.CodeCanceled, "request canceled")
	case errors.Is(err, context.DeadlineExceeded):
		return connect.NewError(connect.CodeDeadlineExceeded, "deadline exceeded")
	}
	log.Error("internal error", zap.String("procedure", procedure), zap.Error(err))
	return connect.NewError(connect.CodeInternal, "internal error")
}
