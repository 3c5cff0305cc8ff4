package jws

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
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

// TestOnlyCanonicalEncodingVerifies spells a genuine token in ways a
// lenient decoder reads as the same bytes: each is refused as
// non-canonical, before its signature is looked at, while the genuine
// spelling still verifies.
func TestOnlyCanonicalEncodingVerifies(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	kid := KeyID(pub)
	keys := KeySet{Keys: []Key{NewKey(kid, pub)}}
	// A token whose spelling has - or _, so that the standard alphabet
	// spells it differently.
	var token string
	for n := 0; !strings.ContainsAny(token, "-_"); n++ {
		var err error
		if token, err = Sign(priv, kid, map[string]any{"eligible": true, "park": "west-lake", "n": n}); err != nil {
			t.Fatal(err)
		}
	}
	parts := strings.Split(token, ".")
	// A 64-byte signature is 86 characters: the last carries 2 bits of
	// the signature and 4 spare bits, which must be zero.
	sig := parts[2]
	last := strings.IndexByte(alphabet, sig[len(sig)-1])
	spare := sig[:len(sig)-1] + string(alphabet[last^1])
	if b, err := base64.RawURLEncoding.DecodeString(spare); err != nil || string(b) != string(mustDecode(t, sig)) {
		t.Fatalf("the spare-bit spelling does not decode (leniently) to the same signature: %v", err)
	}
	std := strings.NewReplacer("-", "+", "_", "/")
	header := func(json string) string { return base64.RawURLEncoding.EncodeToString([]byte(json)) }
	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"genuine", token, nil},
		{"spare bits set in the signature", parts[0] + "." + parts[1] + "." + spare, ErrNonCanonical},
		{"leading space", " " + token, ErrNonCanonical},
		{"trailing newline", token + "\n", ErrNonCanonical},
		{"trailing space and tab", token + " \t", ErrNonCanonical},
		{"space inside the payload", parts[0] + "." + parts[1][:5] + " " + parts[1][5:] + "." + parts[2], ErrNonCanonical},
		{"line break inside the signature", parts[0] + "." + parts[1] + "." + sig[:40] + "\r\n" + sig[40:], ErrNonCanonical},
		{"space before a dot", parts[0] + " ." + parts[1] + "." + parts[2], ErrNonCanonical},
		{"padded signature", parts[0] + "." + parts[1] + "." + sig + "==", ErrNonCanonical},
		{"padded header", base64.URLEncoding.EncodeToString(mustDecode(t, parts[0])) + "." + parts[1] + "." + parts[2], ErrNonCanonical},
		{"standard alphabet", std.Replace(token), ErrNonCanonical},
		{"header with spaces", header(`{"alg": "EdDSA", "kid": "`+kid+`", "typ": "JWT"}`) + "." + parts[1] + "." + parts[2], ErrNonCanonical},
		{"header members reordered", header(`{"kid":"`+kid+`","alg":"EdDSA","typ":"JWT"}`) + "." + parts[1] + "." + parts[2], ErrNonCanonical},
		{"header with an extra member", header(`{"alg":"EdDSA","kid":"`+kid+`","typ":"JWT","x":1}`) + "." + parts[1] + "." + parts[2], ErrNonCanonical},
		{"header with an escape", header(`{"alg":"\u0045dDSA","kid":"`+kid+`","typ":"JWT"}`) + "." + parts[1] + "." + parts[2], ErrNonCanonical},
		{"garbage is still malformed", "not a token", ErrMalformed},
		{"bad character is malformed", parts[0] + "." + parts[1] + "." + sig[:10] + "*" + sig[11:], ErrMalformed},
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

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

func mustDecode(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCheckIssued applies the key-period and lifetime rules at their edges.
func TestCheckIssued(t *testing.T) {
	from := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC).Unix()
	until := from + 10*24*3600
	now := time.Unix(until+30*24*3600, 0)
	retired := Key{Kid: "k", ActiveFrom: from, ActiveUntil: until}
	current := Key{Kid: "k", ActiveFrom: from}
	day := int64(24 * 3600)
	skew := int64(ClockSkew / time.Second)
	tests := []struct {
		name     string
		key      Key
		iat, exp int64
		want     error
	}{
		{"at creation", retired, from, from + 30*day, nil},
		{"at retirement", retired, until, until + 30*day, nil},
		{"within the skew before creation", retired, from - skew, from + day, nil},
		{"before creation", retired, from - skew - 1, from + day, ErrOutsideKeyPeriod},
		{"within the skew after retirement", retired, until + skew, until + day, nil},
		{"after retirement", retired, until + skew + 1, until + day, ErrOutsideKeyPeriod},
		{"current key, now", current, now.Unix(), now.Unix() + day, nil},
		{"current key, in the future", current, now.Unix() + skew + 1, now.Unix() + day, ErrOutsideKeyPeriod},
		{"no active period published", Key{Kid: "k"}, from, from + day, ErrOutsideKeyPeriod},
		{"30 days exactly", retired, from, from + 30*day, nil},
		{"30 days and a second", retired, from, from + 30*day + 1, ErrLifetime},
		{"expiring in 2076", retired, from, time.Date(2076, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), ErrLifetime},
		{"exp at iat", retired, from, from, ErrLifetime},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := CheckIssued(tc.key, tc.iat, tc.exp, now); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// TestKeySetJSON reads a key set as the JWKS endpoint writes it and as
// the Connect JSON mapping of GetSigningKeys does.
func TestKeySetJSON(t *testing.T) {
	for name, text := range map[string]string{
		"jwks":         `{"keys":[{"kty":"OKP","kid":"k","active_from":1781496000,"active_until":1781582400}]}`,
		"connect json": `{"keys":[{"kty":"OKP","kid":"k","activeFrom":"1781496000","activeUntil":"1781582400"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			var ks KeySet
			if err := json.Unmarshal([]byte(text), &ks); err != nil {
				t.Fatal(err)
			}
			k, ok := ks.Key("k")
			if !ok || k.ActiveFrom != 1781496000 || k.ActiveUntil != 1781582400 || k.Kty != "OKP" {
				t.Fatalf("key %+v %v", k, ok)
			}
		})
	}
}
