package rpc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"connectrpc.com/connect/v2"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/competition"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/imports"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/gen/registry/v1/registryv1connect"
)

type importService struct {
	registryv1connect.UnimplementedImportServiceHandler
	reg    *registry.Registry
	limits ImportLimits
	slots  *imports.Slots
}

func newImportService(reg *registry.Registry, l ImportLimits) *importService {
	s := &importService{reg: reg, limits: l, slots: l.Slots}
	if s.slots == nil {
		s.slots = imports.NewSlots(l.MaxConcurrent)
	}
	return s
}

// received is the outcome of one Receive.
type received[T any] struct {
	msg T
	err error
}

// receiveWithin wraps receive so that each call gives up, with
// deadline_exceeded, when the client sends nothing for idle (or the call
// ends). A receive given up on finishes, with an error, when the handler
// returns and the request body is closed.
func receiveWithin[T any](ctx context.Context, idle time.Duration, receive func() (T, error)) func() (T, error) {
	if idle <= 0 {
		return receive
	}
	return func() (T, error) {
		ch := make(chan received[T], 1)
		go func() {
			msg, err := receive()
			ch <- received[T]{msg, err}
		}()
		timer := time.NewTimer(idle)
		defer timer.Stop()
		select {
		case r := <-ch:
			return r.msg, r.err
		case <-timer.C:
			var zero T
			return zero, connect.NewError(connect.CodeDeadlineExceeded,
				fmt.Sprintf("the import stream sent nothing for %s; it was abandoned and nothing was imported", idle))
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
	}
}

// importRequest is what every import stream's request message has.
type importRequest interface {
	GetOptions() *registryv1.ImportOptions
}

var outcomeToProto = map[imports.ImportOutcome]registryv1.ImportOutcome{
	imports.ImportInProgress: registryv1.ImportOutcome_IMPORT_OUTCOME_IN_PROGRESS,
	imports.ImportCommitted:  registryv1.ImportOutcome_IMPORT_OUTCOME_COMMITTED,
	imports.ImportRolledBack: registryv1.ImportOutcome_IMPORT_OUTCOME_ROLLED_BACK,
	imports.ImportDryRun:     registryv1.ImportOutcome_IMPORT_OUTCOME_DRY_RUN,
}

func toProgress(p imports.ImportProgress) *registryv1.ImportProgress {
	return &registryv1.ImportProgress{
		RowsReceived: p.RowsReceived, Created: p.Created, Existing: p.Existing, Invalid: p.Invalid,
		EnterprisesCreated: p.EnterprisesCreated, Outcome: outcomeToProto[p.Outcome],
		Errors: mapSlice(p.Errors, func(e imports.ImportError) *registryv1.ImportError {
			return &registryv1.ImportError{Row: e.Row, Column: e.Column, Message: e.Message}
		}),
	}
}

// responseControllerKey holds a long stream's *http.ResponseController
// in its context.
type responseControllerKey struct{}

// sendWithin wraps send so that a message the client does not take within
// idle (it has stopped reading) fails, with deadline_exceeded, and ends the
// stream instead of holding its import slot. It needs the stream's
// response controller; without one (in-process calls) send is unchanged.
func sendWithin[T any](ctx context.Context, idle time.Duration, send func(T) error) func(T) error {
	rc, ok := ctx.Value(responseControllerKey{}).(*http.ResponseController)
	if !ok || idle <= 0 {
		return send
	}
	return func(msg T) error {
		deadline := time.Now().Add(idle)
		if rc.SetWriteDeadline(deadline) != nil {
			return send(msg) // the connection cannot time writes
		}
		err := send(msg)
		_ = rc.SetWriteDeadline(time.Time{})
		if err != nil && !time.Now().Before(deadline) {
			return connect.NewError(connect.CodeDeadlineExceeded,
				fmt.Sprintf("the import stream took no answer for %s and was ended (before its outcome, nothing was imported)", idle))
		}
		return err
	}
}

// relayImport drives one import stream. The principal is authorized for
// the kind of import before anything is read, then the stream takes one of
// the server's import slots. The options of the first message begin the
// import, every message's rows go to add (which checks them and keeps them
// aside, touching no database) and are answered with progress, and the end
// of the client's stream finishes the import in one short transaction,
// whose outcome is the last message. A client idle for longer than the
// idle timeout, or anything else that ends the stream early, aborts the
// import, writing nothing.
func relayImport[Req importRequest](ctx context.Context, s *importService, kind imports.ImportKind, receive func() (Req, error),
	send func(*registryv1.ImportProgress) error, add func(*imports.Import, Req) (imports.ImportProgress, error)) error {
	if err := s.reg.AuthorizeImport(ctx, kind); err != nil {
		return err
	}
	p, _ := registry.PrincipalFrom(ctx)
	release, err := s.slots.Acquire(p)
	if err != nil {
		return err
	}
	defer release()
	receive = receiveWithin(ctx, s.limits.IdleTimeout, receive)
	send = sendWithin(ctx, s.limits.IdleTimeout, send)
	req, err := receive()
	if errors.Is(err, io.EOF) {
		return imports.EmptyImportError()
	}
	if err != nil {
		return err
	}
	opts := req.GetOptions()
	im, err := s.reg.BeginImport(ctx, kind, imports.ImportOptions{DryRun: opts.GetDryRun(), SkipInvalid: opts.GetSkipInvalid()})
	if err != nil {
		return err
	}
	defer im.Abort()
	for {
		progress, err := add(im, req)
		if err != nil {
			return err
		}
		if err := send(toProgress(progress)); err != nil {
			return err
		}
		if req, err = receive(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return err
		}
	}
	final, err := im.Finish(ctx, func(p imports.ImportProgress) error { return send(toProgress(p)) })
	if err != nil {
		return err
	}
	// The import is over: free its slot before the outcome reaches the
	// client, so that the client's next import is not refused as one
	// still under way.
	release()
	return send(toProgress(final))
}

func (s *importService) ImportEnterprises(ctx context.Context, stream registryv1connect.ImportServiceImportEnterprisesServerStream) error {
	return relayImport(ctx, s, imports.ImportEnterprises, stream.Receive,
		func(p *registryv1.ImportProgress) error {
			return stream.Send(&registryv1.ImportEnterprisesResponse{Progress: p})
		},
		func(im *imports.Import, req *registryv1.ImportEnterprisesRequest) (imports.ImportProgress, error) {
			return im.Enterprises(ctx, mapSlice(req.Rows, func(r *registryv1.EnterpriseRow) imports.EnterpriseRow {
				return imports.EnterpriseRow{Row: r.Row, NewEnterprise: enterprise.NewEnterprise{
					CreditCode: r.CreditCode, Name: r.Name, District: r.District, RegisteredOn: r.RegisteredOn,
				}}
			}))
		})
}

func (s *importService) ImportDesignations(ctx context.Context, stream registryv1connect.ImportServiceImportDesignationsServerStream) error {
	return relayImport(ctx, s, imports.ImportDesignations, stream.Receive,
		func(p *registryv1.ImportProgress) error {
			return stream.Send(&registryv1.ImportDesignationsResponse{Progress: p})
		},
		func(im *imports.Import, req *registryv1.ImportDesignationsRequest) (imports.ImportProgress, error) {
			return im.Designations(ctx, mapSlice(req.Rows, func(r *registryv1.DesignationRow) imports.DesignationRow {
				return imports.DesignationRow{Row: r.Row, EnterpriseName: r.EnterpriseName, District: r.District, Grant: designation.Grant{
					Type: r.Type, EnterpriseCreditCode: r.EnterpriseCreditCode, TalentID: r.TalentId, Level: r.Level,
					ValidFrom: r.ValidFrom, ValidUntil: r.ValidUntil, DocumentNumber: r.DocumentNumber, Note: r.Note,
				}}
			}))
		})
}

func (s *importService) ImportAwards(ctx context.Context, stream registryv1connect.ImportServiceImportAwardsServerStream) error {
	return relayImport(ctx, s, imports.ImportAwards, stream.Receive,
		func(p *registryv1.ImportProgress) error {
			return stream.Send(&registryv1.ImportAwardsResponse{Progress: p})
		},
		func(im *imports.Import, req *registryv1.ImportAwardsRequest) (imports.ImportProgress, error) {
			return im.Awards(ctx, mapSlice(req.Rows, func(r *registryv1.AwardRow) imports.AwardRow {
				return imports.AwardRow{Row: r.Row, CompetitionID: r.CompetitionId, AwardInput: competition.AwardInput{
					TalentID: r.TalentId, Name: r.Name, IDNumber: r.IdNumber, PassportNumber: r.PassportNumber,
					Nationality: r.Nationality, Prize: r.Prize, Team: r.Team,
				}}
			}))
		})
}

func (s *importService) ImportTenancies(ctx context.Context, stream registryv1connect.ImportServiceImportTenanciesServerStream) error {
	return relayImport(ctx, s, imports.ImportTenancies, stream.Receive,
		func(p *registryv1.ImportProgress) error {
			return stream.Send(&registryv1.ImportTenanciesResponse{Progress: p})
		},
		func(im *imports.Import, req *registryv1.ImportTenanciesRequest) (imports.ImportProgress, error) {
			return im.Tenancies(ctx, mapSlice(req.Rows, func(r *registryv1.TenancyRow) imports.TenancyRow {
				return imports.TenancyRow{Row: r.Row, ParkCode: r.ParkCode, EnterpriseCreditCode: r.EnterpriseCreditCode,
					StartDate: r.StartDate, EndDate: r.EndDate, FloorAreaM2: r.FloorAreaM2}
			}))
		})
}
