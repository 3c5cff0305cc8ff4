package oidc

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

func TestLooksLikeJWT(t *testing.T) {
	for _, c := range []struct {
		raw  string
		want bool
	}{
		{"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", true},
		{"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", true}, // shape only; alg none is refused later
		{"rgt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", false},
		{"a.b", false},
		{"a.b.c.d", false},
		{".eyJ9.c2ln", false},
		{"eyJ9.eyJ9.c2ln=", false},
		{"eyJ9.ey J9.c2ln", false},
		{"eyJ9.eyJ9\n.c2ln", false},
		{"", false},
	} {
		t.Run(c.raw, func(t *testing.T) {
			if got := LooksLikeJWT(c.raw); got != c.want {
				t.Fatalf("LooksLikeJWT(%q) = %v, want %v", c.raw, got, c.want)
			}
		})
	}
}

func TestClaimString(t *testing.T) {
	var claims map[string]any
	if err := json.Unmarshal([]byte(`{
		"org": "bureau:economy-it",
		"https://city.example/role": "issuer",
		"realm_access": {"roles": ["viewer"], "many": ["a", "b"]},
		"n": 3, "empty": ""
	}`), &claims); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, want string
		ok         bool
	}{
		{"org", "bureau:economy-it", true},
		{"https://city.example/role", "issuer", true}, // dots in a top-level name
		{"realm_access.roles", "viewer", true},
		{"realm_access.many", "", false},
		{"realm_access.none", "", false},
		{"n", "", false},
		{"empty", "", false},
		{"missing", "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := claimString(claims, c.name)
			if got != c.want || ok != c.ok {
				t.Fatalf("claimString(%q) = %q, %v; want %q, %v", c.name, got, ok, c.want, c.ok)
			}
		})
	}
}

func TestConfigChecks(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"https", Config{Issuer: "https://sso.hangzhou.example/realms/city", Audience: "registry"}, true},
		{"loopback http", Config{Issuer: "http://127.0.0.1:8081", Audience: "registry"}, true},
		{"plain http elsewhere", Config{Issuer: "http://sso.hangzhou.example", Audience: "registry"}, false},
		{"no audience", Config{Issuer: "https://sso.hangzhou.example"}, false},
		{"relative", Config{Issuer: "/realms/city", Audience: "registry"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.cfg)
			if (err == nil) != c.ok {
				t.Fatalf("New: %v, want ok=%v", err, c.ok)
			}
		})
	}
}

func TestParseSigningKey(t *testing.T) {
	big, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	marshal := func(k jose.JSONWebKey) json.RawMessage {
		b, err := k.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, c := range []struct {
		name string
		raw  json.RawMessage
		ok   bool
	}{
		{"public RSA 2048", marshal(jose.JSONWebKey{Key: &big.PublicKey, KeyID: "a", Use: "sig"}), true},
		{"private RSA", marshal(jose.JSONWebKey{Key: big, KeyID: "a"}), false},
		{"RSA 1024", marshal(jose.JSONWebKey{Key: &small.PublicKey, KeyID: "a"}), false},
		{"encryption key", marshal(jose.JSONWebKey{Key: &big.PublicKey, KeyID: "a", Use: "enc"}), false},
		{"symmetric", marshal(jose.JSONWebKey{Key: []byte("0123456789abcdef"), KeyID: "a"}), false},
		{"unknown type", json.RawMessage(`{"kty":"XYZ","kid":"a"}`), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, ok := parseSigningKey(c.raw); ok != c.ok {
				t.Fatalf("parseSigningKey: ok=%v, want %v", ok, c.ok)
			}
		})
	}
}
