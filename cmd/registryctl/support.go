package main

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
)

// The support ledger: BenefitService, and the transparency list of
// VerificationService. Amounts are integer fen in flags and JSON; tables
// show each amount in fen with yuan beside, e.g. "200000000 (2,000,000.00)".

func supportMeasures(inv *invocation, fs *pflag.FlagSet) action {
	return func([]string) error {
		res, err := inv.clients().Benefit.ListMeasures(inv.ctx, &registryv1.ListMeasuresRequest{})
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) {
			t.row("CODE", "NAME", "CLAUSE", "BUREAU", "YEAR", "PAYS ON", "PER AWARD CAP FEN (YUAN)", "ENTERPRISE YEAR CAP FEN (YUAN)",
				"YEARLY BUDGET FEN (YUAN)", "BUDGET LEFT FEN (YUAN)")
			for _, m := range res.GetMeasures() {
				var kinds []string
				for _, k := range m.GetBasisKinds() {
					kind := k.GetCode() + " " + percentBP(k.GetRateBp())
					if k.GetRequiredDesignationType() != "" {
						kind += " (" + k.GetRequiredDesignationType() + ")"
					}
					kinds = append(kinds, kind)
				}
				left := ""
				if m.GetYearlyBudgetFen() != 0 {
					left = fen(m.GetBudgetLeftFen())
				}
				t.row(m.GetCode(), m.GetNameZh(), m.GetClause(), bureaus(m.GetBureau(), m.GetCoBureaus()), num(m.GetYear()), list(kinds),
					limitFen(m.GetPerAwardCapFen()), limitFen(m.GetEnterpriseYearCapFen()), limitFen(m.GetYearlyBudgetFen()), left)
			}
			t.section()
			t.row("CODE", "规则", "RULE")
			for _, m := range res.GetMeasures() {
				t.row(m.GetCode(), m.GetRuleZh(), m.GetRuleEn())
			}
			if ms := res.GetMeasures(); len(ms) > 0 {
				t.line("the measures cover costs from %s to %s", ms[0].GetWindowFrom(), ms[0].GetWindowUntil())
			}
		})
	}
}

// bureaus is a measure's deciding bureau, then those it works with.
func bureaus(bureau string, co []string) string {
	if len(co) == 0 {
		return bureau
	}
	return bureau + " (with " + list(co) + ")"
}

func supportApply(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.ApplyForSupportRequest
	var year int
	fs.StringVar(&req.MeasureCode, "measure", "", "the measure's `code`, e.g. compute-voucher (see support measures)")
	fs.StringVar(&req.EnterpriseCreditCode, "enterprise", "", "the applying enterprise's credit `code`")
	fs.IntVar(&year, "year", 0, "the measure `year` applied in")
	fs.StringVar(&req.BasisReference, "basis-reference", "", "the cost item's `reference`, e.g. the contract number")
	fs.StringVar(&req.BasisKind, "basis-kind", "", "the `kind` of cost, e.g. other-compute (default: the measure's only one)")
	fs.Int64Var(&req.BasisAmountFen, "basis-amount-fen", 0, "the cost in integer `fen` (1 yuan = 100 fen)")
	dateVar(fs, &req.BasisDate, "basis-date", "the cost item's `date`: contract, loan or funding (YYYY-MM-DD)")
	fs.StringVar(&req.Evidence, "evidence", "", "the evidence submitted (free `text`)")
	fs.Int64Var(&req.ProjectTotalFen, "project-total-fen", 0, "the project's total investment in `fen` (loan-interest-subsidy only)")
	fs.Int64Var(&req.LoanPrincipalFen, "loan-principal-fen", 0, "the loan's principal in `fen` (loan-interest-subsidy only)")
	return func([]string) error {
		req.Year = int32(year)
		res, err := inv.clients().Benefit.ApplyForSupport(inv.ctx, &req)
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) { applicationDetail(t, res.GetApplication()) })
	}
}

func supportGet(inv *invocation, fs *pflag.FlagSet) action {
	return func(pos []string) error {
		res, err := inv.clients().Benefit.GetApplication(inv.ctx, &registryv1.GetApplicationRequest{Id: pos[0]})
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) { applicationDetail(t, res.GetApplication()) })
	}
}

func supportList(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.ListApplicationsRequest
	var page pageFlags
	var st string
	fs.StringVar(&req.MeasureCode, "measure", "", "only this measure's (`code`)")
	fs.StringVar(&st, "status", "", "only this `status`: pending, approved or rejected")
	fs.StringVar(&req.EnterpriseCreditCode, "enterprise", "", "only this enterprise's (credit `code`)")
	page.register(fs)
	return func([]string) error {
		var err error
		if req.Status, err = parseApplicationStatus(st); err != nil {
			return err
		}
		req.PageSize, req.PageToken = int32(page.size), page.token
		res, err := inv.clients().Benefit.ListApplications(inv.ctx, &req)
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) {
			applicationRows(t, res.GetApplications()...)
			nextPage(t, res.GetNextPageToken())
		})
	}
}

func parseApplicationStatus(s string) (registryv1.ApplicationStatus, error) {
	if s == "" {
		return registryv1.ApplicationStatus_APPLICATION_STATUS_UNSPECIFIED, nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "APPLICATION_STATUS_") {
		name = "APPLICATION_STATUS_" + name
	}
	v, ok := registryv1.ApplicationStatus_value[name]
	if !ok || v == 0 {
		return 0, fmt.Errorf("--status %q: want pending, approved or rejected", s)
	}
	return registryv1.ApplicationStatus(v), nil
}

func applicationStatus(s registryv1.ApplicationStatus) string {
	if s == registryv1.ApplicationStatus_APPLICATION_STATUS_UNSPECIFIED {
		return ""
	}
	return strings.TrimPrefix(s.String(), "APPLICATION_STATUS_")
}

func supportDecide(inv *invocation, fs *pflag.FlagSet) action {
	var approve, reject bool
	fs.BoolVar(&approve, "approve", false, "approve it: the award is computed, and caps and budget consumed")
	fs.BoolVar(&reject, "reject", false, "reject it (with --reason)")
	reason := fs.String("reason", "", "why (required to reject)")
	return func(pos []string) error {
		switch {
		case approve && reject:
			return fmt.Errorf("--approve and --reject: give one; %v", inv.usageError())
		case !approve && !reject:
			return fmt.Errorf("give --approve or --reject; %v", inv.usageError())
		}
		res, err := inv.clients().Benefit.DecideApplication(inv.ctx, &registryv1.DecideApplicationRequest{Id: pos[0], Approve: approve, Reason: *reason})
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) {
			applicationDetail(t, res.GetApplication())
			if res.GetAward() != nil {
				t.section()
				supportAwardRows(t, res.GetAward())
			}
		})
	}
}

// applicationRows lists applications, one line each.
func applicationRows(t *table, as ...*registryv1.Application) {
	t.row("ID", "MEASURE", "ENTERPRISE", "NAME", "YEAR", "BASIS", "BASIS FEN (YUAN)", "BASIS DATE", "STATUS", "AWARDED FEN (YUAN)", "AWARD", "APPLIED")
	for _, a := range as {
		awarded := ""
		if a.GetStatus() == registryv1.ApplicationStatus_APPLICATION_STATUS_APPROVED {
			awarded = fen(a.GetAwardedFen())
		}
		t.row(a.GetId(), a.GetMeasureCode(), a.GetEnterpriseCreditCode(), a.GetEnterpriseName(), num(a.GetYear()),
			basisCell(a.GetBasisReference(), a.GetBasisKind()), fen(a.GetBasisAmountFen()), a.GetBasisDate(), applicationStatus(a.GetStatus()),
			awarded, a.GetAwardId(), stamp(a.GetAppliedAt()))
	}
}

// applicationDetail shows one application: its line, what else it holds,
// and its breakdown, one line a step.
func applicationDetail(t *table, a *registryv1.Application) {
	applicationRows(t, a)
	t.section()
	if a.GetProjectTotalFen() != 0 || a.GetLoanPrincipalFen() != 0 {
		t.row("PROJECT TOTAL FEN (YUAN)", "LOAN PRINCIPAL FEN (YUAN)", "EVIDENCE", "REASON", "DECIDED")
		t.row(fen(a.GetProjectTotalFen()), fen(a.GetLoanPrincipalFen()), a.GetEvidence(), a.GetReason(), stamp(a.GetDecidedAt()))
	} else {
		t.row("EVIDENCE", "REASON", "DECIDED")
		t.row(a.GetEvidence(), a.GetReason(), stamp(a.GetDecidedAt()))
	}
	if len(a.GetBreakdown()) == 0 {
		return
	}
	t.section()
	breakdownRows(t, a.GetBreakdown())
	if a.GetBreakdownIsPreview() {
		t.line("preview: approving now would award %s fen (%s yuan); it changes as caps and budget are consumed", fmt.Sprint(a.GetAwardedFen()), yuan(a.GetAwardedFen()))
	} else if a.GetStatus() == registryv1.ApplicationStatus_APPLICATION_STATUS_APPROVED {
		t.line("awarded %s fen (%s yuan)", fmt.Sprint(a.GetAwardedFen()), yuan(a.GetAwardedFen()))
	}
}

// basisCell is an application's or award's cost item: its reference and
// kind.
func basisCell(ref, kind string) string {
	return strings.TrimSpace(ref + " " + kind)
}

// breakdownRows shows how an award was computed: each step's limit, the
// amount before and after it, and why, in Chinese and English.
func breakdownRows(t *table, steps []*registryv1.Step) {
	t.row("STEP", "LIMIT FEN (YUAN)", "BEFORE → AFTER FEN (YUAN)", "说明", "EXPLANATION")
	for _, s := range steps {
		change := fmt.Sprintf("%d → %d (%s → %s)", s.GetBeforeFen(), s.GetAfterFen(), yuan(s.GetBeforeFen()), yuan(s.GetAfterFen()))
		t.row(s.GetCode(), fen(s.GetLimitFen()), change, s.GetTextZh(), s.GetTextEn())
	}
}

func supportDisburse(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.RecordDisbursementRequest
	fs.Int64Var(&req.AmountFen, "amount-fen", 0, "the payment in integer `fen` (1 yuan = 100 fen)")
	dateVar(fs, &req.PaidOn, "paid-on", "the `date` it was paid (YYYY-MM-DD)")
	fs.StringVar(&req.Payer, "payer", "", "who paid: `city`, or district:<GB/T 2260 code>, e.g. district:330106")
	return func(pos []string) error {
		req.AwardId = pos[0]
		res, err := inv.clients().Benefit.RecordDisbursement(inv.ctx, &req)
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) {
			disbursementRows(t, res.GetDisbursement())
			t.section()
			supportAwardRows(t, res.GetAward())
		})
	}
}

func disbursementRows(t *table, ds ...*registryv1.Disbursement) {
	t.row("PAYMENT", "AWARD", "AMOUNT FEN (YUAN)", "PAID ON", "PAYER", "PAYER NAME", "RECORDED")
	for _, d := range ds {
		t.row(d.GetId(), d.GetAwardId(), fen(d.GetAmountFen()), d.GetPaidOn(), d.GetPayer(), d.GetPayerName(), stamp(d.GetRecordedAt()))
	}
}

func supportRecover(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.RecoverAwardRequest
	fs.Int64Var(&req.AmountFen, "amount-fen", 0, "the amount ordered back in integer `fen` (1 yuan = 100 fen)")
	fs.StringVar(&req.Reason, "reason", "", "why (required)")
	return func(pos []string) error {
		req.AwardId = pos[0]
		res, err := inv.clients().Benefit.RecoverAward(inv.ctx, &req)
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) {
			recoveryRows(t, res.GetRecovery())
			t.section()
			supportAwardRows(t, res.GetAward())
			t.line("until the order is settled the enterprise may not apply for or receive new support")
		})
	}
}

func supportSettle(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.SettleRecoveryRequest
	dateVar(fs, &req.SettledOn, "settled-on", "the `date` it was repaid (default: today)")
	return func(pos []string) error {
		req.RecoveryId = pos[0]
		res, err := inv.clients().Benefit.SettleRecovery(inv.ctx, &req)
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) { recoveryRows(t, res.GetRecovery()) })
	}
}

func supportSetCap(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.SetEnterpriseCapRequest
	var year int
	fs.StringVar(&req.MeasureCode, "measure", "", "the measure's `code`, e.g. compute-voucher")
	fs.StringVar(&req.EnterpriseCreditCode, "enterprise", "", "the enterprise's credit `code`")
	fs.IntVar(&year, "year", 0, "the measure `year`")
	fs.Int64Var(&req.CapFen, "cap-fen", 0, "the enterprise's cap that year in integer `fen` (1 yuan = 100 fen)")
	fs.StringVar(&req.Reason, "reason", "", "why (required)")
	return func([]string) error {
		req.Year = int32(year)
		res, err := inv.clients().Benefit.SetEnterpriseCap(inv.ctx, &req)
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) {
			c := res.GetCap()
			t.row("MEASURE", "ENTERPRISE", "YEAR", "CAP FEN (YUAN)", "MEASURE'S CAP FEN (YUAN)", "AWARDED FEN (YUAN)")
			t.row(c.GetMeasureCode(), c.GetEnterpriseCreditCode(), fmt.Sprint(c.GetYear()), fen(c.GetCapFen()), fen(c.GetDefaultCapFen()), fen(c.GetUsedFen()))
		})
	}
}

// recoveryRows shows recovery orders; one not repaid says so in SETTLED ON.
func recoveryRows(t *table, rs ...*registryv1.Recovery) {
	t.row("RECOVERY", "AWARD", "AMOUNT FEN (YUAN)", "REASON", "ORDERED ON", "SETTLED ON")
	for _, r := range rs {
		settled := r.GetSettledOn()
		if settled == "" {
			settled = "unsettled"
		}
		t.row(r.GetId(), r.GetAwardId(), fen(r.GetAmountFen()), r.GetReason(), r.GetOrderedOn(), settled)
	}
}

func supportAwards(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.ListSupportAwardsRequest
	var page pageFlags
	var year int
	fs.StringVar(&req.MeasureCode, "measure", "", "only this measure's (`code`)")
	fs.IntVar(&year, "year", 0, "only this measure `year`")
	fs.StringVar(&req.EnterpriseCreditCode, "enterprise", "", "only this enterprise's (credit `code`)")
	page.register(fs)
	return func([]string) error {
		req.Year = int32(year)
		req.PageSize, req.PageToken = int32(page.size), page.token
		res, err := inv.clients().Benefit.ListAwards(inv.ctx, &req)
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) {
			supportAwardRows(t, res.GetAwards()...)
			nextPage(t, res.GetNextPageToken())
		})
	}
}

// supportAwardRows shows awards with their ledger: awarded = disbursed +
// outstanding − recovered.
func supportAwardRows(t *table, as ...*registryv1.SupportAward) {
	t.row("AWARD", "APPLICATION", "MEASURE", "ENTERPRISE", "NAME", "YEAR", "BASIS", "AWARDED FEN (YUAN)", "DISBURSED FEN (YUAN)",
		"RECOVERED FEN (YUAN)", "OUTSTANDING FEN (YUAN)", "PAYABLE FEN (YUAN)", "AWARDED ON", "RELIED ON")
	for _, a := range as {
		relied := a.GetReliedOnDesignationId()
		if relied != "" && a.GetReliedOnStatusNow() != "" {
			relied += " " + strings.ToUpper(a.GetReliedOnStatusNow())
		}
		t.row(a.GetId(), a.GetApplicationId(), a.GetMeasureCode(), a.GetEnterpriseCreditCode(), a.GetEnterpriseName(), num(a.GetYear()),
			basisCell(a.GetBasisReference(), a.GetBasisKind()), fen(a.GetAwardedFen()), fen(a.GetDisbursedFen()), fen(a.GetRecoveredFen()),
			fen(a.GetOutstandingFen()), fen(a.GetPayableFen()), a.GetAwardedOn(), relied)
	}
}

func supportStatement(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.GetSupportStatementRequest
	var year int
	fs.IntVar(&year, "year", 0, "the measure `year` (required)")
	return func(pos []string) error {
		req.EnterpriseCreditCode, req.Year = pos[0], int32(year)
		res, err := inv.clients().Benefit.GetSupportStatement(inv.ctx, &req)
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) {
			t.row("ENTERPRISE", "NAME", "YEAR", "AWARDED FEN (YUAN)", "DISBURSED FEN (YUAN)", "RECOVERED FEN (YUAN)", "OUTSTANDING FEN (YUAN)",
				"UNSETTLED RECOVERY FEN (YUAN)")
			t.row(res.GetEnterpriseCreditCode(), res.GetEnterpriseName(), num(res.GetYear()), fen(res.GetAwardedFen()), fen(res.GetDisbursedFen()),
				fen(res.GetRecoveredFen()), fen(res.GetOutstandingFen()), fen(res.GetUnsettledRecoveryFen()))
			t.section()
			t.row("MEASURE", "AWARDED FEN (YUAN)", "DISBURSED FEN (YUAN)", "RECOVERED FEN (YUAN)", "OUTSTANDING FEN (YUAN)",
				"ENTERPRISE YEAR CAP FEN (YUAN)", "HEADROOM FEN (YUAN)")
			for _, m := range res.GetMeasures() {
				headroom := "no cap"
				if m.GetHeadroomFen() >= 0 {
					headroom = fen(m.GetHeadroomFen())
				}
				t.row(m.GetMeasureCode(), fen(m.GetAwardedFen()), fen(m.GetDisbursedFen()), fen(m.GetRecoveredFen()), fen(m.GetOutstandingFen()),
					limitFen(m.GetEnterpriseYearCapFen()), headroom)
			}
			if len(res.GetAwards()) > 0 {
				t.section()
				supportAwardRows(t, res.GetAwards()...)
				var ds []*registryv1.Disbursement
				var rs []*registryv1.Recovery
				for _, a := range res.GetAwards() {
					ds = append(ds, a.GetDisbursements()...)
					rs = append(rs, a.GetRecoveries()...)
				}
				if len(ds) > 0 {
					t.section()
					disbursementRows(t, ds...)
				}
				if len(rs) > 0 {
					t.section()
					recoveryRows(t, rs...)
				}
			}
			t.line("digest: %s (issued %s, audit tree size %d)", res.GetDigest(), stamp(res.GetIssuedAt()), res.GetAuditTreeSize())
			t.line("attestation: %s", res.GetAttestation())
		})
	}
}

func supportPublished(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.ListPublishedAwardsRequest
	var page pageFlags
	var year int
	fs.StringVar(&req.MeasureCode, "measure", "", "only this measure's (`code`)")
	fs.IntVar(&year, "year", 0, "only this measure `year`")
	page.register(fs)
	return func([]string) error {
		req.Year = int32(year)
		req.PageSize, req.PageToken = int32(page.size), page.token
		res, err := inv.clients().Verification.ListPublishedAwards(inv.ctx, &req)
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) {
			t.row("AWARD", "ENTERPRISE", "CREDIT CODE", "MEASURE", "NAME", "YEAR", "AWARDED FEN (YUAN)", "RECOVERED FEN (YUAN)", "AWARDED ON")
			for _, a := range res.GetAwards() {
				t.row(a.GetAwardId(), a.GetEnterpriseName(), a.GetEnterpriseCreditCode(), a.GetMeasureCode(), a.GetMeasureNameZh(), num(a.GetYear()),
					fen(a.GetAwardedFen()), fen(a.GetRecoveredFen()), a.GetAwardedOn())
			}
			t.line("published: awards of at least %d fen (%s yuan)", res.GetThresholdFen(), yuan(res.GetThresholdFen()))
			nextPage(t, res.GetNextPageToken())
		})
	}
}

// fen shows an amount in fen with yuan beside: "200000000 (2,000,000.00)".
func fen(n int64) string {
	return fmt.Sprintf("%d (%s)", n, yuan(n))
}

// limitFen is fen for a limit, where 0 is no limit and shows as none.
func limitFen(n int64) string {
	if n == 0 {
		return ""
	}
	return fen(n)
}

// yuan writes fen as yuan with two decimals and thousands separators,
// from the integer: 400000000 is "4,000,000.00".
func yuan(fen int64) string {
	sign := ""
	u := uint64(fen)
	if fen < 0 {
		sign, u = "-", -u
	}
	whole := fmt.Sprint(u / 100)
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return fmt.Sprintf("%s%s.%02d", sign, b.String(), u%100)
}

// percentBP writes basis points as a percentage, from the integer: 2000 is
// "20%", 150 "1.5%".
func percentBP(bp int64) string {
	s := fmt.Sprintf("%d.%02d", bp/100, bp%100)
	s = strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
	return s + "%"
}
