package core

import (
	"context"
	"errors"
	"fmt"
	"time"

	"entgo.io/ent/dialect/sql/sqlgraph"
	"go.uber.org/zap"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/registry/catalog"
	"github.com/hangzhou-ai/registry/store"
)

// Now is the current instant, truncated to what every database stores.
func (r *Core) Now() time.Time { return r.Clock().UTC().Truncate(time.Microsecond) }

// InTx runs fn in a transaction, committing if it returns nil and rolling
// back otherwise.
func (r *Core) InTx(ctx context.Context, fn func(tx *ent.Tx) error) error {
	return r.InPolicyTx(ctx, func(tx *ent.Tx, _ *PolicyChange) error { return fn(tx) })
}

// PolicyChange collects the policy lines a transaction stored or deleted
// (with authz.AddRules and authz.RemoveRules) so they reach the in-memory
// policy once the transaction has committed, and not before.
type PolicyChange struct {
	Added, Removed []authz.Rule
}

// ConflictAttempts bounds how often a transaction that collided with a
// concurrent one (on a unique index, or in a deadlock) is run again.
const ConflictAttempts = 3

// InPolicyTx is InTx for changes that also change the policy.
//
// Uniqueness lives in the database: when a transaction fails on a unique
// index because a concurrent one recorded the same fact first, it is run
// again from the start, so its own checks now see the committed row and
// answer as they would have (already exists, or "existing" for batches).
// A collision that persists is reported as KindAlreadyExists.
func (r *Core) InPolicyTx(ctx context.Context, fn func(tx *ent.Tx, pc *PolicyChange) error) error {
	var err error
	for attempt := 1; attempt <= ConflictAttempts; attempt++ {
		var pc PolicyChange
		if err = r.runTx(ctx, fn, &pc); err == nil {
			r.applyPolicyChange(pc)
			return nil
		}
		switch {
		case IsUniqueViolation(err):
			r.Log.Debug("transaction collided on a unique index; running it again", zap.Int("attempt", attempt))
		case IsTransient(err):
			r.Log.Debug("transaction lost to a concurrent one (deadlock or serialization); running it again", zap.Int("attempt", attempt))
		default:
			return err
		}
	}
	if IsTransient(err) {
		return NewError(KindAborted, "the change collided with concurrent ones %d times; retry it", ConflictAttempts)
	}
	return AlreadyExists("the record already exists")
}

// IsTransient tells the failures a database may give a transaction that
// would succeed when run again (see store.IsTransient).
func IsTransient(err error) bool { return store.IsTransient(err) }

// runTx runs fn in one transaction, committing if it returns nil. The
// call's idempotency key, if it has one to claim, is recorded by the
// transaction's first statement (claimInTx), so the change and the record
// of the key commit together; the audit events fn records join the chain
// as the transaction's last statements (AppendEvents), so the chain's head
// is locked only for them and the commit.
func (r *Core) runTx(ctx context.Context, fn func(tx *ent.Tx, pc *PolicyChange) error, pc *PolicyChange) error {
	for {
		tx, err := r.DB.Tx(ctx)
		if err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		var events []PendingEvent
		r.HoldAudit(tx, func(e []PendingEvent) error { events = append(events, e...); return nil })
		claim, err := r.claimInTx(ctx, tx)
		if err == nil {
			err = fn(tx, pc)
		}
		if err == nil && len(pc.Added)+len(pc.Removed) > 0 {
			err = r.Signals.Signal(ctx, tx, TopicPolicy)
		}
		r.ReleaseAudit(tx)
		if err == nil {
			err = r.AppendEvents(ctx, tx, events)
		}
		if err != nil {
			if rerr := tx.Rollback(); rerr != nil {
				r.Log.Warn("rollback failed", zap.Error(rerr))
			}
			if errors.Is(err, errKeyTaken) {
				// Another call holds the key: wait for its answer
				// outside any transaction, then replay it or, if the
				// key was given up meanwhile, claim it again.
				if err := r.awaitIdempotentAnswer(ctx); err != nil {
					return err
				}
				continue
			}
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		claimed(ctx, claim)
		if claim != nil {
			r.forgetOldIdempotencyKeys(ctx)
		}
		return nil
	}
}

// applyPolicyChange brings the in-memory policy up to a committed change.
func (r *Core) applyPolicyChange(pc PolicyChange) {
	if len(pc.Added)+len(pc.Removed) == 0 {
		return
	}
	if err := errors.Join(r.Authz.Apply(pc.Added), r.Authz.Unapply(pc.Removed)); err != nil {
		r.Log.Error("applying committed policy change failed; reloading policy", zap.Error(err))
		if err := r.Authz.Reload(); err != nil {
			r.Log.Error("reloading policy failed", zap.Error(err))
		}
	}
}

// IsUniqueViolation tells a unique-index violation, on any dialect, from
// other failures. Errors the registry made itself never are one.
func IsUniqueViolation(err error) bool {
	var e *Error
	return !errors.As(err, &e) && sqlgraph.IsUniqueConstraintError(err)
}

// Authorize asks the Authorizer and turns a denial into a KindPermissionDenied error.
func (r *Core) Authorize(p Principal, object, action string, owners ...string) error {
	d, err := r.Decide(p, object, action, owners...)
	if err != nil {
		return err
	}
	if !d.Allowed {
		return PermissionDenied("%s may not %s %s", p, action, object)
	}
	return nil
}

func (r *Core) Decide(p Principal, object, action string, owners ...string) (authz.Decision, error) {
	d, err := r.Authz.Decide(authz.Request{Role: p.Role, Org: p.Org, Object: object, Action: action, Owners: owners})
	if err != nil {
		return d, fmt.Errorf("authorize: %w", err)
	}
	return d, nil
}

// MayEver decides, before any database work, whether p could be allowed
// action on one of objects at all: outright, or on a resource its own
// organisation owns. Calls whose exact decision needs the stored resource
// (its owners) ask this first, so a principal without any such right is
// refused before a transaction opens or a lock is taken; the exact
// decision follows once the resource is loaded.
func (r *Core) MayEver(p Principal, action string, objects ...string) error {
	for _, object := range objects {
		for _, owners := range [][]string{nil, {p.Org}} {
			d, err := r.Decide(p, object, action, owners...)
			if err != nil {
				return err
			}
			if d.Allowed {
				return nil
			}
		}
	}
	if len(objects) == 1 {
		return PermissionDenied("%s may not %s %s", p, action, objects[0])
	}
	return PermissionDenied("%s may not %s designations", p, action)
}

// AnySupport lists the policy objects of support under every measure.
func AnySupport() []string {
	objects := make([]string, len(catalog.Measures))
	for i, m := range catalog.Measures {
		objects[i] = authz.SupportObject(m.Code)
	}
	return objects
}

// AnyDesignation lists the policy objects of every designation type.
func AnyDesignation() []string {
	objects := make([]string, len(catalog.DesignationTypes))
	for i, t := range catalog.DesignationTypes {
		objects[i] = authz.DesignationObject(t.Code)
	}
	return objects
}

// ReadScope decides how much of object the principal may read: everything
// (all == true), only what its own organisation owns (all == false), or
// nothing (a KindPermissionDenied error).
func (r *Core) ReadScope(p Principal, object string) (all bool, err error) {
	d, err := r.Decide(p, object, authz.ActRead)
	if err != nil {
		return false, err
	}
	if d.Allowed {
		return true, nil
	}
	d, err = r.Decide(p, object, authz.ActRead, p.Org)
	if err != nil {
		return false, err
	}
	if d.Allowed {
		return false, nil
	}
	return false, PermissionDenied("%s may not read %s", p, object)
}

// MissingFor is the answer to p about a missing object: notFound itself to
// principals who may read every object of its kind, and permission denied
// to the rest, who get the same for objects that exist but are not theirs.
func (r *Core) MissingFor(p Principal, object string, notFound error) error {
	all, err := r.ReadScope(p, object)
	switch {
	case err != nil:
		return err
	case !all:
		return PermissionDenied("%s may not read %s", p, object)
	}
	return notFound
}

// GrantingActor returns the acting principal and the designation type
// typeCode once the principal may grant designations of that type
// outright: the first check of the calls that create one type's
// designations (parks, talent authorizations, winners' recognitions).
func (r *Core) GrantingActor(ctx context.Context, typeCode string) (Principal, catalog.DesignationType, error) {
	p, err := PrincipalOf(ctx)
	if err != nil {
		return Principal{}, catalog.DesignationType{}, err
	}
	typ := catalog.DesignationTypesByCode[typeCode]
	if err := r.Authorize(p, authz.DesignationObject(typ.Code), authz.ActGrant); err != nil {
		return Principal{}, catalog.DesignationType{}, err
	}
	return p, typ, nil
}
