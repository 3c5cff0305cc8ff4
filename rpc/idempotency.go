package rpc

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"connectrpc.com/connect/v2"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/hangzhou-ai/registry/registry"
)

// IdempotencyKeyHeader names the request header that makes a mutating call
// safe to retry.
const IdempotencyKeyHeader = "Idempotency-Key"

// idempotencyInterceptor makes mutating unary calls that carry an
// Idempotency-Key idempotent. Once the request is read, its hash goes into
// the call's context; the registry records the key only after it has
// authorized and validated the call, as the first statement of the call's
// own transaction, so the key and the change commit together or not at
// all; a second call with the key waits for the first's transaction and
// then replays its answer. A successful answer is recorded before it is
// sent; a failed call leaves no key behind (unless its change committed),
// so refusals are never stored. A retry with the same
// key and request gets the recorded answer without acting again; the same
// key with another request is refused. It runs after authentication, so
// keys are scoped to the principal.
func idempotencyInterceptor(reg *registry.Registry) connect.ServerInterceptor {
	return func(next connect.ServerFunc) connect.ServerFunc {
		return func(ctx context.Context, spec connect.Spec, stream connect.ServerStream) error {
			info, _ := connect.CallInfoForServerContext(ctx)
			if spec.StreamType != connect.StreamTypeUnary || spec.IdempotencyLevel == connect.IdempotencyNoSideEffects || info == nil {
				return next(ctx, spec, stream)
			}
			key := info.RequestHeader().Get(IdempotencyKeyHeader)
			if key == "" {
				return next(ctx, spec, stream)
			}
			if err := registry.CheckIdempotencyKey(key); err != nil {
				return err
			}
			ctx = registry.WithIdempotencyKey(ctx, key, spec.Procedure)
			s := &idempotentStream{ServerStream: stream, ctx: ctx, reg: reg}
			err := next(ctx, spec, s)
			var replay *registry.ReplayError
			switch {
			case errors.As(err, &replay):
				return sendRecorded(stream, spec, &replay.Answer)
			case err != nil:
				if claim := registry.IdempotencyClaimOf(ctx); claim != nil {
					_ = reg.ReleaseIdempotencyKey(context.WithoutCancel(ctx), claim)
				}
			}
			return err
		}
	}
}

// idempotentStream passes the request's hash to the registry when the
// handler reads the request, and records the response before sending it.
type idempotentStream struct {
	connect.ServerStream
	ctx context.Context
	reg *registry.Registry
}

func (s *idempotentStream) Receive(msg any) error {
	if err := s.ServerStream.Receive(msg); err != nil {
		return err
	}
	m, ok := msg.(proto.Message)
	if !ok {
		return fmt.Errorf("idempotency: request %T is not a protobuf message", msg)
	}
	body, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	registry.SetIdempotencyRequest(s.ctx, hex.EncodeToString(sum[:]))
	return nil
}

func (s *idempotentStream) Send(msg any) error {
	if claim := registry.IdempotencyClaimOf(s.ctx); claim != nil {
		m, ok := msg.(proto.Message)
		if !ok {
			return fmt.Errorf("idempotency: response %T is not a protobuf message", msg)
		}
		body, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
		if err != nil {
			return err
		}
		if err := s.reg.RecordIdempotentAnswer(context.WithoutCancel(s.ctx), claim, registry.StoredAnswer{Response: body}); err != nil {
			return err
		}
	}
	return s.ServerStream.Send(msg)
}

// sendRecorded answers with a recorded response, or returns the recorded error.
func sendRecorded(stream connect.ServerStream, spec connect.Spec, answer *registry.StoredAnswer) error {
	if answer.Status != nil {
		return unmarshalStatus(answer.Status)
	}
	md, ok := spec.Schema.(protoreflect.MethodDescriptor)
	if !ok {
		return errors.New("idempotency: no schema for " + spec.Procedure)
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByName(md.Output().FullName())
	if err != nil {
		return err
	}
	res := mt.New().Interface()
	if err := proto.Unmarshal(answer.Response, res); err != nil {
		return err
	}
	return stream.Send(res)
}

func unmarshalStatus(b []byte) error {
	var st status.Status
	if err := proto.Unmarshal(b, &st); err != nil {
		return err
	}
	e := connect.NewError(connect.Code(st.Code), st.Message)
	for _, a := range st.Details {
		e = e.WithDetail(&connect.ErrorDetail{Type: typeName(a), Value: a.Value})
	}
	return e
}

func typeName(a *anypb.Any) string {
	return string(a.MessageName())
}
