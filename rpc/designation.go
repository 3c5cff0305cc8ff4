package rpc

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/catalog"
	"github.com/hangzhou-ai/registry/registry/designation"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/gen/registry/v1/registryv1connect"
)

// knownAtOf reads a request's known_at (see timestampOf): none is the
// zero time, as now. One before designation.EarliestKnownAt, which
// includes 0001-01-01T00:00:00Z (the zero time, that would otherwise read
// as none), is an invalid argument naming known_at.
func knownAtOf(ts *timestamppb.Timestamp) (time.Time, error) {
	t, err := timestampOf("known_at", ts)
	if err == nil && ts != nil && t.Before(designation.EarliestKnownAt) {
		err = invalidField("known_at", "must be an instant from "+designation.EarliestKnownAt.Format(time.RFC3339)+" on")
	}
	return t, err
}

type designationService struct {
	registryv1connect.UnimplementedDesignationServiceHandler
	reg *registry.Registry
}

func toDesignationType(t catalog.DesignationType) *registryv1.DesignationType {
	return &registryv1.DesignationType{
		Code: t.Code, NameZh: t.NameZh, NameEn: t.NameEn, SubjectKind: t.SubjectKind,
		GrantingBureaus: t.GrantingBureaus, SeedClause: t.SeedClause, HasLevels: t.HasLevels,
	}
}

func (s *designationService) ListDesignationTypes(ctx context.Context, _ *registryv1.ListDesignationTypesRequest) (*registryv1.ListDesignationTypesResponse, error) {
	types, err := s.reg.ListDesignationTypes(ctx)
	if err != nil {
		return nil, err
	}
	return &registryv1.ListDesignationTypesResponse{Types: mapSlice(types, toDesignationType)}, nil
}

func (s *designationService) GrantDesignation(ctx context.Context, req *registryv1.GrantDesignationRequest) (*registryv1.GrantDesignationResponse, error) {
	d, err := s.reg.GrantDesignation(ctx, designation.Grant{
		Type: req.Type, EnterpriseCreditCode: req.EnterpriseCreditCode, TalentID: req.TalentId, Level: req.Level,
		ValidFrom: req.ValidFrom, ValidUntil: req.ValidUntil, DocumentNumber: req.DocumentNumber, Note: req.Note,
	})
	if err != nil {
		return nil, err
	}
	return &registryv1.GrantDesignationResponse{Designation: toDesignation(d)}, nil
}

func (s *designationService) GetDesignation(ctx context.Context, req *registryv1.GetDesignationRequest) (*registryv1.GetDesignationResponse, error) {
	known, err := knownAtOf(req.KnownAt)
	if err != nil {
		return nil, err
	}
	d, err := s.reg.GetDesignationAt(ctx, req.Id, designation.At{AsOf: req.AsOf, KnownAt: known})
	if err != nil {
		return nil, err
	}
	return &registryv1.GetDesignationResponse{Designation: toDesignation(d)}, nil
}

func (s *designationService) ListDesignations(ctx context.Context, req *registryv1.ListDesignationsRequest) (*registryv1.ListDesignationsResponse, error) {
	known, err := knownAtOf(req.KnownAt)
	if err != nil {
		return nil, err
	}
	list, next, err := s.reg.ListDesignations(ctx, designation.DesignationFilter{
		EnterpriseCreditCode: req.EnterpriseCreditCode, TalentID: req.TalentId, Type: req.Type,
		Status: fromStatus(req.Status), AsOf: req.AsOf, KnownAt: known, PageSize: int(req.PageSize), PageToken: req.PageToken,
	})
	if err != nil {
		return nil, err
	}
	return &registryv1.ListDesignationsResponse{Designations: mapSlice(list, toDesignation), NextPageToken: next}, nil
}

func (s *designationService) SuspendDesignation(ctx context.Context, req *registryv1.SuspendDesignationRequest) (*registryv1.SuspendDesignationResponse, error) {
	d, err := s.reg.SuspendDesignation(ctx, designation.StatusUpdate{ID: req.Id, Reason: req.Reason, ExpectedVersion: req.ExpectedVersion})
	if err != nil {
		return nil, err
	}
	return &registryv1.SuspendDesignationResponse{Designation: toDesignation(d)}, nil
}

func (s *designationService) ReinstateDesignation(ctx context.Context, req *registryv1.ReinstateDesignationRequest) (*registryv1.ReinstateDesignationResponse, error) {
	d, err := s.reg.ReinstateDesignation(ctx, designation.StatusUpdate{ID: req.Id, Reason: req.Reason, ExpectedVersion: req.ExpectedVersion})
	if err != nil {
		return nil, err
	}
	return &registryv1.ReinstateDesignationResponse{Designation: toDesignation(d)}, nil
}

func (s *designationService) RevokeDesignation(ctx context.Context, req *registryv1.RevokeDesignationRequest) (*registryv1.RevokeDesignationResponse, error) {
	d, err := s.reg.RevokeDesignation(ctx, designation.StatusUpdate{ID: req.Id, Reason: req.Reason, ExpectedVersion: req.ExpectedVersion})
	if err != nil {
		return nil, err
	}
	return &registryv1.RevokeDesignationResponse{Designation: toDesignation(d)}, nil
}

func (s *designationService) RenewDesignation(ctx context.Context, req *registryv1.RenewDesignationRequest) (*registryv1.RenewDesignationResponse, error) {
	d, err := s.reg.RenewDesignation(ctx, designation.Renewal{ID: req.Id, ValidUntil: req.ValidUntil, DocumentNumber: req.DocumentNumber, ExpectedVersion: req.ExpectedVersion})
	if err != nil {
		return nil, err
	}
	return &registryv1.RenewDesignationResponse{Designation: toDesignation(d)}, nil
}
