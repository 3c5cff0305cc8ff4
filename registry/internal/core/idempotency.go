package core

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
	"unicode"

	"go.uber.org/zap"

	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/idempotencykey"
)

// Idempotency-key states.
const (
	// idemPending was a claim taken before the call's transaction, by
	// earlier versions of the registry; such a claim is taken over once
	// stale. Keys are now recorded by the call's transaction itself.
	idemPending = "pending"
	idemApplied = "applied" // its change committed; the answer not yet recorded
	idemDone    = "done"    // its answer recorded
)

// Timings of idempotency keys.
const (
	// IdempotencyRetention is how long answers are kept at least.
	IdempotencyRetention = 48 * time.Hour
	// idemStaleAfter is when a key applied but still without its answer
	// is deemed orphaned (its server died between commit and answer), and
	// when a pending claim of an earlier version is deemed abandoned.
	idemStaleAfter = 10 * time.Second
	// idemAnswerGrace is how long after a duplicate first sees the key
	// applied it still waits for the answer to be recorded.
	idemAnswerGrace = time.Second
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
// call's first mutation transaction, which records it. The key is recorded
// only once the call has been authorized and its request validated, by the
// first statement of its transaction: refused or invalid requests never
// record a key, and a call that fails records none either, since its
// transaction rolls back.
type claimHolder struct {
	key, procedure, requestHash string
	claim                       *IdempotencyClaim
}

// WithIdempotencyKey returns a context in which the call's first mutation
// transaction records key for procedure, once SetIdempotencyRequest has
// said which request it is; the key commits with the change.
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
// none (no key, or it was refused before acting). A call holds a claim
// once its transaction committed with the key; it then records its answer
// (RecordIdempotentAnswer).
func IdempotencyClaimOf(ctx context.Context) *IdempotencyClaim {
	if h, ok := ctx.Value(claimKey{}).(*claimHolder); ok {
		return h.claim
	}
	return nil
}

// toClaim returns the call's key holder when the call has a key to record.
func toClaim(ctx context.Context) *claimHolder {
	h, ok := ctx.Value(claimKey{}).(*claimHolder)
	if !ok || h.claim != nil || h.requestHash == "" {
		return nil
	}
	return h
}

// errKeyTaken tells runTx that another call recorded the key first.
var errKeyTaken = errors.New("the idempotency key is recorded by another call")

// claimInTx records the call's key in tx, as applied, when it has one to
// record. The unique index on (principal, key) decides between concurrent
// calls with the same key: the insert of the second waits for the first's
// transaction and, once that committed, inserts nothing; the second then
// gets errKeyTaken, rolls back and waits for the first's answer
// (awaitIdempotentAnswer). If the first rolled back, the second's insert
// goes through and it acts.
func (r *Core) claimInTx(ctx context.Context, tx *ent.Tx) (*IdempotencyClaim, error) {
	h := toClaim(ctx)
	if h == nil {
		return nil, nil
	}
	p, err := PrincipalOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := CheckIdempotencyKey(h.key); err != nil {
		return nil, err
	}
	now := r.Now()
	q := &sqlText{pg: r.Postgres()}
	q.WriteString(`INSERT INTO idempotency_keys ("principal", "key", "procedure", "request_hash", "state", "created_at", "updated_at") VALUES `)
	q.values(idempotencyScope(p), h.key, h.procedure, h.requestHash, idemApplied, now, now)
	q.WriteString(` ON CONFLICT ("principal", "key") DO NOTHING RETURNING id`)
	rows, err := tx.QueryContext(ctx, q.String(), q.args...)
	if err != nil {
		return nil, fmt.Errorf("idempotency key: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("idempotency key: %w", err)
		}
		return nil, errKeyTaken
	}
	var id int
	if err := rows.Scan(&id); err != nil {
		return nil, fmt.Errorf("idempotency key: %w", err)
	}
	return &IdempotencyClaim{id: id}, rows.Close()
}

// claimed gives the call the claim its committed transaction recorded.
func claimed(ctx context.Context, c *IdempotencyClaim) {
	if h := toClaim(ctx); h != nil && c != nil {
		h.claim = c
	}
}

// awaitIdempotentAnswer is what a call does when another call recorded its
// key first: it returns a *ReplayError once that call's answer is
// recorded, nil when the key is free again (forgotten, or an abandoned
// claim of an earlier version taken away) so the call may act, and an
// error when the key was used for another request, its answer was lost,
// or it does not come within idemWait.
func (r *Core) awaitIdempotentAnswer(ctx context.Context) error {
	h := toClaim(ctx)
	if h == nil {
		return errors.New("idempotency key: no key to wait for")
	}
	p, err := PrincipalOf(ctx)
	if err != nil {
		return err
	}
	who := idempotencyScope(p)
	deadline := time.Now().Add(idemWait)
	// The key is stamped when its transaction starts, so a long one
	// commits with an old stamp; an answer missing right after the commit
	// is on its way. Only one still missing idemAnswerGrace after this call
	// first saw the key applied counts as lost.
	var appliedSeen time.Time
	for {
		now := r.Now()
		k, err := r.DB.IdempotencyKey.Query().Where(idempotencykey.Principal(who), idempotencykey.Key(h.key)).Only(ctx)
		switch {
		case ent.IsNotFound(err):
			return nil
		case err != nil:
			return err
		case k.Procedure != h.procedure || k.RequestHash != h.requestHash:
			return FailedPrecondition("Idempotency-Key %q was used for a different request", h.key)
		case k.State == idemDone:
			return &ReplayError{Answer: StoredAnswer{Response: k.Response, Status: k.Status}}
		case k.State == idemApplied && appliedSeen.IsZero():
			appliedSeen = time.Now()
		case k.State == idemApplied && now.Sub(k.UpdatedAt) > idemStaleAfter && time.Since(appliedSeen) > idemAnswerGrace:
			return FailedPrecondition("the request with Idempotency-Key %q was applied but its answer was not recorded; read the record instead of retrying", h.key)
		case k.State == idemPending && now.Sub(k.UpdatedAt) > idemStaleAfter:
			n, err := r.DB.IdempotencyKey.Delete().Where(idempotencykey.ID(k.ID), idempotencykey.State(idemPending),
				idempotencykey.UpdatedAt(k.UpdatedAt)).Exec(ctx)
			if err != nil {
				return err
			}
			if n == 1 {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return NewError(KindAborted, "a request with Idempotency-Key %q is still in progress; retry later", h.key)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// CheckIdempotencyKey refuses a key that is empty, too long or not
// printable, naming the header.
func CheckIdempotencyKey(key string) error {
	if key == "" || len(key) > maxKeyLen || !printable(key) {
		return InvalidField("Idempotency-Key", fmt.Sprintf("must be 1 to %d printable characters", maxKeyLen))
	}
	return nil
}

// idempotencyScope names the principal a key belongs to, as a hash: keys
// of different principals never meet, and no subject is stored twice.
func idempotencyScope(p Principal) string {
	sum := sha256.Sum256([]byte(p.Subject + "\x00" + p.Org + "\x00" + p.Role))
	return hex.EncodeToString(sum[:])
}

// RecordIdempotentAnswer records the answer of a claimed call, so retries
// get it.
func (r *Core) RecordIdempotentAnswer(ctx context.Context, c *IdempotencyClaim, answer StoredAnswer) error {
	return r.DB.IdempotencyKey.UpdateOneID(c.id).SetState(idemDone).SetResponse(answer.Response).
		SetStatus(answer.Status).SetUpdatedAt(r.Now()).Exec(ctx)
}

// ReleaseIdempotencyKey gives up the claim of a call that failed, unless
// its change committed, so a retry may act. Only answers of calls that
// acted are recorded: a refusal is never stored under a key. A key is
// recorded by the call's own transaction, so a failed call has normally
// left nothing; this removes a pending claim of an earlier version.
func (r *Core) ReleaseIdempotencyKey(ctx context.Context, c *IdempotencyClaim) error {
	_, err := r.DB.IdempotencyKey.Delete().Where(idempotencykey.ID(c.id), idempotencykey.State(idemPending)).Exec(ctx)
	return err
}

// forgetOldIdempotencyKeys deletes, about once in a hundred calls, the
// answers past their retention. It runs on its own, after the call's
// transaction committed, so it can neither fail the call nor hold locks in
// it.
func (r *Core) forgetOldIdempotencyKeys(ctx context.Context) {
	if rand.IntN(100) != 0 {
		return
	}
	_, err := r.DB.IdempotencyKey.Delete().Where(idempotencykey.CreatedAtLT(r.Now().Add(-IdempotencyRetention))).Exec(ctx)
	if err != nil {
		r.Log.Warn("forgetting old idempotency keys failed", zap.Error(err))
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
