package core

import (
	"testing"
	"time"
)

func TestSignalsFresh(t *testing.T) {
	t0 := time.Date(2026, 6, 15, 4, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		prepare func(s *Signals) // after the entry was filled at t0, generation 0
		at      time.Time
		want    bool
	}{
		{"young entry, deaf process", func(*Signals) {}, t0.Add(MaxStaleness / 2), true},
		{"old entry, deaf process", func(*Signals) {}, t0.Add(MaxStaleness), false},
		{"old entry, listener alive", func(s *Signals) { s.Alive(t0.Add(10 * time.Second)) }, t0.Add(10*time.Second + 100*time.Millisecond), true},
		{"old entry, listener silent for a second", func(s *Signals) { s.Alive(t0.Add(10 * time.Second)) }, t0.Add(11 * time.Second), false},
		{"signalled by another process", func(s *Signals) { s.Alive(t0); s.Heard("tokens other") }, t0.Add(time.Millisecond), false},
		{"own notification heard again", func(s *Signals) { s.Alive(t0); s.Heard("tokens me") }, t0.Add(time.Millisecond), true},
		{"another topic signalled", func(s *Signals) { s.Alive(t0); s.Heard("keys other") }, t0.Add(time.Millisecond), true},
		{"unknown topic", func(s *Signals) { s.Alive(t0); s.Heard("bogus other") }, t0.Add(time.Millisecond), true},
		{"listener lost", func(s *Signals) { s.Alive(t0); s.Deaf() }, t0.Add(time.Millisecond), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSignals("me", false)
			s.start = t0.Add(-time.Hour) // tests use wall times
			gen := s.Generation(TopicTokens)
			tc.prepare(s)
			if got := s.Fresh(TopicTokens, gen, t0, tc.at); got != tc.want {
				t.Fatalf("Fresh = %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("nil signals keep nothing", func(t *testing.T) {
		var s *Signals
		if s.Fresh(TopicTokens, s.Generation(TopicTokens), t0, t0) {
			t.Fatal("fresh without signals")
		}
	})
}

func TestSignalsSubscribers(t *testing.T) {
	s := NewSignals("me", false)
	var remote []bool
	s.Subscribe(TopicPolicy, func(r bool) { remote = append(remote, r) })
	s.changed(TopicPolicy, false) // a local commit
	s.Heard("policy other")
	s.Heard("policy me")
	s.Heard("tokens other")
	s.Deaf()
	if want := []bool{false, true, true}; len(remote) != len(want) || remote[0] != want[0] || remote[1] != want[1] || remote[2] != want[2] {
		t.Fatalf("subscriber saw %v, want %v", remote, want)
	}
	s.Heard("bogus other")
	s.mu.Lock()
	_, kept := s.generations["bogus"]
	s.mu.Unlock()
	if kept {
		t.Fatal("an unknown topic was remembered")
	}
}
