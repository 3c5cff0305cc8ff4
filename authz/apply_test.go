package authz

import (
	"errors"
	"testing"
)

func allowed(t *testing.T, a *Authorizer, req Request) bool {
	t.Helper()
	d, err := a.Decide(req)
	if err != nil {
		t.Fatal(err)
	}
	return d.Allowed
}

// TestApplyUnapply: Apply and Unapply change the in-memory policy at once,
// p and g lines alike, whatever was decided (and remembered) before; applying
// a line twice or removing an absent one is harmless, and the lines are a
// set: one Unapply undoes any number of Apply calls of the same line.
func TestApplyUnapply(t *testing.T) {
	grantHQ := p(RoleIssuer, scienceTech, DesignationObject("hq-enterprise"), ActGrant, ScopeAny)
	grantReq := Request{Role: RoleIssuer, Org: scienceTech, Object: DesignationObject("hq-enterprise"), Action: ActGrant}
	recognizeReq := Request{Role: RoleTalentAssessor, Org: entB, Object: DesignationObject("talent-recognition"), Action: ActRecognize, Owners: orgs(entB)}
	cases := []struct {
		name string
		rule Rule
		req  Request
	}{
		{"p line: a bureau may grant another type", grantHQ, grantReq},
		{"g line: an enterprise is authorized", AuthorizedEnterprise(creditB), recognizeReq},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := seedAuthorizer(t)
			before := len(a.Rules())
			if allowed(t, a, c.req) {
				t.Fatal("allowed before Apply")
			}
			for range 2 {
				if err := a.Apply([]Rule{c.rule}); err != nil {
					t.Fatalf("Apply: %v", err)
				}
				if !allowed(t, a, c.req) {
					t.Fatal("refused after Apply")
				}
			}
			wantRules := before
			if c.rule.Type == "p" {
				wantRules++
			}
			if got := len(a.Rules()); got != wantRules {
				t.Errorf("%d p lines after applying twice, want %d", got, wantRules)
			}
			if err := a.Unapply([]Rule{c.rule}); err != nil {
				t.Fatalf("Unapply: %v", err)
			}
			if allowed(t, a, c.req) {
				t.Fatal("allowed after one Unapply of a twice-applied line")
			}
			if err := a.Unapply([]Rule{c.rule}); err != nil {
				t.Fatalf("Unapply of an absent line: %v", err)
			}
			if got := len(a.Rules()); got != before {
				t.Errorf("%d p lines after Unapply, want %d", got, before)
			}
			// Unapplying an unrelated line changes nothing else.
			if !allowed(t, a, Request{Role: RoleAdmin, Org: OrgAdmin, Object: ObjToken, Action: ActManage}) {
				t.Error("admin lost token management")
			}
		})
	}

	t.Run("several lines at once", func(t *testing.T) {
		a := seedAuthorizer(t)
		rules := []Rule{grantHQ, AuthorizedEnterprise(creditB)}
		if err := a.Apply(rules); err != nil {
			t.Fatal(err)
		}
		if !allowed(t, a, grantReq) || !allowed(t, a, recognizeReq) {
			t.Fatal("Apply of two lines did not apply both")
		}
		if err := a.Unapply(rules); err != nil {
			t.Fatal(err)
		}
		if allowed(t, a, grantReq) || allowed(t, a, recognizeReq) {
			t.Fatal("Unapply of two lines did not remove both")
		}
	})

	t.Run("removing a default line", func(t *testing.T) {
		a := seedAuthorizer(t)
		req := Request{Role: RoleIssuer, Org: economyIT, Object: DesignationObject("little-giant"), Action: ActGrant}
		if !allowed(t, a, req) {
			t.Fatal("economy-it may not grant little-giant by default")
		}
		if err := a.Unapply([]Rule{p(RoleIssuer, economyIT, DesignationObject("little-giant"), ActGrant, ScopeAny)}); err != nil {
			t.Fatal(err)
		}
		if allowed(t, a, req) {
			t.Fatal("still allowed after its line was removed")
		}
		// Its lifecycle lines are separate and stay.
		if !allowed(t, a, Request{Role: RoleIssuer, Org: economyIT, Object: DesignationObject("little-giant"), Action: ActRevoke, Owners: orgs(economyIT)}) {
			t.Fatal("revoking lost with granting")
		}
	})
}

// TestInMemoryPolicyNeverWritesThroughCasbin: the adapters refuse every
// write casbin could attempt, so policy reaches the database only through
// AddRules and RemoveRules.
func TestInMemoryPolicyNeverWritesThroughCasbin(t *testing.T) {
	writes := map[string]func() error{
		"db/SavePolicy":            func() error { return (&adapter{}).SavePolicy(nil) },
		"db/AddPolicy":             func() error { return (&adapter{}).AddPolicy("p", "p", nil) },
		"db/RemovePolicy":          func() error { return (&adapter{}).RemovePolicy("p", "p", nil) },
		"db/RemoveFilteredPolicy":  func() error { return (&adapter{}).RemoveFilteredPolicy("p", "p", 0) },
		"mem/SavePolicy":           func() error { return memoryAdapter(nil).SavePolicy(nil) },
		"mem/AddPolicy":            func() error { return memoryAdapter(nil).AddPolicy("p", "p", nil) },
		"mem/RemovePolicy":         func() error { return memoryAdapter(nil).RemovePolicy("p", "p", nil) },
		"mem/RemoveFilteredPolicy": func() error { return memoryAdapter(nil).RemoveFilteredPolicy("p", "p", 0) },
		"enforcer/SavePolicy":      func() error { return seedAuthorizer(t).enforcer.SavePolicy() },
	}
	for name, write := range writes {
		t.Run(name, func(t *testing.T) {
			if err := write(); !errors.Is(err, errWriteThroughEnforcer) {
				t.Fatalf("err = %v, want errWriteThroughEnforcer", err)
			}
		})
	}
	// Apply and Unapply do not go through the adapter (auto-save is off):
	// they succeed although the adapter refuses writes.
	a := seedAuthorizer(t)
	if err := a.Apply([]Rule{AuthorizedEnterprise(creditA)}); err != nil {
		t.Fatalf("Apply reached the adapter: %v", err)
	}
	if err := a.Unapply([]Rule{AuthorizedEnterprise(creditA)}); err != nil {
		t.Fatalf("Unapply reached the adapter: %v", err)
	}
}

// TestReloadFromMemoryRestoresTheLoadedRules: NewFromRules' Reload goes
// back to the rules it was built from, dropping what was applied since.
func TestReloadFromMemoryRestoresTheLoadedRules(t *testing.T) {
	a := seedAuthorizer(t)
	req := Request{Role: RoleTalentAssessor, Org: entA, Object: DesignationObject("talent-recognition"), Action: ActRecognize, Owners: orgs(entA)}
	if err := a.Apply([]Rule{AuthorizedEnterprise(creditA)}); err != nil {
		t.Fatal(err)
	}
	if !allowed(t, a, req) {
		t.Fatal("refused after Apply")
	}
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	if allowed(t, a, req) {
		t.Fatal("Reload kept a line its source does not hold")
	}
}
