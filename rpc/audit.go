package rpc

import (
	"context"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/audit"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/gen/registry/v1/registryv1connect"
)

type auditService struct {
	registryv1connect.UnimplementedAuditServiceHandler
	reg *registry.Registry
}

func (s *auditService) ListAuditEvents(ctx context.Context, req *registryv1.ListAuditEventsRequest) (*registryv1.ListAuditEventsResponse, error) {
	f := audit.AuditFilter{Entity: req.Entity, Actor: req.Actor, PageSize: int(req.PageSize), PageToken: req.PageToken}
	if req.Since != nil {
		f.Since = req.Since.AsTime()
	}
	events, next, err := s.reg.ListAuditEvents(ctx, f)
	if err != nil {
		return nil, err
	}
	return &registryv1.ListAuditEventsResponse{Events: mapSlice(events, toAuditEvent), NextPageToken: next}, nil
}

func (s *auditService) VerifyAuditChain(ctx context.Context, _ *registryv1.VerifyAuditChainRequest) (*registryv1.VerifyAuditChainResponse, error) {
	rep, err := s.reg.VerifyAuditChain(ctx)
	if err != nil {
		return nil, err
	}
	return &registryv1.VerifyAuditChainResponse{
		Ok: rep.OK, EventsChecked: rep.EventsChecked, FirstBadSequence: rep.FirstBadSequence, Problem: rep.Problem,
	}, nil
}
