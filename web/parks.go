package web

import (
	"net/http"
	"net/url"

	"github.com/hangzhou-ai/registry/registry/catalog"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/park"
)

// parksRoutes are the bureaus' park pages: the municipal AI parks with
// their ai-park designations, and the form that designates one.
func (s *Server) parksRoutes(mux *http.ServeMux) {
	mux.Handle("GET /console/parks", s.signedIn(s.parksPage))
	mux.Handle("POST /console/parks", s.signedIn(s.registerPark))
}

// parkRow is a park with its designation's status.
type parkRow struct {
	park.Park
	Status designation.Status
}

type parksView struct {
	Parks        []parkRow
	CanDesignate bool
	Form         url.Values
}

func (s *Server) parksPage(w http.ResponseWriter, r *http.Request) {
	s.showParks(w, r, nil)
}

// showParks lists the parks the principal may read; the designate form is
// offered to issuers of a bureau the policy lets grant ai-park.
func (s *Server) showParks(w http.ResponseWriter, r *http.Request, p *problem) {
	v := parksView{Form: r.PostForm, CanDesignate: s.mayGrant(r, catalog.TypeAIPark)}
	parks, err := s.reg.ListParks(r.Context())
	if err != nil && p == nil {
		s.failErr(w, r, err)
		return
	}
	status := map[string]designation.Status{}
	if len(parks) > 0 {
		ds, _, err := s.reg.ListDesignations(r.Context(), designation.DesignationFilter{Type: catalog.TypeAIPark, PageSize: maxListed})
		if err != nil && p == nil {
			p = problemOf(s.log, err)
		}
		for _, d := range ds {
			status[d.ID] = d.Status
		}
	}
	for _, pk := range parks {
		v.Parks = append(v.Parks, parkRow{Park: pk, Status: status[pk.DesignationID]})
	}
	s.pageStatus(w, r, http.StatusOK, "parks.html", Text{"园区", "Parks"}, p, v)
}

// registerPark designates a park from the form and shows the list again,
// with the park in it, or the form with the problem.
func (s *Server) registerPark(w http.ResponseWriter, r *http.Request) {
	if err := form(w, r); err != nil {
		s.showParks(w, r, formUnreadable)
		return
	}
	_, err := s.reg.RegisterPark(r.Context(), park.NewPark{
		Code: value(r, "code"), Name: value(r, "name"), District: value(r, "district"), OperatorOrg: value(r, "operator_org"),
		ValidFrom: value(r, "valid_from"), ValidUntil: value(r, "valid_until"), DocumentNumber: value(r, "document_number"),
	})
	if err != nil {
		s.showParks(w, r, problemOf(s.log, err))
		return
	}
	done(w, r, "/console/parks", "park-designated")
}
