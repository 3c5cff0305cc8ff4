package ratelimit

import (
	"sync"
	"time"
)

// PerKey is a token bucket per key, each refilled at Rate tokens a second
// up to Burst. It is safe for concurrent use; buckets that have refilled
// are forgotten, so memory follows the keys seen in the last minute.
type PerKey struct {
	rate, burst float64

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// New returns buckets of rate tokens a second up to burst. A rate of 0 or
// less means no limit: Allow always answers true.
func New(rate float64, burst int) *PerKey {
	return &PerKey{rate: rate, burst: float64(burst), buckets: map[string]*bucket{}}
}

// Allow spends one token of key's bucket at now and reports whether there
// was one.
func (s *PerKey) Allow(key string, now time.Time) bool {
	if s == nil || s.rate <= 0 {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.lastSweep) > time.Minute {
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
