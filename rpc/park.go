package rpc

import (
	"context"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/park"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/gen/registry/v1/registryv1connect"
)

type parkService struct {
	registryv1connect.UnimplementedParkServiceHandler
	reg *registry.Registry
}

func toPark(p park.Park) *registryv1.Park {
	return &registryv1.Park{
		Code: p.Code, Name: p.Name, District: p.District, DistrictName: p.DistrictName, OperatorOrg: p.OperatorOrg,
		DesignationId: p.DesignationID, CreatedAt: timestamp(p.CreatedAt),
	}
}

func toTenancy(t park.Tenancy) *registryv1.Tenancy {
	return &registryv1.Tenancy{
		Id: t.ID, ParkCode: t.ParkCode, EnterpriseCreditCode: t.EnterpriseCreditCode, EnterpriseName: t.EnterpriseName,
		StartDate: t.StartDate, EndDate: t.EndDate, FloorAreaM2: t.FloorAreaM2, EndReason: t.EndReason,
		Version: t.Version, CreatedAt: timestamp(t.CreatedAt),
	}
}

func toRule(r park.EligibilityRule) *registryv1.EligibilityRule {
	return &registryv1.EligibilityRule{
		ParkCode: r.ParkCode, Benefit: r.Benefit, AnyOfDesignationTypes: r.AnyOfDesignationTypes,
		MinTenancyMonths: int32(r.MinTenancyMonths), MaxEnterpriseAgeYears: int32(r.MaxEnterpriseAgeYears),
		Version: r.Version, UpdatedAt: timestamp(r.UpdatedAt),
	}
}

func toReason(r park.Reason) *registryv1.EligibilityReason {
	return &registryv1.EligibilityReason{Code: r.Code, MessageZh: r.MessageZh, MessageEn: r.MessageEn}
}

func (s *parkService) RegisterPark(ctx context.Context, req *registryv1.RegisterParkRequest) (*registryv1.RegisterParkResponse, error) {
	p, err := s.reg.RegisterPark(ctx, park.NewPark{
		Code: req.Code, Name: req.Name, District: req.District, OperatorOrg: req.OperatorOrg,
		ValidFrom: req.ValidFrom, ValidUntil: req.ValidUntil, DocumentNumber: req.DocumentNumber,
	})
	if err != nil {
		return nil, err
	}
	return &registryv1.RegisterParkResponse{Park: toPark(p)}, nil
}

func (s *parkService) GetPark(ctx context.Context, req *registryv1.GetParkRequest) (*registryv1.GetParkResponse, error) {
	p, err := s.reg.GetPark(ctx, req.Code)
	if err != nil {
		return nil, err
	}
	return &registryv1.GetParkResponse{Park: toPark(p)}, nil
}

func (s *parkService) ListParks(ctx context.Context, _ *registryv1.ListParksRequest) (*registryv1.ListParksResponse, error) {
	parks, err := s.reg.ListParks(ctx)
	if err != nil {
		return nil, err
	}
	return &registryv1.ListParksResponse{Parks: mapSlice(parks, toPark)}, nil
}

func (s *parkService) AdmitTenant(ctx context.Context, req *registryv1.AdmitTenantRequest) (*registryv1.AdmitTenantResponse, error) {
	t, err := s.reg.AdmitTenant(ctx, park.NewTenancy{
		ParkCode: req.ParkCode, EnterpriseCreditCode: req.EnterpriseCreditCode,
		StartDate: req.StartDate, EndDate: req.EndDate, FloorAreaM2: req.FloorAreaM2,
	})
	if err != nil {
		return nil, err
	}
	return &registryv1.AdmitTenantResponse{Tenancy: toTenancy(t)}, nil
}

func (s *parkService) EndTenancy(ctx context.Context, req *registryv1.EndTenancyRequest) (*registryv1.EndTenancyResponse, error) {
	t, err := s.reg.EndTenancy(ctx, park.EndTenancyRequest{TenancyID: req.TenancyId, EndDate: req.EndDate, Reason: req.Reason, ExpectedVersion: req.ExpectedVersion})
	if err != nil {
		return nil, err
	}
	return &registryv1.EndTenancyResponse{Tenancy: toTenancy(t)}, nil
}

func (s *parkService) ListTenants(ctx context.Context, req *registryv1.ListTenantsRequest) (*registryv1.ListTenantsResponse, error) {
	list, next, err := s.reg.ListTenants(ctx, park.TenantFilter{
		ParkCode: req.ParkCode, AsOf: req.AsOf, PageSize: int(req.PageSize), PageToken: req.PageToken,
	})
	if err != nil {
		return nil, err
	}
	return &registryv1.ListTenantsResponse{Tenancies: mapSlice(list, toTenancy), NextPageToken: next}, nil
}

func (s *parkService) SetEligibilityRule(ctx context.Context, req *registryv1.SetEligibilityRuleRequest) (*registryv1.SetEligibilityRuleResponse, error) {
	r, err := s.reg.SetEligibilityRule(ctx, park.EligibilityRule{
		ParkCode: req.ParkCode, Benefit: req.Benefit, AnyOfDesignationTypes: req.AnyOfDesignationTypes,
		MinTenancyMonths: int(req.MinTenancyMonths), MaxEnterpriseAgeYears: int(req.MaxEnterpriseAgeYears),
		ExpectedVersion: req.ExpectedVersion,
	})
	if err != nil {
		return nil, err
	}
	return &registryv1.SetEligibilityRuleResponse{Rule: toRule(r)}, nil
}

func (s *parkService) ListEligibilityRules(ctx context.Context, req *registryv1.ListEligibilityRulesRequest) (*registryv1.ListEligibilityRulesResponse, error) {
	rules, err := s.reg.ListEligibilityRules(ctx, req.ParkCode)
	if err != nil {
		return nil, err
	}
	return &registryv1.ListEligibilityRulesResponse{Rules: mapSlice(rules, toRule)}, nil
}

func (s *parkService) VerifyTenantEligibility(ctx context.Context, req *registryv1.VerifyTenantEligibilityRequest) (*registryv1.VerifyTenantEligibilityResponse, error) {
	a, err := s.reg.VerifyTenantEligibility(ctx, park.EligibilityQuery{
		ParkCode: req.ParkCode, EnterpriseCreditCode: req.EnterpriseCreditCode, Benefit: req.Benefit, AsOf: req.AsOf,
	})
	if err != nil {
		return nil, err
	}
	return &registryv1.VerifyTenantEligibilityResponse{
		Eligible: a.Eligible, Reasons: mapSlice(a.Reasons, toReason), MatchedDesignationTypes: a.MatchedDesignationTypes,
		AsOf: a.AsOf, CheckedAt: timestamp(a.CheckedAt), Attestation: a.Attestation, AuditTreeSize: a.AuditTreeSize,
	}, nil
}
