package rpc

import (
	"context"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/gen/registry/v1/registryv1connect"
)

type enterpriseService struct {
	registryv1connect.UnimplementedEnterpriseServiceHandler
	reg *registry.Registry
}

func (s *enterpriseService) RegisterEnterprise(ctx context.Context, req *registryv1.RegisterEnterpriseRequest) (*registryv1.RegisterEnterpriseResponse, error) {
	e, err := s.reg.RegisterEnterprise(ctx, enterprise.NewEnterprise{CreditCode: req.CreditCode, Name: req.Name, District: req.District, RegisteredOn: req.RegisteredOn})
	if err != nil {
		return nil, err
	}
	return &registryv1.RegisterEnterpriseResponse{Enterprise: toEnterprise(e)}, nil
}

func (s *enterpriseService) GetEnterprise(ctx context.Context, req *registryv1.GetEnterpriseRequest) (*registryv1.GetEnterpriseResponse, error) {
	e, err := s.reg.GetEnterprise(ctx, req.CreditCode)
	if err != nil {
		return nil, err
	}
	return &registryv1.GetEnterpriseResponse{Enterprise: toEnterprise(e)}, nil
}

func (s *enterpriseService) ListEnterprises(ctx context.Context, req *registryv1.ListEnterprisesRequest) (*registryv1.ListEnterprisesResponse, error) {
	list, next, err := s.reg.ListEnterprises(ctx, enterprise.EnterpriseFilter{
		Query: req.Query, District: req.District, PageSize: int(req.PageSize), PageToken: req.PageToken,
	})
	if err != nil {
		return nil, err
	}
	return &registryv1.ListEnterprisesResponse{Enterprises: mapSlice(list, toEnterprise), NextPageToken: next}, nil
}
