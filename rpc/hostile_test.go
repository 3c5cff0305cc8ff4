package rpc_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"connectrpc.com/connect/v2"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/hangzhou-ai/registry/ident"
	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/benefit"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// hostileValues go into every text field. None has white space at either
// end, so "stored verbatim" means byte for byte (text is trimmed).
var hostileValues = []struct{ name, value string }{
	{"sql quote", `x'; DROP TABLE enterprises; --`},
	{"sql union", `" OR 1=1 UNION SELECT token_hash FROM api_tokens --`},
	{"sql comment and semicolon", `a/*b*/;c--d`},
	{"like wildcards", `100%_\[a-z]*`},
	{"backslashes and formats", `\'\"\\ $1 ${x} %s %n %!`},
	{"nul", "a\x00b"},
	{"bell and escape", "a\x07\x1b[31mred\x1b[0m"},
	{"newline", "line one\nline two"},
	{"carriage return", "a\rb"},
	{"tab", "a\tb"},
	{"del", "a\x7fb"},
	{"c1 control", "a\u0085b"},
	{"bidi override", "abc\u202edcba\u202c"},
	{"zero width", "a\u200b\u200d\ufeffb"},
	{"line separator", "a\u2028b\u2029c"},
	{"noncharacters", "a\ufffe\uffffb"},
	{"private use", "a\ue000\U000f0000b"},
	{"emoji", "🚀🤖👨‍👩‍👧‍👦🇨🇳"},
	{"mixed scripts", "杭州 Hangzhou Ханчжоу هانغتشو 항저우 ハンチョウ ०१२ 𠀀𪚥"},
	{"combining marks", "e\u0301\u0302\u0303 Z\u0324\u0354\u0367\u0311o"},
	{"html and json", `<script>alert("x")</script>&amp;{"a":[1]}`},
	{"1 MiB ascii", strings.Repeat("a", 1<<20)},
	{"1 MiB cjk", strings.Repeat("汉", (1<<20)/3)},
}

// hostileOutcome is what a hostile call came to.
type hostileOutcome struct {
	// stored is the value read back after success; check says whether
	// there is one to compare (queries store nothing).
	stored string
	check  bool
	err    error
	// refused, for imports, lists the columns of the row errors of an
	// import that wrote nothing; nil means look at err.
	refused []string
}

// hostileCase is one text field of one RPC.
type hostileCase struct {
	name string
	// field is the name the refusal must give (a path ending in it, or
	// it followed by an index, also counts).
	field string
	// alsoOK lists codes besides success and invalid_argument that are a
	// proper answer (not_found for a lookup by a hostile key).
	alsoOK []connect.Code
	call   func(t *testing.T, h *hostileEnv, v string) hostileOutcome
}

// hostileEnv is a registry with the principals and fixtures the cases use.
type hostileEnv struct {
	env                                           *rpctest.Env
	economy, talentOffice, auditor, admin, anyone *rpctest.Clients
	operator, assessor                            *rpctest.Clients
	park, competition, authEnterprise, auth       string
	// applicant applies for support; supportAward, of another
	// enterprise, has money paid on it to order back.
	applicant, supportAward string

	mu sync.Mutex
	n  int
}

func (h *hostileEnv) next() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.n++
	return h.n
}

func (h *hostileEnv) creditCode(t *testing.T) string {
	return registrytest.CreditCode(t, fmt.Sprintf("91330100MH%07d", h.next()))
}

// idNumber returns a fresh valid identity number, born 1960 or later.
func (h *hostileEnv) idNumber(t *testing.T) string {
	n := h.next()
	return registrytest.IDNumber(t, fmt.Sprintf("330106%04d%02d%02d%03d", 1960+n/336, n/28%12+1, n%28+1, n%1000))
}

// must turns a fixture call's error into a fatal one:
// must(call(...))(t, "what it does").
func must[T any](res T, err error) func(t *testing.T, what string) T {
	return func(t *testing.T, what string) T {
		t.Helper()
		if err != nil {
			t.Fatalf("fixture: %s: %v", what, err)
		}
		return res
	}
}

func (h *hostileEnv) enterprise(t *testing.T) string {
	t.Helper()
	code := h.creditCode(t)
	must(h.economy.Enterprise.RegisterEnterprise(t.Context(), &registryv1.RegisterEnterpriseRequest{CreditCode: code, Name: "杭州敌意测试有限公司", District: "西湖区", RegisteredOn: "2024-01-01"}))(t, "register enterprise")
	return code
}

func (h *hostileEnv) grant(t *testing.T, typ, code string) *registryv1.Designation {
	t.Helper()
	return must(h.economy.Designation.GrantDesignation(t.Context(), &registryv1.GrantDesignationRequest{
		Type: typ, EnterpriseCreditCode: code, ValidFrom: "2026-01-01", ValidUntil: "2027-12-31", DocumentNumber: fmt.Sprintf("工信部企业函〔2026〕%d号", h.next()),
	}))(t, "grant "+typ).Designation
}

func (h *hostileEnv) talent(t *testing.T, employer string) string {
	t.Helper()
	return must(h.talentOffice.Talent.RegisterTalent(t.Context(), &registryv1.RegisterTalentRequest{
		Name: "测试人", IdNumber: h.idNumber(t), EmployerCreditCode: employer,
	}))(t, "register talent").Talent.Id
}

func (h *hostileEnv) issueAuthorization(t *testing.T, code, doc string) (*registryv1.IssueTalentAuthorizationResponse, error) {
	return h.talentOffice.TalentAuthorization.IssueTalentAuthorization(t.Context(), &registryv1.IssueTalentAuthorizationRequest{
		EnterpriseCreditCode: code, Year: 2026, Quotas: []*registryv1.LevelQuota{{Level: "E", Places: 5000}},
		ValidFrom: "2026-01-01", ValidUntil: "2026-12-31", DocumentNumber: doc,
	})
}

func (h *hostileEnv) recognize(t *testing.T, doc string) (*registryv1.RecognizeTalentResponse, error) {
	return h.assessor.TalentAuthorization.RecognizeTalent(t.Context(), &registryv1.RecognizeTalentRequest{
		AuthorizationId: h.auth, TalentId: h.talent(t, h.authEnterprise), Level: "E", ValidFrom: "2026-07-01", ValidUntil: "2026-12-31", DocumentNumber: doc,
	})
}

func (h *hostileEnv) designation(t *testing.T, id string) *registryv1.Designation {
	t.Helper()
	return must(h.auditor.Designation.GetDesignation(t.Context(), &registryv1.GetDesignationRequest{Id: id}))(t, "get designation").Designation
}

func newHostileEnv(t *testing.T, db storetest.Database) *hostileEnv {
	t.Helper()
	env := rpctest.New(t, db)
	ctx := t.Context()
	h := &hostileEnv{
		env: env, economy: env.As("issuer", "bureau:economy-it"), talentOffice: env.As("issuer", "bureau:talent-office"),
		auditor: env.As("auditor", "auditor"), admin: env.As("admin", "admin"), anyone: env.ClientsWithToken(""),
		park: "hostile-park",
	}
	must(h.economy.Park.RegisterPark(ctx, &registryv1.RegisterParkRequest{Code: h.park, Name: "敌意测试产业园", District: "西湖区", OperatorOrg: "西湖区人民政府"}))(t, "register park")
	h.operator = env.As("operator", "park:"+h.park)
	h.competition = must(h.economy.Competition.RegisterCompetition(ctx, &registryv1.RegisterCompetitionRequest{
		Name: "敌意输入大赛", Organiser: "杭州市经信局", Year: 2026, Tier: registryv1.CompetitionTier_COMPETITION_TIER_MUNICIPAL,
		PrizeLevels: []*registryv1.PrizeLevel{{Prize: "一等奖", Level: "C"}},
	}))(t, "register competition").Competition.Id
	h.authEnterprise = h.enterprise(t)
	h.grant(t, "ai-growth-enterprise", h.authEnterprise)
	h.auth = must(h.issueAuthorization(t, h.authEnterprise, "杭人才授〔2026〕1号"))(t, "issue authorization").Authorization.Id
	h.assessor = env.As("talent-assessor", "enterprise:"+h.authEnterprise)
	h.applicant = h.enterprise(t)
	app := must(h.economy.Benefit.ApplyForSupport(ctx, h.voucher(h.enterprise(t), "HOSTILE-AWARD")))(t, "apply for support").Application
	h.supportAward = must(h.economy.Benefit.DecideApplication(ctx, &registryv1.DecideApplicationRequest{Id: app.Id, Approve: true}))(t, "approve support").Award.Id
	must(h.economy.Benefit.RecordDisbursement(ctx, &registryv1.RecordDisbursementRequest{AwardId: h.supportAward, AmountFen: 1_000_000, PaidOn: "2026-06-15", Payer: "city"}))(t, "pay support")
	return h
}

// voucher asks for a compute voucher for code on the contract ref.
func (h *hostileEnv) voucher(code, ref string) *registryv1.ApplyForSupportRequest {
	return &registryv1.ApplyForSupportRequest{MeasureCode: "compute-voucher", EnterpriseCreditCode: code, Year: 2026, BasisReference: ref,
		BasisKind: "other-compute", BasisAmountFen: 10_000_000, BasisDate: "2026-05-01"}
}

// stored makes the outcome of a call whose value is read back by read
// when it succeeded.
func stored[T any](res T, err error, read func(T) string) hostileOutcome {
	if err != nil {
		return hostileOutcome{err: err}
	}
	return hostileOutcome{stored: read(res), check: true}
}

// queried makes the outcome of a call that stores nothing.
func queried[T any](_ T, err error) hostileOutcome { return hostileOutcome{err: err} }

// hostileImport streams one import request and reads the answers: the
// columns of the row errors of an import that wrote nothing, or success.
// importStream is a generated import client stream.
type importStream[Req, Res any] interface {
	Send(*Req) error
	CloseSend() error
	Receive() (*Res, error)
	Close() error
}

func hostileImport[Req, Res any](t *testing.T, stream importStream[Req, Res], req *Req, progress func(*Res) *registryv1.ImportProgress) hostileOutcome {
	t.Helper()
	defer stream.Close()
	if err := stream.Send(req); err != nil && !errors.Is(err, io.EOF) {
		return hostileOutcome{err: err}
	}
	if err := stream.CloseSend(); err != nil {
		return hostileOutcome{err: err}
	}
	var columns []string
	var last *registryv1.ImportProgress
	for {
		msg, err := stream.Receive()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return hostileOutcome{err: err}
		}
		last = progress(msg)
		for _, e := range last.Errors {
			columns = append(columns, e.Column)
		}
	}
	switch {
	case last == nil:
		t.Fatal("import ended without an answer")
	case last.Outcome == registryv1.ImportOutcome_IMPORT_OUTCOME_ROLLED_BACK:
		if len(columns) == 0 {
			columns = []string{"(none)"}
		}
		return hostileOutcome{refused: columns}
	case last.Outcome != registryv1.ImportOutcome_IMPORT_OUTCOME_COMMITTED || last.Created+last.EnterprisesCreated == 0:
		t.Fatalf("import: %v", last)
	}
	return hostileOutcome{}
}

// hostileCases lists every text field of every mutating RPC, the query
// fields of the lists, and a few lookups by text key.
func hostileCases() []hostileCase {
	var cases []hostileCase
	add := func(name, field string, call func(t *testing.T, h *hostileEnv, v string) hostileOutcome, alsoOK ...connect.Code) {
		cases = append(cases, hostileCase{name: name, field: field, call: call, alsoOK: alsoOK})
	}
	getEnterprise := func(h *hostileEnv, t *testing.T, code string) *registryv1.Enterprise {
		return must(h.auditor.Enterprise.GetEnterprise(t.Context(), &registryv1.GetEnterpriseRequest{CreditCode: code}))(t, "get enterprise").Enterprise
	}
	getTalent := func(h *hostileEnv, t *testing.T, id string) *registryv1.Talent {
		return must(h.auditor.Talent.GetTalent(t.Context(), &registryv1.GetTalentRequest{Id: id}))(t, "get talent").Talent
	}

	// EnterpriseService
	add("RegisterEnterprise.name", "name", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		code := h.creditCode(t)
		res, err := h.economy.Enterprise.RegisterEnterprise(t.Context(), &registryv1.RegisterEnterpriseRequest{CreditCode: code, Name: v})
		return stored(res, err, func(*registryv1.RegisterEnterpriseResponse) string { return getEnterprise(h, t, code).Name })
	})
	add("RegisterEnterprise.district", "district", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		code := h.creditCode(t)
		res, err := h.economy.Enterprise.RegisterEnterprise(t.Context(), &registryv1.RegisterEnterpriseRequest{CreditCode: code, Name: "区域测试", District: v})
		return stored(res, err, func(*registryv1.RegisterEnterpriseResponse) string { return getEnterprise(h, t, code).District })
	})
	add("RegisterEnterprise.credit_code", "credit_code", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		res, err := h.economy.Enterprise.RegisterEnterprise(t.Context(), &registryv1.RegisterEnterpriseRequest{CreditCode: v, Name: "代码测试"})
		return stored(res, err, func(r *registryv1.RegisterEnterpriseResponse) string {
			return getEnterprise(h, t, r.Enterprise.CreditCode).CreditCode
		})
	})
	add("ListEnterprises.query", "query", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return queried(h.auditor.Enterprise.ListEnterprises(t.Context(), &registryv1.ListEnterprisesRequest{Query: v}))
	})
	add("ListEnterprises.district", "district", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return queried(h.auditor.Enterprise.ListEnterprises(t.Context(), &registryv1.ListEnterprisesRequest{District: v}))
	})
	add("GetEnterprise.credit_code", "credit_code", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return queried(h.auditor.Enterprise.GetEnterprise(t.Context(), &registryv1.GetEnterpriseRequest{CreditCode: v}))
	}, connect.CodeNotFound)

	// TalentService
	add("RegisterTalent.name", "name", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		res, err := h.talentOffice.Talent.RegisterTalent(t.Context(), &registryv1.RegisterTalentRequest{Name: v, IdNumber: h.idNumber(t)})
		return stored(res, err, func(r *registryv1.RegisterTalentResponse) string { return getTalent(h, t, r.Talent.Id).Name })
	})
	add("RegisterTalent.id_number", "id_number", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		res, err := h.talentOffice.Talent.RegisterTalent(t.Context(), &registryv1.RegisterTalentRequest{Name: "身份证测试", IdNumber: v})
		return stored(res, err, func(r *registryv1.RegisterTalentResponse) string {
			if getTalent(h, t, r.Talent.Id).IdNumberMasked != ident.MaskIDNumber(ident.NormalizeIDNumber(v)) {
				return "(masked number differs)"
			}
			return v
		})
	})
	add("RegisterTalent.passport_number", "passport_number", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		res, err := h.talentOffice.Talent.RegisterTalent(t.Context(), &registryv1.RegisterTalentRequest{Name: "Passport Test", PassportNumber: v, Nationality: "US"})
		return stored(res, err, func(r *registryv1.RegisterTalentResponse) string {
			if getTalent(h, t, r.Talent.Id).IdNumberMasked != ident.MaskPassport(ident.NormalizePassport(v)) {
				return "(masked number differs)"
			}
			return v
		})
	})
	add("RegisterTalent.nationality", "nationality", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		res, err := h.talentOffice.Talent.RegisterTalent(t.Context(), &registryv1.RegisterTalentRequest{Name: "Nationality Test", PassportNumber: fmt.Sprintf("N%08d", h.next()), Nationality: v})
		return stored(res, err, func(r *registryv1.RegisterTalentResponse) string { return getTalent(h, t, r.Talent.Id).Nationality })
	})

	// DesignationService
	grant := func(h *hostileEnv, t *testing.T, doc, note string) (*registryv1.GrantDesignationResponse, error) {
		return h.economy.Designation.GrantDesignation(t.Context(), &registryv1.GrantDesignationRequest{
			Type: "little-giant", EnterpriseCreditCode: h.enterprise(t), ValidFrom: "2026-01-01", ValidUntil: "2027-12-31", DocumentNumber: doc, Note: note,
		})
	}
	add("GrantDesignation.document_number", "document_number", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		res, err := grant(h, t, v, "")
		return stored(res, err, func(r *registryv1.GrantDesignationResponse) string {
			return h.designation(t, r.Designation.Id).DocumentNumber
		})
	})
	add("GrantDesignation.note", "note", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		res, err := grant(h, t, "工信部企业函〔2026〕2号", v)
		return stored(res, err, func(r *registryv1.GrantDesignationResponse) string { return h.designation(t, r.Designation.Id).Note })
	})
	add("GrantDesignation.type", "type", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		res, err := h.economy.Designation.GrantDesignation(t.Context(), &registryv1.GrantDesignationRequest{
			Type: v, EnterpriseCreditCode: h.enterprise(t), ValidFrom: "2026-01-01", ValidUntil: "2027-12-31", DocumentNumber: "X",
		})
		return stored(res, err, func(r *registryv1.GrantDesignationResponse) string { return h.designation(t, r.Designation.Id).Type })
	})
	status := func(name string, prepare func(h *hostileEnv, t *testing.T, id string), change func(h *hostileEnv, t *testing.T, id, reason string) (*registryv1.Designation, error)) {
		add(name+"Designation.reason", "reason", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
			d := must(grant(h, t, "工信部企业函〔2026〕3号", ""))(t, "fixture").Designation
			if prepare != nil {
				prepare(h, t, d.Id)
			}
			res, err := change(h, t, d.Id, v)
			return stored(res, err, func(*registryv1.Designation) string { return h.designation(t, d.Id).StatusReason })
		})
	}
	suspend := func(h *hostileEnv, t *testing.T, id, reason string) (*registryv1.Designation, error) {
		res, err := h.economy.Designation.SuspendDesignation(t.Context(), &registryv1.SuspendDesignationRequest{Id: id, Reason: reason})
		return res.GetDesignation(), err
	}
	status("Suspend", nil, suspend)
	status("Reinstate", func(h *hostileEnv, t *testing.T, id string) { must(suspend(h, t, id, "under review"))(t, "fixture") },
		func(h *hostileEnv, t *testing.T, id, reason string) (*registryv1.Designation, error) {
			res, err := h.economy.Designation.ReinstateDesignation(t.Context(), &registryv1.ReinstateDesignationRequest{Id: id, Reason: reason})
			return res.GetDesignation(), err
		})
	status("Revoke", nil, func(h *hostileEnv, t *testing.T, id, reason string) (*registryv1.Designation, error) {
		res, err := h.economy.Designation.RevokeDesignation(t.Context(), &registryv1.RevokeDesignationRequest{Id: id, Reason: reason})
		return res.GetDesignation(), err
	})
	add("RenewDesignation.document_number", "document_number", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		d := must(grant(h, t, "工信部企业函〔2026〕4号", ""))(t, "fixture").Designation
		res, err := h.economy.Designation.RenewDesignation(t.Context(), &registryv1.RenewDesignationRequest{Id: d.Id, ValidUntil: "2029-12-31", DocumentNumber: v})
		return stored(res, err, func(*registryv1.RenewDesignationResponse) string { return h.designation(t, d.Id).DocumentNumber })
	})
	add("ListDesignations.type", "type", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return queried(h.auditor.Designation.ListDesignations(t.Context(), &registryv1.ListDesignationsRequest{Type: v}))
	})
	add("GetDesignation.id", "id", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return queried(h.auditor.Designation.GetDesignation(t.Context(), &registryv1.GetDesignationRequest{Id: v}))
	}, connect.CodeNotFound)

	// CompetitionService
	competition := func(h *hostileEnv, t *testing.T, name, organiser, prize string, read func(*registryv1.Competition) string) hostileOutcome {
		res, err := h.economy.Competition.RegisterCompetition(t.Context(), &registryv1.RegisterCompetitionRequest{
			Name: name, Organiser: organiser, Year: 2026, Tier: registryv1.CompetitionTier_COMPETITION_TIER_PROVINCIAL,
			PrizeLevels: []*registryv1.PrizeLevel{{Prize: prize, Level: "D"}},
		})
		return stored(res, err, func(r *registryv1.RegisterCompetitionResponse) string {
			return read(must(h.auditor.Competition.GetCompetition(t.Context(), &registryv1.GetCompetitionRequest{Id: r.Competition.Id}))(t, "get competition").Competition)
		})
	}
	add("RegisterCompetition.name", "name", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return competition(h, t, v, "主办方", "金奖", func(c *registryv1.Competition) string { return c.Name })
	})
	add("RegisterCompetition.organiser", "organiser", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return competition(h, t, fmt.Sprintf("大赛%d", h.next()), v, "金奖", func(c *registryv1.Competition) string { return c.Organiser })
	})
	add("RegisterCompetition.prize_levels.prize", "prize", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return competition(h, t, fmt.Sprintf("大赛%d", h.next()), "主办方", v, func(c *registryv1.Competition) string { return c.PrizeLevels[0].Prize })
	})
	award := func(h *hostileEnv, t *testing.T, in *registryv1.AwardInput, read func(*registryv1.Award) string) hostileOutcome {
		res, err := h.economy.Competition.RecordAwards(t.Context(), &registryv1.RecordAwardsRequest{CompetitionId: h.competition, Awards: []*registryv1.AwardInput{in}})
		return stored(res, err, func(r *registryv1.RecordAwardsResponse) string {
			all := must(h.auditor.Competition.ListAwards(t.Context(), &registryv1.ListAwardsRequest{CompetitionId: h.competition, TalentId: r.Awards[0].TalentId}))(t, "list awards").Awards
			i := slices.IndexFunc(all, func(a *registryv1.Award) bool { return a.Id == r.Awards[0].Id })
			if i < 0 {
				t.Fatalf("award %s not listed", r.Awards[0].Id)
			}
			return read(all[i])
		})
	}
	add("RecordAwards.awards.name", "name", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return award(h, t, &registryv1.AwardInput{Name: v, IdNumber: h.idNumber(t), Prize: "一等奖"}, func(a *registryv1.Award) string { return a.TalentName })
	})
	add("RecordAwards.awards.team", "team", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return award(h, t, &registryv1.AwardInput{Name: "队员", IdNumber: h.idNumber(t), Prize: "一等奖", Team: v}, func(a *registryv1.Award) string { return a.Team })
	})
	add("RecordAwards.awards.prize", "prize", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return award(h, t, &registryv1.AwardInput{Name: "得奖者", IdNumber: h.idNumber(t), Prize: v}, func(a *registryv1.Award) string { return a.Prize })
	})
	add("RecordAwards.awards.passport_number", "passport_number", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return award(h, t, &registryv1.AwardInput{Name: "Winner", PassportNumber: v, Nationality: "FR", Prize: "一等奖"}, func(*registryv1.Award) string { return v })
	})
	add("RecognizeWinner.document_number", "document_number", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		a := must(h.economy.Competition.RecordAwards(t.Context(), &registryv1.RecordAwardsRequest{CompetitionId: h.competition,
			Awards: []*registryv1.AwardInput{{TalentId: h.talent(t, ""), Prize: "一等奖"}}}))(t, "record award").Awards[0]
		res, err := h.talentOffice.Competition.RecognizeWinner(t.Context(), &registryv1.RecognizeWinnerRequest{AwardId: a.Id, ValidFrom: "2026-07-01", ValidUntil: "2031-06-30", DocumentNumber: v})
		return stored(res, err, func(r *registryv1.RecognizeWinnerResponse) string {
			return h.designation(t, r.Designation.Id).DocumentNumber
		})
	})

	// TalentAuthorizationService
	getAuth := func(h *hostileEnv, t *testing.T, id string) *registryv1.TalentAuthorization {
		return must(h.talentOffice.TalentAuthorization.GetTalentAuthorization(t.Context(), &registryv1.GetTalentAuthorizationRequest{Id: id}))(t, "get authorization").Authorization
	}
	add("IssueTalentAuthorization.document_number", "document_number", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		code := h.enterprise(t)
		h.grant(t, "ai-growth-enterprise", code)
		res, err := h.issueAuthorization(t, code, v)
		return stored(res, err, func(r *registryv1.IssueTalentAuthorizationResponse) string {
			return getAuth(h, t, r.Authorization.Id).DocumentNumber
		})
	})
	add("RevokeTalentAuthorization.reason", "reason", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		code := h.enterprise(t)
		h.grant(t, "ai-growth-enterprise", code)
		id := must(h.issueAuthorization(t, code, "杭人才授〔2026〕2号"))(t, "fixture").Authorization.Id
		res, err := h.talentOffice.TalentAuthorization.RevokeTalentAuthorization(t.Context(), &registryv1.RevokeTalentAuthorizationRequest{Id: id, Reason: v})
		return stored(res, err, func(*registryv1.RevokeTalentAuthorizationResponse) string { return getAuth(h, t, id).StatusReason })
	})
	add("RecognizeTalent.document_number", "document_number", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		res, err := h.recognize(t, v)
		return stored(res, err, func(r *registryv1.RecognizeTalentResponse) string {
			return h.designation(t, r.Designation.Id).DocumentNumber
		})
	})
	add("WithdrawRecognition.reason", "reason", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		id := must(h.recognize(t, ""))(t, "fixture").Designation.Id
		res, err := h.assessor.TalentAuthorization.WithdrawRecognition(t.Context(), &registryv1.WithdrawRecognitionRequest{DesignationId: id, Reason: v})
		return stored(res, err, func(*registryv1.WithdrawRecognitionResponse) string { return h.designation(t, id).StatusReason })
	})

	// ParkService
	park := func(h *hostileEnv, t *testing.T, in *registryv1.RegisterParkRequest, read func(*registryv1.Park) string) hostileOutcome {
		if in.Code == "" {
			in.Code = fmt.Sprintf("park-%d", h.next())
		}
		if in.Name == "" {
			in.Name = "测试园区"
		}
		res, err := h.economy.Park.RegisterPark(t.Context(), in)
		return stored(res, err, func(*registryv1.RegisterParkResponse) string {
			return read(must(h.auditor.Park.GetPark(t.Context(), &registryv1.GetParkRequest{Code: in.Code}))(t, "get park").Park)
		})
	}
	add("RegisterPark.code", "code", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return park(h, t, &registryv1.RegisterParkRequest{Code: v}, func(p *registryv1.Park) string { return p.Code })
	})
	add("RegisterPark.name", "name", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return park(h, t, &registryv1.RegisterParkRequest{Name: v}, func(p *registryv1.Park) string { return p.Name })
	})
	add("RegisterPark.district", "district", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return park(h, t, &registryv1.RegisterParkRequest{District: v}, func(p *registryv1.Park) string { return p.District })
	})
	add("RegisterPark.operator_org", "operator_org", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return park(h, t, &registryv1.RegisterParkRequest{OperatorOrg: v}, func(p *registryv1.Park) string { return p.OperatorOrg })
	})
	add("RegisterPark.document_number", "document_number", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return park(h, t, &registryv1.RegisterParkRequest{DocumentNumber: v}, func(p *registryv1.Park) string { return h.designation(t, p.DesignationId).DocumentNumber })
	})
	add("GetPark.code", "code", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return queried(h.auditor.Park.GetPark(t.Context(), &registryv1.GetParkRequest{Code: v}))
	}, connect.CodeNotFound)
	add("EndTenancy.reason", "reason", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		ten := must(h.operator.Park.AdmitTenant(t.Context(), &registryv1.AdmitTenantRequest{ParkCode: h.park, EnterpriseCreditCode: h.enterprise(t), StartDate: "2026-01-01", FloorAreaM2: 10}))(t, "admit tenant").Tenancy
		res, err := h.operator.Park.EndTenancy(t.Context(), &registryv1.EndTenancyRequest{TenancyId: ten.Id, EndDate: "2026-12-31", Reason: v})
		return stored(res, err, func(*registryv1.EndTenancyResponse) string {
			for token := ""; ; {
				page := must(h.operator.Park.ListTenants(t.Context(), &registryv1.ListTenantsRequest{ParkCode: h.park, PageSize: 500, PageToken: token}))(t, "list tenants")
				if i := slices.IndexFunc(page.Tenancies, func(x *registryv1.Tenancy) bool { return x.Id == ten.Id }); i >= 0 {
					return page.Tenancies[i].EndReason
				}
				if token = page.NextPageToken; token == "" {
					t.Fatalf("tenancy %s not listed", ten.Id)
				}
			}
		})
	})
	rule := func(h *hostileEnv, t *testing.T, benefit string, types []string) hostileOutcome {
		res, err := h.operator.Park.SetEligibilityRule(t.Context(), &registryv1.SetEligibilityRuleRequest{ParkCode: h.park, Benefit: benefit, AnyOfDesignationTypes: types})
		return stored(res, err, func(*registryv1.SetEligibilityRuleResponse) string {
			rules := must(h.operator.Park.ListEligibilityRules(t.Context(), &registryv1.ListEligibilityRulesRequest{ParkCode: h.park}))(t, "list rules").Rules
			i := slices.IndexFunc(rules, func(r *registryv1.EligibilityRule) bool { return r.Benefit == benefit })
			if i < 0 {
				return "(rule not listed)"
			}
			if len(types) > 0 {
				return rules[i].AnyOfDesignationTypes[0]
			}
			return rules[i].Benefit
		})
	}
	add("SetEligibilityRule.benefit", "benefit", func(t *testing.T, h *hostileEnv, v string) hostileOutcome { return rule(h, t, v, nil) })
	add("SetEligibilityRule.any_of_designation_types", "any_of_designation_types", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return rule(h, t, fmt.Sprintf("benefit-%d", h.next()), []string{v})
	})
	add("VerifyTenantEligibility.benefit", "benefit", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return queried(h.operator.Park.VerifyTenantEligibility(t.Context(), &registryv1.VerifyTenantEligibilityRequest{ParkCode: h.park, EnterpriseCreditCode: h.authEnterprise, Benefit: v}))
	}, connect.CodeNotFound)

	// AccessService
	add("CreateToken.subject", "subject", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		res, err := h.admin.Access.CreateToken(t.Context(), &registryv1.CreateTokenRequest{Subject: v, Organisation: "bureau:economy-it", Role: "viewer"})
		return stored(res, err, func(r *registryv1.CreateTokenResponse) string {
			tokens := must(h.admin.Access.ListTokens(t.Context(), &registryv1.ListTokensRequest{}))(t, "list tokens").Tokens
			i := slices.IndexFunc(tokens, func(x *registryv1.Token) bool { return x.Id == r.Info.Id })
			if i < 0 {
				t.Fatalf("token %d not listed", r.Info.Id)
			}
			return tokens[i].Subject
		})
	})
	add("CreateToken.organisation", "organisation", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return queried(h.admin.Access.CreateToken(t.Context(), &registryv1.CreateTokenRequest{Subject: "s", Organisation: v, Role: "viewer"}))
	})
	add("CreateToken.role", "role", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return queried(h.admin.Access.CreateToken(t.Context(), &registryv1.CreateTokenRequest{Subject: "s", Organisation: "bureau:economy-it", Role: v}))
	})
	add("ListGrantRules.designation_type", "designation_type", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return queried(h.admin.Access.ListGrantRules(t.Context(), &registryv1.ListGrantRulesRequest{DesignationType: v}))
	})
	add("ListGrantRules.bureau", "bureau", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return queried(h.admin.Access.ListGrantRules(t.Context(), &registryv1.ListGrantRulesRequest{Bureau: v}))
	})
	for _, f := range []string{"subject", "action", "designation_type", "resource"} {
		add("CheckPermission."+f, f, func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
			q := &registryv1.CheckPermissionRequest{Subject: "issuer@bureau:economy-it", Action: "grant", DesignationType: "little-giant"}
			switch f {
			case "subject":
				q.Subject = v
			case "action":
				q.Action = v
			case "designation_type":
				q.DesignationType = v
			case "resource":
				q.Resource, q.DesignationType = v, ""
			}
			return queried(h.admin.Access.CheckPermission(t.Context(), q))
		}, connect.CodeNotFound) // resource names a designation, looked up
	}

	// AuditService
	add("ListAuditEvents.entity", "entity", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return queried(h.auditor.Audit.ListAuditEvents(t.Context(), &registryv1.ListAuditEventsRequest{Entity: v}))
	})
	add("ListAuditEvents.actor", "actor", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return queried(h.auditor.Audit.ListAuditEvents(t.Context(), &registryv1.ListAuditEventsRequest{Actor: v}))
	})
	add("ListAuditEvents.page_token", "page_token", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return queried(h.auditor.Audit.ListAuditEvents(t.Context(), &registryv1.ListAuditEventsRequest{PageToken: v}))
	})

	// VerificationService, without a token
	add("VerifyAttestation.token", "token", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return queried(h.anyone.Verification.VerifyAttestation(t.Context(), &registryv1.VerifyAttestationRequest{Token: v}))
	})
	add("GetDesignationStatus.id", "id", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return queried(h.anyone.Verification.GetDesignationStatus(t.Context(), &registryv1.GetDesignationStatusRequest{Id: v}))
	}, connect.CodeNotFound)

	// BenefitService
	application := func(h *hostileEnv, t *testing.T, id string) *registryv1.Application {
		return must(h.auditor.Benefit.GetApplication(t.Context(), &registryv1.GetApplicationRequest{Id: id}))(t, "get application").Application
	}
	apply := func(h *hostileEnv, t *testing.T, mutate func(*registryv1.ApplyForSupportRequest), read func(*registryv1.Application) string) hostileOutcome {
		req := h.voucher(h.applicant, fmt.Sprintf("HT-%d", h.next()))
		mutate(req)
		res, err := h.economy.Benefit.ApplyForSupport(t.Context(), req)
		return stored(res, err, func(r *registryv1.ApplyForSupportResponse) string { return read(application(h, t, r.Application.Id)) })
	}
	add("ApplyForSupport.basis_reference", "basis_reference", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		// A cost item is keyed in one spelling: half-width, upper case.
		return apply(h, t, func(r *registryv1.ApplyForSupportRequest) { r.BasisReference = v }, func(a *registryv1.Application) string {
			if a.BasisReference != benefit.NormalizeReference(v) {
				return "(reference normalised otherwise: " + a.BasisReference + ")"
			}
			return v
		})
	})
	add("ApplyForSupport.evidence", "evidence", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return apply(h, t, func(r *registryv1.ApplyForSupportRequest) { r.Evidence = v }, func(a *registryv1.Application) string { return a.Evidence })
	})
	for field, mutate := range map[string]func(*registryv1.ApplyForSupportRequest, string){
		"measure_code":           func(r *registryv1.ApplyForSupportRequest, v string) { r.MeasureCode = v },
		"enterprise_credit_code": func(r *registryv1.ApplyForSupportRequest, v string) { r.EnterpriseCreditCode = v },
		"basis_kind":             func(r *registryv1.ApplyForSupportRequest, v string) { r.BasisKind = v },
		"basis_date":             func(r *registryv1.ApplyForSupportRequest, v string) { r.BasisDate = v },
	} {
		add("ApplyForSupport."+field, field, func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
			return apply(h, t, func(r *registryv1.ApplyForSupportRequest) { mutate(r, v) }, func(*registryv1.Application) string { return "(accepted)" })
		})
	}
	add("DecideApplication.reason", "reason", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		app := must(h.economy.Benefit.ApplyForSupport(t.Context(), h.voucher(h.applicant, fmt.Sprintf("HT-%d", h.next()))))(t, "apply").Application
		res, err := h.economy.Benefit.DecideApplication(t.Context(), &registryv1.DecideApplicationRequest{Id: app.Id, Reason: v})
		return stored(res, err, func(*registryv1.DecideApplicationResponse) string { return application(h, t, app.Id).Reason })
	})
	add("RecoverAward.reason", "reason", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		res, err := h.economy.Benefit.RecoverAward(t.Context(), &registryv1.RecoverAwardRequest{AwardId: h.supportAward, AmountFen: 1, Reason: v})
		return stored(res, err, func(r *registryv1.RecoverAwardResponse) string {
			awards := must(h.auditor.Benefit.ListAwards(t.Context(), &registryv1.ListSupportAwardsRequest{PageSize: 500}))(t, "list awards").Awards
			for _, a := range awards {
				for _, x := range a.Recoveries {
					if x.Id == r.Recovery.Id {
						return x.Reason
					}
				}
			}
			return "(recovery not listed)"
		})
	})
	add("RecordDisbursement.payer", "payer", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return queried(h.economy.Benefit.RecordDisbursement(t.Context(), &registryv1.RecordDisbursementRequest{AwardId: h.supportAward, AmountFen: 1, PaidOn: "2026-06-15", Payer: v}))
	})
	add("RecordDisbursement.award_id", "award_id", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return queried(h.economy.Benefit.RecordDisbursement(t.Context(), &registryv1.RecordDisbursementRequest{AwardId: v, AmountFen: 1, PaidOn: "2026-06-15", Payer: "city"}))
	}, connect.CodeNotFound)
	add("SettleRecovery.recovery_id", "recovery_id", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return queried(h.economy.Benefit.SettleRecovery(t.Context(), &registryv1.SettleRecoveryRequest{RecoveryId: v}))
	}, connect.CodeNotFound)
	add("GetApplication.id", "id", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return queried(h.auditor.Benefit.GetApplication(t.Context(), &registryv1.GetApplicationRequest{Id: v}))
	}, connect.CodeNotFound)
	add("ListApplications.page_token", "page_token", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return queried(h.auditor.Benefit.ListApplications(t.Context(), &registryv1.ListApplicationsRequest{PageToken: v}))
	})
	add("ListAwards.enterprise_credit_code", "enterprise_credit_code", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return queried(h.auditor.Benefit.ListAwards(t.Context(), &registryv1.ListSupportAwardsRequest{EnterpriseCreditCode: v}))
	})
	add("GetSupportStatement.enterprise_credit_code", "enterprise_credit_code", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return queried(h.auditor.Benefit.GetSupportStatement(t.Context(), &registryv1.GetSupportStatementRequest{EnterpriseCreditCode: v, Year: 2026}))
	}, connect.CodeNotFound)
	add("ListPublishedAwards.measure_code", "measure_code", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return queried(h.anyone.Verification.ListPublishedAwards(t.Context(), &registryv1.ListPublishedAwardsRequest{MeasureCode: v}))
	})
	add("ListPublishedAwards.page_token", "page_token", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return queried(h.anyone.Verification.ListPublishedAwards(t.Context(), &registryv1.ListPublishedAwardsRequest{PageToken: v}))
	})

	// ImportService
	enterpriseImport := func(h *hostileEnv, t *testing.T, name, district string) hostileOutcome {
		code := h.creditCode(t)
		stream := must(h.economy.Import.ImportEnterprises(t.Context()))(t, "fixture")
		out := hostileImport(t, stream, &registryv1.ImportEnterprisesRequest{Rows: []*registryv1.EnterpriseRow{{Row: 2, CreditCode: code, Name: name, District: district}}},
			func(r *registryv1.ImportEnterprisesResponse) *registryv1.ImportProgress { return r.Progress })
		if out.err == nil && out.refused == nil {
			e := getEnterprise(h, t, code)
			out.stored, out.check = e.Name, true
			if name == "导入企业" {
				out.stored = e.District
			}
		}
		return out
	}
	add("ImportEnterprises.name", "name", func(t *testing.T, h *hostileEnv, v string) hostileOutcome { return enterpriseImport(h, t, v, "") })
	add("ImportEnterprises.district", "district", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return enterpriseImport(h, t, "导入企业", v)
	})
	designationImport := func(h *hostileEnv, t *testing.T, row *registryv1.DesignationRow, read func(*registryv1.Designation, *registryv1.Enterprise) string) hostileOutcome {
		row.Row, row.Type, row.ValidFrom, row.ValidUntil = 2, "little-giant", "2026-01-01", "2027-12-31"
		if row.DocumentNumber == "" {
			row.DocumentNumber = fmt.Sprintf("工信部企业函〔2026〕%d号", h.next())
		}
		if row.EnterpriseCreditCode == "" {
			row.EnterpriseCreditCode = h.enterprise(t)
		}
		stream := must(h.economy.Import.ImportDesignations(t.Context()))(t, "fixture")
		out := hostileImport(t, stream, &registryv1.ImportDesignationsRequest{Rows: []*registryv1.DesignationRow{row}},
			func(r *registryv1.ImportDesignationsResponse) *registryv1.ImportProgress { return r.Progress })
		if out.err == nil && out.refused == nil {
			ds := must(h.auditor.Designation.ListDesignations(t.Context(), &registryv1.ListDesignationsRequest{EnterpriseCreditCode: row.EnterpriseCreditCode}))(t, "list designations").Designations
			if len(ds) != 1 {
				t.Fatalf("%d designations after the import", len(ds))
			}
			out.stored, out.check = read(ds[0], getEnterprise(h, t, row.EnterpriseCreditCode)), true
		}
		return out
	}
	add("ImportDesignations.document_number", "document_number", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return designationImport(h, t, &registryv1.DesignationRow{DocumentNumber: v}, func(d *registryv1.Designation, _ *registryv1.Enterprise) string { return d.DocumentNumber })
	})
	add("ImportDesignations.note", "note", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return designationImport(h, t, &registryv1.DesignationRow{Note: v}, func(d *registryv1.Designation, _ *registryv1.Enterprise) string { return d.Note })
	})
	add("ImportDesignations.enterprise_name", "enterprise_name", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		return designationImport(h, t, &registryv1.DesignationRow{EnterpriseCreditCode: h.creditCode(t), EnterpriseName: v}, func(_ *registryv1.Designation, e *registryv1.Enterprise) string { return e.Name })
	})
	add("ImportAwards.team", "team", func(t *testing.T, h *hostileEnv, v string) hostileOutcome {
		talent := h.talent(t, "")
		stream := must(h.economy.Import.ImportAwards(t.Context()))(t, "fixture")
		out := hostileImport(t, stream, &registryv1.ImportAwardsRequest{Rows: []*registryv1.AwardRow{{Row: 2, CompetitionId: h.competition, TalentId: talent, Prize: "一等奖", Team: v}}},
			func(r *registryv1.ImportAwardsResponse) *registryv1.ImportProgress { return r.Progress })
		if out.err == nil && out.refused == nil {
			awards := must(h.auditor.Competition.ListAwards(t.Context(), &registryv1.ListAwardsRequest{CompetitionId: h.competition, TalentId: talent}))(t, "list awards").Awards
			out.stored, out.check = awards[0].Team, true
		}
		return out
	})
	return cases
}

// fieldNamed reports whether one of got names field: equal to it, a path
// ending in it, or it with an index.
func fieldNamed(got []string, field string) bool {
	return slices.ContainsFunc(got, func(g string) bool {
		return g == field || strings.HasSuffix(g, "."+field) || strings.HasPrefix(g, field+"[") || strings.HasSuffix(g, "."+field+"]")
	})
}

// shorten keeps test output readable when values are a megabyte long.
func shorten(s string) string {
	if len(s) > 80 {
		return fmt.Sprintf("%.60q… (%d bytes)", s, len(s))
	}
	return fmt.Sprintf("%q", s)
}

// TestHostileInput sends every hostile value in every text field: each
// call either succeeds and the value reads back byte for byte, or is
// refused with invalid_argument naming the field (a row error naming the
// column, for imports); never internal or unknown, and no database text
// in the message.
func TestHostileInput(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		h := newHostileEnv(t, db)
		var mu sync.Mutex
		accepted := map[string][]string{}
		for _, c := range hostileCases() {
			t.Run(c.name, func(t *testing.T) {
				for _, hv := range hostileValues {
					t.Run(hv.name, func(t *testing.T) {
						out := c.call(t, h, hv.value)
						code := rpctest.Code(out.err)
						switch {
						case out.refused != nil:
							if !fieldNamed(out.refused, c.field) {
								t.Errorf("import refused the row naming %q, want %q", out.refused, c.field)
							}
						case code == 0:
							mu.Lock()
							accepted[c.name] = append(accepted[c.name], hv.name)
							mu.Unlock()
							if out.check && out.stored != hv.value {
								t.Errorf("stored %s, sent %s", shorten(out.stored), shorten(hv.value))
							}
						case code == connect.CodeInvalidArgument:
							if got := badRequestFields(t, out.err); !fieldNamed(got, c.field) {
								t.Errorf("invalid_argument naming %q, want %q: %s", got, c.field, shorten(out.err.Error()))
							}
						case slices.Contains(c.alsoOK, code):
						default:
							t.Errorf("BUG: %v: %s", code, shorten(out.err.Error()))
						}
						if out.err != nil {
							msg := out.err.Error()
							msg = strings.ReplaceAll(msg, fmt.Sprintf("%q", hv.value), "")
							msg = strings.ReplaceAll(msg, hv.value, "")
							assertNoSQLLeak(t, errors.New(msg))
						}
					})
				}
			})
		}
		for _, c := range hostileCases() {
			if a := accepted[c.name]; len(a) > 0 {
				t.Logf("%s stored verbatim: %s", c.name, strings.Join(a, ", "))
			}
		}
		t.Run("like wildcards match literally", func(t *testing.T) {
			code := h.creditCode(t)
			must(h.economy.Enterprise.RegisterEnterprise(t.Context(), &registryv1.RegisterEnterpriseRequest{CreditCode: code, Name: "百分之百_测试"}))(t, "register")
			for _, q := range []string{"%", "_", "%_%", "百分之百_"} {
				res := must(h.auditor.Enterprise.ListEnterprises(t.Context(), &registryv1.ListEnterprisesRequest{Query: q, PageSize: 500}))(t, "list")
				for _, e := range res.Enterprises {
					if !strings.Contains(e.Name, q) && !strings.HasPrefix(e.CreditCode, q) {
						t.Errorf("query %q matched %q", q, e.Name)
					}
				}
			}
		})
		t.Run("audit chain intact", func(t *testing.T) {
			v := must(h.auditor.Audit.VerifyAuditChain(t.Context(), &registryv1.VerifyAuditChainRequest{}))(t, "verify")
			if !v.Ok {
				t.Fatalf("audit chain broken: %+v", v)
			}
		})
	})
}

func registryPrincipal(role, org string) registry.Principal {
	return registry.Principal{Subject: role + "@" + org, Org: org, Role: role}
}

// rawCall posts body to a procedure with the Connect protocol, as a client
// whose encoder does not check UTF-8 would, and returns the HTTP status
// and the Connect error code.
func rawCall(t *testing.T, env *rpctest.Env, token, procedure, contentType string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, env.URL+procedure, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Connect-Protocol-Version", "1")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var e struct {
		Code string `json:"code"`
	}
	if res.StatusCode != http.StatusOK {
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatalf("%s: status %d, body %q", procedure, res.StatusCode, b)
		}
	}
	return res.StatusCode, e.Code
}

// TestHostileInvalidUTF8 sends invalid UTF-8 in string fields, which the
// Go client cannot marshal: as hand-built protobuf wire bytes and as JSON
// with raw bytes. The server must answer invalid_argument.
func TestHostileInvalidUTF8(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		economy := env.Token(registryPrincipal("issuer", "bureau:economy-it"))
		talentOffice := env.Token(registryPrincipal("issuer", "bureau:talent-office"))
		admin := env.Token(registryPrincipal("admin", "admin"))
		auditor := env.Token(registryPrincipal("auditor", "auditor"))
		operator := env.Token(registryPrincipal("operator", "park:west-lake"))
		credit := testCreditCode(t, 9)
		bad := []string{"\xff", "ok\xfe\xfe", "\xc0\x80", "\xed\xa0\x80", "杭\xe5\xb7"}
		cases := []struct {
			procedure, token string
			// fields maps field numbers to values; the bad value goes in hostile.
			fields  map[protowire.Number]string
			hostile protowire.Number
			json    string // the JSON name of hostile
		}{
			{"/registry.v1.EnterpriseService/RegisterEnterprise", economy, map[protowire.Number]string{1: credit, 2: "名称"}, 2, "name"},
			{"/registry.v1.EnterpriseService/RegisterEnterprise", economy, map[protowire.Number]string{1: credit, 2: "名称"}, 3, "district"},
			{"/registry.v1.EnterpriseService/ListEnterprises", auditor, nil, 1, "query"},
			{"/registry.v1.TalentService/RegisterTalent", talentOffice, map[protowire.Number]string{2: "11010519491231002X"}, 1, "name"},
			{"/registry.v1.TalentService/RegisterTalent", talentOffice, map[protowire.Number]string{1: "名"}, 3, "passportNumber"},
			{"/registry.v1.DesignationService/GrantDesignation", economy, map[protowire.Number]string{1: "little-giant", 2: credit, 5: "2026-01-01", 6: "2027-12-31"}, 7, "documentNumber"},
			{"/registry.v1.DesignationService/GrantDesignation", economy, map[protowire.Number]string{1: "little-giant", 2: credit, 5: "2026-01-01", 6: "2027-12-31", 7: "X"}, 8, "note"},
			{"/registry.v1.DesignationService/SuspendDesignation", economy, map[protowire.Number]string{1: "00000000-0000-7000-8000-000000000000"}, 2, "reason"},
			{"/registry.v1.CompetitionService/RegisterCompetition", economy, map[protowire.Number]string{2: "主办"}, 1, "name"},
			{"/registry.v1.ParkService/RegisterPark", economy, map[protowire.Number]string{1: "utf8-park"}, 2, "name"},
			{"/registry.v1.ParkService/SetEligibilityRule", operator, map[protowire.Number]string{1: "west-lake"}, 2, "benefit"},
			{"/registry.v1.AccessService/CreateToken", admin, map[protowire.Number]string{2: "bureau:economy-it", 3: "viewer"}, 1, "subject"},
			{"/registry.v1.AuditService/ListAuditEvents", auditor, nil, 1, "entity"},
			{"/registry.v1.AuditService/ListAuditEvents", auditor, nil, 2, "actor"},
			{"/registry.v1.VerificationService/VerifyAttestation", "", nil, 1, "token"},
			{"/registry.v1.VerificationService/ListPublishedAwards", "", nil, 1, "measureCode"},
			{"/registry.v1.BenefitService/ApplyForSupport", economy, map[protowire.Number]string{1: "compute-voucher", 2: credit, 5: "other-compute", 8: "2026-05-01"}, 4, "basisReference"},
			{"/registry.v1.BenefitService/DecideApplication", economy, map[protowire.Number]string{1: "app_01900000-0000-7000-8000-000000000000"}, 3, "reason"},
		}
		for _, tc := range cases {
			for i, b := range bad {
				t.Run(fmt.Sprintf("%s.%s/%d", tc.procedure[strings.LastIndexByte(tc.procedure, '/')+1:], tc.json, i), func(t *testing.T) {
					var wire []byte
					obj := map[string]string{}
					nums := make([]protowire.Number, 0, len(tc.fields)+1)
					for n := range tc.fields {
						nums = append(nums, n)
					}
					nums = append(nums, tc.hostile)
					slices.Sort(nums)
					for _, n := range nums {
						v, ok := tc.fields[n]
						if n == tc.hostile {
							v, ok = b, true
						}
						if ok {
							wire = protowire.AppendTag(wire, n, protowire.BytesType)
							wire = protowire.AppendString(wire, v)
						}
					}
					status, code := rawCall(t, env, tc.token, tc.procedure, "application/proto", wire)
					if code != connect.CodeInvalidArgument.String() {
						t.Errorf("binary: status %d code %q, want invalid_argument", status, code)
					}
					// JSON: the field by its JSON name, the bad bytes raw in the string.
					obj[tc.json] = "\x00PLACEHOLDER"
					body, err := json.Marshal(obj)
					if err != nil {
						t.Fatal(err)
					}
					body = bytes.Replace(body, []byte(`\u0000PLACEHOLDER`), []byte(b), 1)
					status, code = rawCall(t, env, tc.token, tc.procedure, "application/json", body)
					if code != connect.CodeInvalidArgument.String() {
						t.Errorf("json %q: status %d code %q, want invalid_argument", body, status, code)
					}
				})
			}
		}
	})
}
