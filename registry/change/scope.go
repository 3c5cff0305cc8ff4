package change

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent/auditevent"
	"github.com/hangzhou-ai/registry/ent/predicate"
	"github.com/hangzhou-ai/registry/registry/catalog"
	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// level is how much of a kind of record a principal may read.
type level int

const (
	readNone level = iota
	readOwn        // only its own organisation's (the event's owner_org)
	readAll
)

// objects are the policy objects of the entity types other than
// designations, whose object is per designation type.
var objects = map[string]string{
	TypeEnterprise:      authz.ObjEnterprise,
	TypeTalent:          authz.ObjTalent,
	TypeCompetition:     authz.ObjCompetition,
	TypeAward:           authz.ObjAward,
	TypePark:            authz.ObjPark,
	TypeTenancy:         authz.ObjTenancy,
	TypeEligibilityRule: authz.ObjEligibility,
}

// scope is what one principal may see of the feed, for the entity types it
// asked for: per entity type, and for designations per designation type,
// everything, its own organisation's records, or nothing. It is the read
// scope of the programmes' List calls (core.ReadScope on the same policy
// objects), with "own" meaning the audit event's owner_org, which each
// programme records as the organisation its own-organisation reads
// select by (see core.Change.Owner).
type scope struct {
	org          string
	types        map[string]level // requested entity types but designation
	designations map[string]level // by designation type; nil when designations were not asked for
}

// ValidateEntityTypes checks the entity types asked for in field: every one
// must be a feed's entity type. Empty means every type.
func ValidateEntityTypes(v *core.Violations, field string, types []string) []string {
	if len(types) == 0 {
		return EntityTypes()
	}
	var out []string
	for i, t := range types {
		switch {
		case !slices.Contains(core.ChangeEntityTypes, t):
			v.Add(fmt.Sprintf("%s[%d]", field, i), fmt.Sprintf("unknown entity type %q; give one of %s", t, strings.Join(core.ChangeEntityTypes, ", ")))
		case !slices.Contains(out, t):
			out = append(out, t)
		}
	}
	return out
}

// scopeOf decides, from the policy and before any database work, what p may
// see of types (validated).
func scopeOf(r *core.Core, p core.Principal, types []string) (*scope, error) {
	s := &scope{org: p.Org, types: map[string]level{}}
	for _, t := range types {
		if t == TypeDesignation {
			s.designations = map[string]level{}
			for _, dt := range catalog.DesignationTypes {
				l, err := levelOf(r, p, authz.DesignationObject(dt.Code))
				if err != nil {
					return nil, err
				}
				s.designations[dt.Code] = l
			}
			continue
		}
		l, err := levelOf(r, p, objects[t])
		if err != nil {
			return nil, err
		}
		s.types[t] = l
	}
	return s, nil
}

func levelOf(r *core.Core, p core.Principal, object string) (level, error) {
	all, err := r.ReadScope(p, object)
	switch {
	case core.KindOf(err) == core.KindPermissionDenied:
		return readNone, nil
	case err != nil:
		return readNone, err
	case all:
		return readAll, nil
	}
	return readOwn, nil
}

// empty tells whether the principal may see nothing at all of the feed.
func (s *scope) empty() bool {
	for _, l := range s.types {
		if l != readNone {
			return false
		}
	}
	for _, l := range s.designations {
		if l != readNone {
			return false
		}
	}
	return true
}

// allows tells whether the principal may see c. ChangesFor and the hub
// both decide with it.
func (s *scope) allows(c *Change) bool {
	l := readNone
	if c.EntityType == TypeDesignation {
		l = s.designations[c.designationType]
	} else {
		l = s.types[c.EntityType]
	}
	switch l {
	case readAll:
		return true
	case readOwn:
		return s.org != "" && c.owner == s.org
	}
	return false
}

// designationLevels returns the widest and narrowest level over the
// designation types, and whether any was asked for.
func (s *scope) designationLevels() (widest, narrowest level, asked bool) {
	if s.designations == nil {
		return readNone, readNone, false
	}
	narrowest = readAll
	for _, l := range s.designations {
		widest, narrowest = max(widest, l), min(narrowest, l)
	}
	return widest, narrowest, true
}

// predicate selects, in the database, the events that may be visible: the
// entity types read in full, and those read as one's own with owner_org =
// the principal's organisation (an index range on (owner_org, id)).
// Designations of mixed levels are selected at the widest one and sorted
// out by type in allows.
func (s *scope) predicate() predicate.AuditEvent {
	var all, own []string
	add := func(t string, l level) {
		switch l {
		case readAll:
			all = append(all, t)
		case readOwn:
			if s.org != "" {
				own = append(own, t)
			}
		}
	}
	for _, t := range core.ChangeEntityTypes { // a fixed order, for stable SQL
		if l, ok := s.types[t]; ok {
			add(t, l)
		}
	}
	if widest, _, asked := s.designationLevels(); asked {
		add(TypeDesignation, widest)
	}
	var alts []predicate.AuditEvent
	if len(all) > 0 {
		alts = append(alts, auditevent.EntityTypeIn(all...))
	}
	if len(own) > 0 {
		alts = append(alts, auditevent.And(auditevent.OwnerOrg(s.org), auditevent.EntityTypeIn(own...)))
	}
	switch len(alts) {
	case 0:
		return auditevent.IDLT(0) // nothing
	case 1:
		return alts[0]
	}
	return auditevent.Or(alts...)
}
