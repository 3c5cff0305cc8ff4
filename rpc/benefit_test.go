package rpc_test

import (
	"slices"
	"testing"

	"connectrpc.com/connect/v2"

	"github.com/hangzhou-ai/registry/registry/registrytest"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// The worked example of the compute voucher: a contract of 10,000,000
// yuan on other compute is paid 20%, 2,000,000 yuan.
const (
	voucherContractFen = int64(1_000_000_000)
	voucherAwardFen    = int64(200_000_000)
)

// supportJourney is a registry with an enterprise whose member applies for
// support, economy-IT deciding and paying it.
type supportJourney struct {
	env                    *rpctest.Env
	economy, member, other *rpctest.Clients
	anyone                 *rpctest.Clients
	enterprise, rival      string
}

func newSupportJourney(t *testing.T, db storetest.Database) *supportJourney {
	t.Helper()
	env := rpctest.New(t, db)
	j := &supportJourney{
		env: env, economy: env.As("issuer", "bureau:economy-it"), anyone: env.ClientsWithToken(""),
		enterprise: registrytest.CreditCode(t, "91330108MA2BF0001"), rival: registrytest.CreditCode(t, "91330108MA2BF0002"),
	}
	for code, name := range map[string]string{j.enterprise: "杭州算力应用科技有限公司", j.rival: "杭州另一家科技有限公司"} {
		if _, err := j.economy.Enterprise.RegisterEnterprise(t.Context(), &registryv1.RegisterEnterpriseRequest{
			CreditCode: code, Name: name, District: "滨江区", RegisteredOn: "2024-03-01",
		}); err != nil {
			t.Fatalf("fixture: register %s: %v", code, err)
		}
	}
	j.member = env.As("member", "enterprise:"+j.enterprise)
	j.other = env.As("member", "enterprise:"+j.rival)
	return j
}

// voucher asks for a compute voucher on other compute for the contract ref.
func (j *supportJourney) voucher(ref string, fen int64) *registryv1.ApplyForSupportRequest {
	return &registryv1.ApplyForSupportRequest{
		MeasureCode: "compute-voucher", EnterpriseCreditCode: j.enterprise, Year: 2026, BasisReference: ref,
		BasisKind: "other-compute", BasisAmountFen: fen, BasisDate: "2026-05-10", Evidence: "算力服务合同及付款凭证",
	}
}

func stepCodes(steps []*registryv1.Step) []string {
	var codes []string
	for _, s := range steps {
		codes = append(codes, s.Code)
	}
	return codes
}

// wantCode fails unless err carries code.
func wantCode(t *testing.T, what string, err error, code connect.Code) {
	t.Helper()
	if got := rpctest.Code(err); got != code {
		t.Fatalf("%s: got %v (%v), want %v", what, codeName(got), err, code)
	}
}

// wantField fails unless err is invalid_argument naming field.
func wantField(t *testing.T, what string, err error, field string) {
	t.Helper()
	wantCode(t, what, err, connect.CodeInvalidArgument)
	if got := badRequestFields(t, err); !slices.Contains(got, field) {
		t.Fatalf("%s: invalid_argument naming %v, want %s (%v)", what, got, field, err)
	}
}

// TestSupportJourney drives the support ledger over the API: a member
// applies for a compute voucher, economy-IT reviews the preview and
// approves it, pays it from the city and a district, orders part of it
// back; the enterprise may not apply while the order stands; once it is
// settled, the signed statement adds up and verifies without a token, and
// the transparency list shows the award and not one below the threshold.
func TestSupportJourney(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		j := newSupportJourney(t, db)
		ctx := t.Context()

		applied, err := j.member.Benefit.ApplyForSupport(ctx, j.voucher(" ht-1 ", voucherContractFen))
		if err != nil {
			t.Fatalf("member applying: %v", err)
		}
		app := applied.Application
		if app.Status != registryv1.ApplicationStatus_APPLICATION_STATUS_PENDING || app.BasisReference != "HT-1" ||
			app.EnterpriseCreditCode != j.enterprise || app.EnterpriseName != "杭州算力应用科技有限公司" || app.BasisAmountFen != voucherContractFen ||
			app.AwardedFen != 0 || len(app.Breakdown) != 0 || app.AwardId != "" || app.AppliedAt == nil || app.DecidedAt != nil {
			t.Fatalf("applied: %v", app)
		}
		if _, err := j.member.Benefit.ApplyForSupport(ctx, j.voucher("HT-1", voucherContractFen)); rpctest.Code(err) != connect.CodeAlreadyExists {
			t.Errorf("applying twice for HT-1: %v, want already_exists", err)
		}

		// The bureau's review queue, and the preview only deciders see.
		queue, err := j.economy.Benefit.ListApplications(ctx, &registryv1.ListApplicationsRequest{
			MeasureCode: "compute-voucher", Status: registryv1.ApplicationStatus_APPLICATION_STATUS_PENDING,
		})
		if err != nil || len(queue.Applications) != 1 || queue.Applications[0].Id != app.Id {
			t.Fatalf("pending queue: %v, %v", queue, err)
		}
		for _, status := range []registryv1.ApplicationStatus{registryv1.ApplicationStatus_APPLICATION_STATUS_APPROVED, registryv1.ApplicationStatus_APPLICATION_STATUS_REJECTED} {
			if res, err := j.economy.Benefit.ListApplications(ctx, &registryv1.ListApplicationsRequest{Status: status}); err != nil || len(res.Applications) != 0 {
				t.Errorf("%s applications: %v, %v", status, res, err)
			}
		}
		if res, err := j.economy.Benefit.ListApplications(ctx, &registryv1.ListApplicationsRequest{}); err != nil || len(res.Applications) != 1 {
			t.Errorf("no status filters nothing: %v, %v", res, err)
		}
		_, err = j.economy.Benefit.ListApplications(ctx, &registryv1.ListApplicationsRequest{Status: registryv1.ApplicationStatus(99)})
		wantField(t, "an unknown status", err, "status")
		preview, err := j.economy.Benefit.GetApplication(ctx, &registryv1.GetApplicationRequest{Id: app.Id})
		if err != nil {
			t.Fatal(err)
		}
		wantSteps := []string{"computed", "enterprise_year_cap", "budget"}
		if p := preview.Application; !p.BreakdownIsPreview || p.AwardedFen != voucherAwardFen || !slices.Equal(stepCodes(p.Breakdown), wantSteps) ||
			p.Breakdown[0].BeforeFen != voucherContractFen || p.Breakdown[0].AfterFen != voucherAwardFen || p.Breakdown[0].TextZh == "" ||
			p.Breakdown[1].LimitFen != 800_000_000 || p.Breakdown[2].LimitFen != 25_000_000_000 {
			t.Fatalf("preview: %v", p)
		}
		own, err := j.member.Benefit.GetApplication(ctx, &registryv1.GetApplicationRequest{Id: app.Id})
		if err != nil || own.Application.BreakdownIsPreview || len(own.Application.Breakdown) != 0 || own.Application.AwardedFen != 0 {
			t.Fatalf("the member sees no preview: %v, %v", own, err)
		}
		_, err = j.other.Benefit.GetApplication(ctx, &registryv1.GetApplicationRequest{Id: app.Id})
		wantCode(t, "another enterprise's member reading the application", err, connect.CodeNotFound)

		// Approval computes the award as previewed.
		decided, err := j.economy.Benefit.DecideApplication(ctx, &registryv1.DecideApplicationRequest{Id: app.Id, Approve: true, Reason: "材料齐全，同意支持。"})
		if err != nil {
			t.Fatalf("approving: %v", err)
		}
		award := decided.Award
		if a := decided.Application; a.Status != registryv1.ApplicationStatus_APPLICATION_STATUS_APPROVED || a.AwardedFen != voucherAwardFen ||
			!slices.Equal(stepCodes(a.Breakdown), wantSteps) || a.BreakdownIsPreview || a.AwardId == "" || a.AwardId != award.GetId() || a.DecidedAt == nil {
			t.Fatalf("approved application: %v", a)
		}
		if award.AwardedFen != voucherAwardFen || award.PayableFen != voucherAwardFen || award.OutstandingFen != voucherAwardFen ||
			award.DisbursedFen != 0 || award.ApplicationId != app.Id || award.MeasureCode != "compute-voucher" || award.AwardedOn != "2026-06-15" ||
			award.BasisKind != "other-compute" || award.EnterpriseCreditCode != j.enterprise {
			t.Fatalf("award: %v", award)
		}
		_, err = j.economy.Benefit.DecideApplication(ctx, &registryv1.DecideApplicationRequest{Id: app.Id, Approve: true})
		wantCode(t, "approving twice", err, connect.CodeFailedPrecondition)

		// Payments by the city and by Binjiang district, never beyond the award.
		city, err := j.economy.Benefit.RecordDisbursement(ctx, &registryv1.RecordDisbursementRequest{AwardId: award.Id, AmountFen: 120_000_000, PaidOn: "2026-06-15", Payer: "city"})
		if err != nil {
			t.Fatalf("city payment: %v", err)
		}
		if d := city.Disbursement; d.Payer != "city" || d.PayerName != "杭州市本级" || d.AmountFen != 120_000_000 || d.AwardId != award.Id || d.RecordedAt == nil {
			t.Errorf("city payment: %v", d)
		}
		district, err := j.economy.Benefit.RecordDisbursement(ctx, &registryv1.RecordDisbursementRequest{AwardId: award.Id, AmountFen: 50_000_000, PaidOn: "2026-06-15", Payer: "district:330108"})
		if err != nil {
			t.Fatalf("district payment: %v", err)
		}
		if d := district.Disbursement; d.Payer != "district:330108" || d.PayerName != "滨江区" {
			t.Errorf("district payment: %v", d)
		}
		if a := district.Award; a.DisbursedFen != 170_000_000 || a.PayableFen != 30_000_000 || a.OutstandingFen != 30_000_000 {
			t.Errorf("award after two payments: %v", a)
		}
		_, err = j.economy.Benefit.RecordDisbursement(ctx, &registryv1.RecordDisbursementRequest{AwardId: award.Id, AmountFen: 30_000_001, PaidOn: "2026-06-15", Payer: "city"})
		wantCode(t, "paying beyond the award", err, connect.CodeFailedPrecondition)
		_, err = j.economy.Benefit.RecordDisbursement(ctx, &registryv1.RecordDisbursementRequest{AwardId: award.Id, AmountFen: 1, PaidOn: "2026-06-15", Payer: "district:330199"})
		wantField(t, "paying from no district of Hangzhou", err, "payer")

		// A recovery order bars new support until it is settled.
		recovered, err := j.economy.Benefit.RecoverAward(ctx, &registryv1.RecoverAwardRequest{AwardId: award.Id, AmountFen: 20_000_000, Reason: "部分算力未实际使用，责令退回。"})
		if err != nil {
			t.Fatalf("recovering: %v", err)
		}
		order := recovered.Recovery
		if order.SettledOn != "" || order.OrderedOn != "2026-06-15" || order.AmountFen != 20_000_000 || recovered.Award.RecoveredFen != 20_000_000 ||
			recovered.Award.OutstandingFen != 50_000_000 {
			t.Fatalf("recovery: %v, award %v", order, recovered.Award)
		}
		_, err = j.member.Benefit.ApplyForSupport(ctx, j.voucher("HT-2", 40_000_000))
		wantCode(t, "applying while a recovery is unsettled", err, connect.CodeFailedPrecondition)
		owing, err := j.member.Benefit.GetSupportStatement(ctx, &registryv1.GetSupportStatementRequest{EnterpriseCreditCode: j.enterprise, Year: 2026})
		if err != nil || owing.UnsettledRecoveryFen != 20_000_000 {
			t.Fatalf("statement while owing: %v, %v", owing, err)
		}
		settled, err := j.economy.Benefit.SettleRecovery(ctx, &registryv1.SettleRecoveryRequest{RecoveryId: order.Id})
		if err != nil || settled.Recovery.SettledOn != "2026-06-15" {
			t.Fatalf("settling: %v, %v", settled, err)
		}
		_, err = j.economy.Benefit.SettleRecovery(ctx, &registryv1.SettleRecoveryRequest{RecoveryId: order.Id})
		wantCode(t, "settling twice", err, connect.CodeFailedPrecondition)

		// A small award, below the publication threshold: 20% of 400,000
		// yuan is 80,000 yuan.
		small, err := j.member.Benefit.ApplyForSupport(ctx, j.voucher("HT-2", 40_000_000))
		if err != nil {
			t.Fatalf("applying once settled: %v", err)
		}
		smallDecided, err := j.economy.Benefit.DecideApplication(ctx, &registryv1.DecideApplicationRequest{Id: small.Application.Id, Approve: true})
		if err != nil || smallDecided.Award.AwardedFen != 8_000_000 {
			t.Fatalf("approving the small one: %v, %v", smallDecided, err)
		}

		// The statement adds up: awarded = disbursed + outstanding − recovered.
		st, err := j.member.Benefit.GetSupportStatement(ctx, &registryv1.GetSupportStatementRequest{EnterpriseCreditCode: j.enterprise, Year: 2026})
		if err != nil {
			t.Fatalf("statement: %v", err)
		}
		if st.AwardedFen != 208_000_000 || st.DisbursedFen != 170_000_000 || st.RecoveredFen != 20_000_000 || st.OutstandingFen != 58_000_000 ||
			st.UnsettledRecoveryFen != 0 || st.AwardedFen != st.DisbursedFen+st.OutstandingFen-st.RecoveredFen {
			t.Fatalf("statement totals: awarded %d disbursed %d recovered %d outstanding %d unsettled %d",
				st.AwardedFen, st.DisbursedFen, st.RecoveredFen, st.OutstandingFen, st.UnsettledRecoveryFen)
		}
		if len(st.Awards) != 2 || st.Awards[0].Id != award.Id || len(st.Awards[0].Disbursements) != 2 || len(st.Awards[0].Recoveries) != 1 ||
			st.Awards[0].Recoveries[0].SettledOn != "2026-06-15" || st.Digest == "" || st.Attestation == "" || st.IssuedAt == nil || st.AuditTreeSize < 1 {
			t.Fatalf("statement: %v", st)
		}
		i := slices.IndexFunc(st.Measures, func(m *registryv1.MeasureTotals) bool { return m.MeasureCode == "compute-voucher" })
		if i < 0 || st.Measures[i].AwardedFen != 208_000_000 || st.Measures[i].HeadroomFen != 800_000_000-208_000_000 || st.Measures[i].EnterpriseYearCapFen != 800_000_000 {
			t.Errorf("compute-voucher totals: %v", st.Measures)
		}
		_, err = j.other.Benefit.GetSupportStatement(ctx, &registryv1.GetSupportStatementRequest{EnterpriseCreditCode: j.enterprise, Year: 2026})
		wantCode(t, "another enterprise's member reading the statement", err, connect.CodePermissionDenied)

		// Anyone checks the statement's attestation, without a token.
		check, err := j.anyone.Verification.VerifyAttestation(ctx, &registryv1.VerifyAttestationRequest{Token: st.Attestation})
		if err != nil {
			t.Fatal(err)
		}
		c := check.Claims
		if !check.Valid || check.Problem != "" || c == nil || c.Kind != "support-statement" || c.Year != 2026 || c.EnterpriseCreditCode != j.enterprise ||
			c.AwardedFen != st.AwardedFen || c.DisbursedFen != st.DisbursedFen || c.RecoveredFen != st.RecoveredFen || c.OutstandingFen != st.OutstandingFen ||
			c.StatementDigest != st.Digest || !slices.Equal(c.AwardIds, []string{award.Id, smallDecided.Award.Id}) || c.KeyId == "" {
			t.Fatalf("statement attestation: %v", check)
		}

		// The transparency list, without a token.
		published, err := j.anyone.Verification.ListPublishedAwards(ctx, &registryv1.ListPublishedAwardsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if published.ThresholdFen != 10_000_000 || len(published.Awards) != 1 {
			t.Fatalf("published: %v", published)
		}
		if p := published.Awards[0]; p.AwardId != award.Id || p.EnterpriseName != "杭州算力应用科技有限公司" || p.EnterpriseCreditCode != j.enterprise ||
			p.MeasureCode != "compute-voucher" || p.MeasureNameZh != "算力券" || p.AwardedFen != voucherAwardFen || p.RecoveredFen != 20_000_000 ||
			p.AwardedOn != "2026-06-15" || p.Year != 2026 {
			t.Errorf("published award: %v", p)
		}
		if res, err := j.anyone.Verification.ListPublishedAwards(ctx, &registryv1.ListPublishedAwardsRequest{MeasureCode: "rd-matching"}); err != nil || len(res.Awards) != 0 {
			t.Errorf("published rd-matching awards: %v, %v", res, err)
		}

		// The member lists its awards; the other member sees none.
		mine, err := j.member.Benefit.ListAwards(ctx, &registryv1.ListSupportAwardsRequest{})
		if err != nil || len(mine.Awards) != 2 || mine.Awards[0].Id != smallDecided.Award.Id {
			t.Errorf("the member's awards: %v, %v", mine, err)
		}
		if theirs, err := j.other.Benefit.ListAwards(ctx, &registryv1.ListSupportAwardsRequest{}); err != nil || len(theirs.Awards) != 0 {
			t.Errorf("the other member's awards: %v, %v", theirs, err)
		}
	})
}

// TestSupportRefusals checks that refusals name the field at fault, in
// google.rpc.BadRequest, and that a page token serves only its own list.
func TestSupportRefusals(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		j := newSupportJourney(t, db)
		ctx := t.Context()
		bad := func(mutate func(*registryv1.ApplyForSupportRequest)) error {
			req := j.voucher("HT-BAD", voucherContractFen)
			mutate(req)
			_, err := j.member.Benefit.ApplyForSupport(ctx, req)
			return err
		}
		wantField(t, "a negative cost", bad(func(r *registryv1.ApplyForSupportRequest) { r.BasisAmountFen = -1 }), "basis_amount_fen")
		wantField(t, "no cost", bad(func(r *registryv1.ApplyForSupportRequest) { r.BasisAmountFen = 0 }), "basis_amount_fen")
		wantField(t, "a misspelt measure", bad(func(r *registryv1.ApplyForSupportRequest) { r.MeasureCode = "compute-vocher" }), "measure_code")
		wantField(t, "a kind of another measure", bad(func(r *registryv1.ApplyForSupportRequest) { r.BasisKind = "loan-interest" }), "basis_kind")
		wantField(t, "a malformed basis date", bad(func(r *registryv1.ApplyForSupportRequest) { r.BasisDate = "2026-13-01" }), "basis_date")
		wantField(t, "no year", bad(func(r *registryv1.ApplyForSupportRequest) { r.Year = 0 }), "year")
		wantField(t, "a loan's principal on a voucher", bad(func(r *registryv1.ApplyForSupportRequest) { r.LoanPrincipalFen = 100 }), "loan_principal_fen")
		wantCode(t, "a basis date in the future", bad(func(r *registryv1.ApplyForSupportRequest) { r.BasisDate = "2026-06-16" }), connect.CodeFailedPrecondition)
		wantCode(t, "a basis date before the measures", bad(func(r *registryv1.ApplyForSupportRequest) { r.BasisDate = "2024-08-18" }), connect.CodeFailedPrecondition)
		wantCode(t, "applying for another enterprise", bad(func(r *registryv1.ApplyForSupportRequest) { r.EnterpriseCreditCode = j.rival }), connect.CodePermissionDenied)

		// Two applications and two awards, to have page tokens of each list.
		var awards []string
		for _, ref := range []string{"HT-P1", "HT-P2"} {
			a, err := j.member.Benefit.ApplyForSupport(ctx, j.voucher(ref, voucherContractFen))
			if err != nil {
				t.Fatal(err)
			}
			d, err := j.economy.Benefit.DecideApplication(ctx, &registryv1.DecideApplicationRequest{Id: a.Application.Id, Approve: true})
			if err != nil {
				t.Fatal(err)
			}
			awards = append(awards, d.Award.Id)
		}
		apps, err := j.economy.Benefit.ListApplications(ctx, &registryv1.ListApplicationsRequest{PageSize: 1})
		if err != nil || apps.NextPageToken == "" {
			t.Fatalf("first page of applications: %v, %v", apps, err)
		}
		awardPage, err := j.economy.Benefit.ListAwards(ctx, &registryv1.ListSupportAwardsRequest{PageSize: 1})
		if err != nil || awardPage.NextPageToken == "" || awardPage.Awards[0].Id != awards[1] {
			t.Fatalf("first page of awards: %v, %v", awardPage, err)
		}
		rest, err := j.economy.Benefit.ListAwards(ctx, &registryv1.ListSupportAwardsRequest{PageSize: 1, PageToken: awardPage.NextPageToken})
		if err != nil || len(rest.Awards) != 1 || rest.Awards[0].Id != awards[0] || rest.NextPageToken != "" {
			t.Fatalf("second page of awards: %v, %v", rest, err)
		}
		_, err = j.economy.Benefit.ListApplications(ctx, &registryv1.ListApplicationsRequest{PageToken: awardPage.NextPageToken})
		wantField(t, "an award page token listing applications", err, "page_token")
		_, err = j.economy.Benefit.ListAwards(ctx, &registryv1.ListSupportAwardsRequest{PageToken: apps.NextPageToken})
		wantField(t, "an application page token listing awards", err, "page_token")
		_, err = j.anyone.Verification.ListPublishedAwards(ctx, &registryv1.ListPublishedAwardsRequest{PageToken: apps.NextPageToken})
		wantField(t, "an application page token listing published awards", err, "page_token")
		_, err = j.economy.Benefit.ListApplications(ctx, &registryv1.ListApplicationsRequest{PageToken: "bm90LWEtdG9rZW4"})
		wantField(t, "a forged page token", err, "page_token")
		_, err = j.economy.Benefit.ListApplications(ctx, &registryv1.ListApplicationsRequest{MeasureCode: "compute-vocher"})
		wantField(t, "listing a misspelt measure", err, "measure_code")
		_, err = j.anyone.Verification.ListPublishedAwards(ctx, &registryv1.ListPublishedAwardsRequest{Year: 1900})
		wantField(t, "publishing a year of no measure", err, "year")

		// Records of another enterprise are not found, whatever the id.
		_, err = j.other.Benefit.GetApplication(ctx, &registryv1.GetApplicationRequest{Id: apps.Applications[0].Id})
		wantCode(t, "another enterprise's application", err, connect.CodeNotFound)
		_, err = j.economy.Benefit.GetApplication(ctx, &registryv1.GetApplicationRequest{Id: "app_01900000-0000-7000-8000-000000000000"})
		wantCode(t, "an unknown application", err, connect.CodeNotFound)
		_, err = j.economy.Benefit.GetApplication(ctx, &registryv1.GetApplicationRequest{Id: "01900000-0000-7000-8000-000000000000"})
		wantField(t, "an id of no application", err, "id")
		_, err = j.economy.Benefit.RecordDisbursement(ctx, &registryv1.RecordDisbursementRequest{AwardId: awards[0], AmountFen: -5, PaidOn: "2026-06-15", Payer: "city"})
		wantField(t, "a negative payment", err, "amount_fen")
		_, err = j.economy.Benefit.RecordDisbursement(ctx, &registryv1.RecordDisbursementRequest{AwardId: awards[0], AmountFen: 5, PaidOn: "2026-06-16", Payer: "city"})
		wantCode(t, "a payment in the future", err, connect.CodeFailedPrecondition)
		_, err = j.economy.Benefit.RecoverAward(ctx, &registryv1.RecoverAwardRequest{AwardId: awards[0], AmountFen: 1, Reason: "未付款即追回"})
		wantCode(t, "recovering what was never paid", err, connect.CodeFailedPrecondition)
		_, err = j.economy.Benefit.RecoverAward(ctx, &registryv1.RecoverAwardRequest{AwardId: awards[0], AmountFen: 1})
		wantField(t, "a recovery without a reason", err, "reason")
		_, err = j.economy.Benefit.DecideApplication(ctx, &registryv1.DecideApplicationRequest{Id: apps.Applications[0].Id})
		wantField(t, "a rejection without a reason", err, "reason")
		_, err = j.economy.Benefit.SettleRecovery(ctx, &registryv1.SettleRecoveryRequest{RecoveryId: "x"})
		wantField(t, "a malformed recovery id", err, "recovery_id")
		_, err = j.member.Benefit.GetSupportStatement(ctx, &registryv1.GetSupportStatementRequest{EnterpriseCreditCode: j.enterprise})
		wantField(t, "a statement without a year", err, "year")
	})
}
