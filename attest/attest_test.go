package attest_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hangzhou-ai/registry/attest"
)

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func mustDecode(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signRaw builds a compact JWS of exactly these header and payload bytes,
// signed with priv: what a forger holding the key could send.
func signRaw(priv ed25519.PrivateKey, header, payload string) string {
	input := b64(header) + "." + b64(payload)
	return input + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(priv, []byte(input)))
}

// goldenSeed, goldenClaims and the files in testdata are an attestation
// signed by the registry before it signed with go-jose, and the key set it
// published: what was issued then must verify now, and signing the same
// claims with the same key must give the same token (Ed25519 signatures
// are deterministic).
var (
	goldenSeed = func() []byte {
		b := make([]byte, ed25519.SeedSize)
		for i := range b {
			b[i] = byte(i)
		}
		return b
	}()
	goldenIssued = time.Date(2026, 6, 15, 9, 30, 0, 0, time.UTC)
	goldenClaims = attest.Claims{
		Issuer: attest.Issuer, Subject: "91330106MA27XK0A1X", ParkCode: "west-lake", EnterpriseCreditCode: "91330106MA27XK0A1X",
		Benefit: "rent-reduction", AsOf: "2026-06-15", Eligible: true,
		ReasonCodes:    []string{"TENANCY_ACTIVE", "DESIGNATION_HELD"},
		DesignationIDs: []string{"des_01J0000000000000000000000"},
		IssuedAt:       goldenIssued.Unix(), ExpiresAt: goldenIssued.Add(attest.MaxLifetime).Unix(),
	}
)

func TestGoldenAttestation(t *testing.T) {
	raw, err := os.ReadFile("testdata/eligibility.jws")
	if err != nil {
		t.Fatal(err)
	}
	golden := strings.TrimSuffix(string(raw), "\n")
	jwks, err := os.ReadFile("testdata/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	var keys attest.KeySet
	if err := json.Unmarshal(jwks, &keys); err != nil {
		t.Fatal(err)
	}
	priv := ed25519.NewKeyFromSeed(goldenSeed)
	kid := attest.KeyID(priv.Public().(ed25519.PublicKey))

	t.Run("published key set reads", func(t *testing.T) {
		k, ok := keys.Key(kid)
		pub, isEd := k.Ed25519()
		if !ok || !isEd || !pub.Equal(priv.Public()) || k.Algorithm != "EdDSA" || k.Use != "sig" ||
			k.ActiveFrom != time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC).Unix() || k.ActiveUntil != time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC).Unix() {
			t.Fatalf("key %s: %+v %v", kid, k, ok)
		}
	})
	t.Run("old token verifies", func(t *testing.T) {
		v, err := attest.Verify(golden, keys, goldenIssued.Add(5*24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if v.KeyID != kid || !v.SignatureValid || v.Claims == nil || !reflect.DeepEqual(*v.Claims, goldenClaims) {
			t.Fatalf("verification %+v, claims %+v", v, v.Claims)
		}
	})
	t.Run("same wire format", func(t *testing.T) {
		token, err := attest.Sign(priv, kid, goldenClaims)
		if err != nil {
			t.Fatal(err)
		}
		if token != golden {
			t.Fatalf("signed\n%s\nwant\n%s", token, golden)
		}
	})
	t.Run("key set written and read again", func(t *testing.T) {
		b, err := json.Marshal(keys)
		if err != nil {
			t.Fatal(err)
		}
		var again attest.KeySet
		if err := json.Unmarshal(b, &again); err != nil {
			t.Fatal(err)
		}
		k, _ := again.Key(kid)
		want, _ := keys.Key(kid)
		if k.X() != want.X() || k.X() == "" || k.ActiveFrom != want.ActiveFrom || k.ActiveUntil != want.ActiveUntil || k.Algorithm != want.Algorithm || k.Use != want.Use {
			t.Fatalf("%s read back as %+v", b, k)
		}
		var members map[string]any
		if err := json.Unmarshal(b, &struct {
			Keys []*map[string]any `json:"keys"`
		}{[]*map[string]any{&members}}); err != nil {
			t.Fatal(err)
		}
		for name, v := range map[string]any{"kty": "OKP", "crv": "Ed25519", "x": want.X(), "kid": kid, "alg": "EdDSA", "use": "sig",
			"active_from": float64(want.ActiveFrom), "active_until": float64(want.ActiveUntil)} {
			if members[name] != v {
				t.Errorf("member %s is %v, want %v (%s)", name, members[name], v, b)
			}
		}
	})
}

// period is a key set with one key of priv, active from..until.
func period(priv ed25519.PrivateKey, from, until int64) attest.KeySet {
	pub := priv.Public().(ed25519.PublicKey)
	k := attest.NewKey(attest.KeyID(pub), pub)
	k.ActiveFrom, k.ActiveUntil = from, until
	return attest.KeySet{Keys: []attest.Key{k}}
}

func TestVerify(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	otherPub, otherPriv, _ := ed25519.GenerateKey(rand.Reader)
	kid := attest.KeyID(priv.Public().(ed25519.PublicKey))
	now := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	keys := period(priv, now.Add(-time.Hour).Unix(), 0)
	other := attest.NewKey(attest.KeyID(otherPub), otherPub)
	other.ActiveFrom = now.Add(-time.Hour).Unix()
	keys.Keys = append(keys.Keys, other)

	claims := attest.Claims{Issuer: attest.Issuer, ParkCode: "west-lake", Eligible: true, IssuedAt: now.Unix(), ExpiresAt: now.Add(24 * time.Hour).Unix()}
	sign := func(priv ed25519.PrivateKey, kid string, c attest.Claims) string {
		t.Helper()
		token, err := attest.Sign(priv, kid, c)
		if err != nil {
			t.Fatal(err)
		}
		return token
	}
	token := sign(priv, kid, claims)
	parts := strings.Split(token, ".")
	flip := func(s string) string {
		b := mustDecode(t, s)
		b[len(b)/2] ^= 1
		return base64.RawURLEncoding.EncodeToString(b)
	}
	_, unknownPriv, _ := ed25519.GenerateKey(rand.Reader)
	stranger := claims
	stranger.Issuer = "someone-else"
	header := `{"alg":"EdDSA","kid":"` + kid + `","typ":"JWT"}`
	payload, _ := json.Marshal(claims)
	rsaKid := attest.KeySet{Keys: []attest.Key{{JSONWebKey: keys.Keys[0].JSONWebKey}}}
	rsaKid.Keys[0].Key = []byte("not a public key")

	tests := []struct {
		name      string
		token     string
		keys      attest.KeySet
		want      error
		signed    bool // the signature is expected to check
		hasClaims bool
	}{
		{"genuine", token, keys, nil, true, true},
		{"hand-built with the registry's header", signRaw(priv, header, string(payload)), keys, nil, true, true},
		{"payload edited", parts[0] + "." + b64(strings.Replace(string(payload), `"eligible":true`, `"eligible":false`, 1)) + "." + parts[2], keys, attest.ErrBadSignature, false, false},
		{"signature edited", parts[0] + "." + parts[1] + "." + flip(parts[2]), keys, attest.ErrBadSignature, false, false},
		{"signature of zeros", parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 64)), keys, attest.ErrBadSignature, false, false},
		{"signed by another key under this kid", sign(otherPriv, kid, claims), keys, attest.ErrBadSignature, false, false},
		{"key of the kid is no Ed25519 key", token, rsaKid, attest.ErrBadSignature, false, false},
		{"unknown kid", sign(unknownPriv, attest.KeyID(unknownPriv.Public().(ed25519.PublicKey)), claims), keys, attest.ErrUnknownKey, false, false},
		{"empty key set", token, attest.KeySet{}, attest.ErrUnknownKey, false, false},
		{"another issuer", sign(priv, kid, stranger), keys, attest.ErrMalformed, true, false},
		{"claims not an object", signRaw(priv, header, `[1,2]`), keys, attest.ErrMalformed, true, false},
		{"claims of the wrong types", signRaw(priv, header, `{"iss":"hangzhou-ai-registry","iat":"soon"}`), keys, attest.ErrMalformed, true, false},
		{"payload not JSON", signRaw(priv, header, `eligible`), keys, attest.ErrMalformed, false, false},
		{"two parts", parts[0] + "." + parts[1], keys, attest.ErrMalformed, false, false},
		{"four parts", token + ".", keys, attest.ErrMalformed, false, false},
		{"empty", "", keys, attest.ErrMalformed, false, false},
		{"not base64", "a.b.c!", keys, attest.ErrMalformed, false, false},
		{"alg none", b64(`{"alg":"none","kid":"`+kid+`"}`) + "." + parts[1] + ".", keys, attest.ErrMalformed, false, false},
		{"alg HS256", signRaw(priv, `{"alg":"HS256","kid":"`+kid+`","typ":"JWT"}`, string(payload)), keys, attest.ErrMalformed, false, false},
		{"no kid", signRaw(priv, `{"alg":"EdDSA","typ":"JWT"}`, string(payload)), keys, attest.ErrMalformed, false, false},
		{"JSON serialization", `{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`, keys, attest.ErrMalformed, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := attest.Verify(tc.token, tc.keys, now)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if v.SignatureValid != tc.signed || (v.Claims != nil) != tc.hasClaims {
				t.Fatalf("verification %+v: signature valid %v, claims %v; want %v, %v", v, v.SignatureValid, v.Claims != nil, tc.signed, tc.hasClaims)
			}
			if tc.hasClaims && !reflect.DeepEqual(*v.Claims, claims) {
				t.Fatalf("claims %+v, want %+v", *v.Claims, claims)
			}
		})
	}
}

// TestOnlyCanonicalEncodingVerifies spells a genuine token in ways a
// lenient decoder reads as the same bytes, or with a header other than the
// registry's: each is refused as non-canonical before its signature is
// looked at, while the genuine spelling still verifies.
func TestOnlyCanonicalEncodingVerifies(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	kid := attest.KeyID(priv.Public().(ed25519.PublicKey))
	now := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	keys := period(priv, now.Add(-time.Hour).Unix(), 0)
	// A token whose spelling has - or _, so that the standard alphabet
	// spells it differently.
	var token string
	var claims attest.Claims
	for n := 0; !strings.ContainsAny(token, "-_"); n++ {
		claims = attest.Claims{Issuer: attest.Issuer, ParkCode: "west-lake", Eligible: true, Benefit: strings.Repeat("x", n), IssuedAt: now.Unix(), ExpiresAt: now.Add(time.Hour).Unix()}
		var err error
		if token, err = attest.Sign(priv, kid, claims); err != nil {
			t.Fatal(err)
		}
	}
	parts := strings.Split(token, ".")
	payload := string(mustDecode(t, parts[1]))
	// A 64-byte signature is 86 characters: the last carries 2 bits of
	// the signature and 4 spare bits, which must be zero.
	sig := parts[2]
	spare := sig[:len(sig)-1] + string(alphabet[strings.IndexByte(alphabet, sig[len(sig)-1])^1])
	if b, err := base64.RawURLEncoding.DecodeString(spare); err != nil || string(b) != string(mustDecode(t, sig)) {
		t.Fatalf("the spare-bit spelling does not decode (leniently) to the same signature: %v", err)
	}
	std := strings.NewReplacer("-", "+", "_", "/")
	// resigned is the payload signed afresh under another header: a
	// genuine signature, but not of the registry's header.
	resigned := func(header string) string { return signRaw(priv, header, payload) }
	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"genuine", token, nil},
		{"spare bits set in the signature", parts[0] + "." + parts[1] + "." + spare, attest.ErrNonCanonical},
		{"leading space", " " + token, attest.ErrNonCanonical},
		{"trailing newline", token + "\n", attest.ErrNonCanonical},
		{"trailing space and tab", token + " \t", attest.ErrNonCanonical},
		{"space inside the payload", parts[0] + "." + parts[1][:5] + " " + parts[1][5:] + "." + parts[2], attest.ErrNonCanonical},
		{"line break inside the signature", parts[0] + "." + parts[1] + "." + sig[:40] + "\r\n" + sig[40:], attest.ErrNonCanonical},
		{"space before a dot", parts[0] + " ." + parts[1] + "." + parts[2], attest.ErrNonCanonical},
		{"padded signature", parts[0] + "." + parts[1] + "." + sig + "==", attest.ErrNonCanonical},
		{"padded token", token + "==", attest.ErrNonCanonical},
		{"padded header", base64.URLEncoding.EncodeToString(mustDecode(t, parts[0])) + "." + parts[1] + "." + parts[2], attest.ErrNonCanonical},
		{"standard alphabet", std.Replace(token), attest.ErrNonCanonical},
		{"header with spaces", resigned(`{"alg": "EdDSA", "kid": "` + kid + `", "typ": "JWT"}`), attest.ErrNonCanonical},
		{"header members reordered", resigned(`{"kid":"` + kid + `","alg":"EdDSA","typ":"JWT"}`), attest.ErrNonCanonical},
		{"header with an extra member", resigned(`{"alg":"EdDSA","kid":"` + kid + `","typ":"JWT","x":1}`), attest.ErrNonCanonical},
		{"header with an escape", resigned(`{"alg":"\u0045dDSA","kid":"` + kid + `","typ":"JWT"}`), attest.ErrNonCanonical},
		{"header without typ", resigned(`{"alg":"EdDSA","kid":"` + kid + `"}`), attest.ErrNonCanonical},
		{"header of another typ", resigned(`{"alg":"EdDSA","kid":"` + kid + `","typ":"JOSE"}`), attest.ErrNonCanonical},
		{"header with a member twice", resigned(`{"alg":"EdDSA","kid":"` + kid + `","kid":"` + kid + `","typ":"JWT"}`), attest.ErrNonCanonical},
		{"unencoded payload asked for", resigned(`{"alg":"EdDSA","b64":false,"crit":["b64"],"kid":"` + kid + `","typ":"JWT"}`), attest.ErrNonCanonical},
		{"garbage is still malformed", "not a token", attest.ErrMalformed},
		{"bad character is malformed", parts[0] + "." + parts[1] + "." + sig[:10] + "*" + sig[11:], attest.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := attest.Verify(tc.token, keys, now)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if tc.want != nil && (v.SignatureValid || v.Claims != nil) {
				t.Fatalf("a refused token had its signature or claims read: %+v", v)
			}
		})
	}
}

// TestKeyPeriodAndLifetime applies the key-period, lifetime and expiry
// rules at their edges, to tokens signed by the key itself.
func TestKeyPeriodAndLifetime(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	kid := attest.KeyID(priv.Public().(ed25519.PublicKey))
	day := int64(24 * 3600)
	skew := int64(attest.ClockSkew / time.Second)
	life := int64(attest.MaxLifetime / time.Second)
	from := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC).Unix()
	until := from + 10*day
	now := until + 3600
	retired := period(priv, from, until)
	current := period(priv, from, 0)
	noPeriod := period(priv, 0, 0)
	older := period(priv, from-30*day, 0)
	tests := []struct {
		name     string
		keys     attest.KeySet
		iat, exp int64
		want     error
	}{
		{"at creation", retired, from, from + life, nil},
		{"at retirement", retired, until, until + life, nil},
		{"within the skew before creation", current, from - skew, now + day, nil},
		{"before creation", current, from - skew - 1, now + day, attest.ErrOutsideKeyPeriod},
		{"within the skew after retirement", retired, until + skew, until + day, nil},
		{"after retirement", retired, until + skew + 1, until + day, attest.ErrOutsideKeyPeriod},
		{"current key, now", current, now, now + day, nil},
		{"current key, within the skew ahead", current, now + skew, now + day, nil},
		{"current key, in the future", current, now + skew + 1, now + day, attest.ErrOutsideKeyPeriod},
		{"no active period published", noPeriod, now, now + day, attest.ErrOutsideKeyPeriod},
		{"30 days exactly", current, now, now + life, nil},
		{"30 days and a second", current, now, now + life + 1, attest.ErrLifetime},
		{"expiring in 2076", current, now, time.Date(2076, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), attest.ErrLifetime},
		{"exp at iat", current, now, now, attest.ErrLifetime},
		{"exp before iat", current, now, now - 1, attest.ErrLifetime},
		{"expired", retired, from, from + day, attest.ErrExpired},
		{"expiring now", older, now - life, now, attest.ErrExpired},
		{"expiring a second from now", older, now - life + 1, now + 1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			token, err := attest.Sign(priv, kid, attest.Claims{Issuer: attest.Issuer, Eligible: true, IssuedAt: tc.iat, ExpiresAt: tc.exp})
			if err != nil {
				t.Fatal(err)
			}
			v, err := attest.Verify(token, tc.keys, time.Unix(now, 0))
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if !v.SignatureValid || v.Claims == nil || v.Claims.IssuedAt != tc.iat || v.KeyID != kid {
				t.Fatalf("a genuine signature's claims were not read: %+v", v)
			}
		})
	}
}

// TestKeySetJSON reads key sets as the JWKS endpoint writes them, as the
// Connect JSON mapping of GetSigningKeys does, and refuses what no
// published key set holds.
func TestKeySetJSON(t *testing.T) {
	const x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" // RFC 8037's example public key
	okp := `"kty":"OKP","crv":"Ed25519","x":"` + x + `","kid":"k"`
	tests := []struct {
		name       string
		text       string
		keys       int
		from, till int64
		wantErr    bool
	}{
		{"jwks", `{"keys":[{` + okp + `,"active_from":1781496000,"active_until":1781582400}]}`, 1, 1781496000, 1781582400, false},
		{"connect json", `{"keys":[{` + okp + `,"alg":"EdDSA","use":"sig","activeFrom":"1781496000","activeUntil":"1781582400"}]}`, 1, 1781496000, 1781582400, false},
		{"current key", `{"keys":[{` + okp + `,"active_from":1781496000}]}`, 1, 1781496000, 0, false},
		{"no period", `{"keys":[{` + okp + `}]}`, 1, 0, 0, false},
		{"a key of an unknown type is left out", `{"keys":[{"kty":"XYZ","kid":"a"},{` + okp + `,"active_from":1}]}`, 1, 1, 0, false},
		{"empty", `{"keys":[]}`, 0, 0, 0, false},
		{"private key", `{"keys":[{` + okp + `,"d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}]}`, 0, 0, 0, true},
		{"short x", `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AAAA","kid":"k"}]}`, 0, 0, 0, true},
		{"period not a number", `{"keys":[{` + okp + `,"activeFrom":"soon"}]}`, 0, 0, 0, true},
		{"not a key set", `[]`, 0, 0, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ks attest.KeySet
			err := json.Unmarshal([]byte(tc.text), &ks)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want one: %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if len(ks.Keys) != tc.keys {
				t.Fatalf("%d keys, want %d", len(ks.Keys), tc.keys)
			}
			if tc.keys == 0 {
				return
			}
			k, ok := ks.Key("k")
			if !ok || k.X() != x || k.ActiveFrom != tc.from || k.ActiveUntil != tc.till {
				t.Fatalf("key %+v %v", k, ok)
			}
		})
	}
}
