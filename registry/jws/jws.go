// Package jws signs and verifies compact JSON Web Signatures with EdDSA
// (Ed25519), the form of the registry's attestations, and reads and writes
// the JSON Web Key Sets that publish their keys. It needs nothing but the
// standard library, so offline verifiers can use it alone.
//
// Only the canonical encoding verifies: each segment must be unpadded
// base64url exactly as the registry writes it (no whitespace anywhere, no
// padding, no other alphabet, zero spare bits in the last character), and
// the protected header must be the registry's own JSON form. Anything else
// that would decode to a token is refused with ErrNonCanonical, so one
// signature has exactly one accepted spelling.
//
// The registry publishes, besides the standard JWK members, each key's
// active period (active_from, active_until: Unix seconds; active_until is
// absent while the key is current). CheckIssued applies the rules an
// attestation must meet against its key: issued while the key was current,
// and valid for at most MaxLifetime.
package jws

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Algorithm is the only JWS algorithm the registry signs and accepts.
const Algorithm = "EdDSA"

// Header is a JWS protected header.
type Header struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ,omitempty"`
}

// Key is an Ed25519 public key as a JSON Web Key (RFC 8037).
type Key struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	// ActiveFrom is when the key became the signing key, in Unix seconds.
	ActiveFrom int64 `json:"active_from,omitempty"`
	// ActiveUntil is when a rotation replaced it (Unix seconds); zero
	// while it is the key that signs.
	ActiveUntil int64 `json:"active_until,omitempty"`
}

// UnmarshalJSON reads a key as /.well-known/jwks.json writes it, and also
// as the Connect JSON mapping of GetSigningKeys does (`registryctl public
// keys -o json`): activeFrom and activeUntil, as decimal strings.
func (k *Key) UnmarshalJSON(b []byte) error {
	type plain Key
	var v struct {
		plain
		CamelFrom  json.Number `json:"activeFrom"`
		CamelUntil json.Number `json:"activeUntil"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*k = Key(v.plain)
	for _, f := range []struct {
		n   json.Number
		dst *int64
	}{{v.CamelFrom, &k.ActiveFrom}, {v.CamelUntil, &k.ActiveUntil}} {
		if f.n == "" || *f.dst != 0 {
			continue
		}
		n, err := f.n.Int64()
		if err != nil {
			return fmt.Errorf("key %s: %w", k.Kid, err)
		}
		*f.dst = n
	}
	return nil
}

// KeySet is a JSON Web Key Set.
type KeySet struct {
	Keys []Key `json:"keys"`
}

// NewKey describes an Ed25519 public key under kid.
func NewKey(kid string, pub ed25519.PublicKey) Key {
	return Key{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(pub), Kid: kid, Alg: Algorithm, Use: "sig"}
}

// KeyID derives a stable key id from a public key: the first 16 bytes of
// its SHA-256, base64url.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// PublicKey decodes the key, refusing anything but an Ed25519 OKP key.
func (k Key) PublicKey() (ed25519.PublicKey, error) {
	if k.Kty != "OKP" || k.Crv != "Ed25519" {
		return nil, fmt.Errorf("key %s is %s/%s, not OKP/Ed25519", k.Kid, k.Kty, k.Crv)
	}
	b, err := base64.RawURLEncoding.DecodeString(k.X)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("key %s: x is not an Ed25519 public key", k.Kid)
	}
	return ed25519.PublicKey(b), nil
}

// Sign returns the compact JWS of claims (marshalled to JSON) signed by priv
// under kid.
func Sign(priv ed25519.PrivateKey, kid string, claims any) (string, error) {
	header, err := json.Marshal(Header{Alg: Algorithm, Kid: kid, Typ: "JWT"})
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signingInput := b64(header) + "." + b64(payload)
	return signingInput + "." + b64(ed25519.Sign(priv, []byte(signingInput))), nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// Errors of Parse, Verify and CheckIssued, distinct so callers can say why
// a token was refused.
var (
	ErrMalformed    = errors.New("malformed token")
	ErrNonCanonical = errors.New("token is not in its canonical encoding")
	ErrUnknownKey   = errors.New("signed by an unknown key")
	ErrBadSignature = errors.New("signature does not verify")
	// ErrOutsideKeyPeriod: iat lies outside its key's active period.
	ErrOutsideKeyPeriod = errors.New("issued outside its key's active period")
	// ErrLifetime: exp - iat exceeds MaxLifetime (or exp is not after iat).
	ErrLifetime = errors.New("lifetime exceeds the maximum")
)

// Token is a parsed compact JWS.
type Token struct {
	Header  Header
	Payload []byte
	signed  string
	sig     []byte
}

// Parse splits and decodes a compact JWS without verifying it. A token
// that decodes only leniently (see the package documentation) is refused
// with ErrNonCanonical; one that does not decode at all with ErrMalformed.
func Parse(compact string) (*Token, error) {
	parts := strings.Split(compact, ".")
	if len(parts) != 3 {
		return nil, ErrMalformed
	}
	var decoded [3][]byte
	canonical := true
	for i, part := range parts {
		b, err := decodeLenient(part)
		if err != nil {
			return nil, ErrMalformed
		}
		decoded[i] = b
		canonical = canonical && b64(b) == part
	}
	rawHeader, payload, sig := decoded[0], decoded[1], decoded[2]
	var h Header
	if err := json.Unmarshal(rawHeader, &h); err != nil || h.Alg != Algorithm || h.Kid == "" || !json.Valid(payload) {
		return nil, ErrMalformed
	}
	// The header must be exactly what Sign writes for it: no other
	// members, order, spacing or escapes.
	if again, err := json.Marshal(h); err != nil || string(again) != string(rawHeader) {
		canonical = false
	}
	if !canonical {
		return nil, ErrNonCanonical
	}
	return &Token{Header: h, Payload: payload, signed: parts[0] + "." + parts[1], sig: sig}, nil
}

// decodeLenient decodes a segment the way a forgiving decoder would:
// ignoring whitespace and padding, accepting the standard alphabet and
// non-zero spare bits. Parse compares the result, encoded again, with the
// segment to tell a non-canonical spelling from garbage.
func decodeLenient(part string) ([]byte, error) {
	part = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r', '\f', '\v':
			return -1
		case '+':
			return '-'
		case '/':
			return '_'
		}
		return r
	}, part)
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(part, "="))
}

// Key returns the key of the set with the given kid.
func (ks KeySet) Key(kid string) (Key, bool) {
	for _, k := range ks.Keys {
		if k.Kid == kid {
			return k, true
		}
	}
	return Key{}, false
}

// MaxLifetime is the longest an attestation may be relied on: its exp may
// lie at most this long after its iat.
const MaxLifetime = 30 * 24 * time.Hour

// ClockSkew is how far an iat may lie outside its key's active period (or
// after now) and still be accepted: the replicas that sign and the one that
// rotates keys may disagree by this much about the time, and iat is in
// whole seconds.
const ClockSkew = 5 * time.Second

// CheckIssued applies the attestation rules to a token's iat and exp
// (Unix seconds) against the key that signed it, now: the key was the
// signing key at iat (active_from ≤ iat ≤ active_until, or ≤ now while it
// is current, each within ClockSkew), and 0 < exp − iat ≤ MaxLifetime. A
// key without an active period (a key set from before they were published)
// is refused with ErrOutsideKeyPeriod. Expiry itself is not checked here.
func CheckIssued(k Key, iat, exp int64, now time.Time) error {
	skew := int64(ClockSkew / time.Second)
	until := now.Unix()
	if k.ActiveUntil != 0 {
		until = min(until, k.ActiveUntil)
	}
	if k.ActiveFrom == 0 || iat < k.ActiveFrom-skew || iat > until+skew {
		return ErrOutsideKeyPeriod
	}
	if exp <= iat || exp-iat > int64(MaxLifetime/time.Second) {
		return ErrLifetime
	}
	return nil
}

// Verify checks the token's signature with the key of its kid in keys.
func (t *Token) Verify(keys KeySet) error {
	for _, k := range keys.Keys {
		if k.Kid != t.Header.Kid {
			continue
		}
		pub, err := k.PublicKey()
		if err != nil {
			return err
		}
		if !ed25519.Verify(pub, []byte(t.signed), t.sig) {
			return ErrBadSignature
		}
		return nil
	}
	return ErrUnknownKey
}
