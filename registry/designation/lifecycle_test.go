package designation_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// lifecycle names the four lifecycle calls.
var lifecycle = map[string]func(w *world, ctx context.Context, id string, version int64) (designation.Designation, error){
	"suspend": func(w *world, ctx context.Context, id string, v int64) (designation.Designation, error) {
		return w.reg.SuspendDesignation(ctx, designation.StatusUpdate{ID: id, Reason: "暂停核查", ExpectedVersion: v})
	},
	"reinstate": func(w *world, ctx context.Context, id string, v int64) (designation.Designation, error) {
		return w.reg.ReinstateDesignation(ctx, designation.StatusUpdate{ID: id, ExpectedVersion: v})
	},
	"revoke": func(w *world, ctx context.Context, id string, v int64) (designation.Designation, error) {
		return w.reg.RevokeDesignation(ctx, designation.StatusUpdate{ID: id, Reason: "弄虚作假", ExpectedVersion: v})
	},
	"renew": func(w *world, ctx context.Context, id string, v int64) (designation.Designation, error) {
		return w.reg.RenewDesignation(ctx, designation.Renewal{ID: id, ValidUntil: "2031-12-31", DocumentNumber: "续" + doc(), ExpectedVersion: v})
	},
}

// inStatus grants a little-giant to A and brings it to status.
func (w *world) inStatus(t *testing.T, status designation.Status) designation.Designation {
	t.Helper()
	g := w.littleGiant()
	if status == designation.StatusExpired {
		g.ValidFrom, g.ValidUntil = "2024-01-01", "2026-06-14" // yesterday
	}
	d := w.grant(t, economy, g)
	var err error
	switch status {
	case designation.StatusSuspended:
		d, err = lifecycle["suspend"](w, as(economy), d.ID, 0)
	case designation.StatusRevoked:
		d, err = lifecycle["revoke"](w, as(economy), d.ID, 0)
	}
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != status {
		t.Fatalf("set up a %s designation, got %s", status, d.Status)
	}
	return d
}

// TestTransitions checks each lifecycle call from each status: where it
// leads, or that it is refused as a failed precondition without a trace.
func TestTransitions(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		w := newWorld(t, db)
		const refused = designation.Status("")
		tests := []struct {
			from   designation.Status
			action string
			to     designation.Status // refused: failed precondition
		}{
			{designation.StatusActive, "suspend", designation.StatusSuspended},
			{designation.StatusActive, "reinstate", refused},
			{designation.StatusActive, "revoke", designation.StatusRevoked},
			{designation.StatusActive, "renew", designation.StatusActive},
			{designation.StatusSuspended, "suspend", refused},
			{designation.StatusSuspended, "reinstate", designation.StatusActive},
			{designation.StatusSuspended, "revoke", designation.StatusRevoked},
			{designation.StatusSuspended, "renew", designation.StatusSuspended},
			{designation.StatusExpired, "suspend", refused},
			{designation.StatusExpired, "reinstate", refused},
			{designation.StatusExpired, "revoke", designation.StatusRevoked},
			{designation.StatusExpired, "renew", designation.StatusActive},
			{designation.StatusRevoked, "suspend", refused},
			{designation.StatusRevoked, "reinstate", refused},
			{designation.StatusRevoked, "revoke", refused},
			{designation.StatusRevoked, "renew", refused},
		}
		for _, tc := range tests {
			t.Run(string(tc.from)+"/"+tc.action, func(t *testing.T) {
				d := w.inStatus(t, tc.from)
				before := w.auditLength(t)
				got, err := lifecycle[tc.action](w, as(economy), d.ID, d.Version)
				written := w.auditLength(t) - before
				now, rerr := w.reg.GetDesignation(as(economy), d.ID)
				if rerr != nil {
					t.Fatal(rerr)
				}
				if tc.to == refused {
					if registry.KindOf(err) != registry.KindFailedPrecondition || written != 0 {
						t.Errorf("%s of a %s designation = %v with %d audit events, want failed precondition with none", tc.action, tc.from, err, written)
					}
					if now.Status != tc.from || now.Version != d.Version || now.ValidUntil != d.ValidUntil {
						t.Errorf("a refused %s changed the designation: %+v", tc.action, now)
					}
					return
				}
				if err != nil {
					t.Fatalf("%s of a %s designation: %v", tc.action, tc.from, err)
				}
				if got.Status != tc.to || now.Status != tc.to || got.Version != d.Version+1 {
					t.Errorf("%s of a %s designation: %s (read back %s), version %d; want %s, version %d", tc.action, tc.from, got.Status, now.Status, got.Version, tc.to, d.Version+1)
				}
				if tc.action == "renew" && (got.ValidUntil != "2031-12-31" || !strings.HasPrefix(got.DocumentNumber, "续杭经信")) {
					t.Errorf("renewal recorded %s under %s", got.ValidUntil, got.DocumentNumber)
				}
				events := w.events(t, d.ID)
				last := events[len(events)-1]
				if written != 1 || last.Action != "designation."+tc.action || last.Before == "" || !strings.Contains(last.After, string(tc.to)) {
					t.Errorf("%s wrote %d audit events, last %s with after %s", tc.action, written, last.Action, last.After)
				}
			})
		}
		t.Run("renewal onto a fact already recorded", func(t *testing.T) {
			// Renewing under a document that already records the same
			// type for the same holder would make two records of one fact.
			first, second := w.inStatus(t, designation.StatusActive), w.inStatus(t, designation.StatusActive)
			before := w.auditLength(t)
			_, err := w.reg.RenewDesignation(as(economy), designation.Renewal{ID: second.ID, ValidUntil: "2031-12-31", DocumentNumber: first.DocumentNumber})
			if registry.KindOf(err) != registry.KindAlreadyExists || w.auditLength(t) != before || !strings.Contains(err.Error(), "already cites") {
				t.Errorf("renewal under %s = %v, want already exists naming the document, and no audit event", first.DocumentNumber, err)
			}
			if now, _ := w.reg.GetDesignation(as(economy), second.ID); now.DocumentNumber != second.DocumentNumber || now.Version != second.Version {
				t.Errorf("the refused renewal changed the designation: %+v", now)
			}
		})
		w.verifyChain(t)
	})
}

func TestLifecycleReasons(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		w := newWorld(t, db)
		tests := []struct {
			name       string
			from       designation.Status
			call       func(ctx context.Context, id string) (designation.Designation, error)
			wantFields []string
		}{
			{"suspend without reason", designation.StatusActive, func(ctx context.Context, id string) (designation.Designation, error) {
				return w.reg.SuspendDesignation(ctx, designation.StatusUpdate{ID: id, Reason: "  "})
			}, []string{"reason"}},
			{"revoke without reason", designation.StatusActive, func(ctx context.Context, id string) (designation.Designation, error) {
				return w.reg.RevokeDesignation(ctx, designation.StatusUpdate{ID: id})
			}, []string{"reason"}},
			{"reason with a bidi override", designation.StatusActive, func(ctx context.Context, id string) (designation.Designation, error) {
				return w.reg.RevokeDesignation(ctx, designation.StatusUpdate{ID: id, Reason: "原因\u202E"})
			}, []string{"reason"}},
			{"reason too long", designation.StatusActive, func(ctx context.Context, id string) (designation.Designation, error) {
				return w.reg.SuspendDesignation(ctx, designation.StatusUpdate{ID: id, Reason: strings.Repeat("因", 1001)})
			}, []string{"reason"}},
			{"reinstate without reason", designation.StatusSuspended, func(ctx context.Context, id string) (designation.Designation, error) {
				return w.reg.ReinstateDesignation(ctx, designation.StatusUpdate{ID: id})
			}, nil},
			{"multi-line reason", designation.StatusActive, func(ctx context.Context, id string) (designation.Designation, error) {
				return w.reg.SuspendDesignation(ctx, designation.StatusUpdate{ID: id, Reason: "一、材料不实\n二、待核查"})
			}, nil},
			{"renew without document", designation.StatusActive, func(ctx context.Context, id string) (designation.Designation, error) {
				return w.reg.RenewDesignation(ctx, designation.Renewal{ID: id, ValidUntil: "2030-01-01"})
			}, []string{"document_number"}},
			{"renew to a malformed date", designation.StatusActive, func(ctx context.Context, id string) (designation.Designation, error) {
				return w.reg.RenewDesignation(ctx, designation.Renewal{ID: id, ValidUntil: "2030-1-1", DocumentNumber: "续"})
			}, []string{"valid_until"}},
			{"renew to before valid_from", designation.StatusActive, func(ctx context.Context, id string) (designation.Designation, error) {
				return w.reg.RenewDesignation(ctx, designation.Renewal{ID: id, ValidUntil: "2025-12-31", DocumentNumber: "续"})
			}, []string{"valid_until"}},
			{"renew with a formula document", designation.StatusActive, func(ctx context.Context, id string) (designation.Designation, error) {
				return w.reg.RenewDesignation(ctx, designation.Renewal{ID: id, ValidUntil: "2030-01-01", DocumentNumber: "@SUM(1)"})
			}, []string{"document_number"}},
			{"malformed id", designation.StatusActive, func(ctx context.Context, _ string) (designation.Designation, error) {
				return w.reg.SuspendDesignation(ctx, designation.StatusUpdate{ID: "1", Reason: "x"})
			}, []string{"id"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				d := w.inStatus(t, tc.from)
				before := w.auditLength(t)
				_, err := tc.call(as(economy), d.ID)
				written := w.auditLength(t) - before
				if tc.wantFields == nil {
					if err != nil || written != 1 {
						t.Errorf("= %v with %d audit events, want success with one", err, written)
					}
					return
				}
				if got := registrytest.Violated(err); !slices.Equal(got, tc.wantFields) || written != 0 {
					t.Errorf("= %v with %d audit events; want violations on %v, got %v", err, written, tc.wantFields, got)
				}
			})
		}
		t.Run("the reason is recorded", func(t *testing.T) {
			d := w.inStatus(t, designation.StatusActive)
			got, err := w.reg.RevokeDesignation(as(economy), designation.StatusUpdate{ID: d.ID, Reason: " 弄虚作假 "})
			if err != nil {
				t.Fatal(err)
			}
			events := w.events(t, d.ID)
			if got.StatusReason != "弄虚作假" || events[len(events)-1].Reason != "弄虚作假" {
				t.Errorf("status reason %q, audit reason %q; want the trimmed reason in both", got.StatusReason, events[len(events)-1].Reason)
			}
		})
	})
}

// TestExpectedVersion checks the optimistic check: a change made against
// a version that is no longer current is aborted and changes nothing.
func TestExpectedVersion(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		w := newWorld(t, db)
		tests := []struct {
			action   string
			from     designation.Status
			expected func(current int64) int64
			ok       bool
		}{
			{"suspend", designation.StatusActive, func(int64) int64 { return 0 }, true},
			{"suspend", designation.StatusActive, func(c int64) int64 { return c }, true},
			{"suspend", designation.StatusActive, func(c int64) int64 { return c + 1 }, false},
			{"reinstate", designation.StatusSuspended, func(c int64) int64 { return c - 1 }, false},
			{"reinstate", designation.StatusSuspended, func(c int64) int64 { return c }, true},
			{"revoke", designation.StatusActive, func(c int64) int64 { return c + 5 }, false},
			{"renew", designation.StatusActive, func(c int64) int64 { return c + 1 }, false},
			{"renew", designation.StatusSuspended, func(c int64) int64 { return c }, true},
		}
		for _, tc := range tests {
			d := w.inStatus(t, tc.from)
			expected := tc.expected(d.Version)
			t.Run(tc.action+"/"+string(tc.from)+"/"+map[bool]string{true: "current", false: "stale"}[tc.ok], func(t *testing.T) {
				before := w.auditLength(t)
				got, err := lifecycle[tc.action](w, as(economy), d.ID, expected)
				written := w.auditLength(t) - before
				if tc.ok {
					if err != nil || got.Version != d.Version+1 || written != 1 {
						t.Errorf("%s at expected version %d (current %d) = %v, version %d, %d events", tc.action, expected, d.Version, err, got.Version, written)
					}
					return
				}
				if registry.KindOf(err) != registry.KindAborted || written != 0 {
					t.Errorf("%s at expected version %d (current %d) = %v with %d events, want aborted with none", tc.action, expected, d.Version, err, written)
				}
				now, _ := w.reg.GetDesignation(as(economy), d.ID)
				if now.Version != d.Version || now.Status != d.Status {
					t.Errorf("an aborted %s changed the designation: %+v", tc.action, now)
				}
			})
		}
		t.Run("a version read before a change is stale after it", func(t *testing.T) {
			d := w.inStatus(t, designation.StatusActive)
			if _, err := lifecycle["suspend"](w, as(economy), d.ID, d.Version); err != nil {
				t.Fatal(err)
			}
			if _, err := lifecycle["revoke"](w, as(economy), d.ID, d.Version); registry.KindOf(err) != registry.KindAborted {
				t.Errorf("revoke at the version read before the suspension = %v, want aborted", err)
			}
		})
	})
}

// TestLifecycleAuthorization checks that a bureau acts only on the
// designations it granted, even of a type it may grant too, and that
// nobody else acts on them at all.
func TestLifecycleAuthorization(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		w := newWorld(t, db)
		shared := func(by [2]string) designation.Designation {
			return w.grant(t, by, designation.Grant{Type: "ai-growth-enterprise", EnterpriseCreditCode: w.a, ValidFrom: "2026-01-01", ValidUntil: "2028-12-31", DocumentNumber: doc()})
		}
		tests := []struct {
			name    string
			grant   func() designation.Designation
			who     [2]string
			want    registry.Kind // KindInternal: allowed
			actions []string
		}{
			{"the granting bureau", func() designation.Designation { return w.inStatus(t, designation.StatusActive) }, economy, registry.KindInternal, []string{"suspend", "revoke", "renew"}},
			{"another bureau", func() designation.Designation { return w.inStatus(t, designation.StatusActive) }, talents, registry.KindPermissionDenied, []string{"suspend", "revoke", "renew"}},
			{"a bureau that never grants the type", func() designation.Designation { return w.inStatus(t, designation.StatusSuspended) }, issuerOf("cyberspace"), registry.KindPermissionDenied, []string{"reinstate"}},
			{"co-granting bureau on the other's grant", func() designation.Designation { return shared(economy) }, talents, registry.KindPermissionDenied, []string{"suspend", "revoke", "renew"}},
			{"co-granting bureau on its own grant", func() designation.Designation { return shared(talents) }, talents, registry.KindInternal, []string{"suspend", "revoke", "renew"}},
			{"the granting bureau's viewer", func() designation.Designation { return w.inStatus(t, designation.StatusActive) }, viewer, registry.KindPermissionDenied, []string{"suspend", "revoke", "renew"}},
			{"the holder's member", func() designation.Designation { return w.inStatus(t, designation.StatusActive) }, member(w.a), registry.KindPermissionDenied, []string{"suspend", "revoke", "renew"}},
			{"auditor", func() designation.Designation { return w.inStatus(t, designation.StatusActive) }, auditor, registry.KindPermissionDenied, []string{"suspend", "revoke", "renew"}},
			{"admin", func() designation.Designation { return w.inStatus(t, designation.StatusActive) }, admin, registry.KindPermissionDenied, []string{"suspend", "revoke", "renew"}},
		}
		for _, tc := range tests {
			for _, action := range tc.actions {
				t.Run(tc.name+"/"+action, func(t *testing.T) {
					d := tc.grant()
					before := w.auditLength(t)
					_, err := lifecycle[action](w, as(tc.who), d.ID, 0)
					written := w.auditLength(t) - before
					if tc.want == registry.KindInternal {
						if err != nil || written != 1 {
							t.Errorf("%s as %v = %v with %d events", action, tc.who, err, written)
						}
						return
					}
					if registry.KindOf(err) != tc.want || written != 0 {
						t.Errorf("%s as %v = %v with %d events, want kind %d with none", action, tc.who, err, written, tc.want)
					}
				})
			}
		}

		missing := []struct {
			name string
			who  [2]string
			want registry.Kind
		}{
			{"issuer, who may read every designation", economy, registry.KindNotFound},
			{"issuer of another bureau", talents, registry.KindNotFound},
			{"member", member(w.a), registry.KindPermissionDenied},
			{"auditor", auditor, registry.KindPermissionDenied},
		}
		for _, tc := range missing {
			t.Run("missing id/"+tc.name, func(t *testing.T) {
				if _, err := lifecycle["suspend"](w, as(tc.who), missingID, 0); registry.KindOf(err) != tc.want {
					t.Errorf("suspend of a missing designation as %v = %v, want kind %d", tc.who, err, tc.want)
				}
			})
		}
	})
}
