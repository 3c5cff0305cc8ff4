package ratelimit

import (
	"testing"
	"time"
)

// TestPerKey checks the burst, the refill rate, that keys do not share a
// bucket, and that a zero rate means no limit.
func TestPerKey(t *testing.T) {
	s := New(10, 5)
	start := time.Unix(1_800_000_000, 0)
	taken := 0
	for range 8 {
		if s.Allow("a", start) {
			taken++
		}
	}
	if taken != 5 {
		t.Fatalf("burst: %d calls allowed, want 5", taken)
	}
	if !s.Allow("b", start) {
		t.Fatal("another key was limited by the first's bucket")
	}
	if s.Allow("a", start.Add(50*time.Millisecond)) {
		t.Fatal("half a token was spent")
	}
	if !s.Allow("a", start.Add(100*time.Millisecond)) || s.Allow("a", start.Add(100*time.Millisecond)) {
		t.Fatal("refill of one token per 100ms not honoured")
	}
	off := New(0, 0)
	for range 100 {
		if !off.Allow("a", start) {
			t.Fatal("a zero rate limited a call")
		}
	}
}
