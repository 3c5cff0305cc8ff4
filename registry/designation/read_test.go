package designation_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/catalog"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

func ids(ds []designation.Designation) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.ID)
	}
	return out
}

// TestReadScope checks who reads which designation: bureaus and auditors
// read all, an enterprise reads its own and its employees', and a caller
// who may not read every designation cannot tell a missing one from
// another's.
func TestReadScope(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		w := newWorld(t, db)
		ofA := w.grant(t, economy, w.littleGiant()).ID
		ofB := w.grant(t, economy, designation.Grant{Type: "hidden-champion", EnterpriseCreditCode: w.b, ValidFrom: "2026-01-01", ValidUntil: "2028-12-31", DocumentNumber: doc()}).ID
		ofEmployee := w.grant(t, talents, designation.Grant{Type: "talent-recognition", TalentID: w.employee, Level: "D", ValidFrom: "2026-01-01", ValidUntil: "2030-12-31", DocumentNumber: doc()}).ID
		ofFreelance := w.grant(t, talents, designation.Grant{Type: "west-lake-pearl-ai", TalentID: w.freelance, ValidFrom: "2026-01-01", ValidUntil: "2030-12-31", DocumentNumber: doc()}).ID

		getTests := []struct {
			name string
			who  [2]string
			id   string
			want registry.Kind // KindInternal: read
		}{
			{"member reads its own", member(w.a), ofA, registry.KindInternal},
			{"member reads its employee's", member(w.a), ofEmployee, registry.KindInternal},
			{"member reads another enterprise's", member(w.a), ofB, registry.KindPermissionDenied},
			{"member reads a talent's not employed by it", member(w.a), ofFreelance, registry.KindPermissionDenied},
			{"member asks for a missing id", member(w.a), missingID, registry.KindPermissionDenied},
			{"other member reads A's employee's", member(w.b), ofEmployee, registry.KindPermissionDenied},
			{"issuer of another bureau reads any", talents, ofA, registry.KindInternal},
			{"viewer reads any", viewer, ofFreelance, registry.KindInternal},
			{"auditor reads any", auditor, ofB, registry.KindInternal},
			{"issuer asks for a missing id", economy, missingID, registry.KindNotFound},
			{"auditor asks for a missing id", auditor, missingID, registry.KindNotFound},
			{"park operator", operator, ofA, registry.KindPermissionDenied},
			{"admin", admin, ofA, registry.KindPermissionDenied},
			{"malformed id", economy, "ofA", registry.KindInvalidArgument},
		}
		for _, tc := range getTests {
			t.Run("get/"+tc.name, func(t *testing.T) {
				got, err := w.reg.GetDesignation(as(tc.who), tc.id)
				if tc.want == registry.KindInternal {
					if err != nil || got.ID != tc.id {
						t.Errorf("GetDesignation = %+v, %v", got, err)
					}
					return
				}
				if registry.KindOf(err) != tc.want {
					t.Errorf("GetDesignation(%s) as %v = %v, want kind %d", tc.id, tc.who, err, tc.want)
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
			{"auditor lists all", auditor, designation.DesignationFilter{}, []string{ofA, ofB, ofEmployee, ofFreelance}, registry.KindInternal},
			{"member lists its own and its employees'", member(w.a), designation.DesignationFilter{}, []string{ofA, ofEmployee}, registry.KindInternal},
			{"member filters by type", member(w.a), designation.DesignationFilter{Type: "talent-recognition"}, []string{ofEmployee}, registry.KindInternal},
			{"member names itself", member(w.a), designation.DesignationFilter{EnterpriseCreditCode: w.a}, []string{ofA}, registry.KindInternal},
			{"member names another", member(w.a), designation.DesignationFilter{EnterpriseCreditCode: w.b}, nil, registry.KindPermissionDenied},
			{"member asks for another's talent", member(w.b), designation.DesignationFilter{TalentID: w.employee}, nil, registry.KindInternal},
			{"issuer by enterprise", economy, designation.DesignationFilter{EnterpriseCreditCode: w.b}, []string{ofB}, registry.KindInternal},
			{"issuer by talent", economy, designation.DesignationFilter{TalentID: w.freelance}, []string{ofFreelance}, registry.KindInternal},
			{"park operator", operator, designation.DesignationFilter{}, nil, registry.KindPermissionDenied},
			{"unknown type", economy, designation.DesignationFilter{Type: "giant"}, nil, registry.KindInvalidArgument},
			{"unknown status", economy, designation.DesignationFilter{Status: "paused"}, nil, registry.KindInvalidArgument},
			{"malformed as_of", economy, designation.DesignationFilter{AsOf: "2026-6-1"}, nil, registry.KindInvalidArgument},
			{"malformed talent id", economy, designation.DesignationFilter{TalentID: "x"}, nil, registry.KindInvalidArgument},
			{"forged page token", economy, designation.DesignationFilter{PageToken: "AAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, nil, registry.KindInvalidArgument},
		}
		for _, tc := range listTests {
			t.Run("list/"+tc.name, func(t *testing.T) {
				got, _, err := w.reg.ListDesignations(as(tc.who), tc.f)
				if !(tc.kind == registry.KindInternal && err == nil) && registry.KindOf(err) != tc.kind {
					t.Fatalf("ListDesignations(%+v) as %v = %v, want kind %d", tc.f, tc.who, err, tc.kind)
				}
				if !slices.Equal(ids(got), tc.want) {
					t.Errorf("ListDesignations(%+v) as %v = %v, want %v", tc.f, tc.who, ids(got), tc.want)
				}
			})
		}

		t.Run("pages", func(t *testing.T) {
			var seen []string
			token := ""
			for range 6 {
				page, next, err := w.reg.ListDesignations(as(auditor), designation.DesignationFilter{PageSize: 1, PageToken: token})
				if err != nil {
					t.Fatal(err)
				}
				seen = append(seen, ids(page)...)
				if next == "" {
					break
				}
				b := []byte(next)
				b[0] ^= 1 // 'A'<->'@' and the like: another tag, or not base64 at all
				if _, _, err := w.reg.ListDesignations(as(auditor), designation.DesignationFilter{PageSize: 1, PageToken: string(b)}); !slices.Equal(registrytest.Violated(err), []string{"page_token"}) {
					t.Errorf("tampered token: %v, want a page_token violation", err)
				}
				token = next
			}
			if !slices.Equal(seen, []string{ofA, ofB, ofEmployee, ofFreelance}) {
				t.Errorf("paged through %v, want each designation once in grant order", seen)
			}
		})

		t.Run("public status shows no person", func(t *testing.T) {
			st, err := w.reg.GetDesignationStatus(context.Background(), ofEmployee)
			if err != nil || st.HolderKind != catalog.SubjectTalent || st.HolderName != "" || st.HolderCreditCode != "" {
				t.Errorf("public status of a recognition: %+v, %v", st, err)
			}
			st, err = w.reg.GetDesignationStatus(context.Background(), ofA)
			if err != nil || st.HolderKind != catalog.SubjectEnterprise || st.HolderCreditCode != w.a || st.HolderName == "" {
				t.Errorf("public status of A's designation: %+v, %v", st, err)
			}
			if _, err := w.reg.GetDesignationStatus(context.Background(), missingID); registry.KindOf(err) != registry.KindNotFound {
				t.Errorf("public status of a missing id = %v, want not found", err)
			}
		})
	})
}

// TestExpiryInCST checks that a designation expires when its valid_until
// has passed in China Standard Time, and that status filters and as_of
// follow the same calendar.
func TestExpiryInCST(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		w := newWorld(t, db)
		g := w.littleGiant()
		g.ValidFrom, g.ValidUntil = "2026-01-01", "2026-06-15"
		d := w.grant(t, economy, g)
		suspended := w.inStatus(t, designation.StatusSuspended)
		tests := []struct {
			name string
			now  time.Time
			want designation.Status
		}{
			{"noon on the last day", time.Date(2026, 6, 15, 4, 0, 0, 0, time.UTC), designation.StatusActive},
			{"23:59 CST on the last day", time.Date(2026, 6, 15, 15, 59, 0, 0, time.UTC), designation.StatusActive},
			{"00:00 CST the day after", time.Date(2026, 6, 15, 16, 0, 0, 0, time.UTC), designation.StatusExpired},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				w.clock.Set(tc.now)
				got, err := w.reg.GetDesignation(as(economy), d.ID)
				if err != nil || got.Status != tc.want {
					t.Fatalf("status at %v = %s, %v; want %s", tc.now, got.Status, err, tc.want)
				}
				for _, s := range []designation.Status{designation.StatusActive, designation.StatusExpired} {
					list, _, err := w.reg.ListDesignations(as(economy), designation.DesignationFilter{Status: s, Type: "little-giant"})
					if err != nil {
						t.Fatal(err)
					}
					if listed := slices.Contains(ids(list), d.ID); listed != (s == tc.want) {
						t.Errorf("status filter %s at %v lists it: %v", s, tc.now, listed)
					}
				}
			})
		}
		w.clock.Set(time.Date(2026, 6, 15, 4, 0, 0, 0, time.UTC))
		asOf := []struct {
			date         string
			d, suspended bool // listed
		}{
			{"2025-12-31", false, false},
			{"2026-01-01", true, true},
			{"2026-06-14", true, true},
			{"2026-06-15", true, false}, // suspended from today
			{"2026-06-16", false, false},
		}
		for _, tc := range asOf {
			t.Run("as of "+tc.date, func(t *testing.T) {
				list, _, err := w.reg.ListDesignations(as(economy), designation.DesignationFilter{AsOf: tc.date})
				if err != nil {
					t.Fatal(err)
				}
				if got := slices.Contains(ids(list), d.ID); got != tc.d {
					t.Errorf("valid until 2026-06-15, listed as of %s: %v", tc.date, got)
				}
				if got := slices.Contains(ids(list), suspended.ID); got != tc.suspended {
					t.Errorf("suspended today, listed as of %s: %v", tc.date, got)
				}
			})
		}
	})
}
