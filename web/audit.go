package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hangzhou-ai/registry/registry/audit"
)

// auditRoutes are the auditor's pages: the audit trail, filtered, and verifying the chain.
func (s *Server) auditRoutes(mux *http.ServeMux) {
	mux.Handle("GET /console/audit", s.signedIn(s.auditPage))
	mux.Handle("POST /console/audit/verify", s.signedIn(s.verifyAuditChain))
}

// auditPageSize is how many events one page of the trail shows.
const auditPageSize = 50

// auditEntityTypes are the entity types the registry records events
// about, offered as suggestions for the filter (any other may be typed).
var auditEntityTypes = []string{
	"designation", "enterprise", "talent", "tenancy", "park", "eligibility-rule",
	"competition", "award", "token", "session", "signing-key", "secret-key",
}

// auditLabels name the trail's filter fields, which the shared labels do
// not.
var auditLabels = map[string]Text{
	"entity_type": {"对象类型", "Entity type"},
	"entity_id":   {"对象编号", "Entity id"},
	"entity":      {"对象", "Entity"},
	"actor":       {"操作人", "Actor"},
	"since":       {"起始日期", "Since"},
}

// auditFilterForm is the trail's filter as the form holds it. The
// registry filters by entity (type, or type and id), actor and time; it
// has no filter by action, so the page offers none.
type auditFilterForm struct {
	EntityType, EntityID, Actor, Since string
}

type auditView struct {
	Filter      auditFilterForm
	EntityTypes []string
	Events      []auditRow
	Next        string // the next page's address, empty on the last page
	Report      *audit.ChainReport
}

// auditRow is one event as the table shows it.
type auditRow struct {
	audit.AuditEvent
	Link    string // the entity's console page, when it has one
	Changes []payloadField
	// Inline is set for a creation or a removal (one payload): its
	// fields are listed on one line.
	Inline bool
}

// payloadField is one field of an event's before/after payload: its
// value before and after (either may be empty), already shortened.
type payloadField struct {
	Name          string
	Before, After string
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) {
	s.showAudit(w, r, nil, nil)
}

// verifyAuditChain recomputes the audit chain and shows the report above
// the trail's first page.
func (s *Server) verifyAuditChain(w http.ResponseWriter, r *http.Request) {
	if err := form(w, r); err != nil {
		s.showAudit(w, r, formUnreadable, nil)
		return
	}
	rep, err := s.reg.VerifyAuditChain(r.Context())
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	s.showAudit(w, r, nil, &rep)
}

func (s *Server) showAudit(w http.ResponseWriter, r *http.Request, p *problem, rep *audit.ChainReport) {
	q := r.URL.Query()
	v := auditView{EntityTypes: auditEntityTypes, Report: rep, Filter: auditFilterForm{
		EntityType: strings.TrimSpace(q.Get("entity_type")), EntityID: strings.TrimSpace(q.Get("entity_id")),
		Actor: strings.TrimSpace(q.Get("actor")), Since: strings.TrimSpace(q.Get("since")),
	}}
	f, bad := auditFilterOf(v.Filter)
	if bad != nil {
		if p == nil {
			p = bad
		}
		f = audit.AuditFilter{} // show the whole trail under the refusal
	}
	f.PageSize, f.PageToken = auditPageSize, q.Get("page_token")
	events, next, err := s.reg.ListAuditEvents(r.Context(), f)
	if err != nil {
		pr := problemOf(s.log, err)
		if pr.Status == http.StatusForbidden || pr.Status == http.StatusUnauthorized || pr.Status >= 500 {
			s.fail(w, r, pr)
			return
		}
		if p == nil {
			p = auditProblem(pr)
		}
	}
	for _, e := range events {
		v.Events = append(v.Events, auditRow{AuditEvent: e, Link: entityLink(e.EntityType, e.EntityID),
			Changes: payloadChanges(e.Before, e.After), Inline: e.Before == "" || e.After == ""})
	}
	if next != "" {
		nq := url.Values{}
		for k, val := range map[string]string{"entity_type": v.Filter.EntityType, "entity_id": v.Filter.EntityID, "actor": v.Filter.Actor, "since": v.Filter.Since} {
			if val != "" && bad == nil {
				nq.Set(k, val)
			}
		}
		nq.Set("page_token", next)
		v.Next = "/console/audit?" + nq.Encode()
	}
	s.pageStatus(w, r, http.StatusOK, "audit.html", Text{"审计日志", "Audit trail"}, p, v)
}

// auditFilterOf turns the form into the registry's filter, or a problem
// naming the field that cannot be one.
func auditFilterOf(in auditFilterForm) (audit.AuditFilter, *problem) {
	var f audit.AuditFilter
	switch {
	case strings.Contains(in.EntityType, ":"):
		return f, auditInvalid("entity_type", Text{"不得包含冒号", "must not contain a colon"})
	case in.EntityID != "" && in.EntityType == "":
		return f, auditInvalid("entity_type", Text{"按对象编号筛选时必填", "is required with an entity id"})
	case in.EntityID != "":
		f.Entity = in.EntityType + ":" + in.EntityID
	default:
		f.Entity = in.EntityType
	}
	f.Actor = in.Actor
	if in.Since != "" {
		day, err := time.ParseInLocation(time.DateOnly, in.Since, cst)
		if err != nil {
			return f, auditInvalid("since", Text{"须为日期 YYYY-MM-DD", "must be a date YYYY-MM-DD"})
		}
		f.Since = day
	}
	return f, nil
}

func auditInvalid(field string, reason Text) *problem {
	return auditProblem(invalid(field, reason))
}

// auditProblem labels the trail's own fields in a problem.
func auditProblem(p *problem) *problem {
	for i, fp := range p.Fields {
		if l, ok := auditLabels[fp.Field]; ok {
			p.Fields[i].Label = l
		}
	}
	return p
}

// entityLink is the console page of an event's entity, when there is one.
func entityLink(typ, id string) string {
	if id == "" {
		return ""
	}
	switch typ {
	case "designation":
		return "/console/designations/" + url.PathEscape(id)
	case "enterprise":
		return "/console/enterprises/" + url.PathEscape(id)
	case "talent":
		return "/console/talents/" + url.PathEscape(id)
	}
	return ""
}

// hiddenPayloadFields are never shown, whatever event carries them. The
// registry's events hold none of them (talents are recorded with their
// masked document, tokens and sessions without their secrets); the list
// keeps the page safe should that ever change.
var hiddenPayloadFields = map[string]bool{
	"id_number": true, "passport_number": true, "document": true, "document_hash": true,
	"token": true, "token_hash": true, "session_hash": true, "secret": true, "private_key": true,
}

// restatedPayloadFields say what the event's own columns say (its time,
// its entity), and are left out.
var restatedPayloadFields = map[string]bool{"id": true, "created_at": true, "updated_at": true}

// Bounds on what one event shows of its payloads.
const (
	maxPayloadFields = 12
	maxPayloadValue  = 80
)

// payloadChanges shows an event's payloads compactly: the fields whose
// value changed from before to after (every field of a creation or a
// removal), each value shortened, hidden fields left out.
func payloadChanges(before, after string) []payloadField {
	b, a := payloadObject(before), payloadObject(after)
	names := make([]string, 0, len(b)+len(a))
	for k := range b {
		names = append(names, k)
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	var out []payloadField
	for _, name := range names {
		if hiddenPayloadFields[name] || restatedPayloadFields[name] {
			continue
		}
		bv, av := b[name], a[name]
		if before != "" && after != "" && bv == av {
			continue
		}
		if len(out) == maxPayloadFields {
			out = append(out, payloadField{Name: "…"})
			break
		}
		out = append(out, payloadField{Name: name, Before: bv, After: av})
	}
	return out
}

// payloadObject reads a JSON payload into its fields' compact texts; a
// payload that is not an object is one field, "value".
func payloadObject(payload string) map[string]string {
	if payload == "" {
		return nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(payload), &fields); err != nil {
		return map[string]string{"value": shorten(payload)}
	}
	out := make(map[string]string, len(fields))
	for k, raw := range fields {
		var str string
		if json.Unmarshal(raw, &str) == nil {
			out[k] = shorten(str)
			continue
		}
		var buf bytes.Buffer
		if json.Compact(&buf, raw) == nil {
			out[k] = shorten(buf.String())
		} else {
			out[k] = shorten(string(raw))
		}
	}
	return out
}

func shorten(s string) string {
	if utf8.RuneCountInString(s) <= maxPayloadValue {
		return s
	}
	r := []rune(s)
	return fmt.Sprint(string(r[:maxPayloadValue-1]), "…")
}
