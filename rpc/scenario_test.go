package rpc_test

import (
	"testing"

	"connectrpc.com/connect/v2"

	"github.com/hangzhou-ai/registry/registry/registrytest"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// TestGrantAndReadJourney walks the foundation's user journey: economy-IT
// grants a little giant, the talent office may not, the enterprise reads
// its own and not another's, and the auditor verifies the chain.
func TestGrantAndReadJourney(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		ctx := t.Context()
		economy := env.As("issuer", "bureau:economy-it")
		talentOffice := env.As("issuer", "bureau:talent-office")
		own := registrytest.CreditCode(t, "91330100MA27XK0A1")
		other := "91110000600037341L"
		for _, code := range []string{own, other} {
			if _, err := economy.Enterprise.RegisterEnterprise(ctx, &registryv1.RegisterEnterpriseRequest{CreditCode: code, Name: "企业 " + code, District: "西湖区"}); err != nil {
				t.Fatalf("register %s: %v", code, err)
			}
		}
		grant := &registryv1.GrantDesignationRequest{
			Type: "little-giant", EnterpriseCreditCode: own, ValidFrom: "2025-01-01", ValidUntil: "2027-12-31", DocumentNumber: "工信部企业函〔2024〕135号",
		}
		if _, err := talentOffice.Designation.GrantDesignation(ctx, grant); rpctest.Code(err) != connect.CodePermissionDenied {
			t.Fatalf("talent office granting little-giant: got %v, want permission_denied", err)
		}
		res, err := economy.Designation.GrantDesignation(ctx, grant)
		if err != nil {
			t.Fatal(err)
		}
		d := res.Designation
		if d.Status != registryv1.DesignationStatus_DESIGNATION_STATUS_ACTIVE || d.GrantedByBureau != "economy-it" || d.SeedClause != "(十)" || d.Version != 1 || len(d.Id) != 36 {
			t.Fatalf("granted designation: %+v", d)
		}
		if _, err := economy.Designation.GrantDesignation(ctx, grant); rpctest.Code(err) != connect.CodeAlreadyExists {
			t.Fatalf("second identical grant: got %v, want already_exists", err)
		}

		member := env.As("member", "enterprise:"+own)
		list, err := member.Designation.ListDesignations(ctx, &registryv1.ListDesignationsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Designations) != 1 || list.Designations[0].Id != d.Id {
			t.Fatalf("member's own list: %+v", list.Designations)
		}
		if _, err := member.Designation.ListDesignations(ctx, &registryv1.ListDesignationsRequest{EnterpriseCreditCode: other}); rpctest.Code(err) != connect.CodePermissionDenied {
			t.Fatalf("member listing another enterprise: got %v, want permission_denied", err)
		}
		otherMember := env.As("member", "enterprise:"+other)
		if _, err := otherMember.Designation.GetDesignation(ctx, &registryv1.GetDesignationRequest{Id: d.Id}); rpctest.Code(err) != connect.CodePermissionDenied {
			t.Fatalf("other enterprise reading the designation: got %v, want permission_denied", err)
		}
		otherList, err := otherMember.Designation.ListDesignations(ctx, &registryv1.ListDesignationsRequest{})
		if err != nil || len(otherList.Designations) != 0 {
			t.Fatalf("other enterprise's own list: %v %+v", err, otherList)
		}

		if _, err := economy.Designation.RevokeDesignation(ctx, &registryv1.RevokeDesignationRequest{Id: d.Id, Reason: "fraudulent application"}); err != nil {
			t.Fatal(err)
		}
		auditor := env.As("auditor", "auditor")
		v, err := auditor.Audit.VerifyAuditChain(ctx, &registryv1.VerifyAuditChainRequest{})
		if err != nil {
			t.Fatal(err)
		}
		// The first signing key, tokens (5), enterprises (2), the grant and
		// the revocation.
		if !v.Ok || v.EventsChecked != 10 {
			t.Fatalf("verify: %+v", v)
		}
		events, err := auditor.Audit.ListAuditEvents(ctx, &registryv1.ListAuditEventsRequest{Entity: "designation:" + d.Id})
		if err != nil {
			t.Fatal(err)
		}
		if len(events.Events) != 2 || events.Events[1].Action != "designation.revoke" || events.Events[1].Reason != "fraudulent application" {
			t.Fatalf("designation events: %+v", events.Events)
		}
	})
}
