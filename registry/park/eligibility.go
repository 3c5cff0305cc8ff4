package park

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hangzhou-ai/registry/attest"
	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	entdesignation "github.com/hangzhou-ai/registry/ent/designation"
	"github.com/hangzhou-ai/registry/ent/eligibilityrule"
	"github.com/hangzhou-ai/registry/ent/enterprise"
	"github.com/hangzhou-ai/registry/ent/tenancy"
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
}

// VerifyTenantEligibility evaluates a park's rule for a benefit against
// the enterprise's tenancy and designations on the date, reading the
// database afresh every time, and signs the answer. Only the park's own
// staff may ask.
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
	if asOf == "" {
		asOf = r.Today()
	}
	pk, err := r.loadPark(ctx, r.DB, p, authz.ObjEligibility, authz.ActVerify, "park_code", q.ParkCode)
	if err != nil {
		return EligibilityAnswer{}, err
	}
	rule, err := r.DB.EligibilityRule.Query().Where(eligibilityrule.ParkID(pk.ID), eligibilityrule.Benefit(benefit)).Only(ctx)
	if ent.IsNotFound(err) {
		return EligibilityAnswer{}, core.NotFound("benefit: park %s has no rule for %s", pk.ID, benefit)
	}
	if err != nil {
		return EligibilityAnswer{}, err
	}
	ans, relied, err := r.evaluateTenant(ctx, pk.ID, code, rule, asOf)
	if err != nil {
		return EligibilityAnswer{}, err
	}
	ans.CheckedAt = r.Now()
	kid, key, err := r.Keys.Signer(ctx)
	if err != nil {
		return EligibilityAnswer{}, err
	}
	claims := attest.Claims{
		Issuer: attest.Issuer, Subject: code, ParkCode: pk.ID, EnterpriseCreditCode: code, Benefit: benefit,
		AsOf: asOf, Eligible: ans.Eligible, DesignationIDs: relied,
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

// evaluateTenant answers for the enterprise with credit code on asOf. A
// park learns about its tenants only: an enterprise without a tenancy in
// the park in force on the date, registered or not, gets the one answer
// NO_ACTIVE_TENANCY, and none of its designations is looked at.
func (r *Parks) evaluateTenant(ctx context.Context, parkCode, code string, rule *ent.EligibilityRule, asOf string) (EligibilityAnswer, []string, error) {
	e, err := r.DB.Enterprise.Query().Where(enterprise.CreditCode(code)).Only(ctx)
	var t *ent.Tenancy
	if err == nil {
		t, err = r.DB.Tenancy.Query().Where(tenancy.ParkID(parkCode), tenancy.EnterpriseID(e.ID), overlaps(asOf, asOf)).
			Order(ent.Asc(tenancy.FieldStartDate)).First(ctx)
	}
	switch {
	case ent.IsNotFound(err):
		return EligibilityAnswer{AsOf: asOf, MatchedDesignationTypes: []string{}, Reasons: []Reason{
			{ReasonNoTenancy, fmt.Sprintf("%s 在园区内无有效租约", asOf), fmt.Sprintf("no tenancy in the park is in force on %s", asOf)},
		}}, nil, nil
	case err != nil:
		return EligibilityAnswer{}, nil, err
	}
	return r.evaluate(ctx, t, e, rule, asOf)
}

// evaluate applies rule on asOf to a tenant whose tenancy t is in force
// then, and returns the answer (unsigned) and the ids of the designations
// it relied on.
func (r *Parks) evaluate(ctx context.Context, t *ent.Tenancy, e *ent.Enterprise, rule *ent.EligibilityRule, asOf string) (EligibilityAnswer, []string, error) {
	ans := EligibilityAnswer{Eligible: true, AsOf: asOf, MatchedDesignationTypes: []string{}}
	fail := func(reason Reason) {
		ans.Eligible = false
		ans.Reasons = append(ans.Reasons, reason)
	}
	pass := func(reason Reason) { ans.Reasons = append(ans.Reasons, reason) }

	pass(Reason{ReasonTenancyActive, fmt.Sprintf("%s 租约有效(自 %s 起)", asOf, t.StartDate), fmt.Sprintf("tenancy in force on %s (since %s)", asOf, t.StartDate)})
	if n := rule.MinTenancyMonths; n > 0 {
		if core.AddMonths(t.StartDate, n) <= asOf {
			pass(Reason{ReasonTenancyLongEnough, fmt.Sprintf("租期已满 %d 个月", n), fmt.Sprintf("tenancy has lasted at least %d months", n)})
		} else {
			fail(Reason{ReasonTenancyTooShort, fmt.Sprintf("租期未满 %d 个月", n), fmt.Sprintf("tenancy has lasted less than %d months", n)})
		}
	}
	if m := rule.MaxEnterpriseAgeYears; m > 0 {
		switch {
		case e.RegisteredOn == "":
			fail(Reason{ReasonRegistrationUnknown, "企业注册日期未登记", "the enterprise's registration date is not on record"})
		case core.AddMonths(e.RegisteredOn, 12*m) > asOf:
			pass(Reason{ReasonEnterpriseYoung, fmt.Sprintf("企业注册未满 %d 年", m), fmt.Sprintf("enterprise registered less than %d years before", m)})
		default:
			fail(Reason{ReasonEnterpriseTooOld, fmt.Sprintf("企业注册已满 %d 年", m), fmt.Sprintf("enterprise registered %d or more years before", m)})
		}
	}
	var relied []string
	if types := rule.AnyOfDesignationTypes; len(types) > 0 {
		held, err := r.DB.Designation.Query().Where(
			entdesignation.EnterpriseID(e.ID), entdesignation.TypeIn(types...),
			entdesignation.ValidFromLTE(asOf), entdesignation.ValidUntilGTE(asOf), designation.ActiveOn(asOf),
		).Order(ent.Asc(entdesignation.FieldID)).All(ctx)
		if err != nil {
			return ans, nil, err
		}
		for _, d := range held {
			relied = append(relied, d.ID)
			if !slices.Contains(ans.MatchedDesignationTypes, d.Type) {
				ans.MatchedDesignationTypes = append(ans.MatchedDesignationTypes, d.Type)
			}
		}
		if len(held) > 0 {
			pass(Reason{ReasonDesignationHeld, "持有符合条件的认定", "holds a qualifying designation"})
		} else {
			fail(Reason{ReasonNoDesignation, "未持有符合条件的认定", "holds none of the qualifying designations"})
		}
	}
	return ans, relied, nil
}
