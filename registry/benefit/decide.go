package benefit

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/supportapplication"
	"github.com/hangzhou-ai/registry/ent/supportaward"
	"github.com/hangzhou-ai/registry/ent/supportcounter"
	"github.com/hangzhou-ai/registry/registry/catalog"
	"github.com/hangzhou-ai/registry/registry/internal/core"
)

const awardIDStart = "awd_"

// counterSpec is a counter an award consumes, with its limits (-1: none).
type counterSpec struct {
	key        string
	limitFen   int64
	limitCount int
}

func limitOr(n int64) int64 {
	if n > 0 {
		return n
	}
	return -1
}

func countOr(n int) int {
	if n > 0 {
		return n
	}
	return -1
}

// The counters of an award under m to enterprise e in year on cost item ref.
func budgetKey(m string, year int) string { return fmt.Sprintf("budget/%s/%d", m, year) }
func enterpriseYearKey(m string, e, year int) string {
	return fmt.Sprintf("enterprise-year/%s/%d/%d", m, e, year)
}
func enterpriseKey(m string, e int) string      { return fmt.Sprintf("enterprise/%s/%d", m, e) }
func enterpriseYearsKey(m string, e int) string { return fmt.Sprintf("enterprise-years/%s/%d", m, e) }
func basisKey(e int, ref string) string         { return fmt.Sprintf("basis/%d/%s", e, ref) }

// countersOf lists the counters of an award, sorted by key: every
// approval locks them in this order, so two never wait on each other.
func countersOf(m catalog.Measure, enterpriseID, year int, ref string) []counterSpec {
	specs := []counterSpec{
		{budgetKey(m.Code, year), limitOr(m.YearlyBudgetFen), countOr(m.MaxAwardsPerYear)},
		{enterpriseYearKey(m.Code, enterpriseID, year), limitOr(m.EnterpriseYearCapFen), countOr(m.MaxAwardsPerEnterpriseYear)},
		{enterpriseKey(m.Code, enterpriseID), -1, countOr(m.MaxAwardsPerEnterprise)},
		{enterpriseYearsKey(m.Code, enterpriseID), -1, countOr(m.MaxYearsPerEnterprise)},
		{basisKey(enterpriseID, ref), -1, -1},
	}
	slices.SortFunc(specs, func(a, b counterSpec) int { return strings.Compare(a.key, b.key) })
	return specs
}

// lockCounters makes the counters of specs where missing and locks them,
// one at a time in key order (the upsert locks the row on PostgreSQL;
// SQLite runs one writing transaction at a time), and returns them by key.
// A counter keeps the limits it was made with, or that SetEnterpriseCap
// gave it.
func (r *Benefits) lockCounters(ctx context.Context, tx *ent.Tx, specs []counterSpec) (map[string]*ent.SupportCounter, error) {
	keys := make([]string, len(specs))
	for i, s := range specs {
		keys[i] = s.key
		err := tx.SupportCounter.Create().SetID(s.key).SetLimitFen(s.limitFen).SetLimitCount(s.limitCount).
			OnConflictColumns(supportcounter.FieldID).Ignore().Exec(ctx)
		if err != nil {
			return nil, err
		}
	}
	rows, err := tx.SupportCounter.Query().Where(supportcounter.IDIn(keys...)).All(ctx)
	if err != nil {
		return nil, err
	}
	return byKey(rows), nil
}

// readCounters reads the counters of specs without locking them; a
// counter not yet made is unused.
func (r *Benefits) readCounters(ctx context.Context, db *ent.Client, specs []counterSpec) (map[string]*ent.SupportCounter, error) {
	keys := make([]string, len(specs))
	for i, s := range specs {
		keys[i] = s.key
	}
	rows, err := db.SupportCounter.Query().Where(supportcounter.IDIn(keys...)).All(ctx)
	if err != nil {
		return nil, err
	}
	m := byKey(rows)
	for _, s := range specs {
		if _, ok := m[s.key]; !ok {
			m[s.key] = &ent.SupportCounter{ID: s.key, LimitFen: s.limitFen, LimitCount: s.limitCount}
		}
	}
	return m, nil
}

func byKey(rows []*ent.SupportCounter) map[string]*ent.SupportCounter {
	m := make(map[string]*ent.SupportCounter, len(rows))
	for _, c := range rows {
		m[c.ID] = c
	}
	return m
}

// left is what a counter's fen limit leaves (-1: no limit).
func left(c *ent.SupportCounter) int64 {
	if c.LimitFen < 0 {
		return -1
	}
	return max(0, c.LimitFen-c.UsedFen)
}

// headroomOf reads the headroom of an award from its counters.
func headroomOf(m catalog.Measure, enterpriseID, year int, ref string, c map[string]*ent.SupportCounter) Headroom {
	ey := c[enterpriseYearKey(m.Code, enterpriseID, year)]
	budget := c[budgetKey(m.Code, year)]
	return Headroom{
		BasisReceived:            c[basisKey(enterpriseID, ref)].UsedFen,
		EnterpriseYearCapFen:     ey.LimitFen,
		EnterpriseYearLeft:       left(ey),
		BudgetLeft:               left(budget),
		AwardsThisYear:           budget.UsedCount,
		AwardsThisEnterpriseYear: ey.UsedCount,
		AwardsThisEnterprise:     c[enterpriseKey(m.Code, enterpriseID)].UsedCount,
		YearsThisEnterprise:      c[enterpriseYearsKey(m.Code, enterpriseID)].UsedCount,
		NewYearForEnterprise:     ey.UsedCount == 0,
	}
}

func basisOf(m catalog.Measure, a *ent.SupportApplication) Basis {
	k, _ := m.Kind(a.BasisKind)
	return Basis{Kind: k, AmountFen: a.BasisAmountFen, PrincipalFen: a.LoanPrincipalFen, ProjectTotal: a.ProjectTotalFen,
		Reference: a.BasisReference, MeasureYear: a.Year}
}

// preview computes what approving a pending application would award now.
func (r *Benefits) preview(ctx context.Context, a *ent.SupportApplication) (Computation, error) {
	m := catalog.MeasuresByCode[a.MeasureCode]
	c, err := r.readCounters(ctx, r.DB, countersOf(m, a.EnterpriseID, a.Year, a.BasisReference))
	if err != nil {
		return Computation{}, err
	}
	return Compute(m, basisOf(m, a), headroomOf(m, a.EnterpriseID, a.Year, a.BasisReference, c)), nil
}

// Decision is a bureau's decision on an application.
type Decision struct {
	ID      string
	Approve bool
	Reason  string
}

// DecideApplication approves or rejects a pending application; only the
// measure's deciding bureau may. Approval checks the prerequisite
// designation as of the basis date, locks the counters the award
// consumes, computes the award (Compute) and records it with its
// breakdown, all in one transaction: concurrent approvals never take a
// cap, a budget or a count limit past its limit. An approval is
// failed_precondition, and leaves the application pending, when it would
// award nothing or break a count limit, when the enterprise owes an
// unsettled recovery, when the designation is missing, or outside the
// measures' window; a rejection needs a reason and may be made at any
// time. An application decided already is failed_precondition.
func (r *Benefits) DecideApplication(ctx context.Context, d Decision) (Application, Award, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return Application{}, Award{}, err
	}
	if err := r.mayEverSupport(p, authz.ActDecide); err != nil {
		return Application{}, Award{}, err
	}
	v := &core.Violations{}
	reason := core.CleanMultiline(v, "reason", d.Reason, core.MaxReasonLen, !d.Approve)
	if err := v.Err(); err != nil {
		return Application{}, Award{}, err
	}
	a, e, err := r.loadApplication(ctx, p, "id", d.ID)
	if err != nil {
		return Application{}, Award{}, err
	}
	if err := r.Authorize(p, authz.SupportObject(a.MeasureCode), authz.ActDecide); err != nil {
		return Application{}, Award{}, err
	}
	if a.Status != StatusPending {
		return Application{}, Award{}, core.FailedPrecondition("application %s is %s already", a.ID, a.Status)
	}
	if today := r.Today(); d.Approve && (today < catalog.MeasureWindowFrom || today > catalog.MeasureWindowUntil) {
		return Application{}, Award{}, core.FailedPrecondition("the measures run from %s to %s; nothing is awarded on %s (an application may still be rejected)", catalog.MeasureWindowFrom, catalog.MeasureWindowUntil, today)
	}
	m := catalog.MeasuresByCode[a.MeasureCode]
	var out Application
	var award Award
	err = r.InTx(ctx, func(tx *ent.Tx) error {
		status := StatusRejected
		if d.Approve {
			status = StatusApproved
		}
		now := r.Now()
		n, err := tx.SupportApplication.Update().Where(supportapplication.ID(a.ID), supportapplication.Status(StatusPending)).
			SetStatus(status).SetLive(d.Approve).SetReason(reason).SetDecidedBy(p.Subject).SetDecidedAt(now).Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return core.FailedPrecondition("application %s was decided by someone else meanwhile", a.ID)
		}
		owner := authz.EnterpriseOrg(e.CreditCode)
		if !d.Approve {
			row, err := tx.SupportApplication.Get(ctx, a.ID)
			if err != nil {
				return err
			}
			out = applicationOf(row, e, "")
			return r.Record(ctx, tx, p, core.Change{Action: "support.reject", EntityType: "support-application", EntityID: a.ID,
				After: out, Reason: reason, Owner: owner})
		}
		if err := refuseWhileOwing(ctx, tx, a.EnterpriseID); err != nil {
			return err
		}
		relied, err := r.prerequisite(ctx, tx, m, NewApplication{BasisKind: a.BasisKind, BasisDate: a.BasisDate}, a.EnterpriseID)
		if err != nil {
			return err
		}
		specs := countersOf(m, a.EnterpriseID, a.Year, a.BasisReference)
		counters, err := r.lockCounters(ctx, tx, specs)
		if err != nil {
			return err
		}
		h := headroomOf(m, a.EnterpriseID, a.Year, a.BasisReference, counters)
		comp := Compute(m, basisOf(m, a), h)
		if comp.Refusal != "" {
			return core.FailedPrecondition("application %s: %s", a.ID, comp.Refusal)
		}
		for _, s := range specs {
			u := tx.SupportCounter.UpdateOneID(s.key).AddUsedFen(comp.AwardFen)
			// The years counter counts an enterprise's first award in a year.
			if s.key != enterpriseYearsKey(m.Code, a.EnterpriseID) || h.NewYearForEnterprise {
				u = u.AddUsedCount(1)
			}
			if err := u.Exec(ctx); err != nil {
				return err
			}
		}
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		aw, err := tx.SupportAward.Create().SetID(awardIDStart + id.String()).SetApplicationID(a.ID).SetMeasureCode(m.Code).
			SetEnterpriseID(a.EnterpriseID).SetYear(a.Year).SetBasisReference(a.BasisReference).SetAwardedFen(comp.AwardFen).
			SetAwardedOn(core.DateOf(now)).SetReliedOnDesignationID(relied).SetCreatedAt(now).Save(ctx)
		if err != nil {
			return err
		}
		row, err := tx.SupportApplication.UpdateOneID(a.ID).SetAwardedFen(comp.AwardFen).SetBreakdown(comp.Steps).Save(ctx)
		if err != nil {
			return err
		}
		out = applicationOf(row, e, aw.ID)
		if award, err = r.fullAward(ctx, tx, aw.ID); err != nil {
			return err
		}
		return r.RecordAll(ctx, tx, p, []core.Change{
			{Action: "support.approve", EntityType: "support-application", EntityID: a.ID, After: out, Reason: reason, Owner: owner},
			{Action: "support.award", EntityType: "support-award", EntityID: aw.ID, After: award, Owner: owner},
		})
	})
	if err != nil {
		return Application{}, Award{}, err
	}
	return out, award, nil
}

// awardOfApplication returns the id of an application's award, or "".
func (r *Benefits) awardOfApplication(ctx context.Context, a *ent.SupportApplication) (string, error) {
	if a.Status != StatusApproved {
		return "", nil
	}
	ids, err := r.DB.SupportAward.Query().Where(supportaward.ApplicationID(a.ID)).IDs(ctx)
	if err != nil || len(ids) == 0 {
		return "", err
	}
	return ids[0], nil
}

// awardsOfApplications maps approved applications to their awards' ids.
func (r *Benefits) awardsOfApplications(ctx context.Context, apps []*ent.SupportApplication) (map[string]string, error) {
	var ids []string
	for _, a := range apps {
		if a.Status == StatusApproved {
			ids = append(ids, a.ID)
		}
	}
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := r.DB.SupportAward.Query().Where(supportaward.ApplicationIDIn(ids...)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, aw := range rows {
		out[aw.ApplicationID] = aw.ID
	}
	return out, nil
}
