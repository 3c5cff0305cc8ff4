package main

import (
	"testing"
	"time"

	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// TestKnownAtFlags asks for a designation as the registry had recorded it
// before its revocation (--known-at), and before its grant: the same
// designation answers active, revoked and not yet known.
func TestKnownAtFlags(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		h := newHarnessOn(t, db)
		c1 := registrytest.CreditCode(t, "91330106MA27XK0A1")
		before := h.env.Clock.Now().Add(-time.Hour).Format(time.RFC3339)
		h.steps([]step{
			{name: "register", as: "economy", args: []string{"enterprise", "register", c1, "--name", "杭州云栖智算科技有限公司"}, want: []string{c1}},
			{name: "grant", as: "economy",
				args:    []string{"designation", "grant", "little-giant", "--enterprise", c1, "--from", "2025-01-01", "--until", "2027-12-31", "--doc", "工信部企业函〔2025〕88号"},
				capture: map[string]string{"lg": "designation.id"}},
		})
		h.env.Clock.Set(h.env.Clock.Now().Add(24 * time.Hour))
		h.vars["granted"] = h.env.Clock.Now().Format(time.RFC3339)
		h.env.Clock.Set(h.env.Clock.Now().Add(24 * time.Hour))
		h.vars["before"] = before
		h.steps([]step{
			{name: "revoke", as: "economy", args: []string{"designation", "revoke", "{lg}", "--reason", "revoked by the ministry"}, want: []string{"REVOKED"}},
			{name: "now", as: "viewer", args: []string{"designation", "get", "{lg}"},
				json: map[string]string{"designation.status": "DESIGNATION_STATUS_REVOKED"}},
			{name: "known before the revocation", as: "viewer", args: []string{"designation", "get", "{lg}", "--known-at", "{granted}"},
				json: map[string]string{"designation.status": "DESIGNATION_STATUS_ACTIVE"}},
			{name: "listed as known before the revocation", as: "viewer",
				args: []string{"designation", "list", "--enterprise", c1, "--as-of", "2026-01-01", "--known-at", "{granted}"},
				json: map[string]string{"designations.0.id": "{lg}", "designations.0.status": "DESIGNATION_STATUS_ACTIVE"}},
			{name: "listed as known before the grant", as: "viewer", args: []string{"designation", "list", "--enterprise", c1, "--known-at", "{before}"},
				json: map[string]string{"designations.0.id": "<missing>"}},
		})
		out, err := h.run("viewer", "designation", "get", h.vars["lg"], "--known-at", "yesterday")
		if err == nil {
			t.Fatalf("--known-at yesterday accepted:\n%s", out)
		}
	})
}
