package change_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/access"
	"github.com/hangzhou-ai/registry/registry/change"
	"github.com/hangzhou-ai/registry/registry/competition"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/imports"
	"github.com/hangzhou-ai/registry/registry/park"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/registry/talent"
	"github.com/hangzhou-ai/registry/registry/talentauth"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// fixture records a change of every entity type, for two enterprises (a
// and b, each with an employee; a's employee has an award, a designation
// and a recognition under a's talent authorization), a talent with no
// employer, two parks (west-lake, where a is a tenant and has a rule, and
// qiantang, where b is), an import (an enterprise c it registers, a
// designation of c and one of a's employee) and events that are not of
// business records (a token).
type fixture struct {
	reg                   *registry.Registry
	economy, talentOffice context.Context
	a, b, c               string // credit codes
	idNumbers             []string
	tokenSeq              int64 // the token's audit event
}

func newFixture(t *testing.T, db storetest.Database) *fixture {
	t.Helper()
	reg, _ := registrytest.Open(t, db)
	ctx := t.Context()
	f := &fixture{
		reg:          reg,
		economy:      registrytest.As(ctx, "issuer", "bureau:economy-it"),
		talentOffice: registrytest.As(ctx, "issuer", "bureau:talent-office"),
		a:            registrytest.CreditCode(t, "91330106MA27XK0A1"),
		b:            registrytest.CreditCode(t, "91330106MA27XK0B1"),
		c:            registrytest.CreditCode(t, "91330106MA27XK0C1"),
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, code := range []string{f.a, f.b} {
		_, err := reg.RegisterEnterprise(f.economy, enterprise.NewEnterprise{CreditCode: code, Name: "企业" + code[12:], RegisteredOn: "2020-01-01"})
		must(err)
	}
	newTalent := func(name, first17, employer string) talent.Talent {
		id := registrytest.IDNumber(t, first17)
		f.idNumbers = append(f.idNumbers, id)
		tl, err := reg.RegisterTalent(f.economy, talent.NewTalent{Name: name, IDNumber: id, EmployerCreditCode: employer})
		must(err)
		return tl
	}
	ta := newTalent("张三", "33010619900101001", f.a)
	newTalent("李四", "33010619900101002", f.b)
	newTalent("王五", "33010619900101003", "")
	growth, err := reg.GrantDesignation(f.economy, designation.Grant{Type: "ai-growth-enterprise", EnterpriseCreditCode: f.a, ValidFrom: "2025-01-01", ValidUntil: "2027-12-31", DocumentNumber: "杭经信〔2025〕3号"})
	must(err)
	_, err = reg.GrantDesignation(f.economy, designation.Grant{Type: "ai-growth-enterprise", EnterpriseCreditCode: f.b, ValidFrom: "2025-01-01", ValidUntil: "2027-12-31", DocumentNumber: "杭经信〔2025〕3号"})
	must(err)
	_, err = reg.GrantDesignation(f.economy, designation.Grant{Type: "competition-award", TalentID: ta.ID, ValidFrom: "2025-01-01", ValidUntil: "2027-12-31", DocumentNumber: "杭经信〔2025〕9号"})
	must(err)
	_, err = reg.SuspendDesignation(f.economy, designation.StatusUpdate{ID: growth.ID, Reason: "核查", ExpectedVersion: growth.Version})
	must(err)
	_, err = reg.ReinstateDesignation(f.economy, designation.StatusUpdate{ID: growth.ID, Reason: "核查完毕", ExpectedVersion: growth.Version + 1})
	must(err)
	auth, err := reg.IssueTalentAuthorization(f.talentOffice, talentauth.NewTalentAuthorization{
		EnterpriseCreditCode: f.a, Year: 2026, Quotas: []talentauth.LevelQuota{{Level: "C", Places: 2}},
		ValidFrom: "2026-01-01", ValidUntil: "2026-12-31", DocumentNumber: "杭人才〔2026〕1号",
	})
	must(err)
	assessor := registrytest.As(ctx, "talent-assessor", "enterprise:"+f.a)
	_, err = reg.RecognizeTalent(assessor, talentauth.Recognition{AuthorizationID: auth.ID, TalentID: ta.ID, Level: "C", ValidFrom: "2026-07-01", ValidUntil: "2026-12-31"})
	must(err)
	comp, err := reg.RegisterCompetition(f.economy, competition.NewCompetition{Name: "人工智能大赛", Organiser: "市经信局", Year: 2026, Tier: "municipal",
		PrizeLevels: []competition.PrizeLevel{{Prize: "一等奖", Level: "C"}}})
	must(err)
	_, _, err = reg.RecordAwards(f.economy, comp.ID, []competition.AwardInput{
		{TalentID: ta.ID, Prize: "一等奖"},
		// A winner the registry does not know yet: registered with no employer.
		{Name: "赵六", IDNumber: registrytest.IDNumber(t, "33010619900101004"), Prize: "一等奖"},
	})
	must(err)
	f.idNumbers = append(f.idNumbers, registrytest.IDNumber(t, "33010619900101004"))
	for _, code := range []string{"west-lake", "qiantang"} {
		_, err := reg.RegisterPark(f.economy, park.NewPark{Code: code, Name: code + "人工智能产业园", DocumentNumber: "杭经信〔2026〕11号"})
		must(err)
	}
	westLake := registrytest.As(ctx, "operator", "park:west-lake")
	ten, err := reg.AdmitTenant(westLake, park.NewTenancy{ParkCode: "west-lake", EnterpriseCreditCode: f.a, StartDate: "2025-01-01", FloorAreaM2: 120})
	must(err)
	_, err = reg.EndTenancy(westLake, park.EndTenancyRequest{TenancyID: ten.ID, EndDate: "2027-06-30", Reason: "到期", ExpectedVersion: ten.Version})
	must(err)
	_, err = reg.SetEligibilityRule(westLake, park.EligibilityRule{ParkCode: "west-lake", Benefit: "rent-subsidy", AnyOfDesignationTypes: []string{"ai-growth-enterprise"}})
	must(err)
	_, err = reg.AdmitTenant(registrytest.As(ctx, "operator", "park:qiantang"), park.NewTenancy{ParkCode: "qiantang", EnterpriseCreditCode: f.b, StartDate: "2025-01-01"})
	must(err)
	// An import registers c and grants designations to c and to a's employee.
	im, err := reg.BeginImport(f.economy, imports.ImportDesignations, imports.ImportOptions{})
	must(err)
	defer im.Abort()
	_, err = im.Designations(ctx, []imports.DesignationRow{
		{Row: 1, EnterpriseName: "企业C", Grant: designation.Grant{Type: "innovation-center", EnterpriseCreditCode: f.c, ValidFrom: "2025-01-01", ValidUntil: "2027-12-31", DocumentNumber: "杭经信〔2025〕5号"}},
		{Row: 2, Grant: designation.Grant{Type: "competition-award", TalentID: ta.ID, ValidFrom: "2025-01-01", ValidUntil: "2027-12-31", DocumentNumber: "杭经信〔2025〕6号"}},
	})
	must(err)
	progress, err := im.Finish(ctx, nil)
	must(err)
	if progress.Created != 2 || progress.Outcome != imports.ImportCommitted {
		t.Fatalf("import: %+v", progress)
	}
	// Not a business record: never in the feed.
	_, _, err = reg.CreateToken(registrytest.As(ctx, "admin", "admin"), access.NewToken{Subject: "ops", Org: "enterprise:" + f.a, Role: "member"})
	must(err)
	f.tokenSeq = registrytest.AuditLength(t, reg)
	return f
}

// principals are every kind of caller, by name.
func (f *fixture) principals(ctx context.Context) map[string]context.Context {
	return map[string]context.Context{
		"member of a":          registrytest.As(ctx, "member", "enterprise:"+f.a),
		"talent assessor of a": registrytest.As(ctx, "talent-assessor", "enterprise:"+f.a),
		"member of b":          registrytest.As(ctx, "member", "enterprise:"+f.b),
		"member of c":          registrytest.As(ctx, "member", "enterprise:"+f.c),
		"west-lake operator":   registrytest.As(ctx, "operator", "park:west-lake"),
		"west-lake viewer":     registrytest.As(ctx, "viewer", "park:west-lake"),
		"qiantang operator":    registrytest.As(ctx, "operator", "park:qiantang"),
		"economy-it issuer":    f.economy,
		"bureau viewer":        registrytest.As(ctx, "viewer", "bureau:finance"),
		"auditor":              registrytest.As(ctx, "auditor", "auditor"),
		"admin":                registrytest.As(ctx, "admin", "admin"),
	}
}

func principal(ctx context.Context) registry.Principal {
	p, _ := registry.PrincipalFrom(ctx)
	return p
}

// all reads the whole feed p may see, a page at a time.
func all(t *testing.T, reg *registry.Registry, p registry.Principal, types []string, page int) []change.Change {
	t.Helper()
	var out []change.Change
	after := int64(0)
	for {
		batch, err := reg.ChangesFor(t.Context(), p, after, types, page)
		if err != nil {
			t.Fatal(err)
		}
		if len(batch) == 0 {
			return out
		}
		out = append(out, batch...)
		after = batch[len(batch)-1].Seq
	}
}

// readable asks the programme's own read call whether the caller may read
// the record a change is about (as the change left it).
func readable(t *testing.T, reg *registry.Registry, ctx context.Context, c change.Change) bool {
	t.Helper()
	var err error
	found := true
	switch after := c.After.(type) {
	case enterprise.Enterprise:
		_, err = reg.GetEnterprise(ctx, after.CreditCode)
	case talent.Talent:
		_, err = reg.GetTalent(ctx, after.ID)
	case designation.Designation:
		_, err = reg.GetDesignation(ctx, after.ID)
	case competition.Competition:
		_, err = reg.GetCompetition(ctx, after.ID)
	case competition.Award:
		var list []competition.Award
		list, err = reg.ListAwards(ctx, after.CompetitionID, "")
		found = slices.ContainsFunc(list, func(a competition.Award) bool { return a.ID == after.ID })
	case park.Park:
		_, err = reg.GetPark(ctx, after.Code)
	case park.Tenancy:
		var list []park.Tenancy
		list, _, err = reg.ListTenants(ctx, park.TenantFilter{ParkCode: after.ParkCode, AsOf: after.StartDate})
		found = slices.ContainsFunc(list, func(x park.Tenancy) bool { return x.ID == after.ID })
	case park.EligibilityRule:
		var list []park.EligibilityRule
		list, err = reg.ListEligibilityRules(ctx, after.ParkCode)
		found = slices.ContainsFunc(list, func(x park.EligibilityRule) bool { return x.Benefit == after.Benefit })
	default:
		t.Fatalf("change %d (%s) has after %T", c.Seq, c.Action, c.After)
	}
	switch kind := registry.KindOf(err); {
	case err == nil:
		return found
	case kind == registry.KindPermissionDenied, kind == registry.KindNotFound:
		return false
	}
	t.Fatalf("reading %s %s: %v", c.EntityType, c.EntityID, err)
	return false
}

// TestChangesForScope: every principal sees in the feed exactly the
// changes to records its programme reads let it read, never another
// organisation's; and never an event that is not of a business record.
func TestChangesForScope(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newFixture(t, db)
		ctx := t.Context()
		everything := all(t, f.reg, principal(registrytest.As(ctx, "auditor", "auditor")), nil, 7)
		types := map[string]int{}
		for _, c := range everything {
			types[c.EntityType]++
			if c.Seq == f.tokenSeq || !slices.Contains(change.EntityTypes(), c.EntityType) {
				t.Fatalf("the feed carries %s of %s", c.Action, c.EntityType)
			}
		}
		for _, typ := range change.EntityTypes() {
			if types[typ] == 0 {
				t.Fatalf("the fixture made no change of %s (%v)", typ, types)
			}
		}
		// Expected counts, so that the equivalence below cannot pass by
		// everyone seeing nothing.
		want := map[string]int{
			// a; its employee; a's growth designation, suspended and
			// reinstated; the employee's competition-award, recognition
			// and imported competition-award; a's talent authorization;
			// the employee's award; the competition.
			"member of a":        1 + 1 + 3 + 1 + 1 + 1 + 1 + 1 + 1,
			"member of b":        1 + 1 + 1 + 1,
			"member of c":        1 + 1 + 1,
			"west-lake operator": 1 + 2 + 1,
			"qiantang operator":  1 + 1,
			"auditor":            len(everything),
			"economy-it issuer":  len(everything),
			"admin":              0,
		}
		for name, pctx := range f.principals(ctx) {
			t.Run(name, func(t *testing.T) {
				p := principal(pctx)
				seen := map[int64]bool{}
				for _, c := range all(t, f.reg, p, nil, 3) {
					seen[c.Seq] = true
				}
				for _, c := range everything {
					if got, want := seen[c.Seq], readable(t, f.reg, pctx, c); got != want {
						t.Errorf("change %d (%s of %s %s): in the feed %v, readable %v", c.Seq, c.Action, c.EntityType, c.EntityID, got, want)
					}
				}
				if n, ok := want[name]; ok && len(seen) != n {
					t.Errorf("sees %d changes, want %d", len(seen), n)
				}
			})
		}
	})
}

// TestChangesForTypes: asking for some entity types keeps only those, and
// designations are sorted by designation type where the policy differs.
func TestChangesForTypes(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newFixture(t, db)
		ctx := t.Context()
		member := principal(registrytest.As(ctx, "member", "enterprise:"+f.a))
		for _, tc := range []struct {
			types []string
			want  int
		}{
			{[]string{"designation"}, 7},
			{[]string{"enterprise", "award"}, 2},
			{[]string{"tenancy", "park", "eligibility-rule"}, 0},
		} {
			t.Run(strings.Join(tc.types, ","), func(t *testing.T) {
				got := all(t, f.reg, member, tc.types, 2)
				for _, c := range got {
					if !slices.Contains(tc.types, c.EntityType) {
						t.Fatalf("asked for %v, got %s", tc.types, c.EntityType)
					}
				}
				if len(got) != tc.want {
					t.Fatalf("%d changes, want %d", len(got), tc.want)
				}
			})
		}
		t.Run("unknown type", func(t *testing.T) {
			_, err := f.reg.ChangesFor(ctx, member, 0, []string{"token"}, 10)
			registrytest.Check(t, err, registry.KindInvalidArgument, "entity_types[0]")
		})
		t.Run("designation types read differently", func(t *testing.T) {
			// A policy letting parks' operators and enterprises' members
			// read every innovation centre: the feed sorts designations
			// by type.
			var rules []authz.Rule
			for role, org := range map[string]string{"operator": "park:*", "member": "enterprise:*"} {
				rules = append(rules, authz.Rule{Type: "p", Values: []string{role, org, authz.DesignationObject("innovation-center"), authz.ActRead, authz.ScopeAny}})
			}
			if err := f.reg.Authz.Apply(rules); err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := f.reg.Authz.Unapply(rules); err != nil {
					t.Fatal(err)
				}
			}()
			for _, tc := range []struct {
				ctx  context.Context
				want int
			}{
				{registrytest.As(ctx, "operator", "park:qiantang"), 1},          // c's innovation centre
				{registrytest.As(ctx, "member", "enterprise:"+f.a), 7 + 1},      // its own, and c's
				{registrytest.As(ctx, "talent-assessor", "enterprise:"+f.a), 7}, // its own
			} {
				got := all(t, f.reg, principal(tc.ctx), []string{"designation"}, 1)
				if len(got) != tc.want {
					t.Fatalf("%s: %d designations, want %d", principal(tc.ctx), len(got), tc.want)
				}
				for _, c := range got {
					if !readable(t, f.reg, tc.ctx, c) {
						t.Fatalf("%s sees designation %s, which it may not read", principal(tc.ctx), c.EntityID)
					}
				}
			}
		})
		t.Run("talent authorization has its type", func(t *testing.T) {
			var found bool
			for _, c := range all(t, f.reg, member, []string{"designation"}, 10) {
				if c.Action == "talent-authorization.issue" {
					found = c.After.(designation.Designation).Type == "talent-authorization"
				}
			}
			if !found {
				t.Fatal("no talent authorization of type talent-authorization in the feed")
			}
		})
	})
}

// TestChangesNoIdentityNumbers: identity numbers never appear in the
// feed; talents carry their masked number.
func TestChangesNoIdentityNumbers(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newFixture(t, db)
		auditor := principal(registrytest.As(t.Context(), "auditor", "auditor"))
		masked := 0
		for _, c := range all(t, f.reg, auditor, nil, 50) {
			body, err := json.Marshal(c.After)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range f.idNumbers {
				if strings.Contains(string(body), id) || strings.Contains(string(body), id[:14]) {
					t.Fatalf("change %d (%s) carries an identity number: %s", c.Seq, c.Action, body)
				}
			}
			if tl, ok := c.After.(talent.Talent); ok && tl.IDNumberMasked != "" {
				masked++
			}
		}
		if masked != 4 {
			t.Fatalf("%d talents with a masked number, want 4", masked)
		}
	})
}

// TestListChanges pages through the feed: the pages together are the feed
// exactly once, in order, and next_cursor resumes where a page ended.
func TestListChanges(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newFixture(t, db)
		ctx := t.Context()
		for _, who := range []string{"member of a", "auditor"} {
			t.Run(who, func(t *testing.T) {
				pctx := f.principals(ctx)[who]
				want := all(t, f.reg, principal(pctx), nil, 100)
				var got []change.Change
				cursor := ""
				for range 100 {
					page, next, err := f.reg.ListChanges(pctx, change.ChangeQuery{AfterCursor: cursor, PageSize: 4})
					if err != nil {
						t.Fatal(err)
					}
					if len(page) > 4 {
						t.Fatalf("page of %d, asked for 4", len(page))
					}
					if len(page) == 0 {
						if next != cursor {
							t.Fatalf("an empty page moved the cursor from %q to %q", cursor, next)
						}
						break
					}
					got = append(got, page...)
					cursor = next
				}
				if len(got) != len(want) || len(want) == 0 {
					t.Fatalf("paged %d changes, the feed has %d", len(got), len(want))
				}
				for i := range got {
					if got[i].Seq != want[i].Seq || got[i].ID() != fmt.Sprintf("chg_%d", want[i].Seq) {
						t.Fatalf("change %d is %d, want %d", i, got[i].Seq, want[i].Seq)
					}
				}
			})
		}
		for _, tc := range []struct {
			name  string
			ctx   context.Context
			q     change.ChangeQuery
			want  registry.Kind
			field string
		}{
			{"bad cursor", f.economy, change.ChangeQuery{AfterCursor: "x1"}, registry.KindInvalidArgument, "after_cursor"},
			{"negative cursor", f.economy, change.ChangeQuery{AfterCursor: "-1"}, registry.KindInvalidArgument, "after_cursor"},
			{"unknown type", f.economy, change.ChangeQuery{EntityTypes: []string{"session"}}, registry.KindInvalidArgument, "entity_types[0]"},
			{"negative page", f.economy, change.ChangeQuery{PageSize: -1}, registry.KindInvalidArgument, "page_size"},
			{"reads nothing", registrytest.As(ctx, "admin", "admin"), change.ChangeQuery{}, registry.KindPermissionDenied, ""},
			{"reads nothing of the types", registrytest.As(ctx, "member", "enterprise:"+f.a), change.ChangeQuery{EntityTypes: []string{"tenancy"}}, registry.KindPermissionDenied, ""},
			{"anonymous", ctx, change.ChangeQuery{}, registry.KindUnauthenticated, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, _, err := f.reg.ListChanges(tc.ctx, tc.q)
				registrytest.Check(t, err, tc.want, tc.field)
			})
		}
	})
}
