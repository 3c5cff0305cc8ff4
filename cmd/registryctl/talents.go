package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	"google.golang.org/protobuf/encoding/protojson"

	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
)

// The talent office's work: TalentAuthorizationService and
// CompetitionService.

// multiFlag is a flag that may be given many times; commas also separate
// values when split is set.
type multiFlag struct {
	values []string
	split  bool
}

func (m *multiFlag) String() string { return strings.Join(m.values, ",") }

// Type names the flag's kind in the help.
func (m *multiFlag) Type() string { return "list" }

func (m *multiFlag) Set(s string) error {
	if !m.split {
		m.values = append(m.values, s)
		return nil
	}
	for v := range strings.SplitSeq(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			m.values = append(m.values, v)
		}
	}
	return nil
}

// pairs splits KEY=VALUE flag values.
func pairs(flagName string, values []string) ([][2]string, error) {
	var out [][2]string
	for _, v := range values {
		k, val, ok := strings.Cut(v, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("--%s %q: want KEY=VALUE", flagName, v)
		}
		out = append(out, [2]string{strings.TrimSpace(k), strings.TrimSpace(val)})
	}
	return out, nil
}

func authorizationIssue(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.IssueTalentAuthorizationRequest
	var year int
	quotas := &multiFlag{}
	fs.StringVar(&req.EnterpriseCreditCode, "enterprise", "", "the enterprise's credit `code`")
	fs.IntVar(&year, "year", 0, "the `year` the quota is for")
	fs.Var(quotas, "quota", "`LEVEL=PLACES`, e.g. D=5; repeat for each level")
	dateVar(fs, &req.ValidFrom, "from", "first valid `date` (YYYY-MM-DD)")
	dateVar(fs, &req.ValidUntil, "until", "last valid `date` (YYYY-MM-DD)")
	fs.StringVar(&req.DocumentNumber, "doc", "", "document `number`")
	return func([]string) error {
		req.Year = int32(year)
		kv, err := pairs("quota", quotas.values)
		if err != nil {
			return err
		}
		for _, p := range kv {
			n, err := strconv.ParseInt(p[1], 10, 32)
			if err != nil {
				return fmt.Errorf("--quota %s=%s: places must be a number", p[0], p[1])
			}
			req.Quotas = append(req.Quotas, &registryv1.LevelQuota{Level: strings.ToUpper(p[0]), Places: int32(n)})
		}
		res, err := inv.clients().TalentAuthorization.IssueTalentAuthorization(inv.ctx, &req)
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) { authorizationDetail(t, res.GetAuthorization()) })
	}
}

func authorizationGet(inv *invocation, fs *pflag.FlagSet) action {
	return func(pos []string) error {
		res, err := inv.clients().TalentAuthorization.GetTalentAuthorization(inv.ctx, &registryv1.GetTalentAuthorizationRequest{Id: pos[0]})
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) { authorizationDetail(t, res.GetAuthorization()) })
	}
}

func authorizationList(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.ListTalentAuthorizationsRequest
	var year int
	var st string
	fs.StringVar(&req.EnterpriseCreditCode, "enterprise", "", "only this enterprise's (credit `code`)")
	fs.IntVar(&year, "year", 0, "only this `year`")
	fs.StringVar(&st, "status", "", "only this `status`: active, suspended, revoked or expired")
	return func([]string) error {
		req.Year = int32(year)
		var err error
		if req.Status, err = parseStatus(st); err != nil {
			return err
		}
		res, err := inv.clients().TalentAuthorization.ListTalentAuthorizations(inv.ctx, &req)
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) { authorizationRows(t, res.GetAuthorizations()...) })
	}
}

func authorizationRevoke(inv *invocation, fs *pflag.FlagSet) action {
	reason := reasonFlag(fs)
	return func(pos []string) error {
		res, err := inv.clients().TalentAuthorization.RevokeTalentAuthorization(inv.ctx, &registryv1.RevokeTalentAuthorizationRequest{Id: pos[0], Reason: *reason})
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) { authorizationDetail(t, res.GetAuthorization()) })
	}
}

func authorizationRecognize(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.RecognizeTalentRequest
	fs.StringVar(&req.AuthorizationId, "authorization", "", "the authorization's `id`")
	fs.StringVar(&req.TalentId, "talent", "", "the employee's talent `id`")
	fs.StringVar(&req.Level, "level", "", "talent `level` A-E")
	dateVar(fs, &req.ValidFrom, "from", "first valid `date` (YYYY-MM-DD)")
	dateVar(fs, &req.ValidUntil, "until", "last valid `date` (YYYY-MM-DD)")
	fs.StringVar(&req.DocumentNumber, "doc", "", "document `number` (default: the authorization's)")
	return func([]string) error {
		req.Level = strings.ToUpper(req.Level)
		res, err := inv.clients().TalentAuthorization.RecognizeTalent(inv.ctx, &req)
		return showDesignation(inv, res, err)
	}
}

func authorizationWithdraw(inv *invocation, fs *pflag.FlagSet) action {
	reason := reasonFlag(fs)
	return func(pos []string) error {
		res, err := inv.clients().TalentAuthorization.WithdrawRecognition(inv.ctx, &registryv1.WithdrawRecognitionRequest{DesignationId: pos[0], Reason: *reason})
		return showDesignation(inv, res, err)
	}
}

func authorizationRows(t *table, as ...*registryv1.TalentAuthorization) {
	t.row("ID", "ENTERPRISE", "YEAR", "STATUS", "VALID FROM", "VALID UNTIL", "DOCUMENT", "PLACES LEFT")
	for _, a := range as {
		var left []string
		for _, q := range a.GetQuotas() {
			left = append(left, fmt.Sprintf("%s %d/%d", q.GetLevel(), q.GetRemaining(), q.GetPlaces()))
		}
		t.row(a.GetId(), a.GetEnterpriseCreditCode(), num(a.GetYear()), status(a.GetStatus()), a.GetValidFrom(), a.GetValidUntil(),
			a.GetDocumentNumber(), list(left))
	}
}

func authorizationDetail(t *table, a *registryv1.TalentAuthorization) {
	authorizationRows(t, a)
	t.section()
	t.row("LEVEL", "PLACES", "USED", "REMAINING")
	for _, q := range a.GetQuotas() {
		t.row(q.GetLevel(), fmt.Sprint(q.GetPlaces()), fmt.Sprint(q.GetUsed()), fmt.Sprint(q.GetRemaining()))
	}
	if a.GetStatusReason() != "" {
		t.line("reason: %s", a.GetStatusReason())
	}
}

func parseTier(s string) (registryv1.CompetitionTier, error) {
	if s == "" {
		return registryv1.CompetitionTier_COMPETITION_TIER_UNSPECIFIED, nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "COMPETITION_TIER_") {
		name = "COMPETITION_TIER_" + name
	}
	v, ok := registryv1.CompetitionTier_value[name]
	if !ok || v == 0 {
		return 0, fmt.Errorf("--tier %q: want national, provincial or municipal", s)
	}
	return registryv1.CompetitionTier(v), nil
}

func competitionRegister(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.RegisterCompetitionRequest
	var year int
	var tierName string
	prizes := &multiFlag{}
	fs.StringVar(&req.Name, "name", "", "the competition's `name`")
	fs.StringVar(&req.Organiser, "organiser", "", "who organises it")
	fs.IntVar(&year, "year", 0, "the `year` it is held")
	fs.StringVar(&tierName, "tier", "", "`tier`: national, provincial or municipal")
	fs.Var(prizes, "prize", "`PRIZE=LEVEL`, e.g. 一等奖=C; repeat for each prize")
	return func([]string) error {
		req.Year = int32(year)
		var err error
		if req.Tier, err = parseTier(tierName); err != nil {
			return err
		}
		kv, err := pairs("prize", prizes.values)
		if err != nil {
			return err
		}
		for _, p := range kv {
			req.PrizeLevels = append(req.PrizeLevels, &registryv1.PrizeLevel{Prize: p[0], Level: strings.ToUpper(p[1])})
		}
		res, err := inv.clients().Competition.RegisterCompetition(inv.ctx, &req)
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) { competitionRows(t, res.GetCompetition()) })
	}
}

func competitionGet(inv *invocation, fs *pflag.FlagSet) action {
	return func(pos []string) error {
		res, err := inv.clients().Competition.GetCompetition(inv.ctx, &registryv1.GetCompetitionRequest{Id: pos[0]})
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) { competitionRows(t, res.GetCompetition()) })
	}
}

func competitionList(inv *invocation, fs *pflag.FlagSet) action {
	year := fs.Int("year", 0, "only this `year`")
	return func([]string) error {
		res, err := inv.clients().Competition.ListCompetitions(inv.ctx, &registryv1.ListCompetitionsRequest{Year: int32(*year)})
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) { competitionRows(t, res.GetCompetitions()...) })
	}
}

func competitionRows(t *table, cs ...*registryv1.Competition) {
	t.row("ID", "NAME", "ORGANISER", "YEAR", "TIER", "PRIZES")
	for _, c := range cs {
		var prizes []string
		for _, p := range c.GetPrizeLevels() {
			prizes = append(prizes, p.GetPrize()+"="+p.GetLevel())
		}
		t.row(c.GetId(), c.GetName(), c.GetOrganiser(), num(c.GetYear()), tier(c.GetTier()), list(prizes))
	}
}

// awardKeys maps the keys of --award and the columns of an awards CSV file
// to AwardInput fields.
var awardKeys = map[string]func(a *registryv1.AwardInput, v string){
	"talent_id":       func(a *registryv1.AwardInput, v string) { a.TalentId = v },
	"talent":          func(a *registryv1.AwardInput, v string) { a.TalentId = v },
	"name":            func(a *registryv1.AwardInput, v string) { a.Name = v },
	"id_number":       func(a *registryv1.AwardInput, v string) { a.IdNumber = v },
	"passport_number": func(a *registryv1.AwardInput, v string) { a.PassportNumber = v },
	"passport":        func(a *registryv1.AwardInput, v string) { a.PassportNumber = v },
	"nationality":     func(a *registryv1.AwardInput, v string) { a.Nationality = v },
	"prize":           func(a *registryv1.AwardInput, v string) { a.Prize = v },
	"team":            func(a *registryv1.AwardInput, v string) { a.Team = v },
}

func awardKey(k string) string {
	return strings.NewReplacer("-", "_", " ", "_").Replace(strings.ToLower(strings.TrimSpace(k)))
}

func competitionRecordAwards(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.RecordAwardsRequest
	awards := &multiFlag{}
	var file string
	fs.StringVar(&req.CompetitionId, "competition", "", "the competition's `id`")
	fs.Var(awards, "award", "one winner as `KEY=VALUE,...` with keys name, id-number, passport, nationality, talent, prize, team; repeat for each")
	fs.StringVar(&file, "file", "", "a CSV `file` with a header row of those keys, or a JSON array of awards; - reads standard input")
	return func([]string) error {
		for _, spec := range awards.values {
			var a registryv1.AwardInput
			kv, err := pairs("award", strings.Split(spec, ","))
			if err != nil {
				return err
			}
			for _, p := range kv {
				set, ok := awardKeys[awardKey(p[0])]
				if !ok {
					return fmt.Errorf("--award %q: unknown key %q", spec, p[0])
				}
				set(&a, p[1])
			}
			req.Awards = append(req.Awards, &a)
		}
		if file != "" {
			if err := readAwards(inv, file, &req); err != nil {
				return err
			}
		}
		if len(req.Awards) == 0 {
			return inv.usageError()
		}
		res, err := inv.clients().Competition.RecordAwards(inv.ctx, &req)
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) {
			awardRows(t, res.GetAwards()...)
			t.line("%d recorded, %d already on record", res.GetCreated(), len(res.GetAwards())-int(res.GetCreated()))
		})
	}
}

// readAwards appends the awards in a CSV or JSON file to req. A JSON file
// is an array of awards or a RecordAwardsRequest object (whose
// competition_id applies unless --competition is given).
func readAwards(inv *invocation, name string, req *registryv1.RecordAwardsRequest) error {
	var raw []byte
	var err error
	if name == "-" {
		raw, err = io.ReadAll(io.LimitReader(inv.stdin, 16<<20))
	} else {
		raw, err = os.ReadFile(name)
	}
	if err != nil {
		return err
	}
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf")) // a spreadsheet's byte-order mark
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) > 0 && (trimmed[0] == '[' || trimmed[0] == '{') {
		if trimmed[0] == '[' {
			trimmed = append(append([]byte(`{"awards":`), trimmed...), '}')
		}
		var in registryv1.RecordAwardsRequest
		if err := protojson.Unmarshal(trimmed, &in); err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
		if req.CompetitionId == "" {
			req.CompetitionId = in.GetCompetitionId()
		}
		req.Awards = append(req.Awards, in.GetAwards()...)
		return nil
	}
	r := csv.NewReader(bytes.NewReader(raw))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	rows, err := r.ReadAll()
	if err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	if len(rows) == 0 {
		return fmt.Errorf("%s: no header row", name)
	}
	setters := make([]func(*registryv1.AwardInput, string), len(rows[0]))
	for i, col := range rows[0] {
		set, ok := awardKeys[awardKey(col)]
		if !ok {
			return fmt.Errorf("%s: unknown column %q (want name, id_number, passport_number, nationality, talent_id, prize, team)", name, col)
		}
		setters[i] = set
	}
	for n, row := range rows[1:] {
		if len(row) > len(setters) {
			return fmt.Errorf("%s: line %d has %d fields, the header %d", name, n+2, len(row), len(setters))
		}
		var a registryv1.AwardInput
		for i, v := range row {
			setters[i](&a, strings.TrimSpace(v))
		}
		req.Awards = append(req.Awards, &a)
	}
	return nil
}

func competitionAwards(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.ListAwardsRequest
	fs.StringVar(&req.CompetitionId, "competition", "", "a competition's `id`")
	fs.StringVar(&req.TalentId, "talent", "", "a talent's `id`")
	return func([]string) error {
		res, err := inv.clients().Competition.ListAwards(inv.ctx, &req)
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) { awardRows(t, res.GetAwards()...) })
	}
}

func awardRows(t *table, as ...*registryv1.Award) {
	t.row("ID", "COMPETITION", "TALENT", "NAME", "PRIZE", "LEVEL", "TEAM", "RECOGNITION")
	for _, a := range as {
		t.row(a.GetId(), a.GetCompetitionId(), a.GetTalentId(), a.GetTalentName(), a.GetPrize(), a.GetLevel(), a.GetTeam(), a.GetRecognitionId())
	}
}

func competitionRecognizeWinner(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.RecognizeWinnerRequest
	dateVar(fs, &req.ValidFrom, "from", "first valid `date` (YYYY-MM-DD)")
	dateVar(fs, &req.ValidUntil, "until", "last valid `date` (YYYY-MM-DD)")
	fs.StringVar(&req.DocumentNumber, "doc", "", "document `number`")
	return func(pos []string) error {
		req.AwardId = pos[0]
		res, err := inv.clients().Competition.RecognizeWinner(inv.ctx, &req)
		return showDesignation(inv, res, err)
	}
}
