package imports

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// ImportOptions control a bulk import.
type ImportOptions struct {
	// DryRun validates every row and writes nothing.
	DryRun bool
	// SkipInvalid loads the valid rows; without it any invalid row stops
	// the whole import at Finish.
	SkipInvalid bool
}

// ImportError locates one problem in an import.
type ImportError struct {
	Row     int64
	Column  string
	Message string
}

// ImportOutcome is how an import ended.
type ImportOutcome string

// Import outcomes.
const (
	ImportInProgress ImportOutcome = "in_progress"
	ImportCommitted  ImportOutcome = "committed"
	ImportRolledBack ImportOutcome = "rolled_back"
	ImportDryRun     ImportOutcome = "dry_run"
)

// ImportProgress counts an import's rows so far; Errors are those of the
// batch just processed.
type ImportProgress struct {
	RowsReceived       int64
	Created            int64
	Existing           int64
	Invalid            int64
	EnterprisesCreated int64
	Errors             []ImportError
	Outcome            ImportOutcome
}

// MaxImportBatch bounds the rows of one batch.
const MaxImportBatch = 5000

// ImportKind names what an import loads.
type ImportKind string

// Import kinds.
const (
	ImportEnterprises  ImportKind = "enterprises"
	ImportDesignations ImportKind = "designations"
	ImportAwards       ImportKind = "awards"
	ImportTenancies    ImportKind = "tenancies"
	// ImportSupportApplications files support applications, pending;
	// ImportSupportDisbursements records payments of approved support.
	ImportSupportApplications  ImportKind = "support-applications"
	ImportSupportDisbursements ImportKind = "support-disbursements"
)

// maxFinishErrors bounds the row errors Finish holds in memory: past it
// they wait in a spill file and are reported after the transaction ends.
const maxFinishErrors = 1000

// Import is a bulk import in progress. It works in two phases so that no
// database lock is held while the client is still sending:
//
//   - while rows arrive, each batch is checked field by field and against
//     the policy, without touching the database; the rows that pass are
//     appended to a temporary file, so memory stays bounded however large
//     the import, and each batch is answered with its problems;
//   - Finish opens one short write transaction, reads the rows back in
//     chunks, resolves them against the database (holders, parks,
//     competitions), writes them (designations with COPY on PostgreSQL
//     through a staging table, the unique indexes telling created from
//     existing; see insertNew), then appends one audit event per created
//     record to the chain (writeRowsAndAudit), and commits or rolls back.
//
// An Import is not safe for concurrent use; Abort releases it if Finish is
// never reached.
type Import struct {
	r         *Importer
	p         core.Principal
	kind      ImportKind
	tx        *ent.Tx             // only during Finish
	sqlTx     *sql.Tx             // the transaction under tx, for COPY
	staged    map[string]bool     // staging tables made in tx (insertNew)
	later     func([]core.Change) // records changes during Finish, see writeRowsAndAudit
	opts      ImportOptions
	progress  ImportProgress
	decisions map[string]error
	rows      *spill // rows that passed the first checks
	errs      *spill // Finish's row errors beyond maxFinishErrors
	listed    int    // row problems listed so far, at most MaxImportErrors
	done      bool
}

// AuthorizeImport refuses, with KindPermissionDenied, a principal who may
// not import kind at all: who may not register enterprises, grant any
// designation type, record awards, manage any park's tenancies, or apply
// for or disburse support under any measure. It reads
// nothing from the database. A principal it lets through may still have
// single rows refused (a designation type its bureau does not grant,
// another park's tenancy, another enterprise's application, an award of
// another bureau's measure).
func (r *Importer) AuthorizeImport(ctx context.Context, kind ImportKind) error {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return err
	}
	return r.authorizeImport(p, kind)
}

func (r *Importer) authorizeImport(p core.Principal, kind ImportKind) error {
	switch kind {
	case ImportEnterprises:
		return r.MayEver(p, authz.ActRegister, authz.ObjEnterprise)
	case ImportAwards:
		return r.MayEver(p, authz.ActRecordAwards, authz.ObjCompetition)
	case ImportTenancies:
		return r.MayEver(p, authz.ActManage, authz.ObjTenancy)
	case ImportDesignations:
		return r.MayEver(p, authz.ActGrant, core.AnyDesignation()...)
	case ImportSupportApplications:
		return r.MayEver(p, authz.ActApply, core.AnySupport()...)
	case ImportSupportDisbursements:
		return r.MayEver(p, authz.ActDisburse, core.AnySupport()...)
	}
	return core.InvalidField("kind", fmt.Sprintf("unknown import kind %q", kind))
}

// BeginImport starts an import of kind for the context's principal, once
// AuthorizeImport lets it. It opens no transaction.
func (r *Importer) BeginImport(ctx context.Context, kind ImportKind, opts ImportOptions) (*Import, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.authorizeImport(p, kind); err != nil {
		return nil, err
	}
	rows, err := newSpill()
	if err != nil {
		return nil, err
	}
	return &Import{r: r, p: p, kind: kind, opts: opts, rows: rows, decisions: map[string]error{},
		progress: ImportProgress{Outcome: ImportInProgress}}, nil
}

// allowed authorizes the import's principal once per distinct (object,
// action, owner) and remembers the answer for the rest of the import.
func (im *Import) allowed(object, action string, owners ...string) error {
	key := fmt.Sprint(object, "\x00", action, "\x00", owners)
	if err, ok := im.decisions[key]; ok {
		return err
	}
	err := im.r.Authorize(im.p, object, action, owners...)
	if err != nil && core.KindOf(err) != core.KindPermissionDenied {
		return err
	}
	im.decisions[key] = err
	return err
}

// writing reports whether rows are still being written: not once an
// all-or-nothing import has met an invalid row, whose end is a rollback.
func (im *Import) writing() bool {
	return im.progress.Invalid == 0 || im.opts.SkipInvalid
}

// batch wraps receipt of one batch: it checks the import is open and of
// kind and the batch is within bounds, and counts the rows.
func (im *Import) batch(kind ImportKind, n int) error {
	if im.done {
		return core.FailedPrecondition("the import has finished")
	}
	if kind != im.kind {
		return core.FailedPrecondition("this import loads %s, not %s", im.kind, kind)
	}
	if n > MaxImportBatch {
		return core.InvalidField("rows", fmt.Sprintf("a batch holds at most %d rows", MaxImportBatch))
	}
	im.progress.RowsReceived += int64(n)
	im.progress.Errors = nil
	return nil
}

// rowErrors collects the problems of a batch by row.
type rowErrors struct {
	im     *Import
	failed map[int64]bool
}

func (im *Import) newRowErrors() *rowErrors { return &rowErrors{im: im, failed: map[int64]bool{}} }

// MaxImportErrors is how many row problems one import lists, however many
// rows it has: the first ones, each bounded like every field violation, so
// that no input, however bad, gets a large answer. Invalid counts every
// invalid row; a dry run after fixing the listed ones shows the next.
const MaxImportErrors = 100

// add records a problem with a row, listing it while fewer than
// MaxImportErrors are listed; a row counts once as invalid however many
// problems it has.
func (e *rowErrors) add(row int64, column, message string) {
	if e.im.listed < MaxImportErrors {
		e.im.listed++
		e.im.progress.Errors = append(e.im.progress.Errors, ImportError{
			Row: row, Column: core.Truncate(column, core.MaxFieldLen), Message: core.Truncate(message, core.MaxDescriptionLen),
		})
	}
	if !e.failed[row] {
		e.failed[row] = true
		e.im.progress.Invalid++
	}
}

// addViolations records a row's field violations.
func (e *rowErrors) addViolations(row int64, v *core.Violations) {
	for _, fv := range v.List {
		e.add(row, fv.Field, fv.Description)
	}
}

// addError records err against a row: a registry error keeps its fields
// and message; anything else is returned to stop the import.
func (e *rowErrors) addError(row int64, column string, err error) error {
	var re *core.Error
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &re):
		return err
	case len(re.Violations) > 0:
		for _, fv := range re.Violations {
			e.add(row, fv.Field, fv.Description)
		}
	default:
		e.add(row, column, re.Message)
	}
	return nil
}

// keep stores a row that passed the first checks until Finish.
func (im *Import) keep(row any) error { return im.rows.add(row) }

// keepChecked is one batch of an import of kind whose rows check answers
// for: the rows it passes are kept for writing, the others reported.
func keepChecked[R, V any](im *Import, kind ImportKind, rows []R, check func(R, *rowErrors) (V, bool, error)) (ImportProgress, error) {
	if err := im.batch(kind, len(rows)); err != nil {
		return im.progress, err
	}
	errs := im.newRowErrors()
	for _, row := range rows {
		_, ok, err := check(row, errs)
		if err != nil {
			return im.progress, err
		}
		if ok {
			if err := im.keep(row); err != nil {
				return im.progress, err
			}
		}
	}
	return im.progress, nil
}

// Finish ends the import: it writes the rows kept so far in one
// transaction, then rolls it back for a dry run or an all-or-nothing
// import that met an invalid row, and commits otherwise. Every query runs
// under ctx, so the caller's deadline bounds every wait for the database.
// The problems found while writing are reported after the transaction has
// ended: up to maxFinishErrors in the returned progress, any earlier ones
// through report, a group at a time, before Finish returns.
func (im *Import) Finish(ctx context.Context, report func(ImportProgress) error) (ImportProgress, error) {
	if im.done {
		return im.progress, core.FailedPrecondition("the import has finished")
	}
	im.done = true
	defer im.release()
	im.progress.Errors = nil
	outcome, err := im.writeAgainOnCollision(ctx)
	if err != nil {
		return im.progress, err
	}
	if im.errs != nil {
		last := im.progress.Errors
		err := replay(im.errs, maxFinishErrors, func(group []ImportError) error {
			p := im.progress
			p.Errors = group
			return report(p)
		})
		if err != nil {
			return im.progress, err
		}
		im.progress.Errors = last
	}
	im.progress.Outcome = outcome
	return im.progress, nil
}

// writeAgainOnCollision runs write, and runs it again from the first kept
// row when its transaction collided with a concurrent one (a unique index
// another writer filled first, or a deadlock): the second run finds what
// the other committed as existing, as if the imports had come one after
// the other.
func (im *Import) writeAgainOnCollision(ctx context.Context) (ImportOutcome, error) {
	before, listed := im.progress, im.listed
	var err error
	for attempt := 1; attempt <= core.ConflictAttempts; attempt++ {
		var outcome ImportOutcome
		if outcome, err = im.write(ctx); err == nil {
			return outcome, nil
		}
		if !core.IsUniqueViolation(err) && !core.IsTransient(err) {
			return "", err
		}
		im.r.Log.Debug("import collided with a concurrent write; writing it again", zap.Int("attempt", attempt))
		im.progress, im.listed = before, listed
		_ = im.errs.close()
		im.errs = nil
	}
	return "", core.NewError(core.KindAborted, "the import collided with concurrent writes %d times; nothing was written, run it again", core.ConflictAttempts)
}

// write runs the writing phase in one transaction and ends it, returning
// the outcome. Nothing is left open when it returns.
func (im *Import) write(ctx context.Context) (ImportOutcome, error) {
	if im.rows.n == 0 { // nothing to write: no transaction either
		switch {
		case im.opts.DryRun:
			return ImportDryRun, nil
		case !im.writing():
			return ImportRolledBack, nil
		}
		return ImportCommitted, nil
	}
	tx, sqlTx, err := im.r.BeginWriteTx(ctx)
	if err != nil {
		return "", err
	}
	im.tx, im.sqlTx, im.staged = tx, sqlTx, map[string]bool{}
	defer func() { im.tx, im.sqlTx = nil, nil }()
	if err := im.writeRowsAndAudit(ctx); err != nil {
		_ = tx.Rollback()
		return "", err
	}
	if im.opts.DryRun || !im.writing() {
		if err := tx.Rollback(); err != nil {
			return "", err
		}
		if im.opts.DryRun {
			return ImportDryRun, nil
		}
		return ImportRolledBack, nil
	}
	if err := tx.Commit(); err != nil {
		return "", fmt.Errorf("commit: %w", err)
	}
	return ImportCommitted, nil
}

// writeRowsAndAudit writes the kept rows, then their audit events. The
// events the writers record (one per created record, designation.grant,
// enterprise.register, tenancy.admit, award events) are held in a spill
// file as they come, their JSON computed, and join the chain only once
// every row is written: the chain's head is locked for the append of the
// events alone (AppendEventStream, COPY on PostgreSQL), not while rows are
// resolved and written, so grants racing an import wait for that append
// and the commit only. Each event is the one a single call would have
// written, chained like every other: the verifier checks them as it checks
// any event. A dry run, or an import that will roll back, appends none.
func (im *Import) writeRowsAndAudit(ctx context.Context) error {
	events, err := newSpill()
	if err != nil {
		return err
	}
	defer events.close()
	// One goroutine computes the events' JSON and writes them to the spill
	// file, in the order they are recorded, while the rows are written.
	work := make(chan auditWork, 4)
	done := make(chan error, 1)
	go func() {
		var err error
		for w := range work {
			for i := 0; err == nil && i < len(w.changes); i++ {
				var e core.PendingEvent
				if e, err = core.PrepareEvent(im.p, w.at, w.changes[i]); err == nil {
					err = events.add(e)
				}
			}
			for i := 0; err == nil && i < len(w.events); i++ {
				err = events.add(w.events[i])
			}
		}
		done <- err
	}()
	im.later = func(changes []core.Change) { work <- auditWork{at: im.r.Now(), changes: changes} }
	im.r.HoldAudit(im.tx, func(list []core.PendingEvent) error {
		work <- auditWork{events: list}
		return nil
	})
	err = im.writeRows(ctx)
	im.r.ReleaseAudit(im.tx)
	im.later = nil
	close(work)
	if werr := <-done; err == nil {
		err = werr
	}
	if err != nil || im.opts.DryRun || !im.writing() || events.n == 0 {
		return err
	}
	next, err := reader[core.PendingEvent](events)
	if err != nil {
		return err
	}
	return im.r.AppendEventStream(ctx, im.tx, im.sqlTx, events.n, next)
}

// auditWork is changes to record (their JSON not yet computed) or events
// recorded through the import's transaction.
type auditWork struct {
	at      time.Time
	changes []core.Change
	events  []core.PendingEvent
}

// writeRows replays the kept rows through the kind's writer, a chunk at a
// time, moving row errors beyond maxFinishErrors to a spill file.
func (im *Import) writeRows(ctx context.Context) error {
	var err error
	switch im.kind {
	case ImportEnterprises:
		err = replay(im.rows, importChunk, func(rows []EnterpriseRow) error { return im.spillErrors(im.writeEnterprises(ctx, rows)) })
	case ImportDesignations:
		err = replay(im.rows, designationChunk, func(rows []DesignationRow) error { return im.spillErrors(im.writeDesignations(ctx, rows)) })
	case ImportAwards:
		err = replay(im.rows, importChunk, func(rows []AwardRow) error { return im.spillErrors(im.writeAwards(ctx, rows)) })
	case ImportTenancies:
		err = replay(im.rows, importChunk, func(rows []TenancyRow) error { return im.spillErrors(im.writeTenancies(ctx, rows)) })
	case ImportSupportApplications:
		err = replay(im.rows, importChunk, func(rows []SupportApplicationRow) error {
			return im.spillErrors(im.writeSupportApplications(ctx, rows))
		})
	case ImportSupportDisbursements:
		err = replay(im.rows, importChunk, func(rows []SupportDisbursementRow) error {
			return im.spillErrors(im.writeSupportDisbursements(ctx, rows))
		})
	}
	return err
}

// spillErrors passes on err, first moving the row errors gathered so far
// to a spill file once there are more than maxFinishErrors of them.
func (im *Import) spillErrors(err error) error {
	if err != nil || len(im.progress.Errors) <= maxFinishErrors {
		return err
	}
	if im.errs == nil {
		if im.errs, err = newSpill(); err != nil {
			return err
		}
	}
	for _, e := range im.progress.Errors {
		if err := im.errs.add(e); err != nil {
			return err
		}
	}
	im.progress.Errors = nil
	return nil
}

// release removes the import's spill files.
func (im *Import) release() {
	_ = im.rows.close()
	_ = im.errs.close()
}

// Abort releases an import that will not be finished; nothing of it was
// written. It is safe to call after Finish.
func (im *Import) Abort() {
	if im.done {
		return
	}
	im.done = true
	im.release()
}

// EmptyImportError is the error for an import stream that ended before
// its first message.
func EmptyImportError() error {
	return core.InvalidField("options", "an import starts with a message carrying its options")
}
