package webhook

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/webhookdelivery"
	"github.com/hangzhou-ai/registry/ent/webhooksubscription"
	"github.com/hangzhou-ai/registry/registry/change"
	"github.com/hangzhou-ai/registry/registry/internal/core"
	"github.com/hangzhou-ai/registry/seal"
	wire "github.com/hangzhou-ai/registry/webhook"
)

// Defaults of DeliveryConfig.
const (
	DefaultRetryFor      = 72 * time.Hour
	DefaultFirstRetry    = 5 * time.Second
	DefaultMaxRetryDelay = time.Hour
	DefaultLease         = time.Minute
	DefaultPoll          = time.Second
	DefaultWorkers       = 4
	// DeliveryRetention is how long attempts stay listed.
	DeliveryRetention = 30 * 24 * time.Hour
	// maxErrorLen bounds an attempt's recorded error.
	maxErrorLen = 300
	// stepsPerLease bounds the changes one subscription is sent before
	// the others get their turn.
	stepsPerLease = 100
)

// DeliveryConfig is how Deliver sends. Send and Encode are required; zero
// durations take the defaults.
type DeliveryConfig struct {
	// Send posts one signed delivery and returns the receiver's status;
	// nil error only for a success (wire.Sender.Send).
	Send func(context.Context, wire.Message) (int, error)
	// Encode is a change's body, as the API renders a Change in JSON.
	Encode func(change.Change) ([]byte, error)
	// RetryFor is how long a change is retried before the subscription is
	// disabled.
	RetryFor time.Duration
	// FirstRetry is the delay after the first failure; each further
	// failure doubles it, up to MaxRetryDelay, with up to a fifth of
	// jitter either way.
	FirstRetry, MaxRetryDelay time.Duration
	// Lease is how long a process holds a subscription it delivers; a
	// process that dies leaves it to others when the lease ends. No
	// attempt starts in the last quarter of a lease, which must therefore
	// be longer than one attempt may last (Send's timeout), or another
	// process could send later changes while one is still in flight.
	Lease time.Duration
	// Poll is how often due retries and redeliveries are looked for
	// between changes.
	Poll time.Duration
	// Workers bounds the subscriptions delivered at once.
	Workers int
}

func (c DeliveryConfig) withDefaults() DeliveryConfig {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.RetryFor, DefaultRetryFor)
	def(&c.FirstRetry, DefaultFirstRetry)
	def(&c.MaxRetryDelay, DefaultMaxRetryDelay)
	def(&c.Lease, DefaultLease)
	def(&c.Poll, DefaultPoll)
	if c.Workers <= 0 {
		c.Workers = DefaultWorkers
	}
	return c
}

// retryDelay is the wait after the n-th failed attempt (n ≥ 1) at a
// change.
func (c DeliveryConfig) retryDelay(n int) time.Duration {
	d := c.FirstRetry
	for i := 1; i < n && d < c.MaxRetryDelay; i++ {
		d *= 2
	}
	d = min(d, c.MaxRetryDelay)
	jitter := time.Duration(rand.Int64N(int64(d)/5 + 1))
	if rand.IntN(2) == 0 {
		return d - jitter
	}
	return d + jitter
}

// deliverer is the principal recorded for what the delivery queue does
// on its own (disabling a subscription).
var deliverer = core.Principal{Subject: "webhook-deliverer", Org: "admin", Role: "admin"}

// Deliver delivers every subscription's changes until ctx ends: woken by
// each commit (change.Changes.Notify) and every cfg.Poll for retries and
// redeliveries that fall due. Each subscription gets its changes in cursor
// order, at least once: the cursor moves past a change only once the
// receiver answered 2xx. A failed change is retried with backoff for
// cfg.RetryFor, then the subscription is disabled, with the reason and an
// audit event. Everything is in rows, so a restart, or another process
// delivering the same database, goes on where this one stopped; a
// subscription is delivered by one process at a time (a lease). On return
// this process's leases are given up.
func (w *Webhooks) Deliver(ctx context.Context, cfg DeliveryConfig) error {
	if cfg.Send == nil || cfg.Encode == nil {
		return errors.New("webhook: DeliveryConfig.Send and Encode are required")
	}
	cfg = cfg.withDefaults()
	d := w.newRun(cfg)
	defer d.release()
	wake, cancel := w.Changes.Notify()
	defer cancel()
	tick := time.NewTicker(cfg.Poll)
	defer tick.Stop()
	var pruned time.Time
	for {
		if _, err := d.pass(ctx); err != nil && ctx.Err() == nil {
			w.Log.Warn("delivering webhooks failed; trying again", zap.Error(err))
		}
		if now := w.Now(); now.Sub(pruned) > time.Hour {
			pruned = now
			d.prune(ctx)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-tick.C:
		}
	}
}

// DeliverDue makes one pass over the subscriptions with something due
// and returns how many attempts it made: what Deliver does each time it
// wakes, for tests and one-off runs.
func (w *Webhooks) DeliverDue(ctx context.Context, cfg DeliveryConfig) (int, error) {
	if cfg.Send == nil || cfg.Encode == nil {
		return 0, errors.New("webhook: DeliveryConfig.Send and Encode are required")
	}
	d := w.newRun(cfg.withDefaults())
	defer d.release()
	return d.pass(ctx)
}

// run is one process's delivery: its lease holder name and settings.
type run struct {
	w   *Webhooks
	cfg DeliveryConfig
	me  string
}

func (w *Webhooks) newRun(cfg DeliveryConfig) *run {
	return &run{w: w, cfg: cfg, me: "deliverer-" + hex.EncodeToString(seal.RandomBytes(8))}
}

// pass delivers every subscription with something due: changes after its
// cursor, a redelivery, or a retry whose time has come.
func (d *run) pass(ctx context.Context) (int, error) {
	head, err := d.w.Changes.Head(ctx)
	if err != nil {
		return 0, err
	}
	now := d.w.Now()
	withRedelivery, err := d.w.DB.WebhookDelivery.Query().Where(webhookdelivery.Pending(true)).
		Select(webhookdelivery.FieldSubscriptionID).Strings(ctx)
	if err != nil {
		return 0, err
	}
	ids, err := d.w.DB.WebhookSubscription.Query().Where(
		webhooksubscription.DeletedAtIsNil(), webhooksubscription.DisabledAtIsNil(),
		webhooksubscription.Or(webhooksubscription.NextAttemptAtIsNil(), webhooksubscription.NextAttemptAtLTE(now)),
		webhooksubscription.Or(webhooksubscription.LeaseUntilIsNil(), webhooksubscription.LeaseUntilLT(now)),
		webhooksubscription.Or(webhooksubscription.CursorLT(head), webhooksubscription.IDIn(withRedelivery...)),
	).Order(ent.Asc(webhooksubscription.FieldID)).IDs(ctx)
	if err != nil {
		return 0, err
	}
	var (
		mu       sync.Mutex
		attempts int
		errs     []error
		wg       sync.WaitGroup
		slots    = make(chan struct{}, d.cfg.Workers)
	)
	for _, id := range ids {
		if ctx.Err() != nil {
			break
		}
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			n, err := d.deliverSubscription(ctx, id, head)
			mu.Lock()
			attempts += n
			if err != nil {
				errs = append(errs, fmt.Errorf("subscription %s: %w", id, err))
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return attempts, errors.Join(errs...)
}

// claim takes the lease of subscription id, if it is free and still due;
// nil when another process holds it or it is no longer deliverable.
func (d *run) claim(ctx context.Context, id string) (*ent.WebhookSubscription, error) {
	now := d.w.Now()
	n, err := d.w.DB.WebhookSubscription.Update().Where(webhooksubscription.ID(id),
		webhooksubscription.DeletedAtIsNil(), webhooksubscription.DisabledAtIsNil(),
		webhooksubscription.Or(webhooksubscription.LeaseUntilIsNil(), webhooksubscription.LeaseUntilLT(now)),
	).SetLeaseUntil(now.Add(d.cfg.Lease)).SetLeasedBy(d.me).Save(ctx)
	if err != nil || n == 0 {
		return nil, err
	}
	return d.w.DB.WebhookSubscription.Get(ctx, id)
}

// held selects subscription id while this run holds its lease.
func (d *run) held(id string) *ent.WebhookSubscriptionUpdate {
	return d.w.DB.WebhookSubscription.Update().Where(webhooksubscription.ID(id),
		webhooksubscription.LeasedBy(d.me), webhooksubscription.DeletedAtIsNil())
}

// deliverSubscription delivers what is due of one subscription, under its
// lease: waiting redeliveries first, then its changes up to head, until
// one fails, stepsPerLease are sent or ctx ends.
func (d *run) deliverSubscription(ctx context.Context, id string, head int64) (attempts int, err error) {
	s, err := d.claim(ctx, id)
	if err != nil || s == nil {
		return 0, err
	}
	defer func() {
		if rerr := d.held(id).ClearLeaseUntil().SetLeasedBy("").Exec(context.WithoutCancel(ctx)); rerr != nil {
			err = errors.Join(err, rerr)
		}
	}()
	secret, err := d.w.Secrets.Open(s.SecretSealed, SecretAAD(s.ID))
	if err != nil {
		return 0, fmt.Errorf("opening the signing secret: %w", err)
	}
	for attempts < stepsPerLease && ctx.Err() == nil {
		if d.w.Now().After(d.leaseEnd(s)) {
			return attempts, nil // the lease is over: leave the rest to the next claim
		}
		redelivery, err := d.w.DB.WebhookDelivery.Query().Where(webhookdelivery.SubscriptionID(id), webhookdelivery.Pending(true)).
			Order(ent.Asc(webhookdelivery.FieldID)).First(ctx)
		switch {
		case err == nil:
			attempts++
			if err := d.redeliver(ctx, s, secret, redelivery); err != nil {
				return attempts, err
			}
			continue
		case !ent.IsNotFound(err):
			return attempts, err
		}
		if s.NextAttemptAt != nil && s.NextAttemptAt.After(d.w.Now()) {
			return attempts, nil // a retry not yet due
		}
		ch, err := d.w.Changes.Next(ctx, owner(s), s.Cursor, head, s.EntityTypes)
		if err != nil {
			return attempts, err
		}
		if ch == nil {
			// Nothing more the owner may read: pass over the rest, and with
			// it any failure being retried (of a change no longer readable).
			if s.Cursor < head {
				return attempts, d.held(id).Where(webhooksubscription.Cursor(s.Cursor)).SetCursor(head).
					SetAttempts(0).ClearFailingSince().ClearNextAttemptAt().Exec(ctx)
			}
			return attempts, nil
		}
		attempts++
		ok, err := d.deliverChange(ctx, s, secret, ch)
		if err != nil || !ok {
			return attempts, err
		}
	}
	return attempts, nil
}

// leaseEnd is when this run must stop delivering s: a little before its
// lease ends, so no attempt outlives it.
func (d *run) leaseEnd(s *ent.WebhookSubscription) time.Time {
	return s.LeaseUntil.Add(-d.cfg.Lease / 4)
}

// send signs and posts ch to s.
func (d *run) send(ctx context.Context, s *ent.WebhookSubscription, secret string, ch *change.Change) (int, error) {
	body, err := d.cfg.Encode(*ch)
	if err != nil {
		return 0, fmt.Errorf("encoding change %s: %w", ch.ID(), err)
	}
	return d.cfg.Send(ctx, wire.Message{URL: s.URL, ID: ch.ID(), Secret: secret, Timestamp: d.w.Now(), Body: body})
}

// deliverChange makes one attempt at ch, the change after s's cursor, and
// records it: on success the cursor moves to it; on failure the next
// attempt is scheduled, or the subscription disabled once it has failed
// for cfg.RetryFor. It reports whether the attempt succeeded; after a
// success s holds the cursor and lease recorded (after a failure the
// caller stops delivering s).
func (d *run) deliverChange(ctx context.Context, s *ent.WebhookSubscription, secret string, ch *change.Change) (bool, error) {
	status, sendErr := d.send(ctx, s, secret, ch)
	if sendErr != nil && ctx.Err() != nil {
		return false, nil // stopped mid-attempt: nothing happened that counts
	}
	now := d.w.Now()
	attempt := s.Attempts + 1
	var next *time.Time
	var disable string
	err := d.w.InTx(ctx, func(tx *ent.Tx) error {
		up := tx.WebhookSubscription.Update().Where(webhooksubscription.ID(s.ID), webhooksubscription.LeasedBy(d.me),
			webhooksubscription.DeletedAtIsNil(), webhooksubscription.Cursor(s.Cursor))
		if sendErr == nil {
			up.SetCursor(ch.Seq).SetAttempts(0).ClearFailingSince().ClearNextAttemptAt().SetLeaseUntil(now.Add(d.cfg.Lease))
		} else {
			since := now
			if s.FailingSince != nil {
				since = *s.FailingSince
			}
			up.SetAttempts(attempt).SetFailingSince(since)
			if now.Sub(since) >= d.cfg.RetryFor {
				disable = fmt.Sprintf("change %s failed %d times over %s; last: %s", ch.ID(), attempt,
					now.Sub(since).Round(time.Second), errorText(sendErr))
				up.SetDisabledAt(now).SetDisabledReason(disable).ClearNextAttemptAt()
			} else {
				at := now.Add(d.cfg.retryDelay(attempt))
				next = &at
				up.SetNextAttemptAt(at)
			}
		}
		n, err := up.Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return errLostLease
		}
		if _, err := tx.WebhookDelivery.Create().SetSubscriptionID(s.ID).SetSeq(ch.Seq).SetAttempt(attempt).
			SetRequestedAt(now).SetAttemptedAt(now).SetStatusCode(status).SetSucceeded(sendErr == nil).
			SetError(errorText(sendErr)).SetNillableNextAttemptAt(next).Save(ctx); err != nil {
			return err
		}
		if disable != "" {
			// A disabled subscription attempts no redelivery still waiting.
			if err := tx.WebhookDelivery.Update().Where(webhookdelivery.SubscriptionID(s.ID), webhookdelivery.Pending(true)).
				SetPending(false).SetError("the subscription was disabled").Exec(ctx); err != nil {
				return err
			}
			after, err := tx.WebhookSubscription.Get(ctx, s.ID)
			if err != nil {
				return err
			}
			return d.w.Record(ctx, tx, deliverer, core.Change{Action: "webhook.disable", EntityType: EntityType, EntityID: s.ID,
				Before: subscriptionOf(s), After: subscriptionOf(after), Owner: s.OwnerOrg, Reason: disable})
		}
		return nil
	})
	if errors.Is(err, errLostLease) {
		return false, nil // deleted, or the lease passed to another process
	}
	if err != nil {
		return false, err
	}
	if sendErr == nil {
		// What the update recorded, so the next change follows from it.
		lease := now.Add(d.cfg.Lease)
		s.Cursor, s.Attempts, s.FailingSince, s.NextAttemptAt, s.LeaseUntil = ch.Seq, 0, nil, nil, &lease
	}
	if disable != "" {
		d.w.Log.Warn("webhook subscription disabled", zap.String("subscription", s.ID), zap.String("reason", disable))
	}
	return sendErr == nil, nil
}

var errLostLease = errors.New("the subscription's lease was lost")

// redeliver makes the one attempt at a redelivery and records it in its
// row; the subscription's cursor and retries are not touched.
func (d *run) redeliver(ctx context.Context, s *ent.WebhookSubscription, secret string, r *ent.WebhookDelivery) error {
	ch, err := d.w.Changes.Next(ctx, owner(s), r.Seq-1, r.Seq, s.EntityTypes)
	if err != nil {
		return err
	}
	var status int
	var sendErr error
	if ch == nil {
		sendErr = errors.New("the change is no longer one the subscription's owner may read")
	} else {
		status, sendErr = d.send(ctx, s, secret, ch)
		if sendErr != nil && ctx.Err() != nil {
			return nil
		}
	}
	now := d.w.Now()
	return d.w.DB.WebhookDelivery.UpdateOneID(r.ID).Where(webhookdelivery.Pending(true)).SetPending(false).
		SetAttemptedAt(now).SetStatusCode(status).SetSucceeded(sendErr == nil).SetError(errorText(sendErr)).Exec(ctx)
}

func errorText(err error) string {
	if err == nil {
		return ""
	}
	return core.Truncate(err.Error(), maxErrorLen)
}

// release gives up the leases this run still holds.
func (d *run) release() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.w.DB.WebhookSubscription.Update().Where(webhooksubscription.LeasedBy(d.me)).
		ClearLeaseUntil().SetLeasedBy("").Exec(ctx); err != nil {
		d.w.Log.Warn("giving up webhook leases failed; they end on their own", zap.Error(err))
	}
}

// prune forgets attempts older than DeliveryRetention.
func (d *run) prune(ctx context.Context) {
	_, err := d.w.DB.WebhookDelivery.Delete().Where(webhookdelivery.Pending(false),
		webhookdelivery.RequestedAtLT(d.w.Now().Add(-DeliveryRetention))).Exec(ctx)
	if err != nil && ctx.Err() == nil {
		d.w.Log.Warn("forgetting old webhook deliveries failed", zap.Error(err))
	}
}
