// Package oidctest runs an OpenID Connect identity provider for tests: an
// httptest server publishing a discovery document and a key set, and
// signing tokens with keys it generates. Nothing is mocked on the
// registry's side: it discovers and fetches keys over HTTP as in production.
//
// It also signs browsers in with the authorization code flow and PKCE
// (login.go): its authorization endpoint asks nobody anything and sends
// the browser straight back with a code, and its token endpoint trades
// the code for an ID token naming whom LoginAs said.
package oidctest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Key is a signing key of the provider.
type Key struct {
	ID        string
	Algorithm jose.SignatureAlgorithm
	Private   any // *rsa.PrivateKey or *ecdsa.PrivateKey
}

// Provider is a running identity provider.
type Provider struct {
	t      testing.TB
	Server *httptest.Server
	// Issuer is the provider's issuer URL (the server's URL).
	Issuer string

	// Now is the clock for the ID tokens' iat and exp; time.Now when nil.
	// Set it before the first sign-in.
	Now func() time.Time

	mu        sync.Mutex
	published []Key
	jwksHits  atomic.Int64
	login     loginState
}

// NewRSAKey generates a 2048-bit RSA key for RS256.
func NewRSAKey(t testing.TB, kid string) Key {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return Key{ID: kid, Algorithm: jose.RS256, Private: k}
}

// NewECKey generates a P-256 ECDSA key for ES256.
func NewECKey(t testing.TB, kid string) Key {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return Key{ID: kid, Algorithm: jose.ES256, Private: k}
}

// New starts a provider publishing keys; it stops when the test ends.
func New(t testing.TB, keys ...Key) *Provider {
	t.Helper()
	p := &Provider{t: t, published: keys}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]any{
			"issuer":                                p.Issuer,
			"jwks_uri":                              p.Issuer + "/keys",
			"authorization_endpoint":                p.Issuer + "/authorize",
			"token_endpoint":                        p.Issuer + "/token",
			"response_types_supported":              []string{"code"},
			"code_challenge_methods_supported":      []string{"S256"},
			"id_token_signing_alg_values_supported": []string{"RS256", "ES256"},
		})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, _ *http.Request) {
		p.jwksHits.Add(1)
		p.mu.Lock()
		set := jose.JSONWebKeySet{}
		for _, k := range p.published {
			set.Keys = append(set.Keys, publicJWK(k))
		}
		p.mu.Unlock()
		writeJSON(w, set)
	})
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	p.Server = httptest.NewServer(mux)
	p.Issuer = p.Server.URL
	t.Cleanup(p.Server.Close)
	return p
}

// Publish adds a key to the published key set (a key rotation).
func (p *Provider) Publish(k Key) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.published = append(p.published, k)
}

// KeySetFetches counts requests for the key set.
func (p *Provider) KeySetFetches() int64 { return p.jwksHits.Load() }

// Sign returns a compact JWT of claims signed with k, naming k.ID in its
// header. Any key may sign, published or not.
func (p *Provider) Sign(k Key, claims map[string]any) string {
	p.t.Helper()
	raw, err := sign(k, claims)
	if err != nil {
		p.t.Fatal(err)
	}
	return raw
}

func sign(k Key, claims map[string]any) (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.Algorithm, Key: jose.JSONWebKey{Key: k.Private, KeyID: k.ID}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	return jwt.Signed(signer).Claims(claims).Serialize()
}

func publicJWK(k Key) jose.JSONWebKey {
	var pub any
	switch priv := k.Private.(type) {
	case *rsa.PrivateKey:
		pub = &priv.PublicKey
	case *ecdsa.PrivateKey:
		pub = &priv.PublicKey
	default:
		pub = k.Private
	}
	return jose.JSONWebKey{Key: pub, KeyID: k.ID, Algorithm: string(k.Algorithm), Use: "sig"}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
