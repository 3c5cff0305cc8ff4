package rpc

import (
	"context"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/change"
	"github.com/hangzhou-ai/registry/registry/webhook"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/gen/registry/v1/registryv1connect"
)

type webhookService struct {
	registryv1connect.UnimplementedWebhookServiceHandler
	reg *registry.Registry
}

func (s *webhookService) CreateSubscription(ctx context.Context, req *registryv1.CreateSubscriptionRequest) (*registryv1.CreateSubscriptionResponse, error) {
	sub, secret, err := s.reg.CreateSubscription(ctx, webhook.NewSubscription{URL: req.Url, EntityTypes: req.EntityTypes})
	if err != nil {
		return nil, err
	}
	return &registryv1.CreateSubscriptionResponse{Subscription: toSubscription(sub), Secret: secret}, nil
}

func (s *webhookService) ListSubscriptions(ctx context.Context, req *registryv1.ListSubscriptionsRequest) (*registryv1.ListSubscriptionsResponse, error) {
	subs, next, err := s.reg.ListSubscriptions(ctx, int(req.PageSize), req.PageToken)
	if err != nil {
		return nil, err
	}
	out := &registryv1.ListSubscriptionsResponse{NextPageToken: next}
	for _, sub := range subs {
		out.Subscriptions = append(out.Subscriptions, toSubscription(sub))
	}
	return out, nil
}

func (s *webhookService) DeleteSubscription(ctx context.Context, req *registryv1.DeleteSubscriptionRequest) (*registryv1.DeleteSubscriptionResponse, error) {
	if _, err := s.reg.DeleteSubscription(ctx, req.Id); err != nil {
		return nil, err
	}
	return &registryv1.DeleteSubscriptionResponse{}, nil
}

func (s *webhookService) ListDeliveries(ctx context.Context, req *registryv1.ListDeliveriesRequest) (*registryv1.ListDeliveriesResponse, error) {
	ds, next, err := s.reg.ListDeliveries(ctx, req.SubscriptionId, int(req.PageSize), req.PageToken)
	if err != nil {
		return nil, err
	}
	out := &registryv1.ListDeliveriesResponse{NextPageToken: next}
	for _, d := range ds {
		out.Deliveries = append(out.Deliveries, toDelivery(d))
	}
	return out, nil
}

func (s *webhookService) RedeliverChange(ctx context.Context, req *registryv1.RedeliverChangeRequest) (*registryv1.RedeliverChangeResponse, error) {
	d, err := s.reg.RedeliverChange(ctx, req.SubscriptionId, req.Cursor)
	if err != nil {
		return nil, err
	}
	return &registryv1.RedeliverChangeResponse{Delivery: toDelivery(d)}, nil
}

func toSubscription(s webhook.Subscription) *registryv1.Subscription {
	return &registryv1.Subscription{
		Id: s.ID, Url: s.URL, EntityTypes: s.EntityTypes, OwnerOrg: s.OwnerOrg, CreatedBy: s.CreatedBy,
		CreatedAt: timestamp(s.CreatedAt), Cursor: webhookCursor(s.Cursor), DisabledAt: optionalTimestamp(s.DisabledAt),
		DisabledReason: s.DisabledReason,
	}
}

func toDelivery(d webhook.Delivery) *registryv1.Delivery {
	return &registryv1.Delivery{
		Id: d.IDString(), SubscriptionId: d.SubscriptionID, ChangeId: d.ChangeID(), Cursor: d.Cursor(),
		Attempt: int32(d.Attempt), AttemptedAt: optionalTimestamp(d.AttemptedAt), StatusCode: int32(d.StatusCode),
		Succeeded: d.Succeeded, Error: d.Error, NextAttemptAt: optionalTimestamp(d.NextAttemptAt),
	}
}

// webhookCursor renders a subscription's cursor as the feed's cursors
// are, empty before the first change.
func webhookCursor(seq int64) string {
	if seq == 0 {
		return ""
	}
	return change.Change{Seq: seq}.Cursor()
}
