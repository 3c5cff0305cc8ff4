package core

import "testing"

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
