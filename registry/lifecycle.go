package registry

import (
	"context"
	"slices"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/designation"
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

// checkVersion refuses a change made against a version that is no longer
// current (expected zero means the caller did not say).
func checkVersion(kind, id string, expected, current int64) error {
	if expected != 0 && expected != current {
		return newError(KindAborted, "%s %s is at version %d, not %d: it changed since it was read", kind, id, current, expected)
	}
	return nil
}

// SuspendDesignation moves an active designation to suspended from today.
func (r *Registry) SuspendDesignation(ctx context.Context, in StatusUpdate) (Designation, error) {
	return r.changeStatus(ctx, in, transition{action: authz.ActSuspend, reasonRequired: true, to: StatusSuspended, from: []Status{StatusActive}})
}

// ReinstateDesignation moves a suspended designation back to active from today.
func (r *Registry) ReinstateDesignation(ctx context.Context, in StatusUpdate) (Designation, error) {
	return r.changeStatus(ctx, in, transition{action: authz.ActReinstate, to: StatusActive, from: []Status{StatusSuspended}})
}

// revocation ends an active, suspended or expired designation for good.
var revocation = transition{action: authz.ActRevoke, reasonRequired: true, to: StatusRevoked, from: []Status{StatusActive, StatusSuspended, StatusExpired}}

// RevokeDesignation ends an active, suspended or expired designation for
// good, from today.
func (r *Registry) RevokeDesignation(ctx context.Context, in StatusUpdate) (Designation, error) {
	return r.changeStatus(ctx, in, revocation)
}

// transition is a change of recorded status.
type transition struct {
	action         string
	reasonRequired bool
	to             Status
	from           []Status
	// idField names the request's id field in errors; "id" when empty.
	idField string
	// appliesTo, when set, refuses designations the transition is not for.
	// It runs after the caller is authorized, so it reveals nothing to
	// callers without rights.
	appliesTo func(*ent.Designation) error
}

// changeStatus applies t to a designation, recording the change with
// today's date; revocation also releases what the designation held of a
// delegation (see releaseDelegations).
func (r *Registry) changeStatus(ctx context.Context, in StatusUpdate, t transition) (Designation, error) {
	if p, ok := PrincipalFrom(ctx); ok {
		if err := r.mayEver(p, t.action, anyDesignation()...); err != nil {
			return Designation{}, err
		}
	}
	v := &violations{}
	reason := cleanMultiline(v, "reason", in.Reason, maxReasonLen, t.reasonRequired)
	if err := v.err(); err != nil {
		return Designation{}, err
	}
	idField := t.idField
	if idField == "" {
		idField = "id"
	}
	return r.mutateDesignation(ctx, t.action, idField, in.ID, in.ExpectedVersion, reason, func(tx *ent.Tx, d *ent.Designation, upd *ent.DesignationUpdate, pc *policyChange) error {
		if t.appliesTo != nil {
			if err := t.appliesTo(d); err != nil {
				return err
			}
		}
		if current := designationOf(d, r.today()).Status; !slices.Contains(t.from, current) {
			return failedPrecondition("cannot %s a designation that is %s", t.action, current)
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
			SetEffectiveOn(r.today()).SetReason(reason).SetRecordedAt(r.now()).Exec(ctx)
	})
}

// RenewDesignation moves valid_until and records the renewing document. A
// revoked designation cannot be renewed.
func (r *Registry) RenewDesignation(ctx context.Context, in Renewal) (Designation, error) {
	if p, ok := PrincipalFrom(ctx); ok {
		if err := r.mayEver(p, authz.ActRenew, anyDesignation()...); err != nil {
			return Designation{}, err
		}
	}
	v := &violations{}
	until := parseDate(v, "valid_until", in.ValidUntil, true)
	doc := cleanText(v, "document_number", in.DocumentNumber, maxDocumentLen, true)
	if err := v.err(); err != nil {
		return Designation{}, err
	}
	return r.mutateDesignation(ctx, authz.ActRenew, "id", in.ID, in.ExpectedVersion, "", func(_ *ent.Tx, d *ent.Designation, upd *ent.DesignationUpdate, _ *policyChange) error {
		if d.Status == string(StatusRevoked) {
			return failedPrecondition("cannot renew a revoked designation")
		}
		if until < d.ValidFrom {
			return invalidField("valid_until", "must not be before valid_from "+d.ValidFrom)
		}
		upd.SetValidUntil(until).SetDocumentNumber(doc)
		return nil
	})
}

// mutateDesignation loads a designation, authorizes action on it, lets
// apply check and stage the change, and saves it with an optimistic version
// check and an audit event, all in one transaction.
func (r *Registry) mutateDesignation(ctx context.Context, action, idField, id string, expectedVersion int64, reason string, apply func(*ent.Tx, *ent.Designation, *ent.DesignationUpdate, *policyChange) error) (Designation, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return Designation{}, err
	}
	if err := r.mayEver(p, action, anyDesignation()...); err != nil {
		return Designation{}, err
	}
	if err := requireID(idField, id); err != nil {
		return Designation{}, err
	}
	var out Designation
	err = r.inPolicyTx(ctx, func(tx *ent.Tx, pc *policyChange) error {
		d, err := r.loadDesignationFor(ctx, tx.Client(), p, id)
		if err != nil {
			return err
		}
		if err := r.authorize(p, authz.DesignationObject(d.Type), action, designationOwners(d)...); err != nil {
			return err
		}
		if err := checkVersion("designation", id, expectedVersion, d.Version); err != nil {
			return err
		}
		before := designationOf(d, r.today())
		upd := tx.Designation.Update().Where(designation.ID(d.ID), designation.Version(d.Version)).
			SetVersion(d.Version + 1).SetUpdatedAt(r.now())
		if err := apply(tx, d, upd, pc); err != nil {
			return err
		}
		n, err := upd.Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return newError(KindAborted, "designation %s was changed concurrently; read it again and retry", id)
		}
		d, err = loadDesignation(ctx, tx.Client(), id)
		if err != nil {
			return err
		}
		out = designationOf(d, r.today())
		return r.record(ctx, tx, p, change{action: "designation." + action, entityType: "designation", entityID: id, before: before, after: out, reason: reason})
	})
	return out, err
}

// RevokeHook runs inside the transaction that revokes designation d, after
// its status is set and before the change is recorded; an error undoes the
// revocation. Programmes whose records hang on a designation (talent
// authorizations and the places they delegate) register one with OnRevoke.
type RevokeHook func(ctx context.Context, tx *ent.Tx, d *ent.Designation, pc *policyChange) error

// OnRevoke adds h to the hooks every revocation runs. Call it while the
// registry is being assembled, before it serves.
func (r *Registry) OnRevoke(h RevokeHook) { r.onRevoke = append(r.onRevoke, h) }
