package competition_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hangzhou-ai/registry/ident"
	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/competition"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/registry/talent"
	"github.com/hangzhou-ai/registry/store/storetest"
)

type fixture struct {
	reg                              *registry.Registry
	economy, office, member, auditor context.Context
	employer                         string
	employee, outsider               string
}

func newFixture(t *testing.T, db storetest.Database) *fixture {
	t.Helper()
	reg, _ := registrytest.Open(t, db)
	ctx := t.Context()
	code, err := ident.CompleteCreditCode("91330106MA27XK0A1")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{
		reg: reg, employer: code,
		economy: registrytest.As(ctx, "issuer", "bureau:economy-it"),
		office:  registrytest.As(ctx, "issuer", "bureau:talent-office"),
		member:  registrytest.As(ctx, "member", "enterprise:"+code),
		auditor: registrytest.As(ctx, "auditor", "auditor"),
	}
	if _, err := reg.RegisterEnterprise(f.economy, enterprise.NewEnterprise{CreditCode: code, Name: "杭州云栖智算科技有限公司"}); err != nil {
		t.Fatal(err)
	}
	for i, employer := range []string{code, ""} {
		tal, err := reg.RegisterTalent(f.office, talent.NewTalent{Name: fmt.Sprintf("选手%d", i), IDNumber: registrytest.IDNumber(t, fmt.Sprintf("33010619900101%03d", i)), EmployerCreditCode: employer})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			f.employee = tal.ID
		} else {
			f.outsider = tal.ID
		}
	}
	return f
}

func (f *fixture) competition(t *testing.T, name string) competition.Competition {
	t.Helper()
	c, err := f.reg.RegisterCompetition(f.economy, competition.NewCompetition{
		Name: name, Organiser: "杭州市经信局", Year: 2026, Tier: "municipal",
		PrizeLevels: []competition.PrizeLevel{{Prize: "一等奖", Level: "C"}, {Prize: "二等奖", Level: "D"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRegisterCompetition(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newFixture(t, db)
		ctx := t.Context()
		valid := func(mod func(*competition.NewCompetition)) competition.NewCompetition {
			in := competition.NewCompetition{
				Name: "西湖AI创新大赛", Organiser: "杭州市经信局", Year: 2026, Tier: "national",
				PrizeLevels: []competition.PrizeLevel{{Prize: "一等奖", Level: "B"}, {Prize: "二等奖", Level: "C"}},
			}
			if mod != nil {
				mod(&in)
			}
			return in
		}
		many := make([]competition.PrizeLevel, 51)
		for i := range many {
			many[i] = competition.PrizeLevel{Prize: fmt.Sprintf("奖%d", i), Level: "E"}
		}
		cases := []struct {
			name  string
			ctx   context.Context
			in    competition.NewCompetition
			want  registry.Kind
			field string
		}{
			{"talent office issuer may not", f.office, valid(nil), registry.KindPermissionDenied, ""},
			{"economy-it viewer may not", registrytest.As(ctx, "viewer", "bureau:economy-it"), valid(nil), registry.KindPermissionDenied, ""},
			{"enterprise member may not", f.member, valid(nil), registry.KindPermissionDenied, ""},
			{"auditor may not", f.auditor, valid(nil), registry.KindPermissionDenied, ""},
			{"no name", f.economy, valid(func(in *competition.NewCompetition) { in.Name = "" }), registry.KindInvalidArgument, "name"},
			{"no organiser", f.economy, valid(func(in *competition.NewCompetition) { in.Organiser = " " }), registry.KindInvalidArgument, "organiser"},
			{"year out of range", f.economy, valid(func(in *competition.NewCompetition) { in.Year = 2101 }), registry.KindInvalidArgument, "year"},
			{"unknown tier", f.economy, valid(func(in *competition.NewCompetition) { in.Tier = "district" }), registry.KindInvalidArgument, "tier"},
			{"no prizes", f.economy, valid(func(in *competition.NewCompetition) { in.PrizeLevels = nil }), registry.KindInvalidArgument, "prize_levels"},
			{"more than 50 prizes", f.economy, valid(func(in *competition.NewCompetition) { in.PrizeLevels = many }), registry.KindInvalidArgument, "prize_levels"},
			{"prize given twice", f.economy, valid(func(in *competition.NewCompetition) { in.PrizeLevels[1].Prize = "一等奖" }), registry.KindInvalidArgument, "prize_levels[1].prize"},
			{"empty prize", f.economy, valid(func(in *competition.NewCompetition) { in.PrizeLevels[0].Prize = "" }), registry.KindInvalidArgument, "prize_levels[0].prize"},
			{"prize longer than 50", f.economy, valid(func(in *competition.NewCompetition) { in.PrizeLevels[0].Prize = strings.Repeat("奖", 51) }), registry.KindInvalidArgument, "prize_levels[0].prize"},
			{"unknown level", f.economy, valid(func(in *competition.NewCompetition) { in.PrizeLevels[1].Level = "F" }), registry.KindInvalidArgument, "prize_levels[1].level"},
			{"national", f.economy, valid(nil), registrytest.Succeeds, ""},
			{"the same name and year again", f.economy, valid(func(in *competition.NewCompetition) { in.Tier = "provincial" }), registry.KindAlreadyExists, ""},
			{"the same name another year, provincial", f.economy, valid(func(in *competition.NewCompetition) { in.Year, in.Tier = 2027, "provincial" }), registrytest.Succeeds, ""},
			{"municipal", f.economy, valid(func(in *competition.NewCompetition) { in.Name, in.Tier = "钱塘算法赛", "municipal" }), registrytest.Succeeds, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				got, err := f.reg.RegisterCompetition(c.ctx, c.in)
				registrytest.Check(t, err, c.want, c.field)
				if err != nil {
					return
				}
				if got.ID == "" || got.Name != c.in.Name || got.Tier != c.in.Tier || got.Year != c.in.Year || fmt.Sprint(got.PrizeLevels) != fmt.Sprint(c.in.PrizeLevels) {
					t.Fatalf("registered %+v from %+v", got, c.in)
				}
				read, err := f.reg.GetCompetition(f.member, got.ID)
				if err != nil || fmt.Sprint(read.PrizeLevels) != fmt.Sprint(c.in.PrizeLevels) {
					t.Fatalf("read back %+v, %v", read, err)
				}
			})
		}
	})
}

func TestReadCompetitions(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newFixture(t, db)
		ctx := t.Context()
		c := f.competition(t, "西湖AI创新大赛")
		cases := []struct {
			name string
			ctx  context.Context
			id   string
			want registry.Kind
		}{
			{"issuer", f.office, c.ID, registrytest.Succeeds},
			{"bureau viewer", registrytest.As(ctx, "viewer", "bureau:cyberspace"), c.ID, registrytest.Succeeds},
			{"enterprise member", f.member, c.ID, registrytest.Succeeds},
			{"auditor", f.auditor, c.ID, registrytest.Succeeds},
			{"park operator may not", registrytest.As(ctx, "operator", "park:west-lake"), c.ID, registry.KindPermissionDenied},
			{"admin may not", registrytest.As(ctx, "admin", "admin"), c.ID, registry.KindPermissionDenied},
			{"missing", f.office, "0190a4c2-0000-7000-8000-000000000000", registry.KindNotFound},
			{"not an id", f.office, "x", registry.KindInvalidArgument},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				got, err := f.reg.GetCompetition(c.ctx, c.id)
				registrytest.Check(t, err, c.want, "")
				if err == nil && got.ID != c.id {
					t.Fatalf("got %s", got.ID)
				}
				list, err := f.reg.ListCompetitions(c.ctx, 2026)
				if c.want == registry.KindPermissionDenied {
					registrytest.Check(t, err, registry.KindPermissionDenied, "")
					return
				}
				if err != nil || len(list) != 1 {
					t.Fatalf("list: %v, %v", list, err)
				}
			})
		}
		if list, err := f.reg.ListCompetitions(f.office, 2025); err != nil || len(list) != 0 {
			t.Fatalf("list of 2025: %v, %v", list, err)
		}
	})
}

func TestRecordAwards(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newFixture(t, db)
		comp := f.competition(t, "西湖AI创新大赛")
		newcomer := registrytest.IDNumber(t, "33010619950505123")
		tooMany := make([]competition.AwardInput, 1001)
		for i := range tooMany {
			tooMany[i] = competition.AwardInput{TalentID: f.employee, Prize: "一等奖"}
		}
		cases := []struct {
			name        string
			ctx         context.Context
			comp        string
			in          []competition.AwardInput
			want        registry.Kind
			field       string
			wantNew     int
			wantLevels  string
			wantTalents int // talents registered afterwards
		}{
			{"talent office may not", f.office, comp.ID, []competition.AwardInput{{TalentID: f.employee, Prize: "一等奖"}}, registry.KindPermissionDenied, "", 0, "", 2},
			{"member may not", f.member, comp.ID, []competition.AwardInput{{TalentID: f.employee, Prize: "一等奖"}}, registry.KindPermissionDenied, "", 0, "", 2},
			{"no awards", f.economy, comp.ID, nil, registry.KindInvalidArgument, "awards", 0, "", 2},
			{"more than 1000 awards", f.economy, comp.ID, tooMany, registry.KindInvalidArgument, "awards", 0, "", 2},
			{"unknown competition", f.economy, "0190a4c2-0000-7000-8000-000000000000", []competition.AwardInput{{TalentID: f.employee, Prize: "一等奖"}}, registry.KindNotFound, "", 0, "", 2},
			{"a prize the competition lacks", f.economy, comp.ID, []competition.AwardInput{{TalentID: f.employee, Prize: "一等奖"}, {TalentID: f.outsider, Prize: "特等奖"}}, registry.KindInvalidArgument, "awards[1].prize", 0, "", 2},
			{"talent id and document both", f.economy, comp.ID, []competition.AwardInput{{TalentID: f.employee, Name: "选手0", IDNumber: newcomer, Prize: "一等奖"}}, registry.KindInvalidArgument, "awards[0].talent_id", 0, "", 2},
			{"neither talent id nor name", f.economy, comp.ID, []competition.AwardInput{{IDNumber: newcomer, Prize: "一等奖"}}, registry.KindInvalidArgument, "awards[0].name", 0, "", 2},
			{"a bad identity number", f.economy, comp.ID, []competition.AwardInput{{Name: "新人", IDNumber: "330106199505051230", Prize: "一等奖"}}, registry.KindInvalidArgument, "awards[0].id_number", 0, "", 2},
			{"a passport without nationality", f.economy, comp.ID, []competition.AwardInput{{Name: "Alice", PassportNumber: "E12345678", Prize: "一等奖"}}, registry.KindInvalidArgument, "awards[0].nationality", 0, "", 2},
			{"an unknown talent", f.economy, comp.ID, []competition.AwardInput{{TalentID: "0190a4c2-0000-7000-8000-000000000000", Prize: "一等奖"}}, registry.KindNotFound, "", 0, "", 2},
			{"known talents, prizes mapped to levels", f.economy, comp.ID, []competition.AwardInput{{TalentID: f.employee, Prize: "一等奖", Team: "云栖队"}, {TalentID: f.outsider, Prize: "二等奖"}}, registrytest.Succeeds, "", 2, "C D", 2},
			{"the same awards again are not recorded twice", f.economy, comp.ID, []competition.AwardInput{{TalentID: f.employee, Prize: "一等奖"}, {TalentID: f.outsider, Prize: "二等奖"}}, registrytest.Succeeds, "", 0, "C D", 2},
			{"a winner named by document is registered", f.economy, comp.ID, []competition.AwardInput{{Name: "新人", IDNumber: newcomer, Prize: "二等奖"}}, registrytest.Succeeds, "", 1, "D", 3},
			{"and found again by the document", f.economy, comp.ID, []competition.AwardInput{{Name: "新人", IDNumber: newcomer, Prize: "一等奖"}}, registrytest.Succeeds, "", 1, "C", 3},
			{"the document under another name", f.economy, comp.ID, []competition.AwardInput{{Name: "旧人", IDNumber: newcomer, Prize: "一等奖"}}, registry.KindInvalidArgument, "awards[0].name", 0, "", 3},
			{"one bad award stops the batch", f.economy, comp.ID, []competition.AwardInput{{Name: "另一人", IDNumber: registrytest.IDNumber(t, "33010619960606123"), Prize: "一等奖"}, {TalentID: "0190a4c2-0000-7000-8000-000000000000", Prize: "一等奖"}}, registry.KindNotFound, "", 0, "", 3},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				awards, created, err := f.reg.RecordAwards(c.ctx, c.comp, c.in)
				registrytest.Check(t, err, c.want, c.field)
				talents, _, lerr := f.reg.ListTalents(f.office, talent.TalentFilter{})
				if lerr != nil || len(talents) != c.wantTalents {
					t.Fatalf("%d talents registered (%v), want %d", len(talents), lerr, c.wantTalents)
				}
				if err != nil {
					return
				}
				var levels []string
				for i, a := range awards {
					levels = append(levels, a.Level)
					if a.CompetitionID != comp.ID || a.Prize != c.in[i].Prize || (c.in[i].TalentID != "" && a.TalentID != c.in[i].TalentID) {
						t.Fatalf("award %d: %+v for %+v", i, a, c.in[i])
					}
				}
				if created != c.wantNew || strings.Join(levels, " ") != c.wantLevels {
					t.Fatalf("%d new, levels %v; want %d new, levels %s", created, levels, c.wantNew, c.wantLevels)
				}
			})
		}
		lists := []struct {
			name        string
			ctx         context.Context
			comp, tal   string
			want        registry.Kind
			wantAwarded int
		}{
			{"issuer sees every award", f.office, comp.ID, "", registrytest.Succeeds, 4},
			{"by talent", f.auditor, "", f.employee, registrytest.Succeeds, 1},
			{"the member sees its employees' awards only", f.member, "", "", registrytest.Succeeds, 1},
			{"and not another's, even when it asks", f.member, "", f.outsider, registrytest.Succeeds, 0},
			{"a park operator may not", registrytest.As(t.Context(), "operator", "park:west-lake"), "", "", registry.KindPermissionDenied, 0},
			{"a malformed competition id", f.office, "x", "", registry.KindInvalidArgument, 0},
		}
		for _, c := range lists {
			t.Run("list/"+c.name, func(t *testing.T) {
				got, err := f.reg.ListAwards(c.ctx, c.comp, c.tal)
				registrytest.Check(t, err, c.want, "")
				if err == nil && len(got) != c.wantAwarded {
					t.Fatalf("listed %d awards, want %d: %+v", len(got), c.wantAwarded, got)
				}
			})
		}
	})
}

func TestRecognizeWinner(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newFixture(t, db)
		comp := f.competition(t, "西湖AI创新大赛")
		awards, _, err := f.reg.RecordAwards(f.economy, comp.ID, []competition.AwardInput{{TalentID: f.employee, Prize: "一等奖"}, {TalentID: f.outsider, Prize: "二等奖"}})
		if err != nil {
			t.Fatal(err)
		}
		first, second := awards[0], awards[1]
		in := func(award string) competition.WinnerRecognition {
			return competition.WinnerRecognition{AwardID: award, ValidFrom: "2026-07-01", ValidUntil: "2029-06-30", DocumentNumber: "杭人才〔2026〕8号"}
		}
		cases := []struct {
			name      string
			ctx       context.Context
			in        competition.WinnerRecognition
			want      registry.Kind
			field     string
			wantLevel string
		}{
			{"economy-it may not", f.economy, in(first.ID), registry.KindPermissionDenied, "", ""},
			{"member may not", f.member, in(first.ID), registry.KindPermissionDenied, "", ""},
			{"no document", f.office, competition.WinnerRecognition{AwardID: first.ID, ValidFrom: "2026-07-01", ValidUntil: "2029-06-30"}, registry.KindInvalidArgument, "document_number", ""},
			{"until before from", f.office, competition.WinnerRecognition{AwardID: first.ID, ValidFrom: "2026-07-01", ValidUntil: "2026-06-30", DocumentNumber: "杭人才〔2026〕8号"}, registry.KindInvalidArgument, "valid_until", ""},
			{"no award", f.office, in(""), registry.KindInvalidArgument, "award_id", ""},
			{"unknown award", f.office, in("0190a4c2-0000-7000-8000-000000000000"), registry.KindNotFound, "", ""},
			{"first prize, level C", f.office, in(first.ID), registrytest.Succeeds, "", "C"},
			{"an award supports one recognition", f.office, competition.WinnerRecognition{AwardID: first.ID, ValidFrom: "2026-07-01", ValidUntil: "2029-06-30", DocumentNumber: "杭人才〔2026〕9号"}, registry.KindAlreadyExists, "", ""},
			{"second prize, level D", f.office, in(second.ID), registrytest.Succeeds, "", "D"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				d, err := f.reg.RecognizeWinner(c.ctx, c.in)
				registrytest.Check(t, err, c.want, c.field)
				if err != nil {
					return
				}
				if d.Type != "talent-recognition" || d.Level != c.wantLevel || d.AwardID != c.in.AwardID || d.GrantedByBureau != "talent-office" || d.Status != designation.StatusActive {
					t.Fatalf("recognition %+v", d)
				}
			})
		}
		listed, err := f.reg.ListAwards(f.office, comp.ID, f.employee)
		if err != nil || len(listed) != 1 || listed[0].RecognitionID == "" {
			t.Fatalf("the recognised award should name its recognition: %+v, %v", listed, err)
		}
	})
}
