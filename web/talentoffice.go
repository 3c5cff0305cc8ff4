package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/catalog"
	"github.com/hangzhou-ai/registry/registry/competition"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/talentauth"
)

// talentOfficeRoutes are the talent office's pages: talent authorizations with their quotas, competitions, awards and recognising winners.
func (s *Server) talentOfficeRoutes(mux *http.ServeMux) {
	mux.Handle("GET /console/authorizations", s.signedIn(s.authorizationsPage))
	mux.Handle("POST /console/authorizations", s.signedIn(s.issueAuthorization))
	mux.Handle("GET /console/authorizations/{id}", s.signedIn(s.authorizationPage))
	mux.Handle("POST /console/authorizations/{id}/revoke", s.signedIn(s.revokeAuthorization))
	mux.Handle("GET /console/competitions", s.signedIn(s.competitionsPage))
	mux.Handle("POST /console/competitions", s.signedIn(s.registerCompetition))
	mux.Handle("GET /console/competitions/{id}", s.signedIn(s.competitionPage))
	mux.Handle("POST /console/competitions/{id}/awards", s.signedIn(s.recordAward))
	mux.Handle("POST /console/competitions/{id}/recognitions", s.signedIn(s.recognizeWinner))
}

// tierNames are the competition tiers in words.
var tierNames = map[string]Text{
	"national":   {"国家级", "National"},
	"provincial": {"省级", "Provincial"},
	"municipal":  {"市级", "Municipal"},
}

type tierOption struct {
	Code string
	Name Text
}

func tierOptions() []tierOption {
	out := make([]tierOption, len(competition.CompetitionTiers))
	for i, c := range competition.CompetitionTiers {
		out[i] = tierOption{Code: c, Name: tierNames[c]}
	}
	return out
}

// mayRunCompetitions tells whether the principal's forms for registering
// competitions and recording awards are shown: the default policy gives
// them to economy-IT's issuers. The registry decides each request.
func mayRunCompetitions(r *http.Request) bool {
	p, _ := registry.PrincipalFrom(r.Context())
	return p.Role == "issuer" && p.Org == "bureau:economy-it"
}

// queryYear is the ?year= filter, 0 when empty.
func queryYear(r *http.Request) (int, string, *problem) {
	raw := strings.TrimSpace(r.URL.Query().Get("year"))
	if raw == "" {
		return 0, "", nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil {
		return 0, raw, invalid("year", Text{"须为整数", "must be a whole number"})
	}
	return n, raw, nil
}

type authorizationsView struct {
	Enterprise, Year string
	Authorizations   []talentauth.TalentAuthorization
	CanIssue         bool
	Levels           []string
	Form             url.Values
}

func (s *Server) authorizationsPage(w http.ResponseWriter, r *http.Request) {
	s.showAuthorizations(w, r, nil)
}

func (s *Server) showAuthorizations(w http.ResponseWriter, r *http.Request, p *problem) {
	v := authorizationsView{Enterprise: strings.TrimSpace(r.URL.Query().Get("enterprise")), Levels: catalog.TalentLevels, Form: r.PostForm,
		CanIssue: s.mayGrant(r, catalog.TypeTalentAuthorization)}
	year, raw, bad := queryYear(r)
	v.Year = raw
	if bad != nil {
		if p == nil {
			p = bad
		}
	} else {
		list, err := s.reg.ListTalentAuthorizations(r.Context(), talentauth.TalentAuthorizationFilter{EnterpriseCreditCode: v.Enterprise, Year: year})
		if err != nil && p == nil {
			p = problemOf(s.log, err)
		}
		v.Authorizations = list
	}
	s.pageStatus(w, r, http.StatusOK, "authorizations.html", Text{"人才授权", "Talent authorizations"}, p, v)
}

// issueAuthorization issues a talent authorization from the form: a
// number of places for each level filled in, empty or 0 levels left out.
func (s *Server) issueAuthorization(w http.ResponseWriter, r *http.Request) {
	if err := form(w, r); err != nil {
		s.showAuthorizations(w, r, formUnreadable)
		return
	}
	year, bad := intValue(r, "year")
	if bad != nil {
		s.showAuthorizations(w, r, bad)
		return
	}
	in := talentauth.NewTalentAuthorization{
		EnterpriseCreditCode: value(r, "enterprise_credit_code"), Year: int(year),
		ValidFrom: value(r, "valid_from"), ValidUntil: value(r, "valid_until"), DocumentNumber: value(r, "document_number"),
	}
	for _, level := range catalog.TalentLevels {
		places, bad := intValue(r, "places_"+level)
		if bad != nil {
			s.showAuthorizations(w, r, bad)
			return
		}
		if places != 0 {
			in.Quotas = append(in.Quotas, talentauth.LevelQuota{Level: level, Places: int(places)})
		}
	}
	a, err := s.reg.IssueTalentAuthorization(r.Context(), in)
	if err != nil {
		s.showAuthorizations(w, r, problemOf(s.log, err))
		return
	}
	done(w, r, "/console/authorizations/"+url.PathEscape(a.ID), "issued")
}

type authorizationView struct {
	A       talentauth.TalentAuthorization
	CanAct  bool
	PageURL string
	Form    url.Values
}

func (s *Server) authorizationPage(w http.ResponseWriter, r *http.Request) {
	s.showAuthorization(w, r, nil)
}

func (s *Server) showAuthorization(w http.ResponseWriter, r *http.Request, p *problem) {
	a, err := s.reg.GetTalentAuthorization(r.Context(), r.PathValue("id"))
	if err != nil {
		s.failRead(w, r, err)
		return
	}
	v := authorizationView{A: a, PageURL: s.designationURL(r, a.ID), Form: r.PostForm, CanAct: s.mayGrant(r, catalog.TypeTalentAuthorization)}
	s.pageStatus(w, r, http.StatusOK, "authorizations_detail.html", Text{"人才授权详情", "Talent authorization"}, p, v)
}

func (s *Server) revokeAuthorization(w http.ResponseWriter, r *http.Request) {
	if err := form(w, r); err != nil {
		s.showAuthorization(w, r, formUnreadable)
		return
	}
	version, bad := intValue(r, "expected_version")
	if bad != nil {
		s.showAuthorization(w, r, bad)
		return
	}
	id := r.PathValue("id")
	if _, err := s.reg.RevokeTalentAuthorization(r.Context(), designation.StatusUpdate{ID: id, Reason: value(r, "reason"), ExpectedVersion: version}); err != nil {
		s.showAuthorization(w, r, problemOf(s.log, err))
		return
	}
	done(w, r, "/console/authorizations/"+url.PathEscape(id), "revoked")
}

// competitionRow is a competition with its tier in words.
type competitionRow struct {
	competition.Competition
	TierName Text
}

func rowOf(c competition.Competition) competitionRow {
	name, ok := tierNames[c.Tier]
	if !ok {
		name = Text{c.Tier, c.Tier}
	}
	return competitionRow{Competition: c, TierName: name}
}

type competitionsView struct {
	Year         string
	Competitions []competitionRow
	CanRegister  bool
	Tiers        []tierOption
	Form         url.Values
}

func (s *Server) competitionsPage(w http.ResponseWriter, r *http.Request) {
	s.showCompetitions(w, r, nil)
}

func (s *Server) showCompetitions(w http.ResponseWriter, r *http.Request, p *problem) {
	v := competitionsView{CanRegister: mayRunCompetitions(r), Tiers: tierOptions(), Form: r.PostForm}
	year, raw, bad := queryYear(r)
	v.Year = raw
	if bad != nil {
		if p == nil {
			p = bad
		}
	} else {
		list, err := s.reg.ListCompetitions(r.Context(), year)
		if err != nil && p == nil {
			p = problemOf(s.log, err)
		}
		for _, c := range list {
			v.Competitions = append(v.Competitions, rowOf(c))
		}
	}
	s.pageStatus(w, r, http.StatusOK, "competitions.html", Text{"赛事与获奖", "Competitions and awards"}, p, v)
}

// prizeLevels reads the prizes textarea: one "prize=level" a line
// ("一等奖=C"), blank lines skipped.
func prizeLevels(text string) ([]competition.PrizeLevel, *problem) {
	var out []competition.PrizeLevel
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		prize, level, ok := strings.Cut(strings.ReplaceAll(line, "＝", "="), "=")
		if !ok {
			return nil, invalid("prize_levels", Text{"每行写作 奖项=层次，如 一等奖=C：" + line, "write one prize=level a line, e.g. 一等奖=C: " + line})
		}
		out = append(out, competition.PrizeLevel{Prize: strings.TrimSpace(prize), Level: strings.ToUpper(strings.TrimSpace(level))})
	}
	return out, nil
}

func (s *Server) registerCompetition(w http.ResponseWriter, r *http.Request) {
	if err := form(w, r); err != nil {
		s.showCompetitions(w, r, formUnreadable)
		return
	}
	year, bad := intValue(r, "year")
	if bad != nil {
		s.showCompetitions(w, r, bad)
		return
	}
	prizes, bad := prizeLevels(r.PostForm.Get("prize_levels"))
	if bad != nil {
		s.showCompetitions(w, r, bad)
		return
	}
	c, err := s.reg.RegisterCompetition(r.Context(), competition.NewCompetition{
		Name: value(r, "name"), Organiser: value(r, "organiser"), Year: int(year), Tier: value(r, "tier"), PrizeLevels: prizes,
	})
	if err != nil {
		s.showCompetitions(w, r, problemOf(s.log, err))
		return
	}
	done(w, r, "/console/competitions/"+url.PathEscape(c.ID), "competition")
}

type competitionView struct {
	C            competitionRow
	Awards       []competition.Award
	CanRecord    bool
	CanRecognize bool
	Form         url.Values
}

func (s *Server) competitionPage(w http.ResponseWriter, r *http.Request) {
	s.showCompetition(w, r, nil)
}

func (s *Server) showCompetition(w http.ResponseWriter, r *http.Request, p *problem) {
	c, err := s.reg.GetCompetition(r.Context(), r.PathValue("id"))
	if err != nil {
		s.failRead(w, r, err)
		return
	}
	v := competitionView{C: rowOf(c), CanRecord: mayRunCompetitions(r), CanRecognize: s.mayGrant(r, catalog.TypeTalentRecognition), Form: r.PostForm}
	v.Awards, err = s.reg.ListAwards(r.Context(), c.ID, "")
	if err != nil && p == nil {
		p = problemOf(s.log, err)
	}
	s.pageStatus(w, r, http.StatusOK, "competition.html", Text{c.Name, c.Name}, p, v)
}

// recordAward records one award: to a registered talent by id, or to a
// winner by name and identity document (registered if new).
func (s *Server) recordAward(w http.ResponseWriter, r *http.Request) {
	if err := form(w, r); err != nil {
		s.showCompetition(w, r, formUnreadable)
		return
	}
	in := competition.AwardInput{
		TalentID: value(r, "talent_id"), Name: value(r, "name"), IDNumber: value(r, "id_number"),
		PassportNumber: value(r, "passport_number"), Nationality: value(r, "nationality"),
		Prize: value(r, "prize"), Team: value(r, "team"),
	}
	if _, _, err := s.reg.RecordAwards(r.Context(), r.PathValue("id"), []competition.AwardInput{in}); err != nil {
		// Identity documents are not shown again on the page.
		r.PostForm.Del("id_number")
		r.PostForm.Del("passport_number")
		p := problemOf(s.log, err)
		// The form sends one award: name its fields as the form does.
		for i, f := range p.Fields {
			p.Fields[i].Field = strings.TrimPrefix(f.Field, "awards[0].")
		}
		s.showCompetition(w, r, p)
		return
	}
	done(w, r, "/console/competitions/"+url.PathEscape(r.PathValue("id")), "recorded")
}

func (s *Server) recognizeWinner(w http.ResponseWriter, r *http.Request) {
	if err := form(w, r); err != nil {
		s.showCompetition(w, r, formUnreadable)
		return
	}
	_, err := s.reg.RecognizeWinner(r.Context(), competition.WinnerRecognition{
		AwardID: value(r, "award_id"), ValidFrom: value(r, "valid_from"), ValidUntil: value(r, "valid_until"), DocumentNumber: value(r, "document_number"),
	})
	if err != nil {
		s.showCompetition(w, r, problemOf(s.log, err))
		return
	}
	done(w, r, "/console/competitions/"+url.PathEscape(r.PathValue("id")), "recognized")
}
