package park

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hangzhou-ai/registry/attest"
	"github.com/hangzhou-ai/registry/authz"
	entpark "github.com/hangzhou-ai/registry/ent/park"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// AttestationLifetime is how long an eligibility attestation may be relied
// on: the longest VerifyAttestation accepts.
const AttestationLifetime = attest.MaxLifetime

// Reason is one condition of an eligibility answer, explained.
type Reason struct {
	Code      string `json:"code"`
	MessageZh string `json:"message_zh"`
	MessageEn string `json:"message_en"`
}

// Reason codes of eligibility answers.
const (
	ReasonTenancyActive       = "TENANCY_ACTIVE"
	ReasonNoTenancy           = "NO_ACTIVE_TENANCY"
	ReasonTenancyLongEnough   = "TENANCY_LONG_ENOUGH"
	ReasonTenancyTooShort     = "TENANCY_TOO_SHORT"
	ReasonDesignationHeld     = "DESIGNATION_HELD"
	ReasonNoDesignation       = "NO_QUALIFYING_DESIGNATION"
	ReasonEnterpriseYoung     = "ENTERPRISE_YOUNG_ENOUGH"
	ReasonEnterpriseTooOld    = "ENTERPRISE_TOO_OLD"
	ReasonRegistrationUnknown = "REGISTRATION_DATE_UNKNOWN"
)

// EligibilityQuery asks whether an enterprise is eligible for a park benefit.
type EligibilityQuery struct {
	ParkCode             string
	EnterpriseCreditCode string
	Benefit              string
	AsOf                 string // defaults to today
}

// EligibilityAnswer is the answer and its signed attestation. It names
// only the designation types of the rule that matched, nothing else about
// the enterprise.
type EligibilityAnswer struct {
	Eligible                bool
	Reasons                 []Reason
	MatchedDesignationTypes []string
	AsOf                    string
	CheckedAt               time.Time
	Attestation             string
	// AuditTreeSize is the audit tree's size in the snapshot the answer's
	// last statement read: every event recording a fact it relied on is
	// among the first AuditTreeSize (also the attestation's claim).
	AuditTreeSize int64
}

// VerifyTenantEligibility evaluates a park's rule for a benefit against
// the enterprise's tenancy and designations on the date, reading the
// database afresh every time, and signs the answer. Only the park's own
// staff may ask, which is decided before anything is read. The database
// answers in two prepared statements: the rule with the enterprise and its
// tenancy, then the qualifying designations (none when the rule names no
// type or the enterprise is not a tenant on the date).
func (r *Parks) VerifyTenantEligibility(ctx context.Context, q EligibilityQuery) (EligibilityAnswer, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return EligibilityAnswer{}, err
	}
	v := &core.Violations{}
	code := core.CreditCode(v, "enterprise_credit_code", q.EnterpriseCreditCode, true)
	benefit := core.CheckCode(v, "benefit", q.Benefit)
	asOf := core.ParseDate(v, "as_of", q.AsOf, false)
	if err := v.Err(); err != nil {
		return EligibilityAnswer{}, err
	}
	if err := r.mayAtPark(p, authz.ObjEligibility, authz.ActVerify, "park_code", q.ParkCode); err != nil {
		return EligibilityAnswer{}, r.refusedAtPark(ctx, p, q.ParkCode, err)
	}
	if asOf == "" {
		asOf = r.Today()
	}
	f, err := r.eligibilityFacts(ctx, p, q.ParkCode, benefit, code, asOf)
	if err != nil {
		return EligibilityAnswer{}, err
	}
	ans, relied, err := r.evaluate(ctx, f, asOf)
	if err != nil {
		return EligibilityAnswer{}, err
	}
	ans.CheckedAt = r.Now()
	kid, key, err := r.Keys.Signer(ctx)
	if err != nil {
		return EligibilityAnswer{}, err
	}
	claims := attest.Claims{
		Issuer: attest.Issuer, Subject: code, ParkCode: q.ParkCode, EnterpriseCreditCode: code, Benefit: benefit,
		AsOf: asOf, Eligible: ans.Eligible, DesignationIDs: relied, AuditTreeSize: ans.AuditTreeSize,
		IssuedAt: ans.CheckedAt.Unix(), ExpiresAt: ans.CheckedAt.Add(AttestationLifetime).Unix(),
	}
	for _, reason := range ans.Reasons {
		claims.ReasonCodes = append(claims.ReasonCodes, reason.Code)
	}
	if ans.Attestation, err = attest.Sign(key, kid, claims); err != nil {
		return EligibilityAnswer{}, err
	}
	return ans, nil
}

// tenantFacts is what an eligibility answer rests on besides designations:
// the rule, and, for an enterprise with a tenancy in the park in force on
// the date, the enterprise and the start of that tenancy.
type tenantFacts struct {
	anyOf                 []string
	minTenancyMonths      int
	maxEnterpriseAgeYears int
	tenant                bool // registered and a tenant on the date
	enterpriseID          int64
	registeredOn          string
	tenancyStart          string // of the earliest tenancy in force
	treeSize              int64  // the audit tree's, as the facts were read
}

// eligibilityFactsSQL reads the rule ($1 park, $2 benefit) with the
// enterprise ($4 credit code) and its earliest tenancy in the park in force
// on $3: one row when the park has the rule, the enterprise's columns NULL
// when it is not registered, the tenancy's when it is not a tenant then.
const eligibilityFactsSQL = `SELECT r.any_of_designation_types, r.min_tenancy_months, r.max_enterprise_age_years,
	e.id, e.registered_on,
	(SELECT t.start_date FROM tenancies t
	 WHERE t.park_id = r.park_id AND t.enterprise_id = e.id AND t.start_date <= $3 AND (t.end_date = '' OR t.end_date >= $3)
	 ORDER BY t.start_date LIMIT 1),
	` + designation.TreeSizeColumn + `
FROM eligibility_rules r LEFT JOIN enterprises e ON e.credit_code = $4
WHERE r.park_id = $1 AND r.benefit = $2`

func (r *Parks) eligibilityFacts(ctx context.Context, p core.Principal, parkCode, benefit, code, asOf string) (tenantFacts, error) {
	row, err := r.Statements.QueryRow(ctx, eligibilityFactsSQL, parkCode, benefit, asOf, code)
	if err != nil {
		return tenantFacts{}, err
	}
	var (
		f            tenantFacts
		anyOf        []byte
		enterpriseID sql.NullInt64
		registeredOn sql.NullString
		tenancyStart sql.NullString
	)
	err = row.Scan(&anyOf, &f.minTenancyMonths, &f.maxEnterpriseAgeYears, &enterpriseID, &registeredOn, &tenancyStart, &f.treeSize)
	if errors.Is(err, sql.ErrNoRows) {
		return tenantFacts{}, r.missingRule(ctx, p, parkCode, benefit)
	}
	if err != nil {
		return tenantFacts{}, err
	}
	if err := json.Unmarshal(anyOf, &f.anyOf); err != nil {
		return tenantFacts{}, fmt.Errorf("eligibility rule %s/%s: designation types: %w", parkCode, benefit, err)
	}
	f.tenant = enterpriseID.Valid && tenancyStart.Valid
	f.enterpriseID, f.registeredOn, f.tenancyStart = enterpriseID.Int64, registeredOn.String, tenancyStart.String
	return f, nil
}

// missingRule explains why a park has no rule for a benefit: the park is
// not registered (told only to those who may read every park), or it has
// no such rule.
func (r *Parks) missingRule(ctx context.Context, p core.Principal, parkCode, benefit string) error {
	if err := r.parkExists(ctx, p, parkCode); err != nil {
		return err
	}
	return core.NotFound("benefit: park %s has no rule for %s", parkCode, benefit)
}

// refusedAtPark is the answer to a principal refused at a park: those who
// may read every park learn that it does not exist, as GetPark would tell
// them; everyone else gets the refusal, whether it exists or not.
func (r *Parks) refusedAtPark(ctx context.Context, p core.Principal, parkCode string, refusal error) error {
	if all, err := r.ReadScope(p, authz.ObjPark); err != nil || !all || core.KindOf(refusal) != core.KindPermissionDenied {
		return refusal
	}
	if err := r.parkExists(ctx, p, parkCode); err != nil {
		return err
	}
	return refusal
}

// parkExists fails, as MissingFor words it for p, when the park is not registered.
func (r *Parks) parkExists(ctx context.Context, p core.Principal, parkCode string) error {
	exists, err := r.DB.Park.Query().Where(entpark.ID(parkCode)).Exist(ctx)
	switch {
	case err != nil:
		return err
	case !exists:
		return r.MissingFor(p, authz.ObjPark, core.NotFound("park_code: park %s is not registered", parkCode))
	}
	return nil
}

// evaluate applies the rule in f on asOf and returns the answer (unsigned)
// and the ids of the designations it relied on. A park learns about its
// tenants only: an enterprise without a tenancy in the park in force on the
// date, registered or not, gets the one answer NO_ACTIVE_TENANCY, and none
// of its designations is looked at.
func (r *Parks) evaluate(ctx context.Context, f tenantFacts, asOf string) (EligibilityAnswer, []string, error) {
	if !f.tenant {
		return EligibilityAnswer{AsOf: asOf, AuditTreeSize: f.treeSize, MatchedDesignationTypes: []string{}, Reasons: []Reason{
			{ReasonNoTenancy, fmt.Sprintf("%s 在园区内无有效租约", asOf), fmt.Sprintf("no tenancy in the park is in force on %s", asOf)},
		}}, nil, nil
	}
	ans := EligibilityAnswer{Eligible: true, AsOf: asOf, AuditTreeSize: f.treeSize, MatchedDesignationTypes: []string{}}
	fail := func(reason Reason) {
		ans.Eligible = false
		ans.Reasons = append(ans.Reasons, reason)
	}
	pass := func(reason Reason) { ans.Reasons = append(ans.Reasons, reason) }

	pass(Reason{ReasonTenancyActive, fmt.Sprintf("%s 租约有效(自 %s 起)", asOf, f.tenancyStart), fmt.Sprintf("tenancy in force on %s (since %s)", asOf, f.tenancyStart)})
	if n := f.minTenancyMonths; n > 0 {
		if core.AddMonths(f.tenancyStart, n) <= asOf {
			pass(Reason{ReasonTenancyLongEnough, fmt.Sprintf("租期已满 %d 个月", n), fmt.Sprintf("tenancy has lasted at least %d months", n)})
		} else {
			fail(Reason{ReasonTenancyTooShort, fmt.Sprintf("租期未满 %d 个月", n), fmt.Sprintf("tenancy has lasted less than %d months", n)})
		}
	}
	if m := f.maxEnterpriseAgeYears; m > 0 {
		switch {
		case f.registeredOn == "":
			fail(Reason{ReasonRegistrationUnknown, "企业注册日期未登记", "the enterprise's registration date is not on record"})
		case core.AddMonths(f.registeredOn, 12*m) > asOf:
			pass(Reason{ReasonEnterpriseYoung, fmt.Sprintf("企业注册未满 %d 年", m), fmt.Sprintf("enterprise registered less than %d years before", m)})
		default:
			fail(Reason{ReasonEnterpriseTooOld, fmt.Sprintf("企业注册已满 %d 年", m), fmt.Sprintf("enterprise registered %d or more years before", m)})
		}
	}
	var relied []string
	if types := f.anyOf; len(types) > 0 {
		args := make([]any, 0, 2+len(types))
		args = append(args, f.enterpriseID, asOf)
		for _, t := range types {
			args = append(args, t)
		}
		rows, err := r.Statements.Query(ctx, designation.HeldOnSQL(len(types)), args...)
		if err != nil {
			return ans, nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var id, typ string
			// A later snapshot than the facts': its tree size covers both.
			if err := rows.Scan(&id, &typ, &ans.AuditTreeSize); err != nil {
				return ans, nil, err
			}
			relied = append(relied, id)
			if !slices.Contains(ans.MatchedDesignationTypes, typ) {
				ans.MatchedDesignationTypes = append(ans.MatchedDesignationTypes, typ)
			}
		}
		if err := rows.Err(); err != nil {
			return ans, nil, err
		}
		if len(relied) > 0 {
			pass(Reason{ReasonDesignationHeld, "持有符合条件的认定", "holds a qualifying designation"})
		} else {
			fail(Reason{ReasonNoDesignation, "未持有符合条件的认定", "holds none of the qualifying designations"})
		}
	}
	return ans, relied, nil
}
