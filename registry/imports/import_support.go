package imports

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/registry/benefit"
	"github.com/hangzhou-ai/registry/registry/catalog"
	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// SupportApplicationRow is one row of an import of support applications;
// the year and the amounts are text as in the file, in integer fen.
type SupportApplicationRow struct {
	Row                  int64
	MeasureCode          string
	EnterpriseCreditCode string
	Year                 string
	BasisReference       string
	BasisKind            string
	BasisAmountFen       string
	BasisDate            string
	ProjectTotalFen      string
	LoanPrincipalFen     string
	Evidence             string
}

// SupportApplicationColumns are the columns of a support application
// import, as the rows' problems name them.
var SupportApplicationColumns = []string{"measure_code", "enterprise_credit_code", "year", "basis_reference", "basis_kind",
	"basis_amount_fen", "basis_date", "project_total_fen", "loan_principal_fen", "evidence"}

// SupportDisbursementRow is one row of an import of support payments; the
// amount is text as in the file, in integer fen.
type SupportDisbursementRow struct {
	Row       int64
	AwardID   string
	AmountFen string
	PaidOn    string
	Payer     string
}

// SupportDisbursementColumns are the columns of a support payment import.
var SupportDisbursementColumns = []string{"award_id", "amount_fen", "paid_on", "payer"}

// validApplication is a checked application row.
type validApplication struct {
	m catalog.Measure
	a benefit.NewApplication
}

// SupportApplications checks a batch of application rows as far as it can
// without the database (fields, the measure's window, year and
// thresholds, and the principal's right to apply for the enterprise) and
// keeps the valid ones for Finish, which records them pending: a row whose
// enterprise, measure, year, cost item and kind has a live application
// counts as existing then; one without the prerequisite designation on
// its basis date, or for an enterprise owing a recovery, is refused.
func (im *Import) SupportApplications(ctx context.Context, rows []SupportApplicationRow) (ImportProgress, error) {
	return keepChecked(im, ImportSupportApplications, rows, im.checkSupportApplication)
}

// checkSupportApplication checks one row, reporting its problems.
func (im *Import) checkSupportApplication(row SupportApplicationRow, errs *rowErrors) (validApplication, bool, error) {
	parsed := &core.Violations{}
	in := benefit.NewApplication{
		MeasureCode: row.MeasureCode, EnterpriseCreditCode: row.EnterpriseCreditCode,
		Year:           yearOf(parsed, "year", row.Year),
		BasisReference: row.BasisReference, BasisKind: row.BasisKind,
		BasisAmountFen:   fenOf(parsed, "basis_amount_fen", row.BasisAmountFen),
		BasisDate:        row.BasisDate,
		ProjectTotalFen:  fenOf(parsed, "project_total_fen", row.ProjectTotalFen),
		LoanPrincipalFen: fenOf(parsed, "loan_principal_fen", row.LoanPrincipalFen),
		Evidence:         row.Evidence,
	}
	v := &core.Violations{}
	m, a, refused := im.r.Benefits.ValidateApplication(v, in)
	if v = besides(parsed, v); len(v.List) > 0 {
		errs.addViolations(row.Row, v)
		return validApplication{}, false, nil
	}
	object := authz.SupportObject(m.Code)
	if err := im.allowed(object, authz.ActApply, authz.EnterpriseOrg(a.EnterpriseCreditCode)); err != nil {
		// Refused the enterprise (a member's row for another), or the
		// measure altogether (a bureau's row under another's measure).
		column := "enterprise_credit_code"
		if im.r.MayEver(im.p, authz.ActApply, object) != nil {
			column = "measure_code"
		}
		return validApplication{}, false, errs.addError(row.Row, column, err)
	}
	if refused != nil {
		return validApplication{}, false, errs.addRefusal(row.Row, SupportApplicationColumns, "enterprise_credit_code", refused)
	}
	return validApplication{m: m, a: a}, true, nil
}

// writeSupportApplications records kept application rows inside the
// import's transaction, one at a time in their order: a row repeating an
// earlier one of the file counts as existing.
func (im *Import) writeSupportApplications(ctx context.Context, rows []SupportApplicationRow) error {
	errs := im.newRowErrors()
	for _, row := range rows {
		va, ok, err := im.checkSupportApplication(row, errs)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		_, isNew, err := im.r.Benefits.RecordApplication(ctx, im.tx, im.p, va.m, va.a)
		if err := errs.addRefusal(row.Row, SupportApplicationColumns, "enterprise_credit_code", err); err != nil {
			return err
		}
		im.count(err, isNew)
	}
	return nil
}

// SupportDisbursements checks a batch of payment rows field by field and
// keeps the valid ones for Finish, which records them in their order
// against their awards: a payment identical to one recorded (award,
// amount, date and payer) counts as existing, so a file imported again
// pays nothing twice; one paying more than is left of its award, dated
// before the award or in the future, or of an award the principal may not
// pay, is refused.
func (im *Import) SupportDisbursements(ctx context.Context, rows []SupportDisbursementRow) (ImportProgress, error) {
	return keepChecked(im, ImportSupportDisbursements, rows, im.checkSupportDisbursement)
}

// checkSupportDisbursement checks one row, reporting its problems.
func (im *Import) checkSupportDisbursement(row SupportDisbursementRow, errs *rowErrors) (benefit.NewDisbursement, bool, error) {
	parsed := &core.Violations{}
	in := benefit.NewDisbursement{AwardID: row.AwardID, AmountFen: fenOf(parsed, "amount_fen", row.AmountFen), PaidOn: row.PaidOn, Payer: row.Payer}
	v := &core.Violations{}
	in = im.r.Benefits.ValidateDisbursement(v, in)
	if v = besides(parsed, v); len(v.List) > 0 {
		errs.addViolations(row.Row, v)
		return benefit.NewDisbursement{}, false, nil
	}
	return in, true, nil
}

// writeSupportDisbursements records kept payment rows inside the import's
// transaction, one at a time in their order, so that each is checked
// against what the rows before it left of the award.
func (im *Import) writeSupportDisbursements(ctx context.Context, rows []SupportDisbursementRow) error {
	errs := im.newRowErrors()
	for _, row := range rows {
		d, ok, err := im.checkSupportDisbursement(row, errs)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		_, _, isNew, err := im.r.Benefits.RecordDisbursementIn(ctx, im.tx, im.p, d, true)
		if err := errs.addRefusal(row.Row, SupportDisbursementColumns, "award_id", err); err != nil {
			return err
		}
		im.count(err, isNew)
	}
	return nil
}

// count counts a row written without error as created or existing.
func (im *Import) count(err error, isNew bool) {
	switch {
	case err != nil:
	case isNew:
		im.progress.Created++
	default:
		im.progress.Existing++
	}
}

// addRefusal records the domain's refusal of a row: a message that begins
// "<column>: " with one of columns is reported against that column with
// the rest of the message; a permission denied against deniedColumn; any
// other against the row as a whole (no column). Field violations keep
// their fields; an error that is not the registry's is returned to stop
// the import.
func (e *rowErrors) addRefusal(row int64, columns []string, deniedColumn string, err error) error {
	var re *core.Error
	if errors.As(err, &re) && len(re.Violations) == 0 {
		if column, rest, ok := strings.Cut(re.Message, ": "); ok && slices.Contains(columns, column) {
			e.add(row, column, rest)
			return nil
		}
		if re.Kind != core.KindPermissionDenied {
			e.add(row, "", re.Message)
			return nil
		}
	}
	return e.addError(row, deniedColumn, err)
}

// besides is the problems of parsed followed by those of v about other
// fields: a cell that could not be read is reported once, as unreadable,
// not again as missing.
func besides(parsed, v *core.Violations) *core.Violations {
	out := &core.Violations{}
	unreadable := map[string]bool{}
	for _, fv := range parsed.List {
		out.Add(fv.Field, fv.Description)
		unreadable[fv.Field] = true
	}
	for _, fv := range v.List {
		if !unreadable[fv.Field] {
			out.Add(fv.Field, fv.Description)
		}
	}
	return out
}

// maxFenDigits bounds the digits of an amount: more cannot be at most
// benefit.MaxBasisFen.
var maxFenDigits = len(strconv.FormatInt(benefit.MaxBasisFen, 10))

// fenOf reads an amount of integer fen as a file gives it: ASCII digits,
// with nothing around them but spaces, or a minus sign before them (a
// negative amount, returned for the domain to refuse). An empty cell is 0,
// which the domain reports where an amount is required. Anything else (a
// thousands separator, a decimal point, a unit, an exponent, a plus sign)
// is reported against field and read as 0.
func fenOf(v *core.Violations, field, text string) int64 {
	s := strings.TrimSpace(text)
	digits, negative := strings.CutPrefix(s, "-")
	switch {
	case s == "":
		return 0
	case allDigits(digits):
		if len(strings.TrimLeft(digits, "0")) > maxFenDigits {
			v.Add(field, fmt.Sprintf("must be at most %d fen", benefit.MaxBasisFen))
			return 0
		}
		n, _ := strconv.ParseInt(digits, 10, 64) // at most maxFenDigits significant digits
		if negative {
			return -n
		}
		return n
	case strings.ContainsAny(s, ".．。"):
		v.Add(field, "must be a whole number of fen, without a decimal point (12.50 yuan is 1250)")
	case strings.ContainsAny(s, ",，_ '’"):
		v.Add(field, "must be a whole number of fen in digits only, without thousands separators (1,000 is 1000)")
	default:
		v.Add(field, "must be a whole number of fen in digits only (1,500 yuan is 150000)")
	}
	return 0
}

// yearOf reads a year as a file gives it: four ASCII digits. An empty cell
// is 0, which the domain reports as required.
func yearOf(v *core.Violations, field, text string) int {
	s := strings.TrimSpace(text)
	switch {
	case s == "":
		return 0
	case len(s) == 4 && allDigits(s):
		n, _ := strconv.Atoi(s)
		return n
	}
	v.Add(field, "must be a year of four digits, such as 2026")
	return 0
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
