package designation_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/imports"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// july is the date of day n of July 2026, the month the histories below
// happen in.
func july(n int) string { return fmt.Sprintf("2026-07-%02d", n) }

// julyAt is hour:00 of day n of July 2026 in China Standard Time.
func julyAt(n, hour int) time.Time {
	return time.Date(2026, 7, n, hour, 0, 0, 0, time.FixedZone("CST", 8*3600))
}

// history is a world whose enterprise B holds designations with a past:
// granted (or imported) at noon on July 2nd, then changed later.
type history struct {
	*world
	// revoked is revoked on the 5th; renewed (valid until the 3rd) is
	// renewed on the 5th until 2027; suspended is suspended on the 4th;
	// imported comes by a bulk import and is revoked on the 5th.
	revoked, renewed, suspended, imported string
	names                                 map[string]string // id → name above
}

func newHistory(t *testing.T, db storetest.Database) *history {
	t.Helper()
	h := &history{world: newWorld(t, db)}
	h.clock.Set(julyAt(2, 12))
	grant := func(typ, until, number string) string {
		return h.grant(t, economy, designation.Grant{Type: typ, EnterpriseCreditCode: h.b, ValidFrom: july(1), ValidUntil: until, DocumentNumber: number}).ID
	}
	h.revoked = grant("little-giant", "2026-12-31", "杭经信〔2026〕H1号")
	h.renewed = grant("hidden-champion", july(3), "杭经信〔2026〕H2号")
	h.suspended = grant("innovation-center", "2026-12-31", "杭经信〔2026〕H3号")
	h.imported = h.importSingleChampion(t)

	h.clock.Set(julyAt(4, 12))
	if _, err := h.reg.SuspendDesignation(as(economy), designation.StatusUpdate{ID: h.suspended, Reason: "暂停核查"}); err != nil {
		t.Fatal(err)
	}
	h.clock.Set(julyAt(5, 12))
	for _, id := range []string{h.revoked, h.imported} {
		if _, err := h.reg.RevokeDesignation(as(economy), designation.StatusUpdate{ID: id, Reason: "弄虚作假"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.reg.RenewDesignation(as(economy), designation.Renewal{ID: h.renewed, ValidUntil: "2027-12-31", DocumentNumber: "杭经信〔2026〕H2号续"}); err != nil {
		t.Fatal(err)
	}
	h.clock.Set(julyAt(8, 12))
	h.names = map[string]string{h.revoked: "revoked", h.renewed: "renewed", h.suspended: "suspended", h.imported: "imported"}
	return h
}

// importSingleChampion records a single champion of B through a bulk
// import and returns its id.
func (h *history) importSingleChampion(t *testing.T) string {
	t.Helper()
	ctx := as(economy)
	im, err := h.reg.BeginImport(ctx, imports.ImportDesignations, imports.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer im.Abort()
	row := imports.DesignationRow{Row: 1, Grant: designation.Grant{Type: "single-champion", EnterpriseCreditCode: h.b, ValidFrom: july(1), ValidUntil: "2026-12-31", DocumentNumber: "杭经信〔2026〕H4号"}}
	if _, err := im.Designations(ctx, []imports.DesignationRow{row}); err != nil {
		t.Fatal(err)
	}
	if p, err := im.Finish(ctx, nil); err != nil || p.Created != 1 {
		t.Fatalf("import: %+v, %v", p, err)
	}
	list, _, err := h.reg.ListDesignations(ctx, designation.DesignationFilter{EnterpriseCreditCode: h.b, Type: "single-champion"})
	if err != nil || len(list) != 1 {
		t.Fatalf("imported designation: %v, %v", list, err)
	}
	return list[0].ID
}

// TestGetDesignationAt checks what GetDesignationAt answers for
// designations changed after the instant asked about, on the date asked
// about: granted later is not found, changed later answers as it stood,
// and a status change recorded later does not count on any date.
func TestGetDesignationAt(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		h := newHistory(t, db)
		type want struct {
			status         designation.Status
			reason         string
			validUntil     string
			documentNumber string
			version        int64
		}
		notFound := want{}
		revokedActive := want{designation.StatusActive, "", "2026-12-31", "杭经信〔2026〕H1号", 1}
		revokedRevoked := want{designation.StatusRevoked, "弄虚作假", "2026-12-31", "杭经信〔2026〕H1号", 2}
		renewedBefore := want{designation.StatusActive, "", july(3), "杭经信〔2026〕H2号", 1}
		renewedAfter := want{designation.StatusActive, "", "2027-12-31", "杭经信〔2026〕H2号续", 2}
		suspendedActive := want{designation.StatusActive, "", "2026-12-31", "杭经信〔2026〕H3号", 1}
		suspendedSuspended := want{designation.StatusSuspended, "暂停核查", "2026-12-31", "杭经信〔2026〕H3号", 2}
		importedActive := want{designation.StatusActive, "", "2026-12-31", "杭经信〔2026〕H4号", 1}
		importedRevoked := want{designation.StatusRevoked, "弄虚作假", "2026-12-31", "杭经信〔2026〕H4号", 2}
		// with is w with status s on a date no status change decides.
		with := func(w want, s designation.Status) want { w.status, w.reason = s, ""; return w }
		tests := []struct {
			name string
			id   string
			at   designation.At
			want want
		}{
			{"revoked: known on the 1st, before its grant", h.revoked, designation.At{KnownAt: julyAt(1, 12)}, notFound},
			{"revoked: known an hour before its grant", h.revoked, designation.At{KnownAt: julyAt(2, 11)}, notFound},
			{"revoked: known at the instant of its grant", h.revoked, designation.At{KnownAt: julyAt(2, 12)}, revokedActive},
			{"revoked: known on the 3rd", h.revoked, designation.At{KnownAt: julyAt(3, 12)}, revokedActive},
			{"revoked: known on the 6th", h.revoked, designation.At{KnownAt: julyAt(6, 12)}, revokedRevoked},
			{"revoked: now", h.revoked, designation.At{}, revokedRevoked},
			{"revoked: known in the future is now", h.revoked, designation.At{KnownAt: julyAt(30, 12)}, revokedRevoked},
			{"revoked: as of the 3rd", h.revoked, designation.At{AsOf: july(3)}, with(revokedRevoked, designation.StatusActive)},
			{"revoked: as of the 6th", h.revoked, designation.At{AsOf: july(6)}, revokedRevoked},
			{"revoked: known on the 3rd, as of the 6th", h.revoked, designation.At{KnownAt: julyAt(3, 12), AsOf: july(6)}, revokedActive},
			{"revoked: known on the 3rd, as of 2027", h.revoked, designation.At{KnownAt: julyAt(3, 12), AsOf: "2027-06-01"}, with(revokedActive, designation.StatusExpired)},
			{"revoked: known on the 6th, as of the 3rd", h.revoked, designation.At{KnownAt: julyAt(6, 12), AsOf: july(3)}, with(revokedRevoked, designation.StatusActive)},

			{"renewed: known on the 3rd", h.renewed, designation.At{KnownAt: julyAt(3, 12)}, renewedBefore},
			{"renewed: known on the 4th, expired then", h.renewed, designation.At{KnownAt: julyAt(4, 12)}, with(renewedBefore, designation.StatusExpired)},
			{"renewed: known on the 6th", h.renewed, designation.At{KnownAt: julyAt(6, 12)}, renewedAfter},
			{"renewed: now", h.renewed, designation.At{}, renewedAfter},
			{"renewed: known on the 3rd, as of the 8th", h.renewed, designation.At{KnownAt: julyAt(3, 12), AsOf: july(8)}, with(renewedBefore, designation.StatusExpired)},
			{"renewed: known on the 6th, as of the 8th", h.renewed, designation.At{KnownAt: julyAt(6, 12), AsOf: july(8)}, renewedAfter},
			{"renewed: as of a day before its validity", h.renewed, designation.At{AsOf: "2026-06-30"}, with(renewedAfter, designation.StatusExpired)},

			{"suspended: known on the 3rd", h.suspended, designation.At{KnownAt: julyAt(3, 12)}, suspendedActive},
			{"suspended: known on the 3rd, as of the 6th", h.suspended, designation.At{KnownAt: julyAt(3, 12), AsOf: july(6)}, suspendedActive},
			{"suspended: known the morning it took effect, as of that day", h.suspended, designation.At{KnownAt: julyAt(4, 10), AsOf: july(4)}, suspendedActive},
			{"suspended: known that afternoon, as of that day", h.suspended, designation.At{KnownAt: julyAt(4, 13), AsOf: july(4)}, suspendedSuspended},
			{"suspended: as of the 3rd", h.suspended, designation.At{AsOf: july(3)}, with(suspendedSuspended, designation.StatusActive)},
			{"suspended: now", h.suspended, designation.At{}, suspendedSuspended},

			{"imported: known on the 1st", h.imported, designation.At{KnownAt: julyAt(1, 12)}, notFound},
			{"imported: known on the 3rd", h.imported, designation.At{KnownAt: julyAt(3, 12)}, importedActive},
			{"imported: known on the 6th", h.imported, designation.At{KnownAt: julyAt(6, 12)}, importedRevoked},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				got, err := h.reg.GetDesignationAt(as(auditor), tc.id, tc.at)
				if tc.want == notFound {
					if registry.KindOf(err) != registry.KindNotFound {
						t.Fatalf("GetDesignationAt = %+v, %v; want not found", got, err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if g := (want{got.Status, got.StatusReason, got.ValidUntil, got.DocumentNumber, got.Version}); g != tc.want {
					t.Errorf("GetDesignationAt = %+v, want %+v", g, tc.want)
				}
				if got.ID != tc.id || got.EnterpriseCreditCode != h.b || got.ValidFrom != july(1) {
					t.Errorf("GetDesignationAt = %+v: not the designation asked for", got)
				}
			})
		}
	})
}

// TestListDesignationsKnownAt checks that ListDesignations with KnownAt
// lists what was recorded then, each designation as it stood, with its
// status and as_of filters applied to that record.
func TestListDesignationsKnownAt(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		h := newHistory(t, db)
		tests := []struct {
			name string
			f    designation.DesignationFilter
			want []string // name=status, sorted
		}{
			{"known on the 1st", designation.DesignationFilter{KnownAt: julyAt(1, 12)}, nil},
			{"known on the 3rd", designation.DesignationFilter{KnownAt: julyAt(3, 12)},
				[]string{"imported=active", "renewed=active", "revoked=active", "suspended=active"}},
			{"known on the 4th", designation.DesignationFilter{KnownAt: julyAt(4, 13)},
				[]string{"imported=active", "renewed=expired", "revoked=active", "suspended=suspended"}},
			{"known on the 6th", designation.DesignationFilter{KnownAt: julyAt(6, 12)},
				[]string{"imported=revoked", "renewed=active", "revoked=revoked", "suspended=suspended"}},
			{"known in the future is now", designation.DesignationFilter{KnownAt: julyAt(30, 12)},
				[]string{"imported=revoked", "renewed=active", "revoked=revoked", "suspended=suspended"}},
			{"known on the 3rd, revoked", designation.DesignationFilter{KnownAt: julyAt(3, 12), Status: designation.StatusRevoked}, nil},
			{"known on the 6th, revoked", designation.DesignationFilter{KnownAt: julyAt(6, 12), Status: designation.StatusRevoked},
				[]string{"imported=revoked", "revoked=revoked"}},
			{"known on the 3rd, active", designation.DesignationFilter{KnownAt: julyAt(3, 12), Status: designation.StatusActive},
				[]string{"imported=active", "renewed=active", "revoked=active", "suspended=active"}},
			{"known on the 4th, expired", designation.DesignationFilter{KnownAt: julyAt(4, 13), Status: designation.StatusExpired},
				[]string{"renewed=expired"}},
			{"known on the 6th, expired", designation.DesignationFilter{KnownAt: julyAt(6, 12), Status: designation.StatusExpired}, nil},
			{"known on the 4th, suspended", designation.DesignationFilter{KnownAt: julyAt(4, 13), Status: designation.StatusSuspended},
				[]string{"suspended=suspended"}},
			{"known the morning of the suspension, suspended", designation.DesignationFilter{KnownAt: julyAt(4, 10), Status: designation.StatusSuspended}, nil},
			{"known on the 3rd, valid on the 6th", designation.DesignationFilter{KnownAt: julyAt(3, 12), AsOf: july(6)},
				[]string{"imported=active", "revoked=active", "suspended=active"}},
			{"known on the 3rd, valid on the 3rd", designation.DesignationFilter{KnownAt: julyAt(3, 12), AsOf: july(3)},
				[]string{"imported=active", "renewed=active", "revoked=active", "suspended=active"}},
			{"known the morning of the suspension, valid that day", designation.DesignationFilter{KnownAt: julyAt(4, 10), AsOf: july(4)},
				[]string{"imported=active", "revoked=active", "suspended=active"}},
			{"known on the 6th, valid on the 8th", designation.DesignationFilter{KnownAt: julyAt(6, 12), AsOf: july(8)},
				[]string{"renewed=active"}},
			{"known on the 6th, valid on the 3rd", designation.DesignationFilter{KnownAt: julyAt(6, 12), AsOf: july(3)},
				[]string{"imported=revoked", "renewed=active", "revoked=revoked", "suspended=suspended"}},
			{"now, valid on the 3rd", designation.DesignationFilter{AsOf: july(3)},
				[]string{"imported=revoked", "renewed=active", "revoked=revoked", "suspended=suspended"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				tc.f.EnterpriseCreditCode = h.b
				list, _, err := h.reg.ListDesignations(as(auditor), tc.f)
				if err != nil {
					t.Fatal(err)
				}
				if got := h.statuses(list); !slices.Equal(got, tc.want) {
					t.Errorf("listed %v, want %v", got, tc.want)
				}
			})
		}
		t.Run("pages of one, known on the 3rd", func(t *testing.T) {
			var got []designation.Designation
			token := ""
			for range 10 {
				page, next, err := h.reg.ListDesignations(as(auditor), designation.DesignationFilter{KnownAt: julyAt(3, 12), PageSize: 1, PageToken: token})
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, page...)
				if token = next; token == "" {
					break
				}
			}
			if want := []string{"imported=active", "renewed=active", "revoked=active", "suspended=active"}; !slices.Equal(h.statuses(got), want) {
				t.Errorf("paged %v, want %v", h.statuses(got), want)
			}
			for _, d := range got {
				if d.Version != 1 {
					t.Errorf("%s at version %d, want 1 as it stood on the 3rd", h.names[d.ID], d.Version)
				}
			}
		})
	})
}

// statuses names the history's designations in list with their status,
// sorted; it ignores designations of other holders.
func (h *history) statuses(list []designation.Designation) []string {
	var out []string
	for _, d := range list {
		if name, ok := h.names[d.ID]; ok {
			out = append(out, name+"="+string(d.Status))
		}
	}
	slices.Sort(out)
	return out
}

// TestReadScopeAt checks that reads at an instant or on a date keep the
// read scope: who may not read a designation learns nothing of its past
// either, not even whether it existed then.
func TestReadScopeAt(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		h := newHistory(t, db)
		before, after := designation.At{KnownAt: julyAt(1, 12)}, designation.At{KnownAt: julyAt(3, 12)}
		getTests := []struct {
			name  string
			who   [2]string
			id    string
			at    designation.At
			want  registry.Kind // KindInternal: read
			field string
		}{
			{"holder, before its grant", member(h.b), h.revoked, before, registry.KindNotFound, ""},
			{"holder, after its grant", member(h.b), h.revoked, after, registry.KindInternal, ""},
			{"another enterprise, before its grant", member(h.a), h.revoked, before, registry.KindPermissionDenied, ""},
			{"another enterprise, after its grant", member(h.a), h.revoked, after, registry.KindPermissionDenied, ""},
			{"another enterprise, a missing id", member(h.a), missingID, after, registry.KindPermissionDenied, ""},
			{"park operator, as of a date", operator, h.revoked, designation.At{AsOf: july(3)}, registry.KindPermissionDenied, ""},
			{"bureau, a missing id", economy, missingID, after, registry.KindNotFound, ""},
			{"malformed as_of", economy, h.revoked, designation.At{AsOf: "2026-7-3"}, registry.KindInvalidArgument, "as_of"},
			{"malformed id", economy, "revoked", after, registry.KindInvalidArgument, "id"},
		}
		for _, tc := range getTests {
			t.Run("get/"+tc.name, func(t *testing.T) {
				got, err := h.reg.GetDesignationAt(as(tc.who), tc.id, tc.at)
				if tc.want == registry.KindInternal {
					if err != nil || got.ID != tc.id {
						t.Fatalf("GetDesignationAt = %+v, %v", got, err)
					}
					return
				}
				if registry.KindOf(err) != tc.want {
					t.Fatalf("GetDesignationAt = %+v, %v; want kind %d", got, err, tc.want)
				}
				if tc.field != "" && !slices.Contains(registrytest.Violated(err), tc.field) {
					t.Fatalf("GetDesignationAt = %v; want a violation of %s", err, tc.field)
				}
			})
		}
		listTests := []struct {
			name string
			who  [2]string
			f    designation.DesignationFilter
			want []string
			kind registry.Kind // KindInternal: listed
		}{
			{"holder lists its own as known then", member(h.b), designation.DesignationFilter{KnownAt: julyAt(6, 12), Status: designation.StatusRevoked},
				[]string{"imported=revoked", "revoked=revoked"}, registry.KindInternal},
			{"another enterprise lists its own", member(h.a), designation.DesignationFilter{KnownAt: julyAt(6, 12)}, nil, registry.KindInternal},
			{"another enterprise asks for the holder's", member(h.a), designation.DesignationFilter{KnownAt: julyAt(6, 12), EnterpriseCreditCode: h.b}, nil, registry.KindPermissionDenied},
			{"park operator", operator, designation.DesignationFilter{KnownAt: julyAt(6, 12)}, nil, registry.KindPermissionDenied},
			{"malformed as_of", auditor, designation.DesignationFilter{KnownAt: julyAt(6, 12), AsOf: "July 3rd"}, nil, registry.KindInvalidArgument},
		}
		for _, tc := range listTests {
			t.Run("list/"+tc.name, func(t *testing.T) {
				list, _, err := h.reg.ListDesignations(as(tc.who), tc.f)
				if registry.KindOf(err) != tc.kind && !(tc.kind == registry.KindInternal && err == nil) {
					t.Fatalf("ListDesignations = %v; want kind %d", err, tc.kind)
				}
				if got := h.statuses(list); !slices.Equal(got, tc.want) {
					t.Errorf("listed %v, want %v", got, tc.want)
				}
			})
		}
	})
}

// TestListKnownAtStatements checks that a page listed with KnownAt costs
// the same number of statements whether it holds one designation or many,
// each with a history: its history is read for the page at once.
func TestListKnownAtStatements(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		h := newHistory(t, db)
		cyberspace := issuerOf("cyberspace")
		h.clock.Set(julyAt(9, 12))
		var later []string
		for i := range 20 {
			later = append(later, h.grant(t, cyberspace, designation.Grant{Type: "model-filing", EnterpriseCreditCode: h.b, ValidFrom: july(1), ValidUntil: "2026-12-31", DocumentNumber: fmt.Sprintf("网信备〔2026〕%d号", i)}).ID)
		}
		// Each is changed after the instant listed: its history is read.
		h.clock.Set(julyAt(10, 12))
		for _, id := range later {
			if _, err := h.reg.SuspendDesignation(as(cyberspace), designation.StatusUpdate{ID: id, Reason: "暂停核查"}); err != nil {
				t.Fatal(err)
			}
			if _, err := h.reg.RenewDesignation(as(cyberspace), designation.Renewal{ID: id, ValidUntil: "2027-12-31", DocumentNumber: "续" + id}); err != nil {
				t.Fatal(err)
			}
		}
		h.clock.Set(julyAt(11, 12))
		rec := registrytest.RecordQueries(t, h.reg, db)
		statements := map[int]int{}
		for _, size := range []int{1, 24} {
			rec.Take()
			list, _, err := h.reg.ListDesignations(as(auditor), designation.DesignationFilter{KnownAt: julyAt(9, 13), PageSize: size})
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != size {
				t.Fatalf("a page of %d holds %d", size, len(list))
			}
			for _, d := range list {
				if d.Type == "model-filing" && (d.Status != designation.StatusActive || d.ValidUntil != "2026-12-31" || d.Version != 1) {
					t.Fatalf("%s as it stood on the 9th: %+v", d.ID, d)
				}
			}
			statements[size] = len(rec.Take())
		}
		if statements[1] != statements[24] {
			t.Errorf("a page of 1 took %d statements, a page of 24 took %d", statements[1], statements[24])
		}
	})
}
