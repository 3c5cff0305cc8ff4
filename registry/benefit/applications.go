package benefit

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	ententerprise "github.com/hangzhou-ai/registry/ent/enterprise"
	"github.com/hangzhou-ai/registry/ent/supportapplication"
	"github.com/hangzhou-ai/registry/ent/supportrecovery"
	"github.com/hangzhou-ai/registry/registry/catalog"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// Application statuses.
const (
	StatusPending  = "pending"
	StatusApproved = "approved"
	StatusRejected = "rejected"
)

// Limits on applications.
const (
	// MaxBasisFen bounds a cost (1,000,000,000,000 yuan), so that a rate
	// times a cost never overflows.
	MaxBasisFen        = int64(100_000_000_000_000)
	maxBasisRefLen     = 100
	applicationIDStart = "app_"
)

// Application is an enterprise's application for support.
type Application struct {
	ID                   string     `json:"id"`
	MeasureCode          string     `json:"measure_code"`
	EnterpriseCreditCode string     `json:"enterprise_credit_code"`
	EnterpriseName       string     `json:"enterprise_name"`
	Year                 int        `json:"year"`
	BasisReference       string     `json:"basis_reference"`
	BasisKind            string     `json:"basis_kind"`
	BasisAmountFen       int64      `json:"basis_amount_fen"`
	BasisDate            string     `json:"basis_date"`
	ProjectTotalFen      int64      `json:"project_total_fen,omitempty"`
	LoanPrincipalFen     int64      `json:"loan_principal_fen,omitempty"`
	Evidence             string     `json:"evidence,omitempty"`
	Status               string     `json:"status"`
	Reason               string     `json:"reason,omitempty"`
	AwardedFen           int64      `json:"awarded_fen"`
	Breakdown            []Step     `json:"breakdown,omitempty"`
	BreakdownIsPreview   bool       `json:"-"`
	AwardID              string     `json:"award_id,omitempty"`
	AppliedAt            time.Time  `json:"applied_at"`
	DecidedAt            *time.Time `json:"decided_at,omitempty"`
}

func applicationOf(a *ent.SupportApplication, e *ent.Enterprise, awardID string) Application {
	out := Application{
		ID: a.ID, MeasureCode: a.MeasureCode, Year: a.Year, BasisReference: a.BasisReference, BasisKind: a.BasisKind,
		BasisAmountFen: a.BasisAmountFen, BasisDate: a.BasisDate, ProjectTotalFen: a.ProjectTotalFen,
		LoanPrincipalFen: a.LoanPrincipalFen, Evidence: a.Evidence, Status: a.Status, Reason: a.Reason,
		AwardedFen: a.AwardedFen, Breakdown: a.Breakdown, AwardID: awardID, AppliedAt: a.AppliedAt, DecidedAt: a.DecidedAt,
	}
	if e != nil {
		out.EnterpriseCreditCode, out.EnterpriseName = e.CreditCode, e.Name
	}
	return out
}

// NewApplication is a request for support.
type NewApplication struct {
	MeasureCode          string
	EnterpriseCreditCode string
	Year                 int
	BasisReference       string
	BasisKind            string
	BasisAmountFen       int64
	BasisDate            string
	ProjectTotalFen      int64
	LoanPrincipalFen     int64
	Evidence             string
}

// measureOf returns the measure of code, reporting an unknown one against
// field.
func measureOf(v *core.Violations, field, code string) (catalog.Measure, bool) {
	m, ok := catalog.MeasuresByCode[code]
	if !ok {
		if code == "" {
			v.Add(field, "is required")
		} else {
			v.Add(field, "must be one of "+strings.Join(measureCodes(), ", "))
		}
	}
	return m, ok
}

func measureCodes() []string {
	codes := make([]string, len(catalog.Measures))
	for i, m := range catalog.Measures {
		codes[i] = m.Code
	}
	return codes
}

// mayEverSupport decides, before any database work, whether p may take
// action on support under some measure.
func (r *Benefits) mayEverSupport(p core.Principal, action string) error {
	if err := r.MayEver(p, action, core.AnySupport()...); err != nil {
		if core.KindOf(err) == core.KindPermissionDenied {
			return core.PermissionDenied("%s may not %s support under any measure", p, action)
		}
		return err
	}
	return nil
}

// NormalizeReference is a cost item's reference in the one spelling the
// ledger keys it by: half-width, compatibility forms folded (NFKC), upper
// case, trimmed, each run of spaces one space.
func NormalizeReference(ref string) string {
	return strings.Join(strings.Fields(strings.ToUpper(norm.NFKC.String(width.Fold.String(ref)))), " ")
}

// ApplyForSupport records an application, pending. An enterprise's
// members apply for their own enterprise, and the measure's bureau on an
// enterprise's behalf. It is refused (failed_precondition) outside the
// measures' window, for a year the measure does not run, for a cost
// below the measure's threshold, without the prerequisite designation on
// the basis date, and while the enterprise has an unsettled recovery; a
// live application for the same cost item and kind is already_exists.
func (r *Benefits) ApplyForSupport(ctx context.Context, in NewApplication) (Application, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return Application{}, err
	}
	if err := r.mayEverSupport(p, authz.ActApply); err != nil {
		return Application{}, err
	}
	if m, ok := catalog.MeasuresByCode[in.MeasureCode]; ok {
		if err := r.mayApply(p, m, core.CreditCode(&core.Violations{}, "", in.EnterpriseCreditCode, false)); err != nil {
			return Application{}, err
		}
	}
	v := &core.Violations{}
	m, a, err := r.ValidateApplication(v, in)
	if err := v.Err(); err != nil {
		return Application{}, err
	}
	if err != nil {
		return Application{}, err
	}
	var out Application
	err = r.InTx(ctx, func(tx *ent.Tx) error {
		var isNew bool
		out, isNew, err = r.RecordApplication(ctx, tx, p, m, a)
		if err == nil && !isNew {
			err = core.AlreadyExists("application %s already asks for %s on %s (%s) in %d", out.ID, m.Code, a.BasisReference, a.BasisKind, a.Year)
		}
		return err
	})
	return out, err
}

// mayApply decides whether p may apply under m for the enterprise of code
// (any enterprise, when code is empty or malformed).
func (r *Benefits) mayApply(p core.Principal, m catalog.Measure, code string) error {
	if code == "" {
		return r.MayEver(p, authz.ActApply, authz.SupportObject(m.Code))
	}
	return r.Authorize(p, authz.SupportObject(m.Code), authz.ActApply, authz.EnterpriseOrg(code))
}

// ValidateApplication checks an application as ApplyForSupport does
// before it reads the database: field problems go into v; the
// measures' own refusals (window, year, thresholds) are returned as a
// failed_precondition whose message starts with the field it is about.
// It returns the measure (zero when measure_code is unknown) and the
// application as it would be recorded.
func (r *Benefits) ValidateApplication(v *core.Violations, in NewApplication) (catalog.Measure, NewApplication, error) {
	m, known := measureOf(v, "measure_code", in.MeasureCode)
	in.EnterpriseCreditCode = core.CreditCode(v, "enterprise_credit_code", in.EnterpriseCreditCode, true)
	if !known {
		return m, in, nil
	}
	a := r.validateApplication(v, m, in)
	if len(v.List) > 0 {
		return m, a, nil
	}
	return m, a, r.checkPreconditions(m, a)
}

// RecordApplication records a validated application for p inside tx:
// it decides p's permission for the enterprise, finds the enterprise
// (not_found), checks the prerequisite designation on the basis date and
// that the enterprise owes no recovery (failed_precondition), and records
// the application and its audit event. A live application for the same
// enterprise, measure, year, cost item and kind is returned with isNew
// false, and nothing is written.
func (r *Benefits) RecordApplication(ctx context.Context, tx *ent.Tx, p core.Principal, m catalog.Measure, a NewApplication) (Application, bool, error) {
	if err := r.mayApply(p, m, a.EnterpriseCreditCode); err != nil {
		return Application{}, false, err
	}
	e, err := enterprise.EnterpriseByCode(ctx, tx.Client(), "enterprise_credit_code", a.EnterpriseCreditCode)
	if err != nil {
		return Application{}, false, err
	}
	existing, err := tx.SupportApplication.Query().Where(
		supportapplication.EnterpriseID(e.ID), supportapplication.MeasureCode(m.Code),
		supportapplication.Year(a.Year), supportapplication.BasisReference(a.BasisReference),
		supportapplication.BasisKind(a.BasisKind), supportapplication.Live(true)).First(ctx)
	switch {
	case err == nil:
		return applicationOf(existing, e, ""), false, nil
	case !ent.IsNotFound(err):
		return Application{}, false, err
	}
	if _, err := r.prerequisite(ctx, tx, m, a, e.ID); err != nil {
		return Application{}, false, err
	}
	if err := refuseWhileOwing(ctx, tx, e.ID); err != nil {
		return Application{}, false, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Application{}, false, err
	}
	row, err := tx.SupportApplication.Create().SetID(applicationIDStart + id.String()).SetMeasureCode(m.Code).
		SetEnterpriseID(e.ID).SetYear(a.Year).SetBasisReference(a.BasisReference).SetBasisKind(a.BasisKind).
		SetBasisAmountFen(a.BasisAmountFen).SetBasisDate(a.BasisDate).SetProjectTotalFen(a.ProjectTotalFen).
		SetLoanPrincipalFen(a.LoanPrincipalFen).SetEvidence(a.Evidence).SetStatus(StatusPending).
		SetAppliedBy(p.Subject).SetAppliedAt(r.Now()).Save(ctx)
	if err != nil {
		return Application{}, false, err
	}
	out := applicationOf(row, e, "")
	err = r.Record(ctx, tx, p, core.Change{Action: "support.apply", EntityType: "support-application", EntityID: row.ID,
		After: out, Owner: authz.EnterpriseOrg(e.CreditCode)})
	return out, true, err
}

// validateApplication checks an application's fields against m.
func (r *Benefits) validateApplication(v *core.Violations, m catalog.Measure, in NewApplication) NewApplication {
	out := in
	if in.Year == 0 {
		v.Add("year", "is required")
	} else {
		core.ValidateYear(v, "year", in.Year)
	}
	out.BasisReference = NormalizeReference(core.CleanText(v, "basis_reference", in.BasisReference, maxBasisRefLen, true))
	switch {
	case utf8.RuneCountInString(out.BasisReference) > maxBasisRefLen:
		// NFKC may lengthen a reference (one ligature, several letters).
		v.Add("basis_reference", fmt.Sprintf("must be at most %d characters once normalised", maxBasisRefLen))
	case strings.ContainsFunc(out.BasisReference, func(c rune) bool { return c != ' ' && !unicode.IsGraphic(c) }):
		// An invisible character would make one contract two cost items.
		v.Add("basis_reference", "must hold visible characters only (no zero-width or format characters)")
	case out.BasisReference != "" && strings.ContainsRune("=+-@", rune(out.BasisReference[0])):
		// A full-width ＝ folds to =: checked again in the stored spelling.
		v.Add("basis_reference", "must not start with = + - or @")
	}
	if in.BasisKind == "" && len(m.Kinds) == 1 {
		out.BasisKind = m.Kinds[0].Code
	} else if _, ok := m.Kind(in.BasisKind); !ok {
		kinds := make([]string, len(m.Kinds))
		for i, k := range m.Kinds {
			kinds[i] = k.Code
		}
		v.Add("basis_kind", fmt.Sprintf("%s pays on %s", m.Code, strings.Join(kinds, ", ")))
	}
	checkFen(v, "basis_amount_fen", in.BasisAmountFen, true)
	out.BasisDate = core.ParseDate(v, "basis_date", in.BasisDate, true)
	if m.PrincipalCapBP > 0 {
		checkFen(v, "project_total_fen", in.ProjectTotalFen, true)
		checkFen(v, "loan_principal_fen", in.LoanPrincipalFen, true)
	} else {
		if in.ProjectTotalFen != 0 {
			v.Add("project_total_fen", "is for loan-interest-subsidy only")
		}
		if in.LoanPrincipalFen != 0 {
			v.Add("loan_principal_fen", "is for loan-interest-subsidy only")
		}
	}
	out.Evidence = core.CleanMultiline(v, "evidence", in.Evidence, core.MaxNoteLen, false)
	return out
}

// checkFen checks an amount in fen is positive and within MaxBasisFen.
func checkFen(v *core.Violations, field string, fen int64, required bool) {
	switch {
	case fen == 0 && required:
		v.Add(field, "is required (integer fen, more than 0)")
	case fen < 0:
		v.Add(field, "must not be negative")
	case fen > MaxBasisFen:
		v.Add(field, fmt.Sprintf("must be at most %d fen", MaxBasisFen))
	}
}

// checkPreconditions refuses an application the measures do not cover:
// outside their window, for a year they do not run, for a year before the
// cost's or after this one (a cost counts against one year's caps, the
// year it is claimed in), or for a cost below the measure's threshold.
func (r *Benefits) checkPreconditions(m catalog.Measure, a NewApplication) error {
	if today := r.Today(); today < catalog.MeasureWindowFrom || today > catalog.MeasureWindowUntil {
		return core.FailedPrecondition("the measures run from %s to %s; today is %s", catalog.MeasureWindowFrom, catalog.MeasureWindowUntil, today)
	}
	switch {
	case a.Year < catalog.MeasureFirstYear || a.Year > catalog.MeasureLastYear:
		return core.FailedPrecondition("year: %s runs in %d to %d, not in %d", m.Code, catalog.MeasureFirstYear, catalog.MeasureLastYear, a.Year)
	case a.BasisDate < catalog.MeasureWindowFrom || a.BasisDate > catalog.MeasureWindowUntil:
		return core.FailedPrecondition("basis_date: the measures cover costs from %s to %s, not %s", catalog.MeasureWindowFrom, catalog.MeasureWindowUntil, a.BasisDate)
	case a.BasisDate > r.Today():
		return core.FailedPrecondition("basis_date: %s is in the future", a.BasisDate)
	case a.Year < yearOf(a.BasisDate):
		return core.FailedPrecondition("year: a cost of %s counts in %d or later, not in %d", a.BasisDate, yearOf(a.BasisDate), a.Year)
	case a.Year > yearOf(r.Today()):
		return core.FailedPrecondition("year: support is claimed in the year it is paid; %d has not begun", a.Year)
	case m.MinProjectTotalFen > 0 && a.ProjectTotalFen < m.MinProjectTotalFen:
		return core.FailedPrecondition("project_total_fen: %s supports projects of at least %s yuan; this one is %s yuan", m.Code, yuanText(m.MinProjectTotalFen), yuanText(a.ProjectTotalFen))
	case m.MinBasisFen > 0 && a.BasisAmountFen < m.MinBasisFen:
		return core.FailedPrecondition("basis_amount_fen: %s needs at least %s yuan; this is %s yuan", m.Code, yuanText(m.MinBasisFen), yuanText(a.BasisAmountFen))
	case m.MinAwardFen > 0 && a.BasisAmountFen < m.MinAwardFen:
		return core.FailedPrecondition("basis_amount_fen: %s awards at least %s yuan", m.Code, yuanText(m.MinAwardFen))
	}
	return nil
}

// yearOf is the year of a YYYY-MM-DD date.
func yearOf(date string) int {
	y, _ := strconv.Atoi(date[:4])
	return y
}

// requiredDesignation is the designation type an application under m of
// kind must hold on its basis date, or "".
func requiredDesignation(m catalog.Measure, kind string) string {
	if m.RequiredDesignation != "" {
		return m.RequiredDesignation
	}
	k, _ := m.Kind(kind)
	return k.RequiredDesignation
}

// prerequisite returns the designation the application relies on: one of
// the required type, valid and active on the basis date ("" when none is
// required), or failed_precondition when the enterprise held none then.
func (r *Benefits) prerequisite(ctx context.Context, tx *ent.Tx, m catalog.Measure, a NewApplication, enterpriseID int) (string, error) {
	typ := requiredDesignation(m, a.BasisKind)
	if typ == "" {
		return "", nil
	}
	rows, err := tx.QueryContext(ctx, designation.HeldOnSQL(1), enterpriseID, a.BasisDate, typ)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var id string
	if rows.Next() {
		var typ string
		var size int64
		if err := rows.Scan(&id, &typ, &size); err != nil {
			return "", err
		}
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	if id == "" {
		name := catalog.DesignationTypesByCode[typ].NameEn
		return "", core.FailedPrecondition("basis_date: %s (%s) needs a %s designation (%s) in force on the basis date %s; the enterprise held none", m.Code, a.BasisKind, typ, name, a.BasisDate)
	}
	return id, nil
}

// refuseWhileOwing refuses new support to an enterprise with an unsettled
// recovery order.
func refuseWhileOwing(ctx context.Context, tx *ent.Tx, enterpriseID int) error {
	owing, err := tx.SupportRecovery.Query().Where(supportrecovery.EnterpriseID(enterpriseID), supportrecovery.Settled(false)).First(ctx)
	switch {
	case ent.IsNotFound(err):
		return nil
	case err != nil:
		return err
	}
	return core.FailedPrecondition("the enterprise has an unsettled recovery order %s of %s yuan; it may not receive new support until it is settled", owing.ID, yuanText(owing.AmountFen))
}

// loadApplication loads an application for p: not_found for an id that
// does not exist or that p may not read.
func (r *Benefits) loadApplication(ctx context.Context, p core.Principal, field, id string) (*ent.SupportApplication, *ent.Enterprise, error) {
	if err := requireRecordID(field, id, applicationIDStart, "an application"); err != nil {
		return nil, nil, err
	}
	missing := core.NotFound("%s: application %s does not exist", field, id)
	a, err := r.DB.SupportApplication.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, nil, r.missing(p, missing)
	}
	if err != nil {
		return nil, nil, err
	}
	e, err := r.DB.Enterprise.Get(ctx, a.EnterpriseID)
	if err != nil {
		return nil, nil, err
	}
	if err := r.Authorize(p, authz.SupportObject(a.MeasureCode), authz.ActRead, authz.EnterpriseOrg(e.CreditCode)); err != nil {
		return nil, nil, missing
	}
	return a, e, nil
}

// missing is what p learns of a record that is not there: not_found when
// p may read some support, permission_denied otherwise.
func (r *Benefits) missing(p core.Principal, notFound error) error {
	if err := r.MayEver(p, authz.ActRead, authz.SupportObject("*")); err != nil {
		return err
	}
	return notFound
}

// GetApplication returns one application. A pending one carries, for
// those who may decide it, a preview of the breakdown an approval would
// compute now.
func (r *Benefits) GetApplication(ctx context.Context, id string) (Application, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return Application{}, err
	}
	if err := r.MayEver(p, authz.ActRead, authz.SupportObject("*")); err != nil {
		return Application{}, err
	}
	a, e, err := r.loadApplication(ctx, p, "id", id)
	if err != nil {
		return Application{}, err
	}
	awardID, err := r.awardOfApplication(ctx, a)
	if err != nil {
		return Application{}, err
	}
	out := applicationOf(a, e, awardID)
	if a.Status == StatusPending && r.Authorize(p, authz.SupportObject(a.MeasureCode), authz.ActDecide) == nil {
		comp, err := r.preview(ctx, a)
		if err != nil {
			return Application{}, err
		}
		out.Breakdown, out.AwardedFen, out.BreakdownIsPreview = comp.Steps, comp.AwardFen, true
	}
	return out, nil
}

// ApplicationFilter selects applications.
type ApplicationFilter struct {
	MeasureCode          string
	Status               string
	EnterpriseCreditCode string
	PageSize             int
	PageToken            string
}

// ListApplications lists the applications p may see, newest first:
// bureaus and auditors all (a bureau's review queue is its measure's
// pending ones), an enterprise's members their own.
func (r *Benefits) ListApplications(ctx context.Context, f ApplicationFilter) ([]Application, string, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return nil, "", err
	}
	if err := r.MayEver(p, authz.ActRead, authz.SupportObject("*")); err != nil {
		return nil, "", err
	}
	v := &core.Violations{}
	if f.MeasureCode != "" {
		measureOf(v, "measure_code", f.MeasureCode)
	}
	switch f.Status {
	case "", StatusPending, StatusApproved, StatusRejected:
	default:
		v.Add("status", "must be pending, approved or rejected")
	}
	code := core.CreditCode(v, "enterprise_credit_code", f.EnterpriseCreditCode, false)
	size := core.PageSize(v, f.PageSize)
	after := decodeToken(r, v, f.PageToken, applicationIDStart)
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	q := r.DB.SupportApplication.Query()
	enterpriseIDs, err := r.enterpriseScope(ctx, p, code)
	if err != nil {
		return nil, "", err
	}
	if enterpriseIDs != nil {
		q = q.Where(supportapplication.EnterpriseIDIn(enterpriseIDs...))
	}
	if f.MeasureCode != "" {
		q = q.Where(supportapplication.MeasureCode(f.MeasureCode))
	}
	if f.Status != "" {
		q = q.Where(supportapplication.Status(f.Status))
	}
	if after != "" {
		q = q.Where(supportapplication.IDLT(after))
	}
	rows, err := q.Order(ent.Desc(supportapplication.FieldID)).Limit(size + 1).All(ctx)
	if err != nil {
		return nil, "", err
	}
	rows, next := core.TrimPage(r.Secrets, rows, size, func(a *ent.SupportApplication) string { return a.ID })
	byID, err := r.enterprisesOf(ctx, r.DB, core.Map(rows, func(a *ent.SupportApplication) int { return a.EnterpriseID }))
	if err != nil {
		return nil, "", err
	}
	awards, err := r.awardsOfApplications(ctx, rows)
	if err != nil {
		return nil, "", err
	}
	return core.Map(rows, func(a *ent.SupportApplication) Application {
		return applicationOf(a, byID[a.EnterpriseID], awards[a.ID])
	}), next, nil
}

// enterpriseScope is the enterprises a list for p covers: nil for all;
// the one of code if given (p must be allowed it); an enterprise member's
// own always.
func (r *Benefits) enterpriseScope(ctx context.Context, p core.Principal, code string) ([]int, error) {
	all, err := r.ReadScope(p, authz.SupportObject("*"))
	if err != nil {
		return nil, err
	}
	if !all {
		own, ok := p.OrgCode("enterprise")
		if !ok || own == "" {
			// Own-scope reading is for enterprises; anything else reads none.
			return nil, core.PermissionDenied("%s may not read support", p)
		}
		if code != "" && code != own {
			return nil, core.PermissionDenied("%s may read only its own enterprise's support", p)
		}
		code = own
	}
	if code == "" {
		return nil, nil
	}
	ids, err := r.DB.Enterprise.Query().Where(ententerprise.CreditCode(code)).IDs(ctx)
	if err != nil {
		return nil, err
	}
	return append(ids, -1), nil
}

// enterprisesOf loads the enterprises of ids by id.
func (r *Benefits) enterprisesOf(ctx context.Context, db *ent.Client, ids []int) (map[int]*ent.Enterprise, error) {
	rows, err := db.Enterprise.Query().Where(ententerprise.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, err
	}
	byID := make(map[int]*ent.Enterprise, len(rows))
	for _, e := range rows {
		byID[e.ID] = e
	}
	return byID, nil
}

// checkRecordID checks that id is start followed by a registry id (a
// canonical UUID), as the ledger's ids are, adding a violation of field
// otherwise: a malformed id never reaches the database.
func checkRecordID(v *core.Violations, field, id, start, what string) {
	if id == "" {
		v.Add(field, "is required")
		return
	}
	if rest, ok := strings.CutPrefix(id, start); !ok || core.RequireID(field, rest) != nil {
		v.Add(field, fmt.Sprintf("is not %s id (%s…)", what, start))
	}
}

// requireRecordID is checkRecordID for a call whose input is the id.
func requireRecordID(field, id, start, what string) error {
	v := &core.Violations{}
	checkRecordID(v, field, id, start, what)
	return v.Err()
}

// decodeToken reads a page token of the list whose ids start with start.
func decodeToken(r *Benefits, v *core.Violations, token, start string) string {
	key := core.DecodePageToken(r.Secrets, v, token)
	if key != "" && !strings.HasPrefix(key, start) {
		v.Add("page_token", "is not a token of this list")
		return ""
	}
	return key
}
