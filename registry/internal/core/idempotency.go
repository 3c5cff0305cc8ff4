package core

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"time"
	"unicode"

	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/idempotencykey"
)

// Idempotency-key states.
const (
	idemPending = "pending" // claimed by a call in progress
	idemApplied = "applied" // its change committed; the answer not yet recorded
	idemDone    = "done"    // its answer recorded
)

// Timings of idempotency keys.
const (
	// IdempotencyRetention is how long answers are kept at least.
	IdempotencyRetention = 48 * time.Hour
	// idemStaleAfter is when a pending claim is deemed abandoned (its
	// server, or its database, died before answering) and may be taken
	// over. Taking over is safe even if the first call is still running:
	// only one of them can mark the claim applied, the other's transaction
	// is refused.
	idemStaleAfter = 10 * time.Second
	// idemWait bounds how long a duplicate waits for the first call.
	idemWait  = 10 * time.Second
	maxKeyLen = 200
)

// StoredAnswer is the recorded answer of an earlier call with the same key.
type StoredAnswer struct {
	// Response is the marshalled response message, or nil for an error.
	Response []byte
	// Status is the marshalled google.rpc.Status of an error answer.
	Status []byte
}

// IdempotencyClaim is a call's hold on its key until it records its answer.
type IdempotencyClaim struct {
	id int
}

// ReplayError carries the recorded answer of an earlier call with the same
// key and request: the caller sends that answer instead of acting again.
type ReplayError struct{ Answer StoredAnswer }

func (*ReplayError) Error() string { return "replaying a recorded answer" }

type claimKey struct{}

// claimHolder carries a call's idempotency key from the API adapter to the
// call's first mutation transaction, which claims it. The key is claimed
// only once the call has been authorized and its request validated, just
// before its transaction opens: refused or invalid requests never claim a
// key, so nothing is stored for them.
type claimHolder struct {
	key, procedure, requestHash string
	claim                       *IdempotencyClaim
}

// WithIdempotencyKey returns a context in which the call's first mutation
// transaction claims key for procedure, once SetIdempotencyRequest has
// said which request it is; that transaction, and every later one of the
// call, marks the claim applied as it commits.
func WithIdempotencyKey(ctx context.Context, key, procedure string) context.Context {
	return context.WithValue(ctx, claimKey{}, &claimHolder{key: key, procedure: procedure})
}

// SetIdempotencyRequest records the hash of the call's request message.
func SetIdempotencyRequest(ctx context.Context, requestHash string) {
	if h, ok := ctx.Value(claimKey{}).(*claimHolder); ok {
		h.requestHash = requestHash
	}
}

// IdempotencyClaimOf returns the claim the call took, or nil when it took
// none (no key, or it was refused before acting).
func IdempotencyClaimOf(ctx context.Context) *IdempotencyClaim {
	if h, ok := ctx.Value(claimKey{}).(*claimHolder); ok {
		return h.claim
	}
	return nil
}

// claimIdempotencyKey claims the call's key, if it has one and has not
// claimed it yet. It returns a *ReplayError when an earlier call with the
// same key and request has an answer.
func (r *Core) claimIdempotencyKey(ctx context.Context) error {
	h, ok := ctx.Value(claimKey{}).(*claimHolder)
	if !ok || h.claim != nil || h.requestHash == "" {
		return nil
	}
	claim, answer, err := r.ClaimIdempotencyKey(ctx, h.key, h.procedure, h.requestHash)
	switch {
	case err != nil:
		return err
	case answer != nil:
		return &ReplayError{Answer: *answer}
	}
	h.claim = claim
	return nil
}

// CheckIdempotencyKey refuses a key that is empty, too long or not
// printable, naming the header.
func CheckIdempotencyKey(key string) error {
	if key == "" || len(key) > maxKeyLen || !printable(key) {
		return InvalidField("Idempotency-Key", fmt.Sprintf("must be 1 to %d printable characters", maxKeyLen))
	}
	return nil
}

// markApplied marks the call's claim applied inside tx, so the change and
// the record that the key was used commit together: a retry after a crash
// never applies the change again.
func markApplied(ctx context.Context, tx *ent.Tx, now time.Time) error {
	c := IdempotencyClaimOf(ctx)
	if c == nil {
		return nil
	}
	n, err := tx.IdempotencyKey.Update().Where(idempotencykey.ID(c.id), idempotencykey.State(idemPending)).
		SetState(idemApplied).SetUpdatedAt(now).Save(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return NewError(KindAborted, "the idempotency key was taken over by another call")
	}
	return nil
}

// idempotencyScope names the principal a key belongs to, as a hash: keys
// of different principals never meet, and no subject is stored twice.
func idempotencyScope(p Principal) string {
	sum := sha256.Sum256([]byte(p.Subject + "\x00" + p.Org + "\x00" + p.Role))
	return hex.EncodeToString(sum[:])
}

// ClaimIdempotencyKey claims key for the context's principal and this
// call. It returns a claim when the call should act, or the answer
// recorded for an earlier call with the same key and request. The same key
// with a different request is refused (KindFailedPrecondition); a
// duplicate of a call still in progress waits for it.
func (r *Core) ClaimIdempotencyKey(ctx context.Context, key, procedure, requestHash string) (*IdempotencyClaim, *StoredAnswer, error) {
	p, err := PrincipalOf(ctx)
	if err != nil {
		return nil, nil, err
	}
	if err := CheckIdempotencyKey(key); err != nil {
		return nil, nil, err
	}
	if rand.IntN(100) == 0 {
		r.forgetOldIdempotencyKeys(ctx)
	}
	who := idempotencyScope(p)
	deadline := time.Now().Add(idemWait)
	for {
		now := r.Now()
		// DO NOTHING on conflict: the insert returns a row only when this
		// call is the first with the key.
		id, insertErr := r.DB.IdempotencyKey.Create().SetPrincipal(who).SetKey(key).SetProcedure(procedure).
			SetRequestHash(requestHash).SetState(idemPending).SetCreatedAt(now).SetUpdatedAt(now).
			OnConflictColumns(idempotencykey.FieldPrincipal, idempotencykey.FieldKey).DoNothing().ID(ctx)
		if insertErr == nil && id != 0 {
			return &IdempotencyClaim{id: id}, nil, nil
		}
		k, err := r.DB.IdempotencyKey.Query().Where(idempotencykey.Principal(who), idempotencykey.Key(key)).Only(ctx)
		if ent.IsNotFound(err) {
			if insertErr != nil && !ent.IsNotFound(insertErr) {
				return nil, nil, insertErr
			}
			continue // forgotten between the insert and the read
		}
		if err != nil {
			return nil, nil, err
		}
		switch {
		case k.Procedure != procedure || k.RequestHash != requestHash:
			return nil, nil, FailedPrecondition("Idempotency-Key %q was used for a different request", key)
		case k.State == idemDone:
			return nil, &StoredAnswer{Response: k.Response, Status: k.Status}, nil
		case k.State == idemApplied && now.Sub(k.UpdatedAt) > idemStaleAfter:
			return nil, nil, FailedPrecondition("the request with Idempotency-Key %q was applied but its answer was not recorded; read the record instead of retrying", key)
		case k.State == idemPending && now.Sub(k.UpdatedAt) > idemStaleAfter:
			// The call that claimed it died before committing anything:
			// take the claim over.
			n, err := r.DB.IdempotencyKey.Update().Where(idempotencykey.ID(k.ID), idempotencykey.State(idemPending),
				idempotencykey.UpdatedAt(k.UpdatedAt)).SetUpdatedAt(now).Save(ctx)
			if err != nil {
				return nil, nil, err
			}
			if n == 1 {
				return &IdempotencyClaim{id: k.ID}, nil, nil
			}
		}
		if time.Now().After(deadline) {
			return nil, nil, NewError(KindAborted, "a request with Idempotency-Key %q is still in progress; retry later", key)
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// RecordIdempotentAnswer records the answer of a claimed call, so retries
// get it.
func (r *Core) RecordIdempotentAnswer(ctx context.Context, c *IdempotencyClaim, answer StoredAnswer) error {
	return r.DB.IdempotencyKey.UpdateOneID(c.id).SetState(idemDone).SetResponse(answer.Response).
		SetStatus(answer.Status).SetUpdatedAt(r.Now()).Exec(ctx)
}

// ReleaseIdempotencyKey gives up the claim of a call that failed, unless
// its change committed, so a retry may act. Only answers of calls that
// acted are recorded: a refusal is never stored under a key.
func (r *Core) ReleaseIdempotencyKey(ctx context.Context, c *IdempotencyClaim) error {
	_, err := r.DB.IdempotencyKey.Delete().Where(idempotencykey.ID(c.id), idempotencykey.State(idemPending)).Exec(ctx)
	return err
}

// forgetOldIdempotencyKeys deletes answers past their retention.
func (r *Core) forgetOldIdempotencyKeys(ctx context.Context) {
	_, err := r.DB.IdempotencyKey.Delete().Where(idempotencykey.CreatedAtLT(r.Now().Add(-IdempotencyRetention))).Exec(ctx)
	if err != nil {
		r.Log.Warn("forgetting old idempotency keys failed")
	}
}

func printable(s string) bool {
	for _, c := range s {
		if !unicode.IsPrint(c) {
			return false
		}
	}
	return true
}
