package keys

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/hangzhou-ai/registry/attest"
	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/signingkey"
	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// SigningKeyAAD binds sealed signing keys to their purpose.
const SigningKeyAAD = "signing-key:ed25519"

// EnsureSigningKey creates the first signing key when the database has none.
func (r *Keys) EnsureSigningKey(ctx context.Context) error {
	n, err := r.DB.SigningKey.Query().Where(signingkey.RetiredAtIsNil()).Count(ctx)
	if err != nil || n > 0 {
		return err
	}
	_, err = r.RotateSigningKey(ctx)
	return err
}

// RotateSigningKey makes a new Ed25519 key the one that signs, and retires
// the others; retired keys are still published, so what they signed while
// current still verifies. It returns the new key id.
func (r *Keys) RotateSigningKey(ctx context.Context) (string, error) {
	var kid string
	var priv ed25519.PrivateKey
	err := r.InTx(ctx, func(tx *ent.Tx) error {
		var err error
		kid, priv, err = r.rotateSigningKey(ctx, tx)
		return err
	})
	if err != nil {
		return "", err
	}
	r.remember(kid, priv)
	return kid, nil
}

// rotateSigningKey is RotateSigningKey inside tx.
func (r *Keys) rotateSigningKey(ctx context.Context, tx *ent.Tx) (string, ed25519.PrivateKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", nil, err
	}
	kid := attest.KeyID(pub)
	if err := r.Signal(ctx, tx, core.TopicKeys); err != nil {
		return "", nil, err
	}
	if err := tx.SigningKey.Update().Where(signingkey.RetiredAtIsNil()).SetRetiredAt(r.Now()).Exec(ctx); err != nil {
		return "", nil, err
	}
	if err := tx.SigningKey.Create().SetID(kid).SetPublicKey(pub).
		SetPrivateKeySealed(r.Secrets.Seal(string(priv.Seed()), SigningKeyAAD)).SetCreatedAt(r.Now()).Exec(ctx); err != nil {
		return "", nil, err
	}
	system := core.Principal{Subject: "registry", Org: "admin", Role: "admin"}
	err = r.Record(ctx, tx, system, core.Change{Action: "signing-key.rotate", EntityType: "signing-key", EntityID: kid, After: attest.NewKey(kid, pub)})
	return kid, priv, err
}

// KeyWithdrawal reports what WithdrawSigningKey did.
type KeyWithdrawal struct {
	KeyID string `json:"kid"`
	// WithdrawnAt is when the key stopped verifying anything.
	WithdrawnAt time.Time `json:"withdrawn_at"`
	// Replacement is the key made to sign in its place when the withdrawn
	// key was the one signing; empty otherwise.
	Replacement string `json:"replacement,omitempty"`
}

// WithdrawSigningKey ends a signing key at once, for example when its
// private key may have leaked: it is no longer published, and every
// attestation under it answers unknown_key. Unlike a rotation's
// retirement, which only stops a key signing, nothing verifies under a
// withdrawn key again. When the key withdrawn is the one signing, a fresh
// key replaces it in the same transaction, so the registry keeps signing.
// The withdrawal is one audit event by actor (with the replacement's
// rotation beside it).
func (r *Keys) WithdrawSigningKey(ctx context.Context, actor core.Principal, kid string) (KeyWithdrawal, error) {
	if kid == "" || len(kid) > 64 {
		return KeyWithdrawal{}, core.InvalidField("kid", "is required: the key id of a signing key (at most 64 characters)")
	}
	out := KeyWithdrawal{KeyID: kid, WithdrawnAt: r.Now()}
	var priv ed25519.PrivateKey
	err := r.InTx(ctx, func(tx *ent.Tx) error {
		// Take the audit chain's head first: it serialises writers, so no
		// rotation runs between reading the key and withdrawing it.
		if err := tx.AuditHead.UpdateOneID(core.AuditHeadID).AddSeq(0).Exec(ctx); err != nil {
			return fmt.Errorf("audit head: %w", err)
		}
		k, err := tx.SigningKey.Query().Where(signingkey.ID(kid)).Only(ctx)
		switch {
		case ent.IsNotFound(err):
			return core.NotFound("kid: no signing key %s", kid)
		case err != nil:
			return err
		case k.WithdrawnAt != nil:
			return core.FailedPrecondition("kid: signing key %s was withdrawn at %s", kid, k.WithdrawnAt.UTC().Format(time.RFC3339))
		}
		upd := tx.SigningKey.UpdateOneID(kid).SetWithdrawnAt(out.WithdrawnAt)
		if k.RetiredAt == nil {
			upd.SetRetiredAt(out.WithdrawnAt)
		}
		if err := upd.Exec(ctx); err != nil {
			return err
		}
		if err := r.Signal(ctx, tx, core.TopicKeys); err != nil {
			return err
		}
		before := map[string]any{"created_at": k.CreatedAt.UTC().Format(time.RFC3339Nano)}
		if k.RetiredAt != nil {
			before["retired_at"] = k.RetiredAt.UTC().Format(time.RFC3339Nano)
		}
		if err := r.Record(ctx, tx, actor, core.Change{
			Action: "signing-key.withdraw", EntityType: "signing-key", EntityID: kid, Before: before, After: out,
		}); err != nil {
			return err
		}
		if k.RetiredAt == nil {
			out.Replacement, priv, err = r.rotateSigningKey(ctx, tx)
		}
		return err
	})
	if err != nil {
		return KeyWithdrawal{}, err
	}
	if priv != nil {
		r.remember(out.Replacement, priv)
	}
	return out, nil
}

// cachedSigner is the signing key last loaded, decrypted, with when and
// at which generation of core.TopicKeys it was read.
type cachedSigner struct {
	kid        string
	key        ed25519.PrivateKey
	generation uint64
	filled     time.Time
}

// remember keeps the key this process has just made the signing one.
func (r *Keys) remember(kid string, key ed25519.PrivateKey) {
	r.signerCache.Store(cachedSigner{kid: kid, key: key, generation: r.Signals.Generation(core.TopicKeys), filled: time.Now()})
}

// Signer returns the current signing key, from memory while no rotation or
// withdrawal has been signalled (core.TopicKeys): one made by this process
// takes effect at once, one made by another within core.MaxStaleness (on
// PostgreSQL as soon as its notification arrives).
func (r *Keys) Signer(ctx context.Context) (string, ed25519.PrivateKey, error) {
	wall := time.Now()
	cached, ok := r.signerCache.Load().(cachedSigner)
	if ok && r.Signals.Fresh(core.TopicKeys, cached.generation, cached.filled, wall) {
		return cached.kid, cached.key, nil
	}
	generation := r.Signals.Generation(core.TopicKeys)
	k, err := r.DB.SigningKey.Query().Where(signingkey.RetiredAtIsNil()).
		Order(ent.Desc(signingkey.FieldCreatedAt)).First(ctx)
	if err != nil {
		return "", nil, fmt.Errorf("signing key: %w", err)
	}
	c := cachedSigner{kid: k.ID, key: cached.key, generation: generation, filled: wall}
	if !ok || cached.kid != k.ID {
		seed, err := r.Secrets.Open(k.PrivateKeySealed, SigningKeyAAD)
		if err != nil {
			return "", nil, fmt.Errorf("signing key %s: %w", k.ID, err)
		}
		c.key = ed25519.NewKeyFromSeed([]byte(seed))
	}
	r.signerCache.Store(c)
	return c.kid, c.key, nil
}

// SigningKeys returns every public key attestations may be signed with,
// newest first, each with its active period. Withdrawn keys are left out.
// Anyone may read them.
func (r *Keys) SigningKeys(ctx context.Context) (attest.KeySet, error) {
	rows, err := r.DB.SigningKey.Query().Where(signingkey.WithdrawnAtIsNil()).
		Order(ent.Desc(signingkey.FieldCreatedAt)).All(ctx)
	if err != nil {
		return attest.KeySet{}, err
	}
	set := attest.KeySet{Keys: make([]attest.Key, len(rows))}
	for i, k := range rows {
		key := attest.NewKey(k.ID, ed25519.PublicKey(k.PublicKey))
		key.ActiveFrom = k.CreatedAt.Unix()
		if k.RetiredAt != nil {
			key.ActiveUntil = k.RetiredAt.Unix()
		}
		set.Keys[i] = key
	}
	return set, nil
}
