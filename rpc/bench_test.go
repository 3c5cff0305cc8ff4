package rpc_test

import (
	"fmt"
	"testing"

	"github.com/hangzhou-ai/registry/registry/registrytest"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// BenchmarkVerifyTenantEligibility measures one eligibility answer, signed,
// through the whole stack on each database (PostgreSQL when
// REGISTRY_TEST_DATABASE_URL is set), for profiling with -cpuprofile.
func BenchmarkVerifyTenantEligibility(b *testing.B) {
	for _, db := range storetest.Databases(b) {
		b.Run(db.Name, func(b *testing.B) {
			env := rpctest.New(b, db)
			ctx := b.Context()
			economy := env.As("issuer", "bureau:economy-it")
			operator := env.As("operator", "park:bench")
			if _, err := economy.Park.RegisterPark(ctx, &registryv1.RegisterParkRequest{Code: "bench", Name: "基准园区"}); err != nil {
				b.Fatal(err)
			}
			if _, err := operator.Park.SetEligibilityRule(ctx, &registryv1.SetEligibilityRuleRequest{ParkCode: "bench", Benefit: "rent-reduction", AnyOfDesignationTypes: []string{"little-giant"}}); err != nil {
				b.Fatal(err)
			}
			codes := make([]string, 50)
			for i := range codes {
				codes[i] = registrytest.CreditCode(b, fmt.Sprintf("91330100MA2%06d", i))
				if _, err := economy.Enterprise.RegisterEnterprise(ctx, &registryv1.RegisterEnterpriseRequest{CreditCode: codes[i], Name: "企业"}); err != nil {
					b.Fatal(err)
				}
				if _, err := economy.Designation.GrantDesignation(ctx, &registryv1.GrantDesignationRequest{Type: "little-giant", EnterpriseCreditCode: codes[i], ValidFrom: "2025-01-01", ValidUntil: "2027-12-31", DocumentNumber: "X"}); err != nil {
					b.Fatal(err)
				}
				if _, err := operator.Park.AdmitTenant(ctx, &registryv1.AdmitTenantRequest{ParkCode: "bench", EnterpriseCreditCode: codes[i], StartDate: "2025-01-01"}); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				res, err := operator.Park.VerifyTenantEligibility(ctx, &registryv1.VerifyTenantEligibilityRequest{ParkCode: "bench", EnterpriseCreditCode: codes[i%len(codes)], Benefit: "rent-reduction", AsOf: "2026-06-15"})
				if err != nil || !res.Eligible {
					b.Fatal(err, res)
				}
			}
		})
	}
}
