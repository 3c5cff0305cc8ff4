package rpc_test

import (
	"fmt"
	"sync"
	"testing"

	"connectrpc.com/connect/v2"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// racers is how many identical calls each race fires at once.
const racers = 8

// race calls fn racers times at once, each with its index, and returns
// the codes they answered, counted.
func race(fn func(i int) error) map[connect.Code]int {
	codes := make([]connect.Code, racers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			codes[i] = rpctest.Code(fn(i))
		}()
	}
	close(start)
	wg.Wait()
	counts := map[connect.Code]int{}
	for _, c := range codes {
		counts[c]++
	}
	return counts
}

// TestRacingDuplicates fires identical writes at once: the database keeps
// one record per fact (its unique indexes, not a check made before the
// insert), the losers are told it exists (or, for award batches, get the
// existing awards), nobody sees internal, and the audit chain holds.
func TestRacingDuplicates(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newTalentOfficeFixture(t, db, &registryv1.LevelQuota{Level: "D", Places: 5})
		ctx := t.Context()
		auditor := f.env.As("auditor", "auditor")

		t.Run("grants", func(t *testing.T) {
			grant := &registryv1.GrantDesignationRequest{
				Type: "little-giant", EnterpriseCreditCode: f.code, ValidFrom: "2026-01-01", ValidUntil: "2028-12-31", DocumentNumber: "工信部企业函〔2026〕77号",
			}
			codes := race(func(int) error {
				_, err := f.economy.Designation.GrantDesignation(ctx, grant)
				return err
			})
			if codes[0] != 1 || codes[connect.CodeAlreadyExists] != racers-1 {
				t.Errorf("outcomes %v, want 1 ok and %d already_exists", codes, racers-1)
			}
			list, err := auditor.Designation.ListDesignations(ctx, &registryv1.ListDesignationsRequest{EnterpriseCreditCode: f.code, Type: "little-giant"})
			if err != nil {
				t.Fatal(err)
			}
			if len(list.Designations) != 1 {
				t.Errorf("%d little-giant designations recorded, want 1", len(list.Designations))
			}
		})

		t.Run("recognitions of one employee", func(t *testing.T) {
			employee := f.employees(t, 1)[0]
			codes := race(func(int) error {
				_, err := f.assessor.TalentAuthorization.RecognizeTalent(ctx, &registryv1.RecognizeTalentRequest{
					AuthorizationId: f.authorization.Id, TalentId: employee, Level: "D", ValidFrom: "2026-07-01", ValidUntil: "2026-12-31",
				})
				return err
			})
			if codes[0] != 1 || codes[connect.CodeAlreadyExists] != racers-1 {
				t.Errorf("outcomes %v, want 1 ok and %d already_exists", codes, racers-1)
			}
			if got := f.remaining(t, "D"); got != 4 {
				t.Errorf("%d places remain, want 4: one recognition takes one place", got)
			}
			list, err := auditor.Designation.ListDesignations(ctx, &registryv1.ListDesignationsRequest{TalentId: employee})
			if err != nil {
				t.Fatal(err)
			}
			if len(list.Designations) != 1 {
				t.Errorf("%d recognitions recorded, want 1", len(list.Designations))
			}
		})

		t.Run("award batches", func(t *testing.T) {
			comp, err := f.economy.Competition.RegisterCompetition(ctx, &registryv1.RegisterCompetitionRequest{
				Name: "杭州人工智能创新大赛", Organiser: "杭州市经信局", Year: 2026, Tier: registryv1.CompetitionTier_COMPETITION_TIER_MUNICIPAL,
				PrizeLevels: []*registryv1.PrizeLevel{{Prize: "一等奖", Level: "C"}, {Prize: "二等奖", Level: "D"}},
			})
			if err != nil {
				t.Fatal(err)
			}
			batch := &registryv1.RecordAwardsRequest{CompetitionId: comp.Competition.Id, Awards: []*registryv1.AwardInput{
				{Name: "周明", IdNumber: registrytest.IDNumber(t, "11010519880605123"), Prize: "一等奖"},
				{Name: "林雪", IdNumber: registrytest.IDNumber(t, "33010619920101456"), Prize: "二等奖"},
			}}
			created := make([]int32, racers)
			codes := race(func(i int) error {
				res, err := f.economy.Competition.RecordAwards(ctx, batch)
				if err == nil {
					created[i] = res.Created
				}
				return err
			})
			if codes[0] != racers {
				t.Errorf("outcomes %v, want all %d ok (later batches find the awards existing)", codes, racers)
			}
			total := int32(0)
			for _, n := range created {
				total += n
			}
			if total != 2 {
				t.Errorf("batches created %v awards in all (%v), want 2", total, created)
			}
			awards, err := auditor.Competition.ListAwards(ctx, &registryv1.ListAwardsRequest{CompetitionId: comp.Competition.Id})
			if err != nil {
				t.Fatal(err)
			}
			if len(awards.Awards) != 2 {
				t.Errorf("%d awards recorded, want 2", len(awards.Awards))
			}
			talents, err := auditor.Talent.ListTalents(ctx, &registryv1.ListTalentsRequest{PageSize: 500})
			if err != nil {
				t.Fatal(err)
			}
			named := 0
			for _, tl := range talents.Talents {
				if tl.Name == "周明" {
					named++
				}
			}
			if named != 1 {
				t.Errorf("%d talents named 周明, want 1", named)
			}
		})

		chain, err := auditor.Audit.VerifyAuditChain(ctx, &registryv1.VerifyAuditChainRequest{})
		if err != nil || !chain.Ok {
			t.Fatalf("audit chain: %v %v", chain, err)
		}
	})
}

// TestRacingImports runs two imports of the same designations at once, by
// two clerks of the bureau: whichever commits first creates them, the
// other finds them existing, as if they had come one after the other, and
// neither fails.
func TestRacingImports(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		clerks := []*rpctest.Clients{
			env.ClientsWithToken(env.Token(registryPrincipal("issuer", "bureau:economy-it"))),
			env.ClientsWithToken(env.Token(registry.Principal{Subject: "经信局 李四", Org: "bureau:economy-it", Role: "issuer"})),
		}
		holder := registrytest.CreditCode(t, "91330109MA2KD4E81")
		const n = 600
		rows := make([]*registryv1.DesignationRow, n)
		for i := range rows {
			rows[i] = &registryv1.DesignationRow{Row: int64(i + 2), Type: "hidden-champion", EnterpriseCreditCode: holder, EnterpriseName: "杭州隐形冠军科技有限公司",
				ValidFrom: "2026-01-01", ValidUntil: "2026-12-31", DocumentNumber: fmt.Sprintf("浙经信〔2026〕%d号", i)}
		}
		finals := make([]*registryv1.ImportProgress, len(clerks))
		errs := make([]error, len(clerks))
		var wg sync.WaitGroup
		for i, c := range clerks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := importDesignations(t, c, &registryv1.ImportOptions{}, rows, 200)
				errs[i] = err
				if err == nil {
					finals[i] = res.final()
				}
			}()
		}
		wg.Wait()
		created, existing := int64(0), int64(0)
		for i := range clerks {
			if errs[i] != nil {
				t.Fatalf("import %d: %v", i, errs[i])
			}
			if finals[i].Outcome != registryv1.ImportOutcome_IMPORT_OUTCOME_COMMITTED {
				t.Fatalf("import %d: %+v", i, finals[i])
			}
			created += finals[i].Created
			existing += finals[i].Existing
		}
		if created != n || existing != n {
			t.Errorf("created %d and existing %d in all, want %d each", created, existing, n)
		}
		if got := countDesignations(t, env.As("auditor", "auditor"), "hidden-champion"); got != n {
			t.Errorf("%d designations recorded, want %d", got, n)
		}
	})
}

// TestRacingRuleChanges sets one new eligibility rule from many calls at
// once without expected versions: each is applied in turn, none refused,
// and the rule ends at one version per call.
func TestRacingRuleChanges(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		if _, err := env.As("issuer", "bureau:economy-it").Park.RegisterPark(t.Context(), &registryv1.RegisterParkRequest{Code: "west-lake", Name: "西湖人工智能产业园"}); err != nil {
			t.Fatal(err)
		}
		operator := env.As("operator", "park:west-lake")
		codes := race(func(i int) error {
			_, err := operator.Park.SetEligibilityRule(t.Context(), &registryv1.SetEligibilityRuleRequest{
				ParkCode: "west-lake", Benefit: "rent-reduction", AnyOfDesignationTypes: []string{"little-giant"}, MinTenancyMonths: int32(i),
			})
			return err
		})
		if codes[0] != racers {
			t.Errorf("outcomes %v, want all %d ok", codes, racers)
		}
		rules, err := operator.Park.ListEligibilityRules(t.Context(), &registryv1.ListEligibilityRulesRequest{ParkCode: "west-lake"})
		if err != nil {
			t.Fatal(err)
		}
		if len(rules.Rules) != 1 || rules.Rules[0].Version != racers {
			t.Errorf("rules %v, want one at version %d", rules.Rules, racers)
		}
	})
}
