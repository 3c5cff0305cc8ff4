package rpc

import (
	"context"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/talent"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/gen/registry/v1/registryv1connect"
)

type talentService struct {
	registryv1connect.UnimplementedTalentServiceHandler
	reg *registry.Registry
}

func (s *talentService) RegisterTalent(ctx context.Context, req *registryv1.RegisterTalentRequest) (*registryv1.RegisterTalentResponse, error) {
	t, err := s.reg.RegisterTalent(ctx, talent.NewTalent{
		Name: req.Name, IDNumber: req.IdNumber, PassportNumber: req.PassportNumber,
		Nationality: req.Nationality, EmployerCreditCode: req.EmployerCreditCode,
	})
	if err != nil {
		return nil, err
	}
	return &registryv1.RegisterTalentResponse{Talent: toTalent(t)}, nil
}

func (s *talentService) GetTalent(ctx context.Context, req *registryv1.GetTalentRequest) (*registryv1.GetTalentResponse, error) {
	t, err := s.reg.GetTalent(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	return &registryv1.GetTalentResponse{Talent: toTalent(t)}, nil
}

func (s *talentService) ListTalents(ctx context.Context, req *registryv1.ListTalentsRequest) (*registryv1.ListTalentsResponse, error) {
	list, next, err := s.reg.ListTalents(ctx, talent.TalentFilter{
		EmployerCreditCode: req.EmployerCreditCode, PageSize: int(req.PageSize), PageToken: req.PageToken,
	})
	if err != nil {
		return nil, err
	}
	return &registryv1.ListTalentsResponse{Talents: mapSlice(list, toTalent), NextPageToken: next}, nil
}
