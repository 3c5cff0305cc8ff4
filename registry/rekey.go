package registry

import (
	"context"
	"errors"
	"fmt"

	"entgo.io/ent/dialect/sql"

	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/keycheck"
	"github.com/hangzhou-ai/registry/ent/signingkey"
	"github.com/hangzhou-ai/registry/ent/talent"
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
}

// Records is the number of records re-encrypted.
func (s SecretRotation) Records() int { return s.Talents + s.SigningKeys }

// RotateSecretKey moves everything the registry's secret key protects to
// next, in one transaction: every talent's identity or passport number is
// decrypted with the current key and encrypted with next, its lookup hash
// recomputed with next, every attestation signing key (retired ones too)
// re-sealed under next, and the database's key check value replaced by
// next's, so that only next opens the registry afterwards. The rotation is
// one audit event by actor, naming both keys by fingerprint and counting the
// records; no identity number reaches it. A record the current key cannot open, or whose lookup
// hash does not match its number, stops the rotation and nothing changes.
//
// Once it returns, r uses next. Run it with no other call in flight on r
// and no other process writing the database (registryd secret rotate opens
// a registry of its own): a server still holding the old key would keep
// writing with it. Page tokens handed out before are no longer accepted.
func (r *Registry) RotateSecretKey(ctx context.Context, actor Principal, next *Secrets) (SecretRotation, error) {
	if next == nil {
		return SecretRotation{}, errors.New("rotate secret key: no new key")
	}
	old := r.secrets
	out := SecretRotation{From: old.Fingerprint(), To: next.Fingerprint()}
	if out.From == out.To {
		return SecretRotation{}, errors.New("rotate secret key: the new key is the key in use")
	}
	// Hashing with the new key uses the same formula as every lookup.
	nextHash := (&Registry{secrets: next}).documentHash
	err := r.inTx(ctx, func(tx *ent.Tx) error {
		// Take the audit chain's head first: every writer appends to the
		// chain, so writers that have not reached it yet wait for us.
		if err := tx.AuditHead.UpdateOneID(auditHeadID).AddSeq(0).Exec(ctx); err != nil {
			return fmt.Errorf("audit head: %w", err)
		}
		out.Talents, out.SigningKeys = 0, 0
		for after := ""; ; {
			rows, err := tx.Talent.Query().Where(talent.IDGT(after)).Order(ent.Asc(talent.FieldID)).Limit(rekeyBatch).All(ctx)
			if err != nil {
				return err
			}
			for _, t := range rows {
				number, err := old.open(t.DocumentCipher, talentDocumentAAD(t.DocumentKind))
				if err != nil {
					return fmt.Errorf("talent %s: the current key does not open its document: %w", t.ID, err)
				}
				doc := talentDocument{kind: t.DocumentKind, number: number, nationality: t.Nationality}
				if r.documentHash(doc) != t.DocumentHash {
					return fmt.Errorf("talent %s: its lookup hash does not match its document", t.ID)
				}
				hash := nextHash(doc)
				err = tx.Talent.UpdateOneID(t.ID).
					SetDocumentCipher(next.seal(number, talentDocumentAAD(t.DocumentKind))).
					Modify(func(u *sql.UpdateBuilder) { u.Set(talent.FieldDocumentHash, hash) }).
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
		keys, err := tx.SigningKey.Query().Order(ent.Asc(signingkey.FieldID)).All(ctx)
		if err != nil {
			return err
		}
		for _, k := range keys {
			seed, err := old.open(k.PrivateKeySealed, signingKeyAAD)
			if err != nil {
				return fmt.Errorf("signing key %s: the current key does not open it: %w", k.ID, err)
			}
			sealed := next.seal(seed, signingKeyAAD)
			err = tx.SigningKey.UpdateOneID(k.ID).
				Modify(func(u *sql.UpdateBuilder) { u.Set(signingkey.FieldPrivateKeySealed, sealed) }).
				Exec(ctx)
			if err != nil {
				return fmt.Errorf("signing key %s: %w", k.ID, err)
			}
			out.SigningKeys++
		}
		// The database now recognises the new key only.
		err = tx.KeyCheck.Create().SetID(keyCheckID).SetCheckValue(next.checkValue()).
			SetFingerprint(next.Fingerprint()).SetCreatedAt(r.now()).
			OnConflictColumns(keycheck.FieldID).UpdateNewValues().Exec(ctx)
		if err != nil {
			return fmt.Errorf("key check: %w", err)
		}
		return r.record(ctx, tx, actor, change{
			action: "secret-key.rotate", entityType: "secret-key", entityID: out.To,
			before: map[string]string{"key": out.From}, after: out,
		})
	})
	if err != nil {
		return SecretRotation{}, fmt.Errorf("rotate secret key: %w", err)
	}
	r.secrets = next
	return out, nil
}
