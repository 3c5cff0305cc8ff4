package rpc_test

import (
	"context"
	"maps"
	"testing"
	"time"

	"connectrpc.com/connect/v2"
	"google.golang.org/protobuf/types/known/timestamppb"

	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// TestKnownAt drives GetDesignation and ListDesignations with known_at and
// as_of through the API: a designation granted on the 2nd and revoked on
// the 5th, one renewed on the 5th and one suspended on the 4th answer as
// the registry had recorded them at the instant asked about.
func TestKnownAt(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		ctx := context.Background()
		economy := env.As("issuer", "bureau:economy-it")
		auditor := env.As("auditor", "auditor")
		code := testCreditCode(t, 7301)
		other := testCreditCode(t, 7302)
		for _, c := range []string{code, other} {
			if _, err := economy.Enterprise.RegisterEnterprise(ctx, &registryv1.RegisterEnterpriseRequest{CreditCode: c, Name: "时点企业" + c[14:]}); err != nil {
				t.Fatal(err)
			}
		}
		holder := env.As("member", "enterprise:"+code)
		stranger := env.As("member", "enterprise:"+other)
		day := func(n int) *timestamppb.Timestamp {
			return timestamppb.New(time.Date(2026, 7, n, 12, 0, 0, 0, time.FixedZone("CST", 8*3600)))
		}
		setDay := func(n int) { env.Clock.Set(day(n).AsTime()) }
		grant := func(typ, until, doc string) string {
			res, err := economy.Designation.GrantDesignation(ctx, &registryv1.GrantDesignationRequest{
				Type: typ, EnterpriseCreditCode: code, ValidFrom: "2026-07-01", ValidUntil: until, DocumentNumber: doc,
			})
			if err != nil {
				t.Fatal(err)
			}
			return res.Designation.Id
		}

		setDay(2)
		revoked := grant("little-giant", "2026-12-31", "工信部企业函〔2026〕K1号")
		renewed := grant("hidden-champion", "2026-07-31", "浙经信〔2026〕K2号")
		suspended := grant("single-champion", "2026-12-31", "工信部企业函〔2026〕K3号")
		setDay(4)
		if _, err := economy.Designation.SuspendDesignation(ctx, &registryv1.SuspendDesignationRequest{Id: suspended, Reason: "inspection"}); err != nil {
			t.Fatal(err)
		}
		setDay(5)
		if _, err := economy.Designation.RevokeDesignation(ctx, &registryv1.RevokeDesignationRequest{Id: revoked, Reason: "fraud"}); err != nil {
			t.Fatal(err)
		}
		if _, err := economy.Designation.RenewDesignation(ctx, &registryv1.RenewDesignationRequest{Id: renewed, ValidUntil: "2028-12-31", DocumentNumber: "浙经信〔2026〕K2号续"}); err != nil {
			t.Fatal(err)
		}
		setDay(8)

		getTests := []struct {
			name       string
			client     *rpctest.Clients
			req        *registryv1.GetDesignationRequest
			code       connect.Code
			status     registryv1.DesignationStatus
			validUntil string
			field      string // named by an invalid_argument
		}{
			{"known on the 1st: not granted yet", auditor, &registryv1.GetDesignationRequest{Id: revoked, KnownAt: day(1)}, connect.CodeNotFound, 0, "", ""},
			{"known on the 3rd: active", auditor, &registryv1.GetDesignationRequest{Id: revoked, KnownAt: day(3)}, 0, statusActive, "2026-12-31", ""},
			{"known on the 6th: revoked", auditor, &registryv1.GetDesignationRequest{Id: revoked, KnownAt: day(6)}, 0, statusRevoked, "2026-12-31", ""},
			{"now: revoked", auditor, &registryv1.GetDesignationRequest{Id: revoked}, 0, statusRevoked, "2026-12-31", ""},
			{"as of the 3rd: active then", auditor, &registryv1.GetDesignationRequest{Id: revoked, AsOf: "2026-07-03"}, 0, statusActive, "2026-12-31", ""},
			{"known on the 3rd, as of 2027: expired", auditor, &registryv1.GetDesignationRequest{Id: revoked, KnownAt: day(3), AsOf: "2027-01-01"}, 0, statusExpired, "2026-12-31", ""},
			{"renewal after known_at is not seen", auditor, &registryv1.GetDesignationRequest{Id: renewed, KnownAt: day(3)}, 0, statusActive, "2026-07-31", ""},
			{"renewal before known_at is seen", auditor, &registryv1.GetDesignationRequest{Id: renewed, KnownAt: day(6)}, 0, statusActive, "2028-12-31", ""},
			{"known before the renewal, as of after the old validity", auditor, &registryv1.GetDesignationRequest{Id: renewed, KnownAt: day(3), AsOf: "2026-08-01"}, 0, statusExpired, "2026-07-31", ""},
			{"suspension recorded later, effective before as_of", auditor, &registryv1.GetDesignationRequest{Id: suspended, KnownAt: day(3), AsOf: "2026-07-06"}, 0, statusActive, "2026-12-31", ""},
			{"suspension recorded before known_at", auditor, &registryv1.GetDesignationRequest{Id: suspended, KnownAt: day(6), AsOf: "2026-07-06"}, 0, statusSuspended, "2026-12-31", ""},
			{"holder, known before the grant", holder, &registryv1.GetDesignationRequest{Id: revoked, KnownAt: day(1)}, connect.CodeNotFound, 0, "", ""},
			{"another enterprise, known before the grant", stranger, &registryv1.GetDesignationRequest{Id: revoked, KnownAt: day(1)}, connect.CodePermissionDenied, 0, "", ""},
			{"another enterprise, known after the grant", stranger, &registryv1.GetDesignationRequest{Id: revoked, KnownAt: day(3)}, connect.CodePermissionDenied, 0, "", ""},
			{"invalid as_of", auditor, &registryv1.GetDesignationRequest{Id: revoked, AsOf: "2026-7-3"}, connect.CodeInvalidArgument, 0, "", "as_of"},
		}
		for _, tc := range getTests {
			t.Run("get/"+tc.name, func(t *testing.T) {
				res, err := tc.client.Designation.GetDesignation(ctx, tc.req)
				if rpctest.Code(err) != tc.code {
					t.Fatalf("GetDesignation = %v, want code %v", err, tc.code)
				}
				if tc.field != "" {
					if _, ok := fieldViolation(t, err, tc.field); !ok {
						t.Fatalf("GetDesignation = %v, want a violation of %s", err, tc.field)
					}
				}
				if err != nil {
					return
				}
				if d := res.GetDesignation(); d.GetStatus() != tc.status || d.GetValidUntil() != tc.validUntil {
					t.Errorf("GetDesignation = %s until %s, want %s until %s", d.GetStatus(), d.GetValidUntil(), tc.status, tc.validUntil)
				}
			})
		}

		listTests := []struct {
			name   string
			client *rpctest.Clients
			req    *registryv1.ListDesignationsRequest
			code   connect.Code
			want   map[string]registryv1.DesignationStatus
		}{
			{"known on the 1st: absent", auditor, &registryv1.ListDesignationsRequest{KnownAt: day(1)}, 0, map[string]registryv1.DesignationStatus{}},
			{"known on the 3rd: all active", auditor, &registryv1.ListDesignationsRequest{KnownAt: day(3)}, 0,
				map[string]registryv1.DesignationStatus{revoked: statusActive, renewed: statusActive, suspended: statusActive}},
			{"known on the 6th: as changed", auditor, &registryv1.ListDesignationsRequest{KnownAt: day(6)}, 0,
				map[string]registryv1.DesignationStatus{revoked: statusRevoked, renewed: statusActive, suspended: statusSuspended}},
			{"known on the 6th, revoked only", auditor, &registryv1.ListDesignationsRequest{KnownAt: day(6), Status: statusRevoked}, 0,
				map[string]registryv1.DesignationStatus{revoked: statusRevoked}},
			{"known on the 3rd, valid on the 6th", auditor, &registryv1.ListDesignationsRequest{KnownAt: day(3), AsOf: "2026-07-06"}, 0,
				map[string]registryv1.DesignationStatus{revoked: statusActive, renewed: statusActive, suspended: statusActive}},
			{"known on the 3rd, valid on Aug 1st: the renewal is not seen", auditor, &registryv1.ListDesignationsRequest{KnownAt: day(3), AsOf: "2026-08-01"}, 0,
				map[string]registryv1.DesignationStatus{revoked: statusActive, suspended: statusActive}},
			{"known on the 6th, valid on Aug 1st", auditor, &registryv1.ListDesignationsRequest{KnownAt: day(6), AsOf: "2026-08-01"}, 0,
				map[string]registryv1.DesignationStatus{renewed: statusActive}},
			{"holder lists its own", holder, &registryv1.ListDesignationsRequest{KnownAt: day(3)}, 0,
				map[string]registryv1.DesignationStatus{revoked: statusActive, renewed: statusActive, suspended: statusActive}},
			{"another enterprise sees none of them", stranger, &registryv1.ListDesignationsRequest{KnownAt: day(3)}, 0, map[string]registryv1.DesignationStatus{}},
			{"another enterprise names the holder", stranger, &registryv1.ListDesignationsRequest{KnownAt: day(3), EnterpriseCreditCode: code}, connect.CodePermissionDenied, nil},
			{"invalid as_of", auditor, &registryv1.ListDesignationsRequest{KnownAt: day(3), AsOf: "soon"}, connect.CodeInvalidArgument, nil},
		}
		for _, tc := range listTests {
			t.Run("list/"+tc.name, func(t *testing.T) {
				res, err := tc.client.Designation.ListDesignations(ctx, tc.req)
				if rpctest.Code(err) != tc.code {
					t.Fatalf("ListDesignations = %v, want code %v", err, tc.code)
				}
				if err != nil {
					return
				}
				got := map[string]registryv1.DesignationStatus{}
				for _, d := range res.GetDesignations() {
					got[d.GetId()] = d.GetStatus()
				}
				if !maps.Equal(got, tc.want) {
					t.Errorf("listed %v, want %v", got, tc.want)
				}
			})
		}
	})
}
