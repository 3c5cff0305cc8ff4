package rpc

import (
	"context"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/access"
	"github.com/hangzhou-ai/registry/registry/designation"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/gen/registry/v1/registryv1connect"
)

type accessService struct {
	registryv1connect.UnimplementedAccessServiceHandler
	reg *registry.Registry
}

func toGrantRule(r designation.GrantRule) *registryv1.GrantRule {
	return &registryv1.GrantRule{DesignationType: r.DesignationType, Bureau: r.Bureau, Role: r.Role, Action: r.Action, Rule: r.Rule}
}

func (s *accessService) ListGrantRules(ctx context.Context, req *registryv1.ListGrantRulesRequest) (*registryv1.ListGrantRulesResponse, error) {
	rules, err := s.reg.ListGrantRules(ctx, req.DesignationType, req.Bureau)
	if err != nil {
		return nil, err
	}
	return &registryv1.ListGrantRulesResponse{Rules: mapSlice(rules, toGrantRule)}, nil
}

func (s *accessService) CheckPermission(ctx context.Context, req *registryv1.CheckPermissionRequest) (*registryv1.CheckPermissionResponse, error) {
	a, err := s.reg.CheckPermission(ctx, designation.PermissionQuery{
		Subject: req.Subject, Action: req.Action, DesignationType: req.DesignationType, Resource: req.Resource,
	})
	if err != nil {
		return nil, err
	}
	return &registryv1.CheckPermissionResponse{Allowed: a.Allowed, Rule: a.Rule, Subject: a.Subject}, nil
}

func (s *accessService) CreateToken(ctx context.Context, req *registryv1.CreateTokenRequest) (*registryv1.CreateTokenResponse, error) {
	raw, t, err := s.reg.CreateToken(ctx, access.NewToken{
		Subject: req.Subject, Org: req.Organisation, Role: req.Role, TTLDays: int64(req.TtlDays),
	})
	if err != nil {
		return nil, err
	}
	return &registryv1.CreateTokenResponse{Token: raw, Info: toToken(t)}, nil
}

func (s *accessService) RevokeToken(ctx context.Context, req *registryv1.RevokeTokenRequest) (*registryv1.RevokeTokenResponse, error) {
	t, err := s.reg.RevokeToken(ctx, registry.Principal{}, req.Id)
	if err != nil {
		return nil, err
	}
	return &registryv1.RevokeTokenResponse{Info: toToken(t)}, nil
}

func (s *accessService) ListTokens(ctx context.Context, _ *registryv1.ListTokensRequest) (*registryv1.ListTokensResponse, error) {
	tokens, err := s.reg.ListTokens(ctx)
	if err != nil {
		return nil, err
	}
	return &registryv1.ListTokensResponse{Tokens: mapSlice(tokens, toToken)}, nil
}
