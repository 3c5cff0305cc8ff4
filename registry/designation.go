package registry

import (
	"context"
	"fmt"
	"slices"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/designation"
	"github.com/hangzhou-ai/registry/ent/enterprise"
	"github.com/hangzhou-ai/registry/ent/predicate"
	"github.com/hangzhou-ai/registry/ent/statuschange"
	"github.com/hangzhou-ai/registry/ent/talent"
)

// Status is a designation's standing.
type Status string

// Statuses. Active, suspended and revoked are recorded; expired is derived
// from valid_until against today.
const (
	StatusActive    Status = "active"
	StatusSuspended Status = "suspended"
	StatusRevoked   Status = "revoked"
	StatusExpired   Status = "expired"
)

// Designation is one grant of a designation type.
type Designation struct {
	ID                   string    `json:"id"`
	Type                 string    `json:"type"`
	EnterpriseCreditCode string    `json:"enterprise_credit_code,omitempty"`
	TalentID             string    `json:"talent_id,omitempty"`
	Level                string    `json:"level,omitempty"`
	Status               Status    `json:"status"`
	ValidFrom            string    `json:"valid_from"`
	ValidUntil           string    `json:"valid_until"`
	GrantedByBureau      string    `json:"granted_by_bureau"`
	DocumentNumber       string    `json:"document_number"`
	SeedClause           string    `json:"seed_clause"`
	StatusReason         string    `json:"status_reason,omitempty"`
	Note                 string    `json:"note,omitempty"`
	AuthorizationID      string    `json:"authorization_id,omitempty"`
	AwardID              string    `json:"award_id,omitempty"`
	ParkCode             string    `json:"park_code,omitempty"`
	Version              int64     `json:"version"`
	CreatedAt            time.Time `json:"created_at"`
	UpdatedAt            time.Time `json:"updated_at"`
}

// designationOf converts a stored designation (loaded with its enterprise)
// and derives expiry against today.
func designationOf(d *ent.Designation, today string) Designation {
	out := Designation{
		ID: d.ID, Type: d.Type, Level: d.Level, Status: Status(d.Status),
		ValidFrom: d.ValidFrom, ValidUntil: d.ValidUntil, GrantedByBureau: d.GrantedByBureau,
		DocumentNumber: d.DocumentNumber, SeedClause: d.SeedClause, StatusReason: d.StatusReason,
		Note: d.Note, Version: d.Version, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
	}
	if d.Edges.Enterprise != nil {
		out.EnterpriseCreditCode = d.Edges.Enterprise.CreditCode
	}
	if d.TalentID != nil {
		out.TalentID = *d.TalentID
	}
	if d.AuthorizationID != nil {
		out.AuthorizationID = *d.AuthorizationID
	}
	if d.AwardID != nil {
		out.AwardID = *d.AwardID
	}
	if d.ParkCode != nil {
		out.ParkCode = *d.ParkCode
	}
	if out.Status == StatusActive && d.ValidUntil < today {
		out.Status = StatusExpired
	}
	return out
}

// designationOwners are the organisations owning a designation: the bureau
// that granted it, the organisation that acted under its delegation (an
// enterprise recognising its own employees), and the enterprise that holds
// it (or employs its holder).
func designationOwners(d *ent.Designation) []string {
	owners := []string{authz.BureauOrg(d.GrantedByBureau)}
	if d.GrantedByOrg != "" {
		owners = append(owners, d.GrantedByOrg)
	}
	if d.Edges.Enterprise != nil {
		owners = append(owners, authz.EnterpriseOrg(d.Edges.Enterprise.CreditCode))
	}
	if d.ParkCode != nil {
		owners = append(owners, ParkOrg(*d.ParkCode))
	}
	if t := d.Edges.Talent; t != nil && t.Edges.Employer != nil {
		owners = append(owners, authz.EnterpriseOrg(t.Edges.Employer.CreditCode))
	}
	return owners
}

// Grant is a request to grant a designation.
type Grant struct {
	Type                 string
	EnterpriseCreditCode string
	TalentID             string
	Level                string
	ValidFrom            string
	ValidUntil           string
	DocumentNumber       string
	Note                 string
}

// designationType looks up a known type, adding a violation when unknown.
func designationType(v *violations, field, code string, required bool) (DesignationType, bool) {
	if code == "" {
		if required {
			v.add(field, "is required")
		}
		return DesignationType{}, false
	}
	t, ok := designationTypesByCode[code]
	if !ok {
		v.add(field, fmt.Sprintf("unknown designation type %q", code))
	}
	return t, ok
}

func validateLevel(v *violations, t DesignationType, level string) {
	switch {
	case t.HasLevels && level == "":
		v.add("level", fmt.Sprintf("is required for %s (one of A, B, C, D, E)", t.Code))
	case t.HasLevels && !slices.Contains(TalentLevels, level):
		v.add("level", "must be one of A, B, C, D, E")
	case !t.HasLevels && level != "":
		v.add("level", fmt.Sprintf("must be empty: %s has no levels", t.Code))
	}
}

func validateValidity(v *violations, from, until string) (string, string) {
	from = parseDate(v, "valid_from", from, true)
	until = parseDate(v, "valid_until", until, true)
	if from != "" && until != "" && until < from {
		v.add("valid_until", "must not be before valid_from")
	}
	return from, until
}

// validGrant is a Grant that passed validateGrant, normalised.
type validGrant struct {
	creditCode, talentID string
	level, from, until   string
	doc, note            string
}

// validateGrant checks a grant of type typ field by field, adding
// violations to v; the single-record RPC and the bulk import share it.
func validateGrant(v *violations, typ DesignationType, in Grant) validGrant {
	g := validGrant{level: in.Level}
	g.creditCode = creditCode(v, "enterprise_credit_code", in.EnterpriseCreditCode, false)
	switch typ.SubjectKind {
	case SubjectEnterprise:
		if in.EnterpriseCreditCode == "" {
			v.add("enterprise_credit_code", fmt.Sprintf("is required: %s is granted to enterprises", typ.Code))
		}
		if in.TalentID != "" {
			v.add("talent_id", fmt.Sprintf("must be empty: %s is granted to enterprises", typ.Code))
		}
	case SubjectTalent:
		if in.TalentID == "" {
			v.add("talent_id", fmt.Sprintf("is required: %s is granted to talents", typ.Code))
		} else {
			g.talentID = checkID(v, "talent_id", in.TalentID, true)
		}
		if in.EnterpriseCreditCode != "" {
			v.add("enterprise_credit_code", fmt.Sprintf("must be empty: %s is granted to talents", typ.Code))
		}
	default:
		v.add("type", fmt.Sprintf("%s designations are not granted to enterprises or talents", typ.Code))
	}
	validateLevel(v, typ, in.Level)
	g.from, g.until = validateValidity(v, in.ValidFrom, in.ValidUntil)
	g.doc = cleanText(v, "document_number", in.DocumentNumber, maxDocumentLen, true)
	g.note = cleanMultiline(v, "note", in.Note, maxNoteLen, false)
	return g
}

// GrantDesignation records a designation granted by the caller's bureau.
func (r *Registry) GrantDesignation(ctx context.Context, in Grant) (Designation, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return Designation{}, err
	}
	v := &violations{}
	typ, ok := designationType(v, "type", in.Type, true)
	if !ok {
		return Designation{}, v.err()
	}
	if err := r.authorize(p, authz.DesignationObject(typ.Code), authz.ActGrant); err != nil {
		return Designation{}, err
	}
	bureauCode, _ := p.orgCode("bureau")
	g := validateGrant(v, typ, in)
	if err := v.err(); err != nil {
		return Designation{}, err
	}
	var out Designation
	err = r.inTx(ctx, func(tx *ent.Tx) error {
		rec := newDesignation{typ: typ, level: g.level, from: g.from, until: g.until, doc: g.doc, note: g.note, bureau: bureauCode}
		if typ.SubjectKind == SubjectEnterprise {
			if rec.enterprise, err = enterpriseByCode(ctx, tx.Client(), "enterprise_credit_code", g.creditCode); err != nil {
				return err
			}
		} else if rec.talent, err = talentByID(ctx, tx.Client(), "talent_id", g.talentID); err != nil {
			return err
		}
		d, err := r.insertDesignation(ctx, tx, p, rec)
		if err != nil {
			return err
		}
		out = designationOf(d, r.today())
		return r.record(ctx, tx, p, change{action: "designation.grant", entityType: "designation", entityID: d.ID, after: out})
	})
	return out, err
}

// newDesignation is a validated designation to store.
type newDesignation struct {
	typ                DesignationType
	enterprise         *ent.Enterprise // for enterprise types
	talent             *ent.Talent     // for talent types
	parkCode           string          // for park types
	level, from, until string
	doc, note          string
	bureau             string // the granting bureau
	actingOrg          string // set when an organisation acts under the bureau's delegation
	authorizationID    string
	awardID            string
}

// insertDesignation stores rec inside tx, refusing a second designation of
// the same type, holder and document (or a second standing recognition of
// a talent under one authorization), and returns it loaded with its holder.
// The caller records the audit event. The check gives the clear answer; the
// unique indexes on designations keep it true under concurrency (see
// inPolicyTx).
func (r *Registry) insertDesignation(ctx context.Context, tx *ent.Tx, p Principal, rec newDesignation) (*ent.Designation, error) {
	dup, err := tx.Designation.Query().Where(rec.naturalKey()).Exist(ctx)
	if err != nil {
		return nil, err
	}
	if dup {
		return nil, alreadyExists("%s under document %s is already recorded for this holder", rec.typ.Code, rec.doc)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, err
	}
	if err := rec.builder(tx.Designation.Create(), p, id.String(), r.now()).Exec(ctx); err != nil {
		return nil, err
	}
	return loadDesignation(ctx, tx.Client(), id.String())
}

// naturalKey selects designations of rec's type, holder and document: the
// same grant recorded before.
func (rec newDesignation) naturalKey() predicate.Designation {
	if rec.authorizationID != "" {
		return designation.And(designation.StandingAuthorizationID(rec.authorizationID), designation.TalentID(rec.talent.ID))
	}
	same := []predicate.Designation{designation.Type(rec.typ.Code), designation.DocumentNumber(rec.doc)}
	switch {
	case rec.enterprise != nil:
		same = append(same, designation.EnterpriseID(rec.enterprise.ID))
	case rec.talent != nil:
		same = append(same, designation.TalentID(rec.talent.ID))
	default:
		same = append(same, designation.ParkCode(rec.parkCode))
	}
	return designation.And(same...)
}

// builder fills c with rec as a new active designation.
func (rec newDesignation) builder(c *ent.DesignationCreate, p Principal, id string, now time.Time) *ent.DesignationCreate {
	switch {
	case rec.enterprise != nil:
		c.SetEnterprise(rec.enterprise)
	case rec.talent != nil:
		c.SetTalent(rec.talent)
	default:
		c.SetParkCode(rec.parkCode)
	}
	if rec.authorizationID != "" {
		c.SetAuthorizationID(rec.authorizationID).SetStandingAuthorizationID(rec.authorizationID)
	}
	if rec.awardID != "" {
		c.SetAwardID(rec.awardID)
	}
	return c.SetID(id).SetType(rec.typ.Code).SetLevel(rec.level).
		SetStatus(string(StatusActive)).SetValidFrom(rec.from).SetValidUntil(rec.until).
		SetGrantedByBureau(rec.bureau).SetGrantedBySubject(p.Subject).SetGrantedByOrg(rec.actingOrg).
		SetDocumentNumber(rec.doc).SetNote(rec.note).SetSeedClause(rec.typ.SeedClause).
		SetVersion(1).SetCreatedAt(now).SetUpdatedAt(now)
}

func loadDesignation(ctx context.Context, db *ent.Client, id string) (*ent.Designation, error) {
	d, err := db.Designation.Query().Where(designation.ID(id)).
		WithEnterprise().WithTalent(func(q *ent.TalentQuery) { q.WithEmployer() }).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, notFound("designation %s does not exist", id)
	}
	return d, err
}

// loadDesignationFor loads a designation for p. A missing one is reported
// as not found only to principals who may read every designation; others
// are refused whether or not it exists, as they would be for one they do
// not own, so they cannot probe which ids exist.
func (r *Registry) loadDesignationFor(ctx context.Context, db *ent.Client, p Principal, id string) (*ent.Designation, error) {
	d, err := loadDesignation(ctx, db, id)
	if KindOf(err) == KindNotFound {
		return nil, r.missingFor(p, authz.DesignationObject("*"), err)
	}
	return d, err
}

// GetDesignation returns one designation to those who may read it.
func (r *Registry) GetDesignation(ctx context.Context, id string) (Designation, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return Designation{}, err
	}
	if err := requireID("id", id); err != nil {
		return Designation{}, err
	}
	d, err := r.loadDesignationFor(ctx, r.db, p, id)
	if err != nil {
		return Designation{}, err
	}
	if err := r.authorize(p, authz.DesignationObject(d.Type), authz.ActRead, designationOwners(d)...); err != nil {
		return Designation{}, err
	}
	return designationOf(d, r.today()), nil
}

// DesignationFilter selects designations; zero fields match everything.
type DesignationFilter struct {
	EnterpriseCreditCode string
	TalentID             string
	Type                 string
	Status               Status
	// AsOf (YYYY-MM-DD) keeps designations valid on that date.
	AsOf      string
	PageSize  int
	PageToken string
}

// ListDesignations pages through designations by id (which follows grant
// time). Enterprise members see only designations they own.
func (r *Registry) ListDesignations(ctx context.Context, f DesignationFilter) ([]Designation, string, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, "", err
	}
	v := &violations{}
	object := authz.DesignationObject("*")
	if typ, ok := designationType(v, "type", f.Type, false); ok {
		object = authz.DesignationObject(typ.Code)
	}
	size := pageSize(v, f.PageSize)
	after := decodePageToken(r.secrets, v, f.PageToken)
	code := creditCode(v, "enterprise_credit_code", f.EnterpriseCreditCode, false)
	asOf := parseDate(v, "as_of", f.AsOf, false)
	validateStatusFilter(v, f.Status)
	checkID(v, "talent_id", f.TalentID, false)
	if err := v.err(); err != nil {
		return nil, "", err
	}
	all, err := r.readScope(p, object)
	if err != nil {
		return nil, "", err
	}
	q := r.db.Designation.Query().Where(designation.IDGT(after))
	if !all {
		own, _ := p.orgCode("enterprise")
		if code != "" && code != own {
			return nil, "", permissionDenied("%s may read only its own designations", p)
		}
		q = q.Where(designation.Or(
			designation.HasEnterpriseWith(enterprise.CreditCode(own)),
			designation.HasTalentWith(talent.HasEmployerWith(enterprise.CreditCode(own))),
		))
	}
	if code != "" {
		q = q.Where(designation.HasEnterpriseWith(enterprise.CreditCode(code)))
	}
	if f.TalentID != "" {
		q = q.Where(designation.TalentID(f.TalentID))
	}
	if f.Type != "" {
		q = q.Where(designation.Type(f.Type))
	}
	today := r.today()
	q = q.Where(statusIs(f.Status, today))
	if asOf != "" {
		q = q.Where(designation.ValidFromLTE(asOf), designation.ValidUntilGTE(asOf), activeOn(asOf))
	}
	rows, err := q.WithEnterprise().Order(ent.Asc(designation.FieldID)).Limit(size + 1).All(ctx)
	if err != nil {
		return nil, "", err
	}
	rows, next := trimPage(r.secrets, rows, size, func(d *ent.Designation) string { return d.ID })
	out := make([]Designation, len(rows))
	for i, d := range rows {
		out[i] = designationOf(d, today)
	}
	return out, next, nil
}

// activeOn keeps designations whose last status change taking effect on or
// before date left them active (or that never changed status).
func activeOn(date string) predicate.Designation {
	return func(s *entsql.Selector) {
		s.Where(entsql.P(func(b *entsql.Builder) {
			b.WriteString("COALESCE((SELECT sc.").Ident(statuschange.FieldStatus).
				WriteString(" FROM ").Ident(statuschange.Table).WriteString(" AS sc WHERE sc.").
				Ident(statuschange.FieldDesignationID).WriteString(" = ").WriteString(s.C(designation.FieldID)).
				WriteString(" AND sc.").Ident(statuschange.FieldEffectiveOn).WriteString(" <= ").Arg(date).
				WriteString(" ORDER BY sc.").Ident(statuschange.FieldEffectiveOn).WriteString(" DESC, sc.").
				Ident(statuschange.FieldID).WriteString(" DESC LIMIT 1), ").Arg(string(StatusActive)).
				WriteString(") = ").Arg(string(StatusActive))
		}))
	}
}

func validateStatusFilter(v *violations, s Status) {
	switch s {
	case "", StatusActive, StatusSuspended, StatusRevoked, StatusExpired:
	default:
		v.add("status", "must be active, suspended, revoked or expired")
	}
}

// statusIs selects designations whose status, with expiry derived against
// today, is s; an empty s selects all.
func statusIs(s Status, today string) predicate.Designation {
	switch s {
	case StatusActive:
		return designation.And(designation.Status(string(StatusActive)), designation.ValidUntilGTE(today))
	case StatusExpired:
		return designation.And(designation.Status(string(StatusActive)), designation.ValidUntilLT(today))
	case StatusSuspended, StatusRevoked:
		return designation.Status(string(s))
	}
	return func(*entsql.Selector) {}
}
