package oidc_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hangzhou-ai/registry/rpc/oidc"
	"github.com/hangzhou-ai/registry/rpc/oidc/oidctest"
)

// TestEndpoints finds the sign-in endpoints in the discovery document,
// which is fetched once for them and the keys alike.
func TestEndpoints(t *testing.T) {
	key := oidctest.NewRSAKey(t, "k1")
	idp := oidctest.New(t, key)
	var discoveries atomic.Int64
	// Count discovery requests by proxying the provider.
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/.well-known/openid-configuration" {
			discoveries.Add(1)
		}
		idp.Server.Config.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	// The issuer is the provider's, so the document names it; only the
	// client's requests pass the counter.
	v, err := oidc.New(oidc.Config{Issuer: idp.Issuer, Audience: "registry", HTTPClient: redirectTo(front.URL)})
	if err != nil {
		t.Fatal(err)
	}
	auth, token, err := v.Endpoints(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if auth != idp.Issuer+"/authorize" || token != idp.Issuer+"/token" {
		t.Errorf("endpoints %s, %s", auth, token)
	}
	now := time.Now()
	raw := idp.Sign(key, map[string]any{"iss": idp.Issuer, "aud": "registry", "sub": "a", "org": "auditor", "role": "auditor", "exp": now.Add(time.Minute).Unix()})
	if _, err := v.Verify(t.Context(), raw); err != nil {
		t.Fatal(err)
	}
	if _, _, err := v.Endpoints(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := discoveries.Load(); n != 1 {
		t.Errorf("discovery fetched %d times, want once", n)
	}
}

// redirectTo is a client sending every request to base instead, keeping
// the path.
func redirectTo(base string) *http.Client {
	return &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		u := *r.URL
		u.Scheme, u.Host = "http", strings.TrimPrefix(base, "http://")
		r.URL, r.Host = &u, u.Host
		return http.DefaultTransport.RoundTrip(r)
	})}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestEndpointsChecked refuses sign-in endpoints that are missing or not
// https off loopback, while the keys of the same document stay usable,
// and retries a failed discovery only after the refetch interval.
func TestEndpointsChecked(t *testing.T) {
	for _, c := range []struct {
		name        string
		auth, token string
		want        string
	}{
		{"plain http elsewhere", "http://sso.hangzhou.example/authorize", "https://sso.hangzhou.example/token", "authorization_endpoint"},
		{"no token endpoint", "https://sso.hangzhou.example/authorize", "", "token_endpoint"},
		{"relative", "/authorize", "https://sso.hangzhou.example/token", "authorization_endpoint"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var srv *httptest.Server
			srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_ = json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL, "jwks_uri": srv.URL + "/keys",
					"authorization_endpoint": c.auth, "token_endpoint": c.token})
			}))
			t.Cleanup(srv.Close)
			v, err := oidc.New(oidc.Config{Issuer: srv.URL, Audience: "registry"})
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := v.Endpoints(t.Context()); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Endpoints: %v, want an error naming %s", err, c.want)
			}
		})
	}

	var hits atomic.Int64
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		http.Error(w, "down", http.StatusBadGateway)
	}))
	t.Cleanup(down.Close)
	now := time.Now()
	v, err := oidc.New(oidc.Config{Issuer: down.URL, Audience: "registry", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, _, err := v.Endpoints(t.Context()); err == nil {
			t.Fatal("Endpoints of a provider that is down")
		}
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("a failed discovery was retried %d times within the refetch interval", n-1)
	}
	now = now.Add(oidc.DefaultRefetchInterval)
	_, _, _ = v.Endpoints(t.Context())
	if n := hits.Load(); n != 2 {
		t.Errorf("after the refetch interval: %d fetches, want 2", n)
	}
}

// TestVerifyIDToken accepts an ID token for the client with the sign-in's
// nonce, and refuses one with another nonce, none, another audience or
// another authorized party.
func TestVerifyIDToken(t *testing.T) {
	key := oidctest.NewRSAKey(t, "k1")
	idp := oidctest.New(t, key)
	v, err := oidc.New(oidc.Config{Issuer: idp.Issuer, Audience: "registry"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	claims := func(edit func(map[string]any)) string {
		c := map[string]any{"iss": idp.Issuer, "aud": "registry-console", "sub": "wang.lei", "org": "bureau:economy-it", "role": "viewer",
			"nonce": "n-0123456789", "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Truncate(time.Second).Unix()}
		if edit != nil {
			edit(c)
		}
		return idp.Sign(key, c)
	}
	ctx := context.Background()
	p, until, err := v.VerifyIDToken(ctx, claims(nil), "registry-console", "n-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != "wang.lei" || p.Org != "bureau:economy-it" || p.Role != "viewer" || !until.Equal(now.Add(5*time.Minute).Truncate(time.Second)) {
		t.Errorf("got %+v until %s", p, until)
	}
	// With no client id, the configured audience is the client.
	if _, _, err := v.VerifyIDToken(ctx, claims(func(c map[string]any) { c["aud"] = "registry" }), "", "n-0123456789"); err != nil {
		t.Errorf("aud = the configured audience, no client id: %v", err)
	}
	if _, _, err := v.VerifyIDToken(ctx, claims(func(c map[string]any) {
		c["aud"] = []string{"registry-console", "other"}
		c["azp"] = "registry-console"
	}), "registry-console", "n-0123456789"); err != nil {
		t.Errorf("azp = the client: %v", err)
	}
	for name, c := range map[string]struct {
		raw, client, nonce string
	}{
		"another nonce":            {claims(nil), "registry-console", "n-9876543210"},
		"a nonce that is a prefix": {claims(nil), "registry-console", "n-01234"},
		"no nonce in the token":    {claims(func(c map[string]any) { delete(c, "nonce") }), "registry-console", "n-0123456789"},
		"no nonce to check":        {claims(nil), "registry-console", ""},
		"a number for a nonce":     {claims(func(c map[string]any) { c["nonce"] = 7 }), "registry-console", "7"},
		"another client":           {claims(nil), "registry-app", "n-0123456789"},
		"the API's audience only":  {claims(func(c map[string]any) { c["aud"] = "registry" }), "registry-console", "n-0123456789"},
		"another authorized party": {claims(func(c map[string]any) { c["azp"] = "registry-app" }), "registry-console", "n-0123456789"},
		"expired":                  {claims(func(c map[string]any) { c["exp"] = now.Add(-time.Hour).Unix() }), "registry-console", "n-0123456789"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := v.VerifyIDToken(ctx, c.raw, c.client, c.nonce)
			var oe *oidc.Error
			if !errors.As(err, &oe) || oe.Problem == oidc.Unavailable {
				t.Fatalf("VerifyIDToken: %v, want a refusal", err)
			}
			if strings.Contains(oe.Reason, c.raw) {
				t.Error("the reason holds the token")
			}
		})
	}
	// A bearer token check still wants the configured audience.
	if _, err := v.Verify(ctx, claims(nil)); err == nil {
		t.Error("Verify accepted a token for the console client only")
	}
}
