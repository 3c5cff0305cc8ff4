package designation_test

import (
	"testing"

	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// TestGrantAnswersAsStored checks that the designation a grant answers
// with, built from what it wrote rather than read back, is the one the
// registry then reads, for each kind of holder.
func TestGrantAnswersAsStored(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		w := newWorld(t, db)
		cases := []struct {
			name   string
			grant  designation.Grant
			issuer [2]string
		}{
			{"an enterprise", designation.Grant{Type: "little-giant", EnterpriseCreditCode: w.a, ValidFrom: "2026-01-01", ValidUntil: "2027-12-31", DocumentNumber: "浙经信〔2026〕S1号", Note: "备注"}, economy},
			{"an employed talent", designation.Grant{Type: "talent-recognition", TalentID: w.employee, Level: "B", ValidFrom: "2026-01-01", ValidUntil: "2030-12-31", DocumentNumber: "杭人才〔2026〕S2号"}, talents},
			{"a talent without employer", designation.Grant{Type: "talent-recognition", TalentID: w.freelance, Level: "C", ValidFrom: "2026-01-01", ValidUntil: "2030-12-31", DocumentNumber: "杭人才〔2026〕S3号"}, talents},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				granted, err := w.reg.GrantDesignation(as(c.issuer), c.grant)
				if err != nil {
					t.Fatal(err)
				}
				stored, err := w.reg.GetDesignation(as(auditor), granted.ID)
				if err != nil {
					t.Fatal(err)
				}
				if !granted.CreatedAt.Equal(stored.CreatedAt) || !granted.UpdatedAt.Equal(stored.UpdatedAt) {
					t.Fatalf("times %v %v, stored %v %v", granted.CreatedAt, granted.UpdatedAt, stored.CreatedAt, stored.UpdatedAt)
				}
				granted.CreatedAt, granted.UpdatedAt = stored.CreatedAt, stored.UpdatedAt
				if granted != stored {
					t.Fatalf("granted %+v\nstored  %+v", granted, stored)
				}
			})
		}
	})
}
