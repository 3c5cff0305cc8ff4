package registry

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/signingkey"
	"github.com/hangzhou-ai/registry/registry/jws"
)

// signingKeyAAD binds sealed signing keys to their purpose.
const signingKeyAAD = "signing-key:ed25519"

// ensureSigningKey creates the first signing key when the database has none.
func (r *Registry) ensureSigningKey(ctx context.Context) error {
	n, err := r.db.SigningKey.Query().Where(signingkey.RetiredAtIsNil()).Count(ctx)
	if err != nil || n > 0 {
		return err
	}
	_, err = r.RotateSigningKey(ctx)
	return err
}

// RotateSigningKey makes a new Ed25519 key the one that signs, and retires
// the others; retired keys are still published, so what they signed still
// verifies. It returns the new key id.
func (r *Registry) RotateSigningKey(ctx context.Context) (string, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	kid := jws.KeyID(pub)
	err = r.inTx(ctx, func(tx *ent.Tx) error {
		if err := tx.SigningKey.Update().Where(signingkey.RetiredAtIsNil()).SetRetiredAt(r.now()).Exec(ctx); err != nil {
			return err
		}
		if err := tx.SigningKey.Create().SetID(kid).SetPublicKey(pub).
			SetPrivateKeySealed(r.secrets.seal(string(priv.Seed()), signingKeyAAD)).SetCreatedAt(r.now()).Exec(ctx); err != nil {
			return err
		}
		system := Principal{Subject: "registry", Org: "admin", Role: "admin"}
		return r.record(ctx, tx, system, change{action: "signing-key.rotate", entityType: "signing-key", entityID: kid, after: jws.NewKey(kid, pub)})
	})
	if err == nil {
		r.signerCache.Store(cachedSigner{kid: kid, key: priv, loadedAt: time.Now()})
	}
	return kid, err
}

// signerTTL is how long a replica keeps signing with the key it loaded
// before looking again, so a rotation made elsewhere takes effect soon.
// Old keys stay valid, so signing with one a little longer is harmless.
const signerTTL = time.Minute

// cachedSigner is the signing key in use and when it was loaded.
type cachedSigner struct {
	kid      string
	key      ed25519.PrivateKey
	loadedAt time.Time
}

// signer returns the current signing key, from memory while it is fresh.
func (r *Registry) signer(ctx context.Context) (string, ed25519.PrivateKey, error) {
	if c, ok := r.signerCache.Load().(cachedSigner); ok && time.Since(c.loadedAt) < signerTTL {
		return c.kid, c.key, nil
	}
	k, err := r.db.SigningKey.Query().Where(signingkey.RetiredAtIsNil()).
		Order(ent.Desc(signingkey.FieldCreatedAt)).First(ctx)
	if err != nil {
		return "", nil, fmt.Errorf("signing key: %w", err)
	}
	seed, err := r.secrets.open(k.PrivateKeySealed, signingKeyAAD)
	if err != nil {
		return "", nil, fmt.Errorf("signing key %s: %w", k.ID, err)
	}
	c := cachedSigner{kid: k.ID, key: ed25519.NewKeyFromSeed([]byte(seed)), loadedAt: time.Now()}
	r.signerCache.Store(c)
	return c.kid, c.key, nil
}

// SigningKeys returns every public key attestations may be signed with,
// newest first. Anyone may read them.
func (r *Registry) SigningKeys(ctx context.Context) (jws.KeySet, error) {
	rows, err := r.db.SigningKey.Query().Order(ent.Desc(signingkey.FieldCreatedAt)).All(ctx)
	if err != nil {
		return jws.KeySet{}, err
	}
	set := jws.KeySet{Keys: make([]jws.Key, len(rows))}
	for i, k := range rows {
		set.Keys[i] = jws.NewKey(k.ID, ed25519.PublicKey(k.PublicKey))
	}
	return set, nil
}
