package talentauth_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/hangzhou-ai/registry/ident"
	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/registry/talent"
	"github.com/hangzhou-ai/registry/registry/talentauth"
	"github.com/hangzhou-ai/registry/store/storetest"
)

const authDoc = "杭人才授〔2026〕1号"

// fixture is a registry with three enterprises: growth and other hold an
// active ai-growth-enterprise designation, plain holds none.
type fixture struct {
	reg                        *registry.Registry
	clock                      *storetest.Clock
	economy, office, auditor   context.Context
	growth, other, plain       string
	growthDesignation          string
	assessor, member           context.Context
	otherAssessor, otherMember context.Context
	people                     int // talents registered so far
}

func newFixture(t *testing.T, db storetest.Database) *fixture {
	t.Helper()
	reg, clock := registrytest.Open(t, db)
	ctx := t.Context()
	f := &fixture{
		reg: reg, clock: clock,
		economy: registrytest.As(ctx, "issuer", "bureau:economy-it"),
		office:  registrytest.As(ctx, "issuer", "bureau:talent-office"),
		auditor: registrytest.As(ctx, "auditor", "auditor"),
		growth:  registrytest.CreditCode(t, "91330106MA27XK0A1"),
		other:   registrytest.CreditCode(t, "91330106MA27XK0B1"),
		plain:   registrytest.CreditCode(t, "91330106MA27XK0C1"),
	}
	for i, code := range []string{f.growth, f.other, f.plain} {
		if _, err := reg.RegisterEnterprise(f.economy, enterprise.NewEnterprise{CreditCode: code, Name: fmt.Sprintf("杭州测试企业%d有限公司", i)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, code := range []string{f.growth, f.other} {
		d, err := reg.GrantDesignation(f.economy, designation.Grant{
			Type: "ai-growth-enterprise", EnterpriseCreditCode: code, ValidFrom: "2026-01-01", ValidUntil: "2027-12-31", DocumentNumber: "杭经信〔2026〕5号",
		})
		if err != nil {
			t.Fatal(err)
		}
		if code == f.growth {
			f.growthDesignation = d.ID
		}
	}
	f.assessor = registrytest.As(ctx, "talent-assessor", "enterprise:"+f.growth)
	f.member = registrytest.As(ctx, "member", "enterprise:"+f.growth)
	f.otherAssessor = registrytest.As(ctx, "talent-assessor", "enterprise:"+f.other)
	f.otherMember = registrytest.As(ctx, "member", "enterprise:"+f.other)
	return f
}

// issue issues code a talent authorization for year valid over [from, until].
func (f *fixture) issue(t *testing.T, code string, year int, from, until string, quotas ...talentauth.LevelQuota) talentauth.TalentAuthorization {
	t.Helper()
	a, err := f.reg.IssueTalentAuthorization(f.office, talentauth.NewTalentAuthorization{
		EnterpriseCreditCode: code, Year: year, Quotas: quotas, ValidFrom: from, ValidUntil: until, DocumentNumber: fmt.Sprintf("杭人才授〔%d〕1号", year),
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// employees registers n talents employed by code (none when code is empty).
func (f *fixture) employees(t *testing.T, code string, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		f.people++
		number, err := ident.CompleteIDNumber(fmt.Sprintf("3301061990%02d%02d%03d", f.people%12+1, f.people%28+1, f.people))
		if err != nil {
			t.Fatal(err)
		}
		tal, err := f.reg.RegisterTalent(f.office, talent.NewTalent{Name: fmt.Sprintf("员工%02d", f.people), IDNumber: number, EmployerCreditCode: code})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = tal.ID
	}
	return ids
}

// used returns the places used at level of an authorization.
func (f *fixture) used(t *testing.T, id, level string) int {
	t.Helper()
	a, err := f.reg.GetTalentAuthorization(f.office, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range a.Quotas {
		if q.Level == level {
			if q.Remaining() != q.Places-q.Used {
				t.Fatalf("quota %+v: remaining %d", q, q.Remaining())
			}
			return q.Used
		}
	}
	t.Fatalf("authorization %s has no quota at level %s", id, level)
	return 0
}

func TestIssueTalentAuthorization(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newFixture(t, db)
		ctx := t.Context()
		valid := func(mod func(*talentauth.NewTalentAuthorization)) talentauth.NewTalentAuthorization {
			in := talentauth.NewTalentAuthorization{
				EnterpriseCreditCode: f.growth, Year: 2026, ValidFrom: "2026-01-01", ValidUntil: "2026-12-31", DocumentNumber: authDoc,
				Quotas: []talentauth.LevelQuota{{Level: "E", Places: 20}, {Level: "C", Places: 3}},
			}
			if mod != nil {
				mod(&in)
			}
			return in
		}
		cases := []struct {
			name  string
			ctx   context.Context
			in    talentauth.NewTalentAuthorization
			want  registry.Kind
			field string
		}{
			{"economy-it issuer may not", f.economy, valid(nil), registry.KindPermissionDenied, ""},
			{"talent-office viewer may not", registrytest.As(ctx, "viewer", "bureau:talent-office"), valid(nil), registry.KindPermissionDenied, ""},
			{"the enterprise's member may not", f.member, valid(nil), registry.KindPermissionDenied, ""},
			{"its talent assessor may not", f.assessor, valid(nil), registry.KindPermissionDenied, ""},
			{"auditor may not", f.auditor, valid(nil), registry.KindPermissionDenied, ""},
			{"admin may not", registrytest.As(ctx, "admin", "admin"), valid(nil), registry.KindPermissionDenied, ""},
			{"no principal", ctx, valid(nil), registry.KindUnauthenticated, ""},
			{"no quotas", f.office, valid(func(in *talentauth.NewTalentAuthorization) { in.Quotas = nil }), registry.KindInvalidArgument, "quotas"},
			{"more quotas than levels", f.office, valid(func(in *talentauth.NewTalentAuthorization) {
				in.Quotas = []talentauth.LevelQuota{{"A", 1, 0}, {"B", 1, 0}, {"C", 1, 0}, {"D", 1, 0}, {"E", 1, 0}, {"E", 1, 0}}
			}), registry.KindInvalidArgument, "quotas"},
			{"unknown level", f.office, valid(func(in *talentauth.NewTalentAuthorization) { in.Quotas[1].Level = "F" }), registry.KindInvalidArgument, "quotas[1].level"},
			{"level given twice", f.office, valid(func(in *talentauth.NewTalentAuthorization) { in.Quotas[1].Level = "E" }), registry.KindInvalidArgument, "quotas[1].level"},
			{"no places", f.office, valid(func(in *talentauth.NewTalentAuthorization) { in.Quotas[0].Places = 0 }), registry.KindInvalidArgument, "quotas[0].places"},
			{"more than 10000 places", f.office, valid(func(in *talentauth.NewTalentAuthorization) { in.Quotas[0].Places = 10001 }), registry.KindInvalidArgument, "quotas[0].places"},
			{"year before 2000", f.office, valid(func(in *talentauth.NewTalentAuthorization) { in.Year = 1999 }), registry.KindInvalidArgument, "year"},
			{"valid_until before valid_from", f.office, valid(func(in *talentauth.NewTalentAuthorization) { in.ValidUntil = "2025-12-31" }), registry.KindInvalidArgument, "valid_until"},
			{"no document", f.office, valid(func(in *talentauth.NewTalentAuthorization) { in.DocumentNumber = "" }), registry.KindInvalidArgument, "document_number"},
			{"bad credit code", f.office, valid(func(in *talentauth.NewTalentAuthorization) { in.EnterpriseCreditCode = "91330106MA27XK0A10" }), registry.KindInvalidArgument, "enterprise_credit_code"},
			{"unregistered enterprise", f.office, valid(func(in *talentauth.NewTalentAuthorization) {
				in.EnterpriseCreditCode = registrytest.CreditCode(t, "91330106MA27XK0D1")
			}), registry.KindNotFound, ""},
			{"enterprise without ai-growth-enterprise", f.office, valid(func(in *talentauth.NewTalentAuthorization) { in.EnterpriseCreditCode = f.plain }), registry.KindFailedPrecondition, ""},
			{"talent office issues", f.office, valid(nil), registrytest.Succeeds, ""},
			{"a second for the same year", f.office, valid(func(in *talentauth.NewTalentAuthorization) { in.Quotas = in.Quotas[:1] }), registry.KindAlreadyExists, ""},
			{"another year", f.office, valid(func(in *talentauth.NewTalentAuthorization) {
				in.Year, in.ValidFrom, in.ValidUntil, in.DocumentNumber = 2027, "2027-01-01", "2027-12-31", "杭人才授〔2027〕1号"
			}), registrytest.Succeeds, ""},
			{"another enterprise the same year", f.office, valid(func(in *talentauth.NewTalentAuthorization) { in.EnterpriseCreditCode = f.other }), registrytest.Succeeds, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				a, err := f.reg.IssueTalentAuthorization(c.ctx, c.in)
				registrytest.Check(t, err, c.want, c.field)
				if err != nil {
					return
				}
				if a.EnterpriseCreditCode != c.in.EnterpriseCreditCode || a.Year != c.in.Year || a.Status != designation.StatusActive || a.DocumentNumber != c.in.DocumentNumber {
					t.Fatalf("issued %+v", a)
				}
				if len(a.Quotas) != len(c.in.Quotas) {
					t.Fatalf("quotas %+v, want %d levels", a.Quotas, len(c.in.Quotas))
				}
				for i, q := range a.Quotas {
					if q.Used != 0 || (i > 0 && a.Quotas[i-1].Level >= q.Level) {
						t.Fatalf("quotas %+v: want none used, in level order", a.Quotas)
					}
				}
			})
		}
	})
}

func TestRecognizeTalent(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newFixture(t, db)
		ctx := t.Context()
		auth := f.issue(t, f.growth, 2026, "2026-01-01", "2031-12-31", talentauth.LevelQuota{Level: "D", Places: 10}, talentauth.LevelQuota{Level: "E", Places: 1})
		later := f.issue(t, f.other, 2026, "2026-09-01", "2026-12-31", talentauth.LevelQuota{Level: "D", Places: 1})
		staff := f.employees(t, f.growth, 4)
		otherStaff := f.employees(t, f.other, 1)
		unemployed := f.employees(t, "", 1)
		rec := func(mod func(*talentauth.Recognition)) talentauth.Recognition {
			in := talentauth.Recognition{AuthorizationID: auth.ID, TalentID: staff[0], Level: "D", ValidFrom: "2026-07-01", ValidUntil: "2028-06-30"}
			if mod != nil {
				mod(&in)
			}
			return in
		}
		cases := []struct {
			name  string
			ctx   context.Context
			in    talentauth.Recognition
			want  registry.Kind
			field string
		}{
			{"the enterprise's member may not", f.member, rec(nil), registry.KindPermissionDenied, ""},
			{"talent office issuer may not", f.office, rec(nil), registry.KindPermissionDenied, ""},
			{"assessor of an enterprise without authorization", registrytest.As(ctx, "talent-assessor", "enterprise:"+f.plain), rec(nil), registry.KindPermissionDenied, ""},
			{"assessor of another authorized enterprise", f.otherAssessor, rec(nil), registry.KindPermissionDenied, ""},
			{"under another enterprise's authorization", f.assessor, rec(func(in *talentauth.Recognition) { in.AuthorizationID = later.ID }), registry.KindPermissionDenied, ""},
			{"another enterprise's employee", f.assessor, rec(func(in *talentauth.Recognition) { in.TalentID = otherStaff[0] }), registry.KindPermissionDenied, ""},
			{"a talent with no employer", f.assessor, rec(func(in *talentauth.Recognition) { in.TalentID = unemployed[0] }), registry.KindPermissionDenied, ""},
			{"unknown authorization", f.assessor, rec(func(in *talentauth.Recognition) { in.AuthorizationID = "0190a4c2-0000-7000-8000-000000000000" }), registry.KindPermissionDenied, ""},
			{"a designation that is no authorization", f.assessor, rec(func(in *talentauth.Recognition) { in.AuthorizationID = f.growthDesignation }), registry.KindNotFound, ""},
			{"unknown level", f.assessor, rec(func(in *talentauth.Recognition) { in.Level = "F" }), registry.KindInvalidArgument, "level"},
			{"a level the quota does not cover", f.assessor, rec(func(in *talentauth.Recognition) { in.Level = "A" }), registry.KindFailedPrecondition, ""},
			{"starts before the authorization", f.assessor, rec(func(in *talentauth.Recognition) { in.ValidFrom = "2025-12-31" }), registry.KindInvalidArgument, "valid_from"},
			{"starts after the authorization", f.assessor, rec(func(in *talentauth.Recognition) { in.ValidFrom, in.ValidUntil = "2032-01-01", "2032-06-30" }), registry.KindInvalidArgument, "valid_from"},
			{"ends after the authorization", f.assessor, rec(func(in *talentauth.Recognition) { in.ValidUntil = "2032-01-01" }), registry.KindInvalidArgument, "valid_until"},
			{"lasts more than five years", f.assessor, rec(func(in *talentauth.Recognition) { in.ValidUntil = "2031-07-02" }), registry.KindInvalidArgument, "valid_until"},
			{"cites another document", f.assessor, rec(func(in *talentauth.Recognition) { in.DocumentNumber = "杭人才授〔2026〕2号" }), registry.KindInvalidArgument, "document_number"},
			{"authorization not yet valid", f.otherAssessor, rec(func(in *talentauth.Recognition) {
				in.AuthorizationID, in.TalentID, in.ValidFrom, in.ValidUntil = later.ID, otherStaff[0], "2026-09-01", "2026-12-31"
			}), registry.KindFailedPrecondition, ""},
			{"exactly five years", f.assessor, rec(func(in *talentauth.Recognition) { in.ValidUntil = "2031-07-01" }), registrytest.Succeeds, ""},
			{"the same talent again", f.assessor, rec(func(in *talentauth.Recognition) { in.Level = "E" }), registry.KindAlreadyExists, ""},
			{"citing the authorization's document", f.assessor, rec(func(in *talentauth.Recognition) { in.TalentID, in.DocumentNumber = staff[1], authDoc }), registrytest.Succeeds, ""},
			{"the last E place", f.assessor, rec(func(in *talentauth.Recognition) { in.TalentID, in.Level = staff[2], "E" }), registrytest.Succeeds, ""},
			{"no E place left", f.assessor, rec(func(in *talentauth.Recognition) { in.TalentID, in.Level = staff[3], "E" }), registry.KindResourceExhausted, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				before := f.used(t, auth.ID, "D") + f.used(t, auth.ID, "E")
				d, err := f.reg.RecognizeTalent(c.ctx, c.in)
				registrytest.Check(t, err, c.want, c.field)
				after := f.used(t, auth.ID, "D") + f.used(t, auth.ID, "E")
				if err != nil {
					if after != before {
						t.Fatalf("a refused recognition changed the places used from %d to %d", before, after)
					}
					return
				}
				if after != before+1 {
					t.Fatalf("places used went from %d to %d, want one more", before, after)
				}
				if d.Type != "talent-recognition" || d.TalentID != c.in.TalentID || d.Level != c.in.Level || d.AuthorizationID != auth.ID ||
					d.GrantedByBureau != "talent-office" || d.DocumentNumber != authDoc || d.Status != designation.StatusActive {
					t.Fatalf("recognition %+v", d)
				}
			})
		}
		if d, e := f.used(t, auth.ID, "D"), f.used(t, auth.ID, "E"); d != 2 || e != 1 {
			t.Fatalf("used D=%d E=%d, want 2 and 1", d, e)
		}
	})
}

// TestAuthorizationStanding: recognitions are refused under an
// authorization that is suspended, expired or revoked, and allowed again
// once it is reinstated.
func TestAuthorizationStanding(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newFixture(t, db)
		auth := f.issue(t, f.growth, 2026, "2026-01-01", "2026-12-31", talentauth.LevelQuota{Level: "D", Places: 10})
		staff := f.employees(t, f.growth, 4)
		status := func(do func(context.Context, designation.StatusUpdate) (designation.Designation, error), reason string) func() error {
			return func() error {
				_, err := do(f.office, designation.StatusUpdate{ID: auth.ID, Reason: reason})
				return err
			}
		}
		cases := []struct {
			name   string
			before func() error
			talent string
			want   registry.Kind
		}{
			{"active", nil, staff[0], registrytest.Succeeds},
			{"suspended", status(f.reg.SuspendDesignation, "核查中"), staff[1], registry.KindFailedPrecondition},
			{"reinstated", status(f.reg.ReinstateDesignation, ""), staff[1], registrytest.Succeeds},
			{"expired", func() error { f.clock.SetDate("2027-01-01"); return nil }, staff[2], registry.KindFailedPrecondition},
			{"in force again", func() error { f.clock.Set(registrytest.Start); return nil }, staff[2], registrytest.Succeeds},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if c.before != nil {
					if err := c.before(); err != nil {
						t.Fatal(err)
					}
				}
				_, err := f.reg.RecognizeTalent(f.assessor, talentauth.Recognition{
					AuthorizationID: auth.ID, TalentID: c.talent, Level: "D", ValidFrom: "2026-07-01", ValidUntil: "2026-12-31",
				})
				registrytest.Check(t, err, c.want, "")
			})
		}
	})
}

// TestPlacesReleased: withdrawing a recognition, or the talent office
// revoking it, returns its place; only those entitled may do either.
func TestPlacesReleased(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newFixture(t, db)
		auth := f.issue(t, f.growth, 2026, "2026-01-01", "2026-12-31", talentauth.LevelQuota{Level: "D", Places: 2})
		staff := f.employees(t, f.growth, 3)
		direct, err := f.reg.GrantDesignation(f.office, designation.Grant{
			Type: "talent-recognition", TalentID: staff[2], Level: "C", ValidFrom: "2026-01-01", ValidUntil: "2026-12-31", DocumentNumber: "杭人才〔2026〕9号",
		})
		if err != nil {
			t.Fatal(err)
		}
		recognised := map[string]string{}
		recognize := func(i int) func() error {
			return func() error {
				d, err := f.reg.RecognizeTalent(f.assessor, talentauth.Recognition{
					AuthorizationID: auth.ID, TalentID: staff[i], Level: "D", ValidFrom: "2026-07-01", ValidUntil: "2026-12-31",
				})
				recognised[staff[i]] = d.ID
				return err
			}
		}
		withdraw := func(ctx context.Context, i int) func() error {
			return func() error {
				_, err := f.reg.WithdrawRecognition(ctx, designation.StatusUpdate{ID: recognised[staff[i]], Reason: "离职"})
				return err
			}
		}
		revoke := func(ctx context.Context, i int) func() error {
			return func() error {
				_, err := f.reg.RevokeDesignation(ctx, designation.StatusUpdate{ID: recognised[staff[i]], Reason: "撤销"})
				return err
			}
		}
		cases := []struct {
			name     string
			do       func() error
			want     registry.Kind
			wantUsed int
		}{
			{"first place", recognize(0), registrytest.Succeeds, 1},
			{"second place", recognize(1), registrytest.Succeeds, 2},
			{"member may not withdraw", withdraw(f.member, 0), registry.KindPermissionDenied, 2},
			{"another enterprise's assessor may not withdraw", withdraw(f.otherAssessor, 0), registry.KindPermissionDenied, 2},
			{"economy-it may not withdraw", withdraw(f.economy, 0), registry.KindPermissionDenied, 2},
			{"assessor withdraws", withdraw(f.assessor, 0), registrytest.Succeeds, 1},
			{"withdrawn twice", withdraw(f.assessor, 0), registry.KindFailedPrecondition, 1},
			{"recognised again after withdrawal", recognize(0), registrytest.Succeeds, 2},
			{"economy-it may not revoke", revoke(f.economy, 1), registry.KindPermissionDenied, 2},
			{"talent office revokes", revoke(f.office, 1), registrytest.Succeeds, 1},
			{"a direct recognition is not withdrawn", func() error {
				_, err := f.reg.WithdrawRecognition(f.office, designation.StatusUpdate{ID: direct.ID, Reason: "离职"})
				return err
			}, registry.KindFailedPrecondition, 1},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				registrytest.Check(t, c.do(), c.want, "")
				if got := f.used(t, auth.ID, "D"); got != c.wantUsed {
					t.Fatalf("places used = %d, want %d", got, c.wantUsed)
				}
			})
		}
	})
}

func TestRevokeTalentAuthorization(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newFixture(t, db)
		auth26 := f.issue(t, f.growth, 2026, "2026-01-01", "2026-12-31", talentauth.LevelQuota{Level: "D", Places: 5})
		auth27 := f.issue(t, f.growth, 2027, "2026-01-01", "2027-12-31", talentauth.LevelQuota{Level: "D", Places: 5})
		staff := f.employees(t, f.growth, 4)
		first, err := f.reg.RecognizeTalent(f.assessor, talentauth.Recognition{AuthorizationID: auth26.ID, TalentID: staff[0], Level: "D", ValidFrom: "2026-07-01", ValidUntil: "2026-12-31"})
		if err != nil {
			t.Fatal(err)
		}
		revoke := func(ctx context.Context, id, reason string) func() error {
			return func() error {
				_, err := f.reg.RevokeTalentAuthorization(ctx, designation.StatusUpdate{ID: id, Reason: reason})
				return err
			}
		}
		recognize := func(auth string, i int) func() error {
			return func() error {
				_, err := f.reg.RecognizeTalent(f.assessor, talentauth.Recognition{AuthorizationID: auth, TalentID: staff[i], Level: "D", ValidFrom: "2026-07-01", ValidUntil: "2026-12-31"})
				return err
			}
		}
		cases := []struct {
			name string
			do   func() error
			want registry.Kind
		}{
			{"economy-it may not revoke", revoke(f.economy, auth26.ID, "撤销"), registry.KindPermissionDenied},
			{"the enterprise's assessor may not revoke", revoke(f.assessor, auth26.ID, "撤销"), registry.KindPermissionDenied},
			{"auditor may not revoke", revoke(f.auditor, auth26.ID, "撤销"), registry.KindPermissionDenied},
			{"a reason is required", revoke(f.office, auth26.ID, ""), registry.KindInvalidArgument},
			{"a recognition is no authorization", revoke(f.office, first.ID, "撤销"), registry.KindNotFound},
			{"an unknown id", revoke(f.office, "0190a4c2-0000-7000-8000-000000000000", "撤销"), registry.KindNotFound},
			{"talent office revokes 2026", revoke(f.office, auth26.ID, "撤销"), registrytest.Succeeds},
			{"revoked twice", revoke(f.office, auth26.ID, "撤销"), registry.KindFailedPrecondition},
			{"no recognition under the revoked one", recognize(auth26.ID, 1), registry.KindFailedPrecondition},
			{"the 2027 one still admits the assessor", recognize(auth27.ID, 1), registrytest.Succeeds},
			{"talent office revokes 2027", revoke(f.office, auth27.ID, "撤销"), registrytest.Succeeds},
			{"the assessor may recognise no more", recognize(auth27.ID, 2), registry.KindPermissionDenied},
			{"the year is free again", func() error {
				_, err := f.reg.IssueTalentAuthorization(f.office, talentauth.NewTalentAuthorization{
					EnterpriseCreditCode: f.growth, Year: 2026, Quotas: []talentauth.LevelQuota{{Level: "D", Places: 1}},
					ValidFrom: "2026-01-01", ValidUntil: "2026-12-31", DocumentNumber: "杭人才授〔2026〕2号",
				})
				return err
			}, registrytest.Succeeds},
			{"re-admitted, but not under a revoked one", recognize(auth27.ID, 2), registry.KindFailedPrecondition},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) { registrytest.Check(t, c.do(), c.want, "") })
		}
		got, err := f.reg.GetTalentAuthorization(f.office, auth26.ID)
		if err != nil || got.Status != designation.StatusRevoked || got.StatusReason != "撤销" {
			t.Fatalf("revoked authorization: %+v, %v", got, err)
		}
		stands, err := f.reg.GetDesignation(f.office, first.ID)
		if err != nil || stands.Status != designation.StatusActive {
			t.Fatalf("a recognition made under a revoked authorization must stand: %+v, %v", stands, err)
		}
	})
}

// TestReadTalentAuthorizations: who reads which authorizations, and who
// learns that one does not exist.
func TestReadTalentAuthorizations(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newFixture(t, db)
		ctx := t.Context()
		own := f.issue(t, f.growth, 2026, "2026-01-01", "2026-12-31", talentauth.LevelQuota{Level: "D", Places: 5})
		other := f.issue(t, f.other, 2027, "2027-01-01", "2027-12-31", talentauth.LevelQuota{Level: "E", Places: 5})
		missing := "0190a4c2-0000-7000-8000-000000000000"
		gets := []struct {
			name string
			ctx  context.Context
			id   string
			want registry.Kind
		}{
			{"member reads its own", f.member, own.ID, registrytest.Succeeds},
			{"assessor reads its own", f.assessor, own.ID, registrytest.Succeeds},
			{"member may not read another's", f.otherMember, own.ID, registry.KindPermissionDenied},
			{"member learns nothing of a missing id", f.member, missing, registry.KindPermissionDenied},
			{"park operator may not read", registrytest.As(ctx, "operator", "park:west-lake"), own.ID, registry.KindPermissionDenied},
			{"bureau viewer reads", registrytest.As(ctx, "viewer", "bureau:cyberspace"), own.ID, registrytest.Succeeds},
			{"auditor reads", f.auditor, other.ID, registrytest.Succeeds},
			{"issuer learns a missing id is missing", f.economy, missing, registry.KindNotFound},
			{"a designation that is no authorization", f.office, f.growthDesignation, registry.KindNotFound},
			{"an id that is no id", f.office, "not-an-id", registry.KindInvalidArgument},
		}
		for _, c := range gets {
			t.Run("get/"+c.name, func(t *testing.T) {
				a, err := f.reg.GetTalentAuthorization(c.ctx, c.id)
				registrytest.Check(t, err, c.want, "")
				if err == nil && a.ID != c.id {
					t.Fatalf("got %s, want %s", a.ID, c.id)
				}
			})
		}
		lists := []struct {
			name   string
			ctx    context.Context
			filter talentauthFilter
			want   registry.Kind
			ids    []string
		}{
			{"issuer lists all, newest first", f.office, talentauthFilter{}, registrytest.Succeeds, []string{other.ID, own.ID}},
			{"by year", f.office, talentauthFilter{Year: 2026}, registrytest.Succeeds, []string{own.ID}},
			{"by enterprise", f.auditor, talentauthFilter{EnterpriseCreditCode: f.other}, registrytest.Succeeds, []string{other.ID}},
			{"by status", f.office, talentauthFilter{Status: designation.StatusRevoked}, registrytest.Succeeds, nil},
			{"member sees only its own", f.member, talentauthFilter{}, registrytest.Succeeds, []string{own.ID}},
			{"member may not ask for another's", f.member, talentauthFilter{EnterpriseCreditCode: f.other}, registry.KindPermissionDenied, nil},
			{"park operator may not list", registrytest.As(ctx, "operator", "park:west-lake"), talentauthFilter{}, registry.KindPermissionDenied, nil},
			{"bad year", f.office, talentauthFilter{Year: 3000}, registry.KindInvalidArgument, nil},
		}
		for _, c := range lists {
			t.Run("list/"+c.name, func(t *testing.T) {
				got, err := f.reg.ListTalentAuthorizations(c.ctx, c.filter)
				registrytest.Check(t, err, c.want, "")
				if err != nil {
					return
				}
				var ids []string
				for _, a := range got {
					ids = append(ids, a.ID)
				}
				if fmt.Sprint(ids) != fmt.Sprint(c.ids) {
					t.Fatalf("listed %v, want %v", ids, c.ids)
				}
			})
		}
	})
}

type talentauthFilter = talentauth.TalentAuthorizationFilter
