package rpc

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hangzhou-ai/registry/registry/access"
	"github.com/hangzhou-ai/registry/registry/audit"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/talent"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
)

func timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// fromTimestamp is ts as a time, the zero time when ts is not set.
func fromTimestamp(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime()
}

func optionalTimestamp(t *time.Time) *timestamppb.Timestamp {
	if t == nil {
		return nil
	}
	return timestamppb.New(*t)
}

func toEnterprise(e enterprise.Enterprise) *registryv1.Enterprise {
	return &registryv1.Enterprise{CreditCode: e.CreditCode, Name: e.Name, District: e.District, DistrictName: e.DistrictName, RegisteredOn: e.RegisteredOn, CreatedAt: timestamp(e.CreatedAt)}
}

func toTalent(t talent.Talent) *registryv1.Talent {
	return &registryv1.Talent{
		Id: t.ID, Name: t.Name, IdNumberMasked: t.IDNumberMasked, Nationality: t.Nationality,
		EmployerCreditCode: t.EmployerCreditCode, CreatedAt: timestamp(t.CreatedAt),
	}
}

var statusToProto = map[designation.Status]registryv1.DesignationStatus{
	designation.StatusActive:    registryv1.DesignationStatus_DESIGNATION_STATUS_ACTIVE,
	designation.StatusSuspended: registryv1.DesignationStatus_DESIGNATION_STATUS_SUSPENDED,
	designation.StatusRevoked:   registryv1.DesignationStatus_DESIGNATION_STATUS_REVOKED,
	designation.StatusExpired:   registryv1.DesignationStatus_DESIGNATION_STATUS_EXPIRED,
}

// fromStatus maps a filter status; unknown enum numbers pass through as
// text so the registry rejects them by name.
func fromStatus(s registryv1.DesignationStatus) designation.Status {
	for k, v := range statusToProto {
		if v == s {
			return k
		}
	}
	if s == registryv1.DesignationStatus_DESIGNATION_STATUS_UNSPECIFIED {
		return ""
	}
	return designation.Status(s.String())
}

func toDesignation(d designation.Designation) *registryv1.Designation {
	return &registryv1.Designation{
		Id: d.ID, Type: d.Type, EnterpriseCreditCode: d.EnterpriseCreditCode, TalentId: d.TalentID,
		Level: d.Level, Status: statusToProto[d.Status], ValidFrom: d.ValidFrom, ValidUntil: d.ValidUntil,
		GrantedByBureau: d.GrantedByBureau, DocumentNumber: d.DocumentNumber, SeedClause: d.SeedClause,
		StatusReason: d.StatusReason, Version: d.Version, CreatedAt: timestamp(d.CreatedAt),
		UpdatedAt: timestamp(d.UpdatedAt), Note: d.Note, AuthorizationId: d.AuthorizationID, AwardId: d.AwardID, ParkCode: d.ParkCode,
	}
}

func toToken(t access.Token) *registryv1.Token {
	return &registryv1.Token{
		Id: t.ID, Subject: t.Subject, Organisation: t.Org, Role: t.Role, CreatedAt: timestamp(t.CreatedAt),
		ExpiresAt: optionalTimestamp(t.ExpiresAt), RevokedAt: optionalTimestamp(t.RevokedAt),
	}
}

func toAuditEvent(e audit.AuditEvent) *registryv1.AuditEvent {
	return &registryv1.AuditEvent{
		Sequence: e.Sequence, OccurredAt: timestamp(e.OccurredAt), ActorSubject: e.Subject,
		ActorOrganisation: e.Org, ActorRole: e.Role, Action: e.Action, EntityType: e.EntityType,
		EntityId: e.EntityID, Before: e.Before, After: e.After, Reason: e.Reason, PrevHash: e.PrevHash, Hash: e.Hash,
		LeafHash: e.LeafHash.String(),
	}
}

// mapSlice converts every element of in with f.
func mapSlice[T, U any](in []T, f func(T) U) []U {
	out := make([]U, len(in))
	for i, x := range in {
		out[i] = f(x)
	}
	return out
}
