package core

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"
	"unicode"

	"entgo.io/ent/dialect/sql"
	"go.uber.org/zap"

	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/idempotencykey"
	"github.com/hangzhou-ai/registry/ent/predicate"
	"github.com/hangzhou-ai/registry/seal"
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
// It is stored sealed under the registry's secret key, bound to its row
// (see RecordIdempotentAnswer): an answer may hold a secret, such as the
// bearer token CreateToken returns.
type StoredAnswer struct {
	// Response is the marshalled response message, or nil for an error.
	Response []byte
	// Status is the marshalled google.rpc.Status of an error answer.
	Status []byte
}

// IdempotencyClaim is a call's hold on its key until it records its answer.
type IdempotencyClaim struct {
	row answerRow
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
	return &IdempotencyClaim{row: answerRow{id: id, principal: idempotencyScope(p), key: h.key,
		procedure: h.procedure, requestHash: h.requestHash}}, rows.Close()
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
// or does not open (see openAnswer), or it does not come within idemWait.
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
			answer, err := openAnswer(r.Secrets, k)
			if err != nil {
				// Written in clear by an earlier build and cleared since,
				// copied from another row, or tampered with: never
				// replayed, and the reason stays in the log.
				r.Log.Warn("a recorded idempotent answer does not open; it is not replayed",
					zap.Int("idempotency_key_id", k.ID), zap.String("procedure", k.Procedure), zap.Error(err))
				return FailedPrecondition("the request with Idempotency-Key %q was applied but its answer cannot be replayed; read the record instead of retrying", h.key)
			}
			return &ReplayError{Answer: answer}
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
// get it. The answer is stored sealed under the registry's secret key and
// bound to the claim's row (see answerRow.aad), never in clear.
func (r *Core) RecordIdempotentAnswer(ctx context.Context, c *IdempotencyClaim, answer StoredAnswer) error {
	response, status := c.row.sealAnswer(r.Secrets, answer)
	return setAnswer(r.DB.IdempotencyKey.UpdateOneID(c.row.id), response, status).
		SetState(idemDone).SetUpdatedAt(r.Now()).Exec(ctx)
}

// ReleaseIdempotencyKey gives up the claim of a call that failed, unless
// its change committed, so a retry may act. Only answers of calls that
// acted are recorded: a refusal is never stored under a key. A key is
// recorded by the call's own transaction, so a failed call has normally
// left nothing; this removes a pending claim of an earlier version.
func (r *Core) ReleaseIdempotencyKey(ctx context.Context, c *IdempotencyClaim) error {
	_, err := r.DB.IdempotencyKey.Delete().Where(idempotencykey.ID(c.row.id), idempotencykey.State(idemPending)).Exec(ctx)
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

// answerSealPrefix marks a part of a recorded answer (response or status)
// sealed under the registry's secret key, ahead of the ciphertext; earlier
// builds stored answers in clear, without it.
const answerSealPrefix = "sealed1:"

// The parts of a recorded answer, each sealed on its own and bound to its
// part, so that a response is never opened as a status or the reverse.
const (
	answerResponse = "response"
	answerStatus   = "status"
)

// errAnswerMissing and errAnswerNotSealed say why a recorded answer does
// not open, for the log.
var (
	errAnswerMissing   = errors.New("idempotency answer: none recorded")
	errAnswerNotSealed = errors.New("idempotency answer: stored without the sealed prefix")
)

// answerRow names the idempotency_keys row an answer is sealed for.
type answerRow struct {
	id                                     int
	principal, key, procedure, requestHash string
}

func answerRowOf(k *ent.IdempotencyKey) answerRow {
	return answerRow{id: k.ID, principal: k.Principal, key: k.Key, procedure: k.Procedure, requestHash: k.RequestHash}
}

// aad binds a sealed part of an answer to its row (id, principal scope,
// key, procedure and request hash) and to its part: copied to another row
// or to the other column it does not open. No field holds a NUL byte (the
// key is printable, the others hex or a procedure name).
func (w answerRow) aad(part string) string {
	return "idempotency:" + w.principal + "\x00" + w.key + "\x00" + w.procedure + "\x00" +
		w.requestHash + "\x00" + strconv.Itoa(w.id) + "\x00" + part
}

// sealAnswer returns what the row stores for a: its response and status,
// each sealed, or nil for a part a does not have. A response is stored
// (sealed, perhaps empty) whenever a has no status, so that a recorded
// answer never stores two NULLs, which mean it was cleared.
func (w answerRow) sealAnswer(s *seal.Secrets, a StoredAnswer) (response, status []byte) {
	if a.Response != nil || a.Status == nil {
		response = w.sealPart(s, answerResponse, a.Response)
	}
	if a.Status != nil {
		status = w.sealPart(s, answerStatus, a.Status)
	}
	return response, status
}

func (w answerRow) sealPart(s *seal.Secrets, part string, plain []byte) []byte {
	return append([]byte(answerSealPrefix), s.Seal(string(plain), w.aad(part))...)
}

// openPart opens a stored part; a part not stored (NULL) is nil.
func (w answerRow) openPart(s *seal.Secrets, part string, stored []byte) ([]byte, error) {
	if stored == nil {
		return nil, nil
	}
	sealed, ok := bytes.CutPrefix(stored, []byte(answerSealPrefix))
	if !ok {
		return nil, errAnswerNotSealed
	}
	plain, err := s.Open(sealed, w.aad(part))
	if err != nil {
		return nil, fmt.Errorf("idempotency answer %s: %w", part, err)
	}
	return []byte(plain), nil
}

// openAnswer opens the answer recorded in k with s. It fails when k holds
// none (never recorded, or cleared by ClearUnsealedAnswers), when a part
// is not sealed (stored in clear by an earlier build) and when a part does
// not open under s for this row (another key, another row's answer,
// tampering).
func openAnswer(s *seal.Secrets, k *ent.IdempotencyKey) (StoredAnswer, error) {
	if k.Response == nil && k.Status == nil {
		return StoredAnswer{}, errAnswerMissing
	}
	w := answerRowOf(k)
	response, err := w.openPart(s, answerResponse, k.Response)
	if err != nil {
		return StoredAnswer{}, err
	}
	status, err := w.openPart(s, answerStatus, k.Status)
	if err != nil {
		return StoredAnswer{}, err
	}
	return StoredAnswer{Response: response, Status: status}, nil
}

// setAnswer stores response and status in u, NULL for a nil part.
func setAnswer(u *ent.IdempotencyKeyUpdateOne, response, status []byte) *ent.IdempotencyKeyUpdateOne {
	if response != nil {
		u.SetResponse(response)
	} else {
		u.ClearResponse()
	}
	if status != nil {
		u.SetStatus(status)
	} else {
		u.ClearStatus()
	}
	return u
}

// ResealIdempotentAnswer moves the answer recorded in k from the key old
// to the key next, in tx. It reports false, having cleared the answer
// (response and status NULL, state kept, so a retry is refused with
// failed_precondition), when the answer does not open under old: one
// stored in clear by an earlier build, or tampered with.
func ResealIdempotentAnswer(ctx context.Context, tx *ent.Tx, old, next *seal.Secrets, k *ent.IdempotencyKey) (resealed bool, err error) {
	var response, status []byte
	answer, err := openAnswer(old, k)
	if err == nil {
		response, status = answerRowOf(k).sealAnswer(next, answer)
	}
	if uerr := setAnswer(tx.IdempotencyKey.UpdateOneID(k.ID), response, status).Exec(ctx); uerr != nil {
		return false, fmt.Errorf("idempotency key %d: %w", k.ID, uerr)
	}
	return err == nil, nil
}

// clearAnswerBatch is how many rows ClearUnsealedAnswers clears at a time.
const clearAnswerBatch = 500

// unsealed matches rows whose column field is stored and does not start
// with answerSealPrefix: substr on a BLOB (SQLite) or a bytea (PostgreSQL)
// counts bytes.
func unsealed(field string) predicate.IdempotencyKey {
	return func(s *sql.Selector) {
		c := s.C(field)
		s.Where(sql.P(func(b *sql.Builder) {
			b.WriteString(c).WriteString(" IS NOT NULL AND substr(").WriteString(c).
				WriteString(", 1, " + strconv.Itoa(len(answerSealPrefix)) + ") <> ").Arg([]byte(answerSealPrefix))
		}))
	}
}

// ClearUnsealedAnswers clears the answers earlier builds recorded in clear
// (response or status stored without answerSealPrefix): it sets their
// response and status to NULL and keeps their state, so that a retry with
// their key is refused with failed_precondition instead of acting again
// or replaying them. It needs no secret key, so Migrate runs it. It works
// in batches, is safe to run again and from several processes at once,
// and costs one scan of the table when nothing is left to clear. It
// returns how many rows it cleared.
func ClearUnsealedAnswers(ctx context.Context, db *ent.Client) (int, error) {
	legacy := idempotencykey.Or(unsealed(idempotencykey.FieldResponse), unsealed(idempotencykey.FieldStatus))
	cleared := 0
	for after := 0; ; {
		ids, err := db.IdempotencyKey.Query().Where(idempotencykey.IDGT(after), legacy).
			Order(ent.Asc(idempotencykey.FieldID)).Limit(clearAnswerBatch).IDs(ctx)
		if err != nil {
			return cleared, fmt.Errorf("idempotency answers: %w", err)
		}
		if len(ids) == 0 {
			return cleared, nil
		}
		n, err := db.IdempotencyKey.Update().Where(idempotencykey.IDIn(ids...), legacy).
			ClearResponse().ClearStatus().Save(ctx)
		if err != nil {
			return cleared, fmt.Errorf("idempotency answers: %w", err)
		}
		cleared += n
		if len(ids) < clearAnswerBatch {
			return cleared, nil
		}
		after = ids[len(ids)-1]
	}
}
