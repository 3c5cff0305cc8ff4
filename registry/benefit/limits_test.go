package benefit_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/hangzhou-ai/registry/attest"
	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/benefit"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// approveAll approves ids concurrently and returns the awards made and
// how many approvals were refused with failed_precondition; any other
// failure fails the test.
func (fx *fixture) approveAll(t *testing.T, ctx context.Context, ids []string) (awards []benefit.Award, refused int) {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			_, aw, err := fx.reg.DecideApplication(ctx, benefit.Decision{ID: id, Approve: true})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				awards = append(awards, aw)
			case registry.KindOf(err) == registry.KindFailedPrecondition:
				refused++
			default:
				t.Errorf("approving %s: %v", id, err)
			}
		})
	}
	wg.Wait()
	return awards, refused
}

func total(awards []benefit.Award) (sum int64) {
	for _, a := range awards {
		sum += a.AwardedFen
	}
	return sum
}

// enterprises registers n enterprises and returns their credit codes.
func (fx *fixture) enterprises(t *testing.T, n int) []string {
	t.Helper()
	codes := make([]string, n)
	for i := range codes {
		codes[i] = registrytest.CreditCode(t, fmt.Sprintf("91330106MA2C%05d", i))
		fx.register(t, codes[i])
	}
	return codes
}

// TestLimitsUnderConcurrency approves 50 applications at once against
// each kind of limit: none is passed by one fen or one award.
func TestLimitsUnderConcurrency(t *testing.T) {
	each := func(name string, f func(t *testing.T, db storetest.Database)) {
		t.Run(name, func(t *testing.T) { storetest.ForEachDatabase(t, f) })
	}
	{
		each("enterprise-year cap", func(t *testing.T, db storetest.Database) {
			fx := newFixture(t, db)
			var ids []string
			for i := range 50 {
				// 20% of 1,500,000 yuan = 300,000: 26 fit in 8,000,000, the 27th gets 200,000.
				ids = append(ids, fx.apply(t, fx.memberE, voucher(fx.e, fmt.Sprintf("HT-%d", i), "other-compute", 1_500_000)).ID)
			}
			awards, refused := fx.approveAll(t, fx.economy, ids)
			if got := total(awards); got != yuan(8_000_000) || len(awards) != 27 || refused != 23 {
				t.Fatalf("%d awards of %d fen in all, %d refused; want 27 awards of exactly %d fen, 23 refused", len(awards), got, refused, yuan(8_000_000))
			}
			fx.checkChain(t)
		})
		each("programme budget", func(t *testing.T, db storetest.Database) {
			fx := newFixture(t, db)
			codes := fx.enterprises(t, 50)
			var ids []string
			for _, code := range codes {
				// 20% of 40,000,000 = 8,000,000 each: 31 fill 248,000,000; the 32nd gets 2,000,000.
				member := registrytest.As(t.Context(), "member", "enterprise:"+code)
				ids = append(ids, fx.apply(t, member, voucher(code, "HT-1", "other-compute", 40_000_000)).ID)
			}
			awards, refused := fx.approveAll(t, fx.economy, ids)
			if got := total(awards); got != yuan(250_000_000) || len(awards) != 32 || refused != 18 {
				t.Fatalf("%d awards of %d fen in all, %d refused; want 32 awards of exactly %d fen", len(awards), got, refused, yuan(250_000_000))
			}
			measures, err := fx.reg.ListMeasures(fx.memberE)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range measures {
				if m.Code == "compute-voucher" && m.BudgetLeftFen != 0 {
					t.Fatalf("budget left %d fen, want 0", m.BudgetLeftFen)
				}
			}
		})
		each("once per enterprise", func(t *testing.T, db storetest.Database) {
			fx := newFixture(t, db)
			var ids []string
			for i := range 50 {
				ids = append(ids, fx.apply(t, fx.memberE, benefit.NewApplication{MeasureCode: "model-filing-reward", EnterpriseCreditCode: fx.e,
					Year: 2026, BasisReference: fmt.Sprintf("PC-%d", i), BasisAmountFen: yuan(300_000), BasisDate: "2026-01-10"}).ID)
			}
			awards, refused := fx.approveAll(t, fx.cyber, ids)
			if len(awards) != 1 || refused != 49 || total(awards) != yuan(300_000) {
				t.Fatalf("%d awards (%d fen), %d refused; want exactly one of %d fen", len(awards), total(awards), refused, yuan(300_000))
			}
		})
		each("awards a year", func(t *testing.T, db storetest.Database) {
			fx := newFixture(t, db)
			var ids []string
			for _, code := range fx.enterprises(t, 50) {
				member := registrytest.As(t.Context(), "member", "enterprise:"+code)
				ids = append(ids, fx.apply(t, member, benefit.NewApplication{MeasureCode: "open-source-award", EnterpriseCreditCode: code,
					Year: 2026, BasisReference: "OSS-1", BasisAmountFen: yuan(500_000), BasisDate: "2026-01-10"}).ID)
			}
			awards, refused := fx.approveAll(t, fx.economy, ids)
			if len(awards) != 10 || refused != 40 {
				t.Fatalf("%d awards, %d refused; want 10 and 40", len(awards), refused)
			}
		})
		each("one application decided twice at once", func(t *testing.T, db storetest.Database) {
			fx := newFixture(t, db)
			id := fx.apply(t, fx.memberE, voucher(fx.e, "HT-X", "other-compute", 1_000_000)).ID
			ids := make([]string, 20)
			for i := range ids {
				ids[i] = id
			}
			awards, refused := fx.approveAll(t, fx.economy, ids)
			if len(awards) != 1 || refused != 19 {
				t.Fatalf("%d awards, %d refused; want 1 and 19", len(awards), refused)
			}
		})
	}
}

// TestOverlapAcrossMeasures: one cost item under two measures is
// supported at its highest single entitlement, never the sum.
func TestOverlapAcrossMeasures(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		fx := newFixture(t, db)
		first := fx.apply(t, fx.memberF, voucher(fx.f, "SF-7", "other-compute", 10_000_000))
		_, aw1 := fx.approve(t, fx.economy, first.ID)
		// The same project as a demonstration: entitled to 5,000,000, has 2,000,000.
		demo := fx.apply(t, fx.memberF, benefit.NewApplication{MeasureCode: "demonstration-award", EnterpriseCreditCode: fx.f,
			Year: 2026, BasisReference: " sf-7 ", BasisAmountFen: yuan(10_000_000), BasisDate: "2026-04-01"})
		if demo.BasisReference != "SF-7" {
			t.Fatalf("reference stored as %q, want SF-7", demo.BasisReference)
		}
		if got := benefit.NormalizeReference(" ｓｆ－７\u3000"); got != "SF-7" {
			t.Fatalf("a full-width spelling normalises to %q, want SF-7", got)
		}
		got, aw2 := fx.approve(t, fx.economy, demo.ID)
		if aw1.AwardedFen != yuan(2_000_000) || aw2.AwardedFen != yuan(3_000_000) {
			t.Fatalf("awards %d and %d fen, want 2,000,000 and 3,000,000 yuan", aw1.AwardedFen, aw2.AwardedFen)
		}
		if s, ok := stepOf(got.Breakdown, benefit.StepOverlap); !ok || s.LimitFen != yuan(2_000_000) {
			t.Fatalf("breakdown %+v has no overlap step for 2,000,000", got.Breakdown)
		}
		// A lower entitlement on the item now pays nothing, and is refused.
		low := fx.apply(t, fx.memberF, voucher(fx.f, "SF-7", "domestic-compute", 10_000_000))
		_, _, err := fx.reg.DecideApplication(fx.economy, benefit.Decision{ID: low.ID, Approve: true})
		registrytest.Check(t, err, registry.KindFailedPrecondition)
		pending, err := fx.reg.GetApplication(fx.economy, low.ID)
		if err != nil || pending.Status != benefit.StatusPending || !pending.BreakdownIsPreview || pending.AwardedFen != 0 {
			t.Fatalf("after a refused approval: %+v, %v; want pending with a preview of 0", pending, err)
		}
		fx.checkChain(t)
	})
}

// TestRecoveryBlocksNewSupport: an unsettled recovery order refuses new
// applications and approvals until it is settled.
func TestRecoveryBlocksNewSupport(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		fx := newFixture(t, db)
		pendingBefore := fx.apply(t, fx.memberF, voucher(fx.f, "HT-P", "other-compute", 1_000_000))
		a := fx.apply(t, fx.memberF, voucher(fx.f, "HT-R", "other-compute", 1_000_000))
		_, aw := fx.approve(t, fx.economy, a.ID)
		ctx := fx.economy
		paid, paidAward, err := fx.reg.RecordDisbursement(ctx, benefit.NewDisbursement{AwardID: aw.ID, AmountFen: aw.AwardedFen, PaidOn: "2026-06-15", Payer: "district:滨江区"})
		if err != nil {
			t.Fatal(err)
		}
		if paid.Payer != "district:330108" || paid.PayerName != "滨江区" || paidAward.BasisKind != "other-compute" ||
			len(paidAward.Disbursements) != 1 || paidAward.PayableFen != 0 {
			t.Fatalf("payment %+v of award %+v", paid, paidAward)
		}
		_, _, err = fx.reg.RecoverAward(ctx, benefit.NewRecovery{AwardID: aw.ID, AmountFen: aw.AwardedFen + 1, Reason: "合同未履行"})
		registrytest.Check(t, err, registry.KindFailedPrecondition)
		rec, after, err := fx.reg.RecoverAward(ctx, benefit.NewRecovery{AwardID: aw.ID, AmountFen: yuan(50_000), Reason: "合同未履行"})
		if err != nil {
			t.Fatal(err)
		}
		if after.RecoveredFen != yuan(50_000) || after.AwardedFen != after.DisbursedFen+after.OutstandingFen-after.RecoveredFen {
			t.Fatalf("after the order: %+v", after)
		}
		_, err = fx.reg.ApplyForSupport(fx.memberF, voucher(fx.f, "HT-N", "other-compute", 1_000_000))
		registrytest.Check(t, err, registry.KindFailedPrecondition)
		_, _, err = fx.reg.DecideApplication(ctx, benefit.Decision{ID: pendingBefore.ID, Approve: true})
		registrytest.Check(t, err, registry.KindFailedPrecondition)
		st, err := fx.reg.GetSupportStatement(fx.memberF, fx.f, 2026)
		if err != nil || st.UnsettledRecoveryFen != yuan(50_000) {
			t.Fatalf("statement %+v, %v; want 50,000 yuan owed", st, err)
		}
		_, err = fx.reg.SettleRecovery(fx.memberF, rec.ID, "")
		registrytest.Check(t, err, registry.KindPermissionDenied)
		if _, err := fx.reg.SettleRecovery(ctx, rec.ID, "2026-06-15"); err != nil {
			t.Fatal(err)
		}
		_, err = fx.reg.SettleRecovery(ctx, rec.ID, "2026-06-15")
		registrytest.Check(t, err, registry.KindFailedPrecondition)
		fx.apply(t, fx.memberF, voucher(fx.f, "HT-N", "other-compute", 1_000_000))
		fx.approve(t, ctx, pendingBefore.ID)
		fx.checkChain(t)
	})
}

// TestPrerequisiteAsOfBasisDate: a designation is needed on the basis
// date; a later revocation does not change the award but shows on the
// statement.
func TestPrerequisiteAsOfBasisDate(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		fx := newFixture(t, db)
		early := voucher(fx.e, "HT-E", "filed-multimodal-model", 1_000_000)
		early.BasisDate = "2025-05-31" // the filing dates from 2025-06-01
		_, err := fx.reg.ApplyForSupport(fx.memberE, early)
		registrytest.Check(t, err, registry.KindFailedPrecondition)
		_, err = fx.reg.ApplyForSupport(fx.memberF, voucher(fx.f, "HT-E", "filed-multimodal-model", 1_000_000))
		registrytest.Check(t, err, registry.KindFailedPrecondition)
		a := fx.apply(t, fx.memberE, voucher(fx.e, "HT-E", "filed-multimodal-model", 1_000_000))
		_, aw := fx.approve(t, fx.economy, a.ID)
		if aw.ReliedOnDesignationID != fx.modelFiling || aw.AwardedFen != yuan(300_000) {
			t.Fatalf("award %+v, want 300,000 yuan relying on %s", aw, fx.modelFiling)
		}
		if _, err := fx.reg.RevokeDesignation(fx.cyber, designation.StatusUpdate{ID: fx.modelFiling, Reason: "备案注销"}); err != nil {
			t.Fatal(err)
		}
		st, err := fx.reg.GetSupportStatement(fx.memberE, fx.e, 2026)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Awards) != 1 || st.Awards[0].AwardedFen != yuan(300_000) || st.Awards[0].ReliedOnStatusNow != string(designation.StatusRevoked) {
			t.Fatalf("statement awards %+v, want the 300,000 award showing its filing revoked", st.Awards)
		}
		// The statement's attestation names the filing: its standing shows,
		// and the statement stays valid.
		check, err := fx.reg.VerifyAttestation(t.Context(), st.Attestation)
		if err != nil || !check.Valid || !check.DesignationsChanged || len(check.Designations) != 1 ||
			check.Designations[0].DesignationID != fx.modelFiling || check.Designations[0].StatusNow != designation.StatusRevoked ||
			check.Claims.Kind != attest.KindSupportStatement || check.Claims.AwardedFen != yuan(300_000) {
			t.Fatalf("statement attestation check %+v, %v", check, err)
		}
		// A new application on a date after the revocation has no filing.
		late := voucher(fx.e, "HT-F", "filed-multimodal-model", 1_000_000)
		late.BasisDate = "2026-06-15"
		_, err = fx.reg.ApplyForSupport(fx.memberE, late)
		registrytest.Check(t, err, registry.KindFailedPrecondition)
	})
}

// TestApplicationRules: who may apply and decide, and what is refused.
func TestApplicationRules(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		fx := newFixture(t, db)
		ok := voucher(fx.e, "HT-OK", "other-compute", 1_000_000)
		mod := func(f func(*benefit.NewApplication)) benefit.NewApplication { in := ok; f(&in); return in }
		cases := []struct {
			name  string
			ctx   context.Context
			in    benefit.NewApplication
			want  registry.Kind
			field string
		}{
			{"another enterprise's member", fx.memberF, ok, registry.KindPermissionDenied, ""},
			{"a bureau not deciding it", fx.science, ok, registry.KindPermissionDenied, ""},
			{"an auditor", fx.auditor, ok, registry.KindPermissionDenied, ""},
			{"misspelt measure", fx.memberE, mod(func(a *benefit.NewApplication) { a.MeasureCode = "compute-vouchers" }), registry.KindInvalidArgument, "measure_code"},
			{"unknown kind", fx.memberE, mod(func(a *benefit.NewApplication) { a.BasisKind = "cheap-compute" }), registry.KindInvalidArgument, "basis_kind"},
			{"negative amount", fx.memberE, mod(func(a *benefit.NewApplication) { a.BasisAmountFen = -1 }), registry.KindInvalidArgument, "basis_amount_fen"},
			{"too large an amount", fx.memberE, mod(func(a *benefit.NewApplication) { a.BasisAmountFen = benefit.MaxBasisFen + 1 }), registry.KindInvalidArgument, "basis_amount_fen"},
			{"an invisible character in the reference", fx.memberE, mod(func(a *benefit.NewApplication) { a.BasisReference = "HT-\u200bOK" }), registry.KindInvalidArgument, "basis_reference"},
			{"a full-width formula lead", fx.memberE, mod(func(a *benefit.NewApplication) { a.BasisReference = "＝HYPERLINK(1)" }), registry.KindInvalidArgument, "basis_reference"},
			{"a year before the cost's", fx.memberE, mod(func(a *benefit.NewApplication) { a.Year = 2025 }), registry.KindFailedPrecondition, ""},
			{"a year not yet begun", fx.memberE, mod(func(a *benefit.NewApplication) { a.Year, a.BasisDate = 2027, "2025-12-01" }), registry.KindFailedPrecondition, ""},
			{"no reference", fx.memberE, mod(func(a *benefit.NewApplication) { a.BasisReference = " " }), registry.KindInvalidArgument, "basis_reference"},
			{"loan fields on a voucher", fx.memberE, mod(func(a *benefit.NewApplication) { a.LoanPrincipalFen = 1 }), registry.KindInvalidArgument, "loan_principal_fen"},
			{"bad date", fx.memberE, mod(func(a *benefit.NewApplication) { a.BasisDate = "2026-02-30" }), registry.KindInvalidArgument, "basis_date"},
			{"a year the measures do not run", fx.memberE, mod(func(a *benefit.NewApplication) { a.Year = 2028 }), registry.KindFailedPrecondition, ""},
			{"a cost before the window", fx.memberE, mod(func(a *benefit.NewApplication) { a.BasisDate = "2024-08-18" }), registry.KindFailedPrecondition, ""},
			{"a cost in the future", fx.memberE, mod(func(a *benefit.NewApplication) { a.BasisDate = "2026-06-16" }), registry.KindFailedPrecondition, ""},
			{"an unregistered enterprise", fx.economy, mod(func(a *benefit.NewApplication) {
				a.EnterpriseCreditCode = registrytest.CreditCode(t, "91330106MA2B00X01")
			}), registry.KindNotFound, ""},
			{"the member", fx.memberE, ok, registrytest.Succeeds, ""},
			{"the same again", fx.economy, ok, registry.KindAlreadyExists, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				before := registrytest.AuditLength(t, fx.reg)
				_, err := fx.reg.ApplyForSupport(c.ctx, c.in)
				registrytest.Check(t, err, c.want, c.field)
				if after := registrytest.AuditLength(t, fx.reg); c.want != registrytest.Succeeds && after != before {
					t.Fatalf("a refused application wrote %d audit events", after-before)
				}
			})
		}
		apps, _, err := fx.reg.ListApplications(fx.economy, benefit.ApplicationFilter{Status: benefit.StatusPending})
		if err != nil || len(apps) != 1 {
			t.Fatalf("queue %+v, %v; want the one application", apps, err)
		}
		id := apps[0].ID
		t.Run("decisions", func(t *testing.T) {
			_, _, err := fx.reg.DecideApplication(fx.finance, benefit.Decision{ID: id, Approve: true})
			registrytest.Check(t, err, registry.KindPermissionDenied)
			_, _, err = fx.reg.DecideApplication(fx.memberE, benefit.Decision{ID: id, Approve: true})
			registrytest.Check(t, err, registry.KindPermissionDenied)
			_, _, err = fx.reg.DecideApplication(fx.economy, benefit.Decision{ID: id, Approve: false})
			registrytest.Check(t, err, registry.KindInvalidArgument, "reason")
			_, err = fx.reg.GetApplication(fx.memberF, id)
			registrytest.Check(t, err, registry.KindNotFound)
			_, _, err = fx.reg.DecideApplication(fx.economy, benefit.Decision{ID: "app_0190a4c2-0000-7000-8000-000000000000", Approve: true})
			registrytest.Check(t, err, registry.KindNotFound)
			for _, id := range []string{"app_nope", "app_0190a4c2-0000-7000-8000-000000000000\x00", "0190a4c2-0000-7000-8000-000000000000", "app_0190A4C2-0000-7000-8000-000000000000"} {
				_, _, err = fx.reg.DecideApplication(fx.economy, benefit.Decision{ID: id, Approve: true})
				registrytest.Check(t, err, registry.KindInvalidArgument, "id")
			}
			rejected, _, err := fx.reg.DecideApplication(fx.economy, benefit.Decision{ID: id, Reason: "材料不全"})
			if err != nil || rejected.Status != benefit.StatusRejected {
				t.Fatalf("reject: %+v, %v", rejected, err)
			}
			_, _, err = fx.reg.DecideApplication(fx.economy, benefit.Decision{ID: id, Approve: true})
			registrytest.Check(t, err, registry.KindFailedPrecondition)
			// Rejected, the same cost item may be applied for again.
			fx.apply(t, fx.memberE, ok)
		})
		t.Run("the window", func(t *testing.T) {
			pending := fx.apply(t, fx.memberE, mod(func(a *benefit.NewApplication) { a.BasisReference = "HT-PENDING" }))
			fx.clock.SetDate("2028-01-01")
			defer fx.clock.SetDate("2026-06-15")
			_, err := fx.reg.ApplyForSupport(fx.memberE, mod(func(a *benefit.NewApplication) { a.BasisReference = "HT-LATE" }))
			registrytest.Check(t, err, registry.KindFailedPrecondition)
			_, _, err = fx.reg.DecideApplication(fx.economy, benefit.Decision{ID: pending.ID, Approve: true})
			registrytest.Check(t, err, registry.KindFailedPrecondition)
			rejected, _, err := fx.reg.DecideApplication(fx.economy, benefit.Decision{ID: pending.ID, Reason: "政策期满"})
			if err != nil || rejected.Status != benefit.StatusRejected {
				t.Fatalf("rejecting after the window: %+v, %v", rejected, err)
			}
		})
		t.Run("the other enterprise sees none of it", func(t *testing.T) {
			apps, _, err := fx.reg.ListApplications(fx.memberF, benefit.ApplicationFilter{})
			if err != nil || len(apps) != 0 {
				t.Fatalf("F lists %+v, %v", apps, err)
			}
			_, _, err = fx.reg.ListApplications(fx.memberF, benefit.ApplicationFilter{EnterpriseCreditCode: fx.e})
			registrytest.Check(t, err, registry.KindPermissionDenied)
			_, err = fx.reg.GetSupportStatement(fx.memberF, fx.e, 2026)
			registrytest.Check(t, err, registry.KindPermissionDenied)
		})
		fx.checkChain(t)
	})
}

// TestLedgerBalances runs random disbursements and recoveries over
// random awards and checks, after each, that every award and the
// statement balance (awarded = disbursed + outstanding − recovered) and
// that the totals kept with each award are the sums of its rows.
func TestLedgerBalances(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		fx := newFixture(t, db)
		rng := rand.New(rand.NewPCG(15, 2026))
		var awards []string
		for i := range 6 {
			a := fx.apply(t, fx.memberF, voucher(fx.f, fmt.Sprintf("HT-L%d", i), "other-compute", 500_000+int64(rng.IntN(1_000_000))))
			_, aw := fx.approve(t, fx.economy, a.ID)
			awards = append(awards, aw.ID)
		}
		payers := []string{"city", "district:330108", "district:余杭区"}
		refused := 0
		for range 120 {
			id := awards[rng.IntN(len(awards))]
			amount := 1 + rng.Int64N(yuan(100_000))
			var err error
			if rng.IntN(4) == 0 {
				_, _, err = fx.reg.RecoverAward(fx.economy, benefit.NewRecovery{AwardID: id, AmountFen: amount, Reason: "抽查追回"})
			} else {
				_, _, err = fx.reg.RecordDisbursement(fx.economy, benefit.NewDisbursement{AwardID: id, AmountFen: amount, PaidOn: "2026-06-15", Payer: payers[rng.IntN(3)]})
			}
			if err != nil {
				registrytest.Check(t, err, registry.KindFailedPrecondition)
				refused++
			}
		}
		st, err := fx.reg.GetSupportStatement(fx.economy, fx.f, 2026)
		if err != nil {
			t.Fatal(err)
		}
		var awarded, disbursed, recovered, outstanding int64
		for _, a := range st.Awards {
			var paid, back int64
			for _, d := range a.Disbursements {
				paid += d.AmountFen
			}
			for _, x := range a.Recoveries {
				back += x.AmountFen
			}
			if paid != a.DisbursedFen || back != a.RecoveredFen || back > paid || paid > a.AwardedFen {
				t.Errorf("award %s: rows pay %d and recover %d, totals say %d and %d of %d", a.ID, paid, back, a.DisbursedFen, a.RecoveredFen, a.AwardedFen)
			}
			if a.AwardedFen != a.DisbursedFen+a.OutstandingFen-a.RecoveredFen {
				t.Errorf("award %s does not balance: %+v", a.ID, a)
			}
			awarded, disbursed, recovered, outstanding = awarded+a.AwardedFen, disbursed+a.DisbursedFen, recovered+a.RecoveredFen, outstanding+a.OutstandingFen
		}
		if st.AwardedFen != awarded || st.DisbursedFen != disbursed || st.RecoveredFen != recovered || st.OutstandingFen != outstanding ||
			st.AwardedFen != st.DisbursedFen+st.OutstandingFen-st.RecoveredFen {
			t.Fatalf("statement totals %d/%d/%d/%d, awards sum to %d/%d/%d/%d", st.AwardedFen, st.DisbursedFen, st.RecoveredFen, st.OutstandingFen, awarded, disbursed, recovered, outstanding)
		}
		if disbursed == 0 || recovered == 0 || refused == 0 {
			t.Fatalf("the run paid %d, recovered %d and refused %d: it did not exercise the ledger", disbursed, recovered, refused)
		}
		t.Logf("6 awards, %d fen paid, %d recovered, %d operations refused", disbursed, recovered, refused)
		fx.checkChain(t)
	})
}

// TestPageTokensServeTheirList: each list pages with tokens only it
// accepts, the two award lists included.
func TestPageTokensServeTheirList(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		fx := newFixture(t, db)
		for i := range 3 {
			a := fx.apply(t, fx.memberF, voucher(fx.f, fmt.Sprintf("HT-T%d", i), "other-compute", 1_000_000))
			fx.approve(t, fx.economy, a.ID)
		}
		apps, appToken, err := fx.reg.ListApplications(fx.economy, benefit.ApplicationFilter{PageSize: 1})
		if err != nil || len(apps) != 1 || appToken == "" {
			t.Fatalf("applications %v, %q, %v", apps, appToken, err)
		}
		awards, awardToken, err := fx.reg.ListSupportAwards(fx.economy, benefit.AwardFilter{PageSize: 1})
		if err != nil || len(awards) != 1 || awardToken == "" {
			t.Fatalf("awards %v, %q, %v", awards, awardToken, err)
		}
		published, publishedToken, err := fx.reg.ListPublishedAwards(t.Context(), benefit.PublishedFilter{PageSize: 1})
		if err != nil || len(published) != 1 || publishedToken == "" {
			t.Fatalf("published %v, %q, %v", published, publishedToken, err)
		}
		next, _, err := fx.reg.ListPublishedAwards(t.Context(), benefit.PublishedFilter{PageSize: 1, PageToken: publishedToken})
		if err != nil || len(next) != 1 || next[0].AwardID == published[0].AwardID {
			t.Fatalf("the next published page %v, %v", next, err)
		}
		_, _, err = fx.reg.ListPublishedAwards(t.Context(), benefit.PublishedFilter{PageToken: awardToken})
		registrytest.Check(t, err, registry.KindInvalidArgument, "page_token")
		_, _, err = fx.reg.ListSupportAwards(fx.economy, benefit.AwardFilter{PageToken: publishedToken})
		registrytest.Check(t, err, registry.KindInvalidArgument, "page_token")
		_, _, err = fx.reg.ListSupportAwards(fx.economy, benefit.AwardFilter{PageToken: appToken})
		registrytest.Check(t, err, registry.KindInvalidArgument, "page_token")
		_, _, err = fx.reg.ListApplications(fx.economy, benefit.ApplicationFilter{PageToken: awardToken})
		registrytest.Check(t, err, registry.KindInvalidArgument, "page_token")
	})
}
