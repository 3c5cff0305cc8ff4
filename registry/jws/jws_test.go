package jws

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func TestSignAndVerify(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	otherPub, otherPriv, _ := ed25519.GenerateKey(rand.Reader)
	kid := KeyID(pub)
	keys := KeySet{Keys: []Key{NewKey(kid, pub), NewKey(KeyID(otherPub), otherPub)}}
	token, err := Sign(priv, kid, map[string]any{"eligible": true, "park": "west-lake"})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(token, ".")
	flip := func(s string) string {
		b, _ := base64.RawURLEncoding.DecodeString(s)
		b[len(b)/2] ^= 1
		return base64.RawURLEncoding.EncodeToString(b)
	}
	forged, _ := Sign(otherPriv, kid, map[string]any{"eligible": true})
	unknownPub, unknownPriv, _ := ed25519.GenerateKey(rand.Reader)
	unknown, _ := Sign(unknownPriv, KeyID(unknownPub), map[string]any{"eligible": true})
	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"genuine", token, nil},
		{"payload edited", parts[0] + "." + flip(parts[1]) + "." + parts[2], ErrBadSignature},
		{"signature edited", parts[0] + "." + parts[1] + "." + flip(parts[2]), ErrBadSignature},
		{"signed by another key under this kid", forged, ErrBadSignature},
		{"unknown kid", unknown, ErrUnknownKey},
		{"two parts", parts[0] + "." + parts[1], ErrMalformed},
		{"not base64", "a.b.c!", ErrMalformed},
		{"alg none", base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"`+kid+`"}`)) + "." + parts[1] + ".", ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := Parse(tc.token)
			if err == nil {
				err = tok.Verify(keys)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}
