package rpc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"connectrpc.com/connect/v2"

	"github.com/hangzhou-ai/registry/registry/registrytest"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// This file is the authorization matrix: every RPC of the registry's five
// services, called by every kind of caller, answers with exactly the Connect
// code the rules (DOMAIN.md and authz/policy.go's default policy) demand.
// Expectations are written out by hand below; nothing asks the authorizer.

// matrixRole is one caller of the matrix.
type matrixRole int

const (
	ecoIssuer    matrixRole = iota // issuer@bureau:economy-it
	talentIssuer                   // issuer@bureau:talent-office
	ecoViewer                      // viewer@bureau:economy-it
	ownMember                      // member@enterprise:<own>
	otherMember                    // member@enterprise:<other>
	parkOperator                   // operator@park:west-lake
	parkViewer                     // viewer@park:west-lake
	auditor                        // auditor@auditor
	admin                          // admin@admin
	noToken                        // no Authorization header
	badToken                       // a bearer token the registry never issued nor could
	numMatrixRoles
)

func (r matrixRole) String() string {
	return [...]string{
		ecoIssuer:    "issuer@bureau:economy-it",
		talentIssuer: "issuer@bureau:talent-office",
		ecoViewer:    "viewer@bureau:economy-it",
		ownMember:    "member@enterprise:own",
		otherMember:  "member@enterprise:other",
		parkOperator: "operator@park:west-lake",
		parkViewer:   "viewer@park:west-lake",
		auditor:      "auditor@auditor",
		admin:        "admin@admin",
		noToken:      "no-token",
		badToken:     "malformed-token",
	}[r]
}

// bureau is the bureau code of an issuer role.
func (r matrixRole) bureau() string {
	switch r {
	case ecoIssuer, ecoViewer:
		return "economy-it"
	case talentIssuer:
		return "talent-office"
	}
	return ""
}

// Outcomes of a call.
const (
	success         = connect.Code(0) // no error
	denied          = connect.CodePermissionDenied
	unauthenticated = connect.CodeUnauthenticated
	notFound        = connect.CodeNotFound
)

func codeName(c connect.Code) string {
	if c == success {
		return "success"
	}
	return c.String()
}

// expect gives the outcome for every role; a row must name all of them.
type expect map[matrixRole]connect.Code

// The expectation sets the rows use. Each lists every role explicitly.
var (
	// everyone: any authenticated caller (ListDesignationTypes, and asking
	// CheckPermission about oneself).
	everyone = expect{
		ecoIssuer: success, talentIssuer: success, ecoViewer: success, ownMember: success, otherMember: success,
		parkOperator: success, parkViewer: success, auditor: success, admin: success,
		noToken: unauthenticated, badToken: unauthenticated,
	}
	// issuersOnly: "p, issuer, bureau:*, enterprise|talent, register" and
	// designation types every bureau of the matrix may grant
	// (ai-growth-enterprise: economy-it with talent-office).
	issuersOnly = expect{
		ecoIssuer: success, talentIssuer: success, ecoViewer: denied, ownMember: denied, otherMember: denied,
		parkOperator: denied, parkViewer: denied, auditor: denied, admin: denied,
		noToken: unauthenticated, badToken: unauthenticated,
	}
	// ecoIssuerOnly: a designation type only economy-it grants, or a
	// lifecycle action on a designation economy-it granted (scope own).
	ecoIssuerOnly = expect{
		ecoIssuer: success, talentIssuer: denied, ecoViewer: denied, ownMember: denied, otherMember: denied,
		parkOperator: denied, parkViewer: denied, auditor: denied, admin: denied,
		noToken: unauthenticated, badToken: unauthenticated,
	}
	// talentIssuerOnly: the same for talent-office.
	talentIssuerOnly = expect{
		ecoIssuer: denied, talentIssuer: success, ecoViewer: denied, ownMember: denied, otherMember: denied,
		parkOperator: denied, parkViewer: denied, auditor: denied, admin: denied,
		noToken: unauthenticated, badToken: unauthenticated,
	}
	// readsOwn: reading one record owned by the own enterprise: bureau
	// staff read the registry, members read what they own, auditors read
	// everything; park staff and administrators have no read rule.
	readsOwn = expect{
		ecoIssuer: success, talentIssuer: success, ecoViewer: success, ownMember: success, otherMember: denied,
		parkOperator: denied, parkViewer: denied, auditor: success, admin: denied,
		noToken: unauthenticated, badToken: unauthenticated,
	}
	// readsOther: the same for a record owned by the other enterprise.
	readsOther = expect{
		ecoIssuer: success, talentIssuer: success, ecoViewer: success, ownMember: denied, otherMember: success,
		parkOperator: denied, parkViewer: denied, auditor: success, admin: denied,
		noToken: unauthenticated, badToken: unauthenticated,
	}
	// listsScoped: an unfiltered list: members succeed but see only what
	// they own (checked per row).
	listsScoped = expect{
		ecoIssuer: success, talentIssuer: success, ecoViewer: success, ownMember: success, otherMember: success,
		parkOperator: denied, parkViewer: denied, auditor: success, admin: denied,
		noToken: unauthenticated, badToken: unauthenticated,
	}
	// unknownID: an id that names nothing. Callers who may read every such
	// record learn not_found; callers who may read only their own, or
	// none, get permission_denied, as for an existing record not theirs,
	// so ids cannot be probed.
	unknownID = expect{
		ecoIssuer: notFound, talentIssuer: notFound, ecoViewer: notFound, ownMember: denied, otherMember: denied,
		parkOperator: denied, parkViewer: denied, auditor: notFound, admin: denied,
		noToken: unauthenticated, badToken: unauthenticated,
	}
	// unknownToActors: a lifecycle action on an id that names nothing.
	// Callers who may take the action on no designation at all are refused
	// before anything is read; those who may (issuers, on what their bureau
	// granted) and read every designation learn not_found.
	unknownToActors = expect{
		ecoIssuer: notFound, talentIssuer: notFound, ecoViewer: denied, ownMember: denied, otherMember: denied,
		parkOperator: denied, parkViewer: denied, auditor: denied, admin: denied,
		noToken: unauthenticated, badToken: unauthenticated,
	}
	// parkOperatorOnly: managing west-lake's tenancies ("p, operator,
	// park:*, tenancy, manage, own").
	parkOperatorOnly = expect{
		ecoIssuer: denied, talentIssuer: denied, ecoViewer: denied, ownMember: denied, otherMember: denied,
		parkOperator: success, parkViewer: denied, auditor: denied, admin: denied,
		noToken: unauthenticated, badToken: unauthenticated,
	}
	// policyReaders: "read policy" belongs to bureau staff, administrators
	// and (reading everything) auditors.
	policyReaders = expect{
		ecoIssuer: success, talentIssuer: success, ecoViewer: success, ownMember: denied, otherMember: denied,
		parkOperator: denied, parkViewer: denied, auditor: success, admin: success,
		noToken: unauthenticated, badToken: unauthenticated,
	}
	// explainsOwnDesignation: CheckPermission about oneself on a designation
	// of the own enterprise: callers that may read it or may read the
	// policy get an answer.
	explainsOwnDesignation = expect{
		ecoIssuer: success, talentIssuer: success, ecoViewer: success, ownMember: success, otherMember: denied,
		parkOperator: denied, parkViewer: denied, auditor: success, admin: success,
		noToken: unauthenticated, badToken: unauthenticated,
	}
	// explainsUnknownDesignation: CheckPermission on a designation id that
	// names nothing: policy readers and callers who may read every
	// designation learn not_found; the others (enterprise and park staff)
	// get permission_denied, as for an existing designation not theirs.
	explainsUnknownDesignation = expect{
		ecoIssuer: notFound, talentIssuer: notFound, ecoViewer: notFound, ownMember: denied, otherMember: denied,
		parkOperator: denied, parkViewer: denied, auditor: notFound, admin: notFound,
		noToken: unauthenticated, badToken: unauthenticated,
	}
	// adminOnly: "p, admin, admin, token, manage".
	adminOnly = expect{
		ecoIssuer: denied, talentIssuer: denied, ecoViewer: denied, ownMember: denied, otherMember: denied,
		parkOperator: denied, parkViewer: denied, auditor: denied, admin: success,
		noToken: unauthenticated, badToken: unauthenticated,
	}
	// tokenReaders: administrators manage tokens; auditors read everything.
	tokenReaders = expect{
		ecoIssuer: denied, talentIssuer: denied, ecoViewer: denied, ownMember: denied, otherMember: denied,
		parkOperator: denied, parkViewer: denied, auditor: success, admin: success,
		noToken: unauthenticated, badToken: unauthenticated,
	}
	// auditorOnly: the audit trail is read by auditors alone.
	auditorOnly = expect{
		ecoIssuer: denied, talentIssuer: denied, ecoViewer: denied, ownMember: denied, otherMember: denied,
		parkOperator: denied, parkViewer: denied, auditor: success, admin: denied,
		noToken: unauthenticated, badToken: unauthenticated,
	}
)

// unknownUUID is a well-formed id no record has.
const unknownUUID = "01900000-0000-7000-8000-000000000000"

// matrixFixture is what every case of one database shares: a running
// registry, a client per role, two enterprises with one employee each and
// designations granted by economy-it and talent-office.
type matrixFixture struct {
	env *rpctest.Env
	as  [numMatrixRoles]*rpctest.Clients

	own, other             string // credit codes
	ownTalent, otherTalent string // talent ids, employed by own and other

	ownLittleGiant   string // little-giant of own, granted by economy-it
	ownRecognition   string // talent-recognition of ownTalent, granted by talent-office
	otherLittleGiant string // little-giant of other, granted by economy-it

	seq      int  // numbers fresh objects
	westLake bool // registered (registerWestLake)
}

func (f *matrixFixture) next() int { f.seq++; return f.seq }

// quietTB drops zaptest's debug and info lines (one per RPC) so that a
// failing case shows its own message rather than thousands of RPC log
// lines; warnings and errors still reach the test log.
type quietTB struct{ testing.TB }

func (q quietTB) Logf(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	if strings.Contains(line, "\tINFO\t") || strings.Contains(line, "\tDEBUG\t") {
		return
	}
	q.TB.Helper()
	q.TB.Logf("%s", line)
}

func newMatrixFixture(t *testing.T, db storetest.Database) *matrixFixture {
	t.Helper()
	env := rpctest.New(quietTB{t}, db)
	f := &matrixFixture{env: env, own: registrytest.CreditCode(t, "91330100MA27XK0A1"), other: "91110000600037341L"}
	orgs := map[matrixRole][2]string{
		ecoIssuer:    {"issuer", "bureau:economy-it"},
		talentIssuer: {"issuer", "bureau:talent-office"},
		ecoViewer:    {"viewer", "bureau:economy-it"},
		ownMember:    {"member", "enterprise:" + f.own},
		otherMember:  {"member", "enterprise:" + f.other},
		parkOperator: {"operator", "park:west-lake"},
		parkViewer:   {"viewer", "park:west-lake"},
		auditor:      {"auditor", "auditor"},
		admin:        {"admin", "admin"},
	}
	for r, p := range orgs {
		f.as[r] = env.As(p[0], p[1])
	}
	f.as[noToken] = env.ClientsWithToken("")
	f.as[badToken] = env.ClientsWithToken("rgt_not!a*registry*token")

	ctx := t.Context()
	eco, talent := f.as[ecoIssuer], f.as[talentIssuer]
	for _, code := range []string{f.own, f.other} {
		if _, err := eco.Enterprise.RegisterEnterprise(ctx, &registryv1.RegisterEnterpriseRequest{CreditCode: code, Name: "企业 " + code, District: "西湖区"}); err != nil {
			t.Fatalf("register enterprise %s: %v", code, err)
		}
	}
	f.ownTalent = f.registerTalent(t, eco, f.own)
	f.otherTalent = f.registerTalent(t, talent, f.other)
	f.ownLittleGiant = f.grant(t, ecoIssuer, "little-giant", f.own)
	f.ownRecognition = f.grant(t, talentIssuer, "talent-recognition", f.own)
	f.otherLittleGiant = f.grant(t, ecoIssuer, "little-giant", f.other)
	return f
}

// freshCreditCode returns a valid credit code no fixture uses.
func (f *matrixFixture) freshCreditCode(t *testing.T) string {
	return registrytest.CreditCode(t, fmt.Sprintf("91330106MA%07d", f.next()))
}

// freshIDNumber returns a valid identity number no fixture uses.
func (f *matrixFixture) freshIDNumber(t *testing.T) string {
	n := f.next()
	return registrytest.IDNumber(t, fmt.Sprintf("330106199%d0101%03d", n/1000%10, n%1000))
}

func (f *matrixFixture) registerTalent(t *testing.T, c *rpctest.Clients, employer string) string {
	t.Helper()
	res, err := c.Talent.RegisterTalent(t.Context(), &registryv1.RegisterTalentRequest{Name: "人才", IdNumber: f.freshIDNumber(t), EmployerCreditCode: employer})
	if err != nil {
		t.Fatalf("register talent: %v", err)
	}
	return res.Talent.Id
}

// grantRequest asks for a designation of typ held by the enterprise holder,
// or for talent types by holder's employee, under a fresh document number.
func (f *matrixFixture) grantRequest(typ, holder string) *registryv1.GrantDesignationRequest {
	req := &registryv1.GrantDesignationRequest{
		Type: typ, ValidFrom: "2026-01-01", ValidUntil: "2027-12-31", DocumentNumber: fmt.Sprintf("杭矩〔2026〕%d号", f.next()),
	}
	if typ == "talent-recognition" {
		req.TalentId, req.Level = f.ownTalent, "D"
		if holder == f.other {
			req.TalentId = f.otherTalent
		}
	} else {
		req.EnterpriseCreditCode = holder
	}
	return req
}

// grant records a fresh designation as the issuer by and returns its id.
func (f *matrixFixture) grant(t *testing.T, by matrixRole, typ, holder string) string {
	t.Helper()
	res, err := f.as[by].Designation.GrantDesignation(t.Context(), f.grantRequest(typ, holder))
	if err != nil {
		t.Fatalf("fixture: %s granting %s: %v", by, typ, err)
	}
	return res.Designation.Id
}

// designation reads a designation as the auditor.
func (f *matrixFixture) designation(t *testing.T, id string) *registryv1.Designation {
	t.Helper()
	res, err := f.as[auditor].Designation.GetDesignation(t.Context(), &registryv1.GetDesignationRequest{Id: id})
	if err != nil {
		t.Fatalf("auditor reading designation %s: %v", id, err)
	}
	return res.Designation
}

// result is what a case's call returned: the RPC's error and an optional
// check, run with whether the call succeeded, that the registry's state
// (or the response) agrees.
type result struct {
	err   error
	check func(t *testing.T, succeeded bool)
}

// matrixRoles are the roles a matrix calls as: 0 up to a count.
type matrixRoles interface {
	~int
	String() string
}

// matrixCall is one RPC (in one situation) of an authorization matrix
// over fixture F, and its outcome for every role R. The matrices of the
// programmes (matrix_*_test.go) are matrixCalls over their own fixture
// and roles.
type matrixCall[F any, R matrixRoles] struct {
	rpc  string
	want map[R]connect.Code
	call func(t *testing.T, f F, r R) result
}

// matrixRow is a row of the registry-wide matrix.
type matrixRow = matrixCall[*matrixFixture, matrixRole]

// requireExpectations fails the test unless every row names the outcome
// of every role below n.
func requireExpectations[F any, R matrixRoles](t *testing.T, n R, rows []matrixCall[F, R]) {
	t.Helper()
	for _, row := range rows {
		for r := range n {
			if _, ok := row.want[r]; !ok {
				t.Fatalf("row %s has no expectation for %s", row.rpc, r)
			}
		}
	}
}

// runMatrixRows calls every row as every role below n against f, checks
// the outcome, and runs the row's check of the registry's state.
func runMatrixRows[F any, R matrixRoles](t *testing.T, f F, n R, rows []matrixCall[F, R]) {
	for _, row := range rows {
		t.Run(row.rpc, func(t *testing.T) {
			for r := range n {
				t.Run(r.String(), func(t *testing.T) {
					res := row.call(t, f, r)
					if got, want := rpctest.Code(res.err), row.want[r]; got != want {
						t.Errorf("%s as %s: got %s (%v), want %s", row.rpc, r, codeName(got), res.err, codeName(want))
					}
					if res.check != nil {
						res.check(t, res.err == nil)
					}
				})
			}
		})
	}
}

// TestAuthorizationMatrix calls every RPC as every role and asserts the
// exact outcome.
func TestAuthorizationMatrix(t *testing.T) {
	rows := matrixRows()
	requireExpectations(t, numMatrixRoles, rows)
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		runMatrixRows(t, newMatrixFixture(t, db), numMatrixRoles, rows)
	})
}

func matrixRows() []matrixRow {
	rows := []matrixRow{
		// EnterpriseService.
		{rpc: "EnterpriseService.RegisterEnterprise", want: issuersOnly, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			code := f.freshCreditCode(t)
			_, err := f.as[r].Enterprise.RegisterEnterprise(t.Context(), &registryv1.RegisterEnterpriseRequest{CreditCode: code, Name: "新企业 " + code})
			return result{err, func(t *testing.T, succeeded bool) {
				_, gerr := f.as[auditor].Enterprise.GetEnterprise(t.Context(), &registryv1.GetEnterpriseRequest{CreditCode: code})
				if succeeded && gerr != nil || !succeeded && rpctest.Code(gerr) != notFound {
					t.Errorf("after register (succeeded=%v), auditor reading %s: %v", succeeded, code, gerr)
				}
			}}
		}},
		{rpc: "EnterpriseService.GetEnterprise:own", want: readsOwn, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			return getEnterprise(t, f, r, f.own)
		}},
		{rpc: "EnterpriseService.GetEnterprise:other", want: readsOther, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			return getEnterprise(t, f, r, f.other)
		}},
		{rpc: "EnterpriseService.ListEnterprises", want: listsScoped, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			res, err := f.as[r].Enterprise.ListEnterprises(t.Context(), &registryv1.ListEnterprisesRequest{PageSize: 500})
			return result{err, func(t *testing.T, succeeded bool) {
				if !succeeded {
					return
				}
				var codes []string
				for _, e := range res.Enterprises {
					codes = append(codes, e.CreditCode)
				}
				switch r {
				case ownMember:
					if !slices.Equal(codes, []string{f.own}) {
						t.Errorf("own member lists %v, want only its own %s", codes, f.own)
					}
				case otherMember:
					if !slices.Equal(codes, []string{f.other}) {
						t.Errorf("other member lists %v, want only its own %s", codes, f.other)
					}
				default:
					if !slices.Contains(codes, f.own) || !slices.Contains(codes, f.other) {
						t.Errorf("list %v lacks %s or %s", codes, f.own, f.other)
					}
				}
			}}
		}},

		// TalentService.
		{rpc: "TalentService.RegisterTalent", want: issuersOnly, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			id := f.freshIDNumber(t)
			res, err := f.as[r].Talent.RegisterTalent(t.Context(), &registryv1.RegisterTalentRequest{Name: "新人才", IdNumber: id, EmployerCreditCode: f.own})
			return result{err, func(t *testing.T, succeeded bool) {
				if succeeded {
					got, gerr := f.as[auditor].Talent.GetTalent(t.Context(), &registryv1.GetTalentRequest{Id: res.Talent.Id})
					if gerr != nil || got.Talent.EmployerCreditCode != f.own || strings.Contains(got.Talent.IdNumberMasked, id[4:14]) {
						t.Errorf("registered talent reads back as %v, %v", got, gerr)
					}
					return
				}
				// Nothing was recorded: the same person registers afresh.
				if _, rerr := f.as[ecoIssuer].Talent.RegisterTalent(t.Context(), &registryv1.RegisterTalentRequest{Name: "新人才", IdNumber: id, EmployerCreditCode: f.own}); rerr != nil {
					t.Errorf("refused registration left a trace: registering the same person again: %v", rerr)
				}
			}}
		}},
		{rpc: "TalentService.GetTalent:own-employee", want: readsOwn, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			return getTalent(t, f, r, f.ownTalent, f.own)
		}},
		{rpc: "TalentService.GetTalent:other-employee", want: readsOther, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			return getTalent(t, f, r, f.otherTalent, f.other)
		}},
		{rpc: "TalentService.GetTalent:unknown-id", want: unknownID, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			_, err := f.as[r].Talent.GetTalent(t.Context(), &registryv1.GetTalentRequest{Id: unknownUUID})
			return result{err: err}
		}},
		{rpc: "TalentService.ListTalents", want: listsScoped, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			return listTalents(t, f, r, "")
		}},
		{rpc: "TalentService.ListTalents:employer=own", want: readsOwn, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			return listTalents(t, f, r, f.own)
		}},

		// DesignationService.
		{rpc: "DesignationService.ListDesignationTypes", want: everyone, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			res, err := f.as[r].Designation.ListDesignationTypes(t.Context(), &registryv1.ListDesignationTypesRequest{})
			return result{err, func(t *testing.T, succeeded bool) {
				if !succeeded {
					return
				}
				i := slices.IndexFunc(res.Types, func(d *registryv1.DesignationType) bool { return d.Code == "little-giant" })
				if i < 0 || !slices.Equal(res.Types[i].GrantingBureaus, []string{"economy-it"}) {
					t.Errorf("types lack little-giant granted by economy-it: %v", res.Types)
				}
			}}
		}},
		{rpc: "DesignationService.GrantDesignation:little-giant", want: ecoIssuerOnly, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			return grantDesignation(t, f, r, "little-giant")
		}},
		{rpc: "DesignationService.GrantDesignation:talent-recognition", want: talentIssuerOnly, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			return grantDesignation(t, f, r, "talent-recognition")
		}},
		{rpc: "DesignationService.GrantDesignation:ai-growth-enterprise", want: issuersOnly, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			return grantDesignation(t, f, r, "ai-growth-enterprise")
		}},
		{rpc: "DesignationService.GetDesignation:own-little-giant-by-economy-it", want: readsOwn, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			return getDesignation(t, f, r, f.ownLittleGiant)
		}},
		{rpc: "DesignationService.GetDesignation:own-employee-recognition-by-talent-office", want: readsOwn, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			return getDesignation(t, f, r, f.ownRecognition)
		}},
		{rpc: "DesignationService.GetDesignation:other-little-giant-by-economy-it", want: readsOther, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			return getDesignation(t, f, r, f.otherLittleGiant)
		}},
		{rpc: "DesignationService.GetDesignation:unknown-id", want: unknownID, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			_, err := f.as[r].Designation.GetDesignation(t.Context(), &registryv1.GetDesignationRequest{Id: unknownUUID})
			return result{err: err}
		}},
		{rpc: "DesignationService.ListDesignations", want: listsScoped, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			return listDesignations(t, f, r, "")
		}},
		{rpc: "DesignationService.ListDesignations:enterprise=own", want: readsOwn, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			return listDesignations(t, f, r, f.own)
		}},
	}

	// Lifecycle actions: the granting bureau acts on what it granted
	// ("p, issuer, bureau:<granter>, designation:<type>, <action>, own");
	// nobody else does, not even another bureau that may grant the same
	// type (ai-growth-enterprise), and no reader.
	for _, a := range []lifecycleAction{suspendAction, reinstateAction, revokeAction, renewAction} {
		rows = append(rows,
			lifecycleRow(a, ecoIssuer, "little-giant", ecoIssuerOnly),
			lifecycleRow(a, talentIssuer, "talent-recognition", talentIssuerOnly),
			lifecycleRow(a, ecoIssuer, "ai-growth-enterprise", ecoIssuerOnly),
			lifecycleRow(a, talentIssuer, "ai-growth-enterprise", talentIssuerOnly),
			unknownLifecycleRow(a, unknownToActors),
		)
	}

	rows = append(rows,
		// AccessService.
		matrixRow{rpc: "AccessService.ListGrantRules", want: policyReaders, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			res, err := f.as[r].Access.ListGrantRules(t.Context(), &registryv1.ListGrantRulesRequest{})
			return result{err, func(t *testing.T, succeeded bool) {
				if succeeded && !slices.ContainsFunc(res.Rules, func(g *registryv1.GrantRule) bool {
					return g.DesignationType == "little-giant" && g.Bureau == "economy-it" && g.Action == "grant"
				}) {
					t.Errorf("grant rules lack economy-it granting little-giant: %v", res.Rules)
				}
			}}
		}},
		matrixRow{rpc: "AccessService.CheckPermission:self-grant-little-giant", want: everyone, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			res, err := f.as[r].Access.CheckPermission(t.Context(), &registryv1.CheckPermissionRequest{Action: "grant", DesignationType: "little-giant"})
			return result{err, func(t *testing.T, succeeded bool) {
				if succeeded && res.Allowed != (r == ecoIssuer) {
					t.Errorf("allowed = %v (%s), want %v", res.Allowed, res.Rule, r == ecoIssuer)
				}
			}}
		}},
		matrixRow{rpc: "AccessService.CheckPermission:about-talent-office-issuer", want: policyReaders, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			res, err := f.as[r].Access.CheckPermission(t.Context(), &registryv1.CheckPermissionRequest{Subject: "issuer@bureau:talent-office", Action: "grant", DesignationType: "talent-recognition"})
			return result{err, func(t *testing.T, succeeded bool) {
				if succeeded && (!res.Allowed || res.Subject != "issuer@bureau:talent-office") {
					t.Errorf("talent office granting talent-recognition: %v", res)
				}
			}}
		}},
		matrixRow{rpc: "AccessService.CheckPermission:self-suspend-own-little-giant", want: explainsOwnDesignation, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			res, err := f.as[r].Access.CheckPermission(t.Context(), &registryv1.CheckPermissionRequest{Action: "suspend", Resource: f.ownLittleGiant})
			return result{err, func(t *testing.T, succeeded bool) {
				if succeeded && res.Allowed != (r == ecoIssuer) {
					t.Errorf("allowed = %v (%s), want %v", res.Allowed, res.Rule, r == ecoIssuer)
				}
			}}
		}},
		matrixRow{rpc: "AccessService.CheckPermission:self-read-unknown-designation", want: explainsUnknownDesignation, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			_, err := f.as[r].Access.CheckPermission(t.Context(), &registryv1.CheckPermissionRequest{Action: "read", Resource: unknownUUID})
			return result{err: err}
		}},
		matrixRow{rpc: "AccessService.CreateToken", want: adminOnly, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			subject := fmt.Sprintf("matrix-token-%d", f.next())
			res, err := f.as[r].Access.CreateToken(t.Context(), &registryv1.CreateTokenRequest{Subject: subject, Organisation: "bureau:economy-it", Role: "viewer"})
			return result{err, func(t *testing.T, succeeded bool) {
				if succeeded {
					if _, err := f.env.ClientsWithToken(res.Token).Designation.ListDesignationTypes(t.Context(), &registryv1.ListDesignationTypesRequest{}); err != nil {
						t.Errorf("the created token does not authenticate: %v", err)
					}
					return
				}
				list, err := f.as[admin].Access.ListTokens(t.Context(), &registryv1.ListTokensRequest{})
				if err != nil {
					t.Fatal(err)
				}
				if slices.ContainsFunc(list.Tokens, func(k *registryv1.Token) bool { return k.Subject == subject }) {
					t.Errorf("a refused CreateToken created a token for %s", subject)
				}
			}}
		}},
		matrixRow{rpc: "AccessService.RevokeToken", want: adminOnly, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			created, err := f.as[admin].Access.CreateToken(t.Context(), &registryv1.CreateTokenRequest{Subject: fmt.Sprintf("matrix-token-%d", f.next()), Organisation: "bureau:economy-it", Role: "viewer"})
			if err != nil {
				t.Fatalf("fixture: admin creating a token: %v", err)
			}
			_, err = f.as[r].Access.RevokeToken(t.Context(), &registryv1.RevokeTokenRequest{Id: created.Info.Id})
			return result{err, func(t *testing.T, succeeded bool) {
				_, uerr := f.env.ClientsWithToken(created.Token).Designation.ListDesignationTypes(t.Context(), &registryv1.ListDesignationTypesRequest{})
				if want := map[bool]connect.Code{true: unauthenticated, false: success}[succeeded]; rpctest.Code(uerr) != want {
					t.Errorf("after revoke (succeeded=%v), using the token: %v, want %s", succeeded, uerr, codeName(want))
				}
			}}
		}},
		matrixRow{rpc: "AccessService.ListTokens", want: tokenReaders, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			res, err := f.as[r].Access.ListTokens(t.Context(), &registryv1.ListTokensRequest{})
			return result{err, func(t *testing.T, succeeded bool) {
				if succeeded && len(res.Tokens) < 9 {
					t.Errorf("listed %d tokens, want at least the 9 of the matrix", len(res.Tokens))
				}
			}}
		}},

		// AuditService.
		matrixRow{rpc: "AuditService.ListAuditEvents", want: auditorOnly, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			res, err := f.as[r].Audit.ListAuditEvents(t.Context(), &registryv1.ListAuditEventsRequest{Entity: "designation:" + f.ownLittleGiant})
			return result{err, func(t *testing.T, succeeded bool) {
				if succeeded && (len(res.Events) != 1 || res.Events[0].Action != "designation.grant") {
					t.Errorf("events of the own little giant: %v", res.Events)
				}
			}}
		}},
		matrixRow{rpc: "AuditService.VerifyAuditChain", want: auditorOnly, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			res, err := f.as[r].Audit.VerifyAuditChain(t.Context(), &registryv1.VerifyAuditChainRequest{})
			return result{err, func(t *testing.T, succeeded bool) {
				if succeeded && !res.Ok {
					t.Errorf("chain does not verify: %v", res)
				}
			}}
		}},
	)
	return slices.Concat(rows, importRows(), changeRows(), webhookRows())
}

// feedReaders: the change feed is open to every caller that may read some
// kind of record; administrators read none.
var feedReaders = expect{
	ecoIssuer: success, talentIssuer: success, ecoViewer: success, ownMember: success, otherMember: success,
	parkOperator: success, parkViewer: success, auditor: success, admin: denied,
	noToken: unauthenticated, badToken: unauthenticated,
}

// changeRows are the change feed's two calls. The feed then holds a change
// every reader may see (west-lake's registration, for park staff), and
// members see none of the other enterprise's records.
func changeRows() []matrixRow {
	check := func(f *matrixFixture, r matrixRole, changes []*registryv1.Change) func(t *testing.T, succeeded bool) {
		return func(t *testing.T, succeeded bool) {
			if !succeeded {
				return
			}
			if len(changes) == 0 {
				t.Errorf("%s sees no change", r)
			}
			foreign := map[matrixRole][]string{
				ownMember:   {f.other, f.otherTalent, f.otherLittleGiant},
				otherMember: {f.own, f.ownTalent, f.ownLittleGiant, f.ownRecognition},
			}[r]
			for _, c := range changes {
				if slices.Contains(foreign, c.EntityId) {
					t.Errorf("%s sees %s of %s %s", r, c.Action, c.EntityType, c.EntityId)
				}
			}
		}
	}
	return []matrixRow{
		{rpc: "ChangeService.ListChanges", want: feedReaders, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			f.registerWestLake(t)
			res, err := f.as[r].Change.ListChanges(t.Context(), &registryv1.ListChangesRequest{PageSize: 500})
			return result{err, check(f, r, res.GetChanges())}
		}},
		{rpc: "ChangeService.WatchChanges", want: feedReaders, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			f.registerWestLake(t)
			stream, err := f.as[r].Change.WatchChanges(t.Context(), &registryv1.WatchChangesRequest{})
			if err != nil {
				return result{err: err}
			}
			defer stream.Close()
			res, err := stream.Receive() // every reader has a backlog
			if err != nil {
				return result{err: err}
			}
			return result{nil, check(f, r, []*registryv1.Change{res.Change})}
		}},
	}
}

// subscriberOnly: a change to the own member's subscription: its
// organisation and administrators may; auditors, who read every
// subscription, may not change one; nobody else learns it exists.
var subscriberOnly = expect{
	ecoIssuer: notFound, talentIssuer: notFound, ecoViewer: notFound, ownMember: success, otherMember: notFound,
	parkOperator: notFound, parkViewer: notFound, auditor: denied, admin: success,
	noToken: unauthenticated, badToken: unauthenticated,
}

// subscriptionReaders: reading the own member's subscription's
// deliveries: its organisation, administrators and auditors.
var subscriptionReaders = expect{
	ecoIssuer: notFound, talentIssuer: notFound, ecoViewer: notFound, ownMember: success, otherMember: notFound,
	parkOperator: notFound, parkViewer: notFound, auditor: success, admin: success,
	noToken: unauthenticated, badToken: unauthenticated,
}

// webhookRows are WebhookService's calls. Whoever may read the feed may
// subscribe to it; each organisation lists its own subscriptions
// (administrators and auditors every one), and only the subscriber's
// organisation and administrators change one.
func webhookRows() []matrixRow {
	// ownSubscription subscribes a fresh URL as the own member.
	ownSubscription := func(t *testing.T, f *matrixFixture) *registryv1.Subscription {
		t.Helper()
		res, err := f.as[ownMember].Webhook.CreateSubscription(t.Context(), &registryv1.CreateSubscriptionRequest{
			Url: fmt.Sprintf("https://hooks.example.com/own/%d", f.next()),
		})
		if err != nil {
			t.Fatalf("fixture: subscribing: %v", err)
		}
		// An organisation has at most 20: end it after the case (a case
		// that deleted it already gets not_found).
		t.Cleanup(func() {
			_, _ = f.as[ownMember].Webhook.DeleteSubscription(context.Background(), &registryv1.DeleteSubscriptionRequest{Id: res.Subscription.Id})
		})
		return res.Subscription
	}
	listed := func(t *testing.T, f *matrixFixture, r matrixRole, id string) bool {
		t.Helper()
		res, err := f.as[r].Webhook.ListSubscriptions(t.Context(), &registryv1.ListSubscriptionsRequest{PageSize: 500})
		if err != nil {
			t.Fatalf("listing subscriptions as %s: %v", r, err)
		}
		return slices.ContainsFunc(res.Subscriptions, func(s *registryv1.Subscription) bool { return s.Id == id })
	}
	return []matrixRow{
		{rpc: "WebhookService.CreateSubscription", want: feedReaders, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			url := fmt.Sprintf("https://hooks.example.com/%d", f.next())
			res, err := f.as[r].Webhook.CreateSubscription(t.Context(), &registryv1.CreateSubscriptionRequest{Url: url})
			return result{err, func(t *testing.T, succeeded bool) {
				if !succeeded {
					return
				}
				if !strings.HasPrefix(res.Secret, "whsec_") || res.Subscription.Url != url || !listed(t, f, r, res.Subscription.Id) {
					t.Errorf("%s subscribed %v with secret %q, not listed as its own", r, res.Subscription, res.Secret)
				}
			}}
		}},
		{rpc: "WebhookService.ListSubscriptions", want: everyone, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			own := ownSubscription(t, f)
			res, err := f.as[r].Webhook.ListSubscriptions(t.Context(), &registryv1.ListSubscriptionsRequest{PageSize: 500})
			return result{err, func(t *testing.T, succeeded bool) {
				if !succeeded {
					return
				}
				seen := slices.ContainsFunc(res.Subscriptions, func(s *registryv1.Subscription) bool { return s.Id == own.Id })
				if want := r == ownMember || r == auditor || r == admin; seen != want {
					t.Errorf("%s sees the own member's subscription: %v, want %v", r, seen, want)
				}
			}}
		}},
		{rpc: "WebhookService.DeleteSubscription", want: subscriberOnly, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			own := ownSubscription(t, f)
			_, err := f.as[r].Webhook.DeleteSubscription(t.Context(), &registryv1.DeleteSubscriptionRequest{Id: own.Id})
			return result{err, func(t *testing.T, succeeded bool) {
				if listed(t, f, ownMember, own.Id) == succeeded {
					t.Errorf("delete by %s succeeded = %v, yet the subscription is listed = %v", r, succeeded, !succeeded)
				}
			}}
		}},
		{rpc: "WebhookService.ListDeliveries", want: subscriptionReaders, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			own := ownSubscription(t, f)
			_, err := f.as[r].Webhook.ListDeliveries(t.Context(), &registryv1.ListDeliveriesRequest{SubscriptionId: own.Id})
			return result{err: err}
		}},
		{rpc: "WebhookService.RedeliverChange", want: subscriberOnly, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			own := ownSubscription(t, f)
			changes, err := f.as[ownMember].Change.ListChanges(t.Context(), &registryv1.ListChangesRequest{PageSize: 1})
			if err != nil || len(changes.Changes) == 0 {
				t.Fatalf("fixture: the own member's first change: %v", err)
			}
			cursor := changes.Changes[0].Cursor
			res, err := f.as[r].Webhook.RedeliverChange(t.Context(), &registryv1.RedeliverChangeRequest{SubscriptionId: own.Id, Cursor: cursor})
			return result{err, func(t *testing.T, succeeded bool) {
				if succeeded && (res.Delivery.Cursor != cursor || res.Delivery.SubscriptionId != own.Id || res.Delivery.AttemptedAt != nil) {
					t.Errorf("redelivery by %s: %v", r, res.Delivery)
				}
			}}
		}},
	}
}

// registerWestLake registers the park west-lake once.
func (f *matrixFixture) registerWestLake(t *testing.T) {
	t.Helper()
	if f.westLake {
		return
	}
	_, err := f.as[ecoIssuer].Park.RegisterPark(t.Context(), &registryv1.RegisterParkRequest{Code: "west-lake", Name: "西湖人工智能产业园", DocumentNumber: "杭经信〔2026〕11号"})
	if err != nil {
		t.Fatalf("fixture: registering west-lake: %v", err)
	}
	f.westLake = true
}

// importRows are the four import streams, each sent one dry-run row. Who
// may import is decided from the principal and the kind of import before
// a row is read: those who may do what the import does at all (register
// enterprises; grant some designation type; record awards; manage a
// park's tenancies) get to send rows, whose own problems are answered per
// row; everyone else is refused at once. A dry run writes nothing.
func importRows() []matrixRow {
	dry := &registryv1.ImportOptions{DryRun: true}
	return []matrixRow{
		{rpc: "ImportService.ImportEnterprises", want: issuersOnly, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			stream, err := f.as[r].Import.ImportEnterprises(t.Context())
			if err != nil {
				return result{err: err}
			}
			defer stream.Close()
			return result{err: streamImport(stream.Send, stream.CloseSend, stream.Receive, &registryv1.ImportEnterprisesRequest{
				Options: dry, Rows: []*registryv1.EnterpriseRow{{Row: 1, CreditCode: registrytest.CreditCode(t, "91330106MA27XM0A1"), Name: "矩阵导入科技有限公司"}},
			})}
		}},
		{rpc: "ImportService.ImportDesignations", want: issuersOnly, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			stream, err := f.as[r].Import.ImportDesignations(t.Context())
			if err != nil {
				return result{err: err}
			}
			defer stream.Close()
			return result{err: streamImport(stream.Send, stream.CloseSend, stream.Receive, &registryv1.ImportDesignationsRequest{
				Options: dry, Rows: []*registryv1.DesignationRow{{Row: 1, Type: "little-giant", EnterpriseCreditCode: f.own,
					ValidFrom: "2026-01-01", ValidUntil: "2026-12-31", DocumentNumber: "矩阵导入〔2026〕1号"}},
			})}
		}},
		{rpc: "ImportService.ImportAwards", want: ecoIssuerOnly, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			stream, err := f.as[r].Import.ImportAwards(t.Context())
			if err != nil {
				return result{err: err}
			}
			defer stream.Close()
			return result{err: streamImport(stream.Send, stream.CloseSend, stream.Receive, &registryv1.ImportAwardsRequest{
				Options: dry, Rows: []*registryv1.AwardRow{{Row: 1, CompetitionId: unknownUUID, TalentId: f.ownTalent, Prize: "一等奖"}},
			})}
		}},
		{rpc: "ImportService.ImportTenancies", want: parkOperatorOnly, call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			stream, err := f.as[r].Import.ImportTenancies(t.Context())
			if err != nil {
				return result{err: err}
			}
			defer stream.Close()
			return result{err: streamImport(stream.Send, stream.CloseSend, stream.Receive, &registryv1.ImportTenanciesRequest{
				Options: dry, Rows: []*registryv1.TenancyRow{{Row: 1, ParkCode: "west-lake", EnterpriseCreditCode: f.own, StartDate: "2026-01-01"}},
			})}
		}},
	}
}

// streamImport sends one request on an import stream, closes its side and
// reads the answers to the end, returning the error the stream ended with.
func streamImport[Req, Res any](send func(*Req) error, closeSend func() error, receive func() (*Res, error), req *Req) error {
	if err := send(req); err == nil {
		if err := closeSend(); err != nil {
			return err
		}
	}
	for {
		if _, err := receive(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

func getEnterprise(t *testing.T, f *matrixFixture, r matrixRole, code string) result {
	res, err := f.as[r].Enterprise.GetEnterprise(t.Context(), &registryv1.GetEnterpriseRequest{CreditCode: code})
	return result{err, func(t *testing.T, succeeded bool) {
		if succeeded && res.Enterprise.CreditCode != code {
			t.Errorf("asked for %s, got %v", code, res.Enterprise)
		}
	}}
}

func getTalent(t *testing.T, f *matrixFixture, r matrixRole, id, employer string) result {
	res, err := f.as[r].Talent.GetTalent(t.Context(), &registryv1.GetTalentRequest{Id: id})
	return result{err, func(t *testing.T, succeeded bool) {
		if succeeded && (res.Talent.Id != id || res.Talent.EmployerCreditCode != employer) {
			t.Errorf("asked for %s employed by %s, got %v", id, employer, res.Talent)
		}
	}}
}

// listTalents lists talents (of employer, when given) and checks that a
// member sees its own employees and nobody else's.
func listTalents(t *testing.T, f *matrixFixture, r matrixRole, employer string) result {
	res, err := f.as[r].Talent.ListTalents(t.Context(), &registryv1.ListTalentsRequest{EmployerCreditCode: employer, PageSize: 500})
	return result{err, func(t *testing.T, succeeded bool) {
		if !succeeded {
			return
		}
		ids := map[string]bool{}
		for _, x := range res.Talents {
			ids[x.Id] = true
			if employer != "" && x.EmployerCreditCode != employer ||
				r == ownMember && x.EmployerCreditCode != f.own || r == otherMember && x.EmployerCreditCode != f.other {
				t.Errorf("listed %s employed by %q", x.Id, x.EmployerCreditCode)
			}
		}
		if wantOwn := r != otherMember; ids[f.ownTalent] != wantOwn {
			t.Errorf("own employee listed = %v, want %v", ids[f.ownTalent], wantOwn)
		}
		if wantOther := employer == "" && r != ownMember; ids[f.otherTalent] != wantOther {
			t.Errorf("other employee listed = %v, want %v", ids[f.otherTalent], wantOther)
		}
	}}
}

// listDesignations lists designations (of enterprise, when given) and
// checks that a member sees what it owns and nothing else.
func listDesignations(t *testing.T, f *matrixFixture, r matrixRole, enterprise string) result {
	res, err := f.as[r].Designation.ListDesignations(t.Context(), &registryv1.ListDesignationsRequest{EnterpriseCreditCode: enterprise, PageSize: 500})
	return result{err, func(t *testing.T, succeeded bool) {
		if !succeeded {
			return
		}
		ids := map[string]bool{}
		for _, d := range res.Designations {
			ids[d.Id] = true
			ownsIt := d.EnterpriseCreditCode == f.own || d.TalentId == f.ownTalent
			otherOwnsIt := d.EnterpriseCreditCode == f.other || d.TalentId == f.otherTalent
			if enterprise != "" && d.EnterpriseCreditCode != enterprise || r == ownMember && !ownsIt || r == otherMember && !otherOwnsIt {
				t.Errorf("listed %s %s of %q/%q", d.Type, d.Id, d.EnterpriseCreditCode, d.TalentId)
			}
		}
		want := map[string]bool{
			f.ownLittleGiant:   r != otherMember,
			f.ownRecognition:   r != otherMember && enterprise == "",
			f.otherLittleGiant: r != ownMember && enterprise == "",
		}
		for id, w := range want {
			if ids[id] != w {
				t.Errorf("designation %s listed = %v, want %v", id, ids[id], w)
			}
		}
	}}
}

func getDesignation(t *testing.T, f *matrixFixture, r matrixRole, id string) result {
	res, err := f.as[r].Designation.GetDesignation(t.Context(), &registryv1.GetDesignationRequest{Id: id})
	return result{err, func(t *testing.T, succeeded bool) {
		if succeeded && res.Designation.Id != id {
			t.Errorf("asked for %s, got %v", id, res.Designation)
		}
	}}
}

// grantDesignation grants typ to the own enterprise (or its employee) and
// checks that the grant was recorded exactly when it succeeded.
func grantDesignation(t *testing.T, f *matrixFixture, r matrixRole, typ string) result {
	req := f.grantRequest(typ, f.own)
	res, err := f.as[r].Designation.GrantDesignation(t.Context(), req)
	return result{err, func(t *testing.T, succeeded bool) {
		list, lerr := f.as[auditor].Designation.ListDesignations(t.Context(), &registryv1.ListDesignationsRequest{
			EnterpriseCreditCode: req.EnterpriseCreditCode, TalentId: req.TalentId, Type: typ, PageSize: 500,
		})
		if lerr != nil {
			t.Fatal(lerr)
		}
		recorded := slices.ContainsFunc(list.Designations, func(d *registryv1.Designation) bool { return d.DocumentNumber == req.DocumentNumber })
		if recorded != succeeded {
			t.Errorf("grant succeeded = %v but recorded = %v", succeeded, recorded)
		}
		if succeeded && (res.Designation.GrantedByBureau != r.bureau() || res.Designation.Status != registryv1.DesignationStatus_DESIGNATION_STATUS_ACTIVE) {
			t.Errorf("granted designation: %v", res.Designation)
		}
	}}
}

// lifecycleAction is one of the four lifecycle RPCs.
type lifecycleAction struct {
	rpc string
	// prepare brings a fresh active designation into the state the action
	// starts from, acting as its granter.
	prepare func(t *testing.T, f *matrixFixture, granter matrixRole, id string)
	call    func(ctx context.Context, c *rpctest.Clients, id string) error
	// done tells whether the action's effect shows on the designation.
	done func(d *registryv1.Designation) bool
}

var (
	suspendAction = lifecycleAction{
		rpc: "DesignationService.SuspendDesignation",
		call: func(ctx context.Context, c *rpctest.Clients, id string) error {
			_, err := c.Designation.SuspendDesignation(ctx, &registryv1.SuspendDesignationRequest{Id: id, Reason: "matrix: under investigation"})
			return err
		},
		done: func(d *registryv1.Designation) bool {
			return d.Status == registryv1.DesignationStatus_DESIGNATION_STATUS_SUSPENDED
		},
	}
	reinstateAction = lifecycleAction{
		rpc: "DesignationService.ReinstateDesignation",
		prepare: func(t *testing.T, f *matrixFixture, granter matrixRole, id string) {
			if err := suspendAction.call(t.Context(), f.as[granter], id); err != nil {
				t.Fatalf("fixture: %s suspending %s: %v", granter, id, err)
			}
		},
		call: func(ctx context.Context, c *rpctest.Clients, id string) error {
			_, err := c.Designation.ReinstateDesignation(ctx, &registryv1.ReinstateDesignationRequest{Id: id, Reason: "matrix: cleared"})
			return err
		},
		done: func(d *registryv1.Designation) bool {
			return d.Status == registryv1.DesignationStatus_DESIGNATION_STATUS_ACTIVE
		},
	}
	revokeAction = lifecycleAction{
		rpc: "DesignationService.RevokeDesignation",
		call: func(ctx context.Context, c *rpctest.Clients, id string) error {
			_, err := c.Designation.RevokeDesignation(ctx, &registryv1.RevokeDesignationRequest{Id: id, Reason: "matrix: fraudulent application"})
			return err
		},
		done: func(d *registryv1.Designation) bool {
			return d.Status == registryv1.DesignationStatus_DESIGNATION_STATUS_REVOKED
		},
	}
	renewAction = lifecycleAction{
		rpc: "DesignationService.RenewDesignation",
		call: func(ctx context.Context, c *rpctest.Clients, id string) error {
			_, err := c.Designation.RenewDesignation(ctx, &registryv1.RenewDesignationRequest{Id: id, ValidUntil: "2029-12-31", DocumentNumber: "杭矩续〔2026〕" + id + "号"})
			return err
		},
		done: func(d *registryv1.Designation) bool { return d.ValidUntil == "2029-12-31" },
	}
)

// lifecycleRow acts on a fresh designation of typ granted by granter to
// the own enterprise (or its employee), one per case, and checks that it
// changed exactly when the call succeeded.
func lifecycleRow(a lifecycleAction, granter matrixRole, typ string, want expect) matrixRow {
	return matrixRow{
		rpc:  a.rpc + ":" + typ + "-by-" + granter.bureau(),
		want: want,
		call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			id := f.grant(t, granter, typ, f.own)
			if a.prepare != nil {
				a.prepare(t, f, granter, id)
			}
			before := f.designation(t, id)
			err := a.call(t.Context(), f.as[r], id)
			return result{err, func(t *testing.T, succeeded bool) {
				after := f.designation(t, id)
				if a.done(after) != succeeded {
					t.Errorf("call succeeded = %v but the designation now reads %v", succeeded, after)
				}
				if wantVersion := before.Version + map[bool]int64{true: 1}[succeeded]; after.Version != wantVersion {
					t.Errorf("version %d -> %d, want %d", before.Version, after.Version, wantVersion)
				}
			}}
		},
	}
}

// unknownLifecycleRow acts on a designation id that names nothing.
func unknownLifecycleRow(a lifecycleAction, want expect) matrixRow {
	return matrixRow{
		rpc:  a.rpc + ":unknown-id",
		want: want,
		call: func(t *testing.T, f *matrixFixture, r matrixRole) result {
			return result{err: a.call(t.Context(), f.as[r], unknownUUID)}
		},
	}
}
