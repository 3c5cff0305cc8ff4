package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// TestWebhookCommands walks a subscription's life through the webhook
// commands: subscribing (the in-process registry has the default URL
// policy: https and public names, not resolved when subscribing), listing
// it only to its own organisation, redelivering a change it delivers, and
// deleting it.
func TestWebhookCommands(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		h := newHarnessOn(t, db)
		c1 := registrytest.CreditCode(t, "91330106MA27XK0A1")
		h.vars["c1"] = c1
		h.tokens["member"] = h.env.Token(registry.Principal{Subject: "member", Role: "member", Org: "enterprise:" + c1})

		h.steps([]step{
			// A change from before the subscriptions, which they may be
			// asked to deliver again.
			{name: "a change", as: "economy", args: []string{"enterprise", "register", c1, "--name", "杭州云栖智算科技有限公司"}, want: []string{c1}},
			{name: "its cursor", as: "viewer", args: []string{"changes", "list", "--type", "enterprise"},
				json:    map[string]string{"entityType": "enterprise", "entityId": c1},
				capture: map[string]string{"cursor": "cursor"}},

			{name: "subscribe", as: "viewer", args: []string{"webhook", "subscribe", "https://hooks.example.com/x"},
				json:    map[string]string{"subscription.url": "https://hooks.example.com/x", "subscription.ownerOrg": "bureau:economy-it", "subscription.entityTypes.0": "<missing>"},
				capture: map[string]string{"sub": "subscription.id", "secret": "secret"}},
			{name: "subscribe table", as: "viewer", args: []string{"webhook", "subscribe", "https://hooks.example.com/y", "--type", "enterprise", "--type", "designation"},
				want: []string{"ID", "URL", "TYPES", "OWNER", "https://hooks.example.com/y", "enterprise, designation", "bureau:economy-it", "secret: whsec_", "shown only now"}},
			{name: "list", as: "viewer", args: []string{"webhook", "list"},
				want: []string{"CURSOR", "DISABLED", "{sub}", "https://hooks.example.com/x", "all", "https://hooks.example.com/y"}},
			{name: "list json", as: "viewer", args: []string{"webhook", "list"},
				json: map[string]string{"subscriptions.1.ownerOrg": "bureau:economy-it", "subscriptions.1.disabledAt": "<missing>", "subscriptions.2.id": "<missing>"}},
			{name: "list a page", as: "viewer", args: []string{"webhook", "list", "--page-size", "1"},
				want: []string{"more results: add --page-token "}},
			{name: "another organisation sees none", as: "member", args: []string{"webhook", "list"},
				json: map[string]string{"subscriptions.0.id": "<missing>", "nextPageToken": ""}},

			{name: "redeliver", as: "viewer", args: []string{"webhook", "redeliver", "{sub}", "{cursor}"},
				json:    map[string]string{"delivery.subscriptionId": "{sub}", "delivery.cursor": "{cursor}", "delivery.changeId": "chg_{cursor}", "delivery.attemptedAt": "<missing>"},
				capture: map[string]string{"delivery": "delivery.id"}},
			{name: "deliveries", as: "viewer", args: []string{"webhook", "deliveries", "{sub}"},
				want: []string{"ATTEMPTED AT", "NEXT ATTEMPT", "{delivery}", "chg_{cursor}", "not yet"}},
			{name: "deliveries json", as: "viewer", args: []string{"webhook", "deliveries", "{sub}", "--page-size", "10"},
				json: map[string]string{"deliveries.0.id": "{delivery}", "deliveries.0.succeeded": "false", "deliveries.0.attemptedAt": "<missing>", "deliveries.1.id": "<missing>"}},
		})

		t.Run("secret", func(t *testing.T) {
			if s := h.vars["secret"]; !strings.HasPrefix(s, "whsec_") || len(s) <= len("whsec_") {
				t.Errorf("secret %q, want whsec_ and its key", s)
			}
		})

		t.Run("errors", func(t *testing.T) {
			for _, tc := range []struct {
				name string
				as   string
				args []string
				want string // the line main prints
			}{
				{"another organisation's subscription", "member", []string{"webhook", "delete", "{sub}"}, "registryctl: not_found: "},
				{"another organisation's deliveries", "member", []string{"webhook", "deliveries", "{sub}"}, "registryctl: not_found: "},
				{"http URL", "viewer", []string{"webhook", "subscribe", "http://hooks.example.com/z"}, "registryctl: invalid_argument: url: "},
				{"unknown type", "viewer", []string{"webhook", "subscribe", "https://hooks.example.com/z", "--type", "bogus"}, "registryctl: invalid_argument: --type"},
				{"same URL again", "viewer", []string{"webhook", "subscribe", "https://hooks.example.com/x"}, "registryctl: already_exists: "},
				{"bad cursor", "viewer", []string{"webhook", "redeliver", "{sub}", "nope"}, "registryctl: invalid_argument: cursor: "},
				{"missing cursor", "viewer", []string{"webhook", "redeliver", "{sub}"}, "registryctl: usage: registryctl webhook redeliver SUBSCRIPTION_ID CURSOR"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					out, err := h.run(tc.as, tc.args...)
					if err == nil {
						t.Fatalf("succeeded, want %q; output:\n%s", tc.want, out)
					}
					if line, want := fmt.Sprintln("registryctl:", err), h.expand([]string{tc.want})[0]; !strings.HasPrefix(line, want) {
						t.Errorf("printed %q, want it to start with %q", line, want)
					}
				})
			}
		})
		if t.Failed() {
			t.FailNow()
		}

		h.steps([]step{
			{name: "delete", as: "viewer", args: []string{"webhook", "delete", "{sub}"}, want: []string{"subscription {sub} deleted"}},
			{name: "the other remains", as: "viewer", args: []string{"webhook", "list"},
				json:    map[string]string{"subscriptions.0.url": "https://hooks.example.com/y", "subscriptions.1.id": "<missing>"},
				capture: map[string]string{"sub-y": "subscriptions.0.id"}},
			{name: "delete json", as: "viewer", args: []string{"webhook", "delete", "{sub-y}"}, json: map[string]string{}},
			{name: "list after", as: "viewer", args: []string{"webhook", "list"}, json: map[string]string{"subscriptions.0.id": "<missing>"}},
		})
		if _, err := h.run("viewer", "webhook", "delete", h.vars["sub"]); err == nil || !strings.HasPrefix(err.Error(), "not_found: ") {
			t.Errorf("deleting again: %v, want not_found", err)
		}
	})
}
