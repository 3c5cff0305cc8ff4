package webhook

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/predicate"
	"github.com/hangzhou-ai/registry/ent/webhookdelivery"
	"github.com/hangzhou-ai/registry/ent/webhooksubscription"
	"github.com/hangzhou-ai/registry/registry/change"
	"github.com/hangzhou-ai/registry/registry/internal/core"
	"github.com/hangzhou-ai/registry/seal"
	wire "github.com/hangzhou-ai/registry/webhook"
)

// Limits of subscriptions.
const (
	// MaxSubscriptionsPerOrg bounds the live subscriptions of one
	// organisation.
	MaxSubscriptionsPerOrg = 20
	// MaxPendingRedeliveries bounds the redeliveries asked for and not
	// yet attempted, per subscription.
	MaxPendingRedeliveries = 100
)

// idPrefix begins every subscription id; deliveryPrefix every delivery
// id as the API shows it (and their page tokens' keys).
const (
	idPrefix       = "whsub_"
	deliveryPrefix = "whd_"
)

// EntityType is the audit entity type of subscriptions.
const EntityType = "webhook-subscription"

// Webhooks serves subscriptions and delivers them (Deliver). URLs is set
// once, before the first call.
type Webhooks struct {
	*core.Core
	Changes *change.Changes
	// URLs is where subscriptions may deliver: https and public
	// addresses unless it allows more.
	URLs wire.Policy
}

// Subscription is a URL subscribed to the change feed, without its
// secret.
type Subscription struct {
	ID  string `json:"id"`
	URL string `json:"url"`
	// EntityTypes are the types delivered; empty is every type the owner
	// may read.
	EntityTypes []string `json:"entity_types,omitempty"`
	// OwnerOrg and OwnerRole are the subscriber's: each delivery carries
	// what a principal of that organisation and role may read when it is
	// made.
	OwnerOrg  string    `json:"owner_org"`
	OwnerRole string    `json:"owner_role"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	// Cursor is the last change delivered or passed over (one the owner
	// may not read, or of a type not subscribed to).
	Cursor         int64      `json:"cursor"`
	DisabledAt     *time.Time `json:"disabled_at,omitempty"`
	DisabledReason string     `json:"disabled_reason,omitempty"`
	DeletedAt      *time.Time `json:"deleted_at,omitempty"`
}

func subscriptionOf(s *ent.WebhookSubscription) Subscription {
	return Subscription{
		ID: s.ID, URL: s.URL, EntityTypes: s.EntityTypes, OwnerOrg: s.OwnerOrg, OwnerRole: s.OwnerRole,
		CreatedBy: s.CreatedBy, CreatedAt: s.CreatedAt.UTC(), Cursor: s.Cursor, DisabledAt: utc(s.DisabledAt),
		DisabledReason: s.DisabledReason, DeletedAt: utc(s.DeletedAt),
	}
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// owner is the principal a subscription's deliveries read the feed as.
func owner(s *ent.WebhookSubscription) core.Principal {
	return core.Principal{Subject: "webhook:" + s.ID, Org: s.OwnerOrg, Role: s.OwnerRole}
}

// SecretAAD binds a sealed signing secret to its subscription id: a
// sealed secret copied to another subscription does not open.
func SecretAAD(id string) string { return "webhook-secret:" + id }

// NewSubscription asks for a subscription.
type NewSubscription struct {
	URL         string
	EntityTypes []string
}

// CreateSubscription subscribes in.URL to the changes the caller may read
// of in.EntityTypes (every type when empty), from the next change to
// commit on. It returns the subscription and its signing secret (whsec_
// and the base64 of 32 random bytes), which is stored only sealed and is
// never shown again. A caller that may read no changes of the types asked
// for is refused before anything is read; a URL the deployment does not
// deliver to (see URLs) is an invalid argument naming url; a second live
// subscription of the organisation to the same URL already exists; more
// than MaxSubscriptionsPerOrg is resource exhausted.
func (w *Webhooks) CreateSubscription(ctx context.Context, in NewSubscription) (Subscription, string, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return Subscription{}, "", err
	}
	v := &core.Violations{}
	types := change.ValidateEntityTypes(v, "entity_types", in.EntityTypes)
	url, urlErr := w.URLs.CheckURL(in.URL)
	if urlErr != nil {
		v.Add("url", urlErr.Error())
	}
	if err := v.Err(); err != nil {
		return Subscription{}, "", err
	}
	if err := w.Changes.MayRead(p, "entity_types", types); err != nil {
		return Subscription{}, "", err
	}
	if len(in.EntityTypes) == 0 {
		types = nil
	}
	id := idPrefix + hex.EncodeToString(seal.RandomBytes(10))
	secret := wire.NewSecret()
	var out Subscription
	err = w.InTx(ctx, func(tx *ent.Tx) error {
		// The organisation's subscriptions are counted under a lock of
		// its own, so concurrent subscriptions cannot pass the bound
		// together (SQLite runs one writing transaction at a time).
		if w.RowLocks {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", "webhook-subscriptions:"+p.Org); err != nil {
				return err
			}
		}
		live := tx.WebhookSubscription.Query().Where(webhooksubscription.OwnerOrg(p.Org), webhooksubscription.DeletedAtIsNil())
		if dup, err := live.Clone().Where(webhooksubscription.URL(url)).First(ctx); err == nil {
			return core.AlreadyExists("subscription %s of %s already delivers to this URL", dup.ID, p.Org)
		} else if !ent.IsNotFound(err) {
			return err
		}
		n, err := live.Count(ctx)
		if err != nil {
			return err
		}
		if n >= MaxSubscriptionsPerOrg {
			return core.NewError(core.KindResourceExhausted, "%s has %d subscriptions, the most it may have; delete one first", p.Org, n)
		}
		head, err := tx.AuditHead.Get(ctx, core.AuditHeadID)
		if err != nil {
			return err
		}
		row, err := tx.WebhookSubscription.Create().SetID(id).SetURL(url).SetEntityTypes(types).
			SetOwnerOrg(p.Org).SetOwnerRole(p.Role).SetCreatedBy(p.Subject).SetCreatedAt(w.Now()).
			SetSecretSealed(w.Secrets.Seal(secret, SecretAAD(id))).SetCursor(head.Seq).Save(ctx)
		if err != nil {
			return err
		}
		out = subscriptionOf(row)
		return w.Record(ctx, tx, p, core.Change{Action: "webhook.subscribe", EntityType: EntityType, EntityID: id, After: out, Owner: p.Org})
	})
	if err != nil {
		return Subscription{}, "", err
	}
	return out, secret, nil
}

// access is what a principal may do with subscriptions beyond its own
// organisation's: administrators manage every one, auditors read every
// one.
type access struct {
	org               string
	readAll, writeAll bool
}

func (w *Webhooks) accessOf(ctx context.Context) (core.Principal, access, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return p, access{}, err
	}
	manage, err := w.Decide(p, authz.ObjWebhook, authz.ActManage)
	if err != nil {
		return p, access{}, err
	}
	read, err := w.Decide(p, authz.ObjWebhook, authz.ActRead)
	if err != nil {
		return p, access{}, err
	}
	return p, access{org: p.Org, readAll: manage.Allowed || read.Allowed, writeAll: manage.Allowed}, nil
}

// visible selects the subscriptions a may read.
func (a access) visible() predicate.WebhookSubscription {
	if a.readAll {
		return webhooksubscription.IDNEQ("")
	}
	return webhooksubscription.OwnerOrg(a.org)
}

// ListSubscriptions lists the live subscriptions of the caller's
// organisation (every organisation's for administrators and auditors), in
// the order they were made.
func (w *Webhooks) ListSubscriptions(ctx context.Context, pageSize int, pageToken string) ([]Subscription, string, error) {
	_, a, err := w.accessOf(ctx)
	if err != nil {
		return nil, "", err
	}
	v := &core.Violations{}
	size := core.PageSize(v, pageSize)
	after := core.DecodePageToken(w.Secrets, v, pageToken)
	if after != "" && !strings.HasPrefix(after, idPrefix) {
		v.Add("page_token", "is not a token of this list")
	}
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	q := w.DB.WebhookSubscription.Query().Where(a.visible(), webhooksubscription.DeletedAtIsNil())
	if after != "" {
		q.Where(webhooksubscription.IDGT(after))
	}
	rows, err := q.Order(ent.Asc(webhooksubscription.FieldID)).Limit(size + 1).All(ctx)
	if err != nil {
		return nil, "", err
	}
	rows, next := core.TrimPage(w.Secrets, rows, size, func(s *ent.WebhookSubscription) string { return s.ID })
	return core.Map(rows, subscriptionOf), next, nil
}

// liveSubscription reads a live subscription the caller may read, in tx
// when one is given; another organisation's is not found, as a deleted
// one is.
func (w *Webhooks) liveSubscription(ctx context.Context, client *ent.WebhookSubscriptionClient, a access, field, id string) (*ent.WebhookSubscription, error) {
	if id == "" {
		return nil, core.InvalidField(field, "is required")
	}
	s, err := client.Query().Where(webhooksubscription.ID(id), a.visible(), webhooksubscription.DeletedAtIsNil()).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, core.NotFound("subscription %q does not exist", core.Truncate(id, 80))
	}
	return s, err
}

// mayChange refuses a change to s by a caller who may only read it.
func (a access) mayChange(p core.Principal, s *ent.WebhookSubscription) error {
	if a.writeAll || s.OwnerOrg == p.Org {
		return nil
	}
	return core.PermissionDenied("%s may read subscription %s but not change it", p, s.ID)
}

// DeleteSubscription ends the subscription id of the caller's
// organisation (any, for administrators): nothing more is delivered to
// it, redeliveries still waiting included (they are recorded as not
// attempted). Deleting it again is not found.
func (w *Webhooks) DeleteSubscription(ctx context.Context, id string) (Subscription, error) {
	p, a, err := w.accessOf(ctx)
	if err != nil {
		return Subscription{}, err
	}
	var out Subscription
	err = w.InTx(ctx, func(tx *ent.Tx) error {
		s, err := w.liveSubscription(ctx, tx.WebhookSubscription, a, "id", id)
		if err != nil {
			return err
		}
		if err := a.mayChange(p, s); err != nil {
			return err
		}
		before := subscriptionOf(s)
		s, err = s.Update().SetDeletedAt(w.Now()).ClearLeaseUntil().SetLeasedBy("").Save(ctx)
		if err != nil {
			return err
		}
		// Its waiting redeliveries are never attempted: they end here, so
		// that the pruning of old attempts reaches them.
		if err := tx.WebhookDelivery.Update().Where(webhookdelivery.SubscriptionID(id), webhookdelivery.Pending(true)).
			SetPending(false).SetError("the subscription was deleted").Exec(ctx); err != nil {
			return err
		}
		out = subscriptionOf(s)
		return w.Record(ctx, tx, p, core.Change{Action: "webhook.unsubscribe", EntityType: EntityType, EntityID: id, Before: before, After: out, Owner: s.OwnerOrg})
	})
	return out, err
}

// Delivery is one attempt to deliver a change to a subscription, or a
// redelivery asked for and not yet attempted (Pending).
type Delivery struct {
	ID             int64      `json:"id"`
	SubscriptionID string     `json:"subscription_id"`
	Seq            int64      `json:"seq"`
	Attempt        int        `json:"attempt"`
	Redelivery     bool       `json:"redelivery"`
	Pending        bool       `json:"pending"`
	RequestedAt    time.Time  `json:"requested_at"`
	AttemptedAt    *time.Time `json:"attempted_at,omitempty"`
	StatusCode     int        `json:"status_code"`
	Succeeded      bool       `json:"succeeded"`
	Error          string     `json:"error,omitempty"`
	NextAttemptAt  *time.Time `json:"next_attempt_at,omitempty"`
}

// IDString is the delivery's id as the API shows it: "whd_" and its
// number.
func (d Delivery) IDString() string { return deliveryPrefix + strconv.FormatInt(d.ID, 10) }

// deliveryCursor reads the key of a deliveries page token: the last
// delivery's id as the API shows it; 0 for the first page. A key of
// another list is a violation of page_token.
func deliveryCursor(v *core.Violations, key string) int64 {
	if key == "" {
		return 0
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(key, deliveryPrefix), 10, 64)
	if !strings.HasPrefix(key, deliveryPrefix) || err != nil || n <= 0 {
		v.Add("page_token", "is not a token of this list")
		return 0
	}
	return n
}

// ChangeID is the delivered change's id, the webhook-id of its deliveries.
func (d Delivery) ChangeID() string { return change.Change{Seq: d.Seq}.ID() }

// Cursor is the delivered change's cursor.
func (d Delivery) Cursor() string { return strconv.FormatInt(d.Seq, 10) }

func deliveryOf(d *ent.WebhookDelivery) Delivery {
	return Delivery{
		ID: int64(d.ID), SubscriptionID: d.SubscriptionID, Seq: d.Seq, Attempt: d.Attempt, Redelivery: d.Redelivery,
		Pending: d.Pending, RequestedAt: d.RequestedAt.UTC(), AttemptedAt: utc(d.AttemptedAt), StatusCode: d.StatusCode,
		Succeeded: d.Succeeded, Error: d.Error, NextAttemptAt: utc(d.NextAttemptAt),
	}
}

// ListDeliveries lists the deliveries of a subscription the caller may
// read, newest first.
func (w *Webhooks) ListDeliveries(ctx context.Context, subscriptionID string, pageSize int, pageToken string) ([]Delivery, string, error) {
	_, a, err := w.accessOf(ctx)
	if err != nil {
		return nil, "", err
	}
	v := &core.Violations{}
	if subscriptionID == "" {
		v.Add("subscription_id", "is required")
	}
	size := core.PageSize(v, pageSize)
	before := deliveryCursor(v, core.DecodePageToken(w.Secrets, v, pageToken))
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	if _, err := w.liveSubscription(ctx, w.DB.WebhookSubscription, a, "subscription_id", subscriptionID); err != nil {
		return nil, "", err
	}
	q := w.DB.WebhookDelivery.Query().Where(webhookdelivery.SubscriptionID(subscriptionID))
	if before > 0 {
		q.Where(webhookdelivery.IDLT(int(before)))
	}
	rows, err := q.Order(ent.Desc(webhookdelivery.FieldID)).Limit(size + 1).All(ctx)
	if err != nil {
		return nil, "", err
	}
	rows, next := core.TrimPage(w.Secrets, rows, size, func(d *ent.WebhookDelivery) string { return deliveryOf(d).IDString() })
	return core.Map(rows, deliveryOf), next, nil
}

// RedeliverChange asks that the change at cursor be delivered to the
// subscription once more, with its webhook-id, and returns the pending
// delivery; the deliverer tries it once, before the subscription's next
// change. The change must be one the subscription delivers (of its types,
// and readable by its owner now) and at or before its cursor; a disabled
// subscription is a failed precondition.
func (w *Webhooks) RedeliverChange(ctx context.Context, subscriptionID, cursor string) (Delivery, error) {
	p, a, err := w.accessOf(ctx)
	if err != nil {
		return Delivery{}, err
	}
	v := &core.Violations{}
	if subscriptionID == "" {
		v.Add("subscription_id", "is required")
	}
	seq := change.ParseCursor(v, "cursor", cursor)
	if cursor == "" {
		v.Add("cursor", "is required: the cursor of the change to deliver again")
	}
	if err := v.Err(); err != nil {
		return Delivery{}, err
	}
	// The change is read before the transaction, which on SQLite holds
	// the only connection; the subscription is read again inside it.
	s, err := w.liveSubscription(ctx, w.DB.WebhookSubscription, a, "subscription_id", subscriptionID)
	if err != nil {
		return Delivery{}, err
	}
	if err := a.mayChange(p, s); err != nil {
		return Delivery{}, err
	}
	if err := redeliverable(s, seq); err != nil {
		return Delivery{}, err
	}
	ch, err := w.Changes.Next(ctx, owner(s), seq-1, seq, s.EntityTypes)
	if err != nil {
		return Delivery{}, err
	}
	if ch == nil {
		return Delivery{}, core.NotFound("subscription %s delivers no change with cursor %s", s.ID, cursor)
	}
	var out Delivery
	err = w.InTx(ctx, func(tx *ent.Tx) error {
		s, err := w.liveSubscription(ctx, tx.WebhookSubscription, a, "subscription_id", subscriptionID)
		if err != nil {
			return err
		}
		if err := redeliverable(s, seq); err != nil {
			return err
		}
		pending, err := tx.WebhookDelivery.Query().Where(webhookdelivery.SubscriptionID(s.ID), webhookdelivery.Pending(true)).Count(ctx)
		if err != nil {
			return err
		}
		if pending >= MaxPendingRedeliveries {
			return core.NewError(core.KindResourceExhausted, "subscription %s has %d redeliveries waiting, the most it may have", s.ID, pending)
		}
		d, err := tx.WebhookDelivery.Create().SetSubscriptionID(s.ID).SetSeq(seq).SetRedelivery(true).SetPending(true).
			SetRequestedAt(w.Now()).Save(ctx)
		if err != nil {
			return err
		}
		out = deliveryOf(d)
		return w.Record(ctx, tx, p, core.Change{Action: "webhook.redeliver", EntityType: EntityType, EntityID: s.ID,
			After: out, Owner: s.OwnerOrg, Reason: fmt.Sprintf("change %s", ch.ID())})
	})
	return out, err
}

// redeliverable refuses a redelivery of seq by s when s is disabled or
// has not reached seq yet.
func redeliverable(s *ent.WebhookSubscription, seq int64) error {
	if s.DisabledAt != nil {
		return core.FailedPrecondition("subscription %s was disabled (%s); subscribe again to deliver to it", s.ID, s.DisabledReason)
	}
	if seq > s.Cursor {
		return core.FailedPrecondition("change %d is after the subscription's cursor %d and will be delivered in its turn", seq, s.Cursor)
	}
	return nil
}
