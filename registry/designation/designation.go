package designation

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
	"github.com/hangzhou-ai/registry/ent/predicate"
	"github.com/hangzhou-ai/registry/registry/catalog"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/internal/core"
	"github.com/hangzhou-ai/registry/registry/talent"
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

// DesignationOf converts a stored designation (loaded with its enterprise)
// and derives expiry against today.
func DesignationOf(d *ent.Designation, today string) Designation {
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

// DesignationOwners are the organisations owning a designation: the bureau
// that granted it, the organisation that acted under its delegation (an
// enterprise recognising its own employees), and the enterprise that holds
// it (or employs its holder).
func DesignationOwners(d *ent.Designation) []string {
	owners := []string{authz.BureauOrg(d.GrantedByBureau)}
	if d.GrantedByOrg != "" {
		owners = append(owners, d.GrantedByOrg)
	}
	if d.Edges.Enterprise != nil {
		owners = append(owners, authz.EnterpriseOrg(d.Edges.Enterprise.CreditCode))
	}
	if d.ParkCode != nil {
		owners = append(owners, core.ParkOrg(*d.ParkCode))
	}
	if t := d.Edges.Talent; t != nil && t.Edges.Employer != nil {
		owners = append(owners, authz.EnterpriseOrg(t.Edges.Employer.CreditCode))
	}
	return owners
}

// Owner is the one organisation among whose own records designation d is,
// for principals who read only their own organisation's designations: the
// enterprise that holds it, the employer of the talent who holds it, or the
// park that holds it; empty for a talent without an employer. d must be
// loaded with its holder (and a talent holder with its employer), as
// LoadDesignation and InsertDesignation return it. It is what the audit
// event of a change to d records as its owner, which scopes the change
// feed as ListDesignations and GetDesignation scope reads.
func Owner(d *ent.Designation) string {
	switch {
	case d.Edges.Enterprise != nil:
		return authz.EnterpriseOrg(d.Edges.Enterprise.CreditCode)
	case d.ParkCode != nil:
		return core.ParkOrg(*d.ParkCode)
	case d.Edges.Talent != nil:
		return talent.Owner(d.Edges.Talent)
	}
	return ""
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

// DesignationType looks up a known type, adding a violation when unknown.
func DesignationType(v *core.Violations, field, code string, required bool) (catalog.DesignationType, bool) {
	if code == "" {
		if required {
			v.Add(field, "is required")
		}
		return catalog.DesignationType{}, false
	}
	t, ok := catalog.DesignationTypesByCode[code]
	if !ok {
		v.Add(field, fmt.Sprintf("unknown designation type %q", code))
	}
	return t, ok
}

func ValidateLevel(v *core.Violations, t catalog.DesignationType, level string) {
	switch {
	case t.HasLevels && level == "":
		v.Add("level", fmt.Sprintf("is required for %s (one of A, B, C, D, E)", t.Code))
	case t.HasLevels && !slices.Contains(catalog.TalentLevels, level):
		v.Add("level", "must be one of A, B, C, D, E")
	case !t.HasLevels && level != "":
		v.Add("level", fmt.Sprintf("must be empty: %s has no levels", t.Code))
	}
}

func ValidateValidity(v *core.Violations, from, until string) (string, string) {
	from = core.ParseDate(v, "valid_from", from, true)
	until = core.ParseDate(v, "valid_until", until, true)
	if from != "" && until != "" && until < from {
		v.Add("valid_until", "must not be before valid_from")
	}
	return from, until
}

// ValidGrant is a Grant that passed validateGrant, normalised.
type ValidGrant struct {
	CreditCode, TalentID string
	Level, From, Until   string
	Doc, Note            string
}

// ValidateGrant checks a grant of type typ field by field, adding
// violations to v; the single-record RPC and the bulk import share it.
func ValidateGrant(v *core.Violations, typ catalog.DesignationType, in Grant) ValidGrant {
	g := ValidGrant{Level: in.Level}
	g.CreditCode = core.CreditCode(v, "enterprise_credit_code", in.EnterpriseCreditCode, false)
	switch typ.SubjectKind {
	case catalog.SubjectEnterprise:
		if in.EnterpriseCreditCode == "" {
			v.Add("enterprise_credit_code", fmt.Sprintf("is required: %s is granted to enterprises", typ.Code))
		}
		if in.TalentID != "" {
			v.Add("talent_id", fmt.Sprintf("must be empty: %s is granted to enterprises", typ.Code))
		}
	case catalog.SubjectTalent:
		if in.TalentID == "" {
			v.Add("talent_id", fmt.Sprintf("is required: %s is granted to talents", typ.Code))
		} else {
			g.TalentID = core.CheckID(v, "talent_id", in.TalentID, true)
		}
		if in.EnterpriseCreditCode != "" {
			v.Add("enterprise_credit_code", fmt.Sprintf("must be empty: %s is granted to talents", typ.Code))
		}
	default:
		v.Add("type", fmt.Sprintf("%s designations are not granted to enterprises or talents", typ.Code))
	}
	ValidateLevel(v, typ, in.Level)
	g.From, g.Until = ValidateValidity(v, in.ValidFrom, in.ValidUntil)
	g.Doc = core.CleanText(v, "document_number", in.DocumentNumber, core.MaxDocumentLen, true)
	g.Note = core.CleanMultiline(v, "note", in.Note, core.MaxNoteLen, false)
	return g
}

// GrantDesignation records a designation granted by the caller's bureau.
func (r *Designations) GrantDesignation(ctx context.Context, in Grant) (Designation, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return Designation{}, err
	}
	v := &core.Violations{}
	typ, ok := DesignationType(v, "type", in.Type, true)
	if !ok {
		return Designation{}, v.Err()
	}
	if err := r.Authorize(p, authz.DesignationObject(typ.Code), authz.ActGrant); err != nil {
		return Designation{}, err
	}
	bureauCode, _ := p.OrgCode("bureau")
	g := ValidateGrant(v, typ, in)
	if err := v.Err(); err != nil {
		return Designation{}, err
	}
	var out Designation
	err = r.InTx(ctx, func(tx *ent.Tx) error {
		rec := NewDesignation{Typ: typ, Level: g.Level, From: g.From, Until: g.Until, Doc: g.Doc, Note: g.Note, Bureau: bureauCode}
		if typ.SubjectKind == catalog.SubjectEnterprise {
			if rec.Enterprise, err = enterprise.EnterpriseByCode(ctx, tx.Client(), "enterprise_credit_code", g.CreditCode); err != nil {
				return err
			}
		} else if rec.Talent, err = talent.TalentByID(ctx, tx.Client(), "talent_id", g.TalentID); err != nil {
			return err
		}
		d, err := r.InsertDesignation(ctx, tx, p, rec)
		if err != nil {
			return err
		}
		out = DesignationOf(d, r.Today())
		return r.Record(ctx, tx, p, core.Change{Action: "designation.grant", EntityType: "designation", EntityID: d.ID, After: out, Owner: Owner(d)})
	})
	return out, err
}

// NewDesignation is a validated designation to store.
type NewDesignation struct {
	Typ                catalog.DesignationType
	Enterprise         *ent.Enterprise // for enterprise types
	Talent             *ent.Talent     // for talent types
	ParkCode           string          // for park types
	Level, From, Until string
	Doc, Note          string
	Bureau             string // the granting bureau
	ActingOrg          string // set when an organisation acts under the bureau's delegation
	AuthorizationID    string
	AwardID            string
}

// InsertDesignation stores rec inside tx, refusing a second designation of
// the same type, holder and document (or a second standing recognition of
// a talent under one authorization), and returns it loaded with its holder.
// The caller records the audit event. The unique index of the natural key
// decides, in the insert itself (ON CONFLICT … DO NOTHING), so the answer
// holds under concurrency without a query before the insert; the row is
// not read back.
func (r *Designations) InsertDesignation(ctx context.Context, tx *ent.Tx, p core.Principal, rec NewDesignation) (*ent.Designation, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return nil, err
	}
	d := rec.Row(p, id.String(), r.Now())
	// The natural key's unique index answers whether the grant is
	// recorded already, in the same statement: nothing is inserted then.
	// A concurrent transaction inserting the same key is waited for.
	res, err := tx.ExecContext(ctx, r.InsertSQL(designation.Table, Columns, 1)+" ON CONFLICT "+rec.conflictTarget()+" DO NOTHING", Values(d)...)
	if err != nil {
		return nil, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, err
	} else if n == 0 {
		return nil, core.AlreadyExists("%s under document %s is already recorded for this holder", rec.Typ.Code, rec.Doc)
	}
	if rec.Talent != nil {
		if _, err := rec.Talent.Edges.EmployerOrErr(); ent.IsNotLoaded(err) {
			return LoadDesignation(ctx, tx.Client(), d.ID)
		}
	}
	return d, nil
}

// conflictTarget names the unique index of rec's natural key (see the
// designation schema's indexes), as an ON CONFLICT target.
func (rec NewDesignation) conflictTarget() string {
	switch {
	case rec.AuthorizationID != "":
		return `("standing_authorization_id", "talent_id")`
	case rec.Enterprise != nil:
		return `("type", "document_number", "enterprise_id") WHERE enterprise_id IS NOT NULL`
	case rec.Talent != nil:
		return `("type", "document_number", "talent_id") WHERE (talent_id IS NOT NULL) AND (authorization_id IS NULL)`
	}
	return `("type", "document_number", "park_code") WHERE park_code IS NOT NULL`
}

// Row is rec as a new active designation with id, granted by p at now,
// with its holder as rec gives it: the row InsertDesignation and imports
// store.
func (rec NewDesignation) Row(p core.Principal, id string, now time.Time) *ent.Designation {
	d := &ent.Designation{
		ID: id, Type: rec.Typ.Code, Level: rec.Level, Status: string(StatusActive),
		ValidFrom: rec.From, ValidUntil: rec.Until, GrantedByBureau: rec.Bureau, GrantedBySubject: p.Subject,
		GrantedByOrg: rec.ActingOrg, DocumentNumber: rec.Doc, Note: rec.Note, SeedClause: rec.Typ.SeedClause,
		Version: 1, CreatedAt: now, UpdatedAt: now,
	}
	switch {
	case rec.Enterprise != nil:
		d.EnterpriseID = &rec.Enterprise.ID
		d.Edges.Enterprise = rec.Enterprise
	case rec.Talent != nil:
		d.TalentID = &rec.Talent.ID
		d.Edges.Talent = rec.Talent
	default:
		d.ParkCode = &rec.ParkCode
	}
	if rec.AuthorizationID != "" {
		d.AuthorizationID, d.StandingAuthorizationID = &rec.AuthorizationID, &rec.AuthorizationID
	}
	if rec.AwardID != "" {
		d.AwardID = &rec.AwardID
	}
	return d
}

func LoadDesignation(ctx context.Context, db *ent.Client, id string) (*ent.Designation, error) {
	d, err := db.Designation.Query().Where(designation.ID(id)).
		WithEnterprise().WithTalent(func(q *ent.TalentQuery) { q.WithEmployer() }).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, core.NotFound("designation %s does not exist", id)
	}
	return d, err
}

// LoadDesignationFor loads a designation for p. A missing one is reported
// as not found only to principals who may read every designation; others
// are refused whether or not it exists, as they would be for one they do
// not own, so they cannot probe which ids exist.
func (r *Designations) LoadDesignationFor(ctx context.Context, db *ent.Client, p core.Principal, id string) (*ent.Designation, error) {
	d, err := LoadDesignation(ctx, db, id)
	if core.KindOf(err) == core.KindNotFound {
		return nil, r.MissingFor(p, authz.DesignationObject("*"), err)
	}
	return d, err
}

// GetDesignation returns one designation to those who may read it, as
// it stands today (GetDesignationAt with the zero At).
func (r *Designations) GetDesignation(ctx context.Context, id string) (Designation, error) {
	return r.GetDesignationAt(ctx, id, At{})
}

// AllowedActions answers, for each action, whether the caller may take it
// on designation id, reading the designation once and only for a caller
// who may read it: what a page needs to offer only the forms the caller
// may use. The registry still decides each action when it is taken.
func (r *Designations) AllowedActions(ctx context.Context, id string, actions ...string) (map[string]bool, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := core.RequireID("id", id); err != nil {
		return nil, err
	}
	d, err := r.LoadDesignationFor(ctx, r.DB, p, id)
	if err != nil {
		return nil, err
	}
	object, owners := authz.DesignationObject(d.Type), DesignationOwners(d)
	if err := r.Authorize(p, object, authz.ActRead, owners...); err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(actions))
	for _, action := range actions {
		dec, err := r.Decide(p, object, action, owners...)
		if err != nil {
			return nil, err
		}
		out[action] = dec.Allowed
	}
	return out, nil
}

// DesignationFilter selects designations; zero fields match everything.
type DesignationFilter struct {
	EnterpriseCreditCode string
	TalentID             string
	Type                 string
	Status               Status
	// AsOf (YYYY-MM-DD) keeps designations valid on that date.
	AsOf string
	// KnownAt, when not zero, lists what the registry had recorded at that
	// instant, each designation as it stood then, as the registry would
	// have listed it then: the other filters, Status and AsOf included,
	// apply to that record, with expiry against KnownAt's date (see At,
	// and EarliestKnownAt).
	KnownAt   time.Time
	PageSize  int
	PageToken string
}

// ListDesignations pages through designations by id (which follows grant
// time). Enterprise members see only designations they own. With KnownAt
// a page costs two queries more than without, whatever its size.
func (r *Designations) ListDesignations(ctx context.Context, f DesignationFilter) ([]Designation, string, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return nil, "", err
	}
	v := &core.Violations{}
	object := authz.DesignationObject("*")
	if typ, ok := DesignationType(v, "type", f.Type, false); ok {
		object = authz.DesignationObject(typ.Code)
	}
	size := core.PageSize(v, f.PageSize)
	after := core.DecodePageToken(r.Secrets, v, f.PageToken)
	code := core.CreditCode(v, "enterprise_credit_code", f.EnterpriseCreditCode, false)
	asOf := core.ParseDate(v, "as_of", f.AsOf, false)
	checkKnownAt(v, f.KnownAt)
	ValidateStatusFilter(v, f.Status)
	core.CheckID(v, "talent_id", f.TalentID, false)
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	all, err := r.ReadScope(p, object)
	if err != nil {
		return nil, "", err
	}
	q := r.DB.Designation.Query().Where(designation.IDGT(after))
	if !all {
		own, _ := p.OrgCode("enterprise")
		if code != "" && code != own {
			return nil, "", core.PermissionDenied("%s may read only its own designations", p)
		}
		q = q.Where(OwnedByMember(own))
	}
	if code != "" {
		q = q.Where(HeldByEnterprise(code))
	}
	if f.TalentID != "" {
		q = q.Where(designation.TalentID(f.TalentID))
	}
	if f.Type != "" {
		q = q.Where(designation.Type(f.Type))
	}
	known := r.knownAt(f.KnownAt)
	today := r.todayAt(known)
	if known.IsZero() {
		q = q.Where(StatusIs(f.Status, today))
		if asOf != "" {
			q = q.Where(designation.ValidFromLTE(asOf), designation.ValidUntilGTE(asOf), ActiveOn(asOf))
		}
	} else {
		q = q.Where(designation.CreatedAtLTE(known))
		if f.Status != "" {
			q = q.Where(recordedStatusIs(f.Status, today, known))
		}
		if asOf != "" {
			q = q.Where(validOnAsKnown(asOf, known))
		}
	}
	rows, err := q.WithEnterprise().Order(ent.Asc(designation.FieldID)).Limit(size + 1).All(ctx)
	if err != nil {
		return nil, "", err
	}
	rows, next := core.TrimPage(r.Secrets, rows, size, func(d *ent.Designation) string { return d.ID })
	rec := record{}
	if !known.IsZero() {
		if rec, err = loadRecord(ctx, r.DB, rows, known); err != nil {
			return nil, "", err
		}
	}
	out := make([]Designation, len(rows))
	for i, d := range rows {
		out[i] = DesignationOf(rec.stood(d), today)
	}
	return out, next, nil
}

// HeldByEnterprise keeps the designations the enterprise with credit code
// holds itself: an index range on enterprise_id.
func HeldByEnterprise(code string) predicate.Designation {
	return func(s *entsql.Selector) {
		s.Where(core.IsEnterprise(s.C(designation.FieldEnterpriseID), code))
	}
}

// OwnedByMember keeps the designations a member of the enterprise with
// credit code may read as its own: those it holds and those its employees
// hold. Both halves are index lookups (enterprise_id, and talent_id of the
// employees), so the cost follows the enterprise's own rows.
func OwnedByMember(code string) predicate.Designation {
	return func(s *entsql.Selector) {
		s.Where(entsql.Or(
			core.IsEnterprise(s.C(designation.FieldEnterpriseID), code),
			core.IsEmployeeOf(s.C(designation.FieldTalentID), code),
		))
	}
}

// ActiveOn keeps designations whose last status change taking effect on or
// before date left them active (or that never changed status).
func ActiveOn(date string) predicate.Designation {
	return func(s *entsql.Selector) {
		s.Where(entsql.P(func(b *entsql.Builder) {
			writeStatusAt(b, s, date, time.Time{})
			b.WriteString(" = ").Arg(string(StatusActive))
		}))
	}
}

func ValidateStatusFilter(v *core.Violations, s Status) {
	switch s {
	case "", StatusActive, StatusSuspended, StatusRevoked, StatusExpired:
	default:
		v.Add("status", "must be active, suspended, revoked or expired")
	}
}

// StatusIs selects designations whose status, with expiry derived against
// today, is s; an empty s selects all.
func StatusIs(s Status, today string) predicate.Designation {
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

// Columns are the columns of a stored designation, in the order of
// Values: the raw inserts (InsertDesignation, the import's COPY) write
// all of them.
var Columns = []string{"id", "type", "enterprise_id", "talent_id", "park_code", "level", "status",
	"valid_from", "valid_until", "granted_by_bureau", "granted_by_subject", "granted_by_org",
	"authorization_id", "standing_authorization_id", "award_id", "document_number", "note", "seed_clause",
	"status_reason", "version", "created_at", "updated_at"}

// Values is d's row as Columns name them.
func Values(d *ent.Designation) []any {
	return []any{d.ID, d.Type, nullable(d.EnterpriseID), nullable(d.TalentID), nullable(d.ParkCode), d.Level, d.Status,
		d.ValidFrom, d.ValidUntil, d.GrantedByBureau, d.GrantedBySubject, d.GrantedByOrg,
		nullable(d.AuthorizationID), nullable(d.StandingAuthorizationID), nullable(d.AwardID), d.DocumentNumber, d.Note, d.SeedClause,
		d.StatusReason, d.Version, d.CreatedAt, d.UpdatedAt}
}

// nullable is *p, or nil (NULL) for a nil p.
func nullable[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
