package access_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hangzhou-ai/registry/ident"
	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/access"
	"github.com/hangzhou-ai/registry/registry/audit"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/park"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

type fixture struct {
	reg                    *registry.Registry
	clock                  *storetest.Clock
	admin, auditor, issuer context.Context
	code                   string
}

func newFixture(t *testing.T, db storetest.Database) *fixture {
	t.Helper()
	reg, clock := registrytest.Open(t, db)
	ctx := t.Context()
	code, err := ident.CompleteCreditCode("91330106MA27XK0A1")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{
		reg: reg, clock: clock, code: code,
		admin:   registrytest.As(ctx, "admin", "admin"),
		auditor: registrytest.As(ctx, "auditor", "auditor"),
		issuer:  registrytest.As(ctx, "issuer", "bureau:economy-it"),
	}
	if _, err := reg.RegisterEnterprise(f.issuer, enterprise.NewEnterprise{CreditCode: code, Name: "杭州云栖智算科技有限公司"}); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.RegisterPark(f.issuer, park.NewPark{Code: "west-lake", Name: "西湖园区"}); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestCreateToken(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newFixture(t, db)
		ctx := t.Context()
		tok := func(org, role string, days int64) access.NewToken {
			return access.NewToken{Subject: "张三", Org: org, Role: role, TTLDays: days}
		}
		unregistered, _ := ident.CompleteCreditCode("91330106MA27XK0B1")
		cases := []struct {
			name    string
			ctx     context.Context
			in      access.NewToken
			want    registry.Kind
			field   string
			expires time.Duration // 0: never
		}{
			{"admin mints a bureau viewer", f.admin, tok("bureau:economy-it", "viewer", 0), registrytest.Succeeds, "", 0},
			{"admin mints a member of a registered enterprise", f.admin, tok("enterprise:"+f.code, "member", 30), registrytest.Succeeds, "", 30 * 24 * time.Hour},
			{"admin mints a talent assessor", f.admin, tok("enterprise:"+f.code, "talent-assessor", 1), registrytest.Succeeds, "", 24 * time.Hour},
			{"admin mints an operator of a registered park", f.admin, tok("park:west-lake", "operator", 3650), registrytest.Succeeds, "", 3650 * 24 * time.Hour},
			{"admin mints an auditor", f.admin, tok("auditor", "auditor", 0), registrytest.Succeeds, "", 0},
			{"admin mints an admin", f.admin, tok("admin", "admin", 0), registrytest.Succeeds, "", 0},
			{"a lifetime as a duration", f.admin, access.NewToken{Subject: "ci", Org: "auditor", Role: "auditor", TTL: 90 * time.Minute}, registrytest.Succeeds, "", 90 * time.Minute},
			{"admin may not mint an issuer", f.admin, tok("bureau:economy-it", "issuer", 0), registry.KindPermissionDenied, "", 0},
			{"an auditor may not mint", f.auditor, tok("auditor", "auditor", 0), registry.KindPermissionDenied, "", 0},
			{"an issuer may not mint", f.issuer, tok("bureau:economy-it", "viewer", 0), registry.KindPermissionDenied, "", 0},
			{"an operator may not mint", registrytest.As(ctx, "operator", "park:west-lake"), tok("park:west-lake", "viewer", 0), registry.KindPermissionDenied, "", 0},
			{"no principal", ctx, tok("auditor", "auditor", 0), registry.KindUnauthenticated, "", 0},
			{"more than 3650 days", f.admin, tok("auditor", "auditor", 3651), registry.KindInvalidArgument, "ttl_days", 0},
			{"negative days", f.admin, tok("auditor", "auditor", -1), registry.KindInvalidArgument, "ttl_days", 0},
			{"a duration beyond ten years", f.admin, access.NewToken{Subject: "ci", Org: "auditor", Role: "auditor", TTL: 3651 * 24 * time.Hour}, registry.KindInvalidArgument, "ttl", 0},
			{"an unregistered enterprise", f.admin, tok("enterprise:"+unregistered, "member", 0), registry.KindInvalidArgument, "organisation", 0},
			{"an unregistered park", f.admin, tok("park:nowhere", "operator", 0), registry.KindInvalidArgument, "organisation", 0},
			{"an unknown bureau", f.admin, tok("bureau:weather", "viewer", 0), registry.KindInvalidArgument, "organisation", 0},
			{"an invalid credit code", f.admin, tok("enterprise:91330106MA27XK0A10", "member", 0), registry.KindInvalidArgument, "organisation", 0},
			{"an unknown kind of organisation", f.admin, tok("school:zju", "viewer", 0), registry.KindInvalidArgument, "organisation", 0},
			{"a role the organisation cannot hold", f.admin, tok("park:west-lake", "member", 0), registry.KindInvalidArgument, "role", 0},
			{"an unknown role", f.admin, tok("auditor", "superuser", 0), registry.KindInvalidArgument, "role", 0},
			{"no subject", f.admin, access.NewToken{Org: "auditor", Role: "auditor"}, registry.KindInvalidArgument, "subject", 0},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				raw, rec, err := f.reg.CreateToken(c.ctx, c.in)
				registrytest.Check(t, err, c.want, c.field)
				if err != nil {
					return
				}
				if !strings.HasPrefix(raw, access.TokenPrefix) || rec.Org != c.in.Org || rec.Role != c.in.Role || rec.RevokedAt != nil {
					t.Fatalf("token %q, %+v", raw, rec)
				}
				switch {
				case c.expires == 0 && rec.ExpiresAt != nil:
					t.Fatalf("expires at %v, want never", rec.ExpiresAt)
				case c.expires != 0 && (rec.ExpiresAt == nil || !rec.ExpiresAt.Equal(rec.CreatedAt.Add(c.expires))):
					t.Fatalf("expires at %v, want %v after %v", rec.ExpiresAt, c.expires, rec.CreatedAt)
				}
				p, err := f.reg.Authenticate(ctx, raw)
				if err != nil || p.Org != c.in.Org || p.Role != c.in.Role || p.Subject != c.in.Subject {
					t.Fatalf("authenticated as %+v, %v", p, err)
				}
			})
		}
		events, _, err := f.reg.ListAuditEvents(f.auditor, audit.AuditFilter{Entity: "token", PageSize: 100})
		if err != nil || len(events) != 7 {
			t.Fatalf("%d token events (%v), want one per token made", len(events), err)
		}
		for _, e := range events {
			if e.Action != "token.create" || e.Role != "admin" || e.Subject != "admin-test" {
				t.Fatalf("token creation recorded as %+v, want by its creator", e)
			}
		}
	})
}

// TestMintableRoles: administrators mint only the roles the deployment
// lists; by default every role but issuer.
func TestMintableRoles(t *testing.T) {
	defaults := access.DefaultAdminMintableRoles()
	if slices.Contains(defaults, "issuer") || !slices.Contains(defaults, "admin") || !slices.Contains(defaults, "talent-assessor") {
		t.Fatalf("default mintable roles %v", defaults)
	}
	for _, c := range []struct {
		roles []string
		ok    bool
	}{{nil, true}, {[]string{"issuer", "viewer"}, true}, {[]string{"viewer", "root"}, false}} {
		if err := access.CheckMintableRoles(c.roles); (err == nil) != c.ok {
			t.Errorf("CheckMintableRoles(%v) = %v", c.roles, err)
		}
	}
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newFixture(t, db)
		narrow := &access.Access{Core: f.reg.Core, Mintable: []string{"viewer", "issuer"}}
		cases := []struct {
			org, role string
			want      registry.Kind
		}{
			{"bureau:economy-it", "viewer", registrytest.Succeeds},
			{"bureau:economy-it", "issuer", registrytest.Succeeds},
			{"auditor", "auditor", registry.KindPermissionDenied},
			{"enterprise:" + f.code, "member", registry.KindPermissionDenied},
		}
		for _, c := range cases {
			t.Run(c.role+"@"+c.org, func(t *testing.T) {
				_, _, err := narrow.CreateToken(f.admin, access.NewToken{Subject: "李四", Org: c.org, Role: c.role})
				registrytest.Check(t, err, c.want, "")
			})
		}
	})
}

func TestAuthenticate(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newFixture(t, db)
		ctx := t.Context()
		mint := func(days int64) (string, access.Token) {
			raw, rec, err := f.reg.CreateToken(f.admin, access.NewToken{Subject: "王五", Org: "auditor", Role: "auditor", TTLDays: days})
			if err != nil {
				t.Fatal(err)
			}
			return raw, rec
		}
		forever, _ := mint(0)
		daily, dailyRec := mint(1)
		revoked, revokedRec := mint(0)
		if _, err := f.reg.RevokeToken(f.admin, registry.Principal{}, revokedRec.ID); err != nil {
			t.Fatal(err)
		}
		unknown := access.TokenPrefix + base64.RawURLEncoding.EncodeToString(make([]byte, 32))
		cases := []struct {
			name  string
			at    time.Time
			token string
			want  registry.Kind
		}{
			{"a live token", registrytest.Start, forever, registrytest.Succeeds},
			{"a token before its expiry", dailyRec.ExpiresAt.Add(-time.Microsecond), daily, registrytest.Succeeds},
			{"a token at its expiry", *dailyRec.ExpiresAt, daily, registry.KindUnauthenticated},
			{"a token past its expiry", dailyRec.ExpiresAt.Add(time.Hour), daily, registry.KindUnauthenticated},
			{"a token without expiry years on", registrytest.Start.AddDate(20, 0, 0), forever, registrytest.Succeeds},
			{"a revoked token", registrytest.Start, revoked, registry.KindUnauthenticated},
			{"an unknown token", registrytest.Start, unknown, registry.KindUnauthenticated},
			{"a token without the prefix", registrytest.Start, strings.TrimPrefix(forever, access.TokenPrefix), registry.KindUnauthenticated},
			{"a token cut short", registrytest.Start, forever[:len(forever)-1], registry.KindUnauthenticated},
			{"a token with a line break", registrytest.Start, forever[:20] + "\n" + forever[20:], registry.KindUnauthenticated},
			{"empty", registrytest.Start, "", registry.KindUnauthenticated},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				f.clock.Set(c.at)
				p, err := f.reg.Authenticate(ctx, c.token)
				registrytest.Check(t, err, c.want, "")
				if err == nil && (p.Role != "auditor" || p.Org != "auditor" || p.Subject != "王五") {
					t.Fatalf("principal %+v", p)
				}
			})
		}
	})
}

func TestRevokeAndListTokens(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newFixture(t, db)
		ctx := t.Context()
		_, a, err := f.reg.CreateToken(f.admin, access.NewToken{Subject: "甲", Org: "auditor", Role: "auditor"})
		if err != nil {
			t.Fatal(err)
		}
		_, b, err := f.reg.CreateToken(f.admin, access.NewToken{Subject: "乙", Org: "auditor", Role: "auditor"})
		if err != nil {
			t.Fatal(err)
		}
		operator := registry.Principal{Subject: "ops", Org: "admin", Role: "admin"}
		revokes := []struct {
			name      string
			ctx       context.Context
			id        int64
			want      registry.Kind
			wantActor string
		}{
			{"an auditor may not", f.auditor, a.ID, registry.KindPermissionDenied, ""},
			{"an issuer may not", f.issuer, a.ID, registry.KindPermissionDenied, ""},
			{"an unknown token", f.admin, 999999, registry.KindNotFound, ""},
			{"admin revokes", f.admin, a.ID, registrytest.Succeeds, "admin-test"},
			{"revoked twice", f.admin, a.ID, registry.KindFailedPrecondition, ""},
			{"the server revokes without a principal", ctx, b.ID, registrytest.Succeeds, "ops"},
		}
		for _, c := range revokes {
			t.Run("revoke/"+c.name, func(t *testing.T) {
				got, err := f.reg.RevokeToken(c.ctx, operator, c.id)
				registrytest.Check(t, err, c.want, "")
				if err != nil {
					return
				}
				if got.RevokedAt == nil || !got.RevokedAt.Equal(registrytest.Start) {
					t.Fatalf("revoked %+v", got)
				}
				events, _, err := f.reg.ListAuditEvents(f.auditor, audit.AuditFilter{Entity: fmt.Sprintf("token:%d", c.id), PageSize: 10})
				if err != nil || len(events) != 2 || events[1].Action != "token.revoke" || events[1].Subject != c.wantActor {
					t.Fatalf("events %+v, %v: want the revocation recorded by %s", events, err, c.wantActor)
				}
			})
		}
		lists := []struct {
			name string
			ctx  context.Context
			want registry.Kind
		}{
			{"admin", f.admin, registrytest.Succeeds},
			{"auditor", f.auditor, registrytest.Succeeds},
			{"issuer may not", f.issuer, registry.KindPermissionDenied},
			{"member may not", registrytest.As(ctx, "member", "enterprise:"+f.code), registry.KindPermissionDenied},
		}
		for _, c := range lists {
			t.Run("list/"+c.name, func(t *testing.T) {
				list, err := f.reg.ListTokens(c.ctx)
				registrytest.Check(t, err, c.want, "")
				if err == nil && (len(list) != 2 || list[0].ID != a.ID || list[0].RevokedAt == nil || list[1].RevokedAt == nil) {
					t.Fatalf("tokens %+v", list)
				}
			})
		}
	})
}
