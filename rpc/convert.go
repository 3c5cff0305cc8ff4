package rpc

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hangzhou-ai/registry/registry"
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

// timestampOf is a request's timestamp field as a time, the zero time
// when it is not set. One outside google.protobuf.Timestamp's range
// (years 1 to 9999) or with nanoseconds outside a second, which binary
// requests can carry and JSON cannot, is an invalid argument naming
// field: it is never read as some other instant, nor passed to a query.
func timestampOf(field string, ts *timestamppb.Timestamp) (time.Time, error) {
	if ts == nil {
		return time.Time{}, nil
	}
	if ts.CheckValid() != nil {
		return time.Time{}, invalidField(field, "must be a valid timestamp, from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z")
	}
	return ts.AsTime(), nil
}

// invalidField is the registry's invalid argument about one field.
func invalidField(field, description string) error {
	return &registry.Error{Kind: registry.KindInvalidArgument, Message: "invalid request",
		Violations: []registry.FieldViolation{{Field: field, Description: description}}}
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
