package rpc

import (
	"context"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/benefit"
	"github.com/hangzhou-ai/registry/registry/catalog"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/gen/registry/v1/registryv1connect"
)

type benefitService struct {
	registryv1connect.UnimplementedBenefitServiceHandler
	reg *registry.Registry
}

var applicationStatusToProto = map[string]registryv1.ApplicationStatus{
	benefit.StatusPending:  registryv1.ApplicationStatus_APPLICATION_STATUS_PENDING,
	benefit.StatusApproved: registryv1.ApplicationStatus_APPLICATION_STATUS_APPROVED,
	benefit.StatusRejected: registryv1.ApplicationStatus_APPLICATION_STATUS_REJECTED,
}

// fromApplicationStatus maps a filter status; unspecified filters
// nothing, and a number the contract does not name passes through as
// text so the registry refuses it by name, as designation statuses do.
func fromApplicationStatus(s registryv1.ApplicationStatus) string {
	for k, v := range applicationStatusToProto {
		if v == s {
			return k
		}
	}
	if s == registryv1.ApplicationStatus_APPLICATION_STATUS_UNSPECIFIED {
		return ""
	}
	return s.String()
}

func toBasisKind(k catalog.BasisKind) *registryv1.BasisKind {
	return &registryv1.BasisKind{Code: k.Code, NameZh: k.NameZh, NameEn: k.NameEn, RateBp: k.RateBP, RequiredDesignationType: k.RequiredDesignation}
}

// toMeasure describes a measure; without a yearly budget its
// budget_left_fen is 0, as its yearly_budget_fen is (no such limit).
func toMeasure(m benefit.MeasureView) *registryv1.Measure {
	return &registryv1.Measure{
		Code: m.Code, NameZh: m.NameZh, NameEn: m.NameEn, Clause: m.Clause, Bureau: m.Bureau, CoBureaus: m.CoBureaus,
		BasisKinds: mapSlice(m.Kinds, toBasisKind), PerAwardCapFen: m.PerAwardCapFen, MinAwardFen: m.MinAwardFen,
		EnterpriseYearCapFen: m.EnterpriseYearCapFen, YearlyBudgetFen: m.YearlyBudgetFen, BudgetLeftFen: max(0, m.BudgetLeftFen),
		MaxAwardsPerYear: int32(m.MaxAwardsPerYear), MaxAwardsPerEnterpriseYear: int32(m.MaxAwardsPerEnterpriseYear),
		MaxAwardsPerEnterprise: int32(m.MaxAwardsPerEnterprise), MaxYearsPerEnterprise: int32(m.MaxYearsPerEnterprise),
		MinProjectTotalFen: m.MinProjectTotalFen, PrincipalCapBp: m.PrincipalCapBP,
		WindowFrom: catalog.MeasureWindowFrom, WindowUntil: catalog.MeasureWindowUntil, Year: int32(m.Year),
		RuleZh: m.RuleZh, RuleEn: m.RuleEn,
	}
}

func toStep(s benefit.Step) *registryv1.Step {
	return &registryv1.Step{Code: s.Code, LimitFen: s.LimitFen, BeforeFen: s.Before, AfterFen: s.After, TextZh: s.TextZh, TextEn: s.TextEn}
}

func toApplication(a benefit.Application) *registryv1.Application {
	return &registryv1.Application{
		Id: a.ID, MeasureCode: a.MeasureCode, EnterpriseCreditCode: a.EnterpriseCreditCode, EnterpriseName: a.EnterpriseName,
		Year: int32(a.Year), BasisReference: a.BasisReference, BasisKind: a.BasisKind, BasisAmountFen: a.BasisAmountFen,
		BasisDate: a.BasisDate, ProjectTotalFen: a.ProjectTotalFen, LoanPrincipalFen: a.LoanPrincipalFen, Evidence: a.Evidence,
		Status: applicationStatusToProto[a.Status], Reason: a.Reason, AwardedFen: a.AwardedFen, Breakdown: mapSlice(a.Breakdown, toStep),
		AwardId: a.AwardID, AppliedAt: timestamp(a.AppliedAt), DecidedAt: optionalTimestamp(a.DecidedAt),
		BreakdownIsPreview: a.BreakdownIsPreview,
	}
}

func toDisbursement(d benefit.Disbursement) *registryv1.Disbursement {
	return &registryv1.Disbursement{
		Id: d.ID, AwardId: d.AwardID, AmountFen: d.AmountFen, PaidOn: d.PaidOn, Payer: d.Payer, PayerName: d.PayerName,
		RecordedAt: timestamp(d.RecordedAt),
	}
}

func toRecovery(x benefit.Recovery) *registryv1.Recovery {
	return &registryv1.Recovery{Id: x.ID, AwardId: x.AwardID, AmountFen: x.AmountFen, Reason: x.Reason, OrderedOn: x.OrderedOn, SettledOn: x.SettledOn}
}

func toSupportAward(a benefit.Award) *registryv1.SupportAward {
	return &registryv1.SupportAward{
		Id: a.ID, ApplicationId: a.ApplicationID, MeasureCode: a.MeasureCode, EnterpriseCreditCode: a.EnterpriseCreditCode,
		EnterpriseName: a.EnterpriseName, Year: int32(a.Year), BasisReference: a.BasisReference, BasisKind: a.BasisKind,
		AwardedFen: a.AwardedFen, DisbursedFen: a.DisbursedFen, RecoveredFen: a.RecoveredFen, OutstandingFen: a.OutstandingFen,
		PayableFen: a.PayableFen, AwardedOn: a.AwardedOn, ReliedOnDesignationId: a.ReliedOnDesignationID,
		ReliedOnStatusNow: a.ReliedOnStatusNow, Disbursements: mapSlice(a.Disbursements, toDisbursement),
		Recoveries: mapSlice(a.Recoveries, toRecovery),
	}
}

func toMeasureTotals(t benefit.MeasureTotals) *registryv1.MeasureTotals {
	return &registryv1.MeasureTotals{
		MeasureCode: t.MeasureCode, AwardedFen: t.AwardedFen, DisbursedFen: t.DisbursedFen, RecoveredFen: t.RecoveredFen,
		OutstandingFen: t.OutstandingFen, HeadroomFen: t.HeadroomFen, EnterpriseYearCapFen: t.EnterpriseYearCapFen,
	}
}

func toPublishedAward(a benefit.PublishedAward) *registryv1.PublishedAward {
	return &registryv1.PublishedAward{
		AwardId: a.AwardID, EnterpriseName: a.EnterpriseName, EnterpriseCreditCode: a.EnterpriseCreditCode,
		MeasureCode: a.Measure.Code, MeasureNameZh: a.Measure.NameZh, MeasureNameEn: a.Measure.NameEn,
		AwardedFen: a.AwardedFen, AwardedOn: a.AwardedOn, Year: int32(a.Year), RecoveredFen: a.RecoveredFen,
	}
}

func (s *benefitService) ListMeasures(ctx context.Context, _ *registryv1.ListMeasuresRequest) (*registryv1.ListMeasuresResponse, error) {
	measures, err := s.reg.ListMeasures(ctx)
	if err != nil {
		return nil, err
	}
	return &registryv1.ListMeasuresResponse{Measures: mapSlice(measures, toMeasure)}, nil
}

func (s *benefitService) ApplyForSupport(ctx context.Context, req *registryv1.ApplyForSupportRequest) (*registryv1.ApplyForSupportResponse, error) {
	a, err := s.reg.ApplyForSupport(ctx, benefit.NewApplication{
		MeasureCode: req.MeasureCode, EnterpriseCreditCode: req.EnterpriseCreditCode, Year: int(req.Year),
		BasisReference: req.BasisReference, BasisKind: req.BasisKind, BasisAmountFen: req.BasisAmountFen, BasisDate: req.BasisDate,
		ProjectTotalFen: req.ProjectTotalFen, LoanPrincipalFen: req.LoanPrincipalFen, Evidence: req.Evidence,
	})
	if err != nil {
		return nil, err
	}
	return &registryv1.ApplyForSupportResponse{Application: toApplication(a)}, nil
}

func (s *benefitService) GetApplication(ctx context.Context, req *registryv1.GetApplicationRequest) (*registryv1.GetApplicationResponse, error) {
	a, err := s.reg.GetApplication(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	return &registryv1.GetApplicationResponse{Application: toApplication(a)}, nil
}

func (s *benefitService) ListApplications(ctx context.Context, req *registryv1.ListApplicationsRequest) (*registryv1.ListApplicationsResponse, error) {
	list, next, err := s.reg.ListApplications(ctx, benefit.ApplicationFilter{
		MeasureCode: req.MeasureCode, Status: fromApplicationStatus(req.Status), EnterpriseCreditCode: req.EnterpriseCreditCode,
		PageSize: int(req.PageSize), PageToken: req.PageToken,
	})
	if err != nil {
		return nil, err
	}
	return &registryv1.ListApplicationsResponse{Applications: mapSlice(list, toApplication), NextPageToken: next}, nil
}

func (s *benefitService) DecideApplication(ctx context.Context, req *registryv1.DecideApplicationRequest) (*registryv1.DecideApplicationResponse, error) {
	a, award, err := s.reg.DecideApplication(ctx, benefit.Decision{ID: req.Id, Approve: req.Approve, Reason: req.Reason})
	if err != nil {
		return nil, err
	}
	res := &registryv1.DecideApplicationResponse{Application: toApplication(a)}
	if award.ID != "" {
		res.Award = toSupportAward(award)
	}
	return res, nil
}

func (s *benefitService) RecordDisbursement(ctx context.Context, req *registryv1.RecordDisbursementRequest) (*registryv1.RecordDisbursementResponse, error) {
	d, award, err := s.reg.RecordDisbursement(ctx, benefit.NewDisbursement{
		AwardID: req.AwardId, AmountFen: req.AmountFen, PaidOn: req.PaidOn, Payer: req.Payer,
	})
	if err != nil {
		return nil, err
	}
	return &registryv1.RecordDisbursementResponse{Disbursement: toDisbursement(d), Award: toSupportAward(award)}, nil
}

func (s *benefitService) RecoverAward(ctx context.Context, req *registryv1.RecoverAwardRequest) (*registryv1.RecoverAwardResponse, error) {
	x, award, err := s.reg.RecoverAward(ctx, benefit.NewRecovery{AwardID: req.AwardId, AmountFen: req.AmountFen, Reason: req.Reason})
	if err != nil {
		return nil, err
	}
	return &registryv1.RecoverAwardResponse{Recovery: toRecovery(x), Award: toSupportAward(award)}, nil
}

func (s *benefitService) SettleRecovery(ctx context.Context, req *registryv1.SettleRecoveryRequest) (*registryv1.SettleRecoveryResponse, error) {
	x, err := s.reg.SettleRecovery(ctx, req.RecoveryId, req.SettledOn)
	if err != nil {
		return nil, err
	}
	return &registryv1.SettleRecoveryResponse{Recovery: toRecovery(x)}, nil
}

func (s *benefitService) SetEnterpriseCap(ctx context.Context, req *registryv1.SetEnterpriseCapRequest) (*registryv1.SetEnterpriseCapResponse, error) {
	c, err := s.reg.SetEnterpriseCap(ctx, benefit.NewEnterpriseCap{
		MeasureCode: req.MeasureCode, EnterpriseCreditCode: req.EnterpriseCreditCode, Year: int(req.Year), CapFen: req.CapFen, Reason: req.Reason,
	})
	if err != nil {
		return nil, err
	}
	return &registryv1.SetEnterpriseCapResponse{Cap: &registryv1.EnterpriseCap{
		MeasureCode: c.MeasureCode, EnterpriseCreditCode: c.EnterpriseCreditCode, Year: int32(c.Year),
		CapFen: c.CapFen, DefaultCapFen: c.DefaultCapFen, UsedFen: c.UsedFen,
	}}, nil
}

func (s *benefitService) ListAwards(ctx context.Context, req *registryv1.ListSupportAwardsRequest) (*registryv1.ListSupportAwardsResponse, error) {
	list, next, err := s.reg.ListSupportAwards(ctx, benefit.AwardFilter{
		MeasureCode: req.MeasureCode, Year: int(req.Year), EnterpriseCreditCode: req.EnterpriseCreditCode,
		PageSize: int(req.PageSize), PageToken: req.PageToken,
	})
	if err != nil {
		return nil, err
	}
	return &registryv1.ListSupportAwardsResponse{Awards: mapSlice(list, toSupportAward), NextPageToken: next}, nil
}

func (s *benefitService) GetSupportStatement(ctx context.Context, req *registryv1.GetSupportStatementRequest) (*registryv1.GetSupportStatementResponse, error) {
	st, err := s.reg.GetSupportStatement(ctx, req.EnterpriseCreditCode, int(req.Year))
	if err != nil {
		return nil, err
	}
	return &registryv1.GetSupportStatementResponse{
		EnterpriseCreditCode: st.EnterpriseCreditCode, EnterpriseName: st.EnterpriseName, Year: int32(st.Year),
		Awards: mapSlice(st.Awards, toSupportAward), Measures: mapSlice(st.Measures, toMeasureTotals),
		AwardedFen: st.AwardedFen, DisbursedFen: st.DisbursedFen, RecoveredFen: st.RecoveredFen, OutstandingFen: st.OutstandingFen,
		UnsettledRecoveryFen: st.UnsettledRecoveryFen, Digest: st.Digest, Attestation: st.Attestation,
		IssuedAt: timestamp(st.IssuedAt), AuditTreeSize: st.AuditTreeSize,
	}, nil
}
