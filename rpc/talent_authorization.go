package rpc

import (
	"context"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/talentauth"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/gen/registry/v1/registryv1connect"
)

type talentAuthorizationService struct {
	registryv1connect.UnimplementedTalentAuthorizationServiceHandler
	reg *registry.Registry
}

func toLevelQuota(q talentauth.LevelQuota) *registryv1.LevelQuota {
	return &registryv1.LevelQuota{Level: q.Level, Places: int32(q.Places), Used: int32(q.Used), Remaining: int32(q.Remaining())}
}

func fromLevelQuota(q *registryv1.LevelQuota) talentauth.LevelQuota {
	return talentauth.LevelQuota{Level: q.Level, Places: int(q.Places)}
}

func toTalentAuthorization(a talentauth.TalentAuthorization) *registryv1.TalentAuthorization {
	return &registryv1.TalentAuthorization{
		Id: a.ID, EnterpriseCreditCode: a.EnterpriseCreditCode, Year: int32(a.Year), Quotas: mapSlice(a.Quotas, toLevelQuota),
		ValidFrom: a.ValidFrom, ValidUntil: a.ValidUntil, DocumentNumber: a.DocumentNumber, Status: statusToProto[a.Status],
		StatusReason: a.StatusReason, Version: a.Version, CreatedAt: timestamp(a.CreatedAt),
	}
}

func (s *talentAuthorizationService) IssueTalentAuthorization(ctx context.Context, req *registryv1.IssueTalentAuthorizationRequest) (*registryv1.IssueTalentAuthorizationResponse, error) {
	a, err := s.reg.IssueTalentAuthorization(ctx, talentauth.NewTalentAuthorization{
		EnterpriseCreditCode: req.EnterpriseCreditCode, Year: int(req.Year), Quotas: mapSlice(req.Quotas, fromLevelQuota),
		ValidFrom: req.ValidFrom, ValidUntil: req.ValidUntil, DocumentNumber: req.DocumentNumber,
	})
	if err != nil {
		return nil, err
	}
	return &registryv1.IssueTalentAuthorizationResponse{Authorization: toTalentAuthorization(a)}, nil
}

func (s *talentAuthorizationService) GetTalentAuthorization(ctx context.Context, req *registryv1.GetTalentAuthorizationRequest) (*registryv1.GetTalentAuthorizationResponse, error) {
	a, err := s.reg.GetTalentAuthorization(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	return &registryv1.GetTalentAuthorizationResponse{Authorization: toTalentAuthorization(a)}, nil
}

func (s *talentAuthorizationService) ListTalentAuthorizations(ctx context.Context, req *registryv1.ListTalentAuthorizationsRequest) (*registryv1.ListTalentAuthorizationsResponse, error) {
	list, err := s.reg.ListTalentAuthorizations(ctx, talentauth.TalentAuthorizationFilter{
		EnterpriseCreditCode: req.EnterpriseCreditCode, Year: int(req.Year), Status: fromStatus(req.Status),
	})
	if err != nil {
		return nil, err
	}
	return &registryv1.ListTalentAuthorizationsResponse{Authorizations: mapSlice(list, toTalentAuthorization)}, nil
}

func (s *talentAuthorizationService) RevokeTalentAuthorization(ctx context.Context, req *registryv1.RevokeTalentAuthorizationRequest) (*registryv1.RevokeTalentAuthorizationResponse, error) {
	a, err := s.reg.RevokeTalentAuthorization(ctx, designation.StatusUpdate{ID: req.Id, Reason: req.Reason, ExpectedVersion: req.ExpectedVersion})
	if err != nil {
		return nil, err
	}
	return &registryv1.RevokeTalentAuthorizationResponse{Authorization: toTalentAuthorization(a)}, nil
}

func (s *talentAuthorizationService) RecognizeTalent(ctx context.Context, req *registryv1.RecognizeTalentRequest) (*registryv1.RecognizeTalentResponse, error) {
	d, err := s.reg.RecognizeTalent(ctx, talentauth.Recognition{
		AuthorizationID: req.AuthorizationId, TalentID: req.TalentId, Level: req.Level,
		ValidFrom: req.ValidFrom, ValidUntil: req.ValidUntil, DocumentNumber: req.DocumentNumber,
	})
	if err != nil {
		return nil, err
	}
	return &registryv1.RecognizeTalentResponse{Designation: toDesignation(d)}, nil
}

func (s *talentAuthorizationService) WithdrawRecognition(ctx context.Context, req *registryv1.WithdrawRecognitionRequest) (*registryv1.WithdrawRecognitionResponse, error) {
	d, err := s.reg.WithdrawRecognition(ctx, designation.StatusUpdate{ID: req.DesignationId, Reason: req.Reason, ExpectedVersion: req.ExpectedVersion})
	if err != nil {
		return nil, err
	}
	return &registryv1.WithdrawRecognitionResponse{Designation: toDesignation(d)}, nil
}
