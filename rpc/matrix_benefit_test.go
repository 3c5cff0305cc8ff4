package rpc_test

import (
	"fmt"
	"slices"
	"testing"

	"connectrpc.com/connect/v2"

	"github.com/hangzhou-ai/registry/registry/registrytest"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// This file is the authorization matrix of BenefitService and of
// VerificationService.ListPublishedAwards: every RPC, called by every kind
// of caller, answers with exactly the Connect code the rules (DOMAIN.md
// and authz/policy.go's SupportPolicy) demand, and a change happens
// exactly when the call succeeds. Each measure's deciding bureau applies
// on an enterprise's behalf, decides, disburses and recovers its support;
// every bureau's staff read all support; an enterprise's members apply for
// and read their own; auditors read everything and change nothing; park
// staff and administrators have no part in it. Expectations are written
// out by hand; nothing asks the authorizer. It shares no helper with the
// other matrices: everything here is prefixed bm.

// bmRole is one caller of the support matrix.
type bmRole int

const (
	bmEcoIssuer    bmRole = iota // issuer@bureau:economy-it: compute-voucher, open-source-award, innovation-center-support, demonstration-award
	bmFinIssuer                  // issuer@bureau:financial-office: loan-interest-subsidy
	bmSciIssuer                  // issuer@bureau:science-tech: rd-matching
	bmCyberIssuer                // issuer@bureau:cyberspace: model-filing-reward
	bmTalentIssuer               // issuer@bureau:talent-office: decides no measure
	bmEcoViewer                  // viewer@bureau:economy-it
	bmOtherViewer                // viewer@bureau:sasac: a bureau of no measure
	bmMember                     // member@enterprise:<own>
	bmOtherMember                // member@enterprise:<other>
	bmOperator                   // operator@park:west-lake
	bmAuditor                    // auditor@auditor
	bmAdmin                      // admin@admin
	bmNoToken                    // no Authorization header
	bmBadToken                   // a bearer token the registry never issued
	bmNumRoles
)

func (r bmRole) String() string {
	return [...]string{
		bmEcoIssuer:    "issuer@bureau:economy-it",
		bmFinIssuer:    "issuer@bureau:financial-office",
		bmSciIssuer:    "issuer@bureau:science-tech",
		bmCyberIssuer:  "issuer@bureau:cyberspace",
		bmTalentIssuer: "issuer@bureau:talent-office",
		bmEcoViewer:    "viewer@bureau:economy-it",
		bmOtherViewer:  "viewer@bureau:sasac",
		bmMember:       "member@enterprise:own",
		bmOtherMember:  "member@enterprise:other",
		bmOperator:     "operator@park:west-lake",
		bmAuditor:      "auditor@auditor",
		bmAdmin:        "admin@admin",
		bmNoToken:      "no-token",
		bmBadToken:     "malformed-token",
	}[r]
}

// Outcomes of a call.
const (
	bmOK       = connect.Code(0)
	bmDenied   = connect.CodePermissionDenied
	bmUnauth   = connect.CodeUnauthenticated
	bmNotFound = connect.CodeNotFound
)

// bmExpect gives the outcome for every role; a row must name all of them.
type bmExpect map[bmRole]connect.Code

// The expectation sets of the rows. Each lists every role explicitly.
var (
	// bmSignedIn: ListMeasures, for anyone signed in.
	bmSignedIn = bmExpect{
		bmEcoIssuer: bmOK, bmFinIssuer: bmOK, bmSciIssuer: bmOK, bmCyberIssuer: bmOK, bmTalentIssuer: bmOK,
		bmEcoViewer: bmOK, bmOtherViewer: bmOK, bmMember: bmOK, bmOtherMember: bmOK,
		bmOperator: bmOK, bmAuditor: bmOK, bmAdmin: bmOK, bmNoToken: bmUnauth, bmBadToken: bmUnauth,
	}
	// bmPublic: the transparency list, for anyone, token or not (a token
	// is not even read).
	bmPublic = bmExpect{
		bmEcoIssuer: bmOK, bmFinIssuer: bmOK, bmSciIssuer: bmOK, bmCyberIssuer: bmOK, bmTalentIssuer: bmOK,
		bmEcoViewer: bmOK, bmOtherViewer: bmOK, bmMember: bmOK, bmOtherMember: bmOK,
		bmOperator: bmOK, bmAuditor: bmOK, bmAdmin: bmOK, bmNoToken: bmOK, bmBadToken: bmOK,
	}
	// bmListers: an unfiltered list: every bureau's staff and the auditor
	// list all support; members succeed but see only their own (checked
	// in the row); park staff and administrators may read none.
	bmListers = bmExpect{
		bmEcoIssuer: bmOK, bmFinIssuer: bmOK, bmSciIssuer: bmOK, bmCyberIssuer: bmOK, bmTalentIssuer: bmOK,
		bmEcoViewer: bmOK, bmOtherViewer: bmOK, bmMember: bmOK, bmOtherMember: bmOK,
		bmOperator: bmDenied, bmAuditor: bmOK, bmAdmin: bmDenied, bmNoToken: bmUnauth, bmBadToken: bmUnauth,
	}
	// bmReadsOwnRecord: one record of the own enterprise by id: another
	// enterprise's member learns nothing of it, as of an id that names
	// nothing (not_found).
	bmReadsOwnRecord = bmExpect{
		bmEcoIssuer: bmOK, bmFinIssuer: bmOK, bmSciIssuer: bmOK, bmCyberIssuer: bmOK, bmTalentIssuer: bmOK,
		bmEcoViewer: bmOK, bmOtherViewer: bmOK, bmMember: bmOK, bmOtherMember: bmNotFound,
		bmOperator: bmDenied, bmAuditor: bmOK, bmAdmin: bmDenied, bmNoToken: bmUnauth, bmBadToken: bmUnauth,
	}
	// bmReadsOwnEnterprise: what the own enterprise received, asked by
	// its credit code (a statement, a list filtered to it): another
	// enterprise's member is refused.
	bmReadsOwnEnterprise = bmExpect{
		bmEcoIssuer: bmOK, bmFinIssuer: bmOK, bmSciIssuer: bmOK, bmCyberIssuer: bmOK, bmTalentIssuer: bmOK,
		bmEcoViewer: bmOK, bmOtherViewer: bmOK, bmMember: bmOK, bmOtherMember: bmDenied,
		bmOperator: bmDenied, bmAuditor: bmOK, bmAdmin: bmDenied, bmNoToken: bmUnauth, bmBadToken: bmUnauth,
	}
	// bmUnknownRecord: an application id that names nothing: whoever
	// reads some support learns not_found, members included, as they do
	// for another enterprise's; the others are refused.
	bmUnknownRecord = bmExpect{
		bmEcoIssuer: bmNotFound, bmFinIssuer: bmNotFound, bmSciIssuer: bmNotFound, bmCyberIssuer: bmNotFound, bmTalentIssuer: bmNotFound,
		bmEcoViewer: bmNotFound, bmOtherViewer: bmNotFound, bmMember: bmNotFound, bmOtherMember: bmNotFound,
		bmOperator: bmDenied, bmAuditor: bmNotFound, bmAdmin: bmDenied, bmNoToken: bmUnauth, bmBadToken: bmUnauth,
	}
	// bmDecidersNotFound: deciding, paying, recovering or settling what
	// names nothing: the four deciding bureaus' issuers, who may act on
	// some measure, learn not_found; everyone else is refused before
	// anything is read.
	bmDecidersNotFound = bmExpect{
		bmEcoIssuer: bmNotFound, bmFinIssuer: bmNotFound, bmSciIssuer: bmNotFound, bmCyberIssuer: bmNotFound, bmTalentIssuer: bmDenied,
		bmEcoViewer: bmDenied, bmOtherViewer: bmDenied, bmMember: bmDenied, bmOtherMember: bmDenied,
		bmOperator: bmDenied, bmAuditor: bmDenied, bmAdmin: bmDenied, bmNoToken: bmUnauth, bmBadToken: bmUnauth,
	}
)

// bmOnly: the deciding bureau's issuer alone (DecideApplication,
// RecordDisbursement, RecoverAward, SettleRecovery); with members, when
// members may too (ApplyForSupport for their own enterprise).
func bmOnly(bureau bmRole, member bool) bmExpect {
	want := bmExpect{}
	for r := range bmNumRoles {
		want[r] = bmDenied
	}
	want[bureau] = bmOK
	if member {
		want[bmMember] = bmOK
	}
	want[bmNoToken], want[bmBadToken] = bmUnauth, bmUnauth
	return want
}

// bmMeasure is a measure with the bureau that decides it and an
// application it approves.
type bmMeasure struct {
	code   string
	bureau bmRole
	// apply fills an application of the measure: kind, cost and, for
	// loans, the project and principal.
	apply func(req *registryv1.ApplyForSupportRequest)
}

var bmMeasures = []bmMeasure{
	{"compute-voucher", bmEcoIssuer, func(r *registryv1.ApplyForSupportRequest) {
		r.BasisKind, r.BasisAmountFen = "other-compute", 10_000_000 // 20,000 yuan awarded
	}},
	{"loan-interest-subsidy", bmFinIssuer, func(r *registryv1.ApplyForSupportRequest) {
		r.BasisKind, r.BasisAmountFen, r.ProjectTotalFen, r.LoanPrincipalFen = "loan-interest", 20_000_000, 6_000_000_000, 1_000_000_000
	}},
	{"rd-matching", bmSciIssuer, func(r *registryv1.ApplyForSupportRequest) {
		r.BasisKind, r.BasisAmountFen = "national-funding", 100_000_000
	}},
	{"model-filing-reward", bmCyberIssuer, func(r *registryv1.ApplyForSupportRequest) {
		r.BasisKind, r.BasisAmountFen = "evaluation-fees", 10_000_000
	}},
	{"open-source-award", bmEcoIssuer, func(r *registryv1.ApplyForSupportRequest) {
		r.BasisKind, r.BasisAmountFen = "open-source-contribution", 30_000_000
	}},
	{"innovation-center-support", bmEcoIssuer, func(r *registryv1.ApplyForSupportRequest) {
		r.BasisKind, r.BasisAmountFen = "approved-investment", 1_000_000_000
	}},
	{"demonstration-award", bmEcoIssuer, func(r *registryv1.ApplyForSupportRequest) {
		r.BasisKind, r.BasisAmountFen = "demonstration-project", 20_000_000
	}},
}

// The amounts the rows move: each successful payment or recovery order.
const (
	bmPaidFen = int64(1_000_000) // paid on every fixture award
	bmStepFen = int64(100)
)

// bmFixture is what every case of one database shares: a client per role,
// the own and other enterprises, and a third, paid, holding one award of
// every measure with bmPaidFen paid on it.
type bmFixture struct {
	env *rpctest.Env
	as  [bmNumRoles]*rpctest.Clients

	own, other, paid string
	ownApp           string            // a pending compute-voucher application of own
	awards           map[string]string // measure → the paid enterprise's award

	seq int
}

func (f *bmFixture) next() int { f.seq++; return f.seq }

func newBMFixture(t *testing.T, db storetest.Database) *bmFixture {
	t.Helper()
	env := rpctest.New(quietTB{t}, db)
	f := &bmFixture{
		env: env, own: registrytest.CreditCode(t, "91330106MA2BM0001"), other: registrytest.CreditCode(t, "91330106MA2BM0002"),
		paid: registrytest.CreditCode(t, "91330106MA2BM0003"), awards: map[string]string{},
	}
	orgs := map[bmRole][2]string{
		bmEcoIssuer:    {"issuer", "bureau:economy-it"},
		bmFinIssuer:    {"issuer", "bureau:financial-office"},
		bmSciIssuer:    {"issuer", "bureau:science-tech"},
		bmCyberIssuer:  {"issuer", "bureau:cyberspace"},
		bmTalentIssuer: {"issuer", "bureau:talent-office"},
		bmEcoViewer:    {"viewer", "bureau:economy-it"},
		bmOtherViewer:  {"viewer", "bureau:sasac"},
		bmMember:       {"member", "enterprise:" + f.own},
		bmOtherMember:  {"member", "enterprise:" + f.other},
		bmOperator:     {"operator", "park:west-lake"},
		bmAuditor:      {"auditor", "auditor"},
		bmAdmin:        {"admin", "admin"},
	}
	for r, p := range orgs {
		f.as[r] = env.As(p[0], p[1])
	}
	f.as[bmNoToken] = env.ClientsWithToken("")
	f.as[bmBadToken] = env.ClientsWithToken("rgt_not!a*registry*token")

	ctx := t.Context()
	for _, code := range []string{f.own, f.other, f.paid} {
		if _, err := f.as[bmEcoIssuer].Enterprise.RegisterEnterprise(ctx, &registryv1.RegisterEnterpriseRequest{
			CreditCode: code, Name: "企业 " + code, District: "西湖区", RegisteredOn: "2024-01-10",
		}); err != nil {
			t.Fatalf("fixture: register %s: %v", code, err)
		}
		// The prerequisites of model-filing-reward and innovation-center-support.
		f.grant(t, bmCyberIssuer, "model-filing", code)
		f.grant(t, bmEcoIssuer, "innovation-center", code)
	}
	for _, m := range bmMeasures {
		app := f.apply(t, bmMember, m, f.paid)
		decided, err := f.as[m.bureau].Benefit.DecideApplication(ctx, &registryv1.DecideApplicationRequest{Id: app.Id, Approve: true})
		if err != nil {
			t.Fatalf("fixture: approving %s: %v", m.code, err)
		}
		f.awards[m.code] = decided.Award.Id
		if _, err := f.as[m.bureau].Benefit.RecordDisbursement(ctx, &registryv1.RecordDisbursementRequest{
			AwardId: decided.Award.Id, AmountFen: bmPaidFen, PaidOn: "2026-06-15", Payer: "city",
		}); err != nil {
			t.Fatalf("fixture: paying %s: %v", m.code, err)
		}
	}
	f.ownApp = f.apply(t, bmMember, bmMeasures[0], f.own).Id
	return f
}

func (f *bmFixture) grant(t *testing.T, by bmRole, typ, code string) {
	t.Helper()
	if _, err := f.as[by].Designation.GrantDesignation(t.Context(), &registryv1.GrantDesignationRequest{
		Type: typ, EnterpriseCreditCode: code, ValidFrom: "2026-01-01", ValidUntil: "2027-12-31", DocumentNumber: fmt.Sprintf("杭支持矩阵〔2026〕%d号", f.next()),
	}); err != nil {
		t.Fatalf("fixture: %s granting %s to %s: %v", by, typ, code, err)
	}
}

// application is an application of m for enterprise on a fresh cost item.
func (f *bmFixture) application(m bmMeasure, enterprise string) *registryv1.ApplyForSupportRequest {
	req := &registryv1.ApplyForSupportRequest{
		MeasureCode: m.code, EnterpriseCreditCode: enterprise, Year: 2026,
		BasisReference: fmt.Sprintf("BM-%d", f.next()), BasisDate: "2026-05-01", Evidence: "矩阵测试材料",
	}
	m.apply(req)
	return req
}

// apply files an application of m for enterprise as by, pending.
func (f *bmFixture) apply(t *testing.T, by bmRole, m bmMeasure, enterprise string) *registryv1.Application {
	t.Helper()
	if by == bmMember && enterprise == f.paid {
		by = m.bureau // the paid enterprise has no member here
	}
	res, err := f.as[by].Benefit.ApplyForSupport(t.Context(), f.application(m, enterprise))
	if err != nil {
		t.Fatalf("fixture: %s applying for %s: %v", by, m.code, err)
	}
	return res.Application
}

// readApplication reads an application as the auditor.
func (f *bmFixture) readApplication(t *testing.T, id string) *registryv1.Application {
	t.Helper()
	res, err := f.as[bmAuditor].Benefit.GetApplication(t.Context(), &registryv1.GetApplicationRequest{Id: id})
	if err != nil {
		t.Fatalf("auditor reading application %s: %v", id, err)
	}
	return res.Application
}

// award reads the paid enterprise's award of measure as the auditor.
func (f *bmFixture) award(t *testing.T, measure string) *registryv1.SupportAward {
	t.Helper()
	res, err := f.as[bmAuditor].Benefit.ListAwards(t.Context(), &registryv1.ListSupportAwardsRequest{
		EnterpriseCreditCode: f.paid, MeasureCode: measure, PageSize: 500,
	})
	if err != nil {
		t.Fatalf("auditor listing awards: %v", err)
	}
	i := slices.IndexFunc(res.Awards, func(a *registryv1.SupportAward) bool { return a.Id == f.awards[measure] })
	if i < 0 {
		t.Fatalf("the %s award %s is not listed", measure, f.awards[measure])
	}
	return res.Awards[i]
}

// recover orders bmStepFen of the measure's award back as its bureau.
func (f *bmFixture) recover(t *testing.T, m bmMeasure) *registryv1.Recovery {
	t.Helper()
	res, err := f.as[m.bureau].Benefit.RecoverAward(t.Context(), &registryv1.RecoverAwardRequest{
		AwardId: f.awards[m.code], AmountFen: bmStepFen, Reason: "矩阵测试：追回",
	})
	if err != nil {
		t.Fatalf("fixture: recovering %s: %v", m.code, err)
	}
	return res.Recovery
}

// settle settles a recovery order as the measure's bureau, so that the
// paid enterprise never stays barred from support.
func (f *bmFixture) settle(t *testing.T, m bmMeasure, id string) {
	t.Helper()
	if _, err := f.as[m.bureau].Benefit.SettleRecovery(t.Context(), &registryv1.SettleRecoveryRequest{RecoveryId: id}); err != nil {
		t.Fatalf("fixture: settling %s: %v", id, err)
	}
}

// bmResult is what a case's call returned (see result).
type bmResult = result

// bmRow is one RPC (in one situation) and its outcome for every role.
type bmRow = matrixCall[*bmFixture, bmRole]

// TestSupportMatrix calls every RPC of BenefitService, and the public
// transparency list, as every role and asserts the exact outcome.
func TestSupportMatrix(t *testing.T) {
	rows := bmRows()
	requireExpectations(t, bmNumRoles, rows)
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		runMatrixRows(t, newBMFixture(t, db), bmNumRoles, rows)
	})
}

// bmCapRows set the own enterprise's 2026 cap under the measures with
// one, each caller asking for a cap of its own, so that a success shows
// in the statement.
func bmCapRows() []bmRow {
	var rows []bmRow
	for _, c := range []struct {
		code   string
		bureau bmRole
	}{{"compute-voucher", bmEcoIssuer}, {"loan-interest-subsidy", bmFinIssuer}} {
		rows = append(rows, bmRow{rpc: "BenefitService.SetEnterpriseCap:" + c.code, want: bmOnly(c.bureau, false), call: func(t *testing.T, f *bmFixture, r bmRole) bmResult {
			capOf := func() int64 {
				st, err := f.as[bmAuditor].Benefit.GetSupportStatement(t.Context(), &registryv1.GetSupportStatementRequest{EnterpriseCreditCode: f.own, Year: 2026})
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range st.Measures {
					if m.MeasureCode == c.code {
						return m.EnterpriseYearCapFen
					}
				}
				t.Fatalf("the statement has no %s", c.code)
				return 0
			}
			before, asked := capOf(), 2_000_000_000+int64(r)*100
			_, err := f.as[r].Benefit.SetEnterpriseCap(t.Context(), &registryv1.SetEnterpriseCapRequest{
				MeasureCode: c.code, EnterpriseCreditCode: f.own, Year: 2026, CapFen: asked, Reason: "矩阵测试：核定上限",
			})
			return bmResult{err, func(t *testing.T, succeeded bool) {
				after := capOf()
				if want := map[bool]int64{true: asked, false: before}[succeeded]; after != want {
					t.Errorf("set cap succeeded = %v: cap %d -> %d", succeeded, before, after)
				}
			}}
		}})
	}
	return rows
}

func bmRows() []bmRow {
	rows := bmCapRows()
	rows = append(rows, []bmRow{
		{rpc: "BenefitService.ListMeasures", want: bmSignedIn, call: func(t *testing.T, f *bmFixture, r bmRole) bmResult {
			res, err := f.as[r].Benefit.ListMeasures(t.Context(), &registryv1.ListMeasuresRequest{})
			return bmResult{err, func(t *testing.T, succeeded bool) {
				if !succeeded {
					return
				}
				var codes []string
				for _, m := range res.Measures {
					codes = append(codes, m.Code)
				}
				if len(codes) != len(bmMeasures) {
					t.Errorf("measures %v, want %d", codes, len(bmMeasures))
				}
				i := slices.IndexFunc(res.Measures, func(m *registryv1.Measure) bool { return m.Code == "compute-voucher" })
				if i < 0 {
					t.Fatalf("no compute-voucher among %v", codes)
				}
				// The fixture awarded 20,000 yuan of it in 2026.
				if m := res.Measures[i]; m.Bureau != "economy-it" || m.YearlyBudgetFen != 25_000_000_000 || m.BudgetLeftFen != 25_000_000_000-2_000_000 ||
					m.Year != 2026 || m.WindowFrom != "2024-08-19" || m.WindowUntil != "2027-12-31" || len(m.BasisKinds) != 3 {
					t.Errorf("compute-voucher: %v", m)
				}
			}}
		}},
		{rpc: "BenefitService.GetApplication:own", want: bmReadsOwnRecord, call: func(t *testing.T, f *bmFixture, r bmRole) bmResult {
			res, err := f.as[r].Benefit.GetApplication(t.Context(), &registryv1.GetApplicationRequest{Id: f.ownApp})
			return bmResult{err, func(t *testing.T, succeeded bool) {
				if !succeeded {
					return
				}
				a := res.Application
				// Only those who decide compute vouchers see the preview.
				if a.Id != f.ownApp || a.EnterpriseCreditCode != f.own || a.BreakdownIsPreview != (r == bmEcoIssuer) ||
					(r == bmEcoIssuer) != (a.AwardedFen == 2_000_000) {
					t.Errorf("%s reads %v", r, a)
				}
			}}
		}},
		{rpc: "BenefitService.GetApplication:unknown-id", want: bmUnknownRecord, call: func(t *testing.T, f *bmFixture, r bmRole) bmResult {
			_, err := f.as[r].Benefit.GetApplication(t.Context(), &registryv1.GetApplicationRequest{Id: "app_01900000-0000-7000-8000-00000000beef"})
			return bmResult{err: err}
		}},
		{rpc: "BenefitService.ListApplications", want: bmListers, call: func(t *testing.T, f *bmFixture, r bmRole) bmResult {
			res, err := f.as[r].Benefit.ListApplications(t.Context(), &registryv1.ListApplicationsRequest{PageSize: 500})
			return bmResult{err, func(t *testing.T, succeeded bool) {
				if !succeeded {
					return
				}
				bmCheckScope(t, f, r, bmKeys(res.Applications, func(a *registryv1.Application) string { return a.EnterpriseCreditCode }))
				if r != bmOtherMember && !slices.ContainsFunc(res.Applications, func(a *registryv1.Application) bool { return a.Id == f.ownApp }) {
					t.Errorf("%s does not list the own application", r)
				}
			}}
		}},
		{rpc: "BenefitService.ListApplications:enterprise=own,pending", want: bmReadsOwnEnterprise, call: func(t *testing.T, f *bmFixture, r bmRole) bmResult {
			res, err := f.as[r].Benefit.ListApplications(t.Context(), &registryv1.ListApplicationsRequest{
				EnterpriseCreditCode: f.own, Status: registryv1.ApplicationStatus_APPLICATION_STATUS_PENDING, PageSize: 500,
			})
			return bmResult{err, func(t *testing.T, succeeded bool) {
				if !succeeded {
					return
				}
				for _, a := range res.Applications {
					if a.EnterpriseCreditCode != f.own || a.Status != registryv1.ApplicationStatus_APPLICATION_STATUS_PENDING {
						t.Errorf("listed %s of %s, %s", a.Id, a.EnterpriseCreditCode, a.Status)
					}
				}
				if !slices.ContainsFunc(res.Applications, func(a *registryv1.Application) bool { return a.Id == f.ownApp }) {
					t.Errorf("%s does not list the own pending application", r)
				}
			}}
		}},
		{rpc: "BenefitService.ListAwards", want: bmListers, call: func(t *testing.T, f *bmFixture, r bmRole) bmResult {
			res, err := f.as[r].Benefit.ListAwards(t.Context(), &registryv1.ListSupportAwardsRequest{PageSize: 500})
			return bmResult{err, func(t *testing.T, succeeded bool) {
				if !succeeded {
					return
				}
				bmCheckScope(t, f, r, bmKeys(res.Awards, func(a *registryv1.SupportAward) string { return a.EnterpriseCreditCode }))
				paid := slices.ContainsFunc(res.Awards, func(a *registryv1.SupportAward) bool { return a.Id == f.awards["rd-matching"] })
				if want := r != bmMember && r != bmOtherMember; paid != want {
					t.Errorf("%s lists the paid enterprise's award: %v, want %v", r, paid, want)
				}
			}}
		}},
		{rpc: "BenefitService.ListAwards:enterprise=own", want: bmReadsOwnEnterprise, call: func(t *testing.T, f *bmFixture, r bmRole) bmResult {
			res, err := f.as[r].Benefit.ListAwards(t.Context(), &registryv1.ListSupportAwardsRequest{EnterpriseCreditCode: f.own, PageSize: 500})
			return bmResult{err, func(t *testing.T, succeeded bool) {
				for _, a := range res.GetAwards() {
					if a.EnterpriseCreditCode != f.own {
						t.Errorf("listed award %s of %s", a.Id, a.EnterpriseCreditCode)
					}
				}
			}}
		}},
		{rpc: "BenefitService.GetSupportStatement:own", want: bmReadsOwnEnterprise, call: func(t *testing.T, f *bmFixture, r bmRole) bmResult {
			return bmStatement(t, f, r, f.own)
		}},
		{rpc: "BenefitService.GetSupportStatement:other", want: bmExpect{
			bmEcoIssuer: bmOK, bmFinIssuer: bmOK, bmSciIssuer: bmOK, bmCyberIssuer: bmOK, bmTalentIssuer: bmOK,
			bmEcoViewer: bmOK, bmOtherViewer: bmOK, bmMember: bmDenied, bmOtherMember: bmOK,
			bmOperator: bmDenied, bmAuditor: bmOK, bmAdmin: bmDenied, bmNoToken: bmUnauth, bmBadToken: bmUnauth,
		}, call: func(t *testing.T, f *bmFixture, r bmRole) bmResult {
			return bmStatement(t, f, r, f.other)
		}},
		{rpc: "BenefitService.GetSupportStatement:paid", want: bmExpect{
			bmEcoIssuer: bmOK, bmFinIssuer: bmOK, bmSciIssuer: bmOK, bmCyberIssuer: bmOK, bmTalentIssuer: bmOK,
			bmEcoViewer: bmOK, bmOtherViewer: bmOK, bmMember: bmDenied, bmOtherMember: bmDenied,
			bmOperator: bmDenied, bmAuditor: bmOK, bmAdmin: bmDenied, bmNoToken: bmUnauth, bmBadToken: bmUnauth,
		}, call: func(t *testing.T, f *bmFixture, r bmRole) bmResult {
			return bmStatement(t, f, r, f.paid)
		}},
		{rpc: "VerificationService.ListPublishedAwards", want: bmPublic, call: func(t *testing.T, f *bmFixture, r bmRole) bmResult {
			res, err := f.as[r].Verification.ListPublishedAwards(t.Context(), &registryv1.ListPublishedAwardsRequest{PageSize: 500})
			return bmResult{err, func(t *testing.T, succeeded bool) {
				if !succeeded {
					return
				}
				ids := bmKeys(res.Awards, func(a *registryv1.PublishedAward) string { return a.AwardId })
				// 100,000 yuan and more are published; the 20,000 yuan
				// compute voucher is not.
				for _, m := range bmMeasures {
					if listed, want := slices.Contains(ids, f.awards[m.code]), m.code != "compute-voucher"; listed != want {
						t.Errorf("the %s award published: %v, want %v", m.code, listed, want)
					}
				}
				for _, a := range res.Awards {
					if a.AwardedFen < res.ThresholdFen || a.EnterpriseName == "" || a.MeasureNameZh == "" {
						t.Errorf("published %v under the threshold %d", a, res.ThresholdFen)
					}
				}
			}}
		}},
	}...)
	for _, m := range bmMeasures {
		rows = append(rows, bmMeasureRows(m)...)
	}
	return append(rows,
		bmRow{rpc: "BenefitService.DecideApplication:unknown-id", want: bmDecidersNotFound, call: func(t *testing.T, f *bmFixture, r bmRole) bmResult {
			_, err := f.as[r].Benefit.DecideApplication(t.Context(), &registryv1.DecideApplicationRequest{Id: "app_01900000-0000-7000-8000-00000000beef", Approve: true})
			return bmResult{err: err}
		}},
		bmRow{rpc: "BenefitService.RecordDisbursement:unknown-id", want: bmDecidersNotFound, call: func(t *testing.T, f *bmFixture, r bmRole) bmResult {
			_, err := f.as[r].Benefit.RecordDisbursement(t.Context(), &registryv1.RecordDisbursementRequest{
				AwardId: "awd_01900000-0000-7000-8000-00000000beef", AmountFen: bmStepFen, PaidOn: "2026-06-15", Payer: "city",
			})
			return bmResult{err: err}
		}},
		bmRow{rpc: "BenefitService.RecoverAward:unknown-id", want: bmDecidersNotFound, call: func(t *testing.T, f *bmFixture, r bmRole) bmResult {
			_, err := f.as[r].Benefit.RecoverAward(t.Context(), &registryv1.RecoverAwardRequest{
				AwardId: "awd_01900000-0000-7000-8000-00000000beef", AmountFen: bmStepFen, Reason: "矩阵测试",
			})
			return bmResult{err: err}
		}},
		bmRow{rpc: "BenefitService.SettleRecovery:unknown-id", want: bmDecidersNotFound, call: func(t *testing.T, f *bmFixture, r bmRole) bmResult {
			_, err := f.as[r].Benefit.SettleRecovery(t.Context(), &registryv1.SettleRecoveryRequest{RecoveryId: "rcv_01900000-0000-7000-8000-00000000beef"})
			return bmResult{err: err}
		}},
	)
}

// bmMeasureRows are the calls that change support under m: applying for
// the own enterprise, deciding its application, paying the paid
// enterprise's award, ordering part of it back and settling an order.
func bmMeasureRows(m bmMeasure) []bmRow {
	return []bmRow{
		{rpc: "BenefitService.ApplyForSupport:" + m.code, want: bmOnly(m.bureau, true), call: func(t *testing.T, f *bmFixture, r bmRole) bmResult {
			req := f.application(m, f.own)
			res, err := f.as[r].Benefit.ApplyForSupport(t.Context(), req)
			return bmResult{err, func(t *testing.T, succeeded bool) {
				list, lerr := f.as[bmAuditor].Benefit.ListApplications(t.Context(), &registryv1.ListApplicationsRequest{
					EnterpriseCreditCode: f.own, MeasureCode: m.code, PageSize: 500,
				})
				if lerr != nil {
					t.Fatal(lerr)
				}
				stored := slices.ContainsFunc(list.Applications, func(a *registryv1.Application) bool { return a.BasisReference == req.BasisReference })
				if stored != succeeded {
					t.Errorf("apply succeeded = %v but the application is stored = %v", succeeded, stored)
				}
				if succeeded && (res.Application.Status != registryv1.ApplicationStatus_APPLICATION_STATUS_PENDING || res.Application.MeasureCode != m.code) {
					t.Errorf("applied: %v", res.Application)
				}
			}}
		}},
		{rpc: "BenefitService.DecideApplication:" + m.code, want: bmOnly(m.bureau, false), call: func(t *testing.T, f *bmFixture, r bmRole) bmResult {
			app := f.apply(t, bmMember, m, f.own)
			res, err := f.as[r].Benefit.DecideApplication(t.Context(), &registryv1.DecideApplicationRequest{Id: app.Id, Approve: true, Reason: "矩阵测试：同意"})
			return bmResult{err, func(t *testing.T, succeeded bool) {
				after := f.readApplication(t, app.Id)
				if approved := after.Status == registryv1.ApplicationStatus_APPLICATION_STATUS_APPROVED; approved != succeeded {
					t.Errorf("decide succeeded = %v but the application is %s", succeeded, after.Status)
				}
				if succeeded && (res.Award.GetId() == "" || after.AwardId != res.Award.Id || after.AwardedFen <= 0 || len(after.Breakdown) == 0) {
					t.Errorf("approved %v, award %v", after, res.Award)
				}
				if !succeeded && (after.AwardId != "" || after.DecidedAt != nil) {
					t.Errorf("a refused decision left %v", after)
				}
			}}
		}},
		{rpc: "BenefitService.RecordDisbursement:" + m.code, want: bmOnly(m.bureau, false), call: func(t *testing.T, f *bmFixture, r bmRole) bmResult {
			before := f.award(t, m.code)
			_, err := f.as[r].Benefit.RecordDisbursement(t.Context(), &registryv1.RecordDisbursementRequest{
				AwardId: f.awards[m.code], AmountFen: bmStepFen, PaidOn: "2026-06-15", Payer: "district:330106",
			})
			return bmResult{err, func(t *testing.T, succeeded bool) {
				after := f.award(t, m.code)
				if want := before.DisbursedFen + map[bool]int64{true: bmStepFen}[succeeded]; after.DisbursedFen != want || len(after.Disbursements) != len(before.Disbursements)+map[bool]int{true: 1}[succeeded] {
					t.Errorf("pay succeeded = %v: disbursed %d -> %d", succeeded, before.DisbursedFen, after.DisbursedFen)
				}
			}}
		}},
		{rpc: "BenefitService.RecoverAward:" + m.code, want: bmOnly(m.bureau, false), call: func(t *testing.T, f *bmFixture, r bmRole) bmResult {
			before := f.award(t, m.code)
			res, err := f.as[r].Benefit.RecoverAward(t.Context(), &registryv1.RecoverAwardRequest{
				AwardId: f.awards[m.code], AmountFen: bmStepFen, Reason: "矩阵测试：追回",
			})
			return bmResult{err, func(t *testing.T, succeeded bool) {
				after := f.award(t, m.code)
				if want := before.RecoveredFen + map[bool]int64{true: bmStepFen}[succeeded]; after.RecoveredFen != want {
					t.Errorf("recover succeeded = %v: recovered %d -> %d", succeeded, before.RecoveredFen, after.RecoveredFen)
				}
				if succeeded {
					f.settle(t, m, res.Recovery.Id)
				}
			}}
		}},
		{rpc: "BenefitService.SettleRecovery:" + m.code, want: bmOnly(m.bureau, false), call: func(t *testing.T, f *bmFixture, r bmRole) bmResult {
			order := f.recover(t, m)
			_, err := f.as[r].Benefit.SettleRecovery(t.Context(), &registryv1.SettleRecoveryRequest{RecoveryId: order.Id})
			return bmResult{err, func(t *testing.T, succeeded bool) {
				after := f.award(t, m.code)
				i := slices.IndexFunc(after.Recoveries, func(x *registryv1.Recovery) bool { return x.Id == order.Id })
				if i < 0 {
					t.Fatalf("recovery %s is not on its award", order.Id)
				}
				if settled := after.Recoveries[i].SettledOn != ""; settled != succeeded {
					t.Errorf("settle succeeded = %v but the order reads %v", succeeded, after.Recoveries[i])
				}
				if !succeeded {
					f.settle(t, m, order.Id)
				}
			}}
		}},
	}
}

// bmStatement reads the statement of enterprise for 2026 as r and checks
// that it adds up and names the enterprise.
func bmStatement(t *testing.T, f *bmFixture, r bmRole, enterprise string) bmResult {
	res, err := f.as[r].Benefit.GetSupportStatement(t.Context(), &registryv1.GetSupportStatementRequest{EnterpriseCreditCode: enterprise, Year: 2026})
	return bmResult{err, func(t *testing.T, succeeded bool) {
		if !succeeded {
			return
		}
		if res.EnterpriseCreditCode != enterprise || res.AwardedFen != res.DisbursedFen+res.OutstandingFen-res.RecoveredFen ||
			res.Attestation == "" || len(res.Measures) != len(bmMeasures) {
			t.Errorf("statement of %s: %v", enterprise, res)
		}
		if enterprise == f.paid && len(res.Awards) != len(bmMeasures) {
			t.Errorf("the paid enterprise's statement lists %d awards, want %d", len(res.Awards), len(bmMeasures))
		}
	}}
}

// bmCheckScope checks that a member lists only its own enterprise's
// support.
func bmCheckScope(t *testing.T, f *bmFixture, r bmRole, enterprises []string) {
	t.Helper()
	own := map[bmRole]string{bmMember: f.own, bmOtherMember: f.other}[r]
	for _, e := range enterprises {
		if own != "" && e != own {
			t.Errorf("%s lists support of %s", r, e)
		}
	}
}

// bmKeys maps list with key.
func bmKeys[T any](list []T, key func(T) string) []string {
	out := make([]string, len(list))
	for i, x := range list {
		out[i] = key(x)
	}
	return out
}
