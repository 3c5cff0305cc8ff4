// Package webhook owns the registry's webhook subscriptions and their
// delivery queue: who may subscribe a URL to the change feed (the
// caller's read scope, registry/change), the subscription's signing
// secret (sealed at rest under the secret key, shown once), and the
// at-least-once delivery of each subscription's changes in cursor order,
// with retries, backoff and disabling, kept in rows so that it survives
// restarts and is shared safely by several processes (leases). How a
// delivery is signed and sent over HTTP is the top-level package webhook.
package webhook
