package talentauth

import (
	"context"
	"fmt"
	"slices"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/authorizationquota"
	entdesignation "github.com/hangzhou-ai/registry/ent/designation"
	"github.com/hangzhou-ai/registry/ent/talentauthorization"
	"github.com/hangzhou-ai/registry/registry/catalog"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/internal/core"
	"github.com/hangzhou-ai/registry/registry/talent"
)

// maxPlacesPerLevel bounds one level's quota.
const maxPlacesPerLevel = 10000

// LevelQuota is the number of places of one talent level.
type LevelQuota struct {
	Level  string `json:"level"`
	Places int    `json:"places"`
	Used   int    `json:"used"`
}

// Remaining is the number of places still free.
func (q LevelQuota) Remaining() int { return q.Places - q.Used }

// TalentAuthorization is a special talent authorization: a
// talent-authorization designation with a year and per-level quotas.
type TalentAuthorization struct {
	ID                   string             `json:"id"`
	EnterpriseCreditCode string             `json:"enterprise_credit_code"`
	Year                 int                `json:"year"`
	Quotas               []LevelQuota       `json:"quotas"`
	ValidFrom            string             `json:"valid_from"`
	ValidUntil           string             `json:"valid_until"`
	DocumentNumber       string             `json:"document_number"`
	Status               designation.Status `json:"status"`
	StatusReason         string             `json:"status_reason,omitempty"`
	Version              int64              `json:"version"`
	CreatedAt            time.Time          `json:"created_at"`
}

// NewTalentAuthorization is a request to issue a talent authorization.
type NewTalentAuthorization struct {
	EnterpriseCreditCode string
	Year                 int
	Quotas               []LevelQuota
	ValidFrom            string
	ValidUntil           string
	DocumentNumber       string
}

// Recognition is an authorized enterprise's recognition of its employee.
type Recognition struct {
	AuthorizationID string
	TalentID        string
	Level           string
	ValidFrom       string
	ValidUntil      string
	// DocumentNumber, if given, must be the authorization's; empty means
	// the authorization's.
	DocumentNumber string
}

// IssueTalentAuthorization grants an enterprise holding an active
// ai-growth-enterprise designation a year's quota of talent places. It also
// admits the enterprise's talent assessors to the authorized-enterprise
// group, in the same transaction.
func (r *Authorizations) IssueTalentAuthorization(ctx context.Context, in NewTalentAuthorization) (TalentAuthorization, error) {
	p, typ, err := r.GrantingActor(ctx, catalog.TypeTalentAuthorization)
	if err != nil {
		return TalentAuthorization{}, err
	}
	v := &core.Violations{}
	code := core.CreditCode(v, "enterprise_credit_code", in.EnterpriseCreditCode, true)
	core.ValidateYear(v, "year", in.Year)
	if len(in.Quotas) == 0 || len(in.Quotas) > len(catalog.TalentLevels) {
		v.Add("quotas", fmt.Sprintf("give between 1 and %d levels with places, each level once", len(catalog.TalentLevels)))
		return TalentAuthorization{}, v.Err()
	}
	seen := map[string]bool{}
	for i, q := range in.Quotas {
		field := fmt.Sprintf("quotas[%d]", i)
		switch {
		case !slices.Contains(catalog.TalentLevels, q.Level):
			v.Add(field+".level", "must be one of A, B, C, D, E")
		case seen[q.Level]:
			v.Add(field+".level", "level "+q.Level+" is given twice")
		}
		seen[q.Level] = true
		if q.Places < 1 || q.Places > maxPlacesPerLevel {
			v.Add(field+".places", fmt.Sprintf("must be between 1 and %d", maxPlacesPerLevel))
		}
	}
	from, until := designation.ValidateValidity(v, in.ValidFrom, in.ValidUntil)
	doc := core.CleanText(v, "document_number", in.DocumentNumber, core.MaxDocumentLen, true)
	if err := v.Err(); err != nil {
		return TalentAuthorization{}, err
	}
	bureau, _ := p.OrgCode("bureau")
	var out TalentAuthorization
	err = r.InPolicyTx(ctx, func(tx *ent.Tx, pc *core.PolicyChange) error {
		e, err := enterprise.EnterpriseByCode(ctx, tx.Client(), "enterprise_credit_code", code)
		if err != nil {
			return err
		}
		today := r.Today()
		growth, err := tx.Designation.Query().Where(
			entdesignation.EnterpriseID(e.ID), entdesignation.Type(catalog.TypeAIGrowthEnterprise),
			entdesignation.Status(string(designation.StatusActive)), entdesignation.ValidFromLTE(today), entdesignation.ValidUntilGTE(today),
		).Exist(ctx)
		if err != nil {
			return err
		}
		if !growth {
			return core.FailedPrecondition("enterprise %s holds no active %s designation today", code, catalog.TypeAIGrowthEnterprise)
		}
		same, err := tx.TalentAuthorization.Query().Where(talentauthorization.EnterpriseID(e.ID), talentauthorization.Year(in.Year)).IDs(ctx)
		if err != nil {
			return err
		}
		if len(same) > 0 {
			live, err := tx.Designation.Query().Where(entdesignation.IDIn(same...), entdesignation.StatusNEQ(string(designation.StatusRevoked))).Exist(ctx)
			if err != nil {
				return err
			}
			if live {
				return core.AlreadyExists("enterprise %s already holds a talent authorization for %d", code, in.Year)
			}
		}
		d, err := r.Designations.InsertDesignation(ctx, tx, p, designation.NewDesignation{Typ: typ, Enterprise: e, From: from, Until: until, Doc: doc, Bureau: bureau})
		if err != nil {
			return err
		}
		if err := tx.TalentAuthorization.Create().SetID(d.ID).SetEnterpriseID(e.ID).SetYear(in.Year).Exec(ctx); err != nil {
			return err
		}
		for _, q := range in.Quotas {
			if err := tx.AuthorizationQuota.Create().SetAuthorizationID(d.ID).SetLevel(q.Level).SetPlaces(q.Places).Exec(ctx); err != nil {
				return err
			}
		}
		if pc.Added, err = authz.AddRules(ctx, tx.Client(), []authz.Rule{authz.AuthorizedEnterprise(code)}); err != nil {
			return err
		}
		if out, err = r.talentAuthorizationOf(ctx, tx.Client(), d); err != nil {
			return err
		}
		return r.Record(ctx, tx, p, core.Change{Action: "talent-authorization.issue", EntityType: "designation", EntityID: d.ID, After: out, Owner: designation.Owner(d)})
	})
	return out, err
}

// talentAuthorizationOf completes an authorization's designation with its
// year and quotas.
func (r *Authorizations) talentAuthorizationOf(ctx context.Context, db *ent.Client, d *ent.Designation) (TalentAuthorization, error) {
	ta, err := db.TalentAuthorization.Get(ctx, d.ID)
	if err != nil {
		return TalentAuthorization{}, err
	}
	quotas, err := db.AuthorizationQuota.Query().Where(authorizationquota.AuthorizationID(d.ID)).
		Order(ent.Asc(authorizationquota.FieldLevel)).All(ctx)
	if err != nil {
		return TalentAuthorization{}, err
	}
	des := designation.DesignationOf(d, r.Today())
	out := TalentAuthorization{
		ID: d.ID, EnterpriseCreditCode: des.EnterpriseCreditCode, Year: ta.Year, ValidFrom: d.ValidFrom,
		ValidUntil: d.ValidUntil, DocumentNumber: d.DocumentNumber, Status: des.Status,
		StatusReason: d.StatusReason, Version: d.Version, CreatedAt: d.CreatedAt,
	}
	for _, q := range quotas {
		out.Quotas = append(out.Quotas, LevelQuota{Level: q.Level, Places: q.Places, Used: q.Used})
	}
	return out, nil
}

// loadAuthorization loads a talent authorization's designation for p; as
// with loadDesignationFor, callers who may read no designations are refused
// whether or not it exists.
func (r *Authorizations) loadAuthorization(ctx context.Context, db *ent.Client, p core.Principal, field, id string) (*ent.Designation, error) {
	if err := core.RequireID(field, id); err != nil {
		return nil, err
	}
	d, err := r.Designations.LoadDesignationFor(ctx, db, p, id)
	if core.KindOf(err) == core.KindNotFound || (err == nil && d.Type != catalog.TypeTalentAuthorization) {
		return nil, core.NotFound("%s: talent authorization %s does not exist", field, id)
	}
	return d, err
}

// GetTalentAuthorization returns an authorization with its quotas to those
// who may read its designation.
func (r *Authorizations) GetTalentAuthorization(ctx context.Context, id string) (TalentAuthorization, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return TalentAuthorization{}, err
	}
	d, err := r.loadAuthorization(ctx, r.DB, p, "id", id)
	if err != nil {
		return TalentAuthorization{}, err
	}
	if err := r.Authorize(p, authz.DesignationObject(d.Type), authz.ActRead, designation.DesignationOwners(d)...); err != nil {
		return TalentAuthorization{}, err
	}
	return r.talentAuthorizationOf(ctx, r.DB, d)
}

// TalentAuthorizationFilter selects authorizations; zero fields match all.
type TalentAuthorizationFilter struct {
	EnterpriseCreditCode string
	Year                 int
	Status               designation.Status
}

// ListTalentAuthorizations lists authorizations, newest first. Enterprise
// staff see only their own.
func (r *Authorizations) ListTalentAuthorizations(ctx context.Context, f TalentAuthorizationFilter) ([]TalentAuthorization, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return nil, err
	}
	v := &core.Violations{}
	code := core.CreditCode(v, "enterprise_credit_code", f.EnterpriseCreditCode, false)
	if f.Year != 0 {
		core.ValidateYear(v, "year", f.Year)
	}
	designation.ValidateStatusFilter(v, f.Status)
	if err := v.Err(); err != nil {
		return nil, err
	}
	all, err := r.ReadScope(p, authz.DesignationObject(catalog.TypeTalentAuthorization))
	if err != nil {
		return nil, err
	}
	if !all {
		own, _ := p.OrgCode("enterprise")
		if code != "" && code != own {
			return nil, core.PermissionDenied("%s may read only its own authorizations", p)
		}
		code = own
	}
	q := r.DB.Designation.Query().Where(entdesignation.Type(catalog.TypeTalentAuthorization), designation.StatusIs(f.Status, r.Today()))
	if code != "" {
		q = q.Where(designation.HeldByEnterprise(code))
	}
	if f.Year != 0 {
		q = q.Where(func(s *entsql.Selector) {
			t := entsql.Table(talentauthorization.Table)
			s.Where(entsql.In(s.C(entdesignation.FieldID),
				entsql.Select(t.C(talentauthorization.FieldID)).From(t).Where(entsql.EQ(t.C(talentauthorization.FieldYear), f.Year))))
		})
	}
	rows, err := q.WithEnterprise().Order(ent.Desc(entdesignation.FieldID)).Limit(core.MaxPageSize).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]TalentAuthorization, 0, len(rows))
	for _, d := range rows {
		ta, err := r.talentAuthorizationOf(ctx, r.DB, d)
		if err != nil {
			return nil, err
		}
		out = append(out, ta)
	}
	return out, nil
}

// RevokeTalentAuthorization revokes an authorization. Recognitions made
// under it stand; its enterprise's assessors lose the right to recognise
// unless another authorization of theirs is still in force.
func (r *Authorizations) RevokeTalentAuthorization(ctx context.Context, in designation.StatusUpdate) (TalentAuthorization, error) {
	t := designation.Revocation
	t.AppliesTo = func(d *ent.Designation) error {
		if d.Type != catalog.TypeTalentAuthorization {
			return core.NotFound("id: talent authorization %s does not exist", d.ID)
		}
		return nil
	}
	d, err := r.Designations.ChangeStatus(ctx, in, t)
	if err != nil {
		return TalentAuthorization{}, err
	}
	stored, err := designation.LoadDesignation(ctx, r.DB, d.ID)
	if err != nil {
		return TalentAuthorization{}, err
	}
	return r.talentAuthorizationOf(ctx, r.DB, stored)
}

// ReleaseDelegations undoes what a designation being revoked holds of a
// delegation: a recognition returns its authorization's place, and an
// authorization drops its enterprise from the authorized-enterprise group
// when no other of its authorizations is in force.
func (r *Authorizations) ReleaseDelegations(ctx context.Context, tx *ent.Tx, d *ent.Designation, pc *core.PolicyChange) error {
	if d.AuthorizationID != nil {
		if err := tx.Designation.UpdateOneID(d.ID).ClearStandingAuthorizationID().Exec(ctx); err != nil {
			return err
		}
		_, err := tx.AuthorizationQuota.Update().Where(
			authorizationquota.AuthorizationID(*d.AuthorizationID), authorizationquota.Level(d.Level), authorizationquota.UsedGT(0),
		).AddUsed(-1).Save(ctx)
		return err
	}
	if d.Type != catalog.TypeTalentAuthorization || d.Edges.Enterprise == nil {
		return nil
	}
	if err := tx.TalentAuthorization.Update().Where(talentauthorization.ID(d.ID)).SetRevoked(true).Exec(ctx); err != nil {
		return err
	}
	others, err := tx.Designation.Query().Where(
		entdesignation.Type(catalog.TypeTalentAuthorization), entdesignation.EnterpriseID(d.Edges.Enterprise.ID),
		entdesignation.IDNEQ(d.ID), entdesignation.StatusNEQ(string(designation.StatusRevoked)),
	).Exist(ctx)
	if err != nil || others {
		return err
	}
	pc.Removed, err = authz.RemoveRules(ctx, tx.Client(), []authz.Rule{authz.AuthorizedEnterprise(d.Edges.Enterprise.CreditCode)})
	return err
}

// RecognizeTalent lets an authorized enterprise's talent assessor recognise
// one of its employees as a talent of a level, consuming one place of the
// authorization's quota for that level. The place is taken with a
// conditional update inside the transaction, so concurrent recognitions
// never exceed the quota on any database.
func (r *Authorizations) RecognizeTalent(ctx context.Context, in Recognition) (designation.Designation, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return designation.Designation{}, err
	}
	typ := catalog.DesignationTypesByCode[catalog.TypeTalentRecognition]
	if err := r.MayEver(p, authz.ActRecognize, authz.DesignationObject(typ.Code)); err != nil {
		return designation.Designation{}, err
	}
	v := &core.Violations{}
	core.CheckID(v, "authorization_id", in.AuthorizationID, true)
	core.CheckID(v, "talent_id", in.TalentID, true)
	designation.ValidateLevel(v, typ, in.Level)
	from, until := designation.ValidateValidity(v, in.ValidFrom, in.ValidUntil)
	doc := core.CleanText(v, "document_number", in.DocumentNumber, core.MaxDocumentLen, false)
	if err := v.Err(); err != nil {
		return designation.Designation{}, err
	}
	var out designation.Designation
	err = r.InTx(ctx, func(tx *ent.Tx) error {
		auth, err := r.loadAuthorization(ctx, tx.Client(), p, "authorization_id", in.AuthorizationID)
		if err != nil {
			return err
		}
		holder := auth.Edges.Enterprise
		if err := r.Authorize(p, authz.DesignationObject(typ.Code), authz.ActRecognize, authz.EnterpriseOrg(holder.CreditCode)); err != nil {
			return err
		}
		switch status := designation.DesignationOf(auth, r.Today()).Status; {
		case status != designation.StatusActive:
			return core.FailedPrecondition("talent authorization %s is %s", auth.ID, status)
		case r.Today() < auth.ValidFrom:
			return core.FailedPrecondition("talent authorization %s is valid only from %s", auth.ID, auth.ValidFrom)
		}
		if err := withinDelegation(auth, from, until, doc); err != nil {
			return err
		}
		t, err := talent.TalentByID(ctx, tx.Client(), "talent_id", in.TalentID)
		if err != nil {
			return err
		}
		if t.Edges.Employer == nil || t.Edges.Employer.ID != holder.ID {
			return core.PermissionDenied("talent %s is not an employee of enterprise %s", t.ID, holder.CreditCode)
		}
		again, err := tx.Designation.Query().Where(entdesignation.AuthorizationID(auth.ID), entdesignation.TalentID(t.ID),
			entdesignation.StatusNEQ(string(designation.StatusRevoked))).Exist(ctx)
		if err != nil {
			return err
		}
		if again {
			return core.AlreadyExists("talent %s is already recognised under authorization %s", t.ID, auth.ID)
		}
		if err := takePlace(ctx, tx, auth.ID, in.Level); err != nil {
			return err
		}
		if doc == "" {
			doc = auth.DocumentNumber
		}
		d, err := r.Designations.InsertDesignation(ctx, tx, p, designation.NewDesignation{
			Typ: typ, Talent: t, Level: in.Level, From: from, Until: until, Doc: doc,
			Bureau: auth.GrantedByBureau, ActingOrg: p.Org, AuthorizationID: auth.ID,
		})
		if err != nil {
			return err
		}
		out = designation.DesignationOf(d, r.Today())
		return r.Record(ctx, tx, p, core.Change{Action: "talent-recognition.recognize", EntityType: "designation", EntityID: d.ID, After: out, Owner: designation.Owner(d)})
	})
	return out, err
}

// maxRecognitionYears is the longest term of a recognition an enterprise
// makes under a talent authorization.
const maxRecognitionYears = 5

// withinDelegation keeps a recognition made under auth within the
// delegation's terms: it lies inside the authorization's validity window,
// lasts at most maxRecognitionYears, and cites the authorization's own
// document (an empty document number means that one).
func withinDelegation(auth *ent.Designation, from, until, doc string) error {
	v := &core.Violations{}
	if from < auth.ValidFrom || from > auth.ValidUntil {
		v.Add("valid_from", fmt.Sprintf("must lie within the authorization's validity, %s to %s", auth.ValidFrom, auth.ValidUntil))
	}
	if until > auth.ValidUntil {
		v.Add("valid_until", fmt.Sprintf("must not be after the authorization's valid_until %s", auth.ValidUntil))
	} else if until > core.AddMonths(from, 12*maxRecognitionYears) {
		v.Add("valid_until", fmt.Sprintf("a recognition under an authorization lasts at most %d years", maxRecognitionYears))
	}
	if doc != "" && doc != auth.DocumentNumber {
		v.Add("document_number", "must be empty or the authorization's document number "+auth.DocumentNumber)
	}
	return v.Err()
}

// takePlace consumes one place of level, refusing when the authorization
// covers no such level or has none left.
func takePlace(ctx context.Context, tx *ent.Tx, authorizationID, level string) error {
	n, err := tx.AuthorizationQuota.Update().Where(
		authorizationquota.AuthorizationID(authorizationID), authorizationquota.Level(level),
		func(s *entsql.Selector) {
			s.Where(entsql.ColumnsLT(s.C(authorizationquota.FieldUsed), s.C(authorizationquota.FieldPlaces)))
		},
	).AddUsed(1).Save(ctx)
	if err != nil || n == 1 {
		return err
	}
	covered, err := tx.AuthorizationQuota.Query().Where(
		authorizationquota.AuthorizationID(authorizationID), authorizationquota.Level(level)).Exist(ctx)
	if err != nil {
		return err
	}
	if !covered {
		return core.FailedPrecondition("talent authorization %s covers no places at level %s", authorizationID, level)
	}
	return core.NewError(core.KindResourceExhausted, "talent authorization %s has no places left at level %s", authorizationID, level)
}

// WithdrawRecognition revokes a recognition made under a talent
// authorization and returns its place to the quota.
func (r *Authorizations) WithdrawRecognition(ctx context.Context, in designation.StatusUpdate) (designation.Designation, error) {
	t := designation.Revocation
	t.Action = authz.ActWithdraw
	t.IDField = "designation_id"
	t.AppliesTo = func(d *ent.Designation) error {
		if d.AuthorizationID == nil {
			return core.FailedPrecondition("designation %s was not made under a talent authorization; use RevokeDesignation", d.ID)
		}
		return nil
	}
	return r.Designations.ChangeStatus(ctx, in, t)
}
