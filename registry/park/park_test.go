package park_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/park"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

const missingID = "0190a4c2-0000-7000-8000-000000000000"

// fixture has two parks, west-lake and qiantang, and enterprises:
// young (registered 2020, holds ai-growth-enterprise and innovation-center),
// unknownAge (no registration date, no designation), old (registered 2010,
// holds ai-growth-enterprise) and outsider (holds ai-growth-enterprise, no
// tenancy anywhere); unregistered is a valid credit code never registered.
type fixture struct {
	reg                                     *registry.Registry
	clock                                   *storetest.Clock
	economy, operator, viewer, otherOp      context.Context
	young, unknownAge, old, outsider        string
	unregistered                            string
	youngGrowth                             string // young's ai-growth-enterprise designation
	youngTenancy, unknownAgeTenancy, oldTen park.Tenancy
}

func newFixture(t *testing.T, db storetest.Database) *fixture {
	t.Helper()
	reg, clock := registrytest.Open(t, db)
	ctx := t.Context()
	f := &fixture{
		reg: reg, clock: clock,
		economy:      registrytest.As(ctx, "issuer", "bureau:economy-it"),
		operator:     registrytest.As(ctx, "operator", "park:west-lake"),
		viewer:       registrytest.As(ctx, "viewer", "park:west-lake"),
		otherOp:      registrytest.As(ctx, "operator", "park:qiantang"),
		young:        registrytest.CreditCode(t, "91330106MA27XK0A1"),
		unknownAge:   registrytest.CreditCode(t, "91330106MA27XK0B1"),
		old:          registrytest.CreditCode(t, "91330106MA27XK0C1"),
		outsider:     registrytest.CreditCode(t, "91330106MA27XK0D1"),
		unregistered: registrytest.CreditCode(t, "91330106MA27XK0E1"),
	}
	for _, code := range []string{"west-lake", "qiantang"} {
		if _, err := reg.RegisterPark(f.economy, park.NewPark{Code: code, Name: code + "人工智能产业园", DocumentNumber: "杭经信〔2026〕11号"}); err != nil {
			t.Fatal(err)
		}
	}
	for code, registered := range map[string]string{f.young: "2020-01-01", f.unknownAge: "", f.old: "2010-01-01", f.outsider: "2021-01-01"} {
		if _, err := reg.RegisterEnterprise(f.economy, enterprise.NewEnterprise{CreditCode: code, Name: "企业" + code[12:], RegisteredOn: registered}); err != nil {
			t.Fatal(err)
		}
	}
	grant := func(typ, code string) string {
		d, err := reg.GrantDesignation(f.economy, designation.Grant{Type: typ, EnterpriseCreditCode: code, ValidFrom: "2025-01-01", ValidUntil: "2027-12-31", DocumentNumber: "杭经信〔2025〕3号"})
		if err != nil {
			t.Fatal(err)
		}
		return d.ID
	}
	f.youngGrowth = grant("ai-growth-enterprise", f.young)
	grant("innovation-center", f.young)
	grant("ai-growth-enterprise", f.old)
	grant("ai-growth-enterprise", f.outsider)
	admit := func(code, start string) park.Tenancy {
		tn, err := reg.AdmitTenant(f.operator, park.NewTenancy{ParkCode: "west-lake", EnterpriseCreditCode: code, StartDate: start, FloorAreaM2: 120})
		if err != nil {
			t.Fatal(err)
		}
		return tn
	}
	f.youngTenancy = admit(f.young, "2025-01-01")
	f.unknownAgeTenancy = admit(f.unknownAge, "2026-05-01")
	f.oldTen = admit(f.old, "2024-01-01")
	if _, err := reg.AdmitTenant(f.otherOp, park.NewTenancy{ParkCode: "qiantang", EnterpriseCreditCode: f.outsider, StartDate: "2024-01-01"}); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestRegisterPark(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newFixture(t, db)
		ctx := t.Context()
		valid := func(mod func(*park.NewPark)) park.NewPark {
			in := park.NewPark{Code: "binjiang", Name: "滨江人工智能产业园", District: "西湖区", OperatorOrg: "滨江园区管委会", DocumentNumber: "杭经信〔2026〕12号"}
			if mod != nil {
				mod(&in)
			}
			return in
		}
		cases := []struct {
			name      string
			ctx       context.Context
			in        park.NewPark
			want      registry.Kind
			field     string
			wantUntil string
		}{
			{"talent office may not", registrytest.As(ctx, "issuer", "bureau:talent-office"), valid(nil), registry.KindPermissionDenied, "", ""},
			{"a park operator may not", f.operator, valid(nil), registry.KindPermissionDenied, "", ""},
			{"a bad code", f.economy, valid(func(in *park.NewPark) { in.Code = "Bin Jiang" }), registry.KindInvalidArgument, "code", ""},
			{"no name", f.economy, valid(func(in *park.NewPark) { in.Name = "" }), registry.KindInvalidArgument, "name", ""},
			{"an unknown district", f.economy, valid(func(in *park.NewPark) { in.District = "火星区" }), registry.KindInvalidArgument, "district", ""},
			{"until before from", f.economy, valid(func(in *park.NewPark) { in.ValidFrom, in.ValidUntil = "2026-07-01", "2026-06-30" }), registry.KindInvalidArgument, "valid_until", ""},
			{"an existing code", f.economy, valid(func(in *park.NewPark) { in.Code = "west-lake" }), registry.KindAlreadyExists, "", ""},
			{"valid until the measures end by default", f.economy, valid(nil), registrytest.Succeeds, "", "2027-12-31"},
			{"valid as long as asked", f.economy, valid(func(in *park.NewPark) { in.Code, in.ValidFrom, in.ValidUntil = "xiaoshan", "2026-01-01", "2030-12-31" }), registrytest.Succeeds, "", "2030-12-31"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				pk, err := f.reg.RegisterPark(c.ctx, c.in)
				registrytest.Check(t, err, c.want, c.field)
				if err != nil {
					return
				}
				if pk.Code != c.in.Code || pk.District != "330106" || pk.DesignationID == "" {
					t.Fatalf("registered %+v", pk)
				}
				d, err := f.reg.GetDesignation(f.economy, pk.DesignationID)
				if err != nil || d.Type != "ai-park" || d.ParkCode != c.in.Code || d.ValidUntil != c.wantUntil || d.GrantedByBureau != "economy-it" {
					t.Fatalf("park designation %+v, %v", d, err)
				}
			})
		}
	})
}

func TestReadParks(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newFixture(t, db)
		ctx := t.Context()
		member := registrytest.As(ctx, "member", "enterprise:"+f.young)
		cases := []struct {
			name     string
			ctx      context.Context
			code     string
			want     registry.Kind
			wantList string
		}{
			{"operator reads its park", f.operator, "west-lake", registrytest.Succeeds, "[west-lake]"},
			{"viewer reads its park", f.viewer, "west-lake", registrytest.Succeeds, "[west-lake]"},
			{"operator may not read another park", f.operator, "qiantang", registry.KindPermissionDenied, "[west-lake]"},
			{"operator learns nothing of a missing park", f.operator, "nowhere", registry.KindPermissionDenied, "[west-lake]"},
			{"operator of a park not registered", registrytest.As(ctx, "operator", "park:nowhere"), "nowhere", registry.KindPermissionDenied, "[]"},
			{"issuer reads any park", f.economy, "qiantang", registrytest.Succeeds, "[qiantang west-lake]"},
			{"issuer learns a park is missing", f.economy, "nowhere", registry.KindNotFound, "[qiantang west-lake]"},
			{"a malformed code", f.economy, "West Lake", registry.KindInvalidArgument, "[qiantang west-lake]"},
			{"enterprise member may not", member, "west-lake", registry.KindPermissionDenied, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				pk, err := f.reg.GetPark(c.ctx, c.code)
				registrytest.Check(t, err, c.want, "")
				if err == nil && pk.Code != c.code {
					t.Fatalf("got park %s", pk.Code)
				}
				list, err := f.reg.ListParks(c.ctx)
				if c.wantList == "" {
					registrytest.Check(t, err, registry.KindPermissionDenied, "")
					return
				}
				var codes []string
				for _, pk := range list {
					codes = append(codes, pk.Code)
				}
				if err != nil || fmt.Sprint(codes) != c.wantList {
					t.Fatalf("listed %v (%v), want %s", codes, err, c.wantList)
				}
			})
		}
	})
}

func TestAdmitTenant(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newFixture(t, db)
		ctx := t.Context()
		tenancy := func(code, start, end string, area float64) park.NewTenancy {
			return park.NewTenancy{ParkCode: "west-lake", EnterpriseCreditCode: code, StartDate: start, EndDate: end, FloorAreaM2: area}
		}
		cases := []struct {
			name  string
			ctx   context.Context
			in    park.NewTenancy
			want  registry.Kind
			field string
		}{
			{"viewer may not", f.viewer, tenancy(f.outsider, "2026-01-01", "", 10), registry.KindPermissionDenied, ""},
			{"another park's operator may not", f.otherOp, tenancy(f.outsider, "2026-01-01", "", 10), registry.KindPermissionDenied, ""},
			{"economy-it issuer may not", f.economy, tenancy(f.outsider, "2026-01-01", "", 10), registry.KindPermissionDenied, ""},
			{"operator of a park not registered", registrytest.As(ctx, "operator", "park:nowhere"), park.NewTenancy{ParkCode: "nowhere", EnterpriseCreditCode: f.outsider, StartDate: "2026-01-01"}, registry.KindPermissionDenied, ""},
			{"a malformed park code", f.operator, park.NewTenancy{ParkCode: "West Lake", EnterpriseCreditCode: f.outsider, StartDate: "2026-01-01"}, registry.KindInvalidArgument, "park_code"},
			{"a bad credit code", f.operator, tenancy("91330106MA27XK0A10", "2026-01-01", "", 10), registry.KindInvalidArgument, "enterprise_credit_code"},
			{"no start date", f.operator, tenancy(f.outsider, "", "", 10), registry.KindInvalidArgument, "start_date"},
			{"a malformed end date", f.operator, tenancy(f.outsider, "2026-01-01", "2026-02-30", 10), registry.KindInvalidArgument, "end_date"},
			{"ends before it starts", f.operator, tenancy(f.outsider, "2026-01-01", "2025-12-31", 10), registry.KindInvalidArgument, "end_date"},
			{"negative floor area", f.operator, tenancy(f.outsider, "2026-01-01", "", -1), registry.KindInvalidArgument, "floor_area_m2"},
			{"floor area beyond the bound", f.operator, tenancy(f.outsider, "2026-01-01", "", park.MaxFloorArea+1), registry.KindInvalidArgument, "floor_area_m2"},
			{"floor area not a number", f.operator, tenancy(f.outsider, "2026-01-01", "", math.NaN()), registry.KindInvalidArgument, "floor_area_m2"},
			{"an unregistered enterprise", f.operator, tenancy(f.unregistered, "2026-01-01", "", 10), registry.KindNotFound, ""},
			{"a closed tenancy with no floor area", f.operator, tenancy(f.outsider, "2025-01-01", "2025-12-31", 0), registrytest.Succeeds, ""},
			{"overlapping its last day", f.operator, tenancy(f.outsider, "2025-12-31", "", 10), registry.KindAlreadyExists, ""},
			{"inside it", f.operator, tenancy(f.outsider, "2025-06-01", "2025-06-30", 10), registry.KindAlreadyExists, ""},
			{"ending on its first day", f.operator, tenancy(f.outsider, "2024-01-01", "2025-01-01", 10), registry.KindAlreadyExists, ""},
			{"the day after it, open-ended, at the bound", f.operator, tenancy(f.outsider, "2026-01-01", "", park.MaxFloorArea), registrytest.Succeeds, ""},
			{"after an open-ended one", f.operator, tenancy(f.outsider, "2030-01-01", "2030-12-31", 10), registry.KindAlreadyExists, ""},
			{"the day before the first", f.operator, tenancy(f.outsider, "2024-01-01", "2024-12-31", 10), registrytest.Succeeds, ""},
			{"the same enterprise in another park", f.otherOp, park.NewTenancy{ParkCode: "qiantang", EnterpriseCreditCode: f.young, StartDate: "2025-01-01"}, registrytest.Succeeds, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				tn, err := f.reg.AdmitTenant(c.ctx, c.in)
				registrytest.Check(t, err, c.want, c.field)
				if err != nil {
					return
				}
				if tn.ID == "" || tn.ParkCode != c.in.ParkCode || tn.EnterpriseCreditCode != c.in.EnterpriseCreditCode || tn.StartDate != c.in.StartDate ||
					tn.EndDate != c.in.EndDate || tn.FloorAreaM2 != c.in.FloorAreaM2 || tn.Version != 1 {
					t.Fatalf("admitted %+v from %+v", tn, c.in)
				}
			})
		}
	})
}

func TestEndTenancy(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newFixture(t, db)
		id := f.youngTenancy.ID
		end := func(ctx context.Context, id, date, reason string, version int64) func() (park.Tenancy, error) {
			return func() (park.Tenancy, error) {
				return f.reg.EndTenancy(ctx, park.EndTenancyRequest{TenancyID: id, EndDate: date, Reason: reason, ExpectedVersion: version})
			}
		}
		cases := []struct {
			name        string
			do          func() (park.Tenancy, error)
			want        registry.Kind
			field       string
			wantVersion int64
		}{
			{"viewer may not", end(f.viewer, id, "2026-06-30", "退租", 0), registry.KindPermissionDenied, "", 0},
			{"issuer may not", end(f.economy, id, "2026-06-30", "退租", 0), registry.KindPermissionDenied, "", 0},
			{"another park's operator may not", end(f.otherOp, id, "2026-06-30", "退租", 0), registry.KindPermissionDenied, "", 0},
			{"another park's operator learns nothing of a missing one", end(f.otherOp, missingID, "2026-06-30", "退租", 0), registry.KindPermissionDenied, "", 0},
			{"no reason", end(f.operator, id, "2026-06-30", "", 0), registry.KindInvalidArgument, "reason", 0},
			{"no end date", end(f.operator, id, "", "退租", 0), registry.KindInvalidArgument, "end_date", 0},
			{"before the start", end(f.operator, id, "2024-12-31", "退租", 0), registry.KindInvalidArgument, "end_date", 0},
			{"at a stale version", end(f.operator, id, "2026-06-30", "退租", 7), registry.KindAborted, "", 0},
			{"operator ends it", end(f.operator, id, "2026-06-30", "退租", 1), registrytest.Succeeds, "", 2},
			{"and moves the end again", end(f.operator, id, "2026-07-31", "延期退租", 2), registrytest.Succeeds, "", 3},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				tn, err := c.do()
				registrytest.Check(t, err, c.want, c.field)
				if err == nil && (tn.Version != c.wantVersion || tn.EndReason == "") {
					t.Fatalf("ended %+v, want version %d", tn, c.wantVersion)
				}
			})
		}
		for asOf, want := range map[string]bool{"2026-07-31": true, "2026-08-01": false} {
			list, _, err := f.reg.ListTenants(f.operator, park.TenantFilter{ParkCode: "west-lake", AsOf: asOf})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, tn := range list {
				found = found || tn.ID == id
			}
			if found != want {
				t.Fatalf("as of %s the ended tenancy listed: %v, want %v", asOf, found, want)
			}
		}
	})
}

func TestListTenants(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newFixture(t, db)
		ctx := t.Context()
		cases := []struct {
			name   string
			ctx    context.Context
			filter park.TenantFilter
			want   registry.Kind
			count  int
		}{
			{"operator, today", f.operator, park.TenantFilter{ParkCode: "west-lake"}, registrytest.Succeeds, 3},
			{"viewer, before two tenancies began", f.viewer, park.TenantFilter{ParkCode: "west-lake", AsOf: "2024-06-01"}, registrytest.Succeeds, 1},
			{"on a tenancy's first day", f.viewer, park.TenantFilter{ParkCode: "west-lake", AsOf: "2026-05-01"}, registrytest.Succeeds, 3},
			{"issuer reads any park", f.economy, park.TenantFilter{ParkCode: "qiantang"}, registrytest.Succeeds, 1},
			{"another park's operator may not", f.otherOp, park.TenantFilter{ParkCode: "west-lake"}, registry.KindPermissionDenied, 0},
			{"an enterprise member may not", registrytest.As(ctx, "member", "enterprise:"+f.young), park.TenantFilter{ParkCode: "west-lake"}, registry.KindPermissionDenied, 0},
			{"issuer learns a park is missing", f.economy, park.TenantFilter{ParkCode: "nowhere"}, registry.KindNotFound, 0},
			{"a bad date", f.operator, park.TenantFilter{ParkCode: "west-lake", AsOf: "2026-13-01"}, registry.KindInvalidArgument, 0},
			{"a forged page token", f.operator, park.TenantFilter{ParkCode: "west-lake", PageToken: "abc"}, registry.KindInvalidArgument, 0},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				list, _, err := f.reg.ListTenants(c.ctx, c.filter)
				registrytest.Check(t, err, c.want, "")
				if err == nil && len(list) != c.count {
					t.Fatalf("listed %d tenancies, want %d: %+v", len(list), c.count, list)
				}
			})
		}
		t.Run("pages", func(t *testing.T) {
			seen := map[string]bool{}
			token := ""
			for page := 0; ; page++ {
				list, next, err := f.reg.ListTenants(f.operator, park.TenantFilter{ParkCode: "west-lake", PageSize: 2, PageToken: token})
				if err != nil {
					t.Fatal(err)
				}
				if len(list) > 2 || page > 2 {
					t.Fatalf("page %d has %d tenancies", page, len(list))
				}
				for _, tn := range list {
					if seen[tn.ID] {
						t.Fatalf("tenancy %s listed twice", tn.ID)
					}
					seen[tn.ID] = true
				}
				if token = next; token == "" {
					break
				}
			}
			if len(seen) != 3 {
				t.Fatalf("pages listed %d tenancies, want 3", len(seen))
			}
		})
	})
}

func TestSetEligibilityRule(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newFixture(t, db)
		rule := func(mod func(*park.EligibilityRule)) park.EligibilityRule {
			in := park.EligibilityRule{ParkCode: "west-lake", Benefit: "rent-subsidy", AnyOfDesignationTypes: []string{"ai-growth-enterprise", "little-giant", "ai-growth-enterprise"}, MinTenancyMonths: 6, MaxEnterpriseAgeYears: 10}
			if mod != nil {
				mod(&in)
			}
			return in
		}
		tooMany := make([]string, 20)
		for i := range tooMany {
			tooMany[i] = "little-giant"
		}
		cases := []struct {
			name        string
			ctx         context.Context
			in          park.EligibilityRule
			want        registry.Kind
			field       string
			wantVersion int64
		}{
			{"viewer may not", f.viewer, rule(nil), registry.KindPermissionDenied, "", 0},
			{"another park's operator may not", f.otherOp, rule(nil), registry.KindPermissionDenied, "", 0},
			{"issuer may not", f.economy, rule(nil), registry.KindPermissionDenied, "", 0},
			{"a bad benefit code", f.operator, rule(func(in *park.EligibilityRule) { in.Benefit = "房租补贴" }), registry.KindInvalidArgument, "benefit", 0},
			{"an unknown designation type", f.operator, rule(func(in *park.EligibilityRule) { in.AnyOfDesignationTypes = []string{"ai-growth-enterprise", "unicorn"} }), registry.KindInvalidArgument, "any_of_designation_types[1]", 0},
			{"a type talents hold", f.operator, rule(func(in *park.EligibilityRule) { in.AnyOfDesignationTypes = []string{"talent-recognition"} }), registry.KindInvalidArgument, "any_of_designation_types[0]", 0},
			{"a type parks hold", f.operator, rule(func(in *park.EligibilityRule) { in.AnyOfDesignationTypes = []string{"ai-park"} }), registry.KindInvalidArgument, "any_of_designation_types[0]", 0},
			{"more types than there are", f.operator, rule(func(in *park.EligibilityRule) { in.AnyOfDesignationTypes = tooMany }), registry.KindInvalidArgument, "any_of_designation_types", 0},
			{"tenancy months beyond 600", f.operator, rule(func(in *park.EligibilityRule) { in.MinTenancyMonths = 601 }), registry.KindInvalidArgument, "min_tenancy_months", 0},
			{"negative tenancy months", f.operator, rule(func(in *park.EligibilityRule) { in.MinTenancyMonths = -1 }), registry.KindInvalidArgument, "min_tenancy_months", 0},
			{"age beyond 100 years", f.operator, rule(func(in *park.EligibilityRule) { in.MaxEnterpriseAgeYears = 101 }), registry.KindInvalidArgument, "max_enterprise_age_years", 0},
			{"a version for a rule not yet set", f.operator, rule(func(in *park.EligibilityRule) { in.ExpectedVersion = 1 }), registry.KindAborted, "", 0},
			{"operator sets it", f.operator, rule(nil), registrytest.Succeeds, "", 1},
			{"replaced at a stale version", f.operator, rule(func(in *park.EligibilityRule) { in.ExpectedVersion = 5 }), registry.KindAborted, "", 0},
			{"replaced at its version", f.operator, rule(func(in *park.EligibilityRule) { in.ExpectedVersion, in.MinTenancyMonths = 1, 12 }), registrytest.Succeeds, "", 2},
			{"replaced without a version", f.operator, rule(nil), registrytest.Succeeds, "", 3},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				got, err := f.reg.SetEligibilityRule(c.ctx, c.in)
				registrytest.Check(t, err, c.want, c.field)
				if err != nil {
					return
				}
				if got.Version != c.wantVersion || fmt.Sprint(got.AnyOfDesignationTypes) != "[ai-growth-enterprise little-giant]" || got.MinTenancyMonths != c.in.MinTenancyMonths {
					t.Fatalf("set %+v, want version %d with duplicate types dropped", got, c.wantVersion)
				}
			})
		}
		for _, c := range []struct {
			name string
			ctx  context.Context
			want registry.Kind
			n    int
		}{{"operator", f.operator, registrytest.Succeeds, 1}, {"viewer", f.viewer, registrytest.Succeeds, 1}, {"issuer", f.economy, registrytest.Succeeds, 1}, {"another park's operator", f.otherOp, registry.KindPermissionDenied, 0}} {
			t.Run("list/"+c.name, func(t *testing.T) {
				rules, err := f.reg.ListEligibilityRules(c.ctx, "west-lake")
				registrytest.Check(t, err, c.want, "")
				if err == nil && (len(rules) != c.n || rules[0].Version != 3) {
					t.Fatalf("rules %+v", rules)
				}
			})
		}
	})
}

// setRule gives west-lake the rule the eligibility tests apply.
func (f *fixture) setRule(t *testing.T) {
	t.Helper()
	if _, err := f.reg.SetEligibilityRule(f.operator, park.EligibilityRule{
		ParkCode: "west-lake", Benefit: "rent-subsidy", AnyOfDesignationTypes: []string{"ai-growth-enterprise", "little-giant"}, MinTenancyMonths: 6, MaxEnterpriseAgeYears: 10,
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.reg.SetEligibilityRule(f.operator, park.EligibilityRule{ParkCode: "west-lake", Benefit: "open-door"}); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyTenantEligibility(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newFixture(t, db)
		f.setRule(t)
		ctx := t.Context()
		query := func(code, asOf string) park.EligibilityQuery {
			return park.EligibilityQuery{ParkCode: "west-lake", EnterpriseCreditCode: code, Benefit: "rent-subsidy", AsOf: asOf}
		}
		cases := []struct {
			name        string
			ctx         context.Context
			q           park.EligibilityQuery
			want        registry.Kind
			eligible    bool
			reasons     string
			matched     string
			designation int // designations the attestation relies on
		}{
			{"a young designated tenant of long standing", f.operator, query(f.young, ""), registrytest.Succeeds, true,
				"[TENANCY_ACTIVE TENANCY_LONG_ENOUGH ENTERPRISE_YOUNG_ENOUGH DESIGNATION_HELD]", "[ai-growth-enterprise]", 1},
			{"the park's viewer may ask too", f.viewer, query(f.young, ""), registrytest.Succeeds, true,
				"[TENANCY_ACTIVE TENANCY_LONG_ENOUGH ENTERPRISE_YOUNG_ENOUGH DESIGNATION_HELD]", "[ai-growth-enterprise]", 1},
			{"a new tenant of unknown age without designations", f.operator, query(f.unknownAge, ""), registrytest.Succeeds, false,
				"[TENANCY_ACTIVE TENANCY_TOO_SHORT REGISTRATION_DATE_UNKNOWN NO_QUALIFYING_DESIGNATION]", "[]", 0},
			{"an old tenant", f.operator, query(f.old, ""), registrytest.Succeeds, false,
				"[TENANCY_ACTIVE TENANCY_LONG_ENOUGH ENTERPRISE_TOO_OLD DESIGNATION_HELD]", "[ai-growth-enterprise]", 1},
			{"before six months of tenancy", f.operator, query(f.young, "2025-06-30"), registrytest.Succeeds, false,
				"[TENANCY_ACTIVE TENANCY_TOO_SHORT ENTERPRISE_YOUNG_ENOUGH DESIGNATION_HELD]", "[ai-growth-enterprise]", 1},
			{"on the day six months are reached", f.operator, query(f.young, "2025-07-01"), registrytest.Succeeds, true,
				"[TENANCY_ACTIVE TENANCY_LONG_ENOUGH ENTERPRISE_YOUNG_ENOUGH DESIGNATION_HELD]", "[ai-growth-enterprise]", 1},
			{"before its tenancy began", f.operator, query(f.young, "2024-12-31"), registrytest.Succeeds, false, "[NO_ACTIVE_TENANCY]", "[]", 0},
			{"a designated enterprise that is no tenant here", f.operator, query(f.outsider, ""), registrytest.Succeeds, false, "[NO_ACTIVE_TENANCY]", "[]", 0},
			{"an enterprise never registered", f.operator, query(f.unregistered, ""), registrytest.Succeeds, false, "[NO_ACTIVE_TENANCY]", "[]", 0},
			{"a benefit with no conditions", f.operator, park.EligibilityQuery{ParkCode: "west-lake", EnterpriseCreditCode: f.unknownAge, Benefit: "open-door"}, registrytest.Succeeds, true, "[TENANCY_ACTIVE]", "[]", 0},
			{"a benefit without a rule", f.operator, park.EligibilityQuery{ParkCode: "west-lake", EnterpriseCreditCode: f.young, Benefit: "free-lunch"}, registry.KindNotFound, false, "", "", 0},
			{"another park's operator may not", f.otherOp, query(f.young, ""), registry.KindPermissionDenied, false, "", "", 0},
			{"an issuer may not", f.economy, query(f.young, ""), registry.KindPermissionDenied, false, "", "", 0},
			{"an auditor may not", registrytest.As(ctx, "auditor", "auditor"), query(f.young, ""), registry.KindPermissionDenied, false, "", "", 0},
			{"the tenant itself may not", registrytest.As(ctx, "member", "enterprise:"+f.young), query(f.young, ""), registry.KindPermissionDenied, false, "", "", 0},
			{"a bad date", f.operator, query(f.young, "2026-02-30"), registry.KindInvalidArgument, false, "", "", 0},
			{"a bad credit code", f.operator, query("91330106MA27XK0A10", ""), registry.KindInvalidArgument, false, "", "", 0},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				ans, err := f.reg.VerifyTenantEligibility(c.ctx, c.q)
				registrytest.Check(t, err, c.want, "")
				if err != nil {
					return
				}
				var codes []string
				for _, r := range ans.Reasons {
					codes = append(codes, r.Code)
					if r.MessageZh == "" || r.MessageEn == "" {
						t.Fatalf("reason %+v is not explained", r)
					}
				}
				if ans.Eligible != c.eligible || fmt.Sprint(codes) != c.reasons || fmt.Sprint(ans.MatchedDesignationTypes) != c.matched {
					t.Fatalf("answer eligible=%v %v %v, want %v %s %s", ans.Eligible, codes, ans.MatchedDesignationTypes, c.eligible, c.reasons, c.matched)
				}
				wantAsOf := c.q.AsOf
				if wantAsOf == "" {
					wantAsOf = "2026-06-15"
				}
				if ans.AsOf != wantAsOf {
					t.Fatalf("as of %s, want %s", ans.AsOf, wantAsOf)
				}
				chk, err := f.reg.VerifyAttestation(context.Background(), ans.Attestation)
				if err != nil || !chk.Valid || chk.Claims == nil {
					t.Fatalf("its attestation: %+v, %v", chk, err)
				}
				cl := chk.Claims
				if cl.ParkCode != "west-lake" || cl.EnterpriseCreditCode != c.q.EnterpriseCreditCode || cl.Subject != c.q.EnterpriseCreditCode ||
					cl.Benefit != c.q.Benefit || cl.AsOf != wantAsOf || cl.Eligible != c.eligible || fmt.Sprint(cl.ReasonCodes) != c.reasons || len(cl.DesignationIDs) != c.designation {
					t.Fatalf("claims %+v do not state the answer", cl)
				}
			})
		}
		t.Run("a suspended designation does not qualify", func(t *testing.T) {
			if _, err := f.reg.SuspendDesignation(f.economy, designation.StatusUpdate{ID: f.youngGrowth, Reason: "核查"}); err != nil {
				t.Fatal(err)
			}
			ans, err := f.reg.VerifyTenantEligibility(f.operator, query(f.young, ""))
			if err != nil || ans.Eligible || fmt.Sprint(ans.MatchedDesignationTypes) != "[]" {
				t.Fatalf("answer %+v, %v", ans, err)
			}
		})
	})
}

func TestVerifyAttestation(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newFixture(t, db)
		f.setRule(t)
		yes, err := f.reg.VerifyTenantEligibility(f.operator, park.EligibilityQuery{ParkCode: "west-lake", EnterpriseCreditCode: f.young, Benefit: "rent-subsidy"})
		if err != nil || !yes.Eligible {
			t.Fatalf("%+v, %v", yes, err)
		}
		no, err := f.reg.VerifyTenantEligibility(f.operator, park.EligibilityQuery{ParkCode: "west-lake", EnterpriseCreditCode: f.unknownAge, Benefit: "rent-subsidy"})
		if err != nil || no.Eligible {
			t.Fatalf("%+v, %v", no, err)
		}
		seg := func(tok string) [3]string {
			var s [3]string
			for i, part := range strings.SplitN(tok, ".", 3) {
				s[i] = part
			}
			return s
		}
		y, n := seg(yes.Attestation), seg(no.Attestation)
		flipped := []byte(y[2])
		mid := len(flipped) / 2
		if flipped[mid] == 'A' {
			flipped[mid] = 'B'
		} else {
			flipped[mid] = 'A'
		}
		cases := []struct {
			name      string
			before    func()
			token     string
			want      registry.Kind
			valid     bool
			signature bool
			problem   string
		}{
			{"the attestation as signed", nil, yes.Attestation, registrytest.Succeeds, true, true, ""},
			{"a refusal is attested too", nil, no.Attestation, registrytest.Succeeds, true, true, ""},
			{"empty", nil, "", registry.KindInvalidArgument, false, false, ""},
			{"too long", nil, string(make([]byte, 16<<10+1)), registry.KindInvalidArgument, false, false, ""},
			{"not a token", nil, "not.a-token", registrytest.Succeeds, false, false, park.ProblemMalformed},
			{"two segments", nil, y[0] + "." + y[1], registrytest.Succeeds, false, false, park.ProblemMalformed},
			{"a signature altered", nil, y[0] + "." + y[1] + "." + string(flipped), registrytest.Succeeds, false, false, park.ProblemBadSignature},
			{"another answer's claims under this signature", nil, n[0] + "." + y[1] + "." + n[2], registrytest.Succeeds, false, false, park.ProblemBadSignature},
			{"padded", nil, yes.Attestation + "==", registrytest.Succeeds, false, false, park.ProblemNonCanonical},
			{"the designation it relied on suspended", func() {
				if _, err := f.reg.SuspendDesignation(f.economy, designation.StatusUpdate{ID: f.youngGrowth, Reason: "核查"}); err != nil {
					t.Fatal(err)
				}
			}, yes.Attestation, registrytest.Succeeds, false, true, park.ProblemDesignationChanged},
			{"and reinstated", func() {
				if _, err := f.reg.ReinstateDesignation(f.economy, designation.StatusUpdate{ID: f.youngGrowth}); err != nil {
					t.Fatal(err)
				}
			}, yes.Attestation, registrytest.Succeeds, true, true, ""},
			{"just before it expires", func() { f.clock.Set(yes.CheckedAt.Add(park.AttestationLifetime - 1e9)) }, yes.Attestation, registrytest.Succeeds, true, true, ""},
			{"once it expires", func() { f.clock.Set(yes.CheckedAt.Add(park.AttestationLifetime)) }, yes.Attestation, registrytest.Succeeds, false, true, park.ProblemExpired},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if c.before != nil {
					c.before()
				}
				chk, err := f.reg.VerifyAttestation(context.Background(), c.token)
				registrytest.Check(t, err, c.want, "")
				if err != nil {
					return
				}
				if chk.Valid != c.valid || chk.SignatureValid != c.signature || chk.Problem != c.problem {
					t.Fatalf("registrytest.Check %+v, want valid=%v signature=%v problem=%q", chk, c.valid, c.signature, c.problem)
				}
				if c.signature && (chk.KeyID == "" || chk.Claims == nil) {
					t.Fatalf("a verified signature should give its key and claims: %+v", chk)
				}
			})
		}
		t.Run("the standing of what it relied on", func(t *testing.T) {
			f.clock.Set(yes.CheckedAt)
			if _, err := f.reg.RevokeDesignation(f.economy, designation.StatusUpdate{ID: f.youngGrowth, Reason: "撤销"}); err != nil {
				t.Fatal(err)
			}
			chk, err := f.reg.VerifyAttestation(context.Background(), yes.Attestation)
			if err != nil || chk.Valid || !chk.DesignationsChanged || len(chk.Designations) != 1 ||
				chk.Designations[0].DesignationID != f.youngGrowth || chk.Designations[0].StatusNow != designation.StatusRevoked {
				t.Fatalf("registrytest.Check %+v, %v", chk, err)
			}
		})
	})
}

// TestMalformedAttestationNeedsNoDatabase checks that a token refused for
// its form is refused before the key set is read: with the database closed,
// malformed and non-canonical tokens still get their problem, and only a
// well-formed one needs the keys.
func TestMalformedAttestationNeedsNoDatabase(t *testing.T) {
	reg, _ := registrytest.Open(t, storetest.SQLite(t))
	ctx := context.Background()
	wellFormed := "eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0.e30.AAAA"
	if err := reg.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ token, problem string }{
		{"not.a-token", park.ProblemMalformed},
		{" " + wellFormed, park.ProblemNonCanonical},
	} {
		check, err := reg.VerifyAttestation(ctx, tc.token)
		if err != nil || check.Problem != tc.problem {
			t.Errorf("VerifyAttestation(%q) = %q, %v; want %q without touching the database", tc.token, check.Problem, err, tc.problem)
		}
	}
	if _, err := reg.VerifyAttestation(ctx, wellFormed); err == nil {
		t.Error("a well-formed token was checked without reading the keys of a closed database")
	}
}
