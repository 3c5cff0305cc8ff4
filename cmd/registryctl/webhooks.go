package main

import (
	"github.com/spf13/pflag"

	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
)

// Webhook subscriptions to the change feed: WebhookService.

func webhookSubscribe(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.CreateSubscriptionRequest
	fs.StringSliceVar(&req.EntityTypes, "type", nil, "deliver only changes to this entity `type` (repeat, or separate by commas; default: every type you may read)")
	return func(pos []string) error {
		req.Url = pos[0]
		res, err := inv.clients().Webhook.CreateSubscription(inv.ctx, &req)
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) {
			s := res.GetSubscription()
			t.row("ID", "URL", "TYPES", "OWNER")
			t.row(s.GetId(), s.GetUrl(), entityTypes(s.GetEntityTypes()), s.GetOwnerOrg())
			t.line("secret: %s", res.GetSecret())
			t.line("(shown only now: the receiver checks each delivery's webhook-signature with it)")
		})
	}
}

func webhookList(inv *invocation, fs *pflag.FlagSet) action {
	var page pageFlags
	page.register(fs)
	return func([]string) error {
		res, err := inv.clients().Webhook.ListSubscriptions(inv.ctx, &registryv1.ListSubscriptionsRequest{PageSize: int32(page.size), PageToken: page.token})
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) {
			t.row("ID", "URL", "TYPES", "OWNER", "CURSOR", "DISABLED")
			for _, s := range res.GetSubscriptions() {
				disabled := ""
				if s.GetDisabledAt() != nil {
					disabled = stamp(s.GetDisabledAt()) + " " + s.GetDisabledReason()
				}
				t.row(s.GetId(), s.GetUrl(), entityTypes(s.GetEntityTypes()), s.GetOwnerOrg(), s.GetCursor(), disabled)
			}
			nextPage(t, res.GetNextPageToken())
		})
	}
}

// entityTypes is a subscription's types for a table: none means all its
// owner may read.
func entityTypes(types []string) string {
	if len(types) == 0 {
		return "all"
	}
	return list(types)
}

func webhookDelete(inv *invocation, fs *pflag.FlagSet) action {
	return func(pos []string) error {
		res, err := inv.clients().Webhook.DeleteSubscription(inv.ctx, &registryv1.DeleteSubscriptionRequest{Id: pos[0]})
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) { t.line("subscription %s deleted: nothing more is delivered to it", pos[0]) })
	}
}

func webhookDeliveries(inv *invocation, fs *pflag.FlagSet) action {
	var page pageFlags
	page.register(fs)
	return func(pos []string) error {
		res, err := inv.clients().Webhook.ListDeliveries(inv.ctx, &registryv1.ListDeliveriesRequest{
			SubscriptionId: pos[0], PageSize: int32(page.size), PageToken: page.token})
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) {
			deliveryRows(t, res.GetDeliveries()...)
			nextPage(t, res.GetNextPageToken())
		})
	}
}

func webhookRedeliver(inv *invocation, fs *pflag.FlagSet) action {
	return func(pos []string) error {
		res, err := inv.clients().Webhook.RedeliverChange(inv.ctx, &registryv1.RedeliverChangeRequest{SubscriptionId: pos[0], Cursor: pos[1]})
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) { deliveryRows(t, res.GetDelivery()) })
	}
}

// deliveryRows shows deliveries; one not attempted yet (a redelivery
// waiting for the deliverer) says so in ATTEMPTED AT and leaves the
// outcome's columns empty.
func deliveryRows(t *table, ds ...*registryv1.Delivery) {
	t.row("ID", "CHANGE", "ATTEMPT", "ATTEMPTED AT", "STATUS", "OK", "ERROR", "NEXT ATTEMPT")
	for _, d := range ds {
		attempted, ok := "not yet", ""
		if d.GetAttemptedAt() != nil {
			attempted, ok = stamp(d.GetAttemptedAt()), yesNo(d.GetSucceeded())
		}
		t.row(d.GetId(), d.GetChangeId(), num(d.GetAttempt()), attempted, num(d.GetStatusCode()), ok, d.GetError(), stamp(d.GetNextAttemptAt()))
	}
}
