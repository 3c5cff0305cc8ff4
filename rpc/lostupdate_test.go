package rpc_test

import (
	"fmt"
	"sync"
	"testing"

	"connectrpc.com/connect/v2"

	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/rpc"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// TestExpectedVersion checks that a change carrying a stale version is
// refused with aborted and changes nothing, and that the current version
// is accepted, for designations, tenancies and eligibility rules.
func TestExpectedVersion(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		ctx := t.Context()
		economy := env.As("issuer", "bureau:economy-it")
		code := registrytest.CreditCode(t, "91330106MA27XK0A1")
		if _, err := economy.Enterprise.RegisterEnterprise(ctx, &registryv1.RegisterEnterpriseRequest{CreditCode: code, Name: "企业"}); err != nil {
			t.Fatal(err)
		}
		g, err := economy.Designation.GrantDesignation(ctx, &registryv1.GrantDesignationRequest{Type: "little-giant", EnterpriseCreditCode: code, ValidFrom: "2025-01-01", ValidUntil: "2027-12-31", DocumentNumber: "X"})
		if err != nil {
			t.Fatal(err)
		}
		id := g.Designation.Id
		if _, err := economy.Designation.SuspendDesignation(ctx, &registryv1.SuspendDesignationRequest{Id: id, Reason: "r", ExpectedVersion: 2}); rpctest.Code(err) != connect.CodeAborted {
			t.Fatalf("suspend at a version not reached: %v", err)
		}
		s, err := economy.Designation.SuspendDesignation(ctx, &registryv1.SuspendDesignationRequest{Id: id, Reason: "r", ExpectedVersion: 1})
		if err != nil || s.Designation.Version != 2 {
			t.Fatalf("suspend at the current version: %v %+v", err, s)
		}
		for name, call := range map[string]func() error{
			"reinstate": func() error {
				_, err := economy.Designation.ReinstateDesignation(ctx, &registryv1.ReinstateDesignationRequest{Id: id, ExpectedVersion: 1})
				return err
			},
			"renew": func() error {
				_, err := economy.Designation.RenewDesignation(ctx, &registryv1.RenewDesignationRequest{Id: id, ValidUntil: "2030-12-31", DocumentNumber: "Y", ExpectedVersion: 1})
				return err
			},
			"revoke": func() error {
				_, err := economy.Designation.RevokeDesignation(ctx, &registryv1.RevokeDesignationRequest{Id: id, Reason: "r", ExpectedVersion: 1})
				return err
			},
		} {
			if err := call(); rpctest.Code(err) != connect.CodeAborted {
				t.Errorf("%s with a stale version: %v", name, err)
			}
		}
		now, err := economy.Designation.GetDesignation(ctx, &registryv1.GetDesignationRequest{Id: id})
		if err != nil || now.Designation.Version != 2 || now.Designation.Status != registryv1.DesignationStatus_DESIGNATION_STATUS_SUSPENDED {
			t.Fatalf("refused changes changed the designation: %v %+v", err, now)
		}

		if _, err := economy.Park.RegisterPark(ctx, &registryv1.RegisterParkRequest{Code: "west-lake", Name: "西湖园"}); err != nil {
			t.Fatal(err)
		}
		operator := env.As("operator", "park:west-lake")
		ten, err := operator.Park.AdmitTenant(ctx, &registryv1.AdmitTenantRequest{ParkCode: "west-lake", EnterpriseCreditCode: code, StartDate: "2026-01-01"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := operator.Park.EndTenancy(ctx, &registryv1.EndTenancyRequest{TenancyId: ten.Tenancy.Id, EndDate: "2026-12-31", Reason: "moved", ExpectedVersion: 7}); rpctest.Code(err) != connect.CodeAborted {
			t.Fatalf("end tenancy at a stale version: %v", err)
		}
		rule := &registryv1.SetEligibilityRuleRequest{ParkCode: "west-lake", Benefit: "rent-reduction", AnyOfDesignationTypes: []string{"little-giant"}}
		if _, err := operator.Park.SetEligibilityRule(ctx, rule); err != nil {
			t.Fatal(err)
		}
		rule.ExpectedVersion = 5
		if _, err := operator.Park.SetEligibilityRule(ctx, rule); rpctest.Code(err) != connect.CodeAborted {
			t.Fatalf("set rule at a stale version: %v", err)
		}
		rule.ExpectedVersion = 1
		if res, err := operator.Park.SetEligibilityRule(ctx, rule); err != nil || res.Rule.Version != 2 {
			t.Fatalf("set rule at the current version: %v %+v", err, res)
		}
	})
}

// TestConcurrentRevocations revokes each of several designations from two
// clients at once: exactly one revocation of each succeeds, and each is
// audited once.
func TestConcurrentRevocations(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		ctx := t.Context()
		economy := env.As("issuer", "bureau:economy-it")
		const n = 10
		ids := make([]string, n)
		for i := range ids {
			code := registrytest.CreditCode(t, fmt.Sprintf("91330100MA2%06d", i))
			if _, err := economy.Enterprise.RegisterEnterprise(ctx, &registryv1.RegisterEnterpriseRequest{CreditCode: code, Name: "企业"}); err != nil {
				t.Fatal(err)
			}
			g, err := economy.Designation.GrantDesignation(ctx, &registryv1.GrantDesignationRequest{Type: "little-giant", EnterpriseCreditCode: code, ValidFrom: "2025-01-01", ValidUntil: "2027-12-31", DocumentNumber: "X"})
			if err != nil {
				t.Fatal(err)
			}
			ids[i] = g.Designation.Id
		}
		codes := make([][2]connect.Code, n)
		var wg sync.WaitGroup
		for i, id := range ids {
			for j := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := economy.Designation.RevokeDesignation(ctx, &registryv1.RevokeDesignationRequest{Id: id, Reason: fmt.Sprintf("client %d", j), ExpectedVersion: 1})
					codes[i][j] = rpctest.Code(err)
				}()
			}
		}
		wg.Wait()
		for i, c := range codes {
			ok := 0
			for _, code := range c {
				switch code {
				case 0:
					ok++
				case connect.CodeAborted, connect.CodeFailedPrecondition:
				default:
					t.Errorf("designation %d: unexpected code %v", i, code)
				}
			}
			if ok != 1 {
				t.Errorf("designation %d: %d revocations succeeded, want 1 (%v)", i, ok, c)
			}
		}
		auditor := env.As("auditor", "auditor")
		for _, id := range ids {
			events, err := auditor.Audit.ListAuditEvents(ctx, &registryv1.ListAuditEventsRequest{Entity: "designation:" + id})
			if err != nil || len(events.Events) != 2 {
				t.Fatalf("designation %s: %v, %d events, want grant and one revocation", id, err, len(events.GetEvents()))
			}
		}
		if v, err := auditor.Audit.VerifyAuditChain(ctx, &registryv1.VerifyAuditChainRequest{}); err != nil || !v.Ok {
			t.Fatalf("chain: %v %+v", err, v)
		}
	})
}

// TestRateLimit checks that a principal past its burst is refused with
// resource_exhausted while another principal is not.
func TestRateLimit(t *testing.T) {
	env := rpctest.NewWithOptions(t, storetest.SQLite(t), rpc.WithLimits(rpc.Limits{PerSecond: 1, Burst: 3}))
	ctx := t.Context()
	busy, calm := env.As("auditor", "auditor"), env.As("issuer", "bureau:economy-it")
	var codes []connect.Code
	for range 5 {
		_, err := busy.Designation.ListDesignationTypes(ctx, &registryv1.ListDesignationTypesRequest{})
		codes = append(codes, rpctest.Code(err))
	}
	if fmt.Sprint(codes) != fmt.Sprint([]connect.Code{0, 0, 0, connect.CodeResourceExhausted, connect.CodeResourceExhausted}) {
		t.Fatalf("codes %v, want three successes then resource_exhausted", codes)
	}
	if _, err := calm.Designation.ListDesignationTypes(ctx, &registryv1.ListDesignationTypesRequest{}); err != nil {
		t.Fatalf("another principal: %v", err)
	}
}
