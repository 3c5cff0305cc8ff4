package benefit

import (
	"context"
	"strings"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	entdesignation "github.com/hangzhou-ai/registry/ent/designation"
	"github.com/hangzhou-ai/registry/ent/supportapplication"
	"github.com/hangzhou-ai/registry/ent/supportaward"
	"github.com/hangzhou-ai/registry/ent/supportdisbursement"
	"github.com/hangzhou-ai/registry/ent/supportrecovery"
	"github.com/hangzhou-ai/registry/registry/catalog"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/internal/core"
)

const (
	disbursementIDStart = "dsb_"
	recoveryIDStart     = "rcv_"
	// PayerCity is the city's own payments; a district pays as
	// "district:<GB/T 2260 code>".
	PayerCity      = "city"
	districtPrefix = "district:"
)

// Disbursement is a payment of an award.
type Disbursement struct {
	ID         string    `json:"id"`
	AwardID    string    `json:"award_id"`
	AmountFen  int64     `json:"amount_fen"`
	PaidOn     string    `json:"paid_on"`
	Payer      string    `json:"payer"`
	PayerName  string    `json:"payer_name"`
	RecordedAt time.Time `json:"recorded_at"`
}

func disbursementOf(d *ent.SupportDisbursement) Disbursement {
	out := Disbursement{ID: d.ID, AwardID: d.AwardID, AmountFen: d.AmountFen, PaidOn: d.PaidOn, Payer: d.Payer, RecordedAt: d.RecordedAt}
	out.PayerName = payerName(d.Payer)
	return out
}

// payerName is a payer's Simplified Chinese name.
func payerName(payer string) string {
	if code, ok := strings.CutPrefix(payer, districtPrefix); ok {
		_, name := core.DistrictOf(code)
		return name
	}
	return "杭州市本级"
}

// Recovery is an order to pay back part of an award.
type Recovery struct {
	ID        string `json:"id"`
	AwardID   string `json:"award_id"`
	AmountFen int64  `json:"amount_fen"`
	Reason    string `json:"reason"`
	OrderedOn string `json:"ordered_on"`
	SettledOn string `json:"settled_on,omitempty"`
}

func recoveryOf(x *ent.SupportRecovery) Recovery {
	return Recovery{ID: x.ID, AwardID: x.AwardID, AmountFen: x.AmountFen, Reason: x.Reason, OrderedOn: x.OrderedOn, SettledOn: x.SettledOn}
}

// Award is an approved application's support and what became of it:
// Awarded = Disbursed + Outstanding − Recovered, where Outstanding is the
// part not with the enterprise (never paid, or ordered back), and Payable
// (Awarded − Disbursed) what may still be paid.
type Award struct {
	ID                    string         `json:"id"`
	ApplicationID         string         `json:"application_id"`
	MeasureCode           string         `json:"measure_code"`
	EnterpriseCreditCode  string         `json:"enterprise_credit_code"`
	EnterpriseName        string         `json:"enterprise_name"`
	Year                  int            `json:"year"`
	BasisReference        string         `json:"basis_reference"`
	BasisKind             string         `json:"basis_kind"`
	AwardedFen            int64          `json:"awarded_fen"`
	DisbursedFen          int64          `json:"disbursed_fen"`
	RecoveredFen          int64          `json:"recovered_fen"`
	OutstandingFen        int64          `json:"outstanding_fen"`
	PayableFen            int64          `json:"payable_fen"`
	AwardedOn             string         `json:"awarded_on"`
	ReliedOnDesignationID string         `json:"relied_on_designation_id,omitempty"`
	ReliedOnStatusNow     string         `json:"relied_on_status_now,omitempty"`
	Disbursements         []Disbursement `json:"disbursements,omitempty"`
	Recoveries            []Recovery     `json:"recoveries,omitempty"`
}

func (r *Benefits) awardOf(a *ent.SupportAward, e *ent.Enterprise, kind string, ds []*ent.SupportDisbursement, rs []*ent.SupportRecovery, statusNow string) Award {
	out := Award{
		ID: a.ID, ApplicationID: a.ApplicationID, MeasureCode: a.MeasureCode, Year: a.Year, BasisReference: a.BasisReference,
		BasisKind: kind, AwardedFen: a.AwardedFen, DisbursedFen: a.DisbursedFen, RecoveredFen: a.RecoveredFen,
		OutstandingFen: a.AwardedFen - a.DisbursedFen + a.RecoveredFen, PayableFen: a.AwardedFen - a.DisbursedFen,
		AwardedOn: a.AwardedOn, ReliedOnDesignationID: a.ReliedOnDesignationID, ReliedOnStatusNow: statusNow,
		Disbursements: core.Map(ds, disbursementOf), Recoveries: core.Map(rs, recoveryOf),
	}
	if e != nil {
		out.EnterpriseCreditCode, out.EnterpriseName = e.CreditCode, e.Name
	}
	return out
}

// loadAward loads an award for p acting with action on its measure:
// not_found for one that does not exist or p may not read.
func (r *Benefits) loadAward(ctx context.Context, db *ent.Client, p core.Principal, field, id, action string) (*ent.SupportAward, *ent.Enterprise, error) {
	if err := requireRecordID(field, id, awardIDStart, "an award"); err != nil {
		return nil, nil, err
	}
	missing := core.NotFound("%s: award %s does not exist", field, id)
	a, err := db.SupportAward.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, nil, r.missing(p, missing)
	}
	if err != nil {
		return nil, nil, err
	}
	e, err := db.Enterprise.Get(ctx, a.EnterpriseID)
	if err != nil {
		return nil, nil, err
	}
	owner := authz.EnterpriseOrg(e.CreditCode)
	if err := r.Authorize(p, authz.SupportObject(a.MeasureCode), authz.ActRead, owner); err != nil {
		return nil, nil, missing
	}
	if err := r.Authorize(p, authz.SupportObject(a.MeasureCode), action, owner); err != nil {
		return nil, nil, err
	}
	return a, e, nil
}

// lockAward locks an award's row until tx ends (PostgreSQL; SQLite runs
// one writing transaction at a time).
func (r *Benefits) lockAward(ctx context.Context, tx *ent.Tx, id string) error {
	if !r.RowLocks {
		return nil
	}
	_, err := tx.SupportAward.Query().Where(supportaward.ID(id)).ForUpdate().IDs(ctx)
	return err
}

// NewDisbursement is a payment to record.
type NewDisbursement struct {
	AwardID   string
	AmountFen int64
	PaidOn    string
	Payer     string
}

// checkPayer reads a payer: city, or district:<code or name>, stored as
// district:<GB/T 2260 code>.
func checkPayer(v *core.Violations, field, payer string) string {
	if payer == PayerCity {
		return payer
	}
	if d, ok := strings.CutPrefix(payer, districtPrefix); ok {
		if code := core.CheckDistrict(v, field, d); code != "" {
			return districtPrefix + code
		}
		return ""
	}
	if payer == "" {
		v.Add(field, "is required: city or district:<district>")
	} else {
		v.Add(field, "must be city or district:<district> (e.g. district:330108)")
	}
	return ""
}

// RecordDisbursement records a payment of an award, by the city or a
// district; the measure's bureau may. The award's payments never exceed
// it (failed_precondition, and a check constraint besides).
func (r *Benefits) RecordDisbursement(ctx context.Context, in NewDisbursement) (Disbursement, Award, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return Disbursement{}, Award{}, err
	}
	if err := r.mayEverSupport(p, authz.ActDisburse); err != nil {
		return Disbursement{}, Award{}, err
	}
	v := &core.Violations{}
	in = r.ValidateDisbursement(v, in)
	if err := v.Err(); err != nil {
		return Disbursement{}, Award{}, err
	}
	var out Disbursement
	var award Award
	err = r.InTx(ctx, func(tx *ent.Tx) error {
		out, award, _, err = r.RecordDisbursementIn(ctx, tx, p, in, false)
		return err
	})
	if err != nil {
		return Disbursement{}, Award{}, err
	}
	return out, award, nil
}

// ValidateDisbursement checks a payment's fields into v and returns it as
// it would be recorded (payer city or district:<GB/T 2260 code>).
func (r *Benefits) ValidateDisbursement(v *core.Violations, in NewDisbursement) NewDisbursement {
	checkRecordID(v, "award_id", in.AwardID, awardIDStart, "an award")
	checkFen(v, "amount_fen", in.AmountFen, true)
	in.PaidOn = core.ParseDate(v, "paid_on", in.PaidOn, true)
	in.Payer = checkPayer(v, "payer", in.Payer)
	return in
}

// RecordDisbursementIn records a validated payment for p inside tx: the
// award must exist and p may read it (not_found otherwise) and disburse
// under its measure; a payment dated before the award or in the future,
// or more than is left to pay, is failed_precondition, refused without a
// failing statement. With once, a payment identical to one recorded (the
// same award, amount, date and payer) is returned with isNew false and
// nothing is written: an import run again pays nothing twice.
func (r *Benefits) RecordDisbursementIn(ctx context.Context, tx *ent.Tx, p core.Principal, in NewDisbursement, once bool) (Disbursement, Award, bool, error) {
	a, e, err := r.loadAward(ctx, tx.Client(), p, "award_id", in.AwardID, authz.ActDisburse)
	if err != nil {
		return Disbursement{}, Award{}, false, err
	}
	switch {
	case in.PaidOn < a.AwardedOn:
		return Disbursement{}, Award{}, false, core.FailedPrecondition("paid_on: %s is before the award was made on %s", in.PaidOn, a.AwardedOn)
	case in.PaidOn > r.Today():
		return Disbursement{}, Award{}, false, core.FailedPrecondition("paid_on: %s is in the future", in.PaidOn)
	}
	if once {
		// The award's row is locked first, so that two imports of one
		// file cannot both find the payment missing and both make it.
		if err := r.lockAward(ctx, tx, a.ID); err != nil {
			return Disbursement{}, Award{}, false, err
		}
		same, err := tx.SupportDisbursement.Query().Where(supportdisbursement.AwardID(a.ID), supportdisbursement.AmountFen(in.AmountFen),
			supportdisbursement.PaidOn(in.PaidOn), supportdisbursement.Payer(in.Payer)).First(ctx)
		switch {
		case err == nil:
			award, err := r.fullAward(ctx, tx, a.ID)
			return disbursementOf(same), award, false, err
		case !ent.IsNotFound(err):
			return Disbursement{}, Award{}, false, err
		}
	}
	n, err := tx.SupportAward.Update().Where(supportaward.ID(a.ID), func(s *entsql.Selector) {
		s.Where(sumAtMost(s, supportaward.FieldDisbursedFen, in.AmountFen, supportaward.FieldAwardedFen))
	}).AddDisbursedFen(in.AmountFen).Save(ctx)
	if err != nil {
		return Disbursement{}, Award{}, false, err
	}
	if n == 0 {
		cur, err := tx.SupportAward.Get(ctx, a.ID)
		if err != nil {
			return Disbursement{}, Award{}, false, err
		}
		return Disbursement{}, Award{}, false, core.FailedPrecondition("amount_fen: award %s has %s yuan left to pay, less than %s yuan", a.ID, yuanText(cur.AwardedFen-cur.DisbursedFen), yuanText(in.AmountFen))
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Disbursement{}, Award{}, false, err
	}
	d, err := tx.SupportDisbursement.Create().SetID(disbursementIDStart + id.String()).SetAwardID(a.ID).
		SetAmountFen(in.AmountFen).SetPaidOn(in.PaidOn).SetPayer(in.Payer).SetRecordedBy(p.Subject).SetRecordedAt(r.Now()).Save(ctx)
	if err != nil {
		return Disbursement{}, Award{}, false, err
	}
	award, err := r.fullAward(ctx, tx, a.ID)
	if err != nil {
		return Disbursement{}, Award{}, false, err
	}
	out := disbursementOf(d)
	err = r.Record(ctx, tx, p, core.Change{Action: "support.disburse", EntityType: "support-award", EntityID: a.ID,
		After: out, Owner: authz.EnterpriseOrg(e.CreditCode)})
	return out, award, true, err
}

// sumAtMost is the predicate col + add <= limitCol.
func sumAtMost(s *entsql.Selector, col string, add int64, limitCol string) *entsql.Predicate {
	return entsql.P(func(b *entsql.Builder) {
		b.WriteString(s.C(col)).WriteString(" + ").Arg(add).WriteString(" <= ").WriteString(s.C(limitCol))
	})
}

// NewRecovery is a recovery order.
type NewRecovery struct {
	AwardID   string
	AmountFen int64
	Reason    string
}

// RecoverAward orders money paid on an award back: at most what was paid
// and not already ordered back. Until the order is settled the enterprise
// may neither apply nor be awarded (failed_precondition).
func (r *Benefits) RecoverAward(ctx context.Context, in NewRecovery) (Recovery, Award, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return Recovery{}, Award{}, err
	}
	if err := r.mayEverSupport(p, authz.ActRecover); err != nil {
		return Recovery{}, Award{}, err
	}
	v := &core.Violations{}
	checkFen(v, "amount_fen", in.AmountFen, true)
	reason := core.CleanMultiline(v, "reason", in.Reason, core.MaxReasonLen, true)
	if err := v.Err(); err != nil {
		return Recovery{}, Award{}, err
	}
	a, e, err := r.loadAward(ctx, r.DB, p, "award_id", in.AwardID, authz.ActRecover)
	if err != nil {
		return Recovery{}, Award{}, err
	}
	var out Recovery
	var award Award
	err = r.InTx(ctx, func(tx *ent.Tx) error {
		n, err := tx.SupportAward.Update().Where(supportaward.ID(a.ID), func(s *entsql.Selector) {
			s.Where(sumAtMost(s, supportaward.FieldRecoveredFen, in.AmountFen, supportaward.FieldDisbursedFen))
		}).AddRecoveredFen(in.AmountFen).Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			cur, err := tx.SupportAward.Get(ctx, a.ID)
			if err != nil {
				return err
			}
			return core.FailedPrecondition("amount_fen: award %s has %s yuan paid and not yet ordered back, less than %s yuan", a.ID, yuanText(cur.DisbursedFen-cur.RecoveredFen), yuanText(in.AmountFen))
		}
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		x, err := tx.SupportRecovery.Create().SetID(recoveryIDStart + id.String()).SetAwardID(a.ID).SetEnterpriseID(a.EnterpriseID).
			SetAmountFen(in.AmountFen).SetReason(reason).SetOrderedOn(r.Today()).SetOrderedBy(p.Subject).SetCreatedAt(r.Now()).Save(ctx)
		if err != nil {
			return err
		}
		if award, err = r.fullAward(ctx, tx, a.ID); err != nil {
			return err
		}
		out = recoveryOf(x)
		return r.Record(ctx, tx, p, core.Change{Action: "support.recover", EntityType: "support-award", EntityID: a.ID,
			After: out, Reason: reason, Owner: authz.EnterpriseOrg(e.CreditCode)})
	})
	if err != nil {
		return Recovery{}, Award{}, err
	}
	return out, award, nil
}

// SettleRecovery records that a recovery order was repaid on settledOn
// (today if empty); the measure's bureau may. A date before the order or
// in the future, or an order settled already, is failed_precondition.
func (r *Benefits) SettleRecovery(ctx context.Context, id, settledOn string) (Recovery, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return Recovery{}, err
	}
	if err := r.mayEverSupport(p, authz.ActRecover); err != nil {
		return Recovery{}, err
	}
	v := &core.Violations{}
	on := core.ParseDate(v, "settled_on", settledOn, false)
	checkRecordID(v, "recovery_id", id, recoveryIDStart, "a recovery")
	if err := v.Err(); err != nil {
		return Recovery{}, err
	}
	if on == "" {
		on = r.Today()
	}
	x, err := r.DB.SupportRecovery.Get(ctx, id)
	if ent.IsNotFound(err) {
		return Recovery{}, r.missing(p, core.NotFound("recovery_id: recovery %s does not exist", id))
	}
	if err != nil {
		return Recovery{}, err
	}
	a, e, err := r.loadAward(ctx, r.DB, p, "recovery_id", x.AwardID, authz.ActRecover)
	if err != nil {
		return Recovery{}, err
	}
	switch {
	case on < x.OrderedOn:
		return Recovery{}, core.FailedPrecondition("settled_on: %s is before the order of %s", on, x.OrderedOn)
	case on > r.Today():
		return Recovery{}, core.FailedPrecondition("settled_on: %s is in the future", on)
	}
	var out Recovery
	err = r.InTx(ctx, func(tx *ent.Tx) error {
		n, err := tx.SupportRecovery.Update().Where(supportrecovery.ID(x.ID), supportrecovery.Settled(false)).
			SetSettledOn(on).SetSettled(true).SetSettledBy(p.Subject).Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return core.FailedPrecondition("recovery %s is settled already", x.ID)
		}
		row, err := tx.SupportRecovery.Get(ctx, x.ID)
		if err != nil {
			return err
		}
		out = recoveryOf(row)
		return r.Record(ctx, tx, p, core.Change{Action: "support.settle", EntityType: "support-award", EntityID: a.ID,
			After: out, Owner: authz.EnterpriseOrg(e.CreditCode)})
	})
	return out, err
}

// AwardFilter selects awards.
type AwardFilter struct {
	MeasureCode          string
	Year                 int
	EnterpriseCreditCode string
	PageSize             int
	PageToken            string
}

// ListSupportAwards lists the awards p may see, newest first, each with its
// disbursements and recoveries: bureaus and auditors all, an
// enterprise's members their own.
func (r *Benefits) ListSupportAwards(ctx context.Context, f AwardFilter) ([]Award, string, error) {
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
	if f.Year != 0 {
		core.ValidateYear(v, "year", f.Year)
	}
	code := core.CreditCode(v, "enterprise_credit_code", f.EnterpriseCreditCode, false)
	size := core.PageSize(v, f.PageSize)
	after := decodeToken(r, v, f.PageToken, awardIDStart)
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	ids, err := r.enterpriseScope(ctx, p, code)
	if err != nil {
		return nil, "", err
	}
	q := r.DB.SupportAward.Query()
	if ids != nil {
		q = q.Where(supportaward.EnterpriseIDIn(ids...))
	}
	if f.MeasureCode != "" {
		q = q.Where(supportaward.MeasureCode(f.MeasureCode))
	}
	if f.Year != 0 {
		q = q.Where(supportaward.Year(f.Year))
	}
	if after != "" {
		q = q.Where(supportaward.IDLT(after))
	}
	rows, err := q.Order(ent.Desc(supportaward.FieldID)).Limit(size + 1).All(ctx)
	if err != nil {
		return nil, "", err
	}
	rows, next := core.TrimPage(r.Secrets, rows, size, func(a *ent.SupportAward) string { return a.ID })
	out, err := r.awardsWithLedger(ctx, r.DB, rows)
	return out, next, err
}

// awardsWithLedger completes awards with their enterprise, kind,
// disbursements, recoveries and the current status of the designation
// each relied on.
func (r *Benefits) awardsWithLedger(ctx context.Context, db *ent.Client, rows []*ent.SupportAward) ([]Award, error) {
	if len(rows) == 0 {
		return []Award{}, nil
	}
	ids := core.Map(rows, func(a *ent.SupportAward) string { return a.ID })
	enterprises, err := r.enterprisesOf(ctx, db, core.Map(rows, func(a *ent.SupportAward) int { return a.EnterpriseID }))
	if err != nil {
		return nil, err
	}
	apps, err := db.SupportApplication.Query().Where(supportapplication.IDIn(core.Map(rows, func(a *ent.SupportAward) string { return a.ApplicationID })...)).
		Select(supportapplication.FieldID, supportapplication.FieldBasisKind).All(ctx)
	if err != nil {
		return nil, err
	}
	kinds := map[string]string{}
	for _, a := range apps {
		kinds[a.ID] = a.BasisKind
	}
	ds, err := db.SupportDisbursement.Query().Where(supportdisbursement.AwardIDIn(ids...)).Order(ent.Asc(supportdisbursement.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	rs, err := db.SupportRecovery.Query().Where(supportrecovery.AwardIDIn(ids...)).Order(ent.Asc(supportrecovery.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	var relied []string
	for _, a := range rows {
		if a.ReliedOnDesignationID != "" {
			relied = append(relied, a.ReliedOnDesignationID)
		}
	}
	statuses := map[string]string{}
	if len(relied) > 0 {
		designations, err := db.Designation.Query().Where(entdesignation.IDIn(relied...)).All(ctx)
		if err != nil {
			return nil, err
		}
		today := r.Today()
		for _, d := range designations {
			statuses[d.ID] = string(designation.DesignationOf(d, today).Status)
		}
	}
	dsBy, rsBy := map[string][]*ent.SupportDisbursement{}, map[string][]*ent.SupportRecovery{}
	for _, d := range ds {
		dsBy[d.AwardID] = append(dsBy[d.AwardID], d)
	}
	for _, x := range rs {
		rsBy[x.AwardID] = append(rsBy[x.AwardID], x)
	}
	out := make([]Award, len(rows))
	for i, a := range rows {
		status := ""
		if a.ReliedOnDesignationID != "" {
			status = statuses[a.ReliedOnDesignationID]
			if status == "" {
				status = string(designation.StatusRevoked)
			}
		}
		out[i] = r.awardOf(a, enterprises[a.EnterpriseID], kinds[a.ApplicationID], dsBy[a.ID], rsBy[a.ID], status)
	}
	return out, nil
}

// fullAward reads award id as ListSupportAwards shows it, inside tx.
func (r *Benefits) fullAward(ctx context.Context, tx *ent.Tx, id string) (Award, error) {
	row, err := tx.SupportAward.Get(ctx, id)
	if err != nil {
		return Award{}, err
	}
	out, err := r.awardsWithLedger(ctx, tx.Client(), []*ent.SupportAward{row})
	if err != nil {
		return Award{}, err
	}
	return out[0], nil
}

// MeasureView is a measure with what is left of this year's budget.
type MeasureView struct {
	catalog.Measure
	Year          int
	BudgetLeftFen int64 // -1 without a budget
}

// ListMeasures lists the measures with what is left of this year's
// budgets; anyone signed in may.
func (r *Benefits) ListMeasures(ctx context.Context) ([]MeasureView, error) {
	if _, err := core.PrincipalOf(ctx); err != nil {
		return nil, err
	}
	year := r.Clock().In(core.ChinaStandardTime).Year()
	var specs []counterSpec
	for _, m := range catalog.Measures {
		specs = append(specs, counterSpec{budgetKey(m.Code, year), limitOr(m.YearlyBudgetFen), countOr(m.MaxAwardsPerYear)})
	}
	counters, err := r.readCounters(ctx, r.DB, specs)
	if err != nil {
		return nil, err
	}
	out := make([]MeasureView, len(catalog.Measures))
	for i, m := range catalog.Measures {
		out[i] = MeasureView{Measure: m, Year: year, BudgetLeftFen: -1}
		if m.YearlyBudgetFen > 0 {
			out[i].BudgetLeftFen = max(0, m.YearlyBudgetFen-counters[budgetKey(m.Code, year)].UsedFen)
		}
	}
	return out, nil
}
