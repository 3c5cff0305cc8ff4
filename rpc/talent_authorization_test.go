package rpc_test

import (
	"fmt"
	"sync"
	"testing"

	"connectrpc.com/connect/v2"

	"github.com/hangzhou-ai/registry/registry/registrytest"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// talentOfficeFixture is an enterprise holding an active ai-growth-enterprise
// designation and a talent authorization, with clients for the people who
// work with it.
type talentOfficeFixture struct {
	env           *rpctest.Env
	code          string
	economy       *rpctest.Clients
	talentOffice  *rpctest.Clients
	assessor      *rpctest.Clients
	authorization *registryv1.TalentAuthorization
}

func newTalentOfficeFixture(t *testing.T, db storetest.Database, quotas ...*registryv1.LevelQuota) *talentOfficeFixture {
	t.Helper()
	env := rpctest.New(t, db)
	f := &talentOfficeFixture{
		env:          env,
		code:         registrytest.CreditCode(t, "91330106MA27XK0A1"),
		economy:      env.As("issuer", "bureau:economy-it"),
		talentOffice: env.As("issuer", "bureau:talent-office"),
	}
	ctx := t.Context()
	if _, err := f.economy.Enterprise.RegisterEnterprise(ctx, &registryv1.RegisterEnterpriseRequest{CreditCode: f.code, Name: "杭州云栖智算科技有限公司"}); err != nil {
		t.Fatal(err)
	}
	issue := &registryv1.IssueTalentAuthorizationRequest{
		EnterpriseCreditCode: f.code, Year: 2026, Quotas: quotas,
		ValidFrom: "2026-01-01", ValidUntil: "2026-12-31", DocumentNumber: "杭人才授〔2026〕1号",
	}
	if _, err := f.talentOffice.TalentAuthorization.IssueTalentAuthorization(ctx, issue); rpctest.Code(err) != connect.CodeFailedPrecondition {
		t.Fatalf("authorization without ai-growth-enterprise: got %v, want failed_precondition", err)
	}
	if _, err := f.economy.Designation.GrantDesignation(ctx, &registryv1.GrantDesignationRequest{
		Type: "ai-growth-enterprise", EnterpriseCreditCode: f.code, ValidFrom: "2026-01-01", ValidUntil: "2027-12-31", DocumentNumber: "杭经信〔2026〕5号",
	}); err != nil {
		t.Fatal(err)
	}
	res, err := f.talentOffice.TalentAuthorization.IssueTalentAuthorization(ctx, issue)
	if err != nil {
		t.Fatal(err)
	}
	f.authorization = res.Authorization
	f.assessor = env.As("talent-assessor", "enterprise:"+f.code)
	return f
}

// employees registers n employees of the fixture's enterprise.
func (f *talentOfficeFixture) employees(t *testing.T, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		res, err := f.talentOffice.Talent.RegisterTalent(t.Context(), &registryv1.RegisterTalentRequest{
			Name: fmt.Sprintf("员工%02d", i), IdNumber: registrytest.IDNumber(t, fmt.Sprintf("330106199001%02d%03d", i%28+1, i)), EmployerCreditCode: f.code,
		})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = res.Talent.Id
	}
	return ids
}

func (f *talentOfficeFixture) remaining(t *testing.T, level string) int32 {
	t.Helper()
	res, err := f.talentOffice.TalentAuthorization.GetTalentAuthorization(t.Context(), &registryv1.GetTalentAuthorizationRequest{Id: f.authorization.Id})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range res.Authorization.Quotas {
		if q.Level == level {
			return q.Remaining
		}
	}
	t.Fatalf("no quota for level %s", level)
	return 0
}

// TestRecognitionQuotaUnderConcurrency fires 50 recognitions at once
// against 5 remaining places: exactly 5 succeed, 45 are refused with
// resource_exhausted, none is lost or doubled, and the audit chain holds.
func TestRecognitionQuotaUnderConcurrency(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newTalentOfficeFixture(t, db, &registryv1.LevelQuota{Level: "D", Places: 5}, &registryv1.LevelQuota{Level: "E", Places: 20})
		talents := f.employees(t, 50)
		codes := make([]connect.Code, len(talents))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, id := range talents {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := f.assessor.TalentAuthorization.RecognizeTalent(t.Context(), &registryv1.RecognizeTalentRequest{
					AuthorizationId: f.authorization.Id, TalentId: id, Level: "D", ValidFrom: "2026-07-01", ValidUntil: "2026-12-31",
				})
				codes[i] = rpctest.Code(err)
			}()
		}
		close(start)
		wg.Wait()
		count := map[connect.Code]int{}
		for _, c := range codes {
			count[c]++
		}
		if count[0] != 5 || count[connect.CodeResourceExhausted] != 45 {
			t.Fatalf("outcomes: %d ok, %d resource_exhausted, all: %v", count[0], count[connect.CodeResourceExhausted], count)
		}
		if got := f.remaining(t, "D"); got != 0 {
			t.Fatalf("remaining D places = %d, want 0", got)
		}
		if got := f.remaining(t, "E"); got != 20 {
			t.Fatalf("remaining E places = %d, want 20", got)
		}
		list, err := f.talentOffice.Designation.ListDesignations(t.Context(), &registryv1.ListDesignationsRequest{Type: "talent-recognition"})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Designations) != 5 {
			t.Fatalf("%d recognitions stored, want 5", len(list.Designations))
		}
		verify, err := f.env.As("auditor", "auditor").Audit.VerifyAuditChain(t.Context(), &registryv1.VerifyAuditChainRequest{})
		if err != nil || !verify.Ok {
			t.Fatalf("audit chain: %v %+v", err, verify)
		}
	})
}

// TestTalentOfficeJourney issues an authorization, recognises within it,
// refuses what it does not cover, returns places on withdrawal and
// revocation, and ends the assessors' rights with the authorization.
func TestTalentOfficeJourney(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newTalentOfficeFixture(t, db, &registryv1.LevelQuota{Level: "D", Places: 2})
		ctx := t.Context()
		staff := f.employees(t, 3)
		recognize := func(c *rpctest.Clients, talentID, level string) (*registryv1.Designation, error) {
			res, err := c.TalentAuthorization.RecognizeTalent(ctx, &registryv1.RecognizeTalentRequest{
				AuthorizationId: f.authorization.Id, TalentId: talentID, Level: level, ValidFrom: "2026-07-01", ValidUntil: "2026-12-31",
			})
			return res.GetDesignation(), err
		}
		first, err := recognize(f.assessor, staff[0], "D")
		if err != nil {
			t.Fatal(err)
		}
		if first.AuthorizationId != f.authorization.Id || first.Level != "D" || first.GrantedByBureau != "talent-office" || first.DocumentNumber != f.authorization.DocumentNumber {
			t.Fatalf("recognition: %+v", first)
		}
		if _, err := recognize(f.assessor, staff[0], "D"); rpctest.Code(err) != connect.CodeAlreadyExists {
			t.Fatalf("recognising the same talent twice: %v", err)
		}
		if _, err := recognize(f.assessor, staff[1], "C"); rpctest.Code(err) != connect.CodeFailedPrecondition {
			t.Fatalf("level the authorization does not cover: %v", err)
		}
		if _, err := recognize(f.env.As("member", "enterprise:"+f.code), staff[1], "D"); rpctest.Code(err) != connect.CodePermissionDenied {
			t.Fatalf("a plain member recognising: %v", err)
		}
		second, err := recognize(f.assessor, staff[1], "D")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := recognize(f.assessor, staff[2], "D"); rpctest.Code(err) != connect.CodeResourceExhausted {
			t.Fatalf("third recognition on two places: %v", err)
		}
		if _, err := f.assessor.TalentAuthorization.WithdrawRecognition(ctx, &registryv1.WithdrawRecognitionRequest{DesignationId: first.Id}); rpctest.Code(err) != connect.CodeInvalidArgument {
			t.Fatalf("withdrawal without a reason: %v", err)
		}
		withdrawn, err := f.assessor.TalentAuthorization.WithdrawRecognition(ctx, &registryv1.WithdrawRecognitionRequest{DesignationId: first.Id, Reason: "left the company"})
		if err != nil || withdrawn.Designation.Status != registryv1.DesignationStatus_DESIGNATION_STATUS_REVOKED {
			t.Fatalf("withdraw: %v %+v", err, withdrawn)
		}
		if got := f.remaining(t, "D"); got != 1 {
			t.Fatalf("after withdrawal %d places remain, want 1", got)
		}
		if _, err := f.talentOffice.Designation.RevokeDesignation(ctx, &registryv1.RevokeDesignationRequest{Id: second.Id, Reason: "recognition annulled"}); err != nil {
			t.Fatal(err)
		}
		if got := f.remaining(t, "D"); got != 2 {
			t.Fatalf("after revocation %d places remain, want 2", got)
		}
		if _, err := f.assessor.TalentAuthorization.WithdrawRecognition(ctx, &registryv1.WithdrawRecognitionRequest{DesignationId: second.Id, Reason: "again"}); rpctest.Code(err) != connect.CodeFailedPrecondition {
			t.Fatalf("withdrawing a revoked recognition: %v", err)
		}
		if got := f.remaining(t, "D"); got != 2 {
			t.Fatalf("a refused withdrawal changed the quota: %d", got)
		}

		member := f.env.As("member", "enterprise:"+f.code)
		own, err := member.TalentAuthorization.ListTalentAuthorizations(ctx, &registryv1.ListTalentAuthorizationsRequest{})
		if err != nil || len(own.Authorizations) != 1 || own.Authorizations[0].Quotas[0].Remaining != 2 {
			t.Fatalf("member's authorizations: %v %+v", err, own)
		}

		if _, err := f.talentOffice.TalentAuthorization.RevokeTalentAuthorization(ctx, &registryv1.RevokeTalentAuthorizationRequest{Id: f.authorization.Id, Reason: "enterprise left the programme"}); err != nil {
			t.Fatal(err)
		}
		if _, err := recognize(f.assessor, staff[2], "D"); rpctest.Code(err) != connect.CodePermissionDenied {
			t.Fatalf("recognising after the only authorization was revoked: %v", err)
		}
		verify, err := f.env.As("auditor", "auditor").Audit.VerifyAuditChain(ctx, &registryv1.VerifyAuditChainRequest{})
		if err != nil || !verify.Ok {
			t.Fatalf("audit chain: %v %+v", err, verify)
		}
	})
}

// TestCompetitionWinnerJourney registers a competition, records its awards
// twice without duplicating them, recognises a winner at the mapped level
// once, and shows an enterprise only its own employees' awards.
func TestCompetitionWinnerJourney(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		ctx := t.Context()
		economy := env.As("issuer", "bureau:economy-it")
		talentOffice := env.As("issuer", "bureau:talent-office")
		employer := registrytest.CreditCode(t, "91330114MA2H3B7C5")
		if _, err := economy.Enterprise.RegisterEnterprise(ctx, &registryv1.RegisterEnterpriseRequest{CreditCode: employer, Name: "杭州钱塘模型科技有限公司"}); err != nil {
			t.Fatal(err)
		}
		employee, err := talentOffice.Talent.RegisterTalent(ctx, &registryv1.RegisterTalentRequest{Name: "林若溪", IdNumber: registrytest.IDNumber(t, "33010619880312123"), EmployerCreditCode: employer})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := talentOffice.Competition.RegisterCompetition(ctx, &registryv1.RegisterCompetitionRequest{Name: "x", Organiser: "y", Year: 2026, Tier: registryv1.CompetitionTier_COMPETITION_TIER_MUNICIPAL, PrizeLevels: []*registryv1.PrizeLevel{{Prize: "一等奖", Level: "C"}}}); rpctest.Code(err) != connect.CodePermissionDenied {
			t.Fatalf("talent office registering a competition: %v", err)
		}
		comp, err := economy.Competition.RegisterCompetition(ctx, &registryv1.RegisterCompetitionRequest{
			Name: "杭州人工智能创新大赛", Organiser: "杭州市经信局", Year: 2026, Tier: registryv1.CompetitionTier_COMPETITION_TIER_MUNICIPAL,
			PrizeLevels: []*registryv1.PrizeLevel{{Prize: "一等奖", Level: "C"}, {Prize: "二等奖", Level: "D"}, {Prize: "三等奖", Level: "E"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		batch := &registryv1.RecordAwardsRequest{CompetitionId: comp.Competition.Id, Awards: []*registryv1.AwardInput{
			{TalentId: employee.Talent.Id, Prize: "一等奖", Team: "钱塘队"},
			{Name: "周明", IdNumber: registrytest.IDNumber(t, "11010519920704123"), Prize: "二等奖"},
			{Name: "Ana Souza", PassportNumber: "FZ123456", Nationality: "BR", Prize: "三等奖"},
		}}
		first, err := economy.Competition.RecordAwards(ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		again, err := economy.Competition.RecordAwards(ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		if first.Created != 3 || again.Created != 0 {
			t.Fatalf("created %d then %d, want 3 then 0", first.Created, again.Created)
		}
		for i := range first.Awards {
			if first.Awards[i].Id != again.Awards[i].Id {
				t.Fatalf("award %d recorded twice: %s and %s", i, first.Awards[i].Id, again.Awards[i].Id)
			}
		}
		if first.Awards[0].Level != "C" || first.Awards[1].Level != "D" {
			t.Fatalf("levels: %+v", first.Awards)
		}
		bad := &registryv1.RecordAwardsRequest{CompetitionId: comp.Competition.Id, Awards: []*registryv1.AwardInput{{TalentId: employee.Talent.Id, Prize: "特等奖"}}}
		if _, err := economy.Competition.RecordAwards(ctx, bad); rpctest.Code(err) != connect.CodeInvalidArgument {
			t.Fatalf("unknown prize: %v", err)
		}

		recognise := &registryv1.RecognizeWinnerRequest{AwardId: first.Awards[0].Id, ValidFrom: "2026-09-01", ValidUntil: "2031-08-31", DocumentNumber: "杭人才〔2026〕21号"}
		if _, err := economy.Competition.RecognizeWinner(ctx, recognise); rpctest.Code(err) != connect.CodePermissionDenied {
			t.Fatalf("economy-it recognising a winner: %v", err)
		}
		rec, err := talentOffice.Competition.RecognizeWinner(ctx, recognise)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Designation.Level != "C" || rec.Designation.AwardId != first.Awards[0].Id || rec.Designation.TalentId != employee.Talent.Id || rec.Designation.Type != "talent-recognition" {
			t.Fatalf("recognition: %+v", rec.Designation)
		}
		recognise.DocumentNumber = "杭人才〔2026〕22号"
		if _, err := talentOffice.Competition.RecognizeWinner(ctx, recognise); rpctest.Code(err) != connect.CodeAlreadyExists {
			t.Fatalf("second recognition of one award: %v", err)
		}

		member := env.As("member", "enterprise:"+employer)
		awards, err := member.Competition.ListAwards(ctx, &registryv1.ListAwardsRequest{CompetitionId: comp.Competition.Id})
		if err != nil {
			t.Fatal(err)
		}
		if len(awards.Awards) != 1 || awards.Awards[0].TalentId != employee.Talent.Id || awards.Awards[0].RecognitionId != rec.Designation.Id {
			t.Fatalf("member sees awards %+v, want only its employee's", awards.Awards)
		}
		talents, err := talentOffice.Talent.ListTalents(ctx, &registryv1.ListTalentsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if len(talents.Talents) != 3 {
			t.Fatalf("winners named by document were not registered once each: %d talents", len(talents.Talents))
		}
	})
}
