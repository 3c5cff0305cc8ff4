package registry

import (
	"context"
	"errors"
	"fmt"

	"entgo.io/ent/dialect/sql"

	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/idempotencykey"
	"github.com/hangzhou-ai/registry/ent/keycheck"
	"github.com/hangzhou-ai/registry/ent/signingkey"
	enttalent "github.com/hangzhou-ai/registry/ent/talent"
	"github.com/hangzhou-ai/registry/ent/webhooksubscription"
	"github.com/hangzhou-ai/registry/registry/internal/core"
	"github.com/hangzhou-ai/registry/registry/keys"
	"github.com/hangzhou-ai/registry/registry/talent"
	"github.com/hangzhou-ai/registry/registry/webhook"
	"github.com/hangzhou-ai/registry/seal"
)

// rekeyBatch is how many talents RotateSecretKey loads at a time.
const rekeyBatch = 500

// SecretRotation reports what RotateSecretKey re-encrypted.
type SecretRotation struct {
	// From and To are the fingerprints of the old and the new key.
	From string `json:"from"`
	To   string `json:"to"`
	// Talents counts identity and passport numbers re-encrypted and
	// re-hashed for lookup.
	Talents int `json:"talents"`
	// SigningKeys counts attestation signing keys re-sealed.
	SigningKeys int `json:"signing_keys"`
	// WebhookSecrets counts webhook subscriptions' signing secrets
	// re-sealed.
	WebhookSecrets int `json:"webhook_secrets"`
	// Answers counts recorded answers of idempotent calls re-sealed, and
	// AnswersCleared those cleared instead (see resealIdempotentAnswers).
	Answers        int `json:"answers"`
	AnswersCleared int `json:"answers_cleared"`
}

// Records is the number of identity documents, signing keys and webhook
// secrets re-encrypted; answers of idempotent calls are counted apart
// (Answers).
func (s SecretRotation) Records() int { return s.Talents + s.SigningKeys + s.WebhookSecrets }

// RotateSecretKey moves everything the registry's secret key protects to
// next, in one transaction: every talent's identity or passport number is
// decrypted with the current key and encrypted with next, its lookup hash
// recomputed with next, every attestation signing key (retired ones too)
// and webhook subscription's signing secret re-sealed under next, and the database's key check value replaced by
// next's, so that only next opens the registry afterwards. The rotation is
// one audit event by actor, naming both keys by fingerprint and counting the
// records; no identity number reaches it. A record the current key cannot open, or whose lookup
// hash does not match its number, stops the rotation and nothing changes.
// The recorded answers of idempotent calls are re-sealed under next too
// (resealIdempotentAnswers), so retries still replay them; an answer the
// current key does not open is cleared instead and does not stop it.
//
// Once it returns, r uses next. Run it with no other call in flight on r
// and no other process writing the database (registryd secret rotate opens
// a registry of its own): a server still holding the old key would keep
// writing with it. Page tokens handed out before are no longer accepted.
func (r *Registry) RotateSecretKey(ctx context.Context, actor core.Principal, next *seal.Secrets) (SecretRotation, error) {
	if next == nil {
		return SecretRotation{}, errors.New("rotate secret key: no new key")
	}
	old := r.Secrets
	out := SecretRotation{From: old.Fingerprint(), To: next.Fingerprint()}
	if out.From == out.To {
		return SecretRotation{}, errors.New("rotate secret key: the new key is the key in use")
	}
	// Hashing with the new key uses the same formula as every lookup.
	nextHash := (&talent.Talents{Core: &core.Core{Secrets: next}}).DocumentHash
	err := r.InTx(ctx, func(tx *ent.Tx) error {
		// Take the audit chain's head first: every writer appends to the
		// chain, so writers that have not reached it yet wait for us.
		if err := tx.AuditHead.UpdateOneID(core.AuditHeadID).AddSeq(0).Exec(ctx); err != nil {
			return fmt.Errorf("audit head: %w", err)
		}
		out.Talents, out.SigningKeys = 0, 0
		for after := ""; ; {
			rows, err := tx.Talent.Query().Where(enttalent.IDGT(after)).Order(ent.Asc(enttalent.FieldID)).Limit(rekeyBatch).All(ctx)
			if err != nil {
				return err
			}
			for _, t := range rows {
				number, err := old.Open(t.DocumentCipher, seal.TalentDocumentAAD(t.DocumentKind))
				if err != nil {
					return fmt.Errorf("talent %s: the current key does not open its document: %w", t.ID, err)
				}
				doc := talent.TalentDocument{Kind: t.DocumentKind, Number: number, Nationality: t.Nationality}
				if r.Talents.DocumentHash(doc) != t.DocumentHash {
					return fmt.Errorf("talent %s: its lookup hash does not match its document", t.ID)
				}
				hash := nextHash(doc)
				err = tx.Talent.UpdateOneID(t.ID).
					SetDocumentCipher(next.Seal(number, seal.TalentDocumentAAD(t.DocumentKind))).
					Modify(func(u *sql.UpdateBuilder) { u.Set(enttalent.FieldDocumentHash, hash) }).
					Exec(ctx)
				if err != nil {
					return fmt.Errorf("talent %s: %w", t.ID, err)
				}
				out.Talents++
			}
			if len(rows) < rekeyBatch {
				break
			}
			after = rows[len(rows)-1].ID
		}
		stored, err := tx.SigningKey.Query().Order(ent.Asc(signingkey.FieldID)).All(ctx)
		if err != nil {
			return err
		}
		for _, k := range stored {
			seed, err := old.Open(k.PrivateKeySealed, keys.SigningKeyAAD)
			if err != nil {
				return fmt.Errorf("signing key %s: the current key does not open it: %w", k.ID, err)
			}
			sealed := next.Seal(seed, keys.SigningKeyAAD)
			err = tx.SigningKey.UpdateOneID(k.ID).
				Modify(func(u *sql.UpdateBuilder) { u.Set(signingkey.FieldPrivateKeySealed, sealed) }).
				Exec(ctx)
			if err != nil {
				return fmt.Errorf("signing key %s: %w", k.ID, err)
			}
			out.SigningKeys++
		}
		if out.WebhookSecrets, err = resealWebhookSecrets(ctx, tx, old, next); err != nil {
			return err
		}
		if out.Answers, out.AnswersCleared, err = resealIdempotentAnswers(ctx, tx, old, next); err != nil {
			return err
		}
		// The database now recognises the new key only.
		err = tx.KeyCheck.Create().SetID(keys.KeyCheckID).SetCheckValue(next.CheckValue()).
			SetFingerprint(next.Fingerprint()).SetCreatedAt(r.Now()).
			OnConflictColumns(keycheck.FieldID).UpdateNewValues().Exec(ctx)
		if err != nil {
			return fmt.Errorf("key check: %w", err)
		}
		return r.Record(ctx, tx, actor, core.Change{
			Action: "secret-key.rotate", EntityType: "secret-key", EntityID: out.To,
			Before: map[string]string{"key": out.From}, After: out,
		})
	})
	if err != nil {
		return SecretRotation{}, fmt.Errorf("rotate secret key: %w", err)
	}
	r.Secrets = next
	return out, nil
}

// resealWebhookSecrets re-seals under next, in tx, the signing secret of
// every webhook subscription (deleted ones too). A secret the current key
// does not open stops the rotation, as a signing key does: deliveries
// could no longer be signed.
func resealWebhookSecrets(ctx context.Context, tx *ent.Tx, old, next *seal.Secrets) (int, error) {
	n := 0
	for after := ""; ; {
		rows, err := tx.WebhookSubscription.Query().Where(webhooksubscription.IDGT(after)).
			Order(ent.Asc(webhooksubscription.FieldID)).Limit(rekeyBatch).All(ctx)
		if err != nil {
			return 0, fmt.Errorf("webhook secrets: %w", err)
		}
		for _, s := range rows {
			secret, err := old.Open(s.SecretSealed, webhook.SecretAAD(s.ID))
			if err != nil {
				return 0, fmt.Errorf("webhook subscription %s: the current key does not open its secret: %w", s.ID, err)
			}
			sealed := next.Seal(secret, webhook.SecretAAD(s.ID))
			err = tx.WebhookSubscription.UpdateOneID(s.ID).
				Modify(func(u *sql.UpdateBuilder) { u.Set(webhooksubscription.FieldSecretSealed, sealed) }).
				Exec(ctx)
			if err != nil {
				return 0, fmt.Errorf("webhook subscription %s: %w", s.ID, err)
			}
			n++
		}
		if len(rows) < rekeyBatch {
			return n, nil
		}
		after = rows[len(rows)-1].ID
	}
}

// resealIdempotentAnswers re-seals under next, in tx, every recorded answer
// of an idempotent call (the bearer token an idempotent CreateToken
// returned, say), in batches, so that a retry after the rotation still
// replays it. An answer the current key does not open is not a reason to
// stop the rotation, unlike a talent's document or a signing key: the
// call it answers has committed and its record can be read, and such an
// answer would never be replayed anyway (it was stored in clear by an
// earlier build, or tampered with). It is cleared instead (response and
// status NULL, state kept, so a retry is refused with failed_precondition)
// and counted apart. A key that opens nothing stops the rotation before
// this, at the signing keys.
func resealIdempotentAnswers(ctx context.Context, tx *ent.Tx, old, next *seal.Secrets) (resealed, cleared int, err error) {
	for after := 0; ; {
		rows, err := tx.IdempotencyKey.Query().
			Where(idempotencykey.IDGT(after), idempotencykey.Or(idempotencykey.ResponseNotNil(), idempotencykey.StatusNotNil())).
			Order(ent.Asc(idempotencykey.FieldID)).Limit(rekeyBatch).All(ctx)
		if err != nil {
			return 0, 0, fmt.Errorf("idempotency answers: %w", err)
		}
		for _, k := range rows {
			ok, err := core.ResealIdempotentAnswer(ctx, tx, old, next, k)
			if err != nil {
				return 0, 0, err
			}
			if ok {
				resealed++
			} else {
				cleared++
			}
		}
		if len(rows) < rekeyBatch {
			return resealed, cleared, nil
		}
		after = rows[len(rows)-1].ID
	}
}
