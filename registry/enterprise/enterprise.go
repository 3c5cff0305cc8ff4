package enterprise

import (
	"context"
	"time"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/enterprise"
	"github.com/hangzhou-ai/registry/ent/predicate"
	"github.com/hangzhou-ai/registry/ident"
	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// Enterprise is a legal entity identified by its credit code.
type Enterprise struct {
	CreditCode string `json:"credit_code"`
	Name       string `json:"name"`
	// District is the GB/T 2260 code of the enterprise's district, or empty
	// when not known; DistrictName is its Simplified Chinese name.
	District     string `json:"district"`
	DistrictName string `json:"district_name,omitempty"`
	// RegisteredOn is the business registration date, YYYY-MM-DD, or empty.
	RegisteredOn string    `json:"registered_on,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
}

func EnterpriseOf(e *ent.Enterprise) Enterprise {
	district, districtName := core.DistrictOf(e.District)
	return Enterprise{CreditCode: e.CreditCode, Name: e.Name, District: district, DistrictName: districtName, RegisteredOn: e.RegisteredOn, CreatedAt: e.CreatedAt}
}

// NewEnterprise is a request to register an enterprise.
type NewEnterprise struct {
	CreditCode string
	Name       string
	// District is optional: a GB/T 2260 code or a district name in either
	// script (see LookupDistrict); the code is stored.
	District     string
	RegisteredOn string
}

// RegisterEnterprise records a new enterprise. Only bureau issuers may.
func (r *Enterprises) RegisterEnterprise(ctx context.Context, in NewEnterprise) (Enterprise, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return Enterprise{}, err
	}
	if err := r.Authorize(p, authz.ObjEnterprise, authz.ActRegister); err != nil {
		return Enterprise{}, err
	}
	v := &core.Violations{}
	in = r.ValidateEnterprise(v, in)
	if err := v.Err(); err != nil {
		return Enterprise{}, err
	}
	var out Enterprise
	err = r.InTx(ctx, func(tx *ent.Tx) error {
		exists, err := tx.Enterprise.Query().Where(enterprise.CreditCode(in.CreditCode)).Exist(ctx)
		if err != nil {
			return err
		}
		if exists {
			return core.AlreadyExists("enterprise %s is already registered", in.CreditCode)
		}
		e, err := tx.Enterprise.Create().SetCreditCode(in.CreditCode).SetName(in.Name).
			SetDistrict(in.District).SetRegisteredOn(in.RegisteredOn).SetCreatedAt(r.Now()).Save(ctx)
		if err != nil {
			return err
		}
		out = EnterpriseOf(e)
		return r.Record(ctx, tx, p, core.Change{Action: "enterprise.register", EntityType: "enterprise", EntityID: e.CreditCode, After: out, Owner: authz.EnterpriseOrg(e.CreditCode)})
	})
	return out, err
}

// GetEnterprise returns one enterprise. Enterprise members read only their own.
func (r *Enterprises) GetEnterprise(ctx context.Context, code string) (Enterprise, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return Enterprise{}, err
	}
	v := &core.Violations{}
	code = core.CreditCode(v, "credit_code", code, true)
	if err := v.Err(); err != nil {
		return Enterprise{}, err
	}
	if err := r.Authorize(p, authz.ObjEnterprise, authz.ActRead, authz.EnterpriseOrg(code)); err != nil {
		return Enterprise{}, err
	}
	e, err := r.DB.Enterprise.Query().Where(enterprise.CreditCode(code)).Only(ctx)
	if ent.IsNotFound(err) {
		return Enterprise{}, core.NotFound("enterprise %s is not registered", code)
	}
	if err != nil {
		return Enterprise{}, err
	}
	return EnterpriseOf(e), nil
}

// EnterpriseFilter selects enterprises.
type EnterpriseFilter struct {
	// Query matches a substring of the name, in Simplified or Traditional
	// characters, a prefix of the credit code, or names a district.
	Query string
	// District is a GB/T 2260 code or a district name in either script.
	District  string
	PageSize  int
	PageToken string
}

// ListEnterprises pages through enterprises by credit code. Enterprise
// members see only their own.
func (r *Enterprises) ListEnterprises(ctx context.Context, f EnterpriseFilter) ([]Enterprise, string, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return nil, "", err
	}
	all, err := r.ReadScope(p, authz.ObjEnterprise)
	if err != nil {
		return nil, "", err
	}
	v := &core.Violations{}
	size := core.PageSize(v, f.PageSize)
	after := core.DecodePageToken(r.Secrets, v, f.PageToken)
	query := core.CleanText(v, "query", f.Query, core.MaxQueryLen, false)
	districts := core.DistrictFilter(v, "district", f.District)
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	q := r.DB.Enterprise.Query().Where(enterprise.CreditCodeGT(after))
	if !all {
		own, _ := p.OrgCode("enterprise")
		q = q.Where(enterprise.CreditCode(own))
	}
	if query != "" {
		q = q.Where(enterpriseMatches(query))
	}
	if districts != nil {
		q = q.Where(enterprise.DistrictIn(districts...))
	}
	rows, err := q.Order(ent.Asc(enterprise.FieldCreditCode)).Limit(size + 1).All(ctx)
	if err != nil {
		return nil, "", err
	}
	rows, next := core.TrimPage(r.Secrets, rows, size, func(e *ent.Enterprise) string { return e.CreditCode })
	return core.Map(rows, EnterpriseOf), next, nil
}

// enterpriseMatches is the text search of ListEnterprises: the name
// contains the query in any script, the credit code starts with it, or the
// query names the enterprise's district.
func enterpriseMatches(query string) predicate.Enterprise {
	var alts []predicate.Enterprise
	for _, variant := range core.ScriptVariants(query) {
		alts = append(alts, enterprise.NameContains(variant))
	}
	alts = append(alts, enterprise.CreditCodeHasPrefix(ident.NormalizeCreditCode(query)))
	if d, ok := core.LookupDistrict(query); ok {
		alts = append(alts, enterprise.DistrictIn(d.StoredForms()...))
	}
	return enterprise.Or(alts...)
}

// EnterpriseByCode loads an enterprise for use as a reference from another
// record; a missing one is reported against field.
func EnterpriseByCode(ctx context.Context, db *ent.Client, field, code string) (*ent.Enterprise, error) {
	e, err := db.Enterprise.Query().Where(enterprise.CreditCode(code)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, core.NotFound("%s: enterprise %s is not registered", field, code)
	}
	return e, err
}

// ValidateEnterprise checks a new enterprise field by field.
func (r *Enterprises) ValidateEnterprise(v *core.Violations, in NewEnterprise) NewEnterprise {
	in.CreditCode = core.CreditCode(v, "credit_code", in.CreditCode, true)
	in.Name = core.CleanText(v, "name", in.Name, core.MaxNameLen, true)
	in.District = core.CheckDistrict(v, "district", in.District)
	in.RegisteredOn = core.ParseDate(v, "registered_on", in.RegisteredOn, false)
	if in.RegisteredOn > r.Today() {
		v.Add("registered_on", "must not be in the future")
	}
	return in
}
