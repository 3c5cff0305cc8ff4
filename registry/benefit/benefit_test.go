package benefit_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/benefit"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// yuan is n yuan in fen.
func yuan(n int64) int64 { return n * 100 }

// fixture is a registry with the deciding bureaus and enterprises E
// (holding model-filing from 2025-06-01) and F.
type fixture struct {
	reg                              *registry.Registry
	clock                            *storetest.Clock
	economy, finance, science, cyber context.Context
	auditor                          context.Context
	e, f                             string // credit codes
	memberE, memberF                 context.Context
	modelFiling                      string // E's model-filing designation
	serial                           int
}

func newFixture(t *testing.T, db storetest.Database) *fixture {
	t.Helper()
	reg, clock := registrytest.Open(t, db)
	ctx := t.Context()
	fx := &fixture{
		reg: reg, clock: clock,
		economy: registrytest.As(ctx, "issuer", "bureau:economy-it"),
		finance: registrytest.As(ctx, "issuer", "bureau:financial-office"),
		science: registrytest.As(ctx, "issuer", "bureau:science-tech"),
		cyber:   registrytest.As(ctx, "issuer", "bureau:cyberspace"),
		auditor: registrytest.As(ctx, "auditor", "auditor"),
		e:       registrytest.CreditCode(t, "91330106MA2B00E01"),
		f:       registrytest.CreditCode(t, "91330106MA2B00F01"),
	}
	fx.memberE = registrytest.As(ctx, "member", "enterprise:"+fx.e)
	fx.memberF = registrytest.As(ctx, "member", "enterprise:"+fx.f)
	for _, code := range []string{fx.e, fx.f} {
		fx.register(t, code)
	}
	d, err := reg.GrantDesignation(fx.cyber, designation.Grant{Type: "model-filing", EnterpriseCreditCode: fx.e,
		ValidFrom: "2025-06-01", ValidUntil: "2027-12-31", DocumentNumber: "浙网信备〔2025〕1号"})
	if err != nil {
		t.Fatal(err)
	}
	fx.modelFiling = d.ID
	return fx
}

func (fx *fixture) register(t *testing.T, code string) {
	t.Helper()
	if _, err := fx.reg.RegisterEnterprise(fx.economy, enterprise.NewEnterprise{CreditCode: code, Name: "企业" + code[12:17]}); err != nil {
		t.Fatal(err)
	}
}

// apply files an application and fails the test on an error.
func (fx *fixture) apply(t *testing.T, ctx context.Context, in benefit.NewApplication) benefit.Application {
	t.Helper()
	a, err := fx.reg.ApplyForSupport(ctx, in)
	if err != nil {
		t.Fatalf("apply %+v: %v", in, err)
	}
	return a
}

// approve approves an application and fails the test on an error.
func (fx *fixture) approve(t *testing.T, ctx context.Context, id string) (benefit.Application, benefit.Award) {
	t.Helper()
	a, aw, err := fx.reg.DecideApplication(ctx, benefit.Decision{ID: id, Approve: true})
	if err != nil {
		t.Fatalf("approve %s: %v", id, err)
	}
	return a, aw
}

func voucher(code, ref, kind string, contractYuan int64) benefit.NewApplication {
	return benefit.NewApplication{MeasureCode: "compute-voucher", EnterpriseCreditCode: code, Year: 2026,
		BasisReference: ref, BasisKind: kind, BasisAmountFen: yuan(contractYuan), BasisDate: "2026-03-01"}
}

func stepOf(steps []benefit.Step, code string) (benefit.Step, bool) {
	for _, s := range steps {
		if s.Code == code {
			return s, true
		}
	}
	return benefit.Step{}, false
}

// TestWorkedExamples are DOMAIN.md's worked examples (year 2026), each
// with its exact amount in fen.
func TestWorkedExamples(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		fx := newFixture(t, db)
		award := func(t *testing.T, ctx context.Context, in benefit.NewApplication) benefit.Application {
			a := fx.apply(t, ctx, in)
			a, _ = fx.approve(t, fx.economy, a.ID)
			return a
		}
		t.Run("1 filed multimodal model, HT-1", func(t *testing.T) {
			a := award(t, fx.memberE, voucher(fx.e, "HT-1", "filed-multimodal-model", 10_000_000))
			if a.AwardedFen != yuan(3_000_000) {
				t.Fatalf("awarded %d fen, want %d", a.AwardedFen, yuan(3_000_000))
			}
		})
		t.Run("2 other compute, HT-2, cap left 5,000,000", func(t *testing.T) {
			a := award(t, fx.memberE, voucher(fx.e, "HT-2", "other-compute", 20_000_000))
			if a.AwardedFen != yuan(4_000_000) {
				t.Fatalf("awarded %d fen, want %d", a.AwardedFen, yuan(4_000_000))
			}
			if s, ok := stepOf(a.Breakdown, benefit.StepEnterpriseYearCap); !ok || s.LimitFen != yuan(5_000_000) || s.After != yuan(4_000_000) {
				t.Fatalf("enterprise-year cap step %+v, want limit 5,000,000 yuan leaving 4,000,000", s)
			}
		})
		t.Run("3 other compute, HT-3, the cap leaves 1,000,000", func(t *testing.T) {
			a := award(t, fx.memberE, voucher(fx.e, "HT-3", "other-compute", 10_000_000))
			if a.AwardedFen != yuan(1_000_000) {
				t.Fatalf("awarded %d fen, want %d", a.AwardedFen, yuan(1_000_000))
			}
			last := a.Breakdown[len(a.Breakdown)-1]
			s, ok := stepOf(a.Breakdown, benefit.StepEnterpriseYearCap)
			if !ok || s.Before != yuan(2_000_000) || s.After != yuan(1_000_000) || last.After != yuan(1_000_000) {
				t.Fatalf("breakdown %+v does not name the enterprise-year cap taking 2,000,000 to 1,000,000", a.Breakdown)
			}
		})
		t.Run("4 HT-9 other then domestic: the difference only", func(t *testing.T) {
			first := award(t, fx.memberF, voucher(fx.f, "HT-9", "other-compute", 10_000_000))
			if first.AwardedFen != yuan(2_000_000) {
				t.Fatalf("first award %d fen, want %d", first.AwardedFen, yuan(2_000_000))
			}
			second := award(t, fx.memberF, voucher(fx.f, "HT-9", "domestic-compute", 10_000_000))
			if second.AwardedFen != yuan(1_000_000) {
				t.Fatalf("second award %d fen, want %d", second.AwardedFen, yuan(1_000_000))
			}
			if s, ok := stepOf(second.Breakdown, benefit.StepOverlap); !ok || s.LimitFen != yuan(2_000_000) || s.Before != yuan(3_000_000) {
				t.Fatalf("overlap step %+v, want 2,000,000 received against 3,000,000", s)
			}
		})
		loan := func(projectYuan int64) benefit.NewApplication {
			return benefit.NewApplication{MeasureCode: "loan-interest-subsidy", EnterpriseCreditCode: fx.f, Year: 2026,
				BasisReference: fmt.Sprintf("DK-%d", projectYuan), BasisAmountFen: yuan(2_400_000), BasisDate: "2026-01-31",
				ProjectTotalFen: yuan(projectYuan), LoanPrincipalFen: yuan(40_000_000)}
		}
		t.Run("5 loan interest: 1.5 points of the principal", func(t *testing.T) {
			a := fx.apply(t, fx.memberF, loan(60_000_000))
			a, _ = fx.approve(t, fx.finance, a.ID)
			if a.AwardedFen != yuan(600_000) {
				t.Fatalf("awarded %d fen, want %d", a.AwardedFen, yuan(600_000))
			}
			share, _ := stepOf(a.Breakdown, benefit.StepInterestShare)
			principal, _ := stepOf(a.Breakdown, benefit.StepPrincipalCap)
			if share.After != yuan(1_200_000) || principal.LimitFen != yuan(600_000) {
				t.Fatalf("breakdown %+v, want 50%% = 1,200,000 and a principal cap of 600,000", a.Breakdown)
			}
		})
		t.Run("6 loan on a 40,000,000 project", func(t *testing.T) {
			_, err := fx.reg.ApplyForSupport(fx.memberF, loan(40_000_000))
			registrytest.Check(t, err, registry.KindFailedPrecondition)
		})
		t.Run("7 rd matching: the per-project cap", func(t *testing.T) {
			a := fx.apply(t, fx.memberF, benefit.NewApplication{MeasureCode: "rd-matching", EnterpriseCreditCode: fx.f, Year: 2026,
				BasisReference: "XM-1", BasisKind: "national-funding", BasisAmountFen: yuan(30_000_000), BasisDate: "2026-02-01"})
			a, _ = fx.approve(t, fx.science, a.ID)
			if a.AwardedFen != yuan(5_000_000) {
				t.Fatalf("awarded %d fen, want %d", a.AwardedFen, yuan(5_000_000))
			}
			if s, _ := stepOf(a.Breakdown, benefit.StepComputed); s.After != yuan(7_500_000) {
				t.Fatalf("computed %d fen, want %d", s.After, yuan(7_500_000))
			}
		})
		fx.checkChain(t)
	})
}

// checkChain fails the test unless the audit chain verifies.
func (fx *fixture) checkChain(t *testing.T) {
	t.Helper()
	report, err := fx.reg.VerifyAuditChain(fx.auditor)
	if err != nil || !report.OK {
		t.Fatalf("audit chain: %+v, %v", report, err)
	}
}
