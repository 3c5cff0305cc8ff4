package change

import (
	"context"
	"math"
	"sync"

	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/auditevent"
	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// Changes serves the change feed. Its limits are set once, before the
// first watch; zero values take the defaults.
type Changes struct {
	*core.Core
	// WatchBuffer bounds how many changes wait for each live watcher;
	// DefaultWatchBuffer when 0.
	WatchBuffer int
	// MaxWatchers bounds the watches open at once in this process, and
	// MaxWatchersPerPrincipal those of one principal;
	// DefaultMaxWatchers and DefaultMaxWatchersPerPrincipal when 0.
	MaxWatchers, MaxWatchersPerPrincipal int

	mu       sync.Mutex // guards what follows
	notifier *notifier
	hub      *hub
	closed   bool // no more watches (EndWatches)
	stopped  bool // no more notifications (Stop)
}

// ChangesFor returns up to limit changes with a sequence greater than
// after that p may read, of the entity types given (every type when
// empty), in sequence order. What p may read is its read scope on each
// entity type, as the programmes' Get and List calls decide it: all
// records, its own organisation's (the event's owner), or none;
// designations per designation type. Tokens, sessions, keys and other
// events that are not of business records never appear. Nothing visible
// is an empty result, not an error; an unknown entity type is an invalid
// argument naming entity_types. limit is at most core.MaxPageSize;
// DefaultPageSize when not positive.
func (c *Changes) ChangesFor(ctx context.Context, p core.Principal, after int64, types []string, limit int) ([]Change, error) {
	v := &core.Violations{}
	types = ValidateEntityTypes(v, "entity_types", types)
	if err := v.Err(); err != nil {
		return nil, err
	}
	s, err := scopeOf(c.Core, p, types)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = core.DefaultPageSize
	}
	return c.read(ctx, s, after, math.MaxInt64, min(limit, core.MaxPageSize))
}

// read returns up to limit changes visible in s with a sequence in
// (after, upTo], in sequence order. It reads the events the database can
// select for s, in batches, and keeps those s allows, until it has limit
// or the range is read.
func (c *Changes) read(ctx context.Context, s *scope, after, upTo int64, limit int) ([]Change, error) {
	if s.empty() || after >= upTo {
		return nil, nil
	}
	batch := limit + 1
	var out []Change
	for {
		rows, err := c.DB.AuditEvent.Query().
			Where(auditevent.IDGT(after), auditevent.IDLTE(upTo), s.predicate()).
			Order(ent.Asc(auditevent.FieldID)).Limit(batch).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, e := range rows {
			ch, err := changeOf(e)
			if err != nil {
				return nil, err
			}
			if s.allows(&ch) {
				out = append(out, ch)
				if len(out) == limit {
					return out, nil
				}
			}
			after = e.ID
		}
		if len(rows) < batch {
			return out, nil
		}
	}
}

// ChangeQuery asks for a page of the feed.
type ChangeQuery struct {
	// AfterCursor is the cursor of the last change received; empty starts
	// at the first change.
	AfterCursor string
	// EntityTypes keeps only changes of these types; empty keeps all.
	EntityTypes []string
	PageSize    int
}

// ListChanges returns a page of the changes after q.AfterCursor that the
// caller may read (see ChangesFor), and the cursor to pass next: the last
// change's, or q.AfterCursor itself when there was none. A caller that
// may read nothing of any entity type asked for is refused.
func (c *Changes) ListChanges(ctx context.Context, q ChangeQuery) ([]Change, string, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return nil, "", err
	}
	v := &core.Violations{}
	after := ParseCursor(v, "after_cursor", q.AfterCursor)
	types := ValidateEntityTypes(v, "entity_types", q.EntityTypes)
	size := core.PageSize(v, q.PageSize)
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	s, err := c.scopeFor(p, types)
	if err != nil {
		return nil, "", err
	}
	out, err := c.read(ctx, s, after, math.MaxInt64, size)
	if err != nil {
		return nil, "", err
	}
	next := q.AfterCursor
	if len(out) > 0 {
		next = out[len(out)-1].Cursor()
	}
	return out, next, nil
}

// scopeFor is p's scope on types, refused when it is empty.
func (c *Changes) scopeFor(p core.Principal, types []string) (*scope, error) {
	s, err := scopeOf(c.Core, p, types)
	if err != nil {
		return nil, err
	}
	if s.empty() {
		return nil, core.PermissionDenied("%s may read no changes of the entity types asked for", p)
	}
	return s, nil
}

// MayRead refuses, as permission denied, a principal that may read no
// changes of types (empty is every type); an unknown type is an invalid
// argument naming field. It decides from the policy alone, before any
// database work: the check a subscription to the feed is made with.
func (c *Changes) MayRead(p core.Principal, field string, types []string) error {
	v := &core.Violations{}
	types = ValidateEntityTypes(v, field, types)
	if err := v.Err(); err != nil {
		return err
	}
	_, err := c.scopeFor(p, types)
	return err
}

// Next returns the first change with a sequence in (after, upTo] that p
// may read now, of types (every type when empty), or nil when there is
// none: the next change a subscription of p's delivers. Types must have
// been validated (MayRead) when the subscription was made.
func (c *Changes) Next(ctx context.Context, p core.Principal, after, upTo int64, types []string) (*Change, error) {
	if len(types) == 0 {
		types = EntityTypes()
	}
	s, err := scopeOf(c.Core, p, types)
	if err != nil {
		return nil, err
	}
	out, err := c.read(ctx, s, after, upTo, 1)
	if err != nil || len(out) == 0 {
		return nil, err
	}
	return &out[0], nil
}

// Head is the sequence of the last change committed (the audit chain's
// head): no change after it exists yet.
func (c *Changes) Head(ctx context.Context) (int64, error) {
	h, err := c.DB.AuditHead.Get(ctx, core.AuditHeadID)
	if err != nil {
		return 0, err
	}
	return h.Seq, nil
}
