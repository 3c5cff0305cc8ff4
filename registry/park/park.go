package park

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/eligibilityrule"
	ententerprise "github.com/hangzhou-ai/registry/ent/enterprise"
	"github.com/hangzhou-ai/registry/ent/park"
	"github.com/hangzhou-ai/registry/ent/predicate"
	"github.com/hangzhou-ai/registry/ent/tenancy"
	"github.com/hangzhou-ai/registry/registry/catalog"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// measuresEnd is the last day the seed measures are in force; a park's
// designation lasts until then unless told otherwise.
const measuresEnd = "2027-12-31"

// Park is a municipal AI industry park.
type Park struct {
	Code string `json:"code"`
	Name string `json:"name"`
	// District is the GB/T 2260 code of the park's district, or empty;
	// DistrictName is its Simplified Chinese name.
	District      string    `json:"district"`
	DistrictName  string    `json:"district_name,omitempty"`
	OperatorOrg   string    `json:"operator_org"`
	DesignationID string    `json:"designation_id"`
	CreatedAt     time.Time `json:"created_at"`
}

func parkOf(p *ent.Park) Park {
	district, districtName := core.DistrictOf(p.District)
	return Park{Code: p.ID, Name: p.Name, District: district, DistrictName: districtName, OperatorOrg: p.OperatorOrg, DesignationID: p.DesignationID, CreatedAt: p.CreatedAt}
}

// NewPark is a request to designate a park.
type NewPark struct {
	Code, Name, District, OperatorOrg string
	ValidFrom, ValidUntil             string
	DocumentNumber                    string
}

// RegisterPark designates a municipal AI park: the park and its ai-park
// designation, granted by the caller's bureau.
func (r *Parks) RegisterPark(ctx context.Context, in NewPark) (Park, error) {
	p, typ, err := r.GrantingActor(ctx, catalog.TypeAIPark)
	if err != nil {
		return Park{}, err
	}
	v := &core.Violations{}
	code := core.CheckCode(v, "code", in.Code)
	name := core.CleanText(v, "name", in.Name, core.MaxNameLen, true)
	district := core.CheckDistrict(v, "district", in.District)
	operator := core.CleanText(v, "operator_org", in.OperatorOrg, core.MaxNameLen, false)
	if in.ValidFrom == "" {
		in.ValidFrom = r.Today()
	}
	if in.ValidUntil == "" {
		in.ValidUntil = max(measuresEnd, in.ValidFrom)
	}
	from, until := designation.ValidateValidity(v, in.ValidFrom, in.ValidUntil)
	doc := core.CleanText(v, "document_number", in.DocumentNumber, core.MaxDocumentLen, false)
	if err := v.Err(); err != nil {
		return Park{}, err
	}
	bureau, _ := p.OrgCode("bureau")
	var out Park
	err = r.InTx(ctx, func(tx *ent.Tx) error {
		exists, err := tx.Park.Query().Where(park.ID(code)).Exist(ctx)
		if err != nil {
			return err
		}
		if exists {
			return core.AlreadyExists("park %s is already registered", code)
		}
		d, err := r.Designations.InsertDesignation(ctx, tx, p, designation.NewDesignation{Typ: typ, ParkCode: code, From: from, Until: until, Doc: doc, Bureau: bureau})
		if err != nil {
			return err
		}
		pk, err := tx.Park.Create().SetID(code).SetName(name).SetDistrict(district).SetOperatorOrg(operator).
			SetDesignationID(d.ID).SetCreatedAt(r.Now()).Save(ctx)
		if err != nil {
			return err
		}
		out = parkOf(pk)
		return r.Record(ctx, tx, p, core.Change{Action: "park.register", EntityType: "park", EntityID: code, After: out, Owner: core.ParkOrg(code)})
	})
	return out, err
}

// mayAtPark decides, before anything is read, whether p may take action on
// object at the park with the code given: a malformed code is refused as
// invalid, and a principal of another park, or without the right, is
// refused whether or not the park exists.
func (r *Parks) mayAtPark(p core.Principal, object, action, field, code string) error {
	v := &core.Violations{}
	core.CheckCode(v, field, code)
	if err := v.Err(); err != nil {
		return err
	}
	return r.Authorize(p, object, action, core.ParkOrg(code))
}

// loadPark loads a park for p to take action on object there. Only those
// who may read every park learn that one does not exist; others are
// refused as for a park not theirs.
func (r *Parks) loadPark(ctx context.Context, db *ent.Client, p core.Principal, object, action, field, code string) (*ent.Park, error) {
	v := &core.Violations{}
	core.CheckCode(v, field, code)
	if err := v.Err(); err != nil {
		return nil, err
	}
	pk, err := db.Park.Get(ctx, code)
	if ent.IsNotFound(err) {
		return nil, r.MissingFor(p, authz.ObjPark, core.NotFound("%s: park %s is not registered", field, code))
	}
	if err != nil {
		return nil, err
	}
	if err := r.Authorize(p, object, action, core.ParkOrg(code)); err != nil {
		return nil, err
	}
	return pk, nil
}

// GetPark returns one park.
func (r *Parks) GetPark(ctx context.Context, code string) (Park, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return Park{}, err
	}
	pk, err := r.loadPark(ctx, r.DB, p, authz.ObjPark, authz.ActRead, "code", code)
	if err != nil {
		return Park{}, err
	}
	return parkOf(pk), nil
}

// ListParks lists every park to those who may read all, and a park's staff
// their own park.
func (r *Parks) ListParks(ctx context.Context) ([]Park, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return nil, err
	}
	all, err := r.ReadScope(p, authz.ObjPark)
	if err != nil {
		return nil, err
	}
	q := r.DB.Park.Query()
	if !all {
		own, _ := p.OrgCode("park")
		q = q.Where(park.ID(own))
	}
	rows, err := q.Order(ent.Asc(park.FieldID)).Limit(core.MaxPageSize).All(ctx)
	if err != nil {
		return nil, err
	}
	return core.Map(rows, parkOf), nil
}

// Tenancy is an enterprise's tenancy in a park.
type Tenancy struct {
	ID                   string    `json:"id"`
	ParkCode             string    `json:"park_code"`
	EnterpriseCreditCode string    `json:"enterprise_credit_code"`
	EnterpriseName       string    `json:"enterprise_name"`
	StartDate            string    `json:"start_date"`
	EndDate              string    `json:"end_date,omitempty"`
	FloorAreaM2          float64   `json:"floor_area_m2"`
	EndReason            string    `json:"end_reason,omitempty"`
	Version              int64     `json:"version"`
	CreatedAt            time.Time `json:"created_at"`
}

func TenancyOf(t *ent.Tenancy, e *ent.Enterprise) Tenancy {
	return Tenancy{
		ID: t.ID, ParkCode: t.ParkID, EnterpriseCreditCode: e.CreditCode, EnterpriseName: e.Name,
		StartDate: t.StartDate, EndDate: t.EndDate, FloorAreaM2: t.FloorAreaM2, EndReason: t.EndReason,
		Version: t.Version, CreatedAt: t.CreatedAt,
	}
}

// NewTenancy is a request to admit a tenant.
type NewTenancy struct {
	ParkCode             string
	EnterpriseCreditCode string
	StartDate            string
	EndDate              string
	FloorAreaM2          float64
}

// MaxFloorArea bounds a tenancy's floor area (m²).
const MaxFloorArea = 10_000_000

// AdmitTenant records a tenancy; only the park's operators may. A tenancy
// overlapping another of the same enterprise in the park is refused.
func (r *Parks) AdmitTenant(ctx context.Context, in NewTenancy) (Tenancy, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return Tenancy{}, err
	}
	if err := r.mayAtPark(p, authz.ObjTenancy, authz.ActManage, "park_code", in.ParkCode); err != nil {
		return Tenancy{}, err
	}
	v := &core.Violations{}
	code := core.CreditCode(v, "enterprise_credit_code", in.EnterpriseCreditCode, true)
	start := core.ParseDate(v, "start_date", in.StartDate, true)
	end := core.ParseDate(v, "end_date", in.EndDate, false)
	if start != "" && end != "" && end < start {
		v.Add("end_date", "must not be before start_date")
	}
	if in.FloorAreaM2 < 0 || in.FloorAreaM2 > MaxFloorArea || in.FloorAreaM2 != in.FloorAreaM2 {
		v.Add("floor_area_m2", fmt.Sprintf("must be between 0 and %d", MaxFloorArea))
	}
	if err := v.Err(); err != nil {
		return Tenancy{}, err
	}
	var out Tenancy
	err = r.InTx(ctx, func(tx *ent.Tx) error {
		pk, err := r.loadPark(ctx, tx.Client(), p, authz.ObjTenancy, authz.ActManage, "park_code", in.ParkCode)
		if err != nil {
			return err
		}
		e, err := enterprise.EnterpriseByCode(ctx, tx.Client(), "enterprise_credit_code", code)
		if err != nil {
			return err
		}
		overlap, err := tx.Tenancy.Query().Where(tenancy.ParkID(pk.ID), tenancy.EnterpriseID(e.ID), overlaps(start, end)).Exist(ctx)
		if err != nil {
			return err
		}
		if overlap {
			return core.AlreadyExists("enterprise %s already has a tenancy in park %s overlapping %s", code, pk.ID, start)
		}
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		now := r.Now()
		t, err := tx.Tenancy.Create().SetID(id.String()).SetParkID(pk.ID).SetEnterpriseID(e.ID).SetStartDate(start).
			SetEndDate(end).SetFloorAreaM2(in.FloorAreaM2).SetCreatedAt(now).SetUpdatedAt(now).Save(ctx)
		if err != nil {
			return err
		}
		out = TenancyOf(t, e)
		return r.Record(ctx, tx, p, core.Change{Action: "tenancy.admit", EntityType: "tenancy", EntityID: t.ID, After: out, Owner: core.ParkOrg(t.ParkID)})
	})
	return out, err
}

// overlaps selects tenancies sharing a day with [start, end]; an empty end
// is open-ended, and so is a stored empty end_date.
func overlaps(start, end string) predicate.Tenancy {
	laterEnd := tenancy.Or(tenancy.EndDate(""), tenancy.EndDateGTE(start))
	if end == "" {
		return laterEnd
	}
	return tenancy.And(tenancy.StartDateLTE(end), laterEnd)
}

// EndTenancyRequest sets a tenancy's last day.
type EndTenancyRequest struct {
	TenancyID       string
	EndDate         string
	Reason          string
	ExpectedVersion int64
}

// EndTenancy sets the last day of a tenancy; only its park's operators may.
func (r *Parks) EndTenancy(ctx context.Context, in EndTenancyRequest) (Tenancy, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return Tenancy{}, err
	}
	if err := r.MayEver(p, authz.ActManage, authz.ObjTenancy); err != nil {
		return Tenancy{}, err
	}
	v := &core.Violations{}
	core.CheckID(v, "tenancy_id", in.TenancyID, true)
	end := core.ParseDate(v, "end_date", in.EndDate, true)
	reason := core.CleanMultiline(v, "reason", in.Reason, core.MaxReasonLen, true)
	if err := v.Err(); err != nil {
		return Tenancy{}, err
	}
	var out Tenancy
	err = r.InTx(ctx, func(tx *ent.Tx) error {
		t, err := tx.Tenancy.Get(ctx, in.TenancyID)
		if ent.IsNotFound(err) {
			return r.MissingFor(p, authz.ObjTenancy, core.NotFound("tenancy %s does not exist", in.TenancyID))
		}
		if err != nil {
			return err
		}
		if err := r.Authorize(p, authz.ObjTenancy, authz.ActManage, core.ParkOrg(t.ParkID)); err != nil {
			return err
		}
		if err := designation.CheckVersion("tenancy", t.ID, in.ExpectedVersion, t.Version); err != nil {
			return err
		}
		if end < t.StartDate {
			return core.InvalidField("end_date", "must not be before the tenancy's start_date "+t.StartDate)
		}
		e, err := tx.Enterprise.Get(ctx, t.EnterpriseID)
		if err != nil {
			return err
		}
		before := TenancyOf(t, e)
		n, err := tx.Tenancy.Update().Where(tenancy.ID(t.ID), tenancy.Version(t.Version)).
			SetEndDate(end).SetEndReason(reason).SetVersion(t.Version + 1).SetUpdatedAt(r.Now()).Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return core.NewError(core.KindAborted, "tenancy %s was changed concurrently; read it again and retry", t.ID)
		}
		if t, err = tx.Tenancy.Get(ctx, t.ID); err != nil {
			return err
		}
		out = TenancyOf(t, e)
		return r.Record(ctx, tx, p, core.Change{Action: "tenancy.end", EntityType: "tenancy", EntityID: t.ID, Before: before, After: out, Reason: reason, Owner: core.ParkOrg(t.ParkID)})
	})
	return out, err
}

// TenantFilter selects a park's tenancies in force on a date.
type TenantFilter struct {
	ParkCode  string
	AsOf      string // defaults to today
	PageSize  int
	PageToken string
}

// ListTenants lists the tenancies of a park in force on a date (first and
// last day included). A park's staff see only their own park.
func (r *Parks) ListTenants(ctx context.Context, f TenantFilter) ([]Tenancy, string, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return nil, "", err
	}
	v := &core.Violations{}
	asOf := core.ParseDate(v, "as_of", f.AsOf, false)
	size := core.PageSize(v, f.PageSize)
	after := core.DecodePageToken(r.Secrets, v, f.PageToken)
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	if asOf == "" {
		asOf = r.Today()
	}
	pk, err := r.loadPark(ctx, r.DB, p, authz.ObjTenancy, authz.ActRead, "park_code", f.ParkCode)
	if err != nil {
		return nil, "", err
	}
	rows, err := r.DB.Tenancy.Query().Where(tenancy.ParkID(pk.ID), tenancy.IDGT(after), overlaps(asOf, asOf)).
		Order(ent.Asc(tenancy.FieldID)).Limit(size + 1).All(ctx)
	if err != nil {
		return nil, "", err
	}
	rows, next := core.TrimPage(r.Secrets, rows, size, func(t *ent.Tenancy) string { return t.ID })
	ids := make([]int, len(rows))
	for i, t := range rows {
		ids[i] = t.EnterpriseID
	}
	enterprises, err := r.DB.Enterprise.Query().Where(ententerprise.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, "", err
	}
	byID := make(map[int]*ent.Enterprise, len(enterprises))
	for _, e := range enterprises {
		byID[e.ID] = e
	}
	out := make([]Tenancy, len(rows))
	for i, t := range rows {
		out[i] = TenancyOf(t, byID[t.EnterpriseID])
	}
	return out, next, nil
}

// EligibilityRule is a park's rule for one benefit: an active tenancy on
// the date, and every condition that is set.
type EligibilityRule struct {
	ParkCode              string    `json:"park_code"`
	Benefit               string    `json:"benefit"`
	AnyOfDesignationTypes []string  `json:"any_of_designation_types"`
	MinTenancyMonths      int       `json:"min_tenancy_months"`
	MaxEnterpriseAgeYears int       `json:"max_enterprise_age_years"`
	Version               int64     `json:"version"`
	UpdatedAt             time.Time `json:"updated_at"`
	// ExpectedVersion, on a request to set a rule, refuses the change
	// (KindAborted) unless the stored rule is at that version.
	ExpectedVersion int64 `json:"-"`
}

func ruleOf(r *ent.EligibilityRule) EligibilityRule {
	return EligibilityRule{
		ParkCode: r.ParkID, Benefit: r.Benefit, AnyOfDesignationTypes: r.AnyOfDesignationTypes,
		MinTenancyMonths: r.MinTenancyMonths, MaxEnterpriseAgeYears: r.MaxEnterpriseAgeYears,
		Version: r.Version, UpdatedAt: r.UpdatedAt,
	}
}

// SetEligibilityRule creates or replaces a park's rule for a benefit; only
// the park's operators may.
func (r *Parks) SetEligibilityRule(ctx context.Context, in EligibilityRule) (EligibilityRule, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return EligibilityRule{}, err
	}
	if err := r.mayAtPark(p, authz.ObjEligibility, authz.ActManage, "park_code", in.ParkCode); err != nil {
		return EligibilityRule{}, err
	}
	v := &core.Violations{}
	benefit := core.CheckCode(v, "benefit", in.Benefit)
	if n := len(in.AnyOfDesignationTypes); n > len(catalog.DesignationTypes) {
		v.Add("any_of_designation_types", fmt.Sprintf("lists %d types; there are only %d designation types", n, len(catalog.DesignationTypes)))
		return EligibilityRule{}, v.Err()
	}
	var types []string
	for i, code := range in.AnyOfDesignationTypes {
		t, ok := designation.DesignationType(v, fmt.Sprintf("any_of_designation_types[%d]", i), code, true)
		switch {
		case !ok:
		case t.SubjectKind != catalog.SubjectEnterprise:
			v.Add(fmt.Sprintf("any_of_designation_types[%d]", i), code+" is not held by enterprises")
		case !slices.Contains(types, code):
			types = append(types, code)
		}
	}
	if in.MinTenancyMonths < 0 || in.MinTenancyMonths > 600 {
		v.Add("min_tenancy_months", "must be between 0 and 600")
	}
	if in.MaxEnterpriseAgeYears < 0 || in.MaxEnterpriseAgeYears > 100 {
		v.Add("max_enterprise_age_years", "must be between 0 and 100")
	}
	if err := v.Err(); err != nil {
		return EligibilityRule{}, err
	}
	if types == nil {
		types = []string{}
	}
	var out EligibilityRule
	err = r.InTx(ctx, func(tx *ent.Tx) error {
		pk, err := r.loadPark(ctx, tx.Client(), p, authz.ObjEligibility, authz.ActManage, "park_code", in.ParkCode)
		if err != nil {
			return err
		}
		q := tx.EligibilityRule.Query().Where(eligibilityrule.ParkID(pk.ID), eligibilityrule.Benefit(benefit))
		if r.RowLocks {
			// Concurrent replacements of one rule take turns, each seeing
			// the version the one before it left, as on SQLite.
			q = q.ForUpdate()
		}
		existing, err := q.Only(ctx)
		var before any
		switch {
		case ent.IsNotFound(err) && in.ExpectedVersion != 0:
			return core.NewError(core.KindAborted, "eligibility rule %s/%s does not exist, so it is not at version %d", pk.ID, benefit, in.ExpectedVersion)
		case ent.IsNotFound(err):
			existing, err = tx.EligibilityRule.Create().SetParkID(pk.ID).SetBenefit(benefit).SetAnyOfDesignationTypes(types).
				SetMinTenancyMonths(in.MinTenancyMonths).SetMaxEnterpriseAgeYears(in.MaxEnterpriseAgeYears).
				SetUpdatedAt(r.Now()).Save(ctx)
		case err == nil:
			if err := designation.CheckVersion("eligibility rule", pk.ID+"/"+benefit, in.ExpectedVersion, existing.Version); err != nil {
				return err
			}
			before = ruleOf(existing)
			existing, err = tx.EligibilityRule.UpdateOneID(existing.ID).Where(eligibilityrule.Version(existing.Version)).SetAnyOfDesignationTypes(types).SetMinTenancyMonths(in.MinTenancyMonths).
				SetMaxEnterpriseAgeYears(in.MaxEnterpriseAgeYears).AddVersion(1).SetUpdatedAt(r.Now()).Save(ctx)
			if ent.IsNotFound(err) {
				return core.NewError(core.KindAborted, "eligibility rule %s/%s was changed concurrently; read it again and retry", pk.ID, benefit)
			}
		}
		if err != nil {
			return err
		}
		out = ruleOf(existing)
		return r.Record(ctx, tx, p, core.Change{Action: "eligibility-rule.set", EntityType: "eligibility-rule", EntityID: pk.ID + "/" + benefit, Before: before, After: out, Owner: core.ParkOrg(pk.ID)})
	})
	return out, err
}

// ListEligibilityRules lists a park's rules by benefit.
func (r *Parks) ListEligibilityRules(ctx context.Context, parkCode string) ([]EligibilityRule, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return nil, err
	}
	pk, err := r.loadPark(ctx, r.DB, p, authz.ObjEligibility, authz.ActRead, "park_code", parkCode)
	if err != nil {
		return nil, err
	}
	rows, err := r.DB.EligibilityRule.Query().Where(eligibilityrule.ParkID(pk.ID)).Order(ent.Asc(eligibilityrule.FieldBenefit)).All(ctx)
	if err != nil {
		return nil, err
	}
	return core.Map(rows, ruleOf), nil
}
