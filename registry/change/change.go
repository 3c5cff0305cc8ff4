package change

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/registry/catalog"
	"github.com/hangzhou-ai/registry/registry/competition"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/internal/core"
	"github.com/hangzhou-ai/registry/registry/park"
	"github.com/hangzhou-ai/registry/registry/talent"
)

// Change is one committed change as a principal may see it.
type Change struct {
	Seq        int64 // the cursor: the audit sequence
	OccurredAt time.Time
	Action     string
	EntityType string
	EntityID   string
	ActorOrg   string
	// After is the entity as the change left it: one of
	// enterprise.Enterprise, talent.Talent, designation.Designation,
	// competition.Competition, competition.Award, park.Park, park.Tenancy,
	// park.EligibilityRule; nil when none. A talent carries only its
	// masked document number.
	After any

	// owner is the organisation among whose own records the entity is
	// (the audit event's owner_org); designationType is a designation's
	// type. Both decide who may see the change (see scope.allows).
	owner           string
	designationType string
}

// ID is the change's stable identifier: "chg_" and its sequence.
func (c Change) ID() string { return "chg_" + strconv.FormatInt(c.Seq, 10) }

// Cursor is the change's cursor, its sequence in decimal: the changes
// after it are those with a greater sequence.
func (c Change) Cursor() string { return strconv.FormatInt(c.Seq, 10) }

// ParseCursor reads a cursor given in field: "" is the start of the feed
// (0); anything but a cursor this registry returned adds a violation on
// field.
func ParseCursor(v *core.Violations, field, s string) int64 {
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != s {
		v.Add(field, "is not a cursor of this registry's change feed (a change's cursor, or empty for the first change)")
		return 0
	}
	return n
}

// Entity types of the feed (core.ChangeEntityTypes).
const (
	TypeEnterprise      = "enterprise"
	TypeTalent          = "talent"
	TypeDesignation     = "designation"
	TypeCompetition     = "competition"
	TypeAward           = "award"
	TypePark            = "park"
	TypeTenancy         = "tenancy"
	TypeEligibilityRule = "eligibility-rule"
)

// EntityTypes are the entity types whose changes the feed carries.
func EntityTypes() []string { return append([]string(nil), core.ChangeEntityTypes...) }

// changeOf reads an audit event of a business record as a change.
func changeOf(e *ent.AuditEvent) (Change, error) {
	c := Change{
		Seq: e.ID, OccurredAt: e.OccurredAt.UTC(), Action: e.Action, EntityType: e.EntityType,
		EntityID: e.EntityID, ActorOrg: e.ActorOrg, owner: e.OwnerOrg,
	}
	after, err := decodeAfter(e.EntityType, e.After)
	if err != nil {
		return Change{}, fmt.Errorf("change %d: %s's after: %w", e.ID, e.EntityType, err)
	}
	if d, ok := after.(designation.Designation); ok {
		// A talent authorization's issue records the authorization, whose
		// JSON shares the designation's names but not its type.
		if d.Type == "" {
			if typ, _, _ := strings.Cut(e.Action, "."); catalog.DesignationTypesByCode[typ].Code != "" {
				d.Type = typ
			}
		}
		c.designationType = d.Type
		after = d
	}
	c.After = after
	return c, nil
}

// decodeAfter decodes an event's after JSON into the domain type of its
// entity type; an empty after is nil.
func decodeAfter(entityType, text string) (any, error) {
	if text == "" {
		return nil, nil
	}
	switch entityType {
	case TypeEnterprise:
		return decode[enterprise.Enterprise](text)
	case TypeTalent:
		return decode[talent.Talent](text)
	case TypeDesignation:
		return decode[designation.Designation](text)
	case TypeCompetition:
		return decode[competition.Competition](text)
	case TypeAward:
		return decode[competition.Award](text)
	case TypePark:
		return decode[park.Park](text)
	case TypeTenancy:
		return decode[park.Tenancy](text)
	case TypeEligibilityRule:
		return decode[park.EligibilityRule](text)
	}
	return nil, fmt.Errorf("entity type %q is not in the change feed", entityType)
}

func decode[T any](text string) (any, error) {
	var v T
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		return nil, err
	}
	return v, nil
}
