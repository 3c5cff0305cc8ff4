package core

import "testing"

// TestChainHash checks that the hash of an event covers every recorded
// field and the previous hash, so an edit to any of them is found.
func TestChainHash(t *testing.T) {
	base := canonicalEvent{
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
	edits := map[string]func(*canonicalEvent){
		"sequence":    func(e *canonicalEvent) { e.Sequence++ },
		"occurred at": func(e *canonicalEvent) { e.OccurredAt = "2026-06-15T04:00:00.000001Z" },
		"subject":     func(e *canonicalEvent) { e.Subject = "li" },
		"org":         func(e *canonicalEvent) { e.Org = "bureau:talent-office" },
		"role":        func(e *canonicalEvent) { e.Role = "viewer" },
		"action":      func(e *canonicalEvent) { e.Action = "designation.revoke" },
		"entity type": func(e *canonicalEvent) { e.EntityType = "enterprise" },
		"entity id":   func(e *canonicalEvent) { e.EntityID = "id-2" },
		"before":      func(e *canonicalEvent) { e.Before = "{}" },
		"after":       func(e *canonicalEvent) { e.After = `{"a":2}` },
		"reason":      func(e *canonicalEvent) { e.Reason = "x" },
		// Moving text between fields must change the hash too.
		"subject into org": func(e *canonicalEvent) { e.Subject, e.Org = "wangbureau:economy-it", "" },
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
