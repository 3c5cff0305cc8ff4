package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/talent"
	"github.com/hangzhou-ai/registry/registry/talentauth"
)

// enterpriseRoutes are an enterprise's own pages: its designations as of a date, and HR's recognitions within the quota.
func (s *Server) enterpriseRoutes(mux *http.ServeMux) {
	mux.Handle("GET /console/mine", s.signedIn(s.minePage))
	mux.Handle("GET /console/recognitions", s.signedIn(s.recognitionsPage))
	mux.Handle("POST /console/recognitions", s.signedIn(s.recognize))
	mux.Handle("POST /console/recognitions/{id}/withdraw", s.signedIn(s.withdrawRecognition))
}

// enterpriseOnly answers pages that only an enterprise's staff have.
var enterpriseOnly = &problem{Status: http.StatusForbidden, Headline: kindHeadlines[registry.KindPermissionDenied].text,
	Message: "此页面仅供企业用户使用。 / This page is for an enterprise's own staff."}

// ownEnterprise is the credit code of the signed-in principal's
// enterprise. The pages never take it from the request: the registry
// would refuse another's anyway.
func ownEnterprise(r *http.Request) (string, bool) {
	p, _ := registry.PrincipalFrom(r.Context())
	code, ok := strings.CutPrefix(p.Org, "enterprise:")
	return code, ok && code != ""
}

// employeeDesignations are one employee's designations.
type employeeDesignations struct {
	Talent       talent.Talent
	Designations []designation.Designation
}

type mineView struct {
	Enterprise   enterprise.Enterprise
	AsOf         string
	Designations []designation.Designation
	Employees    []employeeDesignations
	More         bool // a list was cut at its page size
}

// minePage shows the enterprise's own designations and its employees',
// all of them or those valid on ?as_of=.
func (s *Server) minePage(w http.ResponseWriter, r *http.Request) {
	code, ok := ownEnterprise(r)
	if !ok {
		s.fail(w, r, enterpriseOnly)
		return
	}
	ctx := r.Context()
	v := mineView{AsOf: value(r, "as_of")}
	title := Text{"本企业认定", "Our designations"}
	e, err := s.reg.GetEnterprise(ctx, code)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	v.Enterprise = e
	var next string
	v.Designations, next, err = s.reg.ListDesignations(ctx, designation.DesignationFilter{EnterpriseCreditCode: code, AsOf: v.AsOf, PageSize: maxListed})
	if err != nil {
		s.pageStatus(w, r, http.StatusOK, "mine.html", title, problemOf(s.log, err), v)
		return
	}
	v.More = next != ""
	employees, next, err := s.reg.ListTalents(ctx, talent.TalentFilter{EmployerCreditCode: code, PageSize: maxListed})
	if err != nil {
		s.pageStatus(w, r, http.StatusOK, "mine.html", title, problemOf(s.log, err), v)
		return
	}
	v.More = v.More || next != ""
	// Without a credit code the registry lists what a member owns: the
	// enterprise's designations and its employees'. One call, then sorted
	// by employee.
	owned, next, err := s.reg.ListDesignations(ctx, designation.DesignationFilter{AsOf: v.AsOf, PageSize: maxListed})
	if err != nil {
		s.pageStatus(w, r, http.StatusOK, "mine.html", title, problemOf(s.log, err), v)
		return
	}
	v.More = v.More || next != ""
	byTalent := map[string][]designation.Designation{}
	for _, d := range owned {
		if d.TalentID != "" {
			byTalent[d.TalentID] = append(byTalent[d.TalentID], d)
		}
	}
	for _, t := range employees {
		v.Employees = append(v.Employees, employeeDesignations{Talent: t, Designations: byTalent[t.ID]})
	}
	s.page(w, r, "mine.html", title, v)
}

// maxListed is the most rows a console list asks the registry for.
const maxListed = 500

// assessorAuthorization is one talent authorization with the recognitions
// made under it.
type assessorAuthorization struct {
	talentauth.TalentAuthorization
	Recognitions []recognitionRow
	Open         bool // in force today: recognitions may be made under it
}

type recognitionRow struct {
	designation.Designation
	TalentName string
}

type recognitionsView struct {
	Authorizations []assessorAuthorization
	Employees      []talent.Talent
	Today          string
	CanRecognize   bool // talent assessors have the forms; the registry decides
	Form           url.Values
}

func (s *Server) recognitionsPage(w http.ResponseWriter, r *http.Request) {
	s.showRecognitions(w, r, nil)
}

// showRecognitions lists the enterprise's authorizations with their
// places and recognitions, its employees, and the forms to recognise and
// withdraw; p is a refused form's problem.
func (s *Server) showRecognitions(w http.ResponseWriter, r *http.Request, p *problem) {
	code, ok := ownEnterprise(r)
	if !ok {
		s.fail(w, r, enterpriseOnly)
		return
	}
	ctx := r.Context()
	title := Text{"人才评定", "Talent recognitions"}
	pr, _ := registry.PrincipalFrom(ctx)
	v := recognitionsView{Today: s.reg.Today(), Form: r.PostForm, CanRecognize: pr.Role == "talent-assessor"}
	show := func(err error) {
		if err != nil && p == nil {
			p = problemOf(s.log, err)
		}
		s.pageStatus(w, r, http.StatusOK, "recognitions.html", title, p, v)
	}
	auths, err := s.reg.ListTalentAuthorizations(ctx, talentauth.TalentAuthorizationFilter{EnterpriseCreditCode: code})
	if err != nil {
		show(err)
		return
	}
	if v.Employees, _, err = s.reg.ListTalents(ctx, talent.TalentFilter{EmployerCreditCode: code, PageSize: maxListed}); err != nil {
		show(err)
		return
	}
	names := map[string]string{}
	for _, t := range v.Employees {
		names[t.ID] = t.Name
	}
	recognitions, _, err := s.reg.ListDesignations(ctx, designation.DesignationFilter{Type: "talent-recognition", PageSize: maxListed})
	if err != nil {
		show(err)
		return
	}
	for _, a := range auths {
		av := assessorAuthorization{TalentAuthorization: a,
			Open: a.Status == designation.StatusActive && a.ValidFrom <= v.Today && v.Today <= a.ValidUntil}
		for _, d := range recognitions {
			if d.AuthorizationID == a.ID {
				av.Recognitions = append(av.Recognitions, recognitionRow{Designation: d, TalentName: names[d.TalentID]})
			}
		}
		v.Authorizations = append(v.Authorizations, av)
	}
	show(nil)
}

// noPlaces is what a recognition beyond the quota is told, above the
// registry's own message.
var noPlaces = Text{"该层次名额已用完：授权的剩余名额为 0，请先撤回一项认定或申请新的授权", "No places left at this level: withdraw a recognition or ask for a new authorization first"}

// recognize records a recognition from the form, within the quota.
func (s *Server) recognize(w http.ResponseWriter, r *http.Request) {
	if err := form(w, r); err != nil {
		s.showRecognitions(w, r, formUnreadable)
		return
	}
	_, err := s.reg.RecognizeTalent(r.Context(), talentauth.Recognition{
		AuthorizationID: value(r, "authorization_id"), TalentID: value(r, "talent_id"), Level: value(r, "level"),
		ValidFrom: value(r, "valid_from"), ValidUntil: value(r, "valid_until"), DocumentNumber: value(r, "document_number"),
	})
	if err != nil {
		p := problemOf(s.log, err)
		if registry.KindOf(err) == registry.KindResourceExhausted {
			p.Headline = noPlaces
		}
		s.showRecognitions(w, r, p)
		return
	}
	done(w, r, "/console/recognitions", "recognized")
}

// withdrawRecognition revokes a recognition made under an authorization,
// which returns its place.
func (s *Server) withdrawRecognition(w http.ResponseWriter, r *http.Request) {
	if err := form(w, r); err != nil {
		s.showRecognitions(w, r, formUnreadable)
		return
	}
	version, bad := intValue(r, "expected_version")
	if bad != nil {
		s.showRecognitions(w, r, bad)
		return
	}
	if _, err := s.reg.WithdrawRecognition(r.Context(), designation.StatusUpdate{ID: r.PathValue("id"), Reason: value(r, "reason"), ExpectedVersion: version}); err != nil {
		s.showRecognitions(w, r, problemOf(s.log, err))
		return
	}
	done(w, r, "/console/recognitions", "withdrawn")
}
