// Package webhook signs and sends the registry's webhook deliveries
// (Standard Webhooks) and checks receiver URLs.
//
// It owns the wire side only: the signing secret ("whsec_" and base64 of
// the key), the signature over "id.timestamp.body" and the three headers
// that carry it (Sign, and Verify for receivers and tests), the rule of
// where a delivery may go (Policy, CheckURL, IsPrivate), and the HTTP
// sender that enforces that rule again when it connects, after DNS
// (Sender). It knows nothing of subscriptions, changes or storage; the
// delivery queue that uses it is registry/webhook.
package webhook
