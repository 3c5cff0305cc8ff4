package rpc_test

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"

	"connectrpc.com/connect/v2"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/hangzhou-ai/registry/checkpoint"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// This file is the authorization matrix of ParkService and
// VerificationService: every RPC, called by every kind of caller, answers
// with exactly the Connect code the rules (DOMAIN.md and authz/policy.go's
// default policy) demand, and a mutation happens exactly when the call
// succeeds. Expectations are written out by hand; nothing asks the
// authorizer. It shares no helper with the other matrices: everything here
// is prefixed pm.

// pmRole is one caller of the park matrix.
type pmRole int

const (
	pmEcoIssuer     pmRole = iota // issuer@bureau:economy-it
	pmEcoViewer                   // viewer@bureau:economy-it
	pmTalentIssuer                // issuer@bureau:talent-office
	pmMember                      // member@enterprise:<tenant>, the west-lake tenant
	pmOwnOperator                 // operator@park:west-lake
	pmOwnViewer                   // viewer@park:west-lake
	pmOtherOperator               // operator@park:qiantang
	pmOtherViewer                 // viewer@park:qiantang
	pmAuditor                     // auditor@auditor
	pmAdmin                       // admin@admin
	pmNoToken                     // no Authorization header
	pmNumRoles
)

func (r pmRole) String() string {
	return [...]string{
		pmEcoIssuer:     "issuer@bureau:economy-it",
		pmEcoViewer:     "viewer@bureau:economy-it",
		pmTalentIssuer:  "issuer@bureau:talent-office",
		pmMember:        "member@enterprise:tenant",
		pmOwnOperator:   "operator@park:west-lake",
		pmOwnViewer:     "viewer@park:west-lake",
		pmOtherOperator: "operator@park:qiantang",
		pmOtherViewer:   "viewer@park:qiantang",
		pmAuditor:       "auditor@auditor",
		pmAdmin:         "admin@admin",
		pmNoToken:       "no-token",
	}[r]
}

// The parks of the fixture.
const (
	pmOwnPark   = "west-lake"
	pmOtherPark = "qiantang"
)

// readsAllParks tells whether a caller reads every park: bureau staff and
// the auditor.
func (r pmRole) readsAllParks() bool {
	return r == pmEcoIssuer || r == pmEcoViewer || r == pmTalentIssuer || r == pmAuditor
}

// park is the park a park's staff work for, or "".
func (r pmRole) park() string {
	switch r {
	case pmOwnOperator, pmOwnViewer:
		return pmOwnPark
	case pmOtherOperator, pmOtherViewer:
		return pmOtherPark
	}
	return ""
}

// Outcomes of a call.
const (
	pmOK       = connect.Code(0)
	pmDenied   = connect.CodePermissionDenied
	pmUnauth   = connect.CodeUnauthenticated
	pmNotFound = connect.CodeNotFound
)

// pmExpect gives the outcome for every role; a row must name all of them.
type pmExpect map[pmRole]connect.Code

// The expectation sets of the rows. Each lists every role explicitly.
var (
	// pmEconomyIssuerOnly: RegisterPark grants an ai-park designation,
	// which economy-IT's issuers alone grant.
	pmEconomyIssuerOnly = pmExpect{
		pmEcoIssuer: pmOK, pmEcoViewer: pmDenied, pmTalentIssuer: pmDenied, pmMember: pmDenied,
		pmOwnOperator: pmDenied, pmOwnViewer: pmDenied, pmOtherOperator: pmDenied, pmOtherViewer: pmDenied,
		pmAuditor: pmDenied, pmAdmin: pmDenied, pmNoToken: pmUnauth,
	}
	// pmWestLakeReaders: reading west-lake (GetPark, ListTenants,
	// ListEligibilityRules): bureau staff and the auditor read every park,
	// west-lake's operator and viewer their own; qiantang's staff, the
	// enterprise and the administrator may not.
	pmWestLakeReaders = pmExpect{
		pmEcoIssuer: pmOK, pmEcoViewer: pmOK, pmTalentIssuer: pmOK, pmMember: pmDenied,
		pmOwnOperator: pmOK, pmOwnViewer: pmOK, pmOtherOperator: pmDenied, pmOtherViewer: pmDenied,
		pmAuditor: pmOK, pmAdmin: pmDenied, pmNoToken: pmUnauth,
	}
	// pmQiantangReaders: the same for qiantang, seen from the other side.
	pmQiantangReaders = pmExpect{
		pmEcoIssuer: pmOK, pmEcoViewer: pmOK, pmTalentIssuer: pmOK, pmMember: pmDenied,
		pmOwnOperator: pmDenied, pmOwnViewer: pmDenied, pmOtherOperator: pmOK, pmOtherViewer: pmOK,
		pmAuditor: pmOK, pmAdmin: pmDenied, pmNoToken: pmUnauth,
	}
	// pmParkListers: ListParks: bureau staff and the auditor list every
	// park, each park's staff succeed but see only their own (checked in
	// the row); the enterprise and the administrator may not.
	pmParkListers = pmExpect{
		pmEcoIssuer: pmOK, pmEcoViewer: pmOK, pmTalentIssuer: pmOK, pmMember: pmDenied,
		pmOwnOperator: pmOK, pmOwnViewer: pmOK, pmOtherOperator: pmOK, pmOtherViewer: pmOK,
		pmAuditor: pmOK, pmAdmin: pmDenied, pmNoToken: pmUnauth,
	}
	// pmWestLakeOperatorOnly: AdmitTenant, EndTenancy and
	// SetEligibilityRule on west-lake: its operator alone.
	pmWestLakeOperatorOnly = pmExpect{
		pmEcoIssuer: pmDenied, pmEcoViewer: pmDenied, pmTalentIssuer: pmDenied, pmMember: pmDenied,
		pmOwnOperator: pmOK, pmOwnViewer: pmDenied, pmOtherOperator: pmDenied, pmOtherViewer: pmDenied,
		pmAuditor: pmDenied, pmAdmin: pmDenied, pmNoToken: pmUnauth,
	}
	// pmWestLakeStaff: VerifyTenantEligibility in west-lake: its operator
	// and viewer; bureau staff and the auditor hold no verify rule.
	pmWestLakeStaff = pmExpect{
		pmEcoIssuer: pmDenied, pmEcoViewer: pmDenied, pmTalentIssuer: pmDenied, pmMember: pmDenied,
		pmOwnOperator: pmOK, pmOwnViewer: pmOK, pmOtherOperator: pmDenied, pmOtherViewer: pmDenied,
		pmAuditor: pmDenied, pmAdmin: pmDenied, pmNoToken: pmUnauth,
	}
	// pmEveryone: VerificationService is public, token or not.
	pmEveryone = pmExpect{
		pmEcoIssuer: pmOK, pmEcoViewer: pmOK, pmTalentIssuer: pmOK, pmMember: pmOK,
		pmOwnOperator: pmOK, pmOwnViewer: pmOK, pmOtherOperator: pmOK, pmOtherViewer: pmOK,
		pmAuditor: pmOK, pmAdmin: pmOK, pmNoToken: pmOK,
	}

	// Probing rows. The registry's rule (matrix_test.go, GetTalent,
	// GetDesignation): a code or id that names nothing is not_found to
	// callers who may read every such record and permission_denied to the
	// others, as for an existing record they may not touch, so codes
	// cannot be probed.

	// pmUnknownPark: any park RPC naming an unregistered park code, and
	// EndTenancy naming an unknown tenancy: bureau staff and the auditor
	// (who read every park and tenancy) learn not_found; everyone else,
	// park staff included, is refused.
	pmUnknownPark = pmExpect{
		pmEcoIssuer: pmNotFound, pmEcoViewer: pmNotFound, pmTalentIssuer: pmNotFound, pmMember: pmDenied,
		pmOwnOperator: pmDenied, pmOwnViewer: pmDenied, pmOtherOperator: pmDenied, pmOtherViewer: pmDenied,
		pmAuditor: pmNotFound, pmAdmin: pmDenied, pmNoToken: pmUnauth,
	}
	// pmNobodyActs: AdmitTenant and SetEligibilityRule at an unregistered
	// park, and EndTenancy of an unknown tenancy: only a park's own
	// operators may act there, and nobody operates a park that does not
	// exist, so everyone is refused before anything is read.
	pmNobodyActs = pmExpect{
		pmEcoIssuer: pmDenied, pmEcoViewer: pmDenied, pmTalentIssuer: pmDenied, pmMember: pmDenied,
		pmOwnOperator: pmDenied, pmOwnViewer: pmDenied, pmOtherOperator: pmDenied, pmOtherViewer: pmDenied,
		pmAuditor: pmDenied, pmAdmin: pmDenied, pmNoToken: pmUnauth,
	}
	// pmWestLakeStaffNotFound: VerifyTenantEligibility in west-lake of an
	// unknown benefit: west-lake's staff, who may verify there, learn
	// not_found; everyone else is refused first. (An unregistered
	// enterprise is answered as any non-tenant: NO_ACTIVE_TENANCY.)
	pmWestLakeStaffNotFound = pmExpect{
		pmEcoIssuer: pmDenied, pmEcoViewer: pmDenied, pmTalentIssuer: pmDenied, pmMember: pmDenied,
		pmOwnOperator: pmNotFound, pmOwnViewer: pmNotFound, pmOtherOperator: pmDenied, pmOtherViewer: pmDenied,
		pmAuditor: pmDenied, pmAdmin: pmDenied, pmNoToken: pmUnauth,
	}
	// pmEveryoneNotFound: GetDesignationStatus of an unknown id is public.
	pmEveryoneNotFound = pmExpect{
		pmEcoIssuer: pmNotFound, pmEcoViewer: pmNotFound, pmTalentIssuer: pmNotFound, pmMember: pmNotFound,
		pmOwnOperator: pmNotFound, pmOwnViewer: pmNotFound, pmOtherOperator: pmNotFound, pmOtherViewer: pmNotFound,
		pmAuditor: pmNotFound, pmAdmin: pmNotFound, pmNoToken: pmNotFound,
	}
)

// pmUnknownCode is a well-formed park code no park has; pmUnknownUUID a
// well-formed id no record has.
const (
	pmUnknownCode = "no-such-park"
	pmUnknownUUID = "01900000-0000-7000-8000-00000000cafe"
)

// pmRentRule is the designation types of west-lake's rent-reduction rule.
var pmRentRule = []string{"little-giant", "single-champion", "hidden-champion", "ai-growth-enterprise"}

// pmFixture is what every case of one database shares.
type pmFixture struct {
	env *rpctest.Env
	as  [pmNumRoles]*rpctest.Clients

	tenant  string // credit code of west-lake's tenant
	tenancy string // its tenancy id
	giant   string // its little-giant designation
	// secrets are strings naming the tenant's hq-enterprise and
	// model-filing designations (types, names, ids, document numbers),
	// which no eligibility answer may reveal.
	secrets     []string
	attestation string // an eligibility attestation for the tenant

	seq int // numbers fresh objects
}

func (f *pmFixture) next() int { f.seq++; return f.seq }

func newPMFixture(t *testing.T, db storetest.Database) *pmFixture {
	t.Helper()
	ctx := t.Context()
	env := rpctest.New(quietTB{t}, db)
	f := &pmFixture{env: env, tenant: registrytest.CreditCode(t, "91330106MA2PM0001")}
	orgs := map[pmRole][2]string{
		pmEcoIssuer:     {"issuer", "bureau:economy-it"},
		pmEcoViewer:     {"viewer", "bureau:economy-it"},
		pmTalentIssuer:  {"issuer", "bureau:talent-office"},
		pmMember:        {"member", "enterprise:" + f.tenant},
		pmOwnOperator:   {"operator", "park:" + pmOwnPark},
		pmOwnViewer:     {"viewer", "park:" + pmOwnPark},
		pmOtherOperator: {"operator", "park:" + pmOtherPark},
		pmOtherViewer:   {"viewer", "park:" + pmOtherPark},
		pmAuditor:       {"auditor", "auditor"},
		pmAdmin:         {"admin", "admin"},
	}
	for r, p := range orgs {
		f.as[r] = env.As(p[0], p[1])
	}
	f.as[pmNoToken] = env.ClientsWithToken("")

	f.registerPark(t, pmOwnPark, "西湖人工智能产业园", "西湖区")
	f.registerPark(t, pmOtherPark, "钱塘人工智能产业园", "钱塘区")
	f.registerEnterprise(t, f.tenant)
	f.giant = f.grant(t, f.as[pmEcoIssuer], "little-giant", "工信部企业函〔2026〕88号").Id
	hq := f.grant(t, env.As("issuer", "bureau:development-reform"), "hq-enterprise", "杭发改总部〔2026〕7号")
	filing := f.grant(t, env.As("issuer", "bureau:cyberspace"), "model-filing", "Zhejiang-MatrixModel-20260301")
	f.secrets = []string{"hq-enterprise", "model-filing", "杭州总部企业", "生成式人工智能模型备案",
		"development-reform", "cyberspace", hq.Id, hq.DocumentNumber, filing.Id, filing.DocumentNumber}
	f.tenancy = f.admit(t, f.tenant)
	if _, err := f.as[pmOwnOperator].Park.SetEligibilityRule(ctx, &registryv1.SetEligibilityRuleRequest{
		ParkCode: pmOwnPark, Benefit: "rent-reduction", AnyOfDesignationTypes: pmRentRule,
	}); err != nil {
		t.Fatalf("fixture: rent-reduction rule: %v", err)
	}
	res, err := f.as[pmOwnOperator].Park.VerifyTenantEligibility(ctx, f.verifyRequest(pmOwnPark, f.tenant, "rent-reduction"))
	if err != nil || !res.Eligible {
		t.Fatalf("fixture: verifying the tenant: %v, %v", res, err)
	}
	f.attestation = res.Attestation
	return f
}

func (f *pmFixture) registerPark(t *testing.T, code, name, district string) {
	t.Helper()
	if _, err := f.as[pmEcoIssuer].Park.RegisterPark(t.Context(), &registryv1.RegisterParkRequest{
		Code: code, Name: name, District: district, OperatorOrg: district + "人民政府", DocumentNumber: fmt.Sprintf("杭经信园〔2026〕%d号", f.next()),
	}); err != nil {
		t.Fatalf("fixture: register park %s: %v", code, err)
	}
}

func (f *pmFixture) registerEnterprise(t *testing.T, code string) {
	t.Helper()
	if _, err := f.as[pmEcoIssuer].Enterprise.RegisterEnterprise(t.Context(), &registryv1.RegisterEnterpriseRequest{
		CreditCode: code, Name: "企业 " + code, District: "西湖区", RegisteredOn: "2024-05-20",
	}); err != nil {
		t.Fatalf("fixture: register enterprise %s: %v", code, err)
	}
}

// freshEnterprise registers an enterprise no fixture uses.
func (f *pmFixture) freshEnterprise(t *testing.T) string {
	t.Helper()
	code := registrytest.CreditCode(t, fmt.Sprintf("91330106MB%07d", f.next()))
	f.registerEnterprise(t, code)
	return code
}

// grant grants the tenant a designation of typ as issuer.
func (f *pmFixture) grant(t *testing.T, issuer *rpctest.Clients, typ, doc string) *registryv1.Designation {
	t.Helper()
	res, err := issuer.Designation.GrantDesignation(t.Context(), &registryv1.GrantDesignationRequest{
		Type: typ, EnterpriseCreditCode: f.tenant, ValidFrom: "2026-01-01", ValidUntil: "2027-12-31", DocumentNumber: doc,
	})
	if err != nil {
		t.Fatalf("fixture: %s for the tenant: %v", typ, err)
	}
	return res.Designation
}

// admit admits code to west-lake from 2026-01-01, open-ended, as its
// operator, and returns the tenancy id.
func (f *pmFixture) admit(t *testing.T, code string) string {
	t.Helper()
	res, err := f.as[pmOwnOperator].Park.AdmitTenant(t.Context(), f.admitRequest(pmOwnPark, code))
	if err != nil {
		t.Fatalf("fixture: admit %s to %s: %v", code, pmOwnPark, err)
	}
	return res.Tenancy.Id
}

func (f *pmFixture) admitRequest(park, code string) *registryv1.AdmitTenantRequest {
	return &registryv1.AdmitTenantRequest{ParkCode: park, EnterpriseCreditCode: code, StartDate: "2026-01-01", FloorAreaM2: 120}
}

func (f *pmFixture) verifyRequest(park, code, benefit string) *registryv1.VerifyTenantEligibilityRequest {
	return &registryv1.VerifyTenantEligibilityRequest{ParkCode: park, EnterpriseCreditCode: code, Benefit: benefit, AsOf: "2026-06-15"}
}

// tenancies lists west-lake's tenancies in force on asOf as the auditor.
func (f *pmFixture) tenancies(t *testing.T, asOf string) []*registryv1.Tenancy {
	t.Helper()
	res, err := f.as[pmAuditor].Park.ListTenants(t.Context(), &registryv1.ListTenantsRequest{ParkCode: pmOwnPark, AsOf: asOf, PageSize: 500})
	if err != nil {
		t.Fatalf("auditor listing tenants of %s: %v", pmOwnPark, err)
	}
	return res.Tenancies
}

// pmFindTenancy returns the tenancies of list that match.
func pmFindTenancy(list []*registryv1.Tenancy, match func(*registryv1.Tenancy) bool) []*registryv1.Tenancy {
	var out []*registryv1.Tenancy
	for _, tn := range list {
		if match(tn) {
			out = append(out, tn)
		}
	}
	return out
}

// rules lists a park's eligibility rules as the auditor.
func (f *pmFixture) rules(t *testing.T, park string) []*registryv1.EligibilityRule {
	t.Helper()
	res, err := f.as[pmAuditor].Park.ListEligibilityRules(t.Context(), &registryv1.ListEligibilityRulesRequest{ParkCode: park})
	if err != nil {
		t.Fatalf("auditor listing rules of %s: %v", park, err)
	}
	return res.Rules
}

// pmResult is what a case's call returned (see result).
type pmResult = result

// pmRow is one RPC (in one situation) and its outcome for every role.
type pmRow = matrixCall[*pmFixture, pmRole]

// TestParkMatrix calls every RPC of ParkService and VerificationService as
// every role and asserts the exact outcome ("Access"), then asks about
// park codes, tenancy ids, enterprises, benefits and designation ids that
// name nothing ("Probing"). One fixture serves both on each database.
func TestParkMatrix(t *testing.T) {
	access, probing := pmRows(), pmProbingRows()
	requireExpectations(t, pmNumRoles, slices.Concat(access, probing))
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newPMFixture(t, db)
		t.Run("Access", func(t *testing.T) { runMatrixRows(t, f, pmNumRoles, access) })
		t.Run("Probing", func(t *testing.T) { runMatrixRows(t, f, pmNumRoles, probing) })
	})
}

// pmParkCodes returns the codes of parks.
func pmParkCodes(parks []*registryv1.Park) []string {
	var codes []string
	for _, p := range parks {
		codes = append(codes, p.Code)
	}
	return codes
}

// pmGetPark reads park as r and checks what came back.
func pmGetPark(t *testing.T, f *pmFixture, r pmRole, park string) pmResult {
	res, err := f.as[r].Park.GetPark(t.Context(), &registryv1.GetParkRequest{Code: park})
	return pmResult{err, func(t *testing.T, succeeded bool) {
		if succeeded && (res.Park.Code != park || res.Park.DesignationId == "" || res.Park.Name == "") {
			t.Errorf("asked for %s, got %v", park, res.Park)
		}
	}}
}

func pmRows() []pmRow {
	return []pmRow{
		// ParkService.
		{rpc: "ParkService.RegisterPark", want: pmEconomyIssuerOnly, call: func(t *testing.T, f *pmFixture, r pmRole) pmResult {
			code := fmt.Sprintf("matrix-park-%d", f.next())
			res, err := f.as[r].Park.RegisterPark(t.Context(), &registryv1.RegisterParkRequest{
				Code: code, Name: "矩阵园区 " + code, District: "滨江区", OperatorOrg: "滨江区人民政府", DocumentNumber: fmt.Sprintf("杭经信园〔2026〕%d号", f.next()),
			})
			return pmResult{err, func(t *testing.T, succeeded bool) {
				got, gerr := f.as[pmAuditor].Park.GetPark(t.Context(), &registryv1.GetParkRequest{Code: code})
				if registered := gerr == nil; registered != succeeded {
					t.Errorf("register succeeded = %v but park %s registered = %v (%v)", succeeded, code, registered, gerr)
				}
				if !succeeded {
					if rpctest.Code(gerr) != pmNotFound {
						t.Errorf("auditor reading an unregistered park: %v", gerr)
					}
					return
				}
				if res.Park.Code != code || got.Park.DesignationId != res.Park.DesignationId {
					t.Errorf("registered %v, stored %v", res.Park, got.Park)
				}
				st, serr := f.as[pmNoToken].Verification.GetDesignationStatus(t.Context(), &registryv1.GetDesignationStatusRequest{Id: res.Park.DesignationId})
				if serr != nil || st.Type != "ai-park" || st.HolderKind != "park" || st.GrantedByBureau != "economy-it" ||
					st.Status != registryv1.DesignationStatus_DESIGNATION_STATUS_ACTIVE {
					t.Errorf("the park's designation: %v (%v)", st, serr)
				}
			}}
		}},
		{rpc: "ParkService.GetPark:west-lake", want: pmWestLakeReaders, call: func(t *testing.T, f *pmFixture, r pmRole) pmResult {
			return pmGetPark(t, f, r, pmOwnPark)
		}},
		{rpc: "ParkService.GetPark:qiantang", want: pmQiantangReaders, call: func(t *testing.T, f *pmFixture, r pmRole) pmResult {
			return pmGetPark(t, f, r, pmOtherPark)
		}},
		{rpc: "ParkService.ListParks", want: pmParkListers, call: func(t *testing.T, f *pmFixture, r pmRole) pmResult {
			res, err := f.as[r].Park.ListParks(t.Context(), &registryv1.ListParksRequest{})
			return pmResult{err, func(t *testing.T, succeeded bool) {
				if !succeeded {
					return
				}
				codes := pmParkCodes(res.Parks)
				switch {
				case r.park() != "":
					if !slices.Equal(codes, []string{r.park()}) {
						t.Errorf("%s listed parks %v, want only %s", r, codes, r.park())
					}
				case !slices.Contains(codes, pmOwnPark) || !slices.Contains(codes, pmOtherPark):
					t.Errorf("%s listed parks %v, want every park", r, codes)
				}
			}}
		}},
		{rpc: "ParkService.AdmitTenant", want: pmWestLakeOperatorOnly, call: func(t *testing.T, f *pmFixture, r pmRole) pmResult {
			code := f.freshEnterprise(t)
			res, err := f.as[r].Park.AdmitTenant(t.Context(), f.admitRequest(pmOwnPark, code))
			return pmResult{err, func(t *testing.T, succeeded bool) {
				stored := pmFindTenancy(f.tenancies(t, "2026-06-15"), func(tn *registryv1.Tenancy) bool { return tn.EnterpriseCreditCode == code })
				if n := len(stored); n != map[bool]int{true: 1}[succeeded] {
					t.Errorf("admit succeeded = %v but %d tenancies of %s stored", succeeded, n, code)
				}
				if succeeded {
					tn := res.Tenancy
					if tn.ParkCode != pmOwnPark || tn.EnterpriseCreditCode != code || tn.StartDate != "2026-01-01" || tn.EndDate != "" || stored[0].Id != tn.Id {
						t.Errorf("admitted %v, stored %v", tn, stored)
					}
				}
			}}
		}},
		{rpc: "ParkService.EndTenancy", want: pmWestLakeOperatorOnly, call: func(t *testing.T, f *pmFixture, r pmRole) pmResult {
			id := f.admit(t, f.freshEnterprise(t))
			_, err := f.as[r].Park.EndTenancy(t.Context(), &registryv1.EndTenancyRequest{TenancyId: id, EndDate: "2026-06-30", Reason: "matrix: moved out"})
			return pmResult{err, func(t *testing.T, succeeded bool) {
				byID := func(tn *registryv1.Tenancy) bool { return tn.Id == id }
				now := pmFindTenancy(f.tenancies(t, "2026-06-15"), byID)
				if len(now) != 1 {
					t.Fatalf("tenancy %s in force on 2026-06-15: %v", id, now)
				}
				if ended := now[0].EndDate == "2026-06-30"; ended != succeeded {
					t.Errorf("end succeeded = %v but the tenancy reads %v", succeeded, now[0])
				}
				if want := 1 + map[bool]int64{true: 1}[succeeded]; now[0].Version != want {
					t.Errorf("end succeeded = %v but version is %d, want %d", succeeded, now[0].Version, want)
				}
				if later := len(pmFindTenancy(f.tenancies(t, "2026-07-01"), byID)); later != map[bool]int{false: 1}[succeeded] {
					t.Errorf("end succeeded = %v but the tenancy is in force on 2026-07-01 %d times", succeeded, later)
				}
			}}
		}},
		{rpc: "ParkService.ListTenants", want: pmWestLakeReaders, call: func(t *testing.T, f *pmFixture, r pmRole) pmResult {
			res, err := f.as[r].Park.ListTenants(t.Context(), &registryv1.ListTenantsRequest{ParkCode: pmOwnPark, AsOf: "2026-06-15", PageSize: 500})
			return pmResult{err, func(t *testing.T, succeeded bool) {
				if !succeeded {
					return
				}
				for _, tn := range res.Tenancies {
					if tn.ParkCode != pmOwnPark {
						t.Errorf("listed tenancy %s of park %s", tn.Id, tn.ParkCode)
					}
				}
				if !slices.ContainsFunc(res.Tenancies, func(tn *registryv1.Tenancy) bool { return tn.Id == f.tenancy && tn.EnterpriseCreditCode == f.tenant }) {
					t.Errorf("the fixture tenancy is not listed: %v", res.Tenancies)
				}
			}}
		}},
		{rpc: "ParkService.SetEligibilityRule", want: pmWestLakeOperatorOnly, call: func(t *testing.T, f *pmFixture, r pmRole) pmResult {
			benefit := fmt.Sprintf("matrix-benefit-%d", f.next())
			res, err := f.as[r].Park.SetEligibilityRule(t.Context(), &registryv1.SetEligibilityRuleRequest{
				ParkCode: pmOwnPark, Benefit: benefit, AnyOfDesignationTypes: []string{"little-giant"}, MinTenancyMonths: 3,
			})
			return pmResult{err, func(t *testing.T, succeeded bool) {
				stored := slices.ContainsFunc(f.rules(t, pmOwnPark), func(rule *registryv1.EligibilityRule) bool { return rule.Benefit == benefit })
				if stored != succeeded {
					t.Errorf("set succeeded = %v but rule %s stored = %v", succeeded, benefit, stored)
				}
				if slices.ContainsFunc(f.rules(t, pmOtherPark), func(rule *registryv1.EligibilityRule) bool { return rule.Benefit == benefit }) {
					t.Errorf("rule %s appeared in %s", benefit, pmOtherPark)
				}
				if succeeded && (res.Rule.ParkCode != pmOwnPark || res.Rule.Benefit != benefit || !slices.Equal(res.Rule.AnyOfDesignationTypes, []string{"little-giant"}) || res.Rule.MinTenancyMonths != 3) {
					t.Errorf("set rule: %v", res.Rule)
				}
			}}
		}},
		{rpc: "ParkService.ListEligibilityRules", want: pmWestLakeReaders, call: func(t *testing.T, f *pmFixture, r pmRole) pmResult {
			res, err := f.as[r].Park.ListEligibilityRules(t.Context(), &registryv1.ListEligibilityRulesRequest{ParkCode: pmOwnPark})
			return pmResult{err, func(t *testing.T, succeeded bool) {
				if !succeeded {
					return
				}
				for _, rule := range res.Rules {
					if rule.ParkCode != pmOwnPark {
						t.Errorf("listed rule %s of park %s", rule.Benefit, rule.ParkCode)
					}
				}
				if !slices.ContainsFunc(res.Rules, func(rule *registryv1.EligibilityRule) bool {
					return rule.Benefit == "rent-reduction" && slices.Equal(rule.AnyOfDesignationTypes, pmRentRule)
				}) {
					t.Errorf("the rent-reduction rule is not listed: %v", res.Rules)
				}
			}}
		}},
		{rpc: "ParkService.VerifyTenantEligibility", want: pmWestLakeStaff, call: func(t *testing.T, f *pmFixture, r pmRole) pmResult {
			res, err := f.as[r].Park.VerifyTenantEligibility(t.Context(), f.verifyRequest(pmOwnPark, f.tenant, "rent-reduction"))
			return pmResult{err, func(t *testing.T, succeeded bool) {
				if succeeded {
					pmCheckDiscloses(t, f, res)
				}
			}}
		}},

		// VerificationService.
		{rpc: "VerificationService.VerifyAttestation", want: pmEveryone, call: func(t *testing.T, f *pmFixture, r pmRole) pmResult {
			res, err := f.as[r].Verification.VerifyAttestation(t.Context(), &registryv1.VerifyAttestationRequest{Token: f.attestation})
			return pmResult{err, func(t *testing.T, succeeded bool) {
				if !succeeded {
					return
				}
				c := res.Claims
				if !res.Valid || !res.SignatureValid || res.Expired || res.Problem != "" || res.DesignationsChanged || c == nil ||
					c.Kind != "eligibility" || c.ParkCode != pmOwnPark || c.EnterpriseCreditCode != f.tenant || c.Benefit != "rent-reduction" || !c.Eligible ||
					!slices.Equal(c.DesignationIds, []string{f.giant}) {
					t.Errorf("checking the fixture attestation: %v", res)
				}
			}}
		}},
		// The audit tree's checkpoint and proofs: hashes only, for anyone.
		{rpc: "AuditService.GetCheckpoint", want: pmEveryone, call: func(t *testing.T, f *pmFixture, r pmRole) pmResult {
			res, err := f.as[r].Audit.GetCheckpoint(t.Context(), &registryv1.GetCheckpointRequest{})
			return pmResult{err, func(t *testing.T, succeeded bool) {
				if succeeded {
					if _, err := checkpoint.Open([]byte(res.Checkpoint), res.VerifierKey); err != nil || res.TreeSize < 1 {
						t.Errorf("checkpoint %v: %v", res, err)
					}
				}
			}}
		}},
		{rpc: "AuditService.GetInclusionProof", want: pmEveryone, call: func(t *testing.T, f *pmFixture, r pmRole) pmResult {
			res, err := f.as[r].Audit.GetInclusionProof(t.Context(), &registryv1.GetInclusionProofRequest{Sequence: 1})
			return pmResult{err, func(t *testing.T, succeeded bool) {
				if succeeded && (res.Sequence != 1 || res.LeafHash == "" || res.TreeSize < 1) {
					t.Errorf("inclusion proof: %v", res)
				}
			}}
		}},
		{rpc: "AuditService.GetConsistencyProof", want: pmEveryone, call: func(t *testing.T, f *pmFixture, r pmRole) pmResult {
			res, err := f.as[r].Audit.GetConsistencyProof(t.Context(), &registryv1.GetConsistencyProofRequest{OldSize: 1})
			return pmResult{err, func(t *testing.T, succeeded bool) {
				if succeeded && (res.OldSize != 1 || res.NewSize < 1 || res.NewRootHash == "") {
					t.Errorf("consistency proof: %v", res)
				}
			}}
		}},
		{rpc: "VerificationService.GetSigningKeys", want: pmEveryone, call: func(t *testing.T, f *pmFixture, r pmRole) pmResult {
			res, err := f.as[r].Verification.GetSigningKeys(t.Context(), &registryv1.GetSigningKeysRequest{})
			return pmResult{err, func(t *testing.T, succeeded bool) {
				if !succeeded {
					return
				}
				if len(res.Keys) == 0 {
					t.Fatalf("no signing keys published")
				}
				for _, k := range res.Keys {
					if k.Kty != "OKP" || k.Crv != "Ed25519" || k.X == "" || k.Kid == "" {
						t.Errorf("signing key: %v", k)
					}
				}
			}}
		}},
		{rpc: "VerificationService.GetDesignationStatus", want: pmEveryone, call: func(t *testing.T, f *pmFixture, r pmRole) pmResult {
			res, err := f.as[r].Verification.GetDesignationStatus(t.Context(), &registryv1.GetDesignationStatusRequest{Id: f.giant})
			return pmResult{err, func(t *testing.T, succeeded bool) {
				if succeeded && (res.Id != f.giant || res.Type != "little-giant" || res.HolderKind != "enterprise" || res.HolderCreditCode != f.tenant ||
					res.Status != registryv1.DesignationStatus_DESIGNATION_STATUS_ACTIVE || res.GrantedByBureau != "economy-it") {
					t.Errorf("status of %s: %v", f.giant, res)
				}
			}}
		}},
	}
}

// pmCheckDiscloses checks an eligibility answer for the tenant: eligible
// through its little-giant alone, and neither the answer nor its
// attestation's payload mentions the tenant's other designations.
func pmCheckDiscloses(t *testing.T, f *pmFixture, res *registryv1.VerifyTenantEligibilityResponse) {
	t.Helper()
	if !res.Eligible || res.AsOf != "2026-06-15" {
		t.Errorf("eligible = %v as of %s, want true as of 2026-06-15", res.Eligible, res.AsOf)
	}
	if !slices.Equal(res.MatchedDesignationTypes, []string{"little-giant"}) {
		t.Errorf("matched designation types %v, want [little-giant]", res.MatchedDesignationTypes)
	}
	for _, typ := range res.MatchedDesignationTypes {
		if !slices.Contains(pmRentRule, typ) {
			t.Errorf("matched type %s is not in the rule", typ)
		}
	}
	var codes []string
	for _, reason := range res.Reasons {
		codes = append(codes, reason.Code)
	}
	if !slices.Equal(codes, []string{"TENANCY_ACTIVE", "DESIGNATION_HELD"}) {
		t.Errorf("reasons %v, want [TENANCY_ACTIVE DESIGNATION_HELD]", codes)
	}
	answer, err := protojson.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(res.Attestation, ".")
	if len(parts) != 3 {
		t.Fatalf("attestation is not a compact JWS: %q", res.Attestation)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("attestation payload: %v", err)
	}
	if !strings.Contains(string(payload), f.giant) {
		t.Errorf("attestation payload does not name the little-giant it relied on: %s", payload)
	}
	for _, secret := range f.secrets {
		if strings.Contains(string(answer), secret) {
			t.Errorf("the answer reveals %q: %s", secret, answer)
		}
		if strings.Contains(string(payload), secret) {
			t.Errorf("the attestation payload reveals %q: %s", secret, payload)
		}
	}
}

func pmProbingRows() []pmRow {
	return []pmRow{
		{rpc: "ParkService.GetPark:unknown-park", want: pmUnknownPark, call: func(t *testing.T, f *pmFixture, r pmRole) pmResult {
			_, err := f.as[r].Park.GetPark(t.Context(), &registryv1.GetParkRequest{Code: pmUnknownCode})
			return pmResult{err: err}
		}},
		{rpc: "ParkService.ListTenants:unknown-park", want: pmUnknownPark, call: func(t *testing.T, f *pmFixture, r pmRole) pmResult {
			_, err := f.as[r].Park.ListTenants(t.Context(), &registryv1.ListTenantsRequest{ParkCode: pmUnknownCode})
			return pmResult{err: err}
		}},
		{rpc: "ParkService.ListEligibilityRules:unknown-park", want: pmUnknownPark, call: func(t *testing.T, f *pmFixture, r pmRole) pmResult {
			_, err := f.as[r].Park.ListEligibilityRules(t.Context(), &registryv1.ListEligibilityRulesRequest{ParkCode: pmUnknownCode})
			return pmResult{err: err}
		}},
		{rpc: "ParkService.AdmitTenant:unknown-park", want: pmNobodyActs, call: func(t *testing.T, f *pmFixture, r pmRole) pmResult {
			_, err := f.as[r].Park.AdmitTenant(t.Context(), f.admitRequest(pmUnknownCode, f.tenant))
			return pmResult{err: err}
		}},
		{rpc: "ParkService.SetEligibilityRule:unknown-park", want: pmNobodyActs, call: func(t *testing.T, f *pmFixture, r pmRole) pmResult {
			_, err := f.as[r].Park.SetEligibilityRule(t.Context(), &registryv1.SetEligibilityRuleRequest{ParkCode: pmUnknownCode, Benefit: "rent-reduction"})
			return pmResult{err: err}
		}},
		{rpc: "ParkService.VerifyTenantEligibility:unknown-park", want: pmUnknownPark, call: func(t *testing.T, f *pmFixture, r pmRole) pmResult {
			_, err := f.as[r].Park.VerifyTenantEligibility(t.Context(), f.verifyRequest(pmUnknownCode, f.tenant, "rent-reduction"))
			return pmResult{err: err}
		}},
		{rpc: "ParkService.EndTenancy:unknown-id", want: pmNobodyActs, call: func(t *testing.T, f *pmFixture, r pmRole) pmResult {
			_, err := f.as[r].Park.EndTenancy(t.Context(), &registryv1.EndTenancyRequest{TenancyId: pmUnknownUUID, EndDate: "2026-06-30", Reason: "matrix"})
			return pmResult{err: err}
		}},
		{rpc: "ParkService.VerifyTenantEligibility:unknown-enterprise", want: pmWestLakeStaff, call: func(t *testing.T, f *pmFixture, r pmRole) pmResult {
			_, err := f.as[r].Park.VerifyTenantEligibility(t.Context(), f.verifyRequest(pmOwnPark, registrytest.CreditCode(t, "91330106MC9999999"), "rent-reduction"))
			return pmResult{err: err}
		}},
		{rpc: "ParkService.VerifyTenantEligibility:unknown-benefit", want: pmWestLakeStaffNotFound, call: func(t *testing.T, f *pmFixture, r pmRole) pmResult {
			_, err := f.as[r].Park.VerifyTenantEligibility(t.Context(), f.verifyRequest(pmOwnPark, f.tenant, "no-such-benefit"))
			return pmResult{err: err}
		}},
		{rpc: "VerificationService.GetDesignationStatus:unknown-id", want: pmEveryoneNotFound, call: func(t *testing.T, f *pmFixture, r pmRole) pmResult {
			_, err := f.as[r].Verification.GetDesignationStatus(t.Context(), &registryv1.GetDesignationStatusRequest{Id: pmUnknownUUID})
			return pmResult{err: err}
		}},
	}
}
