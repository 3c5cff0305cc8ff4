package designation_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/catalog"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

func TestGrantValidation(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		w := newWorld(t, db)
		recognition := func(edit func(*designation.Grant)) designation.Grant {
			g := designation.Grant{Type: "talent-recognition", TalentID: w.employee, Level: "C", ValidFrom: "2026-01-01", ValidUntil: "2030-12-31", DocumentNumber: doc()}
			edit(&g)
			return g
		}
		giant := func(edit func(*designation.Grant)) designation.Grant {
			g := w.littleGiant()
			edit(&g)
			return g
		}
		tests := []struct {
			name       string
			who        [2]string
			g          designation.Grant
			wantFields []string
		}{
			{"type missing", economy, giant(func(g *designation.Grant) { g.Type = "" }), []string{"type"}},
			{"type unknown", economy, giant(func(g *designation.Grant) { g.Type = "big-giant" }), []string{"type"}},
			{"park type through the enterprise path", economy, giant(func(g *designation.Grant) { g.Type = "ai-park" }), []string{"type"}},
			{"enterprise missing", economy, giant(func(g *designation.Grant) { g.EnterpriseCreditCode = "" }), []string{"enterprise_credit_code"}},
			{"enterprise check character wrong", economy, giant(func(g *designation.Grant) { g.EnterpriseCreditCode = w.a[:17] + "0" }), []string{"enterprise_credit_code"}},
			{"talent on an enterprise type", economy, giant(func(g *designation.Grant) { g.TalentID = w.employee }), []string{"talent_id"}},
			{"level on a type without levels", economy, giant(func(g *designation.Grant) { g.Level = "A" }), []string{"level"}},
			{"valid_from missing", economy, giant(func(g *designation.Grant) { g.ValidFrom = "" }), []string{"valid_from"}},
			{"valid_from not a date", economy, giant(func(g *designation.Grant) { g.ValidFrom = "2026-02-30" }), []string{"valid_from"}},
			{"valid_until a timestamp", economy, giant(func(g *designation.Grant) { g.ValidUntil = "2028-12-31T00:00:00+08:00" }), []string{"valid_until"}},
			{"valid_until before valid_from", economy, giant(func(g *designation.Grant) { g.ValidFrom, g.ValidUntil = "2026-06-02", "2026-06-01" }), []string{"valid_until"}},
			{"year out of range", economy, giant(func(g *designation.Grant) { g.ValidUntil = "3026-01-01" }), []string{"valid_until"}},
			{"document missing", economy, giant(func(g *designation.Grant) { g.DocumentNumber = " " }), []string{"document_number"}},
			{"document a formula", economy, giant(func(g *designation.Grant) { g.DocumentNumber = "=cmd|' /C calc'!A0" }), []string{"document_number"}},
			{"document starting with -", economy, giant(func(g *designation.Grant) { g.DocumentNumber = "-1" }), []string{"document_number"}},
			{"document with a bidi override", economy, giant(func(g *designation.Grant) { g.DocumentNumber = "杭经信\u202E号" }), []string{"document_number"}},
			{"document too long", economy, giant(func(g *designation.Grant) { g.DocumentNumber = strings.Repeat("号", 101) }), []string{"document_number"}},
			{"note with a bidi mark", economy, giant(func(g *designation.Grant) { g.Note = "备注\u200F" }), []string{"note"}},
			{"note too long", economy, giant(func(g *designation.Grant) { g.Note = strings.Repeat("注", 2001) }), []string{"note"}},
			{"recognition without level", talents, recognition(func(g *designation.Grant) { g.Level = "" }), []string{"level"}},
			{"recognition level F", talents, recognition(func(g *designation.Grant) { g.Level = "F" }), []string{"level"}},
			{"recognition level in lower case", talents, recognition(func(g *designation.Grant) { g.Level = "c" }), []string{"level"}},
			{"recognition without talent", talents, recognition(func(g *designation.Grant) { g.TalentID = "" }), []string{"talent_id"}},
			{"recognition with a malformed talent id", talents, recognition(func(g *designation.Grant) { g.TalentID = "talent-1" }), []string{"talent_id"}},
			{"recognition given to an enterprise", talents, recognition(func(g *designation.Grant) { g.EnterpriseCreditCode = w.a }), []string{"enterprise_credit_code"}},
			{"every field at once", economy, designation.Grant{Type: "little-giant", EnterpriseCreditCode: "x", Level: "A", ValidFrom: "x", ValidUntil: "x", DocumentNumber: "", Note: "\u202A"},
				[]string{"enterprise_credit_code", "level", "valid_from", "valid_until", "document_number", "note"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before := w.auditLength(t)
				_, err := w.reg.GrantDesignation(as(tc.who), tc.g)
				if got := registrytest.Violated(err); !slices.Equal(got, tc.wantFields) {
					t.Errorf("GrantDesignation = %v; want violations on %v, got %v", err, tc.wantFields, got)
				}
				if written := w.auditLength(t) - before; written != 0 {
					t.Errorf("a refused grant wrote %d audit events", written)
				}
			})
		}

		accepted := []struct {
			name string
			who  [2]string
			g    designation.Grant
		}{
			{"one-day validity", economy, giant(func(g *designation.Grant) { g.ValidFrom, g.ValidUntil = "2026-06-15", "2026-06-15" })},
			{"multi-line note", economy, giant(func(g *designation.Grant) { g.Note = "第一行\n第二行" })},
			{"note may start with -", economy, giant(func(g *designation.Grant) { g.Note = "-见附件" })},
			{"lower-case credit code", economy, giant(func(g *designation.Grant) { g.EnterpriseCreditCode = strings.ToLower(w.a) })},
			{"recognition level A", talents, recognition(func(g *designation.Grant) { g.Level = "A" })},
			{"recognition level E", talents, recognition(func(g *designation.Grant) { g.Level = "E" })},
		}
		for _, tc := range accepted {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := w.reg.GrantDesignation(as(tc.who), tc.g); err != nil {
					t.Errorf("GrantDesignation(%+v) = %v", tc.g, err)
				}
			})
		}

		missing := []struct {
			name, field string
			who         [2]string
			g           designation.Grant
		}{
			{"enterprise not registered", "enterprise_credit_code", economy, giant(func(g *designation.Grant) { g.EnterpriseCreditCode = "91110000600037341L" })},
			{"talent not registered", "talent_id", talents, recognition(func(g *designation.Grant) { g.TalentID = missingID })},
		}
		for _, tc := range missing {
			t.Run(tc.name, func(t *testing.T) {
				before := w.auditLength(t)
				_, err := w.reg.GrantDesignation(as(tc.who), tc.g)
				if registry.KindOf(err) != registry.KindNotFound || !strings.Contains(err.Error(), tc.field) {
					t.Errorf("GrantDesignation = %v, want not found naming %s", err, tc.field)
				}
				if written := w.auditLength(t) - before; written != 0 {
					t.Errorf("a refused grant wrote %d audit events", written)
				}
			})
		}
	})
}

// TestGrantAuthorization checks the grant policy: a bureau grants only
// the types it owns, and nobody else grants at all. A refused caller
// learns nothing of its request's validity.
func TestGrantAuthorization(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		w := newWorld(t, db)
		tests := []struct {
			who   [2]string
			typ   string
			level string
			ok    bool
		}{
			{economy, "little-giant", "", true},
			{economy, "single-champion", "", true},
			{economy, "hidden-champion", "", true},
			{economy, "innovation-center", "", true},
			{economy, "ai-growth-enterprise", "", true},
			{economy, "competition-award", "", true},
			{talents, "ai-growth-enterprise", "", true},
			{talents, "talent-recognition", "B", true},
			{talents, "west-lake-pearl-ai", "", true},
			{talents, "talent-authorization", "", true},
			{issuerOf("development-reform"), "hq-enterprise", "", true},
			{issuerOf("cyberspace"), "model-filing", "", true},
			{talents, "little-giant", "", false},
			{talents, "competition-award", "", false},
			{economy, "hq-enterprise", "", false},
			{economy, "talent-recognition", "B", false},
			{economy, "west-lake-pearl-ai", "", false},
			{economy, "talent-authorization", "", false},
			{issuerOf("development-reform"), "little-giant", "", false},
			{issuerOf("cyberspace"), "ai-growth-enterprise", "", false},
			{issuerOf("science-tech"), "little-giant", "", false},
			{viewer, "little-giant", "", false},
			{[2]string{"viewer", "bureau:talent-office"}, "talent-recognition", "B", false},
			{member(w.a), "little-giant", "", false},
			{[2]string{"talent-assessor", "enterprise:" + w.a}, "talent-recognition", "B", false},
			{operator, "little-giant", "", false},
			{auditor, "little-giant", "", false},
			{admin, "little-giant", "", false},
		}
		for _, tc := range tests {
			t.Run(tc.who[0]+"@"+tc.who[1]+"/"+tc.typ, func(t *testing.T) {
				typ := catalog.DesignationTypesByCode[tc.typ]
				g := designation.Grant{Type: tc.typ, Level: tc.level, ValidFrom: "2026-01-01", ValidUntil: "2027-12-31", DocumentNumber: doc()}
				if typ.SubjectKind == catalog.SubjectTalent {
					g.TalentID = w.employee
				} else {
					g.EnterpriseCreditCode = w.a
				}
				before := w.auditLength(t)
				d, err := w.reg.GrantDesignation(as(tc.who), g)
				written := w.auditLength(t) - before
				if !tc.ok {
					if registry.KindOf(err) != registry.KindPermissionDenied || written != 0 {
						t.Errorf("GrantDesignation = %v with %d audit events, want permission denied with none", err, written)
					}
					// The same request made invalid is still refused for
					// permission, not for its fields.
					g.ValidUntil = "not a date"
					if _, err := w.reg.GrantDesignation(as(tc.who), g); registry.KindOf(err) != registry.KindPermissionDenied {
						t.Errorf("an invalid request by an unauthorized caller = %v, want permission denied", err)
					}
					return
				}
				if err != nil {
					t.Fatalf("GrantDesignation = %v", err)
				}
				bureau := strings.TrimPrefix(tc.who[1], "bureau:")
				if d.Status != designation.StatusActive || d.GrantedByBureau != bureau || d.SeedClause != typ.SeedClause || d.Version != 1 {
					t.Errorf("granted %+v; want active, by %s, clause %s, version 1", d, bureau, typ.SeedClause)
				}
				events := w.events(t, d.ID)
				if written != 1 || len(events) != 1 || events[0].Action != "designation.grant" || events[0].Org != tc.who[1] || !strings.Contains(events[0].After, d.ID) {
					t.Errorf("grant wrote %d audit events: %+v; want one designation.grant by %s", written, events, tc.who[1])
				}
			})
		}
		w.verifyChain(t)
	})
}

// TestGrantOnce checks that one fact is recorded once: the same type for
// the same holder under the same document.
func TestGrantOnce(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		w := newWorld(t, db)
		first := w.littleGiant()
		w.grant(t, economy, first)
		recognition := designation.Grant{Type: "talent-recognition", TalentID: w.employee, Level: "B", ValidFrom: "2026-01-01", ValidUntil: "2030-12-31", DocumentNumber: "杭人才〔2026〕3号"}
		w.grant(t, talents, recognition)

		tests := []struct {
			name      string
			who       [2]string
			edit      func(*designation.Grant)
			base      designation.Grant
			duplicate bool
		}{
			{"same grant again", economy, func(*designation.Grant) {}, first, true},
			{"same grant with other dates and note", economy, func(g *designation.Grant) { g.ValidFrom, g.ValidUntil, g.Note = "2025-01-01", "2025-12-31", "重复" }, first, true},
			{"credit code written in lower case", economy, func(g *designation.Grant) { g.EnterpriseCreditCode = strings.ToLower(g.EnterpriseCreditCode) }, first, true},
			{"same recognition at another level", talents, func(g *designation.Grant) { g.Level = "A" }, recognition, true},
			{"another document", economy, func(g *designation.Grant) { g.DocumentNumber = doc() }, first, false},
			{"another enterprise", economy, func(g *designation.Grant) { g.EnterpriseCreditCode = w.b }, first, false},
			{"another type", economy, func(g *designation.Grant) { g.Type = "single-champion" }, first, false},
			{"another talent", talents, func(g *designation.Grant) { g.TalentID = w.freelance }, recognition, false},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				g := tc.base
				tc.edit(&g)
				before := w.auditLength(t)
				_, err := w.reg.GrantDesignation(as(tc.who), g)
				written := w.auditLength(t) - before
				if tc.duplicate {
					if registry.KindOf(err) != registry.KindAlreadyExists || written != 0 {
						t.Errorf("GrantDesignation = %v with %d audit events, want already exists with none", err, written)
					}
					return
				}
				if err != nil || written != 1 {
					t.Errorf("GrantDesignation = %v with %d audit events, want a new record with one", err, written)
				}
			})
		}
		list, _, err := w.reg.ListDesignations(as(auditor), designation.DesignationFilter{EnterpriseCreditCode: w.a, Type: "little-giant"})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, d := range list {
			if d.DocumentNumber == first.DocumentNumber {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d little-giant records of A under %s, want 1", n, first.DocumentNumber)
		}
	})
}
