package designation_test

import (
	"testing"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// TestAllowedActions checks the answers a designation's page builds its
// forms from agree with the policy: the granting bureau's issuer may
// change it, its viewer and another bureau may not, the holder may read
// it but change nothing, and another enterprise is refused, as it is refused the designation.
func TestAllowedActions(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		w := newWorld(t, db)
		d := w.grant(t, economy, w.littleGiant())
		actions := []string{"suspend", "reinstate", "renew", "revoke"}
		tests := []struct {
			name    string
			who     [2]string
			want    bool
			wantErr registry.Kind // KindInternal: none
		}{
			{"the granting bureau's issuer", economy, true, registry.KindInternal},
			{"another bureau's issuer", talents, false, registry.KindInternal},
			{"the granting bureau's viewer", viewer, false, registry.KindInternal},
			{"the holder", [2]string{"member", "enterprise:" + w.a}, false, registry.KindInternal},
			{"another enterprise", [2]string{"member", "enterprise:" + w.b}, false, registry.KindPermissionDenied},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				got, err := w.reg.AllowedActions(as(tc.who), d.ID, actions...)
				if tc.wantErr != registry.KindInternal {
					registrytest.Check(t, err, tc.wantErr)
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				for _, a := range actions {
					if got[a] != tc.want {
						t.Errorf("%s: %v, want %v", a, got[a], tc.want)
					}
				}
			})
		}
	})
}
