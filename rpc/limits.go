package rpc

import (
	"context"
	"net"
	"time"

	"connectrpc.com/connect/v2"

	"github.com/hangzhou-ai/registry/ratelimit"
	"github.com/hangzhou-ai/registry/registry"
)

// Limits bound what one caller can ask of the server.
type Limits struct {
	// PerSecond and Burst size each principal's token bucket; a call
	// beyond it is refused with resource_exhausted. PerSecond 0 turns
	// rate limiting off.
	PerSecond float64
	Burst     int
	// MaxCallDuration bounds a call without a shorter deadline of its own;
	// the deadline reaches every database query through the context.
	MaxCallDuration time.Duration
	// PublicPerSecond and PublicBurst size the bucket of each client
	// address for calls that need no token (the verification service):
	// anyone may check a certificate or an attestation, but no one address
	// may flood the registry doing so. PublicPerSecond 0 turns it off.
	PublicPerSecond float64
	PublicBurst     int
	// Principals, when set, replaces PerSecond and Burst with buckets
	// shared with the console's pages, so a principal has one budget for
	// both.
	Principals *ratelimit.PerKey
	// Public, when set, replaces PublicPerSecond and PublicBurst with
	// buckets shared with other listeners of the same port (the web
	// pages), so an address has one budget for both.
	Public *ratelimit.PerKey
}

// DefaultLimits suit one registry serving a city's bureaus.
var DefaultLimits = Limits{PerSecond: 100, Burst: 200, MaxCallDuration: 30 * time.Second, PublicPerSecond: 20, PublicBurst: 40}

// limitInterceptor applies Limits after authentication.
func limitInterceptor(l Limits) connect.ServerInterceptor {
	buckets := l.Principals
	if buckets == nil {
		buckets = ratelimit.New(l.PerSecond, l.Burst)
	}
	public, publicOn := l.Public, l.Public != nil || l.PublicPerSecond > 0
	if public == nil {
		public = ratelimit.New(l.PublicPerSecond, l.PublicBurst)
	}
	return func(next connect.ServerFunc) connect.ServerFunc {
		return func(ctx context.Context, spec connect.Spec, stream connect.ServerStream) error {
			p, ok := registry.PrincipalFrom(ctx)
			switch {
			case ok && (l.PerSecond > 0 || l.Principals != nil):
				if !buckets.Allow(p.Key(), time.Now()) {
					return connect.NewError(connect.CodeResourceExhausted, "too many requests from this principal; slow down")
				}
			case !ok && publicOn && isPublic(spec.Procedure):
				if !public.Allow(clientAddress(ctx), time.Now()) {
					return connect.NewError(connect.CodeResourceExhausted, "too many requests from this address; slow down")
				}
			}
			if l.MaxCallDuration > 0 && spec.StreamType == connect.StreamTypeUnary {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, l.MaxCallDuration)
				defer cancel()
			}
			return next(ctx, spec, stream)
		}
	}
}

// clientAddress is the calling host (the peer address without its port),
// or "" when the transport has none.
func clientAddress(ctx context.Context) string {
	info, ok := connect.CallInfoForServerContext(ctx)
	if !ok || info == nil {
		return ""
	}
	if host, _, err := net.SplitHostPort(info.PeerAddr); err == nil {
		return host
	}
	return info.PeerAddr
}
