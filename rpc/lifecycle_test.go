package rpc_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"connectrpc.com/connect/v2"

	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

const (
	statusActive    = registryv1.DesignationStatus_DESIGNATION_STATUS_ACTIVE
	statusSuspended = registryv1.DesignationStatus_DESIGNATION_STATUS_SUSPENDED
	statusRevoked   = registryv1.DesignationStatus_DESIGNATION_STATUS_REVOKED
	statusExpired   = registryv1.DesignationStatus_DESIGNATION_STATUS_EXPIRED
)

// lifecycleFixture is a registry with economy-IT staff and an auditor.
type lifecycleFixture struct {
	env     *rpctest.Env
	economy *rpctest.Clients
	auditor *rpctest.Clients
	next    int
}

// enterprise registers a new enterprise of its own for one subtest, so
// that listing by its credit code sees only that subtest's designations.
func (f *lifecycleFixture) enterprise(t *testing.T, ctx context.Context) string {
	t.Helper()
	f.next++
	code := testCreditCode(t, 100+f.next)
	if _, err := f.economy.Enterprise.RegisterEnterprise(ctx, &registryv1.RegisterEnterpriseRequest{CreditCode: code, Name: fmt.Sprintf("生命周期企业 %d", f.next)}); err != nil {
		t.Fatal(err)
	}
	return code
}

// grant grants a little giant to code.
func (f *lifecycleFixture) grant(t *testing.T, ctx context.Context, code, from, until, doc string) *registryv1.Designation {
	t.Helper()
	res, err := f.economy.Designation.GrantDesignation(ctx, &registryv1.GrantDesignationRequest{
		Type: "little-giant", EnterpriseCreditCode: code, ValidFrom: from, ValidUntil: until, DocumentNumber: doc,
	})
	if err != nil {
		t.Fatalf("grant: %v", err)
	}
	return res.Designation
}

func (f *lifecycleFixture) get(t *testing.T, ctx context.Context, id string) *registryv1.Designation {
	t.Helper()
	res, err := f.auditor.Designation.GetDesignation(ctx, &registryv1.GetDesignationRequest{Id: id})
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	return res.Designation
}

// listedAsOf reports whether id is listed for code as of date.
func (f *lifecycleFixture) listedAsOf(t *testing.T, ctx context.Context, code, id, date string) bool {
	t.Helper()
	res, err := f.auditor.Designation.ListDesignations(ctx, &registryv1.ListDesignationsRequest{EnterpriseCreditCode: code, AsOf: date})
	if err != nil {
		t.Fatalf("list as of %s: %v", date, err)
	}
	return slices.ContainsFunc(res.Designations, func(d *registryv1.Designation) bool { return d.Id == id })
}

type lifecycleOp func(ctx context.Context, c *rpctest.Clients, id string) (*registryv1.Designation, error)

func suspendOp(reason string) lifecycleOp {
	return func(ctx context.Context, c *rpctest.Clients, id string) (*registryv1.Designation, error) {
		res, err := c.Designation.SuspendDesignation(ctx, &registryv1.SuspendDesignationRequest{Id: id, Reason: reason})
		return res.GetDesignation(), err
	}
}

func reinstateOp(reason string) lifecycleOp {
	return func(ctx context.Context, c *rpctest.Clients, id string) (*registryv1.Designation, error) {
		res, err := c.Designation.ReinstateDesignation(ctx, &registryv1.ReinstateDesignationRequest{Id: id, Reason: reason})
		return res.GetDesignation(), err
	}
}

func revokeOp(reason string) lifecycleOp {
	return func(ctx context.Context, c *rpctest.Clients, id string) (*registryv1.Designation, error) {
		res, err := c.Designation.RevokeDesignation(ctx, &registryv1.RevokeDesignationRequest{Id: id, Reason: reason})
		return res.GetDesignation(), err
	}
}

func renewOp(until, doc string) lifecycleOp {
	return func(ctx context.Context, c *rpctest.Clients, id string) (*registryv1.Designation, error) {
		res, err := c.Designation.RenewDesignation(ctx, &registryv1.RenewDesignationRequest{Id: id, ValidUntil: until, DocumentNumber: doc})
		return res.GetDesignation(), err
	}
}

// lifecycleStep is one operation and the designation it must leave.
type lifecycleStep struct {
	name        string
	date        string // today while the step runs; empty keeps the clock
	op          lifecycleOp
	code        connect.Code // 0 for success
	status      registryv1.DesignationStatus
	version     int64
	reason      string
	validUntil  string
	documentNum string
}

// runSteps applies steps in order to id; each step is a subtest, and a
// refused step must leave the designation as it was.
func (f *lifecycleFixture) runSteps(t *testing.T, ctx context.Context, id string, steps []lifecycleStep) {
	t.Helper()
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if s.date != "" {
				f.env.Clock.SetDate(s.date)
			}
			before := f.get(t, ctx, id)
			got, err := s.op(ctx, f.economy, id)
			if code := rpctest.Code(err); code != s.code {
				t.Fatalf("code = %v (%v), want %v", code, err, s.code)
			}
			stored := f.get(t, ctx, id)
			if s.code != 0 {
				if stored.Version != before.Version || stored.Status != before.Status || stored.StatusReason != before.StatusReason || stored.ValidUntil != before.ValidUntil {
					t.Errorf("refused step changed the designation: before %+v after %+v", before, stored)
				}
				return
			}
			for _, d := range []*registryv1.Designation{got, stored} {
				if d.Status != s.status || d.Version != s.version {
					t.Errorf("status %v version %d, want %v version %d", d.Status, d.Version, s.status, s.version)
				}
				if s.reason != "" && d.StatusReason != s.reason {
					t.Errorf("status_reason %q, want %q", d.StatusReason, s.reason)
				}
				if s.validUntil != "" && d.ValidUntil != s.validUntil {
					t.Errorf("valid_until %q, want %q", d.ValidUntil, s.validUntil)
				}
				if s.documentNum != "" && d.DocumentNumber != s.documentNum {
					t.Errorf("document_number %q, want %q", d.DocumentNumber, s.documentNum)
				}
			}
		})
	}
}

func TestLifecycle(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		ctx := t.Context()
		f := &lifecycleFixture{env: env, economy: env.As("issuer", "bureau:economy-it"), auditor: env.As("auditor", "auditor")}
		failed := connect.CodeFailedPrecondition

		t.Run("active suspended reinstated revoked", func(t *testing.T) {
			env.Clock.SetDate("2026-06-15")
			code := f.enterprise(t, ctx)
			d := f.grant(t, ctx, code, "2025-01-01", "2027-12-31", "工信部企业函〔2024〕135号")
			if d.Status != statusActive || d.Version != 1 || d.StatusReason != "" {
				t.Fatalf("granted: %+v", d)
			}
			f.runSteps(t, ctx, d.Id, []lifecycleStep{
				{name: "reinstate active", op: reinstateOp("nothing to reinstate"), code: failed},
				{name: "suspend", op: suspendOp("annual inspection pending"), status: statusSuspended, version: 2, reason: "annual inspection pending"},
				{name: "suspend suspended", op: suspendOp("again"), code: failed},
				{name: "renew suspended", op: renewOp("2028-12-31", "工信部企业函〔2026〕1号"), status: statusSuspended, version: 3, validUntil: "2028-12-31", documentNum: "工信部企业函〔2026〕1号"},
				{name: "reinstate", op: reinstateOp("inspection passed"), status: statusActive, version: 4, reason: "inspection passed"},
				{name: "revoke", op: revokeOp("fraudulent application"), status: statusRevoked, version: 5, reason: "fraudulent application"},
				{name: "suspend revoked", op: suspendOp("too late"), code: failed},
				{name: "reinstate revoked", op: reinstateOp("appeal"), code: failed},
				{name: "renew revoked", op: renewOp("2029-12-31", "工信部企业函〔2026〕2号"), code: failed},
				{name: "revoke revoked", op: revokeOp("twice"), code: failed},
			})
		})

		t.Run("suspended revoked", func(t *testing.T) {
			env.Clock.SetDate("2026-06-15")
			code := f.enterprise(t, ctx)
			d := f.grant(t, ctx, code, "2025-01-01", "2027-12-31", "工信部企业函〔2024〕136号")
			f.runSteps(t, ctx, d.Id, []lifecycleStep{
				{name: "suspend", op: suspendOp("under investigation"), status: statusSuspended, version: 2, reason: "under investigation"},
				{name: "revoke", op: revokeOp("investigation confirmed fraud"), status: statusRevoked, version: 3, reason: "investigation confirmed fraud"},
				{name: "reinstate revoked", op: reinstateOp("appeal"), code: failed},
			})
		})

		t.Run("expired is derived", func(t *testing.T) {
			env.Clock.SetDate("2026-06-15")
			code := f.enterprise(t, ctx)
			d := f.grant(t, ctx, code, "2025-01-01", "2026-12-31", "工信部企业函〔2024〕137号")
			statusOn := []struct {
				today string
				want  registryv1.DesignationStatus
			}{
				{"2026-12-30", statusActive},
				{"2026-12-31", statusActive},
				{"2027-01-01", statusExpired},
				{"2030-06-01", statusExpired},
			}
			for _, tc := range statusOn {
				t.Run("today "+tc.today, func(t *testing.T) {
					env.Clock.SetDate(tc.today)
					got := f.get(t, ctx, d.Id)
					if got.Status != tc.want || got.Version != 1 {
						t.Errorf("status %v version %d, want %v version 1", got.Status, got.Version, tc.want)
					}
					for _, filter := range []registryv1.DesignationStatus{statusActive, statusExpired} {
						res, err := f.auditor.Designation.ListDesignations(ctx, &registryv1.ListDesignationsRequest{EnterpriseCreditCode: code, Status: filter})
						if err != nil {
							t.Fatal(err)
						}
						listed := len(res.Designations) == 1 && res.Designations[0].Id == d.Id && res.Designations[0].Status == tc.want
						if listed != (filter == tc.want) {
							t.Errorf("list with status %v: %+v", filter, res.Designations)
						}
					}
				})
			}
			// Midnight in Hangzhou, not UTC, decides the date: 2026-12-31
			// 16:30 UTC is already 2027-01-01 in Asia/Shanghai.
			t.Run("Asia/Shanghai midnight", func(t *testing.T) {
				env.Clock.SetDate("2026-12-31")
				env.Clock.Set(env.Clock.Now().Add(12*time.Hour - time.Minute)) // 23:59 CST
				if got := f.get(t, ctx, d.Id); got.Status != statusActive {
					t.Errorf("at 23:59 on the last day: %v", got.Status)
				}
				env.Clock.Set(env.Clock.Now().Add(2 * time.Minute)) // 00:01 CST, 16:01 UTC
				if got := f.get(t, ctx, d.Id); got.Status != statusExpired {
					t.Errorf("at 00:01 after the last day: %v", got.Status)
				}
			})
			env.Clock.SetDate("2027-03-01")
			f.runSteps(t, ctx, d.Id, []lifecycleStep{
				{name: "suspend expired", op: suspendOp("inspection"), code: failed},
				{name: "renew expired", op: renewOp("2029-12-31", "工信部企业函〔2027〕5号"), status: statusActive, version: 2, validUntil: "2029-12-31", documentNum: "工信部企业函〔2027〕5号"},
				{name: "suspend renewed", op: suspendOp("inspection"), status: statusSuspended, version: 3, reason: "inspection"},
			})
		})

		t.Run("as_of validity boundaries", func(t *testing.T) {
			env.Clock.SetDate("2026-06-15")
			code := f.enterprise(t, ctx)
			d := f.grant(t, ctx, code, "2025-01-01", "2027-12-31", "工信部企业函〔2024〕138号")
			for _, tc := range []struct {
				asOf string
				want bool
			}{
				{"2024-12-31", false},
				{"2025-01-01", true},
				{"2026-06-15", true},
				{"2027-12-31", true},
				{"2028-01-01", false},
			} {
				t.Run(tc.asOf, func(t *testing.T) {
					if got := f.listedAsOf(t, ctx, code, d.Id, tc.asOf); got != tc.want {
						t.Errorf("listed as of %s = %v, want %v", tc.asOf, got, tc.want)
					}
				})
			}
		})

		// Each status change keeps its date: suspended on S, reinstated on
		// R and revoked on V.
		t.Run("as_of status history", func(t *testing.T) {
			code := f.enterprise(t, ctx)
			env.Clock.SetDate("2025-03-01")
			d := f.grant(t, ctx, code, "2025-01-01", "2027-12-31", "工信部企业函〔2024〕139号")
			f.runSteps(t, ctx, d.Id, []lifecycleStep{
				{name: "suspend on S", date: "2025-09-10", op: suspendOp("inspection"), status: statusSuspended, version: 2},
				{name: "reinstate on R", date: "2025-10-20", op: reinstateOp("passed"), status: statusActive, version: 3},
				{name: "revoke on V", date: "2026-02-01", op: revokeOp("fraud"), status: statusRevoked, version: 4},
			})
			env.Clock.SetDate("2026-06-15")
			for _, tc := range []struct {
				name, asOf string
				want       bool
			}{
				{"before grant's validity", "2024-12-31", false},
				{"valid_from", "2025-01-01", true},
				{"S-1", "2025-09-09", true},
				{"S", "2025-09-10", false},
				{"between S and R", "2025-10-01", false},
				{"R-1", "2025-10-19", false},
				{"R", "2025-10-20", true},
				{"V-1", "2026-01-31", true},
				{"V", "2026-02-01", false},
				{"after V", "2026-06-15", false},
				{"valid_until", "2027-12-31", false},
			} {
				t.Run(tc.name+" "+tc.asOf, func(t *testing.T) {
					if got := f.listedAsOf(t, ctx, code, d.Id, tc.asOf); got != tc.want {
						t.Errorf("listed as of %s = %v, want %v", tc.asOf, got, tc.want)
					}
				})
			}
		})

		t.Run("as_of suspended only", func(t *testing.T) {
			code := f.enterprise(t, ctx)
			env.Clock.SetDate("2026-06-15")
			d := f.grant(t, ctx, code, "2025-01-01", "2027-12-31", "工信部企业函〔2024〕140号")
			env.Clock.SetDate("2026-07-01")
			if _, err := suspendOp("inspection")(ctx, f.economy, d.Id); err != nil {
				t.Fatal(err)
			}
			env.Clock.SetDate("2026-08-01")
			for _, tc := range []struct {
				asOf string
				want bool
			}{
				{"2026-06-30", true},
				{"2026-07-01", false},
				{"2026-07-02", false},
				{"2027-12-31", false},
			} {
				t.Run(tc.asOf, func(t *testing.T) {
					if got := f.listedAsOf(t, ctx, code, d.Id, tc.asOf); got != tc.want {
						t.Errorf("listed as of %s = %v, want %v", tc.asOf, got, tc.want)
					}
				})
			}
		})

		t.Run("as_of revoked only", func(t *testing.T) {
			code := f.enterprise(t, ctx)
			env.Clock.SetDate("2026-06-15")
			d := f.grant(t, ctx, code, "2025-01-01", "2027-12-31", "工信部企业函〔2024〕141号")
			env.Clock.SetDate("2026-09-30")
			if _, err := revokeOp("fraud")(ctx, f.economy, d.Id); err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				asOf string
				want bool
			}{
				{"2026-09-29", true},
				{"2026-09-30", false},
				{"2026-10-01", false},
				{"2027-12-31", false},
			} {
				t.Run(tc.asOf, func(t *testing.T) {
					if got := f.listedAsOf(t, ctx, code, d.Id, tc.asOf); got != tc.want {
						t.Errorf("listed as of %s = %v, want %v", tc.asOf, got, tc.want)
					}
				})
			}
		})

		t.Run("pagination", func(t *testing.T) {
			env.Clock.SetDate("2026-06-15")
			code := f.enterprise(t, ctx)
			var want []string
			for i := range 5 {
				want = append(want, f.grant(t, ctx, code, "2025-01-01", "2027-12-31", fmt.Sprintf("工信部企业函〔2025〕%d号", i+1)).Id)
			}
			var got []string
			token := ""
			for page, wantLen := range []int{2, 2, 1} {
				res, err := f.auditor.Designation.ListDesignations(ctx, &registryv1.ListDesignationsRequest{EnterpriseCreditCode: code, PageSize: 2, PageToken: token})
				if err != nil {
					t.Fatalf("page %d: %v", page+1, err)
				}
				if len(res.Designations) != wantLen {
					t.Errorf("page %d has %d designations, want %d", page+1, len(res.Designations), wantLen)
				}
				if last := page == 2; last != (res.NextPageToken == "") {
					t.Errorf("page %d next_page_token %q", page+1, res.NextPageToken)
				}
				for _, d := range res.Designations {
					if slices.Contains(got, d.Id) {
						t.Errorf("page %d repeats %s", page+1, d.Id)
					}
					got = append(got, d.Id)
				}
				if token = res.NextPageToken; token == "" {
					break
				}
			}
			sortedGot, sortedWant := slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
			if !slices.Equal(sortedGot, sortedWant) {
				t.Errorf("pages hold %q, want %q", got, want)
			}
		})
	})
}
