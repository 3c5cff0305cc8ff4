package benefit_test

import (
	"context"
	"testing"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/benefit"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// TestEnterpriseCap: the bureau relaxes one enterprise's compute-voucher
// cap, audited; approvals then run to the new cap and no further.
func TestEnterpriseCap(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		fx := newFixture(t, db)
		for _, ref := range []string{"HT-1", "HT-2"} {
			a := fx.apply(t, fx.memberE, voucher(fx.e, ref, "other-compute", 20_000_000))
			fx.approve(t, fx.economy, a.ID) // 4,000,000 each: the 8,000,000 cap is used
		}
		raise := benefit.NewEnterpriseCap{MeasureCode: "compute-voucher", EnterpriseCreditCode: fx.e, Year: 2026, CapFen: yuan(10_000_000), Reason: "基础模型企业，经市经信局核定放宽"}
		refusals := []struct {
			name  string
			ctx   context.Context
			in    benefit.NewEnterpriseCap
			want  registry.Kind
			field string
		}{
			{"the member", fx.memberE, raise, registry.KindPermissionDenied, ""},
			{"another bureau", fx.science, raise, registry.KindPermissionDenied, ""},
			{"a measure without such a cap", fx.economy, func() benefit.NewEnterpriseCap { c := raise; c.MeasureCode = "demonstration-award"; return c }(), registry.KindInvalidArgument, "measure_code"},
			{"no reason", fx.economy, func() benefit.NewEnterpriseCap { c := raise; c.Reason = ""; return c }(), registry.KindInvalidArgument, "reason"},
			{"below what was awarded", fx.economy, func() benefit.NewEnterpriseCap { c := raise; c.CapFen = yuan(7_000_000); return c }(), registry.KindFailedPrecondition, ""},
		}
		for _, c := range refusals {
			t.Run(c.name, func(t *testing.T) {
				before := registrytest.AuditLength(t, fx.reg)
				_, err := fx.reg.SetEnterpriseCap(c.ctx, c.in)
				registrytest.Check(t, err, c.want, c.field)
				if registrytest.AuditLength(t, fx.reg) != before {
					t.Fatal("a refused cap wrote an audit event")
				}
			})
		}
		got, err := fx.reg.SetEnterpriseCap(fx.economy, raise)
		if err != nil || got.CapFen != yuan(10_000_000) || got.DefaultCapFen != yuan(8_000_000) || got.UsedFen != yuan(8_000_000) {
			t.Fatalf("set cap: %+v, %v", got, err)
		}
		a := fx.apply(t, fx.memberE, voucher(fx.e, "HT-3", "other-compute", 20_000_000))
		a, _ = fx.approve(t, fx.economy, a.ID)
		if a.AwardedFen != yuan(2_000_000) {
			t.Fatalf("awarded %d fen under the relaxed cap, want %d", a.AwardedFen, yuan(2_000_000))
		}
		if s, _ := stepOf(a.Breakdown, benefit.StepEnterpriseYearCap); s.LimitFen != yuan(2_000_000) {
			t.Fatalf("cap step %+v", s)
		}
		st, err := fx.reg.GetSupportStatement(fx.memberE, fx.e, 2026)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range st.Measures {
			if m.MeasureCode == "compute-voucher" && (m.EnterpriseYearCapFen != yuan(10_000_000) || m.HeadroomFen != 0 || m.AwardedFen != yuan(10_000_000)) {
				t.Fatalf("statement's compute-voucher totals %+v", m)
			}
		}
		last := fx.apply(t, fx.memberE, voucher(fx.e, "HT-4", "other-compute", 1_000_000))
		_, _, err = fx.reg.DecideApplication(fx.economy, benefit.Decision{ID: last.ID, Approve: true})
		registrytest.Check(t, err, registry.KindFailedPrecondition)
		fx.checkChain(t)
	})
}
