package rpc

import (
	"testing"
	"time"
)

// TestTokenBucket checks the burst, the refill rate and that principals
// do not share a bucket.
func TestTokenBucket(t *testing.T) {
	s := &bucketSet{buckets: map[string]*bucket{}, rate: 10, burst: 5}
	start := time.Unix(1_800_000_000, 0)
	taken := 0
	for range 8 {
		if s.take("a", start) {
			taken++
		}
	}
	if taken != 5 {
		t.Fatalf("burst: %d calls allowed, want 5", taken)
	}
	if !s.take("b", start) {
		t.Fatal("another principal was limited by the first's bucket")
	}
	if s.take("a", start.Add(50*time.Millisecond)) {
		t.Fatal("half a token was spent")
	}
	if !s.take("a", start.Add(100*time.Millisecond)) || s.take("a", start.Add(100*time.Millisecond)) {
		t.Fatal("refill of one token per 100ms not honoured")
	}
}
