package webhook_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// TestPassingOverEndsTheFailure: when the change a subscription kept
// failing on is no longer one its owner may read, the deliverer passes
// over it to the head; the failure ends with it, so a later change that
// fails once is retried, not taken as having failed since the first.
func TestPassingOverEndsTheFailure(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		reg, clock := open(t, db)
		viewer := registrytest.As(t.Context(), "viewer", economy)
		r := newReceiver(t, 500, 500)
		sub := r.subscribe(t, reg, viewer, "enterprise")
		cfg := loopbackConfig()
		cfg.RetryFor = 3 * time.Hour
		register(t, reg, 0, 1)
		deliverDue(t, reg, cfg)
		if len(r.deliveries()) != 1 {
			t.Fatalf("got %d requests", len(r.deliveries()))
		}

		// The owner's read scope is withdrawn (as a policy change would),
		// then given back once the deliverer has passed over the change.
		raw := storetest.OpenSQL(t, db)
		setRole := func(role string) {
			t.Helper()
			if _, err := raw.ExecContext(t.Context(), storetest.Rebind(db, "UPDATE webhook_subscriptions SET owner_role = ? WHERE id = ?"), role, sub.ID); err != nil {
				t.Fatal(err)
			}
		}
		setRole("no-such-role")
		clock.Set(clock.Now().Add(4 * time.Hour))
		deliverDue(t, reg, cfg)
		if len(r.deliveries()) != 1 {
			t.Fatal("a change the owner may not read was delivered")
		}
		setRole("viewer")

		register(t, reg, 1, 2)
		deliverDue(t, reg, cfg)
		if len(r.deliveries()) != 2 {
			t.Fatalf("got %d requests", len(r.deliveries()))
		}
		subs, _, err := reg.ListSubscriptions(viewer, 0, "")
		if err != nil {
			t.Fatal(err)
		}
		if subs[0].DisabledAt != nil {
			t.Fatalf("disabled after one failure of a new change: %s", subs[0].DisabledReason)
		}
		ds, _, err := reg.ListDeliveries(viewer, sub.ID, 0, "")
		if err != nil {
			t.Fatal(err)
		}
		if ds[0].Attempt != 1 || ds[0].NextAttemptAt == nil {
			t.Fatalf("the new change's first failure recorded as %+v", ds[0])
		}
	})
}

// TestDeletingEndsPendingRedeliveries: a redelivery still waiting when
// its subscription is deleted is never attempted; it does not stay
// pending, where the pruning of old attempts would never reach it.
func TestDeletingEndsPendingRedeliveries(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		reg, _ := open(t, db)
		viewer := registrytest.As(t.Context(), "viewer", economy)
		r := newReceiver(t)
		sub := r.subscribe(t, reg, viewer, "enterprise")
		register(t, reg, 0, 1)
		deliverDue(t, reg, loopbackConfig())
		if len(r.deliveries()) != 1 {
			t.Fatalf("got %d requests", len(r.deliveries()))
		}
		if _, err := reg.RedeliverChange(viewer, sub.ID, strings.TrimPrefix(r.ids()[0], "chg_")); err != nil {
			t.Fatal(err)
		}
		if _, err := reg.DeleteSubscription(viewer, sub.ID); err != nil {
			t.Fatal(err)
		}
		var pending int
		if err := storetest.OpenSQL(t, db).QueryRowContext(t.Context(), storetest.Rebind(db,
			"SELECT COUNT(*) FROM webhook_deliveries WHERE subscription_id = ? AND pending"), sub.ID).Scan(&pending); err != nil {
			t.Fatal(err)
		}
		if pending != 0 {
			t.Fatalf("%d redeliveries of the deleted subscription are still pending", pending)
		}
	})
}
