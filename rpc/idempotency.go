package rpc

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"connectrpc.com/connect/v2"
	"connectrpc.com/connect/v2/connectproto"
	"go.uber.org/zap"
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

// errReplay carries an earlier call's recorded answer out of the handler.
type errReplay struct{ answer *registry.StoredAnswer }

func (errReplay) Error() string { return "replaying a recorded answer" }

// idempotencyInterceptor makes mutating unary calls that carry an
// Idempotency-Key idempotent: once the request is read it claims the key
// with the request's hash, the call's transaction marks the claim applied
// as it commits, and the answer (a response or a business error) is
// recorded before it is sent. A retry with the same key and request gets
// the recorded answer without acting again; the same key with another
// request is refused. It runs after authentication, so keys are scoped to
// the principal.
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
			ctx = registry.WithIdempotencyHolder(ctx)
			s := &idempotentStream{ServerStream: stream, ctx: ctx, reg: reg, key: key, procedure: spec.Procedure}
			err := next(ctx, spec, s)
			var replay errReplay
			switch {
			case errors.As(err, &replay):
				return sendRecorded(stream, spec, replay.answer)
			case s.claim == nil:
				return err
			case err == nil:
				return nil // recorded in Send
			}
			// Classify only; the outer interceptor maps and logs err.
			ce := toConnectError(zap.NewNop(), spec.Procedure, err)
			switch connect.CodeOf(ce) {
			case connect.CodeInternal, connect.CodeUnknown, connect.CodeUnavailable, connect.CodeCanceled, connect.CodeDeadlineExceeded:
				// Not an answer worth repeating: let a retry act, unless
				// the change committed (then the claim stays applied).
				_ = reg.ReleaseIdempotencyKey(context.WithoutCancel(ctx), s.claim)
				return err
			}
			st, serr := marshalStatus(ce)
			if serr == nil {
				serr = reg.RecordIdempotentAnswer(context.WithoutCancel(ctx), s.claim, registry.StoredAnswer{Status: st})
			}
			if serr != nil {
				return serr
			}
			return err
		}
	}
}

// idempotentStream claims the key when the handler reads the request and
// records the response before sending it.
type idempotentStream struct {
	connect.ServerStream
	ctx       context.Context
	reg       *registry.Registry
	key       string
	procedure string
	claim     *registry.IdempotencyClaim
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
	claim, answer, err := s.reg.ClaimIdempotencyKey(s.ctx, s.key, s.procedure, hex.EncodeToString(sum[:]))
	switch {
	case err != nil:
		return err
	case answer != nil:
		return errReplay{answer: answer}
	}
	s.claim = claim
	registry.SetIdempotencyClaim(s.ctx, claim)
	return nil
}

func (s *idempotentStream) Send(msg any) error {
	if s.claim != nil {
		m, ok := msg.(proto.Message)
		if !ok {
			return fmt.Errorf("idempotency: response %T is not a protobuf message", msg)
		}
		body, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
		if err != nil {
			return err
		}
		if err := s.reg.RecordIdempotentAnswer(context.WithoutCancel(s.ctx), s.claim, registry.StoredAnswer{Response: body}); err != nil {
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

func marshalStatus(ce error) ([]byte, error) {
	var e *connect.Error
	if !errors.As(ce, &e) {
		return nil, errors.New("idempotency: not a Connect error")
	}
	st := &status.Status{Code: int32(e.Code()), Message: e.Message()}
	for _, d := range e.Details() {
		st.Details = append(st.Details, connectproto.ErrorDetailToAny(d))
	}
	return proto.Marshal(st)
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
