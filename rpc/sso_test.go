package rpc_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect/v2"
	"github.com/go-jose/go-jose/v4"
	"go.uber.org/zap"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/rpc"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/oidc"
	"github.com/hangzhou-ai/registry/rpc/oidc/oidctest"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

const ssoAudience = "registry"

// ssoClock is a movable clock for the verifier (validity and refetch limit).
type ssoClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *ssoClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *ssoClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// ssoServer serves the registry accepting the provider's tokens, with
// claims mapped from "name", "organisation" and the nested "registry.role".
func ssoServer(t *testing.T, db storetest.Database, idp *oidctest.Provider, clock *ssoClock) *obsServer {
	t.Helper()
	v, err := oidc.New(oidc.Config{
		Issuer: idp.Issuer, Audience: ssoAudience,
		SubjectClaim: "name", OrgClaim: "organisation", RoleClaim: "registry.role",
		Now: clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return startWithOptions(t, db, func(*registry.Registry, *sql.DB, *zap.Logger) []rpc.Option {
		return []rpc.Option{rpc.WithOIDC(v)}
	})
}

// ssoClaims are valid claims for role@org, to be edited per case.
func ssoClaims(clock *ssoClock, issuer, name, org, role string) map[string]any {
	now := clock.Now()
	return map[string]any{
		"iss": issuer, "aud": []string{ssoAudience, "other-client"}, "sub": "f3a1c2", "name": name,
		"organisation": org, "registry": map[string]any{"role": role},
		"iat": now.Unix(), "nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(10 * time.Minute).Unix(),
	}
}

// TestSSOTokens accepts tokens of the configured provider, signed RS256 or
// ES256, as the principal their claims name, and refuses every kind of bad
// token with unauthenticated, logging why and never the token.
func TestSSOTokens(t *testing.T) {
	rsaKey := oidctest.NewRSAKey(t, "rsa-1")
	ecKey := oidctest.NewECKey(t, "ec-1")
	impostor := oidctest.NewRSAKey(t, "rsa-1") // same kid, another key
	stranger := oidctest.NewRSAKey(t, "rsa-9") // not published
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		idp := oidctest.New(t, rsaKey, ecKey)
		clock := &ssoClock{now: time.Now()}
		s := ssoServer(t, db, idp, clock)
		ctx := t.Context()
		code := registrytest.CreditCode(t, "91330106MA2BCD0A1")
		var tokens []string

		t.Run("accepted", func(t *testing.T) {
			issuer := idp.Sign(rsaKey, ssoClaims(clock, idp.Issuer, "王小明", "bureau:economy-it", "issuer"))
			viewer := idp.Sign(ecKey, ssoClaims(clock, idp.Issuer, "李四", "bureau:economy-it", "viewer"))
			tokens = append(tokens, issuer, viewer)
			asIssuer, asViewer := s.ClientsWithToken(issuer), s.ClientsWithToken(viewer)
			if _, err := asIssuer.Enterprise.RegisterEnterprise(ctx, &registryv1.RegisterEnterpriseRequest{CreditCode: code, Name: "单点登录科技", District: "滨江区"}); err != nil {
				t.Fatalf("issuer (RS256) registering an enterprise: %v", err)
			}
			if _, err := asViewer.Enterprise.GetEnterprise(ctx, &registryv1.GetEnterpriseRequest{CreditCode: code}); err != nil {
				t.Fatalf("viewer (ES256) reading it: %v", err)
			}
			if _, err := asViewer.Enterprise.RegisterEnterprise(ctx, &registryv1.RegisterEnterpriseRequest{CreditCode: registrytest.CreditCode(t, "91330106MA2BCD0B1"), Name: "x", District: "滨江区"}); rpctest.Code(err) != connect.CodePermissionDenied {
				t.Fatalf("viewer registering: got %v, want permission_denied", err)
			}
			auditor := s.ClientsWithToken(s.token(t, "auditor", "auditor"))
			events, err := auditor.Audit.ListAuditEvents(ctx, &registryv1.ListAuditEventsRequest{Entity: "enterprise:" + code})
			if err != nil || len(events.Events) != 1 {
				t.Fatalf("audit of the registration: %v %+v", err, events)
			}
			if e := events.Events[0]; e.ActorSubject != "王小明" || e.ActorOrganisation != "bureau:economy-it" || e.ActorRole != "issuer" {
				t.Fatalf("audit actor %s %s@%s, want 王小明 issuer@bureau:economy-it", e.ActorSubject, e.ActorRole, e.ActorOrganisation)
			}
		})

		edited := func(k oidctest.Key, edit func(c map[string]any)) string {
			c := ssoClaims(clock, idp.Issuer, "王小明", "bureau:economy-it", "issuer")
			edit(c)
			return idp.Sign(k, c)
		}
		hmacToken := func() string {
			signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: jose.JSONWebKey{Key: []byte("0123456789abcdef0123456789abcdef"), KeyID: "rsa-1"}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			c := ssoClaims(clock, idp.Issuer, "王小明", "bureau:economy-it", "issuer")
			jws, err := signer.Sign(mustJSON(t, c))
			if err != nil {
				t.Fatal(err)
			}
			raw, err := jws.CompactSerialize()
			if err != nil {
				t.Fatal(err)
			}
			return raw
		}
		for _, c := range []struct {
			name   string
			token  string
			reason string
		}{
			{"expired", edited(rsaKey, func(c map[string]any) { c["exp"] = clock.Now().Add(-time.Hour).Unix() }), "expired"},
			{"not yet valid", edited(ecKey, func(c map[string]any) { c["nbf"] = clock.Now().Add(time.Hour).Unix() }), "not valid before"},
			{"no expiry", edited(rsaKey, func(c map[string]any) { delete(c, "exp") }), "no expiry"},
			{"wrong audience", edited(rsaKey, func(c map[string]any) { c["aud"] = "another-app" }), "audience"},
			{"wrong issuer", edited(rsaKey, func(c map[string]any) { c["iss"] = "https://idp.example.org" }), "issuer"},
			{"unknown kid", edited(stranger, func(map[string]any) {}), `unknown key id "rsa-9"`},
			{"wrongly signed, same kid", edited(impostor, func(map[string]any) {}), "signature does not verify"},
			{"HMAC with the published kid", hmacToken(), "unsupported"},
			{"unknown bureau", edited(rsaKey, func(c map[string]any) { c["organisation"] = "bureau:nowhere" }), "organisation"},
			{"role the organisation cannot hold", edited(rsaKey, func(c map[string]any) { c["registry"] = map[string]any{"role": "admin"} }), "role"},
			{"no role claim", edited(rsaKey, func(c map[string]any) { delete(c, "registry") }), `claim "registry.role"`},
			{"tampered payload", tamper(edited(rsaKey, func(map[string]any) {})), "signature does not verify"},
		} {
			t.Run(c.name, func(t *testing.T) {
				tokens = append(tokens, c.token)
				_, err := s.ClientsWithToken(c.token).Enterprise.GetEnterprise(ctx, &registryv1.GetEnterpriseRequest{CreditCode: code})
				if rpctest.Code(err) != connect.CodeUnauthenticated {
					t.Fatalf("got %v, want unauthenticated", err)
				}
				lines := s.Logs.FilterMessage("rpc").FilterField(zap.String("procedure", "/registry.v1.EnterpriseService/GetEnterprise")).All()
				last := lines[len(lines)-1].ContextMap()
				if reason, _ := last["sso_refusal"].(string); !strings.Contains(reason, c.reason) {
					t.Fatalf("logged refusal %q, want it to mention %q", reason, c.reason)
				}
			})
		}

		t.Run("registry tokens still work", func(t *testing.T) {
			if _, err := s.ClientsWithToken(s.token(t, "viewer", "bureau:talent-office")).Enterprise.GetEnterprise(ctx, &registryv1.GetEnterpriseRequest{CreditCode: code}); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("unknown kids do not hammer the provider", func(t *testing.T) {
			before := idp.KeySetFetches()
			for i := range 20 {
				k := oidctest.Key{ID: "made-up-" + string(rune('a'+i)), Algorithm: stranger.Algorithm, Private: stranger.Private}
				_, err := s.ClientsWithToken(edited(k, func(map[string]any) {})).Enterprise.GetEnterprise(ctx, &registryv1.GetEnterpriseRequest{CreditCode: code})
				if rpctest.Code(err) != connect.CodeUnauthenticated {
					t.Fatalf("made-up kid: %v", err)
				}
			}
			if n := idp.KeySetFetches() - before; n > 0 {
				t.Fatalf("%d key set fetches within the refetch interval, want 0", n)
			}
		})

		t.Run("rotated key is fetched after the interval", func(t *testing.T) {
			rotated := oidctest.NewECKey(t, "ec-2")
			idp.Publish(rotated)
			clock.Advance(oidc.DefaultRefetchInterval + time.Second)
			before := idp.KeySetFetches()
			tok := idp.Sign(rotated, ssoClaims(clock, idp.Issuer, "王小明", "bureau:economy-it", "viewer"))
			tokens = append(tokens, tok)
			if _, err := s.ClientsWithToken(tok).Enterprise.GetEnterprise(ctx, &registryv1.GetEnterpriseRequest{CreditCode: code}); err != nil {
				t.Fatalf("token signed with the rotated key: %v", err)
			}
			if n := idp.KeySetFetches() - before; n != 1 {
				t.Fatalf("%d key set fetches for the new kid, want 1", n)
			}
		})

		for _, e := range s.Logs.All() {
			for _, tok := range tokens {
				for _, v := range e.ContextMap() {
					if str, ok := v.(string); ok && strings.Contains(str, tok) {
						t.Fatal("a token reached the log")
					}
				}
				if strings.Contains(e.Message, tok) {
					t.Fatal("a token reached the log")
				}
			}
		}
	})
}

// TestSSOProviderUnavailable answers unavailable, not unauthenticated, when
// the provider's keys were never fetched.
func TestSSOProviderUnavailable(t *testing.T) {
	key := oidctest.NewECKey(t, "ec-1")
	idp := oidctest.New(t, key)
	clock := &ssoClock{now: time.Now()}
	down := httptest.NewServer(nil)
	down.Close()
	v, err := oidc.New(oidc.Config{Issuer: down.URL, Audience: ssoAudience, OrgClaim: "organisation", RoleClaim: "registry.role", Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	s := startWithOptions(t, storetest.SQLite(t), func(*registry.Registry, *sql.DB, *zap.Logger) []rpc.Option {
		return []rpc.Option{rpc.WithOIDC(v)}
	})
	tok := idp.Sign(key, ssoClaims(clock, down.URL, "王小明", "bureau:economy-it", "viewer"))
	_, err = s.ClientsWithToken(tok).Access.ListGrantRules(context.Background(), &registryv1.ListGrantRulesRequest{})
	if rpctest.Code(err) != connect.CodeUnavailable {
		t.Fatalf("got %v, want unavailable", err)
	}
}

// tamper changes one claim's byte in a signed token.
func tamper(raw string) string {
	parts := strings.Split(raw, ".")
	payload := []byte(parts[1])
	if payload[10] == 'A' {
		payload[10] = 'B'
	} else {
		payload[10] = 'A'
	}
	return parts[0] + "." + string(payload) + "." + parts[2]
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
