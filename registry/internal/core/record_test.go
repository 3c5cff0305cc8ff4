package core

import (
	"testing"
	"time"

	"github.com/hangzhou-ai/registry/ent"
)

// TestChainHash checks that the hash of an event covers every recorded
// field and the previous hash, so an edit to any of them is found.
func TestChainHash(t *testing.T) {
	base := CanonicalEvent{
		Sequence: 7, OccurredAt: "2026-06-15T04:00:00Z", Subject: "wang", Org: "bureau:economy-it", Role: "issuer",
		Action: "designation.grant", EntityType: "designation", EntityID: "id-1", Before: "", After: `{"a":1}`, Reason: "",
	}
	const prev = "00ff"
	want := ChainHash(prev, base)
	if ChainHash(prev, base) != want {
		t.Fatal("ChainHash is not deterministic")
	}
	if len(want) != 64 {
		t.Errorf("hash %q is not hex SHA-256", want)
	}
	edits := map[string]func(*CanonicalEvent){
		"sequence":    func(e *CanonicalEvent) { e.Sequence++ },
		"occurred at": func(e *CanonicalEvent) { e.OccurredAt = "2026-06-15T04:00:00.000001Z" },
		"subject":     func(e *CanonicalEvent) { e.Subject = "li" },
		"org":         func(e *CanonicalEvent) { e.Org = "bureau:talent-office" },
		"role":        func(e *CanonicalEvent) { e.Role = "viewer" },
		"action":      func(e *CanonicalEvent) { e.Action = "designation.revoke" },
		"entity type": func(e *CanonicalEvent) { e.EntityType = "enterprise" },
		"entity id":   func(e *CanonicalEvent) { e.EntityID = "id-2" },
		"before":      func(e *CanonicalEvent) { e.Before = "{}" },
		"after":       func(e *CanonicalEvent) { e.After = `{"a":2}` },
		"reason":      func(e *CanonicalEvent) { e.Reason = "x" },
		// Moving text between fields must change the hash too.
		"subject into org": func(e *CanonicalEvent) { e.Subject, e.Org = "wangbureau:economy-it", "" },
	}
	for name, edit := range edits {
		t.Run(name, func(t *testing.T) {
			e := base
			edit(&e)
			if ChainHash(prev, e) == want {
				t.Errorf("editing %s leaves the hash unchanged", name)
			}
		})
	}
	t.Run("previous hash", func(t *testing.T) {
		if ChainHash("00fe", base) == want {
			t.Error("the previous hash is not covered")
		}
	})
}

// TestPendingEventHash checks that an event hashed from its precomputed
// canonical tail gets the hash the verifier recomputes with ChainHash.
func TestPendingEventHash(t *testing.T) {
	at := time.Date(2026, 6, 15, 4, 0, 0, 123000, time.UTC)
	cases := []struct {
		name string
		seq  int64
		c    Change
	}{
		{"plain", 1, Change{Action: "designation.grant", EntityType: "designation", EntityID: "id-1", After: map[string]int{"a": 1}}},
		{"escapes and Chinese text", 1234567, Change{Action: "enterprise.register", EntityType: "enterprise", EntityID: "913",
			Before: map[string]string{"name": "杭州<&>\"科技\"\n"}, After: "\u2028", Reason: "bulk import"}},
		{"large sequence", 1 << 50, Change{Action: "x", EntityType: "y", EntityID: "z"}},
	}
	p := Principal{Subject: "王五", Org: "bureau:economy-it", Role: "issuer"}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, err := PrepareEvent(p, at, tc.c)
			if err != nil {
				t.Fatal(err)
			}
			ev := &ent.AuditEvent{ID: tc.seq, OccurredAt: at, ActorSubject: p.Subject, ActorOrg: p.Org, ActorRole: p.Role,
				Action: e.Action, EntityType: e.EntityType, EntityID: e.EntityID, Before: e.Before, After: e.After, Reason: e.Reason}
			if got, want := e.chainHash("00ff", tc.seq), ChainHash("00ff", CanonicalOf(ev)); got != want {
				t.Fatalf("hash from the tail %s, ChainHash %s", got, want)
			}
			e.Tail = nil // as after a round trip that lost it
			if got, want := e.chainHash("00ff", tc.seq), ChainHash("00ff", CanonicalOf(ev)); got != want {
				t.Fatalf("hash without the tail %s, ChainHash %s", got, want)
			}
		})
	}
}
