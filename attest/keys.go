package attest

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/go-jose/go-jose/v4"
)

// KeyType and Curve are the JSON Web Key type and curve of every key the
// registry signs with (RFC 8037).
const (
	KeyType = "OKP"
	Curve   = "Ed25519"
)

// Key is a published signing key: an Ed25519 public key as a JSON Web Key
// (RFC 8037) and the period it was the key that signs. In JSON the period
// is two members beside the standard ones, active_from and active_until,
// in Unix seconds; active_until is absent while the key is current.
type Key struct {
	jose.JSONWebKey
	// ActiveFrom is when the key became the signing key, in Unix seconds;
	// zero for a key published without its period, which verifies nothing.
	ActiveFrom int64
	// ActiveUntil is when a rotation replaced it (Unix seconds); zero
	// while it is the key that signs.
	ActiveUntil int64
}

// KeySet is a JSON Web Key Set of published signing keys.
type KeySet struct {
	Keys []Key `json:"keys"`
}

// NewKey describes the Ed25519 public key pub under kid, with no period.
func NewKey(kid string, pub ed25519.PublicKey) Key {
	return Key{JSONWebKey: jose.JSONWebKey{Key: pub, KeyID: kid, Algorithm: string(jose.EdDSA), Use: "sig"}}
}

// KeyID derives a stable key id from a public key: the first 16 bytes of
// its SHA-256, unpadded base64url.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// Key returns the first key of the set with the given kid.
func (ks KeySet) Key(kid string) (Key, bool) {
	for _, k := range ks.Keys {
		if k.KeyID == kid {
			return k, true
		}
	}
	return Key{}, false
}

// JWKS returns the keys as a go-jose key set, without their periods.
func (ks KeySet) JWKS() jose.JSONWebKeySet {
	set := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, len(ks.Keys))}
	for i, k := range ks.Keys {
		set.Keys[i] = k.JSONWebKey
	}
	return set
}

// Ed25519 returns the key's Ed25519 public key, or false when the key is
// any other kind (then it verifies nothing).
func (k Key) Ed25519() (ed25519.PublicKey, bool) {
	pub, ok := k.Key.(ed25519.PublicKey)
	return pub, ok && len(pub) == ed25519.PublicKeySize
}

// X is the key's "x" member: its Ed25519 public key in unpadded base64url,
// or "" when it is no Ed25519 key.
func (k Key) X() string {
	pub, ok := k.Ed25519()
	if !ok {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(pub)
}

// MarshalJSON writes the key as a JSON Web Key with its period beside the
// standard members.
func (k Key) MarshalJSON() ([]byte, error) {
	b, err := k.JSONWebKey.MarshalJSON()
	if err != nil {
		return nil, err
	}
	if !bytes.HasSuffix(b, []byte("}")) {
		return nil, fmt.Errorf("key %s: JSON Web Key is not an object", k.KeyID)
	}
	b = b[:len(b)-1]
	if k.ActiveFrom != 0 {
		b = append(append(b, `,"active_from":`...), strconv.FormatInt(k.ActiveFrom, 10)...)
	}
	if k.ActiveUntil != 0 {
		b = append(append(b, `,"active_until":`...), strconv.FormatInt(k.ActiveUntil, 10)...)
	}
	return append(b, '}'), nil
}

// UnmarshalJSON reads a key as /.well-known/jwks.json writes it, and also
// as the Connect JSON mapping of GetSigningKeys does (`registryctl public
// keys -o json`): activeFrom and activeUntil, as decimal strings. A key
// with private material is refused: a published key set never holds one.
func (k *Key) UnmarshalJSON(b []byte) error {
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(b); err != nil {
		return err
	}
	if !jwk.IsPublic() {
		return fmt.Errorf("key %s holds private key material", jwk.KeyID)
	}
	var period struct {
		From       *int64      `json:"active_from"`
		Until      *int64      `json:"active_until"`
		CamelFrom  json.Number `json:"activeFrom"`
		CamelUntil json.Number `json:"activeUntil"`
	}
	if err := json.Unmarshal(b, &period); err != nil {
		return fmt.Errorf("key %s: %w", jwk.KeyID, err)
	}
	out := Key{JSONWebKey: jwk}
	for _, f := range []struct {
		snake *int64
		camel json.Number
		dst   *int64
	}{{period.From, period.CamelFrom, &out.ActiveFrom}, {period.Until, period.CamelUntil, &out.ActiveUntil}} {
		switch {
		case f.snake != nil:
			*f.dst = *f.snake
		case f.camel != "":
			n, err := f.camel.Int64()
			if err != nil {
				return fmt.Errorf("key %s: %w", jwk.KeyID, err)
			}
			*f.dst = n
		}
	}
	*k = out
	return nil
}

// UnmarshalJSON reads a JSON Web Key Set. Keys of a type go-jose does not
// know are left out, as RFC 7517 section 5 advises; any other key that
// does not read (private material, a wrong length) fails the whole set.
func (ks *KeySet) UnmarshalJSON(b []byte) error {
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := KeySet{Keys: make([]Key, 0, len(raw.Keys))}
	for _, r := range raw.Keys {
		var k Key
		switch err := k.UnmarshalJSON(r); {
		case errors.Is(err, jose.ErrUnsupportedKeyType):
			continue
		case err != nil:
			return err
		}
		out.Keys = append(out.Keys, k)
	}
	*ks = out
	return nil
}
