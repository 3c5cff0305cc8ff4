package web

import (
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/benefit"
	"github.com/hangzhou-ai/registry/registry/catalog"
	"github.com/hangzhou-ai/registry/registry/designation"
)

// supportRoutes are the support ledger's pages: the deciding bureaus'
// review queue, an application with its breakdown and the decision forms,
// and an enterprise's signed support statement (its members' own, and any
// enterprise's for bureaus and auditors, from the enterprise's page).
func (s *Server) supportRoutes(mux *http.ServeMux) {
	mux.Handle("GET /console/support/applications", s.signedIn(s.applicationsPage))
	mux.Handle("GET /console/support/applications/{id}", s.signedIn(s.applicationPage))
	mux.Handle("POST /console/support/applications/{id}/approve", s.signedIn(s.approveApplication))
	mux.Handle("POST /console/support/applications/{id}/reject", s.signedIn(s.rejectApplication))
	mux.Handle("GET /console/support/statement", s.signedIn(s.ownStatementPage))
	mux.Handle("GET /console/enterprises/{code}/statement", s.signedIn(s.statementPage))
}

// decidesSupport tells whether bureau code decides any support measure:
// its console menu then offers the review queue.
func decidesSupport(code string) bool {
	for _, m := range catalog.Measures {
		if m.Bureau == code {
			return true
		}
	}
	return false
}

// yuan writes an amount in fen as yuan with two decimals and thousands
// separators (300000000 is 3,000,000.00), in integers only.
func yuan(fen int64) string {
	u := uint64(fen)
	if fen < 0 {
		u = -u // two's complement: right for math.MinInt64 too
	}
	whole := strconv.FormatUint(u/catalog.FenPerYuan, 10)
	var b strings.Builder
	if fen < 0 {
		b.WriteByte('-')
	}
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	cents := u % catalog.FenPerYuan
	b.WriteByte('.')
	b.WriteByte(byte('0' + cents/10))
	b.WriteByte(byte('0' + cents%10))
	return b.String()
}

// applicationStatuses are an application's statuses in words, with the
// class that colours them.
var applicationStatuses = map[string]struct {
	text  Text
	class string
}{
	benefit.StatusPending:  {Text{"待审核", "Pending"}, "warn"},
	benefit.StatusApproved: {Text{"已批准", "Approved"}, "ok"},
	benefit.StatusRejected: {Text{"已驳回", "Rejected"}, "bad"},
}

// stepNames name the steps of an award's breakdown.
var stepNames = map[string]Text{
	benefit.StepComputed:          {"按比例计算", "Rate applied"},
	benefit.StepInterestShare:     {"贴息比例", "Interest share"},
	benefit.StepPrincipalCap:      {"本金上限", "Principal cap"},
	benefit.StepPerAwardCap:       {"单项上限", "Per-award cap"},
	benefit.StepOverlap:           {"从优、就高、不重复", "Highest entitlement, never twice"},
	benefit.StepEnterpriseYearCap: {"企业年度上限", "Enterprise-year cap"},
	benefit.StepBudget:            {"年度资金", "Yearly budget"},
	benefit.StepMinimum:           {"最低金额", "Least award"},
}

type applicationsView struct {
	Measures       []catalog.Measure
	MeasuresByCode map[string]catalog.Measure
	Measure        string
	Applications   []benefit.Application
	Next           string
}

// applicationsPage is the review queue: the pending applications, newest
// first, of every measure or of ?measure=.
func (s *Server) applicationsPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := applicationsView{Measures: catalog.Measures, MeasuresByCode: catalog.MeasuresByCode, Measure: strings.TrimSpace(q.Get("measure"))}
	var p *problem
	list, next, err := s.reg.ListApplications(r.Context(), benefit.ApplicationFilter{
		MeasureCode: v.Measure, Status: benefit.StatusPending, PageSize: 50, PageToken: q.Get("page_token"),
	})
	if err != nil {
		p = problemOf(s.log, err)
	}
	v.Applications, v.Next = list, next
	s.pageStatus(w, r, http.StatusOK, "support_applications.html", Text{"扶持资金审核", "Support applications"}, p, v)
}

type applicationView struct {
	A       benefit.Application
	Measure catalog.Measure
	Form    url.Values
	Refused string // the decision form refused (approve or reject), whose values are shown again
}

func (s *Server) applicationPage(w http.ResponseWriter, r *http.Request) {
	s.showApplication(w, r, nil)
}

// showApplication shows an application with its breakdown: the final one
// once decided, else, for those who may decide it, what approving would
// compute now, with the forms to approve and reject; p is a refused
// form's problem.
func (s *Server) showApplication(w http.ResponseWriter, r *http.Request, p *problem) {
	a, err := s.reg.GetApplication(r.Context(), r.PathValue("id"))
	if err != nil {
		s.failRead(w, r, err)
		return
	}
	v := applicationView{A: a, Measure: catalog.MeasuresByCode[a.MeasureCode], Form: r.PostForm}
	if r.Method == http.MethodPost {
		v.Refused = path.Base(r.URL.Path)
	}
	s.pageStatus(w, r, http.StatusOK, "support_application.html", Text{"扶持资金申请", "Support application"}, p, v)
}

func (s *Server) approveApplication(w http.ResponseWriter, r *http.Request) {
	s.decide(w, r, true)
}

func (s *Server) rejectApplication(w http.ResponseWriter, r *http.Request) {
	s.decide(w, r, false)
}

// decide approves or rejects the application, and shows its page again
// on a refusal.
func (s *Server) decide(w http.ResponseWriter, r *http.Request, approve bool) {
	if err := form(w, r); err != nil {
		s.showApplication(w, r, formUnreadable)
		return
	}
	id := r.PathValue("id")
	if _, _, err := s.reg.DecideApplication(r.Context(), benefit.Decision{ID: id, Approve: approve, Reason: value(r, "reason")}); err != nil {
		s.showApplication(w, r, problemOf(s.log, err))
		return
	}
	flash := "rejected"
	if approve {
		flash = "approved"
	}
	done(w, r, "/console/support/applications/"+url.PathEscape(id), flash)
}

// statementAward is an award of a statement, with the status now of the
// designation it relied on ("" when none).
type statementAward struct {
	benefit.Award
	ReliedOnStatus designation.Status
}

type statementView struct {
	S         benefit.Statement
	Awards    []statementAward
	Action    string // the year form's address
	VerifyURL string
}

// ownStatementPage is the signed-in member's own enterprise's statement.
func (s *Server) ownStatementPage(w http.ResponseWriter, r *http.Request) {
	code, ok := ownEnterprise(r)
	if !ok {
		s.fail(w, r, enterpriseOnly)
		return
	}
	s.showStatement(w, r, code, "/console/support/statement")
}

// statementPage is an enterprise's statement, as its page links to it;
// the registry lets bureaus, auditors and the enterprise's own members
// read it.
func (s *Server) statementPage(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	s.showStatement(w, r, code, "/console/enterprises/"+url.PathEscape(code)+"/statement")
}

// showStatement shows the enterprise's statement for ?year= (this year in
// China Standard Time when empty) with its attestation and /verify link.
func (s *Server) showStatement(w http.ResponseWriter, r *http.Request, code, action string) {
	year, _, bad := queryYear(r)
	if bad != nil {
		s.fail(w, r, bad)
		return
	}
	if year == 0 {
		year = s.reg.Now().In(cst).Year()
	}
	st, err := s.reg.GetSupportStatement(r.Context(), code, year)
	if err != nil {
		// A year out of range is the form's mistake; anything else (an
		// enterprise not there, or not the principal's) is notYours.
		if registry.KindOf(err) == registry.KindInvalidArgument {
			if p := problemOf(s.log, err); onlyField(p, "year") {
				s.fail(w, r, p)
				return
			}
		}
		s.failRead(w, r, err)
		return
	}
	v := statementView{S: st, Action: action, VerifyURL: s.baseURL(r) + "/verify#" + st.Attestation}
	for _, a := range st.Awards {
		v.Awards = append(v.Awards, statementAward{Award: a, ReliedOnStatus: designation.Status(a.ReliedOnStatusNow)})
	}
	s.page(w, r, "support_statement.html", Text{"扶持资金对账单", "Support statement"}, v)
}

// onlyField tells whether every field p names is field.
func onlyField(p *problem, field string) bool {
	for _, f := range p.Fields {
		if f.Field != field {
			return false
		}
	}
	return len(p.Fields) > 0
}
