package registry_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/schema"
	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/audit"
	"github.com/hangzhou-ai/registry/registry/catalog"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/park"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/registry/talent"
	"github.com/hangzhou-ai/registry/registry/talentauth"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// city is a registry grown past the size where a database would rather
// read a small table whole: enough enterprises, talents, designations,
// tenancies and audit events that only an index makes a scoped read cheap.
type city struct {
	member, park, talentID string
}

const (
	cityEnterprises = 2000
	cityTalents     = 2000 // every other one employed, each with an award
	cityHeld        = 4    // designations per enterprise
	cityEvents      = 4000
)

// seedCity writes the city's rows straight through ent, without audit
// events of their own: it is the shape of the data the plans depend on,
// not the registry's rules, that these tests need.
func seedCity(t *testing.T, reg *registry.Registry) city {
	t.Helper()
	ctx := context.Background()
	now := registrytest.Start
	var enterpriseType, talentType string
	for _, typ := range catalog.DesignationTypes {
		switch {
		case enterpriseType == "" && typ.SubjectKind == "enterprise" && !typ.HasLevels &&
			typ.Code != catalog.TypeTalentAuthorization && typ.Code != catalog.TypeAIPark:
			enterpriseType = typ.Code
		case talentType == "" && typ.SubjectKind == "talent" && typ.Code != catalog.TypeTalentRecognition:
			talentType = typ.Code
		}
	}
	if enterpriseType == "" || talentType == "" {
		t.Fatal("the catalogue has no enterprise type without levels, or no talent type")
	}
	codes := make([]string, cityEnterprises)
	var enterprises []*ent.EnterpriseCreate
	for i := range codes {
		codes[i] = registrytest.CreditCode(t, fmt.Sprintf("91330106MA2P%05d", i))
		enterprises = append(enterprises, reg.DB.Enterprise.Create().SetCreditCode(codes[i]).
			SetName(fmt.Sprintf("城市企业%d", i)).SetDistrict("330106").SetRegisteredOn("2020-01-01").SetCreatedAt(now))
	}
	var saved []*ent.Enterprise
	inChunks(t, enterprises, func(batch []*ent.EnterpriseCreate) error {
		rows, err := reg.DB.Enterprise.CreateBulk(batch...).Save(ctx)
		saved = append(saved, rows...)
		return err
	})
	var talents []*ent.TalentCreate
	for i := range cityTalents {
		c := reg.DB.Talent.Create().SetID(talentID(i)).SetName(fmt.Sprintf("人才%d", i)).
			SetDocumentKind("passport").SetDocumentHash(fmt.Sprintf("hash%06d", i)).SetDocumentCipher([]byte{1}).
			SetDocumentMasked("E****").SetNationality("FR").SetCreatedAt(now)
		if i%2 == 0 {
			c.SetEmployerID(saved[(i/2)%cityEnterprises].ID)
		}
		talents = append(talents, c)
	}
	inChunks(t, talents, func(batch []*ent.TalentCreate) error { return reg.DB.Talent.CreateBulk(batch...).Exec(ctx) })
	if err := reg.DB.Competition.Create().SetID("01972222-0000-7000-8000-000000000000").SetName("城市大赛").
		SetOrganiser("economy-it").SetYear(2026).SetTier("national").SetPrizeLevels([]schema.PrizeLevel{}).SetCreatedAt(now).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	var awards []*ent.AwardCreate
	for i := range cityTalents {
		awards = append(awards, reg.DB.Award.Create().SetID(fmt.Sprintf("01973333-0000-7000-8000-%012d", i)).
			SetCompetitionID("01972222-0000-7000-8000-000000000000").SetTalentID(talentID(i)).SetPrize("first").
			SetLevel("A").SetCreatedAt(now))
	}
	inChunks(t, awards, func(batch []*ent.AwardCreate) error { return reg.DB.Award.CreateBulk(batch...).Exec(ctx) })
	var designations []*ent.DesignationCreate
	grant := func(id, typ, doc string) *ent.DesignationCreate {
		return reg.DB.Designation.Create().SetID(id).SetType(typ).SetStatus("active").
			SetValidFrom("2025-01-01").SetValidUntil("2028-12-31").SetGrantedByBureau("economy-it").
			SetGrantedBySubject("seed").SetDocumentNumber(doc).SetSeedClause("(一)").SetCreatedAt(now).SetUpdatedAt(now)
	}
	for i, e := range saved {
		for j := range cityHeld {
			designations = append(designations, grant(designationID(i*cityHeld+j), enterpriseType, fmt.Sprintf("DOC-%05d-%02d", i, j)).SetEnterpriseID(e.ID))
		}
	}
	for i := range cityTalents {
		designations = append(designations, grant(designationID(cityEnterprises*cityHeld+i), talentType, fmt.Sprintf("TAL-%06d", i)).SetTalentID(talentID(i)))
	}
	inChunks(t, designations, func(batch []*ent.DesignationCreate) error { return reg.DB.Designation.CreateBulk(batch...).Exec(ctx) })
	var changes []*ent.StatusChangeCreate
	for i := range cityEnterprises {
		changes = append(changes, reg.DB.StatusChange.Create().SetDesignationID(designationID(i*cityHeld)).
			SetStatus("suspended").SetEffectiveOn("2026-01-01").SetRecordedAt(now))
	}
	inChunks(t, changes, func(batch []*ent.StatusChangeCreate) error { return reg.DB.StatusChange.CreateBulk(batch...).Exec(ctx) })
	const parkCode = "city-park"
	if err := reg.DB.Park.Create().SetID(parkCode).SetName("城市园区").SetDesignationID(designationID(1)).SetCreatedAt(now).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	var tenancies []*ent.TenancyCreate
	for i, e := range saved {
		p := parkCode
		if i%40 != 0 { // a city has many parks
			p = fmt.Sprintf("other-park-%d", i%40)
		}
		tenancies = append(tenancies, reg.DB.Tenancy.Create().SetID(fmt.Sprintf("n%05d", i)).SetParkID(p).
			SetEnterpriseID(e.ID).SetStartDate("2024-01-01").SetCreatedAt(now).SetUpdatedAt(now))
	}
	inChunks(t, tenancies, func(batch []*ent.TenancyCreate) error { return reg.DB.Tenancy.CreateBulk(batch...).Exec(ctx) })
	if err := reg.DB.EligibilityRule.Create().SetParkID(parkCode).SetBenefit("rent").
		SetAnyOfDesignationTypes([]string{enterpriseType}).SetMinTenancyMonths(6).SetUpdatedAt(now).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	head, err := reg.DB.AuditHead.Get(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	var events []*ent.AuditEventCreate
	for i := range cityEvents {
		events = append(events, reg.DB.AuditEvent.Create().SetID(head.Seq+int64(i)+1).SetOccurredAt(now).
			SetActorSubject(fmt.Sprintf("clerk-%d", i%50)).SetActorOrg("bureau:economy-it").SetActorRole("issuer").
			SetAction("designation.grant").SetEntityType("designation").SetEntityID(designationID(i%(cityEnterprises*cityHeld))).
			SetPrevHash("").SetHash(""))
	}
	inChunks(t, events, func(batch []*ent.AuditEventCreate) error { return reg.DB.AuditEvent.CreateBulk(batch...).Exec(ctx) })
	return city{member: codes[0], park: parkCode, talentID: talentID(0)}
}

// inChunks writes rows a thousand at a time, below every dialect's limit
// on a statement's parameters.
func inChunks[T any](t *testing.T, rows []T, write func([]T) error) {
	t.Helper()
	for len(rows) > 0 {
		n := min(len(rows), 1000)
		if err := write(rows[:n]); err != nil {
			t.Fatal(err)
		}
		rows = rows[n:]
	}
}

// TestScopedReadsReadIndexRanges checks, on each database, that every list
// a principal is scoped to (and the eligibility check) reads designations,
// talents, tenancies, enterprises, awards and audit events through an
// index: the plan of each statement the call runs has no full scan of
// those tables, so its cost follows the principal's own rows, not the
// registry's size.
func TestScopedReadsReadIndexRanges(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		reg, clock := registrytest.Open(t, db)
		c := seedCity(t, reg)
		pool := storetest.OpenSQL(t, db)
		if db.Name == "postgres" {
			if _, err := pool.Exec("ANALYZE enterprises, talents, designations, status_changes, tenancies, eligibility_rules, audit_events, awards"); err != nil {
				t.Fatal(err)
			}
		}
		rec := registrytest.RecordQueries(t, reg, db)
		member := registrytest.As(context.Background(), "member", "enterprise:"+c.member)
		issuer := registrytest.As(context.Background(), "issuer", "bureau:economy-it")
		operator := registrytest.As(context.Background(), "operator", "park:"+c.park)
		auditor := registrytest.As(context.Background(), "auditor", "auditor")
		since := registrytest.Start.Add(-time.Hour)
		for _, tc := range []struct {
			name string
			call func() error
			// statements, when set, bounds the statements of a second call,
			// once what the first read is in memory (the signing key).
			statements int
		}{
			{"member lists its designations", func() error {
				_, _, err := reg.ListDesignations(member, designation.DesignationFilter{})
				return err
			}, 0},
			{"member lists its designations valid on a date", func() error {
				_, _, err := reg.ListDesignations(member, designation.DesignationFilter{AsOf: "2026-06-01", Status: designation.StatusActive})
				return err
			}, 0},
			{"member lists its designations as known at an instant, valid on a date", func() error {
				clock.Set(registrytest.Start.Add(time.Hour))
				defer clock.Set(registrytest.Start)
				_, _, err := reg.ListDesignations(member, designation.DesignationFilter{KnownAt: registrytest.Start.Add(time.Minute), AsOf: "2026-06-01", Status: designation.StatusActive})
				return err
			}, 0},
			{"member gets a designation as known at an instant, on a date", func() error {
				clock.Set(registrytest.Start.Add(time.Hour))
				defer clock.Set(registrytest.Start)
				_, err := reg.GetDesignationAt(member, designationID(0), designation.At{KnownAt: registrytest.Start.Add(time.Minute), AsOf: "2026-06-01"})
				return err
			}, 0},
			{"bureau lists one enterprise's designations", func() error {
				_, _, err := reg.ListDesignations(issuer, designation.DesignationFilter{EnterpriseCreditCode: c.member})
				return err
			}, 0},
			{"bureau lists one talent's designations", func() error {
				_, _, err := reg.ListDesignations(issuer, designation.DesignationFilter{TalentID: c.talentID})
				return err
			}, 0},
			{"member lists its employees", func() error {
				_, _, err := reg.ListTalents(member, talent.TalentFilter{})
				return err
			}, 0},
			{"bureau lists one employer's talents", func() error {
				_, _, err := reg.ListTalents(issuer, talent.TalentFilter{EmployerCreditCode: c.member})
				return err
			}, 0},
			{"member lists its employees' awards", func() error {
				_, err := reg.ListAwards(member, "", "")
				return err
			}, 0},
			{"member lists its talent authorizations", func() error {
				_, err := reg.ListTalentAuthorizations(member, talentauth.TalentAuthorizationFilter{})
				return err
			}, 0},
			{"member lists its enterprise", func() error {
				_, _, err := reg.ListEnterprises(member, enterprise.EnterpriseFilter{})
				return err
			}, 0},
			{"park lists its tenants", func() error {
				_, _, err := reg.ListTenants(operator, park.TenantFilter{ParkCode: c.park, AsOf: "2026-06-01", PageSize: 10})
				return err
			}, 0},
			{"park checks a tenant's eligibility", func() error {
				_, err := reg.VerifyTenantEligibility(operator, park.EligibilityQuery{ParkCode: c.park, EnterpriseCreditCode: c.member, Benefit: "rent", AsOf: "2026-06-01"})
				return err
			}, 2},
			{"auditor lists one designation's events", func() error {
				_, _, err := reg.ListAuditEvents(auditor, audit.AuditFilter{Entity: "designation:" + designationID(9)})
				return err
			}, 0},
			{"auditor lists one clerk's events", func() error {
				_, _, err := reg.ListAuditEvents(auditor, audit.AuditFilter{Actor: "clerk-7", Since: since})
				return err
			}, 0},
		} {
			t.Run(tc.name, func(t *testing.T) {
				rec.Take()
				if err := tc.call(); err != nil {
					t.Fatal(err)
				}
				queries := rec.Take()
				if len(queries) == 0 {
					t.Fatal("no statement recorded")
				}
				if tc.statements > 0 {
					if err := tc.call(); err != nil {
						t.Fatal(err)
					}
					if again := rec.Take(); len(again) > tc.statements {
						t.Errorf("a second call ran %d statements, want at most %d: %v", len(again), tc.statements, again)
					}
				}
				for _, q := range queries {
					plan := registrytest.Plan(t, pool, db, q)
					if scans := registrytest.FullScans(plan, scopedTables...); len(scans) > 0 {
						t.Errorf("%s\nreads a whole table: %q\nplan:\n%s", q.SQL, scans, strings.Join(plan, "\n"))
					}
				}
			})
		}
	})
}

// scopedTables are the tables that grow with the city, under their names
// and the aliases the hand-written statements give them.
var scopedTables = []string{"designations", "talents", "tenancies", "enterprises", "awards", "audit_events", "status_changes", "d", "t", "e", "sc"}

// talentID and designationID make registry ids (UUID-shaped) from numbers.
func talentID(i int) string      { return fmt.Sprintf("01970000-0000-7000-8000-%012d", i) }
func designationID(i int) string { return fmt.Sprintf("01971111-0000-7000-8000-%012d", i) }
