package rpc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"connectrpc.com/connect/v2"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/change"
	"github.com/hangzhou-ai/registry/registry/competition"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/park"
	"github.com/hangzhou-ai/registry/registry/talent"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/gen/registry/v1/registryv1connect"
)

type changeService struct {
	registryv1connect.UnimplementedChangeServiceHandler
	reg    *registry.Registry
	o      *options
	limits WatchLimits
}

// WatchLimits bound ChangeService.WatchChanges streams, which stay open
// and so escape Limits.MaxCallDuration and the server's timeouts. The
// buffer of each watch and how many may be open are the registry's
// (change.Changes).
type WatchLimits struct {
	// SendTimeout ends a stream whose client takes no change for that
	// long (it has stopped reading); 0 means no limit.
	SendTimeout time.Duration
	// Recheck is how often a stream's token is checked again: a revoked
	// or expired token ends it with unauthenticated. 0 means every
	// second.
	Recheck time.Duration
}

// DefaultWatchLimits apply without WithWatchLimits.
var DefaultWatchLimits = WatchLimits{SendTimeout: 30 * time.Second, Recheck: time.Second}

// WithWatchLimits replaces DefaultWatchLimits.
func WithWatchLimits(l WatchLimits) Option {
	return func(o *options) { o.watches = l }
}

func (s *changeService) ListChanges(ctx context.Context, req *registryv1.ListChangesRequest) (*registryv1.ListChangesResponse, error) {
	changes, next, err := s.reg.ListChanges(ctx, change.ChangeQuery{AfterCursor: req.AfterCursor, EntityTypes: req.EntityTypes, PageSize: int(req.PageSize)})
	if err != nil {
		return nil, err
	}
	out := &registryv1.ListChangesResponse{NextCursor: next}
	for _, c := range changes {
		m, err := toChange(c)
		if err != nil {
			return nil, err
		}
		out.Changes = append(out.Changes, m)
	}
	return out, nil
}

// WatchChanges relays one watch: the registry decides what the caller
// sees and when it falls too far behind; the stream ends as well when the
// caller's token stops authenticating, when the client takes no change
// for the send timeout, and when the server shuts down.
func (s *changeService) WatchChanges(ctx context.Context, req *registryv1.WatchChangesRequest, stream registryv1connect.ChangeServiceWatchChangesServerStream) error {
	w, err := s.reg.WatchChanges(ctx, change.WatchQuery{AfterCursor: req.AfterCursor, EntityTypes: req.EntityTypes})
	if err != nil {
		return err
	}
	defer w.Close()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go s.recheckToken(ctx, cancel)
	send := sendWithin(ctx, s.limits.SendTimeout, stream.Send)
	if err := stream.SendHeaders(); err != nil {
		return err
	}
	last := req.AfterCursor // the cursor the client last received
	if last == "" {
		last = "0"
	}
	for {
		c, err := w.Next(ctx)
		if err != nil {
			if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
				return cause
			}
			return err
		}
		m, err := toChange(c)
		if err != nil {
			return err
		}
		if err := send(&registryv1.WatchChangesResponse{Change: m}); err != nil {
			if connect.CodeOf(err) == connect.CodeDeadlineExceeded {
				return connect.NewError(connect.CodeDeadlineExceeded,
					fmt.Sprintf("the watch took no change for %s and was ended; resume after cursor %s", s.limits.SendTimeout, last))
			}
			return err
		}
		last = c.Cursor()
	}
}

// recheckToken authenticates the stream's bearer token again every
// Recheck until ctx ends, and ends the stream (cancel) once it no longer
// does. Token checks are cached and dropped as tokens change, so a check
// costs a read at most once per core.MaxStaleness.
func (s *changeService) recheckToken(ctx context.Context, cancel context.CancelCauseFunc) {
	info, ok := connect.CallInfoForServerContext(ctx)
	if !ok || info == nil {
		return
	}
	raw, ok := strings.CutPrefix(info.RequestHeader().Get("Authorization"), "Bearer ")
	if !ok {
		return
	}
	raw = strings.TrimSpace(raw)
	every := s.limits.Recheck
	if every <= 0 {
		every = time.Second
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		var refusal string
		_, err := s.o.authenticate(ctx, s.reg, raw, &refusal)
		if registry.KindOf(err) == registry.KindUnauthenticated || connect.CodeOf(err) == connect.CodeUnauthenticated {
			cancel(connect.NewError(connect.CodeUnauthenticated, "the stream's token no longer authenticates (revoked or expired); the watch ended"))
			return
		}
	}
}

// toChange converts a change, its entity by the converters the other
// services answer with.
func toChange(c change.Change) (*registryv1.Change, error) {
	out := &registryv1.Change{
		Cursor: c.Cursor(), Id: c.ID(), OccurredAt: timestamp(c.OccurredAt), Action: c.Action,
		EntityType: c.EntityType, EntityId: c.EntityID, ActorOrg: c.ActorOrg,
	}
	switch a := c.After.(type) {
	case nil:
	case enterprise.Enterprise:
		out.After = &registryv1.ChangedEntity{Entity: &registryv1.ChangedEntity_Enterprise{Enterprise: toEnterprise(a)}}
	case talent.Talent:
		out.After = &registryv1.ChangedEntity{Entity: &registryv1.ChangedEntity_Talent{Talent: toTalent(a)}}
	case designation.Designation:
		out.After = &registryv1.ChangedEntity{Entity: &registryv1.ChangedEntity_Designation{Designation: toDesignation(a)}}
	case competition.Competition:
		out.After = &registryv1.ChangedEntity{Entity: &registryv1.ChangedEntity_Competition{Competition: toCompetition(a)}}
	case competition.Award:
		out.After = &registryv1.ChangedEntity{Entity: &registryv1.ChangedEntity_Award{Award: toAward(a)}}
	case park.Park:
		out.After = &registryv1.ChangedEntity{Entity: &registryv1.ChangedEntity_Park{Park: toPark(a)}}
	case park.Tenancy:
		out.After = &registryv1.ChangedEntity{Entity: &registryv1.ChangedEntity_Tenancy{Tenancy: toTenancy(a)}}
	case park.EligibilityRule:
		out.After = &registryv1.ChangedEntity{Entity: &registryv1.ChangedEntity_EligibilityRule{EligibilityRule: toRule(a)}}
	default:
		return nil, fmt.Errorf("change %d: no message for %T", c.Seq, c.After)
	}
	return out, nil
}

// ChangeJSON is c as the registry.v1.Change message in the JSON the
// server's Connect JSON codec writes (every field present, lowerCamelCase
// names), in its stable form: the same change always gives the same
// bytes, so a body can be signed and checked.
func ChangeJSON(c change.Change) ([]byte, error) {
	m, err := toChange(c)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := newJSONCodec().MarshalWriteStable(context.Background(), &b, m); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
