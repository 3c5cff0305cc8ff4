package imports_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/hangzhou-ai/registry/csvrows"
	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/benefit"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/imports"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// csvRows reads a CSV file's rows, numbered by line, through one setter
// per column, the setters being those of the kind's columns; a column not
// in setters fails the test, as the console refuses it.
func csvRows[R any](t *testing.T, file string, columns []string, line func(*R, int64), setters map[string]func(*R, string)) []R {
	t.Helper()
	names := slices.Sorted(maps.Keys(setters))
	if !slices.Equal(names, slices.Sorted(slices.Values(columns))) {
		t.Fatalf("setters for %v, the kind's columns are %v", names, columns)
	}
	rd, err := csvrows.NewReader(strings.NewReader(file), csvrows.EncodingUTF8)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range rd.Header() {
		if setters[name] == nil {
			t.Fatalf("unknown column %q", name)
		}
	}
	var out []R
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		var r R
		line(&r, row.Line)
		for name, v := range row.Fields {
			setters[name](&r, v)
		}
		out = append(out, r)
	}
}

func applicationRows(t *testing.T, file string) []imports.SupportApplicationRow {
	t.Helper()
	type row = imports.SupportApplicationRow
	return csvRows(t, file, imports.SupportApplicationColumns, func(r *row, n int64) { r.Row = n }, map[string]func(*row, string){
		"measure_code":           func(r *row, v string) { r.MeasureCode = v },
		"enterprise_credit_code": func(r *row, v string) { r.EnterpriseCreditCode = v },
		"year":                   func(r *row, v string) { r.Year = v },
		"basis_reference":        func(r *row, v string) { r.BasisReference = v },
		"basis_kind":             func(r *row, v string) { r.BasisKind = v },
		"basis_amount_fen":       func(r *row, v string) { r.BasisAmountFen = v },
		"basis_date":             func(r *row, v string) { r.BasisDate = v },
		"project_total_fen":      func(r *row, v string) { r.ProjectTotalFen = v },
		"loan_principal_fen":     func(r *row, v string) { r.LoanPrincipalFen = v },
		"evidence":               func(r *row, v string) { r.Evidence = v },
	})
}

func disbursementRows(t *testing.T, file string) []imports.SupportDisbursementRow {
	t.Helper()
	type row = imports.SupportDisbursementRow
	return csvRows(t, file, imports.SupportDisbursementColumns, func(r *row, n int64) { r.Row = n }, map[string]func(*row, string){
		"award_id":   func(r *row, v string) { r.AwardID = v },
		"amount_fen": func(r *row, v string) { r.AmountFen = v },
		"paid_on":    func(r *row, v string) { r.PaidOn = v },
		"payer":      func(r *row, v string) { r.Payer = v },
	})
}

// supportFixture is a registry with enterprises E and F, a member of E,
// the deciding bureaus' issuers and the auditor.
type supportFixture struct {
	reg                       *registry.Registry
	economy, finance, auditor context.Context
	viewer, memberE           context.Context
	e, f                      string
}

func newSupportFixture(t *testing.T, db storetest.Database) *supportFixture {
	t.Helper()
	reg, _ := registrytest.Open(t, db)
	ctx := t.Context()
	fx := &supportFixture{
		reg:     reg,
		economy: registrytest.As(ctx, "issuer", "bureau:economy-it"),
		finance: registrytest.As(ctx, "issuer", "bureau:financial-office"),
		viewer:  registrytest.As(ctx, "viewer", "bureau:economy-it"),
		auditor: registrytest.As(ctx, "auditor", "auditor"),
		e:       registrytest.CreditCode(t, "91330106MA2D00E01"),
		f:       registrytest.CreditCode(t, "91330106MA2D00F01"),
	}
	fx.memberE = registrytest.As(ctx, "member", "enterprise:"+fx.e)
	for _, code := range []string{fx.e, fx.f} {
		if _, err := reg.RegisterEnterprise(fx.economy, enterprise.NewEnterprise{CreditCode: code, Name: "企业" + code[12:17]}); err != nil {
			t.Fatal(err)
		}
	}
	return fx
}

// supportRun is one import of a table of runs, each after the ones before
// it, and what must come of it.
type supportRun struct {
	name                       string
	ctx                        context.Context
	opts                       imports.ImportOptions
	file                       string
	outcome                    imports.ImportOutcome
	created, existing, invalid int64
	errors                     []imports.ImportError // the batch's, then Finish's
	events                     int64                 // audit events the run appends
}

// run imports file as kind with feed, then checks the run's progress, its
// problems and the audit events it appended.
func (fx *supportFixture) run(t *testing.T, kind imports.ImportKind, c supportRun, feed func(*imports.Import) (imports.ImportProgress, error)) {
	t.Helper()
	before := registrytest.AuditLength(t, fx.reg)
	im, err := fx.reg.BeginImport(c.ctx, kind, c.opts)
	if err != nil {
		t.Fatal(err)
	}
	defer im.Abort()
	batch, err := feed(im)
	if err != nil {
		t.Fatal(err)
	}
	p, err := im.Finish(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := append(slices.Clone(batch.Errors), p.Errors...)
	if p.Outcome != c.outcome || p.Created != c.created || p.Existing != c.existing || p.Invalid != c.invalid {
		t.Errorf("%s, %d created, %d existing, %d invalid; want %s, %d, %d, %d", p.Outcome, p.Created, p.Existing, p.Invalid,
			c.outcome, c.created, c.existing, c.invalid)
	}
	if fmt.Sprint(got) != fmt.Sprint(c.errors) {
		t.Errorf("problems:\n%s\nwant:\n%s", listErrors(got), listErrors(c.errors))
	}
	if n := registrytest.AuditLength(t, fx.reg) - before; n != c.events {
		t.Errorf("%d audit events appended, want %d", n, c.events)
	}
}

func listErrors(list []imports.ImportError) string {
	var b strings.Builder
	for _, e := range list {
		fmt.Fprintf(&b, "  row %d %q: %s\n", e.Row, e.Column, e.Message)
	}
	return b.String()
}

// checkChain fails the test unless the audit chain verifies.
func (fx *supportFixture) checkChain(t *testing.T) {
	t.Helper()
	report, err := fx.reg.VerifyAuditChain(fx.auditor)
	if err != nil || !report.OK {
		t.Fatalf("audit chain: %+v, %v", report, err)
	}
}

// applications lists every application by basis reference.
func (fx *supportFixture) applications(t *testing.T) map[string]benefit.Application {
	t.Helper()
	list, _, err := fx.reg.ListApplications(fx.economy, benefit.ApplicationFilter{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]benefit.Application{}
	for _, a := range list {
		if _, ok := out[a.BasisReference]; ok {
			t.Fatalf("two applications for %s", a.BasisReference)
		}
		out[a.BasisReference] = a
	}
	return out
}

func TestAuthorizeSupportImports(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		fx := newSupportFixture(t, db)
		ctx := t.Context()
		cases := []struct {
			name string
			ctx  context.Context
			kind imports.ImportKind
			want registry.Kind
		}{
			{"an enterprise member files applications", fx.memberE, imports.ImportSupportApplications, registrytest.Succeeds},
			{"a deciding bureau files applications", fx.finance, imports.ImportSupportApplications, registrytest.Succeeds},
			{"a bureau viewer files none", fx.viewer, imports.ImportSupportApplications, registry.KindPermissionDenied},
			{"the auditor files none", fx.auditor, imports.ImportSupportApplications, registry.KindPermissionDenied},
			{"a bureau deciding no measure files none", registrytest.As(ctx, "issuer", "bureau:talent-office"), imports.ImportSupportApplications, registry.KindPermissionDenied},
			{"a park operator files none", registrytest.As(ctx, "operator", "park:west-lake"), imports.ImportSupportApplications, registry.KindPermissionDenied},
			{"economy-IT records payments", fx.economy, imports.ImportSupportDisbursements, registrytest.Succeeds},
			{"the financial office records payments", fx.finance, imports.ImportSupportDisbursements, registrytest.Succeeds},
			{"an enterprise member records none", fx.memberE, imports.ImportSupportDisbursements, registry.KindPermissionDenied},
			{"a bureau viewer records none", fx.viewer, imports.ImportSupportDisbursements, registry.KindPermissionDenied},
			{"a bureau deciding no measure records none", registrytest.As(ctx, "issuer", "bureau:talent-office"), imports.ImportSupportDisbursements, registry.KindPermissionDenied},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				registrytest.Check(t, fx.reg.AuthorizeImport(c.ctx, c.kind), c.want)
				im, err := fx.reg.BeginImport(c.ctx, c.kind, imports.ImportOptions{})
				registrytest.Check(t, err, c.want)
				if err == nil {
					im.Abort()
				}
			})
		}
	})
}

const applicationHeader = "measure_code,enterprise_credit_code,year,basis_reference,basis_kind,basis_amount_fen,basis_date,project_total_fen,loan_principal_fen,evidence\n"

// TestImportSupportApplications: E's member imports a file of its
// applications with good rows and bad ones; the bad are reported by row
// and column, a dry run and an all-or-nothing run write nothing, a run
// skipping them writes exactly the good ones with their audit events, and
// a run again finds them all existing. The economy-IT bureau's import on
// enterprises' behalf reports an unregistered enterprise by its row.
func TestImportSupportApplications(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		fx := newSupportFixture(t, db)
		e, f := fx.e, fx.f
		file := applicationHeader +
			"compute-voucher," + e + ",2026,HT-1,other-compute,1000000000,2026-03-01,,,算力合同 HT-1\n" + // 2 good
			"compute-vocher," + e + ",2026,HT-2,other-compute,1000000000,2026-03-01,,,\n" + // 3 misspelt measure
			"compute-voucher," + e + ",2026,HT-3,other-compute,-3,2026-03-01,,,\n" + // 4 negative
			"compute-voucher," + e + ",2026,HT-4,other-compute,\"1,000\",2026-03-01,,,\n" + // 5 thousands separator
			"compute-voucher," + f + ",2026,HT-5,other-compute,1000000000,2026-03-01,,,\n" + // 6 another enterprise
			"compute-voucher," + e + ",2023,HT-6,other-compute,1000000000,2026-03-01,,,\n" + // 7 a year the measure does not run
			"open-source-award," + e + ",2026,GH-1,,50000000,2026-04-01,,,\n" + // 8 good, the one kind implied
			"compute-voucher," + e + ",2026,HT-7,other-compute,12.5,2026-03-01,,,\n" + // 9 a decimal point
			"compute-voucher," + e + ",2026,HT-8,other-compute,,2026-03-01,,,\n" + // 10 no amount
			"compute-voucher," + e + ",2026,HT-9,filed-multimodal-model,1000000000,2026-03-01,,,\n" + // 11 no model filing on the basis date
			"loan-interest-subsidy," + e + ",2026,DK-1,,240000000,2026-01-31,6000000000,4000000000,\n" + // 12 good
			"loan-interest-subsidy," + e + ",2026,DK-2,,240000000,2026-01-31,4000000000,4000000000,\n" + // 13 project too small
			"loan-interest-subsidy," + e + ",2026,DK-3,,240000000,2026-01-31,6000000000,4000000000元,\n" + // 14 a unit
			"compute-voucher," + e + ",2026,ht-1,other-compute,1000000000,2026-03-01,,,\n" // 15 row 2 again, the reference spelt otherwise
		checked := []imports.ImportError{ // the rows refused as they arrive
			{Row: 3, Column: "measure_code", Message: "must be one of compute-voucher, loan-interest-subsidy, rd-matching, model-filing-reward, open-source-award, innovation-center-support, demonstration-award"},
			{Row: 4, Column: "basis_amount_fen", Message: "must not be negative"},
			{Row: 5, Column: "basis_amount_fen", Message: "must be a whole number of fen in digits only, without thousands separators (1,000 is 1000)"},
			{Row: 6, Column: "enterprise_credit_code", Message: "member@enterprise:" + e + " may not apply support:compute-voucher"},
			{Row: 7, Column: "year", Message: "compute-voucher runs in 2024 to 2027, not in 2023"},
			{Row: 9, Column: "basis_amount_fen", Message: "must be a whole number of fen, without a decimal point (12.50 yuan is 1250)"},
			{Row: 10, Column: "basis_amount_fen", Message: "is required (integer fen, more than 0)"},
			{Row: 13, Column: "project_total_fen", Message: "loan-interest-subsidy supports projects of at least 50,000,000.00 yuan; this one is 40,000,000.00 yuan"},
			{Row: 14, Column: "loan_principal_fen", Message: "must be a whole number of fen in digits only (1,500 yuan is 150000)"},
		}
		written := []imports.ImportError{ // the rows refused as they are written
			{Row: 11, Column: "basis_date", Message: "compute-voucher (filed-multimodal-model) needs a model-filing designation (Generative-AI model filing) in force on the basis date 2026-03-01; the enterprise held none"},
		}
		all := append(slices.Clone(checked), written...)
		runs := []supportRun{
			{name: "a dry run writes nothing", ctx: fx.memberE, opts: imports.ImportOptions{DryRun: true, SkipInvalid: true}, file: file,
				outcome: imports.ImportDryRun, created: 3, existing: 1, invalid: 10, errors: all},
			{name: "an invalid row stops the import", ctx: fx.memberE, file: file,
				outcome: imports.ImportRolledBack, created: 3, existing: 1, invalid: 10, errors: all},
			{name: "skipping the invalid rows writes the good ones", ctx: fx.memberE, opts: imports.ImportOptions{SkipInvalid: true}, file: file,
				outcome: imports.ImportCommitted, created: 3, existing: 1, invalid: 10, errors: all, events: 3},
			{name: "run again, the good rows exist", ctx: fx.memberE, opts: imports.ImportOptions{SkipInvalid: true}, file: file,
				outcome: imports.ImportCommitted, existing: 4, invalid: 10, errors: all},
			{name: "the bureau on enterprises' behalf: F's row, an unregistered enterprise", ctx: fx.economy, file: applicationHeader +
				"compute-voucher," + f + ",2026,HT-5,other-compute,1000000000,2026-03-01,,,\n" +
				"compute-voucher," + registrytest.CreditCode(t, "91330106MA2D00G01") + ",2026,HT-10,domestic-compute,1000000000,2026-03-01,,,\n" +
				"compute-voucher," + e + ",2026,HT-1,other-compute,1000000000,2026-03-01,,,\n" +
				"rd-matching," + e + ",2026,XM-1,national-funding,3000000000,2026-02-01,,,\n", // science-tech's measure
				opts: imports.ImportOptions{SkipInvalid: true}, outcome: imports.ImportCommitted, created: 1, existing: 1, invalid: 2, events: 1,
				errors: []imports.ImportError{
					{Row: 5, Column: "measure_code", Message: "issuer@bureau:economy-it may not apply support:rd-matching"},
					{Row: 3, Column: "enterprise_credit_code", Message: "enterprise " + registrytest.CreditCode(t, "91330106MA2D00G01") + " is not registered"},
				}},
		}
		wantRefs := [][]string{nil, nil, {"DK-1", "GH-1", "HT-1"}, {"DK-1", "GH-1", "HT-1"}, {"DK-1", "GH-1", "HT-1", "HT-5"}}
		for i, c := range runs {
			t.Run(c.name, func(t *testing.T) {
				fx.run(t, imports.ImportSupportApplications, c, func(im *imports.Import) (imports.ImportProgress, error) {
					return im.SupportApplications(t.Context(), applicationRows(t, c.file))
				})
				apps := fx.applications(t)
				var refs []string
				for ref := range apps {
					refs = append(refs, ref)
				}
				slices.Sort(refs)
				if fmt.Sprint(refs) != fmt.Sprint(wantRefs[i]) {
					t.Fatalf("applications %v, want %v", refs, wantRefs[i])
				}
				if a, ok := apps["HT-1"]; ok && (a.Status != benefit.StatusPending || a.EnterpriseCreditCode != e ||
					a.BasisAmountFen != 1_000_000_000 || a.BasisKind != "other-compute" || a.Evidence != "算力合同 HT-1") {
					t.Fatalf("HT-1 recorded as %+v", a)
				}
				if a, ok := apps["DK-1"]; ok && (a.ProjectTotalFen != 6_000_000_000 || a.LoanPrincipalFen != 4_000_000_000 || a.BasisKind != "loan-interest") {
					t.Fatalf("DK-1 recorded as %+v", a)
				}
			})
		}
		fx.checkChain(t)
	})
}

const disbursementHeader = "award_id,amount_fen,paid_on,payer\n"

// TestImportSupportDisbursements: payments of an approved award of
// 200,000,000 fen, imported in their order: the one that would pay more
// than is left is refused with its row, a dry run pays nothing, and a run
// again pays nothing twice.
func TestImportSupportDisbursements(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		fx := newSupportFixture(t, db)
		app, err := fx.reg.ApplyForSupport(fx.memberE, benefit.NewApplication{MeasureCode: "compute-voucher", EnterpriseCreditCode: fx.e,
			Year: 2026, BasisReference: "HT-1", BasisKind: "other-compute", BasisAmountFen: 1_000_000_000, BasisDate: "2026-03-01"})
		if err != nil {
			t.Fatal(err)
		}
		_, award, err := fx.reg.DecideApplication(registrytest.As(t.Context(), "issuer", "bureau:economy-it"), benefit.Decision{ID: app.ID, Approve: true})
		if err != nil {
			t.Fatal(err)
		}
		if award.AwardedFen != 200_000_000 || award.AwardedOn != "2026-06-15" {
			t.Fatalf("award %+v, want 200,000,000 fen on 2026-06-15", award)
		}
		a := award.ID
		file := disbursementHeader +
			a + ",100000000,2026-06-15,city\n" + // 2 good
			a + ",60000000,2026-06-15,district:330106\n" + // 3 good, 40,000,000 left
			a + ",50000000,2026-06-15,city\n" + // 4 more than is left
			a + ",\"1,000\",2026-06-15,city\n" + // 5
			a + ",-3,2026-06-15,city\n" + // 6
			a + ",,2026-06-15,city\n" + // 7
			"awd_0190a4c2-0000-7000-8000-000000000000,1000,2026-06-15,city\n" + // 8 no such award
			app.ID + ",1000,2026-06-15,city\n" + // 9 an application, not an award
			a + ",1000,2026-06-16,city\n" + // 10 tomorrow
			a + ",1000,2026-06-14,city\n" + // 11 before the award
			a + ",1000,2026-06-15,province\n" // 12 no such payer
		checked := []imports.ImportError{
			{Row: 5, Column: "amount_fen", Message: "must be a whole number of fen in digits only, without thousands separators (1,000 is 1000)"},
			{Row: 6, Column: "amount_fen", Message: "must not be negative"},
			{Row: 7, Column: "amount_fen", Message: "is required (integer fen, more than 0)"},
			{Row: 9, Column: "award_id", Message: "is not an award id (awd_…)"},
			{Row: 12, Column: "payer", Message: "must be city or district:<district> (e.g. district:330108)"},
		}
		written := []imports.ImportError{
			{Row: 4, Column: "amount_fen", Message: "award " + a + " has 400,000.00 yuan left to pay, less than 500,000.00 yuan"},
			{Row: 8, Column: "award_id", Message: "award awd_0190a4c2-0000-7000-8000-000000000000 does not exist"},
			{Row: 10, Column: "paid_on", Message: "2026-06-16 is in the future"},
			{Row: 11, Column: "paid_on", Message: "2026-06-14 is before the award was made on 2026-06-15"},
		}
		all := append(slices.Clone(checked), written...)
		skip := imports.ImportOptions{SkipInvalid: true}
		cases := []struct {
			supportRun
			disbursed int64 // the award's payments afterwards
		}{
			{supportRun{name: "a dry run pays nothing", ctx: fx.economy, opts: imports.ImportOptions{DryRun: true, SkipInvalid: true}, file: file,
				outcome: imports.ImportDryRun, created: 2, invalid: 9, errors: all}, 0},
			{supportRun{name: "an invalid row stops the import", ctx: fx.economy, file: file,
				outcome: imports.ImportRolledBack, created: 2, invalid: 9, errors: all}, 0},
			{supportRun{name: "skipping the invalid rows pays the good ones", ctx: fx.economy, opts: skip, file: file,
				outcome: imports.ImportCommitted, created: 2, invalid: 9, errors: all, events: 2}, 160_000_000},
			{supportRun{name: "run again, nothing is paid twice", ctx: fx.economy, opts: skip, file: file,
				outcome: imports.ImportCommitted, existing: 2, invalid: 9, errors: all}, 160_000_000},
			{supportRun{name: "another bureau may not pay economy-IT's award", ctx: fx.finance, opts: skip, file: disbursementHeader + a + ",1000,2026-06-15,city\n",
				outcome: imports.ImportCommitted, invalid: 1, errors: []imports.ImportError{{Row: 2, Column: "award_id", Message: "issuer@bureau:financial-office may not disburse support:compute-voucher"}}}, 160_000_000},
			{supportRun{name: "what is left, paid", ctx: fx.economy, file: disbursementHeader + a + ",40000000,2026-06-15,district:滨江区\n",
				outcome: imports.ImportCommitted, created: 1, events: 1}, 200_000_000},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				fx.run(t, imports.ImportSupportDisbursements, c.supportRun, func(im *imports.Import) (imports.ImportProgress, error) {
					return im.SupportDisbursements(t.Context(), disbursementRows(t, c.file))
				})
				awards, _, err := fx.reg.ListSupportAwards(fx.economy, benefit.AwardFilter{})
				if err != nil {
					t.Fatal(err)
				}
				if len(awards) != 1 || awards[0].DisbursedFen != c.disbursed {
					t.Fatalf("awards %+v, want one with %d fen paid", awards, c.disbursed)
				}
				var sum int64
				for _, d := range awards[0].Disbursements {
					sum += d.AmountFen
				}
				if sum != c.disbursed {
					t.Fatalf("payments %+v add up to %d fen, want %d", awards[0].Disbursements, sum, c.disbursed)
				}
			})
		}
		fx.checkChain(t)
	})
}
