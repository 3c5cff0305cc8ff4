package core

import (
	"context"
	"slices"
	"strings"
	"testing"
)

func TestValidatePrincipal(t *testing.T) {
	tests := []struct {
		org, role  string
		wantFields []string
	}{
		{"bureau:economy-it", "issuer", nil},
		{"bureau:talent-office", "viewer", nil},
		{"bureau:nowhere", "issuer", []string{"org"}},
		{"bureau:economy-it", "member", []string{"role"}},
		{"enterprise:91330106MA27XK0A1Q", "member", nil},
		{"enterprise:91330106MA27XK0A1Q", "talent-assessor", nil},
		{"enterprise:91330106MA27XK0A1X", "member", []string{"org"}},
		{"enterprise:91330106MA27XK0A1Q", "issuer", []string{"role"}},
		{"park:west-lake", "operator", nil},
		{"park:West Lake", "operator", []string{"org"}},
		{"park:west-lake", "auditor", []string{"role"}},
		{"auditor", "auditor", nil},
		{"auditor:x", "auditor", []string{"org"}},
		{"admin", "admin", nil},
		{"admin", "issuer", []string{"role"}},
		{"ministry:x", "issuer", []string{"org"}},
		{"", "", []string{"org"}},
	}
	for _, tc := range tests {
		t.Run(tc.role+"@"+tc.org, func(t *testing.T) {
			v := &Violations{}
			ValidatePrincipal(v, "org", "role", tc.org, tc.role)
			if got := fieldsOf(v); !slices.Equal(got, tc.wantFields) {
				t.Errorf("violations on %v (%v), want %v", got, v.List, tc.wantFields)
			}
		})
	}
}

func TestAllRoles(t *testing.T) {
	got := AllRoles()
	want := []string{"issuer", "viewer", "member", "talent-assessor", "operator", "auditor", "admin"}
	if !slices.Equal(got, want) {
		t.Errorf("AllRoles() = %v, want %v (each once)", got, want)
	}
}

func TestPrincipalOf(t *testing.T) {
	p := Principal{Subject: "wang", Org: "bureau:economy-it", Role: "issuer"}
	tests := []struct {
		name string
		ctx  context.Context
		ok   bool
	}{
		{"none", context.Background(), false},
		{"without subject", WithPrincipal(context.Background(), Principal{Org: "auditor", Role: "auditor"}), false},
		{"principal", WithPrincipal(context.Background(), p), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := PrincipalOf(tc.ctx)
			if tc.ok != (err == nil) || (tc.ok && got != p) {
				t.Errorf("PrincipalOf = %v, %v", got, err)
			}
			if !tc.ok && KindOf(err) != KindUnauthenticated {
				t.Errorf("PrincipalOf error kind %d, want unauthenticated", KindOf(err))
			}
		})
	}
	if s := p.String(); s != "issuer@bureau:economy-it" {
		t.Errorf("String() = %q", s)
	}
	if code, ok := p.OrgCode("bureau"); !ok || code != "economy-it" {
		t.Errorf("OrgCode(bureau) = %q, %v", code, ok)
	}
	if _, ok := p.OrgCode("enterprise"); ok {
		t.Error("a bureau's principal has an enterprise code")
	}
}

func TestCheckIdempotencyKey(t *testing.T) {
	tests := []struct {
		name, key string
		ok        bool
	}{
		{"uuid", "6f1c2b7e-0d7a-4c1e-9a53-1b2c3d4e5f60", true},
		{"printable unicode", "授予-2026-06-15", true},
		{"longest", strings.Repeat("k", maxKeyLen), true},
		{"too long", strings.Repeat("k", maxKeyLen+1), false},
		{"empty", "", false},
		{"newline", "a\nb", false},
		{"NUL", "a\x00b", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckIdempotencyKey(tc.key)
			if tc.ok != (err == nil) {
				t.Fatalf("CheckIdempotencyKey(%q) = %v, want ok=%v", tc.key, err, tc.ok)
			}
			if err != nil && !strings.Contains(err.Error(), "Idempotency-Key") {
				t.Errorf("error %q does not name the header", err)
			}
		})
	}
}

func TestIdempotencyScopeSeparatesPrincipals(t *testing.T) {
	a := idempotencyScope(Principal{Subject: "ab", Org: "c", Role: "d"})
	for _, p := range []Principal{
		{Subject: "a", Org: "bc", Role: "d"},
		{Subject: "ab", Org: "c", Role: "e"},
		{Subject: "ab", Org: "d", Role: "d"},
	} {
		if idempotencyScope(p) == a {
			t.Errorf("%+v shares a scope with {ab c d}", p)
		}
	}
	if idempotencyScope(Principal{Subject: "ab", Org: "c", Role: "d"}) != a {
		t.Error("the scope of one principal is not stable")
	}
}
