// Package jws signs and verifies compact JSON Web Signatures with EdDSA
// (Ed25519), the form of the registry's attestations, and reads and writes
// the JSON Web Key Sets that publish their keys. It needs nothing but the
// standard library, so offline verifiers can use it alone.
package jws

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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

// Errors of Verify, distinct so callers can say why a token was refused.
var (
	ErrMalformed    = errors.New("malformed token")
	ErrUnknownKey   = errors.New("signed by an unknown key")
	ErrBadSignature = errors.New("signature does not verify")
)

// Token is a parsed compact JWS.
type Token struct {
	Header  Header
	Payload []byte
	signed  string
	sig     []byte
}

// Parse splits and decodes a compact JWS without verifying it.
func Parse(compact string) (*Token, error) {
	parts := strings.Split(strings.TrimSpace(compact), ".")
	if len(parts) != 3 {
		return nil, ErrMalformed
	}
	rawHeader, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	payload, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, ErrMalformed
	}
	var h Header
	if err := json.Unmarshal(rawHeader, &h); err != nil || h.Alg != Algorithm || h.Kid == "" || !json.Valid(payload) {
		return nil, ErrMalformed
	}
	return &Token{Header: h, Payload: payload, signed: parts[0] + "." + parts[1], sig: sig}, nil
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
