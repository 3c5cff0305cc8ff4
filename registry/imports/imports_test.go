package imports_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/hangzhou-ai/registry/ident"
	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/competition"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/imports"
	"github.com/hangzhou-ai/registry/registry/park"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// codes returns n valid credit codes, distinct for distinct seeds.
func codes(t *testing.T, seed, n int) []string {
	t.Helper()
	out := make([]string, n)
	for i := range out {
		code, err := ident.CompleteCreditCode(fmt.Sprintf("9133010%02d%08d", seed, i))
		if err != nil {
			t.Fatal(err)
		}
		out[i] = code
	}
	return out
}

type fixture struct {
	reg                                 *registry.Registry
	economy, office, operator, otherOp  context.Context
	viewer, member, auditor, parkViewer context.Context
	tenant                              string
	comp                                competition.Competition
}

func newFixture(t *testing.T, db storetest.Database) *fixture {
	t.Helper()
	reg, _ := registrytest.Open(t, db)
	ctx := t.Context()
	f := &fixture{
		reg:        reg,
		economy:    registrytest.As(ctx, "issuer", "bureau:economy-it"),
		office:     registrytest.As(ctx, "issuer", "bureau:talent-office"),
		viewer:     registrytest.As(ctx, "viewer", "bureau:economy-it"),
		operator:   registrytest.As(ctx, "operator", "park:west-lake"),
		otherOp:    registrytest.As(ctx, "operator", "park:qiantang"),
		parkViewer: registrytest.As(ctx, "viewer", "park:west-lake"),
		auditor:    registrytest.As(ctx, "auditor", "auditor"),
		tenant:     codes(t, 99, 1)[0],
	}
	f.member = registrytest.As(ctx, "member", "enterprise:"+f.tenant)
	for _, code := range []string{"west-lake", "qiantang"} {
		if _, err := reg.RegisterPark(f.economy, park.NewPark{Code: code, Name: code + "园区"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := reg.RegisterEnterprise(f.economy, enterprise.NewEnterprise{CreditCode: f.tenant, Name: "杭州园区企业有限公司"}); err != nil {
		t.Fatal(err)
	}
	var err error
	f.comp, err = reg.RegisterCompetition(f.economy, competition.NewCompetition{
		Name: "西湖AI创新大赛", Organiser: "杭州市经信局", Year: 2026, Tier: "municipal", PrizeLevels: []competition.PrizeLevel{{Prize: "一等奖", Level: "C"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// enterprises counts the registered enterprises.
func (f *fixture) enterprises(t *testing.T) int {
	t.Helper()
	n, token := 0, ""
	for {
		list, next, err := f.reg.ListEnterprises(f.economy, enterprise.EnterpriseFilter{PageSize: 500, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		n += len(list)
		if token = next; token == "" {
			return n
		}
	}
}

func TestAuthorizeImport(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newFixture(t, db)
		ctx := t.Context()
		type who struct {
			name string
			ctx  context.Context
		}
		cases := []struct {
			kind    imports.ImportKind
			allowed []who
			refused []who
		}{
			{imports.ImportEnterprises,
				[]who{{"economy-it issuer", f.economy}, {"talent office issuer", f.office}},
				[]who{{"bureau viewer", f.viewer}, {"park operator", f.operator}, {"member", f.member}, {"auditor", f.auditor}}},
			{imports.ImportDesignations,
				[]who{{"economy-it issuer", f.economy}, {"talent office issuer", f.office}, {"cyberspace issuer", registrytest.As(ctx, "issuer", "bureau:cyberspace")}},
				[]who{{"bureau viewer", f.viewer}, {"park operator", f.operator}, {"member", f.member}, {"admin", registrytest.As(ctx, "admin", "admin")}}},
			{imports.ImportAwards,
				[]who{{"economy-it issuer", f.economy}},
				[]who{{"talent office issuer", f.office}, {"bureau viewer", f.viewer}, {"member", f.member}}},
			{imports.ImportTenancies,
				[]who{{"park operator", f.operator}},
				[]who{{"park viewer", f.parkViewer}, {"economy-it issuer", f.economy}, {"auditor", f.auditor}}},
		}
		for _, c := range cases {
			for _, w := range c.allowed {
				t.Run(string(c.kind)+"/"+w.name+" may", func(t *testing.T) {
					registrytest.Check(t, f.reg.AuthorizeImport(w.ctx, c.kind), registrytest.Succeeds)
					im, err := f.reg.BeginImport(w.ctx, c.kind, imports.ImportOptions{})
					registrytest.Check(t, err, registrytest.Succeeds)
					im.Abort()
				})
			}
			for _, w := range c.refused {
				t.Run(string(c.kind)+"/"+w.name+" may not", func(t *testing.T) {
					registrytest.Check(t, f.reg.AuthorizeImport(w.ctx, c.kind), registry.KindPermissionDenied)
					_, err := f.reg.BeginImport(w.ctx, c.kind, imports.ImportOptions{})
					registrytest.Check(t, err, registry.KindPermissionDenied)
				})
			}
		}
		t.Run("an unknown kind", func(t *testing.T) {
			registrytest.Check(t, f.reg.AuthorizeImport(f.economy, "talents"), registry.KindInvalidArgument)
			_, err := f.reg.BeginImport(f.economy, "talents", imports.ImportOptions{})
			registrytest.Check(t, err, registry.KindInvalidArgument)
		})
		t.Run("no principal", func(t *testing.T) {
			registrytest.Check(t, f.reg.AuthorizeImport(ctx, imports.ImportEnterprises), registry.KindUnauthenticated)
		})
	})
}

func TestImportBatches(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newFixture(t, db)
		ctx := t.Context()
		im, err := f.reg.BeginImport(f.economy, imports.ImportEnterprises, imports.ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer im.Abort()
		over := make([]imports.EnterpriseRow, imports.MaxImportBatch+1)
		full := make([]imports.EnterpriseRow, imports.MaxImportBatch)
		for i, code := range codes(t, 1, imports.MaxImportBatch) {
			full[i] = imports.EnterpriseRow{Row: int64(i + 1), NewEnterprise: enterprise.NewEnterprise{CreditCode: code, Name: fmt.Sprintf("企业%d", i)}}
		}
		cases := []struct {
			name         string
			do           func() (imports.ImportProgress, error)
			want         registry.Kind
			wantReceived int64
		}{
			{"a batch beyond the bound", func() (imports.ImportProgress, error) { return im.Enterprises(ctx, over) }, registry.KindInvalidArgument, 0},
			{"a batch of another kind", func() (imports.ImportProgress, error) {
				return im.Designations(ctx, []imports.DesignationRow{{Row: 1}})
			}, registry.KindFailedPrecondition, 0},
			{"a full batch", func() (imports.ImportProgress, error) { return im.Enterprises(ctx, full) }, registrytest.Succeeds, imports.MaxImportBatch},
			{"an empty batch", func() (imports.ImportProgress, error) { return im.Enterprises(ctx, nil) }, registrytest.Succeeds, imports.MaxImportBatch},
			{"finish", func() (imports.ImportProgress, error) { return im.Finish(ctx, nil) }, registrytest.Succeeds, imports.MaxImportBatch},
			{"a batch after finishing", func() (imports.ImportProgress, error) { return im.Enterprises(ctx, full[:1]) }, registry.KindFailedPrecondition, imports.MaxImportBatch},
			{"finishing twice", func() (imports.ImportProgress, error) { return im.Finish(ctx, nil) }, registry.KindFailedPrecondition, imports.MaxImportBatch},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				p, err := c.do()
				registrytest.Check(t, err, c.want)
				if p.RowsReceived != c.wantReceived {
					t.Fatalf("rows received %d, want %d", p.RowsReceived, c.wantReceived)
				}
			})
		}
		if n := f.enterprises(t); n != 1+imports.MaxImportBatch {
			t.Fatalf("%d enterprises registered, want %d", n, 1+imports.MaxImportBatch)
		}
	})
}

// TestImportErrorsCapped: however many rows are invalid, one import lists
// MaxImportErrors problems and counts every invalid row.
func TestImportErrorsCapped(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newFixture(t, db)
		ctx := t.Context()
		im, err := f.reg.BeginImport(f.economy, imports.ImportEnterprises, imports.ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer im.Abort()
		bad := func(from, n int) []imports.EnterpriseRow {
			rows := make([]imports.EnterpriseRow, n)
			for i := range rows {
				// Two problems a row: a bad credit code and no name.
				rows[i] = imports.EnterpriseRow{Row: int64(from + i), NewEnterprise: enterprise.NewEnterprise{CreditCode: "x"}}
			}
			return rows
		}
		cases := []struct {
			name        string
			rows        []imports.EnterpriseRow
			wantListed  int
			wantInvalid int64
			wantFirst   int64
		}{
			{"thirty rows, two problems each", bad(1, 30), 60, 30, 1},
			{"the next rows fill the list", bad(31, 40), 40, 70, 31},
			{"past the cap nothing more is listed", bad(71, 500), 0, 570, 0},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				p, err := im.Enterprises(ctx, c.rows)
				if err != nil {
					t.Fatal(err)
				}
				if len(p.Errors) != c.wantListed || p.Invalid != c.wantInvalid {
					t.Fatalf("listed %d problems, %d invalid rows; want %d and %d", len(p.Errors), p.Invalid, c.wantListed, c.wantInvalid)
				}
				if c.wantListed > 0 && (p.Errors[0].Row != c.wantFirst || p.Errors[0].Column == "" || p.Errors[0].Message == "") {
					t.Fatalf("first problem %+v, want one of row %d", p.Errors[0], c.wantFirst)
				}
			})
		}
		if imports.MaxImportErrors != 100 {
			t.Fatalf("MaxImportErrors = %d", imports.MaxImportErrors)
		}
		p, err := im.Finish(ctx, nil)
		if err != nil || p.Outcome != imports.ImportRolledBack || p.Created != 0 {
			t.Fatalf("finish: %+v, %v", p, err)
		}
	})
}

// TestImportOutcome: how options and invalid rows decide what is written.
func TestImportOutcome(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newFixture(t, db)
		ctx := t.Context()
		valid := codes(t, 2, 3)
		rows := func(codes []string, invalid int) []imports.EnterpriseRow {
			var out []imports.EnterpriseRow
			for i, code := range codes {
				out = append(out, imports.EnterpriseRow{Row: int64(i + 1), NewEnterprise: enterprise.NewEnterprise{CreditCode: code, Name: "企业" + code[10:]}})
			}
			for i := range invalid {
				out = append(out, imports.EnterpriseRow{Row: int64(len(codes) + i + 1), NewEnterprise: enterprise.NewEnterprise{CreditCode: "91330106MA27XK0A10", Name: "坏行"}})
			}
			return out
		}
		cases := []struct {
			name            string
			opts            imports.ImportOptions
			rows            []imports.EnterpriseRow
			outcome         imports.ImportOutcome
			created, exists int64
			invalid         int64
			registered      int // enterprises afterwards
		}{
			{"nothing to import", imports.ImportOptions{}, nil, imports.ImportCommitted, 0, 0, 0, 1},
			{"a dry run writes nothing", imports.ImportOptions{DryRun: true}, rows(valid, 1), imports.ImportDryRun, 3, 0, 1, 1},
			// Like a dry run, a rolled-back import counts what it would have created.
			{"an invalid row rolls back the rest", imports.ImportOptions{}, rows(valid, 1), imports.ImportRolledBack, 3, 0, 1, 1},
			{"only invalid rows roll back", imports.ImportOptions{}, rows(nil, 2), imports.ImportRolledBack, 0, 0, 2, 1},
			{"skipping invalid rows commits the valid", imports.ImportOptions{SkipInvalid: true}, rows(valid[:2], 1), imports.ImportCommitted, 2, 0, 1, 3},
			{"registered ones count as existing", imports.ImportOptions{}, rows(valid, 0), imports.ImportCommitted, 1, 2, 0, 4},
			{"a credit code twice in one import", imports.ImportOptions{}, append(rows(codes(t, 3, 1), 0), rows(codes(t, 3, 1), 0)...), imports.ImportCommitted, 1, 1, 0, 5},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				im, err := f.reg.BeginImport(f.economy, imports.ImportEnterprises, c.opts)
				if err != nil {
					t.Fatal(err)
				}
				defer im.Abort()
				if _, err := im.Enterprises(ctx, c.rows); err != nil {
					t.Fatal(err)
				}
				p, err := im.Finish(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				if p.Outcome != c.outcome || p.Created != c.created || p.Existing != c.exists || p.Invalid != c.invalid || p.RowsReceived != int64(len(c.rows)) {
					t.Fatalf("progress %+v; want %s, %d created, %d existing, %d invalid", p, c.outcome, c.created, c.exists, c.invalid)
				}
				if n := f.enterprises(t); n != c.registered {
					t.Fatalf("%d enterprises registered, want %d", n, c.registered)
				}
			})
		}
	})
}

// TestImportRowRules: rows a principal may not write, or that the
// database refuses, are reported by row and column.
func TestImportRowRules(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newFixture(t, db)
		ctx := t.Context()
		fresh := codes(t, 4, 2)
		type outcome struct {
			created, existing, invalid int64
			columns                    string // columns of the problems, batch and finish
		}
		grant := func(row int64, typ, code string) imports.DesignationRow {
			return imports.DesignationRow{Row: row, Grant: designation.Grant{Type: typ, EnterpriseCreditCode: code, ValidFrom: "2026-01-01", ValidUntil: "2027-12-31", DocumentNumber: "杭经信〔2026〕7号"}}
		}
		tenancy := func(row int64, parkCode, code, start, area string) imports.TenancyRow {
			return imports.TenancyRow{Row: row, ParkCode: parkCode, EnterpriseCreditCode: code, StartDate: start, FloorAreaM2: area}
		}
		cases := []struct {
			name string
			ctx  context.Context
			kind imports.ImportKind
			feed func(*imports.Import) (imports.ImportProgress, error)
			want outcome
		}{
			{"designations: a type the bureau does not grant, an unknown holder, one registered on the way", f.economy, imports.ImportDesignations, func(im *imports.Import) (imports.ImportProgress, error) {
				named := grant(4, "little-giant", fresh[1])
				named.EnterpriseName = "新登记企业有限公司"
				return im.Designations(ctx, []imports.DesignationRow{grant(1, "little-giant", f.tenant), grant(2, "hq-enterprise", f.tenant), grant(3, "little-giant", fresh[0]), named})
			}, outcome{2, 0, 2, "[type enterprise_credit_code]"}},
			{"designations: the same again exist", f.economy, imports.ImportDesignations, func(im *imports.Import) (imports.ImportProgress, error) {
				return im.Designations(ctx, []imports.DesignationRow{grant(1, "little-giant", f.tenant)})
			}, outcome{0, 1, 0, "[]"}},
			{"tenancies: another park's row, an unregistered enterprise, a bad area", f.operator, imports.ImportTenancies, func(im *imports.Import) (imports.ImportProgress, error) {
				return im.Tenancies(ctx, []imports.TenancyRow{
					tenancy(1, "west-lake", f.tenant, "2025-01-01", "100.5"), tenancy(2, "qiantang", f.tenant, "2025-01-01", ""),
					tenancy(3, "west-lake", fresh[0], "2025-01-01", ""), tenancy(4, "west-lake", f.tenant, "2026-01-01", "-3"),
				})
			}, outcome{1, 0, 3, "[park_code floor_area_m2 enterprise_credit_code]"}},
			{"tenancies: the same start exists, an overlap is refused", f.operator, imports.ImportTenancies, func(im *imports.Import) (imports.ImportProgress, error) {
				return im.Tenancies(ctx, []imports.TenancyRow{tenancy(1, "west-lake", f.tenant, "2025-01-01", ""), tenancy(2, "west-lake", f.tenant, "2026-01-01", "")})
			}, outcome{0, 1, 1, "[start_date]"}},
			{"tenancies: a park not registered", registrytest.As(ctx, "operator", "park:nowhere"), imports.ImportTenancies, func(im *imports.Import) (imports.ImportProgress, error) {
				return im.Tenancies(ctx, []imports.TenancyRow{tenancy(1, "nowhere", f.tenant, "2025-01-01", "")})
			}, outcome{0, 0, 1, "[park_code]"}},
			{"awards: a prize the competition lacks, an unknown competition", f.economy, imports.ImportAwards, func(im *imports.Import) (imports.ImportProgress, error) {
				winner := competition.AwardInput{Name: "选手", IDNumber: "330106199001010011", Prize: "一等奖"}
				id, _ := ident.CompleteIDNumber("33010619900101001")
				winner.IDNumber = id
				other := winner
				other.Prize = "特等奖"
				return im.Awards(ctx, []imports.AwardRow{
					{Row: 1, CompetitionID: f.comp.ID, AwardInput: winner}, {Row: 2, CompetitionID: f.comp.ID, AwardInput: other},
					{Row: 3, CompetitionID: "0190a4c2-0000-7000-8000-000000000000", AwardInput: winner}, {Row: 4, CompetitionID: "", AwardInput: winner},
				})
			}, outcome{1, 0, 3, "[competition_id prize competition_id]"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				im, err := f.reg.BeginImport(c.ctx, c.kind, imports.ImportOptions{SkipInvalid: true})
				if err != nil {
					t.Fatal(err)
				}
				defer im.Abort()
				batch, err := c.feed(im)
				if err != nil {
					t.Fatal(err)
				}
				var columns []string
				for _, e := range batch.Errors {
					columns = append(columns, e.Column)
				}
				p, err := im.Finish(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range p.Errors {
					columns = append(columns, e.Column)
				}
				got := outcome{p.Created, p.Existing, p.Invalid, fmt.Sprint(columns)}
				if columns == nil {
					got.columns = "[]"
				}
				if got != c.want || p.Outcome != imports.ImportCommitted {
					t.Fatalf("got %+v (%s), want %+v; problems %+v %+v", got, p.Outcome, c.want, batch.Errors, p.Errors)
				}
			})
		}
		if _, err := f.reg.GetEnterprise(f.economy, fresh[1]); err != nil {
			t.Fatalf("the enterprise named in a designation row was not registered: %v", err)
		}
		if _, err := f.reg.GetEnterprise(f.economy, fresh[0]); registry.KindOf(err) != registry.KindNotFound {
			t.Fatalf("an enterprise without a name was registered: %v", err)
		}
	})
}
