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

// This file is the authorization matrix of the talent office's two
// services, TalentAuthorizationService and CompetitionService: every RPC,
// called by every kind of caller, answers with exactly the Connect code the
// rules (DOMAIN.md and authz/policy.go's default policy) demand, and a
// mutation happens exactly when the call succeeds. Expectations are
// written out by hand; nothing asks the authorizer. It shares no helper
// with matrix_test.go: everything here is prefixed tm.

// tmRole is one caller of the talent matrix.
type tmRole int

const (
	tmTalentIssuer  tmRole = iota // issuer@bureau:talent-office
	tmEcoIssuer                   // issuer@bureau:economy-it
	tmEcoViewer                   // viewer@bureau:economy-it
	tmDevIssuer                   // issuer@bureau:development-reform
	tmOwnMember                   // member@enterprise:<own>
	tmOwnAssessor                 // talent-assessor@enterprise:<own>; own holds a talent authorization
	tmOtherAssessor               // talent-assessor@enterprise:<other>; other holds none
	tmOtherMember                 // member@enterprise:<other>
	tmParkOperator                // operator@park:west-lake
	tmAuditor                     // auditor@auditor
	tmAdmin                       // admin@admin
	tmNoToken                     // no Authorization header
	tmNumRoles
)

func (r tmRole) String() string {
	return [...]string{
		tmTalentIssuer:  "issuer@bureau:talent-office",
		tmEcoIssuer:     "issuer@bureau:economy-it",
		tmEcoViewer:     "viewer@bureau:economy-it",
		tmDevIssuer:     "issuer@bureau:development-reform",
		tmOwnMember:     "member@enterprise:own",
		tmOwnAssessor:   "talent-assessor@enterprise:own",
		tmOtherAssessor: "talent-assessor@enterprise:other",
		tmOtherMember:   "member@enterprise:other",
		tmParkOperator:  "operator@park:west-lake",
		tmAuditor:       "auditor@auditor",
		tmAdmin:         "admin@admin",
		tmNoToken:       "no-token",
	}[r]
}

// ownStaff and otherStaff tell which enterprise a caller works for.
func (r tmRole) ownStaff() bool   { return r == tmOwnMember || r == tmOwnAssessor }
func (r tmRole) otherStaff() bool { return r == tmOtherMember || r == tmOtherAssessor }

// Outcomes of a call.
const (
	tmOK       = connect.Code(0)
	tmDenied   = connect.CodePermissionDenied
	tmUnauth   = connect.CodeUnauthenticated
	tmNotFound = connect.CodeNotFound
	tmFailed   = connect.CodeFailedPrecondition
	tmExists   = connect.CodeAlreadyExists
)

// tmExpect gives the outcome for every role; a row must name all of them.
type tmExpect map[tmRole]connect.Code

// The expectation sets of the rows. Each lists every role explicitly.
var (
	// tmTalentOfficeOnly: IssueTalentAuthorization and
	// RevokeTalentAuthorization (the talent office grants talent
	// authorizations and acts on those it granted) and RecognizeWinner
	// (granting a talent-recognition).
	tmTalentOfficeOnly = tmExpect{
		tmTalentIssuer: tmOK, tmEcoIssuer: tmDenied, tmEcoViewer: tmDenied, tmDevIssuer: tmDenied,
		tmOwnMember: tmDenied, tmOwnAssessor: tmDenied, tmOtherAssessor: tmDenied, tmOtherMember: tmDenied,
		tmParkOperator: tmDenied, tmAuditor: tmDenied, tmAdmin: tmDenied, tmNoToken: tmUnauth,
	}
	// tmEconomyOnly: RegisterCompetition and RecordAwards.
	tmEconomyOnly = tmExpect{
		tmTalentIssuer: tmDenied, tmEcoIssuer: tmOK, tmEcoViewer: tmDenied, tmDevIssuer: tmDenied,
		tmOwnMember: tmDenied, tmOwnAssessor: tmDenied, tmOtherAssessor: tmDenied, tmOtherMember: tmDenied,
		tmParkOperator: tmDenied, tmAuditor: tmDenied, tmAdmin: tmDenied, tmNoToken: tmUnauth,
	}
	// tmReadsOwnAuthorization: reading the own enterprise's authorization:
	// bureau staff and the auditor read any, the own enterprise's member
	// and assessor read theirs, the other enterprise's staff may not.
	tmReadsOwnAuthorization = tmExpect{
		tmTalentIssuer: tmOK, tmEcoIssuer: tmOK, tmEcoViewer: tmOK, tmDevIssuer: tmOK,
		tmOwnMember: tmOK, tmOwnAssessor: tmOK, tmOtherAssessor: tmDenied, tmOtherMember: tmDenied,
		tmParkOperator: tmDenied, tmAuditor: tmOK, tmAdmin: tmDenied, tmNoToken: tmUnauth,
	}
	// tmStaffAndAuditor: bureau staff, enterprise staff and the auditor;
	// not park operators nor administrators. For unfiltered lists of
	// authorizations and awards enterprise staff succeed but see only
	// their own (checked per row); competitions they read in full.
	tmStaffAndAuditor = tmExpect{
		tmTalentIssuer: tmOK, tmEcoIssuer: tmOK, tmEcoViewer: tmOK, tmDevIssuer: tmOK,
		tmOwnMember: tmOK, tmOwnAssessor: tmOK, tmOtherAssessor: tmOK, tmOtherMember: tmOK,
		tmParkOperator: tmDenied, tmAuditor: tmOK, tmAdmin: tmDenied, tmNoToken: tmUnauth,
	}
	// tmOwnAssessorOnly: RecognizeTalent of an own employee under the own
	// enterprise's authorization: its talent assessor alone.
	tmOwnAssessorOnly = tmExpect{
		tmTalentIssuer: tmDenied, tmEcoIssuer: tmDenied, tmEcoViewer: tmDenied, tmDevIssuer: tmDenied,
		tmOwnMember: tmDenied, tmOwnAssessor: tmOK, tmOtherAssessor: tmDenied, tmOtherMember: tmDenied,
		tmParkOperator: tmDenied, tmAuditor: tmDenied, tmAdmin: tmDenied, tmNoToken: tmUnauth,
	}
	// tmWithdrawers: WithdrawRecognition of a recognition the own
	// enterprise made: its assessor, or the talent office.
	tmWithdrawers = tmExpect{
		tmTalentIssuer: tmOK, tmEcoIssuer: tmDenied, tmEcoViewer: tmDenied, tmDevIssuer: tmDenied,
		tmOwnMember: tmDenied, tmOwnAssessor: tmOK, tmOtherAssessor: tmDenied, tmOtherMember: tmDenied,
		tmParkOperator: tmDenied, tmAuditor: tmDenied, tmAdmin: tmDenied, tmNoToken: tmUnauth,
	}

	// Probing rows (TestTalentMatrixProbing). The registry's rule, stated
	// in matrix_test.go: an id that names nothing is not_found to callers
	// who may read every such record and permission_denied to the others
	// (who may read only their own, or none), as for an existing record
	// not theirs, so ids cannot be probed.
	tmUnknownID = tmExpect{
		tmTalentIssuer: tmNotFound, tmEcoIssuer: tmNotFound, tmEcoViewer: tmNotFound, tmDevIssuer: tmNotFound,
		tmOwnMember: tmDenied, tmOwnAssessor: tmDenied, tmOtherAssessor: tmDenied, tmOtherMember: tmDenied,
		tmParkOperator: tmDenied, tmAdmin: tmDenied, tmAuditor: tmNotFound, tmNoToken: tmUnauth,
	}
	// tmUnknownToRevokers: RevokeTalentAuthorization of an unknown id.
	// Callers who may revoke no designation at all are refused before
	// anything is read; issuers (who revoke what their bureau granted and
	// read everything) learn not_found.
	tmUnknownToRevokers = tmExpect{
		tmTalentIssuer: tmNotFound, tmEcoIssuer: tmNotFound, tmEcoViewer: tmDenied, tmDevIssuer: tmNotFound,
		tmOwnMember: tmDenied, tmOwnAssessor: tmDenied, tmOtherAssessor: tmDenied, tmOtherMember: tmDenied,
		tmParkOperator: tmDenied, tmAdmin: tmDenied, tmAuditor: tmDenied, tmNoToken: tmUnauth,
	}
	// tmUnknownToWithdrawers: WithdrawRecognition of an unknown id: only
	// the talent office may withdraw and also reads everything, so it alone
	// learns not_found; assessors may withdraw only their own and are
	// refused as for a recognition not theirs.
	tmUnknownToWithdrawers = tmExpect{
		tmTalentIssuer: tmNotFound, tmEcoIssuer: tmDenied, tmEcoViewer: tmDenied, tmDevIssuer: tmDenied,
		tmOwnMember: tmDenied, tmOwnAssessor: tmDenied, tmOtherAssessor: tmDenied, tmOtherMember: tmDenied,
		tmParkOperator: tmDenied, tmAdmin: tmDenied, tmAuditor: tmDenied, tmNoToken: tmUnauth,
	}
	// tmNoneLearn: RecognizeTalent under an unknown authorization: only
	// assessors may recognise, and they read only their own enterprise's
	// authorizations, so everyone is refused.
	tmNoneLearn = tmExpect{
		tmTalentIssuer: tmDenied, tmEcoIssuer: tmDenied, tmEcoViewer: tmDenied, tmDevIssuer: tmDenied,
		tmOwnMember: tmDenied, tmOwnAssessor: tmDenied, tmOtherAssessor: tmDenied, tmOtherMember: tmDenied,
		tmParkOperator: tmDenied, tmAdmin: tmDenied, tmAuditor: tmDenied, tmNoToken: tmUnauth,
	}
	// tmUnknownCompetition: competitions are readable by every bureau and
	// enterprise, so those callers learn an unknown one is not_found.
	tmUnknownCompetition = tmExpect{
		tmTalentIssuer: tmNotFound, tmEcoIssuer: tmNotFound, tmEcoViewer: tmNotFound, tmDevIssuer: tmNotFound,
		tmOwnMember: tmNotFound, tmOwnAssessor: tmNotFound, tmOtherAssessor: tmNotFound, tmOtherMember: tmNotFound,
		tmParkOperator: tmDenied, tmAdmin: tmDenied, tmAuditor: tmNotFound, tmNoToken: tmUnauth,
	}
	// tmWithdrawDirect: WithdrawRecognition of a recognition the talent
	// office granted directly (not under an authorization), held by an own
	// employee: those who may withdraw it (the talent office; the own
	// assessor, as an owner) learn it is the wrong RPC; everyone else is
	// refused before learning anything about it.
	tmWithdrawDirect = tmExpect{
		tmTalentIssuer: tmFailed, tmEcoIssuer: tmDenied, tmEcoViewer: tmDenied, tmDevIssuer: tmDenied,
		tmOwnMember: tmDenied, tmOwnAssessor: tmFailed, tmOtherAssessor: tmDenied, tmOtherMember: tmDenied,
		tmParkOperator: tmDenied, tmAuditor: tmDenied, tmAdmin: tmDenied, tmNoToken: tmUnauth,
	}
)

// tmUnknownUUID is a well-formed id no record has.
const tmUnknownUUID = "01900000-0000-7000-8000-00000000beef"

// Prizes of the matrix's competitions and the levels they map to.
var tmPrizes = []*registryv1.PrizeLevel{{Prize: "一等奖", Level: "C"}, {Prize: "二等奖", Level: "D"}, {Prize: "三等奖", Level: "E"}}

// tmFixture is what every case of one database shares.
type tmFixture struct {
	env *rpctest.Env
	as  [tmNumRoles]*rpctest.Clients

	own, other                 string // credit codes; own holds auth, other holds nothing
	ownEmployee, otherEmployee string // talent ids
	auth                       string // own's 2026 talent authorization (D: 100, E: 100)

	comp                            string // competition with the three awards below
	ownAward, otherAward, freeAward string // won by ownEmployee, otherEmployee, a winner without employer
	mutComp                         string // competition the mutating rows record awards in

	seq int // numbers fresh objects
}

func (f *tmFixture) next() int { f.seq++; return f.seq }

func newTMFixture(t *testing.T, db storetest.Database) *tmFixture {
	t.Helper()
	env := rpctest.New(quietTB{t}, db)
	f := &tmFixture{env: env, own: registrytest.CreditCode(t, "91330108MA2TM0001"), other: registrytest.CreditCode(t, "91330108MA2TM0002")}
	orgs := map[tmRole][2]string{
		tmTalentIssuer:  {"issuer", "bureau:talent-office"},
		tmEcoIssuer:     {"issuer", "bureau:economy-it"},
		tmEcoViewer:     {"viewer", "bureau:economy-it"},
		tmDevIssuer:     {"issuer", "bureau:development-reform"},
		tmOwnMember:     {"member", "enterprise:" + f.own},
		tmOwnAssessor:   {"talent-assessor", "enterprise:" + f.own},
		tmOtherAssessor: {"talent-assessor", "enterprise:" + f.other},
		tmOtherMember:   {"member", "enterprise:" + f.other},
		tmParkOperator:  {"operator", "park:west-lake"},
		tmAuditor:       {"auditor", "auditor"},
		tmAdmin:         {"admin", "admin"},
	}
	for r, p := range orgs {
		f.as[r] = env.As(p[0], p[1])
	}
	f.as[tmNoToken] = env.ClientsWithToken("")

	f.registerEnterprise(t, f.own)
	f.registerEnterprise(t, f.other)
	f.grantGrowth(t, f.own, "2026-01-01", "2027-12-31")
	f.auth = f.issue(t, f.own, 2026, "2026-01-01", "2026-12-31")
	f.ownEmployee = f.registerTalent(t, f.own)
	f.otherEmployee = f.registerTalent(t, f.other)

	f.comp = f.registerCompetition(t, "矩阵杯人工智能创新大赛")
	awards := f.recordAwards(t, f.comp,
		&registryv1.AwardInput{TalentId: f.ownEmployee, Prize: "一等奖", Team: "甲队"},
		&registryv1.AwardInput{TalentId: f.otherEmployee, Prize: "二等奖", Team: "乙队"},
		&registryv1.AwardInput{Name: "自由获奖者", IdNumber: f.freshIDNumber(t), Prize: "三等奖"},
	)
	f.ownAward, f.otherAward, f.freeAward = awards[0].Id, awards[1].Id, awards[2].Id
	f.mutComp = f.registerCompetition(t, "矩阵杯（变更用）")
	return f
}

// freshCreditCode returns a valid credit code no fixture uses.
func (f *tmFixture) freshCreditCode(t *testing.T) string {
	return registrytest.CreditCode(t, fmt.Sprintf("91330108MA%07d", f.next()))
}

// freshIDNumber returns a valid identity number no fixture uses.
func (f *tmFixture) freshIDNumber(t *testing.T) string {
	n := f.next()
	return registrytest.IDNumber(t, fmt.Sprintf("33010619%02d0101%03d", 80+n/1000%20, n%1000))
}

func (f *tmFixture) registerEnterprise(t *testing.T, code string) {
	t.Helper()
	if _, err := f.as[tmEcoIssuer].Enterprise.RegisterEnterprise(t.Context(), &registryv1.RegisterEnterpriseRequest{CreditCode: code, Name: "企业 " + code, District: "西湖区"}); err != nil {
		t.Fatalf("fixture: register enterprise %s: %v", code, err)
	}
}

// grantGrowth grants code an ai-growth-enterprise designation as economy-it.
func (f *tmFixture) grantGrowth(t *testing.T, code, from, until string) {
	t.Helper()
	if _, err := f.as[tmEcoIssuer].Designation.GrantDesignation(t.Context(), &registryv1.GrantDesignationRequest{
		Type: "ai-growth-enterprise", EnterpriseCreditCode: code, ValidFrom: from, ValidUntil: until,
		DocumentNumber: fmt.Sprintf("杭经信〔2026〕%d号", f.next()),
	}); err != nil {
		t.Fatalf("fixture: ai-growth-enterprise for %s: %v", code, err)
	}
}

// freshGrowthEnterprise registers an enterprise holding an active
// ai-growth-enterprise designation and no authorization.
func (f *tmFixture) freshGrowthEnterprise(t *testing.T) string {
	t.Helper()
	code := f.freshCreditCode(t)
	f.registerEnterprise(t, code)
	f.grantGrowth(t, code, "2026-01-01", "2027-12-31")
	return code
}

func (f *tmFixture) issueRequest(code string, year int32, from, until string) *registryv1.IssueTalentAuthorizationRequest {
	return &registryv1.IssueTalentAuthorizationRequest{
		EnterpriseCreditCode: code, Year: year,
		Quotas:    []*registryv1.LevelQuota{{Level: "D", Places: 100}, {Level: "E", Places: 100}},
		ValidFrom: from, ValidUntil: until, DocumentNumber: fmt.Sprintf("杭人才授〔%d〕%d号", year, f.next()),
	}
}

// issue issues a talent authorization as the talent office.
func (f *tmFixture) issue(t *testing.T, code string, year int32, from, until string) string {
	t.Helper()
	res, err := f.as[tmTalentIssuer].TalentAuthorization.IssueTalentAuthorization(t.Context(), f.issueRequest(code, year, from, until))
	if err != nil {
		t.Fatalf("fixture: issue authorization to %s for %d: %v", code, year, err)
	}
	return res.Authorization.Id
}

func (f *tmFixture) registerTalent(t *testing.T, employer string) string {
	t.Helper()
	res, err := f.as[tmEcoIssuer].Talent.RegisterTalent(t.Context(), &registryv1.RegisterTalentRequest{
		Name: fmt.Sprintf("员工%d", f.next()), IdNumber: f.freshIDNumber(t), EmployerCreditCode: employer,
	})
	if err != nil {
		t.Fatalf("fixture: register talent employed by %s: %v", employer, err)
	}
	return res.Talent.Id
}

func (f *tmFixture) registerCompetition(t *testing.T, name string) string {
	t.Helper()
	res, err := f.as[tmEcoIssuer].Competition.RegisterCompetition(t.Context(), &registryv1.RegisterCompetitionRequest{
		Name: name, Organiser: "杭州市经济和信息化局", Year: 2026, Tier: registryv1.CompetitionTier_COMPETITION_TIER_MUNICIPAL, PrizeLevels: tmPrizes,
	})
	if err != nil {
		t.Fatalf("fixture: register competition %s: %v", name, err)
	}
	return res.Competition.Id
}

func (f *tmFixture) recordAwards(t *testing.T, comp string, awards ...*registryv1.AwardInput) []*registryv1.Award {
	t.Helper()
	res, err := f.as[tmEcoIssuer].Competition.RecordAwards(t.Context(), &registryv1.RecordAwardsRequest{CompetitionId: comp, Awards: awards})
	if err != nil {
		t.Fatalf("fixture: record awards: %v", err)
	}
	return res.Awards
}

// freshAward records an award of the mutation competition for a fresh
// winner and returns it.
func (f *tmFixture) freshAward(t *testing.T) *registryv1.Award {
	t.Helper()
	return f.recordAwards(t, f.mutComp, &registryv1.AwardInput{TalentId: f.registerTalent(t, f.own), Prize: "二等奖"})[0]
}

func (f *tmFixture) recognizeRequest(auth, talent, level string) *registryv1.RecognizeTalentRequest {
	return &registryv1.RecognizeTalentRequest{AuthorizationId: auth, TalentId: talent, Level: level, ValidFrom: "2026-07-01", ValidUntil: "2026-12-31"}
}

// recognize recognises talent at level E under auth as assessor.
func (f *tmFixture) recognize(t *testing.T, assessor *rpctest.Clients, auth, talent string) string {
	t.Helper()
	res, err := assessor.TalentAuthorization.RecognizeTalent(t.Context(), f.recognizeRequest(auth, talent, "E"))
	if err != nil {
		t.Fatalf("fixture: recognise %s under %s: %v", talent, auth, err)
	}
	return res.Designation.Id
}

// authorization reads an authorization as the auditor.
func (f *tmFixture) authorization(t *testing.T, id string) *registryv1.TalentAuthorization {
	t.Helper()
	res, err := f.as[tmAuditor].TalentAuthorization.GetTalentAuthorization(t.Context(), &registryv1.GetTalentAuthorizationRequest{Id: id})
	if err != nil {
		t.Fatalf("auditor reading authorization %s: %v", id, err)
	}
	return res.Authorization
}

// used returns the places of level used under authorization id.
func (f *tmFixture) used(t *testing.T, id, level string) int32 {
	t.Helper()
	for _, q := range f.authorization(t, id).Quotas {
		if q.Level == level {
			if q.Remaining != q.Places-q.Used {
				t.Errorf("quota %s: places %d, used %d, remaining %d", level, q.Places, q.Used, q.Remaining)
			}
			return q.Used
		}
	}
	t.Fatalf("authorization %s has no quota at level %s", id, level)
	return 0
}

// designation reads a designation as the auditor.
func (f *tmFixture) designation(t *testing.T, id string) *registryv1.Designation {
	t.Helper()
	res, err := f.as[tmAuditor].Designation.GetDesignation(t.Context(), &registryv1.GetDesignationRequest{Id: id})
	if err != nil {
		t.Fatalf("auditor reading designation %s: %v", id, err)
	}
	return res.Designation
}

// recognitionsOf lists the talent-recognitions of a talent as the auditor.
func (f *tmFixture) recognitionsOf(t *testing.T, talent string) []*registryv1.Designation {
	t.Helper()
	res, err := f.as[tmAuditor].Designation.ListDesignations(t.Context(), &registryv1.ListDesignationsRequest{TalentId: talent, Type: "talent-recognition", PageSize: 500})
	if err != nil {
		t.Fatalf("auditor listing recognitions of %s: %v", talent, err)
	}
	return res.Designations
}

// authorizationsOf lists an enterprise's authorizations as the auditor.
func (f *tmFixture) authorizationsOf(t *testing.T, code string) []*registryv1.TalentAuthorization {
	t.Helper()
	res, err := f.as[tmAuditor].TalentAuthorization.ListTalentAuthorizations(t.Context(), &registryv1.ListTalentAuthorizationsRequest{EnterpriseCreditCode: code})
	if err != nil {
		t.Fatalf("auditor listing authorizations of %s: %v", code, err)
	}
	return res.Authorizations
}

// awardsOf lists a competition's awards as the auditor.
func (f *tmFixture) awardsOf(t *testing.T, comp, talent string) []*registryv1.Award {
	t.Helper()
	res, err := f.as[tmAuditor].Competition.ListAwards(t.Context(), &registryv1.ListAwardsRequest{CompetitionId: comp, TalentId: talent})
	if err != nil {
		t.Fatalf("auditor listing awards: %v", err)
	}
	return res.Awards
}

// mayRecognise asks (as the administrator, who reads the policy) whether
// code's talent assessors may recognise talents: whether the
// `g, enterprise:<code>, authorized-enterprise` line is in force.
func (f *tmFixture) mayRecognise(t *testing.T, code string) bool {
	t.Helper()
	res, err := f.as[tmAdmin].Access.CheckPermission(t.Context(), &registryv1.CheckPermissionRequest{
		Subject: "talent-assessor@enterprise:" + code, Action: "recognize", DesignationType: "talent-recognition", Resource: "enterprise:" + code,
	})
	if err != nil {
		t.Fatalf("admin asking whether assessors of %s may recognise: %v", code, err)
	}
	return res.Allowed
}

// tmResult is what a case's call returned (see result).
type tmResult = result

// tmRow is one RPC (in one situation) and its outcome for every role.
type tmRow = matrixCall[*tmFixture, tmRole]

// runTMRows runs every row as every role on every database, each database
// with one fixture.
func runTMRows(t *testing.T, rows []tmRow) {
	requireExpectations(t, tmNumRoles, rows)
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		runMatrixRows(t, newTMFixture(t, db), tmNumRoles, rows)
	})
}

// TestTalentMatrix calls every RPC of TalentAuthorizationService and
// CompetitionService as every role and asserts the exact outcome.
func TestTalentMatrix(t *testing.T) { runTMRows(t, tmRows()) }

// TestTalentMatrixProbing asks about ids that name nothing (and a
// recognition WithdrawRecognition does not handle): callers without a
// right must learn nothing more than for a record they may not touch.
func TestTalentMatrixProbing(t *testing.T) { runTMRows(t, tmProbingRows()) }

func tmRows() []tmRow {
	return []tmRow{
		// TalentAuthorizationService.
		{rpc: "TalentAuthorizationService.IssueTalentAuthorization", want: tmTalentOfficeOnly, call: func(t *testing.T, f *tmFixture, r tmRole) tmResult {
			code := f.freshGrowthEnterprise(t)
			req := f.issueRequest(code, 2026, "2026-01-01", "2026-12-31")
			res, err := f.as[r].TalentAuthorization.IssueTalentAuthorization(t.Context(), req)
			return tmResult{err, func(t *testing.T, succeeded bool) {
				if n := len(f.authorizationsOf(t, code)); n != map[bool]int{true: 1}[succeeded] {
					t.Errorf("issue succeeded = %v but %s holds %d authorizations", succeeded, code, n)
				}
				if may := f.mayRecognise(t, code); may != succeeded {
					t.Errorf("issue succeeded = %v but its assessors may recognise = %v", succeeded, may)
				}
				if succeeded {
					a := res.Authorization
					if a.EnterpriseCreditCode != code || a.Year != 2026 || a.Status != registryv1.DesignationStatus_DESIGNATION_STATUS_ACTIVE ||
						a.DocumentNumber != req.DocumentNumber || len(a.Quotas) != 2 || a.Quotas[0].Remaining != 100 {
						t.Errorf("issued authorization: %v", a)
					}
				}
			}}
		}},
		{rpc: "TalentAuthorizationService.GetTalentAuthorization", want: tmReadsOwnAuthorization, call: func(t *testing.T, f *tmFixture, r tmRole) tmResult {
			res, err := f.as[r].TalentAuthorization.GetTalentAuthorization(t.Context(), &registryv1.GetTalentAuthorizationRequest{Id: f.auth})
			return tmResult{err, func(t *testing.T, succeeded bool) {
				if succeeded && (res.Authorization.Id != f.auth || res.Authorization.EnterpriseCreditCode != f.own || len(res.Authorization.Quotas) != 2) {
					t.Errorf("asked for %s, got %v", f.auth, res.Authorization)
				}
			}}
		}},
		{rpc: "TalentAuthorizationService.ListTalentAuthorizations", want: tmStaffAndAuditor, call: func(t *testing.T, f *tmFixture, r tmRole) tmResult {
			return tmListAuthorizations(t, f, r, "")
		}},
		{rpc: "TalentAuthorizationService.ListTalentAuthorizations:enterprise=own", want: tmReadsOwnAuthorization, call: func(t *testing.T, f *tmFixture, r tmRole) tmResult {
			return tmListAuthorizations(t, f, r, f.own)
		}},
		{rpc: "TalentAuthorizationService.RevokeTalentAuthorization", want: tmTalentOfficeOnly, call: func(t *testing.T, f *tmFixture, r tmRole) tmResult {
			code := f.freshGrowthEnterprise(t)
			id := f.issue(t, code, 2026, "2026-01-01", "2026-12-31")
			before := f.authorization(t, id)
			_, err := f.as[r].TalentAuthorization.RevokeTalentAuthorization(t.Context(), &registryv1.RevokeTalentAuthorizationRequest{Id: id, Reason: "matrix: quota misused"})
			return tmResult{err, func(t *testing.T, succeeded bool) {
				after := f.authorization(t, id)
				if revoked := after.Status == registryv1.DesignationStatus_DESIGNATION_STATUS_REVOKED; revoked != succeeded {
					t.Errorf("revoke succeeded = %v but the authorization reads %v", succeeded, after)
				}
				if want := before.Version + map[bool]int64{true: 1}[succeeded]; after.Version != want {
					t.Errorf("version %d -> %d, want %d", before.Version, after.Version, want)
				}
				if may := f.mayRecognise(t, code); may == succeeded {
					t.Errorf("revoke of the only authorization succeeded = %v but its assessors may recognise = %v", succeeded, may)
				}
			}}
		}},
		{rpc: "TalentAuthorizationService.RecognizeTalent", want: tmOwnAssessorOnly, call: func(t *testing.T, f *tmFixture, r tmRole) tmResult {
			employee := f.registerTalent(t, f.own)
			usedBefore := f.used(t, f.auth, "E")
			res, err := f.as[r].TalentAuthorization.RecognizeTalent(t.Context(), f.recognizeRequest(f.auth, employee, "E"))
			return tmResult{err, func(t *testing.T, succeeded bool) {
				if n := len(f.recognitionsOf(t, employee)); n != map[bool]int{true: 1}[succeeded] {
					t.Errorf("recognise succeeded = %v but %d recognitions stored", succeeded, n)
				}
				if usedAfter, want := f.used(t, f.auth, "E"), usedBefore+map[bool]int32{true: 1}[succeeded]; usedAfter != want {
					t.Errorf("used E places %d -> %d, want %d", usedBefore, usedAfter, want)
				}
				if succeeded {
					d := res.Designation
					if d.Type != "talent-recognition" || d.TalentId != employee || d.Level != "E" || d.AuthorizationId != f.auth || d.GrantedByBureau != "talent-office" {
						t.Errorf("recognition: %v", d)
					}
				}
			}}
		}},
		{rpc: "TalentAuthorizationService.WithdrawRecognition", want: tmWithdrawers, call: func(t *testing.T, f *tmFixture, r tmRole) tmResult {
			id := f.recognize(t, f.as[tmOwnAssessor], f.auth, f.registerTalent(t, f.own))
			usedBefore := f.used(t, f.auth, "E")
			_, err := f.as[r].TalentAuthorization.WithdrawRecognition(t.Context(), &registryv1.WithdrawRecognitionRequest{DesignationId: id, Reason: "matrix: recognised in error"})
			return tmResult{err, func(t *testing.T, succeeded bool) {
				d := f.designation(t, id)
				if revoked := d.Status == registryv1.DesignationStatus_DESIGNATION_STATUS_REVOKED; revoked != succeeded {
					t.Errorf("withdraw succeeded = %v but the recognition reads %v", succeeded, d)
				}
				if usedAfter, want := f.used(t, f.auth, "E"), usedBefore-map[bool]int32{true: 1}[succeeded]; usedAfter != want {
					t.Errorf("used E places %d -> %d, want %d", usedBefore, usedAfter, want)
				}
			}}
		}},

		// CompetitionService.
		{rpc: "CompetitionService.RegisterCompetition", want: tmEconomyOnly, call: func(t *testing.T, f *tmFixture, r tmRole) tmResult {
			name := fmt.Sprintf("矩阵赛第%d届", f.next())
			_, err := f.as[r].Competition.RegisterCompetition(t.Context(), &registryv1.RegisterCompetitionRequest{
				Name: name, Organiser: "杭州市经济和信息化局", Year: 2026, Tier: registryv1.CompetitionTier_COMPETITION_TIER_PROVINCIAL, PrizeLevels: tmPrizes,
			})
			return tmResult{err, func(t *testing.T, succeeded bool) {
				list, lerr := f.as[tmAuditor].Competition.ListCompetitions(t.Context(), &registryv1.ListCompetitionsRequest{Year: 2026})
				if lerr != nil {
					t.Fatal(lerr)
				}
				if found := slices.ContainsFunc(list.Competitions, func(c *registryv1.Competition) bool { return c.Name == name }); found != succeeded {
					t.Errorf("register succeeded = %v but competition %s recorded = %v", succeeded, name, found)
				}
			}}
		}},
		{rpc: "CompetitionService.GetCompetition", want: tmStaffAndAuditor, call: func(t *testing.T, f *tmFixture, r tmRole) tmResult {
			res, err := f.as[r].Competition.GetCompetition(t.Context(), &registryv1.GetCompetitionRequest{Id: f.comp})
			return tmResult{err, func(t *testing.T, succeeded bool) {
				if succeeded && (res.Competition.Id != f.comp || len(res.Competition.PrizeLevels) != len(tmPrizes)) {
					t.Errorf("asked for %s, got %v", f.comp, res.Competition)
				}
			}}
		}},
		{rpc: "CompetitionService.ListCompetitions", want: tmStaffAndAuditor, call: func(t *testing.T, f *tmFixture, r tmRole) tmResult {
			res, err := f.as[r].Competition.ListCompetitions(t.Context(), &registryv1.ListCompetitionsRequest{})
			return tmResult{err, func(t *testing.T, succeeded bool) {
				if succeeded && !slices.ContainsFunc(res.Competitions, func(c *registryv1.Competition) bool { return c.Id == f.comp }) {
					t.Errorf("the fixture competition is not listed: %v", res.Competitions)
				}
			}}
		}},
		{rpc: "CompetitionService.RecordAwards", want: tmEconomyOnly, call: func(t *testing.T, f *tmFixture, r tmRole) tmResult {
			name := fmt.Sprintf("获奖者%d", f.next())
			res, err := f.as[r].Competition.RecordAwards(t.Context(), &registryv1.RecordAwardsRequest{CompetitionId: f.mutComp, Awards: []*registryv1.AwardInput{
				{Name: name, IdNumber: f.freshIDNumber(t), Prize: "三等奖"},
			}})
			return tmResult{err, func(t *testing.T, succeeded bool) {
				n := 0
				for _, a := range f.awardsOf(t, f.mutComp, "") {
					if a.TalentName == name {
						n++
					}
				}
				if n != map[bool]int{true: 1}[succeeded] {
					t.Errorf("record succeeded = %v but %d awards of %s stored", succeeded, n, name)
				}
				if succeeded && (res.Created != 1 || len(res.Awards) != 1 || res.Awards[0].Level != "E" || res.Awards[0].TalentName != name) {
					t.Errorf("recorded: %v", res)
				}
			}}
		}},
		{rpc: "CompetitionService.ListAwards:competition", want: tmStaffAndAuditor, call: func(t *testing.T, f *tmFixture, r tmRole) tmResult {
			want := []string{f.ownAward, f.otherAward, f.freeAward}
			switch {
			case r.ownStaff():
				want = []string{f.ownAward}
			case r.otherStaff():
				want = []string{f.otherAward}
			}
			return tmListAwards(t, f, r, &registryv1.ListAwardsRequest{CompetitionId: f.comp}, want)
		}},
		{rpc: "CompetitionService.ListAwards:talent=other-employee", want: tmStaffAndAuditor, call: func(t *testing.T, f *tmFixture, r tmRole) tmResult {
			want := []string{f.otherAward}
			if r.ownStaff() {
				want = nil
			}
			return tmListAwards(t, f, r, &registryv1.ListAwardsRequest{TalentId: f.otherEmployee}, want)
		}},
		{rpc: "CompetitionService.RecognizeWinner", want: tmTalentOfficeOnly, call: func(t *testing.T, f *tmFixture, r tmRole) tmResult {
			award := f.freshAward(t)
			res, err := f.as[r].Competition.RecognizeWinner(t.Context(), &registryv1.RecognizeWinnerRequest{
				AwardId: award.Id, ValidFrom: "2026-07-01", ValidUntil: "2031-06-30", DocumentNumber: fmt.Sprintf("杭人才认〔2026〕%d号", f.next()),
			})
			return tmResult{err, func(t *testing.T, succeeded bool) {
				listed := f.awardsOf(t, "", award.TalentId)
				if len(listed) != 1 || (listed[0].RecognitionId != "") != succeeded {
					t.Errorf("recognise-winner succeeded = %v but the award reads %v", succeeded, listed)
				}
				if n := len(f.recognitionsOf(t, award.TalentId)); n != map[bool]int{true: 1}[succeeded] {
					t.Errorf("recognise-winner succeeded = %v but %d recognitions stored", succeeded, n)
				}
				if succeeded {
					d := res.Designation
					if d.AwardId != award.Id || d.Level != "D" || d.TalentId != award.TalentId || d.GrantedByBureau != "talent-office" || listed[0].RecognitionId != d.Id {
						t.Errorf("recognition of the winner: %v (award %v)", d, listed)
					}
				}
			}}
		}},
	}
}

// tmListAuthorizations lists authorizations (of enterprise, when given)
// and checks that enterprise staff see their own and nothing else.
func tmListAuthorizations(t *testing.T, f *tmFixture, r tmRole, enterprise string) tmResult {
	res, err := f.as[r].TalentAuthorization.ListTalentAuthorizations(t.Context(), &registryv1.ListTalentAuthorizationsRequest{EnterpriseCreditCode: enterprise})
	return tmResult{err, func(t *testing.T, succeeded bool) {
		if !succeeded {
			return
		}
		for _, a := range res.Authorizations {
			if enterprise != "" && a.EnterpriseCreditCode != enterprise || r.ownStaff() && a.EnterpriseCreditCode != f.own || r.otherStaff() && a.EnterpriseCreditCode != f.other {
				t.Errorf("listed authorization %s of %s", a.Id, a.EnterpriseCreditCode)
			}
		}
		listed := slices.ContainsFunc(res.Authorizations, func(a *registryv1.TalentAuthorization) bool { return a.Id == f.auth })
		if want := !r.otherStaff(); listed != want {
			t.Errorf("own authorization listed = %v, want %v", listed, want)
		}
	}}
}

// tmListAwards lists awards and checks the exact set of award ids.
func tmListAwards(t *testing.T, f *tmFixture, r tmRole, req *registryv1.ListAwardsRequest, want []string) tmResult {
	res, err := f.as[r].Competition.ListAwards(t.Context(), req)
	return tmResult{err, func(t *testing.T, succeeded bool) {
		if !succeeded {
			return
		}
		var got []string
		for _, a := range res.Awards {
			got = append(got, a.Id)
		}
		slices.Sort(got)
		want = slices.Clone(want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s listed awards %v, want %v", r, got, want)
		}
	}}
}

func tmProbingRows() []tmRow {
	return []tmRow{
		{rpc: "TalentAuthorizationService.GetTalentAuthorization:unknown-id", want: tmUnknownID, call: func(t *testing.T, f *tmFixture, r tmRole) tmResult {
			_, err := f.as[r].TalentAuthorization.GetTalentAuthorization(t.Context(), &registryv1.GetTalentAuthorizationRequest{Id: tmUnknownUUID})
			return tmResult{err: err}
		}},
		{rpc: "TalentAuthorizationService.RevokeTalentAuthorization:unknown-id", want: tmUnknownToRevokers, call: func(t *testing.T, f *tmFixture, r tmRole) tmResult {
			_, err := f.as[r].TalentAuthorization.RevokeTalentAuthorization(t.Context(), &registryv1.RevokeTalentAuthorizationRequest{Id: tmUnknownUUID, Reason: "matrix"})
			return tmResult{err: err}
		}},
		{rpc: "TalentAuthorizationService.RecognizeTalent:unknown-authorization", want: tmNoneLearn, call: func(t *testing.T, f *tmFixture, r tmRole) tmResult {
			_, err := f.as[r].TalentAuthorization.RecognizeTalent(t.Context(), f.recognizeRequest(tmUnknownUUID, f.ownEmployee, "E"))
			return tmResult{err: err}
		}},
		{rpc: "TalentAuthorizationService.WithdrawRecognition:unknown-id", want: tmUnknownToWithdrawers, call: func(t *testing.T, f *tmFixture, r tmRole) tmResult {
			_, err := f.as[r].TalentAuthorization.WithdrawRecognition(t.Context(), &registryv1.WithdrawRecognitionRequest{DesignationId: tmUnknownUUID, Reason: "matrix"})
			return tmResult{err: err}
		}},
		{rpc: "TalentAuthorizationService.WithdrawRecognition:granted-directly", want: tmWithdrawDirect, call: func(t *testing.T, f *tmFixture, r tmRole) tmResult {
			granted, gerr := f.as[tmTalentIssuer].Designation.GrantDesignation(t.Context(), &registryv1.GrantDesignationRequest{
				Type: "talent-recognition", TalentId: f.registerTalent(t, f.own), Level: "D", ValidFrom: "2026-01-01", ValidUntil: "2030-12-31",
				DocumentNumber: fmt.Sprintf("杭人才认〔2026〕%d号", f.next()),
			})
			if gerr != nil {
				t.Fatalf("fixture: talent office granting a recognition: %v", gerr)
			}
			id := granted.Designation.Id
			_, err := f.as[r].TalentAuthorization.WithdrawRecognition(t.Context(), &registryv1.WithdrawRecognitionRequest{DesignationId: id, Reason: "matrix"})
			return tmResult{err, func(t *testing.T, succeeded bool) {
				if d := f.designation(t, id); d.Status != registryv1.DesignationStatus_DESIGNATION_STATUS_ACTIVE || d.Version != 1 {
					t.Errorf("a directly granted recognition changed: %v", d)
				}
			}}
		}},
		{rpc: "CompetitionService.GetCompetition:unknown-id", want: tmUnknownCompetition, call: func(t *testing.T, f *tmFixture, r tmRole) tmResult {
			_, err := f.as[r].Competition.GetCompetition(t.Context(), &registryv1.GetCompetitionRequest{Id: tmUnknownUUID})
			return tmResult{err: err}
		}},
	}
}

// TestTalentMatrixPrecision checks refusals that depend on more than the
// caller: the level, the talent's employer, the authorization's standing
// and dates, the enterprise's designations, and repeated calls.
func TestTalentMatrixPrecision(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newTMFixture(t, db)
		assessor := f.as[tmOwnAssessor]
		talentOffice := f.as[tmTalentIssuer]

		t.Run("RecognizeTalent:level-not-covered", func(t *testing.T) {
			employee := f.registerTalent(t, f.own)
			_, err := assessor.TalentAuthorization.RecognizeTalent(t.Context(), f.recognizeRequest(f.auth, employee, "A"))
			if rpctest.Code(err) != tmFailed {
				t.Errorf("level A under a D/E authorization: got %v, want failed_precondition", err)
			}
			if n := len(f.recognitionsOf(t, employee)); n != 0 {
				t.Errorf("%d recognitions stored", n)
			}
		})

		t.Run("RecognizeTalent:other-enterprise-employee", func(t *testing.T) {
			usedBefore := f.used(t, f.auth, "E")
			_, err := assessor.TalentAuthorization.RecognizeTalent(t.Context(), f.recognizeRequest(f.auth, f.otherEmployee, "E"))
			if rpctest.Code(err) != tmDenied {
				t.Errorf("own assessor recognising other's employee: got %v, want permission_denied", err)
			}
			if n := len(f.recognitionsOf(t, f.otherEmployee)); n != 0 {
				t.Errorf("%d recognitions of other's employee stored", n)
			}
			if used := f.used(t, f.auth, "E"); used != usedBefore {
				t.Errorf("used E places %d -> %d", usedBefore, used)
			}
		})

		t.Run("RecognizeTalent:same-talent-twice", func(t *testing.T) {
			employee := f.registerTalent(t, f.own)
			f.recognize(t, assessor, f.auth, employee)
			usedBefore := f.used(t, f.auth, "E")
			_, err := assessor.TalentAuthorization.RecognizeTalent(t.Context(), f.recognizeRequest(f.auth, employee, "E"))
			if rpctest.Code(err) != tmExists {
				t.Errorf("second recognition of one talent: got %v, want already_exists", err)
			}
			if used := f.used(t, f.auth, "E"); used != usedBefore {
				t.Errorf("used E places %d -> %d", usedBefore, used)
			}
		})

		// With a second, live authorization (next year's) the enterprise
		// stays in the authorized-enterprise group, so the revoked
		// authorization itself is what refuses: failed_precondition.
		t.Run("RecognizeTalent:revoked-authorization-other-live", func(t *testing.T) {
			code := f.freshGrowthEnterprise(t)
			revoked := f.issue(t, code, 2026, "2026-01-01", "2026-12-31")
			next := f.issue(t, code, 2027, "2027-01-01", "2027-12-31")
			if _, err := talentOffice.TalentAuthorization.RevokeTalentAuthorization(t.Context(), &registryv1.RevokeTalentAuthorizationRequest{Id: revoked, Reason: "matrix"}); err != nil {
				t.Fatal(err)
			}
			if !f.mayRecognise(t, code) {
				t.Fatalf("revoking one of two authorizations removed the group line")
			}
			xAssessor := f.env.As("talent-assessor", "enterprise:"+code)
			employee := f.registerTalent(t, code)
			if _, err := xAssessor.TalentAuthorization.RecognizeTalent(t.Context(), f.recognizeRequest(revoked, employee, "E")); rpctest.Code(err) != tmFailed {
				t.Errorf("recognising under a revoked authorization: got %v, want failed_precondition", err)
			}
			// Next year's authorization is live but not yet in force.
			if _, err := xAssessor.TalentAuthorization.RecognizeTalent(t.Context(), f.recognizeRequest(next, employee, "E")); rpctest.Code(err) != tmFailed {
				t.Errorf("recognising under an authorization valid only from 2027: got %v, want failed_precondition", err)
			}
			if n := len(f.recognitionsOf(t, employee)); n != 0 {
				t.Errorf("%d recognitions stored", n)
			}
		})

		// Revoking the enterprise's only authorization removes its group
		// line (talentauth.ReleaseDelegations), so its assessor is refused before the
		// authorization's status is looked at: we assert permission_denied.
		// Recognitions already made stand, and a new authorization for the
		// same year may then be issued.
		t.Run("RecognizeTalent:revoked-only-authorization", func(t *testing.T) {
			code := f.freshGrowthEnterprise(t)
			auth := f.issue(t, code, 2026, "2026-01-01", "2026-12-31")
			xAssessor := f.env.As("talent-assessor", "enterprise:"+code)
			made := f.recognize(t, xAssessor, auth, f.registerTalent(t, code))
			if _, err := talentOffice.TalentAuthorization.IssueTalentAuthorization(t.Context(), f.issueRequest(code, 2026, "2026-01-01", "2026-12-31")); rpctest.Code(err) != tmExists {
				t.Errorf("second live authorization for one year: got %v, want already_exists", err)
			}
			if _, err := talentOffice.TalentAuthorization.RevokeTalentAuthorization(t.Context(), &registryv1.RevokeTalentAuthorizationRequest{Id: auth, Reason: "matrix"}); err != nil {
				t.Fatal(err)
			}
			employee := f.registerTalent(t, code)
			if _, err := xAssessor.TalentAuthorization.RecognizeTalent(t.Context(), f.recognizeRequest(auth, employee, "E")); rpctest.Code(err) != tmDenied {
				t.Errorf("recognising under the revoked only authorization: got %v, want permission_denied", err)
			}
			if f.mayRecognise(t, code) {
				t.Errorf("the group line survived revoking the only authorization")
			}
			if d := f.designation(t, made); d.Status != registryv1.DesignationStatus_DESIGNATION_STATUS_ACTIVE {
				t.Errorf("a recognition made before the revocation now reads %v", d)
			}
			again := f.issue(t, code, 2026, "2026-01-01", "2026-12-31")
			if !f.mayRecognise(t, code) {
				t.Errorf("re-issuing did not restore the group line")
			}
			f.recognize(t, xAssessor, again, employee)
		})

		t.Run("IssueTalentAuthorization:no-growth-designation", func(t *testing.T) {
			code := f.freshCreditCode(t)
			f.registerEnterprise(t, code)
			if _, err := talentOffice.TalentAuthorization.IssueTalentAuthorization(t.Context(), f.issueRequest(code, 2026, "2026-01-01", "2026-12-31")); rpctest.Code(err) != tmFailed {
				t.Errorf("without ai-growth-enterprise: got %v, want failed_precondition", err)
			}
			if n := len(f.authorizationsOf(t, code)); n != 0 || f.mayRecognise(t, code) {
				t.Errorf("refused issue left %d authorizations / group line", n)
			}
		})

		t.Run("IssueTalentAuthorization:expired-growth-designation", func(t *testing.T) {
			code := f.freshCreditCode(t)
			f.registerEnterprise(t, code)
			f.grantGrowth(t, code, "2025-01-01", "2026-05-31")
			if _, err := talentOffice.TalentAuthorization.IssueTalentAuthorization(t.Context(), f.issueRequest(code, 2026, "2026-01-01", "2026-12-31")); rpctest.Code(err) != tmFailed {
				t.Errorf("with an expired ai-growth-enterprise: got %v, want failed_precondition", err)
			}
			if n := len(f.authorizationsOf(t, code)); n != 0 || f.mayRecognise(t, code) {
				t.Errorf("refused issue left %d authorizations / group line", n)
			}
		})

		t.Run("RecordAwards:same-batch-twice", func(t *testing.T) {
			comp := f.registerCompetition(t, "矩阵杯（重复批次）")
			batch := []*registryv1.AwardInput{
				{TalentId: f.registerTalent(t, f.own), Prize: "一等奖", Team: "丙队"},
				{Name: "重复获奖者", IdNumber: f.freshIDNumber(t), Prize: "三等奖"},
			}
			first, err := f.as[tmEcoIssuer].Competition.RecordAwards(t.Context(), &registryv1.RecordAwardsRequest{CompetitionId: comp, Awards: batch})
			if err != nil || first.Created != 2 {
				t.Fatalf("first batch: %v, created %d", err, first.GetCreated())
			}
			second, err := f.as[tmEcoIssuer].Competition.RecordAwards(t.Context(), &registryv1.RecordAwardsRequest{CompetitionId: comp, Awards: batch})
			if err != nil {
				t.Fatalf("second batch: %v", err)
			}
			if second.Created != 0 {
				t.Errorf("second batch created %d, want 0", second.Created)
			}
			if len(second.Awards) != 2 || second.Awards[0].Id != first.Awards[0].Id || second.Awards[1].Id != first.Awards[1].Id ||
				second.Awards[1].TalentId != first.Awards[1].TalentId {
				t.Errorf("second batch returned %v, want the awards of the first %v", second.Awards, first.Awards)
			}
			if n := len(f.awardsOf(t, comp, "")); n != 2 {
				t.Errorf("%d awards stored, want 2", n)
			}
		})

		t.Run("RecognizeWinner:twice", func(t *testing.T) {
			award := f.freshAward(t)
			req := &registryv1.RecognizeWinnerRequest{AwardId: award.Id, ValidFrom: "2026-07-01", ValidUntil: "2031-06-30", DocumentNumber: fmt.Sprintf("杭人才认〔2026〕%d号", f.next())}
			first, err := talentOffice.Competition.RecognizeWinner(t.Context(), req)
			if err != nil {
				t.Fatal(err)
			}
			req.DocumentNumber = fmt.Sprintf("杭人才认〔2026〕%d号", f.next())
			if _, err := talentOffice.Competition.RecognizeWinner(t.Context(), req); rpctest.Code(err) != tmExists {
				t.Errorf("second recognition of one award: got %v, want already_exists", err)
			}
			if n := len(f.recognitionsOf(t, award.TalentId)); n != 1 {
				t.Errorf("%d recognitions stored, want 1", n)
			}
			if listed := f.awardsOf(t, "", award.TalentId); len(listed) != 1 || listed[0].RecognitionId != first.Designation.Id {
				t.Errorf("award reads %v, want recognition %s", listed, first.Designation.Id)
			}
		})

		// Last: moves the clock past the own authorization's valid_until.
		t.Run("RecognizeTalent:expired-authorization", func(t *testing.T) {
			employee := f.registerTalent(t, f.own)
			usedBefore := f.used(t, f.auth, "E")
			f.env.Clock.SetDate("2027-01-15")
			defer f.env.Clock.Set(rpctest.Start)
			if a := f.authorization(t, f.auth); a.Status != registryv1.DesignationStatus_DESIGNATION_STATUS_EXPIRED {
				t.Errorf("authorization after valid_until reads %v", a.Status)
			}
			req := f.recognizeRequest(f.auth, employee, "E")
			req.ValidFrom, req.ValidUntil = "2027-02-01", "2032-01-31"
			if _, err := assessor.TalentAuthorization.RecognizeTalent(t.Context(), req); rpctest.Code(err) != tmFailed {
				t.Errorf("recognising under an expired authorization: got %v, want failed_precondition", err)
			}
			if n := len(f.recognitionsOf(t, employee)); n != 0 {
				t.Errorf("%d recognitions stored", n)
			}
			if used := f.used(t, f.auth, "E"); used != usedBefore {
				t.Errorf("used E places %d -> %d", usedBefore, used)
			}
		})
	})
}
