package keys

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"time"

	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/keycheck"
	"github.com/hangzhou-ai/registry/ent/signingkey"
	"github.com/hangzhou-ai/registry/ent/talent"
	"github.com/hangzhou-ai/registry/seal"
)

// KeyCheckID is the id of the one KeyCheck row.
const KeyCheckID = "secret-key"

// ErrSecretKeyMismatch is returned by registry.Open when the secret key is not the one
// the database's data is sealed under.
var ErrSecretKeyMismatch = errors.New("the secret key is not the key this database was made with")

// CheckSecretKey makes sure the database's data is (or will be) sealed
// under secrets. A database with a check value accepts only the key it
// names. One without (made before check values, or empty) accepts the key
// only if it opens the data already sealed there: every signing key and a
// talent's identity document; the check value is then stored. Replicas
// starting together on an empty database with different keys cannot both
// win: the first check stored is the one compared.
func CheckSecretKey(ctx context.Context, db *ent.Client, secrets *seal.Secrets, now time.Time) error {
	row, err := db.KeyCheck.Get(ctx, KeyCheckID)
	switch {
	case err == nil:
		return compareKeyCheck(row, secrets)
	case !ent.IsNotFound(err):
		return fmt.Errorf("key check: %w", err)
	}
	if err := opensSealedData(ctx, db, secrets); err != nil {
		return err
	}
	err = db.KeyCheck.Create().SetID(KeyCheckID).SetCheckValue(secrets.CheckValue()).
		SetFingerprint(secrets.Fingerprint()).SetCreatedAt(now).
		OnConflictColumns(keycheck.FieldID).Ignore().Exec(ctx)
	if err != nil {
		return fmt.Errorf("key check: %w", err)
	}
	row, err = db.KeyCheck.Get(ctx, KeyCheckID)
	if err != nil {
		return fmt.Errorf("key check: %w", err)
	}
	return compareKeyCheck(row, secrets)
}

func compareKeyCheck(row *ent.KeyCheck, secrets *seal.Secrets) error {
	if hmac.Equal([]byte(row.CheckValue), []byte(secrets.CheckValue())) {
		return nil
	}
	return fmt.Errorf("%w: the database expects the key with fingerprint %s, the key given has fingerprint %s",
		ErrSecretKeyMismatch, row.Fingerprint, secrets.Fingerprint())
}

// opensSealedData checks that secrets opens what a database without a
// check value already holds sealed.
func opensSealedData(ctx context.Context, db *ent.Client, secrets *seal.Secrets) error {
	keys, err := db.SigningKey.Query().Order(ent.Asc(signingkey.FieldID)).All(ctx)
	if err != nil {
		return fmt.Errorf("key check: %w", err)
	}
	for _, k := range keys {
		if _, err := secrets.Open(k.PrivateKeySealed, SigningKeyAAD); err != nil {
			return fmt.Errorf("%w: the key given (fingerprint %s) does not open signing key %s, and the database has no key check value yet",
				ErrSecretKeyMismatch, secrets.Fingerprint(), k.ID)
		}
	}
	t, err := db.Talent.Query().Order(ent.Asc(talent.FieldID)).First(ctx)
	switch {
	case ent.IsNotFound(err):
		return nil
	case err != nil:
		return fmt.Errorf("key check: %w", err)
	}
	if _, err := secrets.Open(t.DocumentCipher, seal.TalentDocumentAAD(t.DocumentKind)); err != nil {
		return fmt.Errorf("%w: the key given (fingerprint %s) does not open the identity documents, and the database has no key check value yet",
			ErrSecretKeyMismatch, secrets.Fingerprint())
	}
	return nil
}
