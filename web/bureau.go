package web

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/catalog"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/talent"
)

// bureauRoutes are the bureaus' pages: enterprises and talents, their
// designations, and a designation's life (grant, suspend, reinstate,
// renew, revoke). Members and auditors read the same pages within what
// the registry lets them see.
func (s *Server) bureauRoutes(mux *http.ServeMux) {
	mux.Handle("GET /console/enterprises", s.signedIn(s.enterprisesPage))
	mux.Handle("POST /console/enterprises", s.signedIn(s.registerEnterprise))
	mux.Handle("GET /console/enterprises/{code}", s.signedIn(s.enterprisePage))
	mux.Handle("GET /console/talents", s.signedIn(s.talentsPage))
	mux.Handle("POST /console/talents", s.signedIn(s.registerTalent))
	mux.Handle("GET /console/talents/{id}", s.signedIn(s.talentPage))
	mux.Handle("POST /console/designations", s.signedIn(s.grantDesignation))
	mux.Handle("GET /console/designations/{id}", s.signedIn(s.designationConsolePage))
	mux.Handle("POST /console/designations/{id}/{action}", s.signedIn(s.changeDesignation))
}

// grantableTypes are the designation types the registry lets the
// principal grant through the grant form, for subjects of kind
// (enterprise or talent). Parks and talent authorizations have forms of
// their own.
func (s *Server) grantableTypes(r *http.Request, kind string) []catalog.DesignationType {
	var out []catalog.DesignationType
	for _, t := range catalog.DesignationTypes {
		if t.SubjectKind == kind && t.Code != catalog.TypeTalentAuthorization && s.mayGrant(r, t.Code) {
			out = append(out, t)
		}
	}
	return out
}

// mayGrant asks the registry whether the principal may grant designations
// of type typ; the console shows only the forms it may use.
func (s *Server) mayGrant(r *http.Request, typ string) bool {
	ans, err := s.reg.CheckPermission(r.Context(), designation.PermissionQuery{Action: authz.ActGrant, DesignationType: typ})
	return err == nil && ans.Allowed
}

type enterprisesView struct {
	Query, District string
	Enterprises     []enterprise.Enterprise
	Next            string
	CanRegister     bool
	Form            url.Values
}

func (s *Server) enterprisesPage(w http.ResponseWriter, r *http.Request) {
	s.showEnterprises(w, r, nil)
}

func (s *Server) showEnterprises(w http.ResponseWriter, r *http.Request, p *problem) {
	v := enterprisesView{Query: r.URL.Query().Get("q"), District: r.URL.Query().Get("district"), Form: r.PostForm}
	pr, _ := registry.PrincipalFrom(r.Context())
	v.CanRegister = strings.HasPrefix(pr.Org, "bureau:") && pr.Role == "issuer"
	list, next, err := s.reg.ListEnterprises(r.Context(), enterprise.EnterpriseFilter{
		Query: v.Query, District: v.District, PageSize: 50, PageToken: r.URL.Query().Get("page_token"),
	})
	if err != nil && p == nil {
		p = problemOf(s.log, err)
	}
	v.Enterprises, v.Next = list, next
	s.pageStatus(w, r, http.StatusOK, "enterprises.html", Text{"企业", "Enterprises"}, p, v)
}

func (s *Server) registerEnterprise(w http.ResponseWriter, r *http.Request) {
	if err := form(w, r); err != nil {
		s.showEnterprises(w, r, formUnreadable)
		return
	}
	e, err := s.reg.RegisterEnterprise(r.Context(), enterprise.NewEnterprise{
		CreditCode: value(r, "credit_code"), Name: value(r, "name"), District: value(r, "district"), RegisteredOn: value(r, "registered_on"),
	})
	if err != nil {
		s.showEnterprises(w, r, problemOf(s.log, err))
		return
	}
	done(w, r, "/console/enterprises/"+url.PathEscape(e.CreditCode), "registered")
}

type enterpriseView struct {
	Enterprise   enterprise.Enterprise
	AsOf         string
	Designations []designation.Designation
	Grant        grantForm
}

// grantForm is the grant form of an enterprise's or a talent's page:
// the types the bureau may grant, and the subject it names.
type grantForm struct {
	Types          []catalog.DesignationType
	Levels         []string
	Field, Subject string
	Form           url.Values
}

func (s *Server) enterprisePage(w http.ResponseWriter, r *http.Request) {
	s.showEnterprise(w, r, r.PathValue("code"), nil)
}

func (s *Server) showEnterprise(w http.ResponseWriter, r *http.Request, code string, p *problem) {
	e, err := s.reg.GetEnterprise(r.Context(), code)
	if err != nil {
		s.failRead(w, r, err)
		return
	}
	v := enterpriseView{Enterprise: e, AsOf: r.URL.Query().Get("as_of"),
		Grant: grantForm{Types: s.grantableTypes(r, catalog.SubjectEnterprise), Field: "enterprise_credit_code", Subject: e.CreditCode, Form: r.PostForm}}
	v.Designations, _, err = s.reg.ListDesignations(r.Context(), designation.DesignationFilter{EnterpriseCreditCode: e.CreditCode, AsOf: v.AsOf, PageSize: 200})
	if err != nil && p == nil {
		p = problemOf(s.log, err)
	}
	s.pageStatus(w, r, http.StatusOK, "enterprise.html", Text{e.Name, e.Name}, p, v)
}

// grantDesignation records a designation from the grant form of an
// enterprise's or a talent's page, and shows the page again on a refusal.
func (s *Server) grantDesignation(w http.ResponseWriter, r *http.Request) {
	if err := form(w, r); err != nil {
		s.fail(w, r, formUnreadable)
		return
	}
	g := designation.Grant{
		Type: value(r, "type"), EnterpriseCreditCode: value(r, "enterprise_credit_code"), TalentID: value(r, "talent_id"),
		Level: value(r, "level"), ValidFrom: value(r, "valid_from"), ValidUntil: value(r, "valid_until"),
		DocumentNumber: value(r, "document_number"), Note: value(r, "note"),
	}
	d, err := s.reg.GrantDesignation(r.Context(), g)
	if err != nil {
		p := problemOf(s.log, err)
		switch {
		case g.TalentID != "":
			s.showTalent(w, r, g.TalentID, p)
		case g.EnterpriseCreditCode != "":
			s.showEnterprise(w, r, g.EnterpriseCreditCode, p)
		default:
			s.fail(w, r, p)
		}
		return
	}
	done(w, r, "/console/designations/"+url.PathEscape(d.ID), "granted")
}

type designationView struct {
	D designation.Designation
	// May holds, for each of the page's forms (suspend, reinstate, renew,
	// revoke), whether the registry lets the principal take that action
	// on this designation: the forms it may not use are not shown.
	May     map[string]bool
	PageURL string
	Form    url.Values
}

func (s *Server) designationConsolePage(w http.ResponseWriter, r *http.Request) {
	s.showDesignation(w, r, nil)
}

func (s *Server) showDesignation(w http.ResponseWriter, r *http.Request, p *problem) {
	d, err := s.reg.GetDesignation(r.Context(), r.PathValue("id"))
	if err != nil {
		s.failRead(w, r, err)
		return
	}
	v := designationView{D: d, PageURL: s.designationURL(r, d.ID), Form: r.PostForm}
	// A talent authorization is revoked on its own page, which also
	// releases the recognitions made under it.
	if d.Type != catalog.TypeTalentAuthorization {
		if v.May, err = s.reg.AllowedActions(r.Context(), d.ID, slices.Collect(maps.Keys(designationActions))...); err != nil {
			s.failRead(w, r, err)
			return
		}
	}
	s.pageStatus(w, r, http.StatusOK, "designation_console.html", Text{"认定详情", "Designation"}, p, v)
}

// designationActions are the changes the designation page's forms make,
// with the flash each leaves.
var designationActions = map[string]string{
	"suspend": "suspended", "reinstate": "reinstated", "revoke": "revoked", "renew": "renewed",
}

func (s *Server) changeDesignation(w http.ResponseWriter, r *http.Request) {
	action := r.PathValue("action")
	flash, ok := designationActions[action]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if err := form(w, r); err != nil {
		s.showDesignation(w, r, formUnreadable)
		return
	}
	version, bad := intValue(r, "expected_version")
	if bad != nil {
		s.showDesignation(w, r, bad)
		return
	}
	id := r.PathValue("id")
	update := designation.StatusUpdate{ID: id, Reason: value(r, "reason"), ExpectedVersion: version}
	var err error
	switch action {
	case "suspend":
		_, err = s.reg.SuspendDesignation(r.Context(), update)
	case "reinstate":
		_, err = s.reg.ReinstateDesignation(r.Context(), update)
	case "revoke":
		_, err = s.reg.RevokeDesignation(r.Context(), update)
	case "renew":
		_, err = s.reg.RenewDesignation(r.Context(), designation.Renewal{ID: id, ValidUntil: value(r, "valid_until"), DocumentNumber: value(r, "document_number"), ExpectedVersion: version})
	}
	if err != nil {
		s.showDesignation(w, r, problemOf(s.log, err))
		return
	}
	done(w, r, "/console/designations/"+url.PathEscape(id), flash)
}

type talentsView struct {
	Employer    string
	Talents     []talent.Talent
	Next        string
	CanRegister bool
	Form        url.Values
}

func (s *Server) talentsPage(w http.ResponseWriter, r *http.Request) {
	s.showTalents(w, r, nil)
}

func (s *Server) showTalents(w http.ResponseWriter, r *http.Request, p *problem) {
	v := talentsView{Employer: r.URL.Query().Get("employer"), Form: r.PostForm}
	pr, _ := registry.PrincipalFrom(r.Context())
	v.CanRegister = strings.HasPrefix(pr.Org, "bureau:") && pr.Role == "issuer"
	list, next, err := s.reg.ListTalents(r.Context(), talent.TalentFilter{EmployerCreditCode: v.Employer, PageSize: 50, PageToken: r.URL.Query().Get("page_token")})
	if err != nil && p == nil {
		p = problemOf(s.log, err)
	}
	v.Talents, v.Next = list, next
	s.pageStatus(w, r, http.StatusOK, "talents.html", Text{"人才", "Talents"}, p, v)
}

func (s *Server) registerTalent(w http.ResponseWriter, r *http.Request) {
	if err := form(w, r); err != nil {
		s.showTalents(w, r, formUnreadable)
		return
	}
	t, err := s.reg.RegisterTalent(r.Context(), talent.NewTalent{
		Name: value(r, "name"), IDNumber: value(r, "id_number"), PassportNumber: value(r, "passport_number"),
		Nationality: value(r, "nationality"), EmployerCreditCode: value(r, "employer_credit_code"),
	})
	if err != nil {
		// Identity and passport numbers are not shown again on the page.
		r.PostForm.Del("id_number")
		r.PostForm.Del("passport_number")
		s.showTalents(w, r, problemOf(s.log, err))
		return
	}
	done(w, r, "/console/talents/"+url.PathEscape(t.ID), "registered")
}

type talentView struct {
	Talent       talent.Talent
	Designations []designation.Designation
	Grant        grantForm
}

func (s *Server) talentPage(w http.ResponseWriter, r *http.Request) {
	s.showTalent(w, r, r.PathValue("id"), nil)
}

func (s *Server) showTalent(w http.ResponseWriter, r *http.Request, id string, p *problem) {
	t, err := s.reg.GetTalent(r.Context(), id)
	if err != nil {
		s.failRead(w, r, err)
		return
	}
	v := talentView{Talent: t,
		Grant: grantForm{Types: s.grantableTypes(r, catalog.SubjectTalent), Levels: catalog.TalentLevels, Field: "talent_id", Subject: t.ID, Form: r.PostForm}}
	v.Designations, _, err = s.reg.ListDesignations(r.Context(), designation.DesignationFilter{TalentID: t.ID, PageSize: 200})
	if err != nil && p == nil {
		p = problemOf(s.log, err)
	}
	s.pageStatus(w, r, http.StatusOK, "talent.html", Text{t.Name, t.Name}, p, v)
}
