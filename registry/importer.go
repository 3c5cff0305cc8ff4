package registry

import (
	"context"
	"errors"
	"fmt"

	"github.com/hangzhou-ai/registry/ent"
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

// Import is a bulk import in progress: one database transaction that
// every batch adds to, committed or rolled back by Finish. Rows are
// written with multi-row statements, a batch at a time, and each created
// record gets its own audit event. An Import is not safe for concurrent
// use; Abort releases it if Finish is never reached.
type Import struct {
	r         *Registry
	p         Principal
	tx        *ent.Tx
	opts      ImportOptions
	progress  ImportProgress
	decisions map[string]error
	done      bool
}

// BeginImport starts an import for the context's principal.
func (r *Registry) BeginImport(ctx context.Context, opts ImportOptions) (*Import, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := r.db.Tx(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	return &Import{r: r, p: p, tx: tx, opts: opts, decisions: map[string]error{}, progress: ImportProgress{Outcome: ImportInProgress}}, nil
}

// allowed authorizes the import's principal once per distinct (object,
// action, owner) and remembers the answer for the rest of the import.
func (im *Import) allowed(object, action string, owners ...string) error {
	key := fmt.Sprint(object, "\x00", action, "\x00", owners)
	if err, ok := im.decisions[key]; ok {
		return err
	}
	err := im.r.authorize(im.p, object, action, owners...)
	if err != nil && KindOf(err) != KindPermissionDenied {
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

// batch wraps processing of one batch: it checks the import is open and
// the batch is within bounds, and counts the rows.
func (im *Import) batch(n int) error {
	if im.done {
		return failedPrecondition("the import has finished")
	}
	if n > MaxImportBatch {
		return invalidField("rows", fmt.Sprintf("a batch holds at most %d rows", MaxImportBatch))
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

// add records a problem with a row; a row counts once as invalid however
// many problems it has.
func (e *rowErrors) add(row int64, column, message string) {
	e.im.progress.Errors = append(e.im.progress.Errors, ImportError{Row: row, Column: column, Message: message})
	if !e.failed[row] {
		e.failed[row] = true
		e.im.progress.Invalid++
	}
}

// addViolations records a row's field violations.
func (e *rowErrors) addViolations(row int64, v *violations) {
	for _, fv := range v.list {
		e.add(row, fv.Field, fv.Description)
	}
}

// addError records err against a row: a registry error keeps its fields
// and message; anything else is returned to stop the import.
func (e *rowErrors) addError(row int64, column string, err error) error {
	var re *Error
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

// Finish ends the import: a dry run, or an all-or-nothing import that met
// an invalid row, is rolled back; otherwise it commits.
func (im *Import) Finish(ctx context.Context) (ImportProgress, error) {
	if im.done {
		return im.progress, failedPrecondition("the import has finished")
	}
	im.done = true
	im.progress.Errors = nil
	if im.opts.DryRun || !im.writing() {
		if err := im.tx.Rollback(); err != nil {
			return im.progress, err
		}
		im.progress.Outcome = ImportRolledBack
		if im.opts.DryRun {
			im.progress.Outcome = ImportDryRun
		}
		return im.progress, nil
	}
	if err := im.tx.Commit(); err != nil {
		return im.progress, fmt.Errorf("commit: %w", err)
	}
	im.progress.Outcome = ImportCommitted
	return im.progress, nil
}

// Abort rolls back an import that will not be finished. It is safe to call
// after Finish.
func (im *Import) Abort() {
	if im.done {
		return
	}
	im.done = true
	_ = im.tx.Rollback()
}

// EmptyImportError is the error for an import stream that ended before
// its first message.
func EmptyImportError() error {
	return invalidField("options", "an import starts with a message carrying its options")
}
