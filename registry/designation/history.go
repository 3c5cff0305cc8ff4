package designation

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/auditevent"
	"github.com/hangzhou-ai/registry/ent/designation"
	"github.com/hangzhou-ai/registry/ent/predicate"
	"github.com/hangzhou-ai/registry/ent/statuschange"
	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// At says what a read of designations answers about. The zero At answers
// from everything recorded, for today.
type At struct {
	// AsOf (YYYY-MM-DD), when set, answers a designation's status on that
	// date: the status change in effect then (active when none) and
	// expired when the date is outside its validity.
	AsOf string
	// KnownAt, when not zero, answers from what the registry had recorded
	// at that instant, as it would have answered then ("today" is its
	// date in China Standard Time): a designation granted later is not
	// found, and one suspended, reinstated, revoked or renewed later
	// answers as it stood. A status change recorded after KnownAt does not
	// count, even for an AsOf it took effect before. A KnownAt that has
	// not yet come answers as now; one before EarliestKnownAt is an
	// invalid argument naming known_at.
	KnownAt time.Time
}

// EarliestKnownAt is the earliest instant a read may be known at: the
// dates the registry takes start in 1900 too (see core.ParseDate).
var EarliestKnownAt = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)

// checkKnownAt refuses a known_at before EarliestKnownAt (the zero time
// is none given).
func checkKnownAt(v *core.Violations, t time.Time) {
	if !t.IsZero() && t.Before(EarliestKnownAt) {
		v.Add("known_at", "must be an instant from "+EarliestKnownAt.Format(time.RFC3339)+" on")
	}
}

// entityType is the entity type of designations' audit events.
const entityType = "designation"

// knownAt is t as an instant of the past, at the microsecond the
// registry stores times at; the zero time, meaning "everything recorded",
// for a zero t or one that has not yet come.
func (r *Designations) knownAt(t time.Time) time.Time {
	now := r.Now()
	if t.IsZero() || !t.Before(now) {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// todayAt is the date reads known at known answer for: known's date, or
// today for the zero known.
func (r *Designations) todayAt(known time.Time) string {
	if known.IsZero() {
		return r.Today()
	}
	return core.DateOf(known)
}

// GetDesignationAt returns one designation to those who may read it, as
// at says: on a date, as recorded at an instant, or both. Who may read it
// is decided on the designation as it is now, before anything of its
// history is read; one not yet granted at at.KnownAt is then not found.
func (r *Designations) GetDesignationAt(ctx context.Context, id string, at At) (Designation, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return Designation{}, err
	}
	v := &core.Violations{}
	core.CheckID(v, "id", id, true)
	asOf := core.ParseDate(v, "as_of", at.AsOf, false)
	checkKnownAt(v, at.KnownAt)
	if err := v.Err(); err != nil {
		return Designation{}, err
	}
	d, err := r.LoadDesignationFor(ctx, r.DB, p, id)
	if err != nil {
		return Designation{}, err
	}
	if err := r.Authorize(p, authz.DesignationObject(d.Type), authz.ActRead, DesignationOwners(d)...); err != nil {
		return Designation{}, err
	}
	known := r.knownAt(at.KnownAt)
	if known.IsZero() && asOf == "" {
		return DesignationOf(d, r.Today()), nil
	}
	if !known.IsZero() && d.CreatedAt.After(known) {
		return Designation{}, core.NotFound("designation %s was not yet recorded at %s", id, known.Format(time.RFC3339))
	}
	rec, err := loadRecord(ctx, r.DB, []*ent.Designation{d}, known)
	if err != nil {
		return Designation{}, err
	}
	return rec.designation(d, r.todayAt(known), asOf), nil
}

// record is what the registry had recorded about some designations at an
// instant, read from their status history and their audit events.
type record struct {
	known time.Time // the zero time: everything recorded
	// changes are each designation's status changes recorded by known, in
	// the order they take effect (effective_on, then id).
	changes map[string][]*ent.StatusChange
	// before is, for each designation changed after known, the
	// designation as it stood before its first change after known: the
	// Before of that change's audit event (see mutateDesignation).
	before map[string]Designation
}

// loadRecord reads what was recorded by known (the zero time: by now) of
// ds with at most two queries, however many they are: their status
// changes, and when known is set the first audit event after known of
// each, whose Before is how it stood at known.
func loadRecord(ctx context.Context, db *ent.Client, ds []*ent.Designation, known time.Time) (record, error) {
	rec := record{known: known, changes: map[string][]*ent.StatusChange{}, before: map[string]Designation{}}
	if len(ds) == 0 {
		return rec, nil
	}
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	q := db.StatusChange.Query().Where(statuschange.DesignationIDIn(ids...))
	if !known.IsZero() {
		q = q.Where(statuschange.RecordedAtLTE(known))
	}
	changes, err := q.Order(ent.Asc(statuschange.FieldEffectiveOn), ent.Asc(statuschange.FieldID)).All(ctx)
	if err != nil {
		return record{}, err
	}
	for _, c := range changes {
		rec.changes[c.DesignationID] = append(rec.changes[c.DesignationID], c)
	}
	if known.IsZero() {
		return rec, nil
	}
	events, err := db.AuditEvent.Query().Where(firstChangeAfter(ids, known)).
		Select(auditevent.FieldEntityID, auditevent.FieldBefore).All(ctx)
	if err != nil {
		return record{}, err
	}
	for _, e := range events {
		var b Designation
		if err := json.Unmarshal([]byte(e.Before), &b); err != nil {
			return record{}, fmt.Errorf("audit event %d of designation %s: %w", e.ID, e.EntityID, err)
		}
		rec.before[e.EntityID] = b
	}
	return rec, nil
}

// firstChangeAfter keeps, of each designation in ids, its first audit
// event after known that changed it (one with a Before).
func firstChangeAfter(ids []string, known time.Time) predicate.AuditEvent {
	return func(s *entsql.Selector) {
		t := entsql.Table(auditevent.Table).As("first_change")
		anyIDs := make([]any, len(ids))
		for i, id := range ids {
			anyIDs[i] = id
		}
		s.Where(entsql.In(s.C(auditevent.FieldID),
			entsql.Select(entsql.Min(t.C(auditevent.FieldID))).From(t).Where(entsql.And(
				entsql.EQ(t.C(auditevent.FieldEntityType), entityType),
				entsql.In(t.C(auditevent.FieldEntityID), anyIDs...),
				entsql.NEQ(t.C(auditevent.FieldBefore), ""),
				entsql.GT(t.C(auditevent.FieldOccurredAt), known),
			)).GroupBy(t.C(auditevent.FieldEntityID))))
	}
}

// stood is d as it stood at rec.known: its status and reason from the
// last status change recorded by then (active and none without one), its
// validity, document, version and update time from before its first
// change after then. Without a known instant it is d.
func (rec record) stood(d *ent.Designation) *ent.Designation {
	if rec.known.IsZero() {
		return d
	}
	s := *d
	if b, ok := rec.before[d.ID]; ok {
		s.ValidUntil, s.DocumentNumber, s.Version, s.UpdatedAt = b.ValidUntil, b.DocumentNumber, b.Version, b.UpdatedAt
	}
	s.Status, s.StatusReason = string(StatusActive), ""
	if c := rec.last(d.ID, ""); c != nil {
		s.Status, s.StatusReason = c.Status, c.Reason
	}
	return &s
}

// last is the last of designation id's recorded status changes in effect
// on date (any date when empty), or nil.
func (rec record) last(id, date string) *ent.StatusChange {
	var out *ent.StatusChange
	for _, c := range rec.changes[id] {
		if date == "" || c.EffectiveOn <= date {
			out = c
		}
	}
	return out
}

// designation is d as it stood at rec.known, with expiry derived against
// today; with asOf, its status and reason are those on asOf instead.
func (rec record) designation(d *ent.Designation, today, asOf string) Designation {
	s := rec.stood(d)
	out := DesignationOf(s, today)
	if asOf != "" {
		out.Status, out.StatusReason = StatusActive, ""
		if c := rec.last(d.ID, asOf); c != nil {
			out.Status, out.StatusReason = Status(c.Status), c.Reason
		}
		if out.Status == StatusActive && (asOf < s.ValidFrom || asOf > s.ValidUntil) {
			out.Status = StatusExpired
		}
	}
	return out
}

// recordedStatusIs is StatusIs for designations as recorded at known:
// their status from the status changes recorded by then, their expiry
// from their valid_until then against today (known's date).
func recordedStatusIs(s Status, today string, known time.Time) predicate.Designation {
	return func(sel *entsql.Selector) {
		sel.Where(entsql.P(func(b *entsql.Builder) {
			b.WriteString("(")
			writeStatusAt(b, sel, "", known)
			switch s {
			case StatusActive, StatusExpired:
				b.WriteString(" = ").Arg(string(StatusActive)).WriteString(" AND ")
				writeValidUntilAt(b, sel, known)
				if s == StatusActive {
					b.WriteString(" >= ")
				} else {
					b.WriteString(" < ")
				}
				b.Arg(today)
			default:
				b.WriteString(" = ").Arg(string(s))
			}
			b.WriteString(")")
		}))
	}
}

// validOnAsKnown keeps the designations valid on date as recorded at
// known: within their validity then, and left active on date by the last
// status change recorded by known that took effect by date.
func validOnAsKnown(date string, known time.Time) predicate.Designation {
	return func(s *entsql.Selector) {
		s.Where(entsql.P(func(b *entsql.Builder) {
			b.WriteString("(").WriteString(s.C(designation.FieldValidFrom)).WriteString(" <= ").Arg(date).WriteString(" AND ")
			writeValidUntilAt(b, s, known)
			b.WriteString(" >= ").Arg(date).WriteString(" AND ")
			writeStatusAt(b, s, date, known)
			b.WriteString(" = ").Arg(string(StatusActive)).WriteString(")")
		}))
	}
}

// writeStatusAt writes the status of the designation s selects: that of
// its last status change recorded by known (the zero time: ever) and in
// effect on date (empty: any date), or active when there is none.
func writeStatusAt(b *entsql.Builder, s *entsql.Selector, date string, known time.Time) {
	b.WriteString("COALESCE((SELECT sc.").Ident(statuschange.FieldStatus).
		WriteString(" FROM ").Ident(statuschange.Table).WriteString(" AS sc WHERE sc.").
		Ident(statuschange.FieldDesignationID).WriteString(" = ").WriteString(s.C(designation.FieldID))
	if date != "" {
		b.WriteString(" AND sc.").Ident(statuschange.FieldEffectiveOn).WriteString(" <= ").Arg(date)
	}
	if !known.IsZero() {
		b.WriteString(" AND sc.").Ident(statuschange.FieldRecordedAt).WriteString(" <= ").Arg(known)
	}
	b.WriteString(" ORDER BY sc.").Ident(statuschange.FieldEffectiveOn).WriteString(" DESC, sc.").
		Ident(statuschange.FieldID).WriteString(" DESC LIMIT 1), ").Arg(string(StatusActive)).WriteString(")")
}

// writeValidUntilAt writes the valid_until of the designation s selects
// as it stood at known: from the Before of its first change after known
// (the query firstChangeAfter reads), or its valid_until now when it has
// not changed since.
func writeValidUntilAt(b *entsql.Builder, s *entsql.Selector, known time.Time) {
	b.WriteString("COALESCE((SELECT ")
	if b.Dialect() == dialect.Postgres {
		b.WriteString("CAST(ae.").Ident(auditevent.FieldBefore).WriteString(" AS jsonb) ->> 'valid_until'")
	} else {
		b.WriteString("json_extract(ae.").Ident(auditevent.FieldBefore).WriteString(", '$.valid_until')")
	}
	b.WriteString(" FROM ").Ident(auditevent.Table).WriteString(" AS ae WHERE ae.").
		Ident(auditevent.FieldEntityType).WriteString(" = ").Arg(entityType).
		WriteString(" AND ae.").Ident(auditevent.FieldEntityID).WriteString(" = ").WriteString(s.C(designation.FieldID)).
		WriteString(" AND ae.").Ident(auditevent.FieldBefore).WriteString(" <> ").Arg("").
		WriteString(" AND ae.").Ident(auditevent.FieldOccurredAt).WriteString(" > ").Arg(known).
		WriteString(" ORDER BY ae.").Ident(auditevent.FieldID).WriteString(" LIMIT 1), ").
		WriteString(s.C(designation.FieldValidUntil)).WriteString(")")
}
