package benefit

import (
	"context"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/supportcounter"
	"github.com/hangzhou-ai/registry/registry/catalog"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// EnterpriseCap is an enterprise's yearly cap under a measure.
type EnterpriseCap struct {
	MeasureCode          string `json:"measure_code"`
	EnterpriseCreditCode string `json:"enterprise_credit_code"`
	Year                 int    `json:"year"`
	CapFen               int64  `json:"cap_fen"`
	DefaultCapFen        int64  `json:"default_cap_fen"`
	UsedFen              int64  `json:"used_fen"`
}

// NewEnterpriseCap is a bureau's decision on one enterprise's yearly cap.
type NewEnterpriseCap struct {
	MeasureCode          string
	EnterpriseCreditCode string
	Year                 int
	CapFen               int64
	Reason               string
}

// SetEnterpriseCap sets an enterprise's cap for a year under a measure
// with an enterprise-year cap (DOMAIN.md: the bureau may relax the compute
// voucher's for base-model enterprises). The measure's deciding bureau
// may, with a reason; a cap below what the enterprise has been awarded
// that year is failed_precondition. The cap is the counter's limit, set
// under the same lock approvals take, and audited with the cap before.
func (r *Benefits) SetEnterpriseCap(ctx context.Context, in NewEnterpriseCap) (EnterpriseCap, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return EnterpriseCap{}, err
	}
	if err := r.mayEverSupport(p, authz.ActDecide); err != nil {
		return EnterpriseCap{}, err
	}
	v := &core.Violations{}
	m, known := measureOf(v, "measure_code", in.MeasureCode)
	code := core.CreditCode(v, "enterprise_credit_code", in.EnterpriseCreditCode, true)
	if known && m.EnterpriseYearCapFen == 0 {
		v.Add("measure_code", m.Code+" has no enterprise-year cap")
	}
	if in.Year == 0 {
		v.Add("year", "is required")
	} else {
		core.ValidateYear(v, "year", in.Year)
	}
	checkFen(v, "cap_fen", in.CapFen, true)
	reason := core.CleanMultiline(v, "reason", in.Reason, core.MaxReasonLen, true)
	if err := v.Err(); err != nil {
		return EnterpriseCap{}, err
	}
	if err := r.Authorize(p, authz.SupportObject(m.Code), authz.ActDecide); err != nil {
		return EnterpriseCap{}, err
	}
	if in.Year < catalog.MeasureFirstYear || in.Year > catalog.MeasureLastYear {
		return EnterpriseCap{}, core.FailedPrecondition("year: %s runs in %d to %d, not in %d", m.Code, catalog.MeasureFirstYear, catalog.MeasureLastYear, in.Year)
	}
	e, err := enterprise.EnterpriseByCode(ctx, r.DB, "enterprise_credit_code", code)
	if err != nil {
		return EnterpriseCap{}, err
	}
	var out EnterpriseCap
	err = r.InTx(ctx, func(tx *ent.Tx) error {
		key := enterpriseYearKey(m.Code, e.ID, in.Year)
		counters, err := r.lockCounters(ctx, tx, []counterSpec{{key, m.EnterpriseYearCapFen, countOr(m.MaxAwardsPerEnterpriseYear)}})
		if err != nil {
			return err
		}
		c := counters[key]
		if c.UsedFen > in.CapFen {
			return core.FailedPrecondition("cap_fen: the enterprise has been awarded %s yuan under %s in %d, more than %s yuan", yuanText(c.UsedFen), m.Code, in.Year, yuanText(in.CapFen))
		}
		before := EnterpriseCap{MeasureCode: m.Code, EnterpriseCreditCode: e.CreditCode, Year: in.Year, CapFen: c.LimitFen, DefaultCapFen: m.EnterpriseYearCapFen, UsedFen: c.UsedFen}
		if err := tx.SupportCounter.UpdateOneID(key).Where(supportcounter.UsedFenLTE(in.CapFen)).SetLimitFen(in.CapFen).Exec(ctx); err != nil {
			return err
		}
		out = before
		out.CapFen = in.CapFen
		return r.Record(ctx, tx, p, core.Change{Action: "support.cap", EntityType: "support-cap", EntityID: key,
			Before: before, After: out, Reason: reason, Owner: authz.EnterpriseOrg(e.CreditCode)})
	})
	return out, err
}
