package registry

import (
	"context"
	"fmt"
	"slices"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/authorizationquota"
	"github.com/hangzhou-ai/registry/ent/designation"
	"github.com/hangzhou-ai/registry/ent/enterprise"
	"github.com/hangzhou-ai/registry/ent/talentauthorization"
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
	ID                   string       `json:"id"`
	EnterpriseCreditCode string       `json:"enterprise_credit_code"`
	Year                 int          `json:"year"`
	Quotas               []LevelQuota `json:"quotas"`
	ValidFrom            string       `json:"valid_from"`
	ValidUntil           string       `json:"valid_until"`
	DocumentNumber       string       `json:"document_number"`
	Status               Status       `json:"status"`
	StatusReason         string       `json:"status_reason,omitempty"`
	Version              int64        `json:"version"`
	CreatedAt            time.Time    `json:"created_at"`
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
func (r *Registry) IssueTalentAuthorization(ctx context.Context, in NewTalentAuthorization) (TalentAuthorization, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return TalentAuthorization{}, err
	}
	typ := designationTypesByCode[typeTalentAuthorization]
	if err := r.authorize(p, authz.DesignationObject(typ.Code), authz.ActGrant); err != nil {
		return TalentAuthorization{}, err
	}
	v := &violations{}
	code := creditCode(v, "enterprise_credit_code", in.EnterpriseCreditCode, true)
	validateYear(v, "year", in.Year)
	if len(in.Quotas) == 0 || len(in.Quotas) > len(TalentLevels) {
		v.add("quotas", fmt.Sprintf("give between 1 and %d levels with places, each level once", len(TalentLevels)))
		return TalentAuthorization{}, v.err()
	}
	seen := map[string]bool{}
	for i, q := range in.Quotas {
		field := fmt.Sprintf("quotas[%d]", i)
		switch {
		case !slices.Contains(TalentLevels, q.Level):
			v.add(field+".level", "must be one of A, B, C, D, E")
		case seen[q.Level]:
			v.add(field+".level", "level "+q.Level+" is given twice")
		}
		seen[q.Level] = true
		if q.Places < 1 || q.Places > maxPlacesPerLevel {
			v.add(field+".places", fmt.Sprintf("must be between 1 and %d", maxPlacesPerLevel))
		}
	}
	from, until := validateValidity(v, in.ValidFrom, in.ValidUntil)
	doc := cleanText(v, "document_number", in.DocumentNumber, maxDocumentLen, true)
	if err := v.err(); err != nil {
		return TalentAuthorization{}, err
	}
	bureau, _ := p.orgCode("bureau")
	var out TalentAuthorization
	err = r.inPolicyTx(ctx, func(tx *ent.Tx, pc *policyChange) error {
		e, err := enterpriseByCode(ctx, tx.Client(), "enterprise_credit_code", code)
		if err != nil {
			return err
		}
		today := r.today()
		growth, err := tx.Designation.Query().Where(
			designation.EnterpriseID(e.ID), designation.Type(typeAIGrowthEnterprise),
			designation.Status(string(StatusActive)), designation.ValidFromLTE(today), designation.ValidUntilGTE(today),
		).Exist(ctx)
		if err != nil {
			return err
		}
		if !growth {
			return failedPrecondition("enterprise %s holds no active %s designation today", code, typeAIGrowthEnterprise)
		}
		same, err := tx.TalentAuthorization.Query().Where(talentauthorization.EnterpriseID(e.ID), talentauthorization.Year(in.Year)).IDs(ctx)
		if err != nil {
			return err
		}
		if len(same) > 0 {
			live, err := tx.Designation.Query().Where(designation.IDIn(same...), designation.StatusNEQ(string(StatusRevoked))).Exist(ctx)
			if err != nil {
				return err
			}
			if live {
				return alreadyExists("enterprise %s already holds a talent authorization for %d", code, in.Year)
			}
		}
		d, err := r.insertDesignation(ctx, tx, p, newDesignation{typ: typ, enterprise: e, from: from, until: until, doc: doc, bureau: bureau})
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
		if pc.added, err = authz.AddRules(ctx, tx.Client(), []authz.Rule{authz.AuthorizedEnterprise(code)}); err != nil {
			return err
		}
		if out, err = r.talentAuthorizationOf(ctx, tx.Client(), d); err != nil {
			return err
		}
		return r.record(ctx, tx, p, change{action: "talent-authorization.issue", entityType: "designation", entityID: d.ID, after: out})
	})
	return out, err
}

// talentAuthorizationOf completes an authorization's designation with its
// year and quotas.
func (r *Registry) talentAuthorizationOf(ctx context.Context, db *ent.Client, d *ent.Designation) (TalentAuthorization, error) {
	ta, err := db.TalentAuthorization.Get(ctx, d.ID)
	if err != nil {
		return TalentAuthorization{}, err
	}
	quotas, err := db.AuthorizationQuota.Query().Where(authorizationquota.AuthorizationID(d.ID)).
		Order(ent.Asc(authorizationquota.FieldLevel)).All(ctx)
	if err != nil {
		return TalentAuthorization{}, err
	}
	des := designationOf(d, r.today())
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
func (r *Registry) loadAuthorization(ctx context.Context, db *ent.Client, p Principal, field, id string) (*ent.Designation, error) {
	if err := requireID(field, id); err != nil {
		return nil, err
	}
	d, err := r.loadDesignationFor(ctx, db, p, id)
	if KindOf(err) == KindNotFound || (err == nil && d.Type != typeTalentAuthorization) {
		return nil, notFound("%s: talent authorization %s does not exist", field, id)
	}
	return d, err
}

// GetTalentAuthorization returns an authorization with its quotas to those
// who may read its designation.
func (r *Registry) GetTalentAuthorization(ctx context.Context, id string) (TalentAuthorization, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return TalentAuthorization{}, err
	}
	d, err := r.loadAuthorization(ctx, r.db, p, "id", id)
	if err != nil {
		return TalentAuthorization{}, err
	}
	if err := r.authorize(p, authz.DesignationObject(d.Type), authz.ActRead, designationOwners(d)...); err != nil {
		return TalentAuthorization{}, err
	}
	return r.talentAuthorizationOf(ctx, r.db, d)
}

// TalentAuthorizationFilter selects authorizations; zero fields match all.
type TalentAuthorizationFilter struct {
	EnterpriseCreditCode string
	Year                 int
	Status               Status
}

// ListTalentAuthorizations lists authorizations, newest first. Enterprise
// staff see only their own.
func (r *Registry) ListTalentAuthorizations(ctx context.Context, f TalentAuthorizationFilter) ([]TalentAuthorization, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	v := &violations{}
	code := creditCode(v, "enterprise_credit_code", f.EnterpriseCreditCode, false)
	if f.Year != 0 {
		validateYear(v, "year", f.Year)
	}
	validateStatusFilter(v, f.Status)
	if err := v.err(); err != nil {
		return nil, err
	}
	all, err := r.readScope(p, authz.DesignationObject(typeTalentAuthorization))
	if err != nil {
		return nil, err
	}
	if !all {
		own, _ := p.orgCode("enterprise")
		if code != "" && code != own {
			return nil, permissionDenied("%s may read only its own authorizations", p)
		}
		code = own
	}
	q := r.db.Designation.Query().Where(designation.Type(typeTalentAuthorization), statusIs(f.Status, r.today()))
	if code != "" {
		q = q.Where(designation.HasEnterpriseWith(enterprise.CreditCode(code)))
	}
	if f.Year != 0 {
		q = q.Where(func(s *entsql.Selector) {
			t := entsql.Table(talentauthorization.Table)
			s.Where(entsql.In(s.C(designation.FieldID),
				entsql.Select(t.C(talentauthorization.FieldID)).From(t).Where(entsql.EQ(t.C(talentauthorization.FieldYear), f.Year))))
		})
	}
	rows, err := q.WithEnterprise().Order(ent.Desc(designation.FieldID)).Limit(MaxPageSize).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]TalentAuthorization, 0, len(rows))
	for _, d := range rows {
		ta, err := r.talentAuthorizationOf(ctx, r.db, d)
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
func (r *Registry) RevokeTalentAuthorization(ctx context.Context, in StatusUpdate) (TalentAuthorization, error) {
	t := revocation
	t.appliesTo = func(d *ent.Designation) error {
		if d.Type != typeTalentAuthorization {
			return notFound("id: talent authorization %s does not exist", d.ID)
		}
		return nil
	}
	d, err := r.changeStatus(ctx, in, t)
	if err != nil {
		return TalentAuthorization{}, err
	}
	stored, err := loadDesignation(ctx, r.db, d.ID)
	if err != nil {
		return TalentAuthorization{}, err
	}
	return r.talentAuthorizationOf(ctx, r.db, stored)
}

// releaseDelegations undoes what a designation being revoked holds of a
// delegation: a recognition returns its authorization's place, and an
// authorization drops its enterprise from the authorized-enterprise group
// when no other of its authorizations is in force.
func (r *Registry) releaseDelegations(ctx context.Context, tx *ent.Tx, d *ent.Designation, pc *policyChange) error {
	if d.AuthorizationID != nil {
		if err := tx.Designation.UpdateOneID(d.ID).ClearStandingAuthorizationID().Exec(ctx); err != nil {
			return err
		}
		_, err := tx.AuthorizationQuota.Update().Where(
			authorizationquota.AuthorizationID(*d.AuthorizationID), authorizationquota.Level(d.Level), authorizationquota.UsedGT(0),
		).AddUsed(-1).Save(ctx)
		return err
	}
	if d.Type != typeTalentAuthorization || d.Edges.Enterprise == nil {
		return nil
	}
	if err := tx.TalentAuthorization.Update().Where(talentauthorization.ID(d.ID)).SetRevoked(true).Exec(ctx); err != nil {
		return err
	}
	others, err := tx.Designation.Query().Where(
		designation.Type(typeTalentAuthorization), designation.EnterpriseID(d.Edges.Enterprise.ID),
		designation.IDNEQ(d.ID), designation.StatusNEQ(string(StatusRevoked)),
	).Exist(ctx)
	if err != nil || others {
		return err
	}
	pc.removed, err = authz.RemoveRules(ctx, tx.Client(), []authz.Rule{authz.AuthorizedEnterprise(d.Edges.Enterprise.CreditCode)})
	return err
}

// RecognizeTalent lets an authorized enterprise's talent assessor recognise
// one of its employees as a talent of a level, consuming one place of the
// authorization's quota for that level. The place is taken with a
// conditional update inside the transaction, so concurrent recognitions
// never exceed the quota on any database.
func (r *Registry) RecognizeTalent(ctx context.Context, in Recognition) (Designation, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return Designation{}, err
	}
	typ := designationTypesByCode[typeTalentRecognition]
	if err := r.mayEver(p, authz.ActRecognize, authz.DesignationObject(typ.Code)); err != nil {
		return Designation{}, err
	}
	v := &violations{}
	checkID(v, "authorization_id", in.AuthorizationID, true)
	checkID(v, "talent_id", in.TalentID, true)
	validateLevel(v, typ, in.Level)
	from, until := validateValidity(v, in.ValidFrom, in.ValidUntil)
	doc := cleanText(v, "document_number", in.DocumentNumber, maxDocumentLen, false)
	if err := v.err(); err != nil {
		return Designation{}, err
	}
	var out Designation
	err = r.inTx(ctx, func(tx *ent.Tx) error {
		auth, err := r.loadAuthorization(ctx, tx.Client(), p, "authorization_id", in.AuthorizationID)
		if err != nil {
			return err
		}
		holder := auth.Edges.Enterprise
		if err := r.authorize(p, authz.DesignationObject(typ.Code), authz.ActRecognize, authz.EnterpriseOrg(holder.CreditCode)); err != nil {
			return err
		}
		switch status := designationOf(auth, r.today()).Status; {
		case status != StatusActive:
			return failedPrecondition("talent authorization %s is %s", auth.ID, status)
		case r.today() < auth.ValidFrom:
			return failedPrecondition("talent authorization %s is valid only from %s", auth.ID, auth.ValidFrom)
		}
		if err := withinDelegation(auth, from, until, doc); err != nil {
			return err
		}
		t, err := talentByID(ctx, tx.Client(), "talent_id", in.TalentID)
		if err != nil {
			return err
		}
		if t.Edges.Employer == nil || t.Edges.Employer.ID != holder.ID {
			return permissionDenied("talent %s is not an employee of enterprise %s", t.ID, holder.CreditCode)
		}
		again, err := tx.Designation.Query().Where(designation.AuthorizationID(auth.ID), designation.TalentID(t.ID),
			designation.StatusNEQ(string(StatusRevoked))).Exist(ctx)
		if err != nil {
			return err
		}
		if again {
			return alreadyExists("talent %s is already recognised under authorization %s", t.ID, auth.ID)
		}
		if err := takePlace(ctx, tx, auth.ID, in.Level); err != nil {
			return err
		}
		if doc == "" {
			doc = auth.DocumentNumber
		}
		d, err := r.insertDesignation(ctx, tx, p, newDesignation{
			typ: typ, talent: t, level: in.Level, from: from, until: until, doc: doc,
			bureau: auth.GrantedByBureau, actingOrg: p.Org, authorizationID: auth.ID,
		})
		if err != nil {
			return err
		}
		out = designationOf(d, r.today())
		return r.record(ctx, tx, p, change{action: "talent-recognition.recognize", entityType: "designation", entityID: d.ID, after: out})
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
	v := &violations{}
	if from < auth.ValidFrom || from > auth.ValidUntil {
		v.add("valid_from", fmt.Sprintf("must lie within the authorization's validity, %s to %s", auth.ValidFrom, auth.ValidUntil))
	}
	if until > auth.ValidUntil {
		v.add("valid_until", fmt.Sprintf("must not be after the authorization's valid_until %s", auth.ValidUntil))
	} else if until > addMonths(from, 12*maxRecognitionYears) {
		v.add("valid_until", fmt.Sprintf("a recognition under an authorization lasts at most %d years", maxRecognitionYears))
	}
	if doc != "" && doc != auth.DocumentNumber {
		v.add("document_number", "must be empty or the authorization's document number "+auth.DocumentNumber)
	}
	return v.err()
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
		return failedPrecondition("talent authorization %s covers no places at level %s", authorizationID, level)
	}
	return newError(KindResourceExhausted, "talent authorization %s has no places left at level %s", authorizationID, level)
}

// WithdrawRecognition revokes a recognition made under a talent
// authorization and returns its place to the quota.
func (r *Registry) WithdrawRecognition(ctx context.Context, in StatusUpdate) (Designation, error) {
	t := revocation
	t.action = authz.ActWithdraw
	t.idField = "designation_id"
	t.appliesTo = func(d *ent.Designation) error {
		if d.AuthorizationID == nil {
			return failedPrecondition("designation %s was not made under a talent authorization; use RevokeDesignation", d.ID)
		}
		return nil
	}
	return r.changeStatus(ctx, in, t)
}
