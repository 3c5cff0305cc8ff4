package designation

import (
	"context"
	"slices"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/designation"
	"github.com/hangzhou-ai/registry/ent/predicate"
	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// StatusUpdate is a request to suspend, reinstate or revoke a designation.
type StatusUpdate struct {
	ID     string
	Reason string
	// ExpectedVersion, when not zero, refuses the change (KindAborted)
	// unless the designation is still at that version.
	ExpectedVersion int64
}

// Renewal is a request to move a designation's valid_until.
type Renewal struct {
	ID              string
	ValidUntil      string
	DocumentNumber  string
	ExpectedVersion int64
}

// CheckVersion refuses a change made against a version that is no longer
// current (expected zero means the caller did not say).
func CheckVersion(kind, id string, expected, current int64) error {
	if expected != 0 && expected != current {
		return core.NewError(core.KindAborted, "%s %s is at version %d, not %d: it changed since it was read", kind, id, current, expected)
	}
	return nil
}

// SuspendDesignation moves an active designation to suspended from today.
func (r *Designations) SuspendDesignation(ctx context.Context, in StatusUpdate) (Designation, error) {
	return r.ChangeStatus(ctx, in, Transition{Action: authz.ActSuspend, reasonRequired: true, to: StatusSuspended, from: []Status{StatusActive}})
}

// ReinstateDesignation moves a suspended designation back to active from today.
func (r *Designations) ReinstateDesignation(ctx context.Context, in StatusUpdate) (Designation, error) {
	return r.ChangeStatus(ctx, in, Transition{Action: authz.ActReinstate, to: StatusActive, from: []Status{StatusSuspended}})
}

// Revocation ends an active, suspended or expired designation for good.
var Revocation = Transition{Action: authz.ActRevoke, reasonRequired: true, to: StatusRevoked, from: []Status{StatusActive, StatusSuspended, StatusExpired}}

// RevokeDesignation ends an active, suspended or expired designation for
// good, from today.
func (r *Designations) RevokeDesignation(ctx context.Context, in StatusUpdate) (Designation, error) {
	return r.ChangeStatus(ctx, in, Revocation)
}

// Transition is a change of recorded status: the action authorized, the
// statuses it leaves and the one it reaches.
type Transition struct {
	Action         string
	reasonRequired bool
	to             Status
	from           []Status
	// IDField names the request's id field in errors; "id" when empty.
	IDField string
	// AppliesTo, when set, refuses designations the transition is not for.
	// It runs after the caller is authorized, so it reveals nothing to
	// callers without rights.
	AppliesTo func(*ent.Designation) error
}

// ChangeStatus applies t to a designation, recording the change with
// today's date; revocation also releases what the designation held of a
// delegation (see OnRevoke).
func (r *Designations) ChangeStatus(ctx context.Context, in StatusUpdate, t Transition) (Designation, error) {
	if p, ok := core.PrincipalFrom(ctx); ok {
		if err := r.MayEver(p, t.Action, core.AnyDesignation()...); err != nil {
			return Designation{}, err
		}
	}
	v := &core.Violations{}
	reason := core.CleanMultiline(v, "reason", in.Reason, core.MaxReasonLen, t.reasonRequired)
	if err := v.Err(); err != nil {
		return Designation{}, err
	}
	idField := t.IDField
	if idField == "" {
		idField = "id"
	}
	return r.mutateDesignation(ctx, t.Action, idField, in.ID, in.ExpectedVersion, reason, func(tx *ent.Tx, d *ent.Designation, upd *ent.DesignationUpdate, pc *core.PolicyChange) error {
		if t.AppliesTo != nil {
			if err := t.AppliesTo(d); err != nil {
				return err
			}
		}
		if current := DesignationOf(d, r.Today()).Status; !slices.Contains(t.from, current) {
			return core.FailedPrecondition("cannot %s a designation that is %s", t.Action, current)
		}
		upd.SetStatus(string(t.to)).SetStatusReason(reason)
		if t.to == StatusRevoked {
			for _, hook := range r.onRevoke {
				if err := hook(ctx, tx, d, pc); err != nil {
					return err
				}
			}
		}
		return tx.StatusChange.Create().SetDesignationID(d.ID).SetStatus(string(t.to)).
			SetEffectiveOn(r.Today()).SetReason(reason).SetRecordedAt(r.Now()).Exec(ctx)
	})
}

// RenewDesignation moves valid_until and records the renewing document. A
// revoked designation cannot be renewed.
func (r *Designations) RenewDesignation(ctx context.Context, in Renewal) (Designation, error) {
	if p, ok := core.PrincipalFrom(ctx); ok {
		if err := r.MayEver(p, authz.ActRenew, core.AnyDesignation()...); err != nil {
			return Designation{}, err
		}
	}
	v := &core.Violations{}
	until := core.ParseDate(v, "valid_until", in.ValidUntil, true)
	doc := core.CleanText(v, "document_number", in.DocumentNumber, core.MaxDocumentLen, true)
	if err := v.Err(); err != nil {
		return Designation{}, err
	}
	return r.mutateDesignation(ctx, authz.ActRenew, "id", in.ID, in.ExpectedVersion, "", func(tx *ent.Tx, d *ent.Designation, upd *ent.DesignationUpdate, _ *core.PolicyChange) error {
		if d.Status == string(StatusRevoked) {
			return core.FailedPrecondition("cannot renew a revoked designation")
		}
		if until < d.ValidFrom {
			return core.InvalidField("valid_until", "must not be before valid_from "+d.ValidFrom)
		}
		if err := documentFree(ctx, tx, d, doc); err != nil {
			return err
		}
		upd.SetValidUntil(until).SetDocumentNumber(doc)
		return nil
	})
}

// documentFree refuses, with a clear already-exists answer, renewing d
// under a document that another designation of its type and holder
// already cites: the unique indexes on designations would refuse it
// anyway, and do so when a concurrent renewal wins the race.
func documentFree(ctx context.Context, tx *ent.Tx, d *ent.Designation, doc string) error {
	if doc == d.DocumentNumber {
		return nil
	}
	same := []predicate.Designation{designation.Type(d.Type), designation.DocumentNumber(doc), designation.IDNEQ(d.ID)}
	switch {
	case d.EnterpriseID != nil:
		same = append(same, designation.EnterpriseID(*d.EnterpriseID))
	case d.ParkCode != nil:
		same = append(same, designation.ParkCode(*d.ParkCode))
	case d.TalentID != nil && d.AuthorizationID == nil:
		same = append(same, designation.TalentID(*d.TalentID), designation.AuthorizationIDIsNil())
	default:
		return nil
	}
	taken, err := tx.Designation.Query().Where(same...).Exist(ctx)
	if err != nil {
		return err
	}
	if taken {
		return core.AlreadyExists("document_number: another %s designation of this holder already cites %s", d.Type, doc)
	}
	return nil
}

// mutateDesignation loads a designation, authorizes action on it, lets
// apply check and stage the change, and saves it with an optimistic version
// check and an audit event, all in one transaction. The event's Before is
// the Designation as it stood before the change: reads as recorded at an
// instant (At.KnownAt) take a designation's validity, document and version
// then from the first such event after it.
func (r *Designations) mutateDesignation(ctx context.Context, action, idField, id string, expectedVersion int64, reason string, apply func(*ent.Tx, *ent.Designation, *ent.DesignationUpdate, *core.PolicyChange) error) (Designation, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return Designation{}, err
	}
	if err := r.MayEver(p, action, core.AnyDesignation()...); err != nil {
		return Designation{}, err
	}
	if err := core.RequireID(idField, id); err != nil {
		return Designation{}, err
	}
	var out Designation
	err = r.InPolicyTx(ctx, func(tx *ent.Tx, pc *core.PolicyChange) error {
		d, err := r.LoadDesignationFor(ctx, tx.Client(), p, id)
		if err != nil {
			return err
		}
		if err := r.Authorize(p, authz.DesignationObject(d.Type), action, DesignationOwners(d)...); err != nil {
			return err
		}
		if err := CheckVersion("designation", id, expectedVersion, d.Version); err != nil {
			return err
		}
		before := DesignationOf(d, r.Today())
		upd := tx.Designation.Update().Where(designation.ID(d.ID), designation.Version(d.Version)).
			SetVersion(d.Version + 1).SetUpdatedAt(r.Now())
		if err := apply(tx, d, upd, pc); err != nil {
			return err
		}
		n, err := upd.Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return core.NewError(core.KindAborted, "designation %s was changed concurrently; read it again and retry", id)
		}
		d, err = LoadDesignation(ctx, tx.Client(), id)
		if err != nil {
			return err
		}
		out = DesignationOf(d, r.Today())
		return r.Record(ctx, tx, p, core.Change{Action: "designation." + action, EntityType: "designation", EntityID: id, Before: before, After: out, Reason: reason, Owner: Owner(d)})
	})
	return out, err
}

// RevokeHook runs inside the transaction that revokes designation d, after
// its status is set and before the change is recorded; an error undoes the
// revocation. Programmes whose records hang on a designation (talent
// authorizations and the places they delegate) register one with OnRevoke.
type RevokeHook func(ctx context.Context, tx *ent.Tx, d *ent.Designation, pc *core.PolicyChange) error

// OnRevoke adds h to the hooks every revocation runs. Call it while the
// registry is being assembled, before it serves.
func (r *Designations) OnRevoke(h RevokeHook) { r.onRevoke = append(r.onRevoke, h) }
