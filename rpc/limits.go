package rpc

import (
	"context"
	"sync"
	"time"

	"connectrpc.com/connect/v2"

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
}

// DefaultLimits suit one registry serving a city's bureaus.
var DefaultLimits = Limits{PerSecond: 100, Burst: 200, MaxCallDuration: 30 * time.Second}

// limitInterceptor applies Limits after authentication.
func limitInterceptor(l Limits) connect.ServerInterceptor {
	buckets := &bucketSet{buckets: map[string]*bucket{}, rate: l.PerSecond, burst: float64(l.Burst)}
	return func(next connect.ServerFunc) connect.ServerFunc {
		return func(ctx context.Context, spec connect.Spec, stream connect.ServerStream) error {
			if p, ok := registry.PrincipalFrom(ctx); ok && l.PerSecond > 0 {
				if !buckets.take(p.Subject+"\x00"+p.Org+"\x00"+p.Role, time.Now()) {
					return connect.NewError(connect.CodeResourceExhausted, "too many requests from this principal; slow down")
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

// bucket is one principal's token bucket.
type bucket struct {
	tokens float64
	last   time.Time
}

// bucketSet holds the buckets of every principal seen recently.
type bucketSet struct {
	mu          sync.Mutex
	buckets     map[string]*bucket
	rate, burst float64
	lastSweep   time.Time
}

// take spends one token of key's bucket, refilled at rate up to burst.
func (s *bucketSet) take(key string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.lastSweep) > time.Minute {
		// Forget buckets that have refilled: they hold nothing.
		for k, b := range s.buckets {
			if now.Sub(b.last).Seconds()*s.rate >= s.burst {
				delete(s.buckets, k)
			}
		}
		s.lastSweep = now
	}
	b, ok := s.buckets[key]
	if !ok {
		b = &bucket{tokens: s.burst, last: now}
		s.buckets[key] = b
	}
	b.tokens = min(s.burst, b.tokens+now.Sub(b.last).Seconds()*s.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
