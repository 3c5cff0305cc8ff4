package registry

import (
	"context"

	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// Principal is who acts: a subject acting for an organisation in a role.
// Callers put it in the context with WithPrincipal before calling a method.
type Principal = core.Principal

// Error is the registry's error: a Kind, a message and field violations.
// Callers map it to their protocol; anything else is internal.
type Error = core.Error

// Kind classifies an Error.
type Kind = core.Kind

// FieldViolation names one bad field of a request and what is wrong with it.
type FieldViolation = core.FieldViolation

// Clock tells the time; tests move it.
type Clock = core.Clock

// The kinds of Error.
const (
	KindInternal           = core.KindInternal
	KindInvalidArgument    = core.KindInvalidArgument
	KindNotFound           = core.KindNotFound
	KindAlreadyExists      = core.KindAlreadyExists
	KindPermissionDenied   = core.KindPermissionDenied
	KindFailedPrecondition = core.KindFailedPrecondition
	KindUnauthenticated    = core.KindUnauthenticated
	KindResourceExhausted  = core.KindResourceExhausted
	KindAborted            = core.KindAborted
	KindUnavailable        = core.KindUnavailable
)

// KindOf returns the Kind of err, KindInternal for errors the registry did
// not make.
func KindOf(err error) Kind { return core.KindOf(err) }

// WithPrincipal returns a context carrying p as the acting principal.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return core.WithPrincipal(ctx, p)
}

// PrincipalFrom returns the acting principal stored by WithPrincipal.
func PrincipalFrom(ctx context.Context) (Principal, bool) { return core.PrincipalFrom(ctx) }

// StoredAnswer is the answer recorded for an idempotency key.
type StoredAnswer = core.StoredAnswer

// IdempotencyClaim is a claimed idempotency key, held by one request.
type IdempotencyClaim = core.IdempotencyClaim

// ReplayError carries the answer recorded for a key already used.
type ReplayError = core.ReplayError

// WithIdempotencyKey returns a context asking that the first mutation made
// with it record key for procedure, once SetIdempotencyRequest has said
// which request it is: the key is written by that mutation's own
// transaction and commits with the change.
func WithIdempotencyKey(ctx context.Context, key, procedure string) context.Context {
	return core.WithIdempotencyKey(ctx, key, procedure)
}

// SetIdempotencyRequest records the hash of the request the key is used for.
func SetIdempotencyRequest(ctx context.Context, requestHash string) {
	core.SetIdempotencyRequest(ctx, requestHash)
}

// IdempotencyClaimOf returns the claim a mutation made with ctx took, if any.
func IdempotencyClaimOf(ctx context.Context) *IdempotencyClaim { return core.IdempotencyClaimOf(ctx) }

// CheckIdempotencyKey checks a key's form.
func CheckIdempotencyKey(key string) error { return core.CheckIdempotencyKey(key) }
