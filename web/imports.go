package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hangzhou-ai/registry/csvrows"
	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/imports"
)

// importRoutes are importing a CSV file, with a dry run first and a progress bar.
func (s *Server) importRoutes(mux *http.ServeMux) {
	mux.Handle("GET /console/import", s.signedIn(s.importPage))
	mux.Handle("POST /console/import", s.signedIn(s.startImport))
	mux.Handle("GET /console/import/{job}", s.signedIn(s.importJobPage))
	mux.Handle("POST /console/import/{job}/commit", s.signedIn(s.commitImport))
}

// Limits of the console's imports.
const (
	// maxImportUpload bounds an uploaded file.
	maxImportUpload = 32 << 20
	// importBatchRows is how many rows go to the registry at a time; the
	// progress bar moves once per batch.
	importBatchRows = 500
	// importTimeout bounds one import, from its first batch to its end.
	importTimeout = 10 * time.Minute
)

// importColumn is one CSV column of an import: its name, the row field
// of the same name in the API, and how to set it.
type importColumn[R any] struct {
	name string
	set  func(*R, string)
}

// importKind is one kind of file the console imports.
type importKind struct {
	Kind    imports.ImportKind
	Label   Text
	Columns []string
	// parse reads a file's rows, refusing an unknown column or a
	// malformed record with a problem naming it.
	parse func(rd *csvrows.Reader) (importRows, *problem)
}

// importRows are a file's rows, parsed and ready for an import.
type importRows interface {
	count() int
	// feed sends rows [from, to) to im as one batch.
	feed(ctx context.Context, im *imports.Import, from, to int) (imports.ImportProgress, error)
}

type rowsOf[R any] struct {
	rows []R
	add  func(*imports.Import, context.Context, []R) (imports.ImportProgress, error)
}

func (r rowsOf[R]) count() int { return len(r.rows) }
func (r rowsOf[R]) feed(ctx context.Context, im *imports.Import, from, to int) (imports.ImportProgress, error) {
	return r.add(im, ctx, r.rows[from:to])
}

// kindOf describes an import of rows R: the columns are the API row's
// field names, the file's line numbers the rows' numbers.
func kindOf[R any](kind imports.ImportKind, label Text, setLine func(*R, int64),
	add func(*imports.Import, context.Context, []R) (imports.ImportProgress, error), cols ...importColumn[R]) importKind {
	k := importKind{Kind: kind, Label: label}
	byName := map[string]func(*R, string){}
	for _, c := range cols {
		k.Columns = append(k.Columns, c.name)
		byName[c.name] = c.set
	}
	k.parse = func(rd *csvrows.Reader) (importRows, *problem) {
		header := rd.Header()
		setters := make([]func(*R, string), len(header))
		for i, name := range header {
			set, ok := byName[name]
			if !ok {
				list := strings.Join(k.Columns, ", ")
				return nil, invalid("file", Text{
					fmt.Sprintf("未知的列“%s”；可用的列：%s", name, list),
					fmt.Sprintf("unknown column %q; the columns are %s", name, list),
				})
			}
			setters[i] = set
		}
		out := rowsOf[R]{add: add}
		for {
			row, err := rd.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, unreadableFile(err)
			}
			var r R
			setLine(&r, row.Line)
			for i, name := range header {
				if v := row.Fields[name]; v != "" {
					setters[i](&r, v)
				}
			}
			out.rows = append(out.rows, r)
		}
		if len(out.rows) == 0 {
			return nil, invalid("file", Text{"文件只有表头，没有数据行", "has a header but no rows"})
		}
		return out, nil
	}
	return k
}

func unreadableFile(err error) *problem {
	return invalid("file", Text{"无法读取：" + err.Error(), "cannot be read: " + err.Error()})
}

// importKinds are the kinds the console imports, in the form's order:
// those imports.ImportKind names.
var importKinds = []importKind{
	kindOf(imports.ImportEnterprises, Text{"企业", "Enterprises"},
		func(r *imports.EnterpriseRow, n int64) { r.Row = n }, (*imports.Import).Enterprises,
		importColumn[imports.EnterpriseRow]{"credit_code", func(r *imports.EnterpriseRow, v string) { r.CreditCode = v }},
		importColumn[imports.EnterpriseRow]{"name", func(r *imports.EnterpriseRow, v string) { r.Name = v }},
		importColumn[imports.EnterpriseRow]{"district", func(r *imports.EnterpriseRow, v string) { r.District = v }},
		importColumn[imports.EnterpriseRow]{"registered_on", func(r *imports.EnterpriseRow, v string) { r.RegisteredOn = v }},
	),
	kindOf(imports.ImportDesignations, Text{"认定", "Designations"},
		func(r *imports.DesignationRow, n int64) { r.Row = n }, (*imports.Import).Designations,
		importColumn[imports.DesignationRow]{"type", func(r *imports.DesignationRow, v string) { r.Type = v }},
		importColumn[imports.DesignationRow]{"enterprise_credit_code", func(r *imports.DesignationRow, v string) { r.EnterpriseCreditCode = v }},
		importColumn[imports.DesignationRow]{"enterprise_name", func(r *imports.DesignationRow, v string) { r.EnterpriseName = v }},
		importColumn[imports.DesignationRow]{"district", func(r *imports.DesignationRow, v string) { r.District = v }},
		importColumn[imports.DesignationRow]{"talent_id", func(r *imports.DesignationRow, v string) { r.TalentID = v }},
		importColumn[imports.DesignationRow]{"level", func(r *imports.DesignationRow, v string) { r.Level = v }},
		importColumn[imports.DesignationRow]{"valid_from", func(r *imports.DesignationRow, v string) { r.ValidFrom = v }},
		importColumn[imports.DesignationRow]{"valid_until", func(r *imports.DesignationRow, v string) { r.ValidUntil = v }},
		importColumn[imports.DesignationRow]{"document_number", func(r *imports.DesignationRow, v string) { r.DocumentNumber = v }},
		importColumn[imports.DesignationRow]{"note", func(r *imports.DesignationRow, v string) { r.Note = v }},
	),
	kindOf(imports.ImportTenancies, Text{"园区入驻", "Park tenancies"},
		func(r *imports.TenancyRow, n int64) { r.Row = n }, (*imports.Import).Tenancies,
		importColumn[imports.TenancyRow]{"park_code", func(r *imports.TenancyRow, v string) { r.ParkCode = v }},
		importColumn[imports.TenancyRow]{"enterprise_credit_code", func(r *imports.TenancyRow, v string) { r.EnterpriseCreditCode = v }},
		importColumn[imports.TenancyRow]{"start_date", func(r *imports.TenancyRow, v string) { r.StartDate = v }},
		importColumn[imports.TenancyRow]{"end_date", func(r *imports.TenancyRow, v string) { r.EndDate = v }},
		importColumn[imports.TenancyRow]{"floor_area_m2", func(r *imports.TenancyRow, v string) { r.FloorAreaM2 = v }},
	),
	kindOf(imports.ImportAwards, Text{"赛事获奖", "Competition awards"},
		func(r *imports.AwardRow, n int64) { r.Row = n }, (*imports.Import).Awards,
		importColumn[imports.AwardRow]{"competition_id", func(r *imports.AwardRow, v string) { r.CompetitionID = v }},
		importColumn[imports.AwardRow]{"talent_id", func(r *imports.AwardRow, v string) { r.TalentID = v }},
		importColumn[imports.AwardRow]{"name", func(r *imports.AwardRow, v string) { r.Name = v }},
		importColumn[imports.AwardRow]{"id_number", func(r *imports.AwardRow, v string) { r.IDNumber = v }},
		importColumn[imports.AwardRow]{"passport_number", func(r *imports.AwardRow, v string) { r.PassportNumber = v }},
		importColumn[imports.AwardRow]{"nationality", func(r *imports.AwardRow, v string) { r.Nationality = v }},
		importColumn[imports.AwardRow]{"prize", func(r *imports.AwardRow, v string) { r.Prize = v }},
		importColumn[imports.AwardRow]{"team", func(r *imports.AwardRow, v string) { r.Team = v }},
	),
	kindOf(imports.ImportSupportApplications, Text{"扶持资金申请", "Support applications"},
		func(r *imports.SupportApplicationRow, n int64) { r.Row = n }, (*imports.Import).SupportApplications,
		importColumn[imports.SupportApplicationRow]{"measure_code", func(r *imports.SupportApplicationRow, v string) { r.MeasureCode = v }},
		importColumn[imports.SupportApplicationRow]{"enterprise_credit_code", func(r *imports.SupportApplicationRow, v string) { r.EnterpriseCreditCode = v }},
		importColumn[imports.SupportApplicationRow]{"year", func(r *imports.SupportApplicationRow, v string) { r.Year = v }},
		importColumn[imports.SupportApplicationRow]{"basis_reference", func(r *imports.SupportApplicationRow, v string) { r.BasisReference = v }},
		importColumn[imports.SupportApplicationRow]{"basis_kind", func(r *imports.SupportApplicationRow, v string) { r.BasisKind = v }},
		importColumn[imports.SupportApplicationRow]{"basis_amount_fen", func(r *imports.SupportApplicationRow, v string) { r.BasisAmountFen = v }},
		importColumn[imports.SupportApplicationRow]{"basis_date", func(r *imports.SupportApplicationRow, v string) { r.BasisDate = v }},
		importColumn[imports.SupportApplicationRow]{"project_total_fen", func(r *imports.SupportApplicationRow, v string) { r.ProjectTotalFen = v }},
		importColumn[imports.SupportApplicationRow]{"loan_principal_fen", func(r *imports.SupportApplicationRow, v string) { r.LoanPrincipalFen = v }},
		importColumn[imports.SupportApplicationRow]{"evidence", func(r *imports.SupportApplicationRow, v string) { r.Evidence = v }},
	),
	kindOf(imports.ImportSupportDisbursements, Text{"扶持资金拨付", "Support disbursements"},
		func(r *imports.SupportDisbursementRow, n int64) { r.Row = n }, (*imports.Import).SupportDisbursements,
		importColumn[imports.SupportDisbursementRow]{"award_id", func(r *imports.SupportDisbursementRow, v string) { r.AwardID = v }},
		importColumn[imports.SupportDisbursementRow]{"amount_fen", func(r *imports.SupportDisbursementRow, v string) { r.AmountFen = v }},
		importColumn[imports.SupportDisbursementRow]{"paid_on", func(r *imports.SupportDisbursementRow, v string) { r.PaidOn = v }},
		importColumn[imports.SupportDisbursementRow]{"payer", func(r *imports.SupportDisbursementRow, v string) { r.Payer = v }},
	),
}

func importKindNamed(name string) (importKind, bool) {
	for _, k := range importKinds {
		if string(k.Kind) == name {
			return k, true
		}
	}
	return importKind{}, false
}

// importLabels name the import form's fields, which the shared labels do
// not.
var importLabels = map[string]Text{
	"kind": {"导入内容", "What to import"},
	"job":  {"导入任务", "Import job"},
}

func importInvalid(field string, reason Text) *problem {
	p := invalid(field, reason)
	for i, fp := range p.Fields {
		if l, ok := importLabels[fp.Field]; ok {
			p.Fields[i].Label = l
		}
	}
	return p
}

// importJobs are the console's imports. They are held in this process's
// memory only, and bounded: at most maxImportJobs (100) at a time, of
// which as many running as the import slots allow (one per principal); a finished
// job is forgotten an hour after it ended (or sooner, oldest first, to
// make room for a new one). The rows a dry run keeps for "import for real"
// are dropped after keepDryRunRows (15 minutes), and kept by at most
// maxKeptDryRuns jobs at once, at most maxKeptPerOwner of one principal's. A job belongs to the principal who started
// it: to anyone else it does not exist. A restart forgets every job; an
// import the restart cut short has written nothing.
type importJobs struct {
	mu   sync.Mutex
	jobs map[string]*importJob
	now  func() time.Time // the wall clock: a job's life is not the registry's business
	// stop ends every running job (Server.Close); running counts them.
	stop    context.Context
	stopAll context.CancelFunc
	running sync.WaitGroup
}

const (
	maxImportJobs = 100
	// defaultImportSlots bound the imports running at once when the
	// server is given no slots shared with the API (Config.ImportSlots).
	defaultImportSlots = 2
	forgetFinished     = time.Hour
	keepDryRunRows     = 15 * time.Minute
	maxKeptDryRuns     = 8
	maxKeptPerOwner    = 2 // so no one principal's dry runs push out everyone else's
	maxListedErrors    = imports.MaxImportErrors
)

func newImportJobs() *importJobs {
	stop, stopAll := context.WithCancel(context.Background())
	return &importJobs{jobs: map[string]*importJob{}, now: time.Now, stop: stop, stopAll: stopAll}
}

// close stops the running jobs and waits for them to end.
func (js *importJobs) close() {
	js.stopAll()
	js.running.Wait()
}

// importJob is one import the console runs in the background.
type importJob struct {
	id       string
	owner    registry.Principal
	kind     importKind
	fileName string
	opts     imports.ImportOptions
	total    int

	commit sync.Mutex // held while a dry run is imported for real

	mu        sync.Mutex
	progress  imports.ImportProgress
	errors    []imports.ImportError
	running   bool
	ended     time.Time
	failure   *problem
	rows      importRows // a finished dry run's rows, until dropped
	committed string     // the job that imports a dry run's rows for real
}

// importJobView is a job as its page shows it.
type importJobView struct {
	ID, FileName        string
	Kind                importKind
	DryRun, SkipInvalid bool
	Total               int
	Progress            imports.ImportProgress
	Errors              []importRowError
	Running             bool
	Failure             *problem
	CanCommit, RowsGone bool
	Committed           string
	Writing             bool // every row is in; the registry is writing them
	Outcome             string
	Percent             int  // rows checked, of all
	MoreErrors          bool // more rows are invalid than are listed
}

type importRowError struct {
	Row           int64
	Field         string
	Label, Reason Text
}

func (j *importJob) view() importJobView {
	j.mu.Lock()
	defer j.mu.Unlock()
	v := importJobView{ID: j.id, FileName: j.fileName, Kind: j.kind, DryRun: j.opts.DryRun, SkipInvalid: j.opts.SkipInvalid,
		Total: j.total, Progress: j.progress, Running: j.running, Failure: j.failure, Committed: j.committed,
		Outcome: string(j.progress.Outcome)}
	v.Writing = j.running && j.progress.RowsReceived >= int64(j.total)
	if j.total > 0 {
		v.Percent = int(min(100, j.progress.RowsReceived*100/int64(j.total)))
	}
	failed := map[int64]bool{}
	for _, e := range j.errors {
		failed[e.Row] = true
		v.Errors = append(v.Errors, importRowError{Row: e.Row, Field: e.Column, Label: fieldLabel(e.Column), Reason: reasonText(e.Message)})
	}
	v.MoreErrors = j.progress.Invalid > int64(len(failed))
	finishedDryRun := !j.running && j.failure == nil && j.progress.Outcome == imports.ImportDryRun
	v.CanCommit = finishedDryRun && j.rows != nil && (j.progress.Invalid == 0 || j.opts.SkipInvalid) && j.progress.Created > 0
	v.RowsGone = finishedDryRun && j.rows == nil && j.committed == ""
	return v
}

// record takes in a batch's or Finish's progress: its counts, and its
// row errors added to those listed so far.
func (j *importJob) record(p imports.ImportProgress) {
	j.mu.Lock()
	defer j.mu.Unlock()
	errs := p.Errors
	p.Errors = nil
	j.progress = p
	for _, e := range errs {
		if len(j.errors) < maxListedErrors {
			j.errors = append(j.errors, e)
		}
	}
}

// end marks the job finished, with the failure that stopped it if any.
func (j *importJob) end(at time.Time, final *imports.ImportProgress, failure *problem, rows importRows) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.running, j.ended, j.failure = false, at, failure
	if final != nil {
		errs := final.Errors
		final.Errors = nil
		j.progress = *final
		for _, e := range errs {
			if len(j.errors) < maxListedErrors {
				j.errors = append(j.errors, e)
			}
		}
		if final.Outcome == imports.ImportDryRun {
			j.rows = rows
		}
	}
}

// tidy forgets jobs finished more than forgetFinished ago and drops kept
// rows past keepDryRunRows, beyond maxKeptPerOwner of one principal's, or
// beyond maxKeptDryRuns in all (oldest first).
// Called with js.mu held.
func (js *importJobs) tidy() {
	now := js.now()
	var kept []*importJob
	for id, j := range js.jobs {
		j.mu.Lock()
		switch {
		case !j.running && now.Sub(j.ended) > forgetFinished:
			delete(js.jobs, id)
		case j.rows != nil && now.Sub(j.ended) > keepDryRunRows:
			j.rows = nil
		case j.rows != nil:
			kept = append(kept, j)
		}
		j.mu.Unlock()
	}
	// Newest first: each owner keeps its newest dry runs.
	slices.SortFunc(kept, func(a, b *importJob) int { return b.ended.Compare(a.ended) })
	perOwner := map[registry.Principal]int{}
	n := 0
	for _, j := range kept {
		perOwner[j.owner]++
		if perOwner[j.owner] > maxKeptPerOwner || n == maxKeptDryRuns {
			j.mu.Lock()
			j.rows = nil
			j.mu.Unlock()
			continue
		}
		n++
	}
}

// add makes room for and registers a new running job of its owner's,
// refusing when the owner already has one running or every place is
// taken by a running job.
func (js *importJobs) add(j *importJob) {
	js.mu.Lock()
	defer js.mu.Unlock()
	js.tidy()
	var oldest *importJob
	for _, other := range js.jobs {
		other.mu.Lock()
		busy, ended := other.running, other.ended
		other.mu.Unlock()
		if !busy && (oldest == nil || ended.Before(oldest.ended)) {
			oldest = other
		}
	}
	if len(js.jobs) >= maxImportJobs && oldest != nil {
		delete(js.jobs, oldest.id)
	}
	js.jobs[j.id] = j
}

// remove forgets job id.
func (js *importJobs) remove(id string) {
	js.mu.Lock()
	defer js.mu.Unlock()
	delete(js.jobs, id)
}

// get returns p's job id; another principal's job is not found.
func (js *importJobs) get(id string, p registry.Principal) (*importJob, bool) {
	js.mu.Lock()
	defer js.mu.Unlock()
	js.tidy()
	j, ok := js.jobs[id]
	if !ok || j.owner != p {
		return nil, false
	}
	return j, true
}

func newJobID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// importFormView is the import form.
type importFormView struct {
	Kinds               []importKind
	Kind                string
	DryRun, SkipInvalid bool
	MaxMiB              int
}

// allowedKinds are the kinds p may import at all, or the refusal of the
// first when it may import none.
func (s *Server) allowedKinds(r *http.Request) ([]importKind, error) {
	var out []importKind
	var refusal error
	for _, k := range importKinds {
		err := s.reg.AuthorizeImport(r.Context(), k.Kind)
		switch {
		case err == nil:
			out = append(out, k)
		case registry.KindOf(err) != registry.KindPermissionDenied:
			return nil, err
		case refusal == nil:
			refusal = err
		}
	}
	if len(out) == 0 {
		return nil, refusal
	}
	return out, nil
}

func (s *Server) importPage(w http.ResponseWriter, r *http.Request) {
	s.showImportForm(w, r, importFormView{DryRun: true}, nil)
}

func (s *Server) showImportForm(w http.ResponseWriter, r *http.Request, v importFormView, p *problem) {
	kinds, err := s.allowedKinds(r)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	v.Kinds, v.MaxMiB = kinds, maxImportUpload>>20
	s.pageStatus(w, r, http.StatusOK, "import.html", Text{"批量导入", "Import CSV"}, p, v)
}

// tooLarge is the problem of a file over maxImportUpload.
func tooLarge() *problem {
	mib := maxImportUpload >> 20
	return invalid("file", Text{fmt.Sprintf("文件超过 %d MiB，请拆分后分批导入", mib), fmt.Sprintf("is larger than %d MiB; split it and import the parts", mib)})
}

// importUpload is what the import form posted.
type importUpload struct {
	form     importFormView
	kind     importKind
	fileName string
	data     []byte // the upload, in memory only: its rows may name people by identity number
	release  func() // gives back the import's slot; nil until one is taken
}

// readImportForm reads the form as it streams in: the kind comes first
// and is authorized before a byte of the file is read; the file is read
// into memory (never onto disk, where identity numbers would lie in
// clear), at most maxImportUpload of it, once the import's slot is taken.
// The caller hands up.release on to the job, or calls it.
func (s *Server) readImportForm(w http.ResponseWriter, r *http.Request) (importUpload, *problem) {
	up := importUpload{}
	r.Body = http.MaxBytesReader(w, r.Body, maxImportUpload+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		return up, invalid("file", Text{"表单须以 multipart/form-data 上传", "the form must be sent as multipart/form-data"})
	}
	small := func(part *multipart.Part) string {
		b, _ := io.ReadAll(io.LimitReader(part, 256))
		return strings.TrimSpace(string(b))
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
				return up, tooLarge()
			}
			return up, invalid("file", Text{"表单无法读取", "the form could not be read"})
		}
		switch part.FormName() {
		case "kind":
			up.form.Kind = small(part)
		case "dry_run":
			up.form.DryRun = small(part) != ""
		case "skip_invalid":
			up.form.SkipInvalid = small(part) != ""
		case "file":
			if up.data != nil {
				return up, invalid("file", Text{"只能上传一个文件", "only one file may be sent"})
			}
			k, ok := importKindNamed(up.form.Kind)
			if !ok {
				return up, importInvalid("kind", Text{"请选择导入内容（须在文件之前提交）", "choose what to import (sent before the file)"})
			}
			if err := s.reg.AuthorizeImport(r.Context(), k.Kind); err != nil {
				return up, problemOf(s.log, err)
			}
			up.kind = k
			up.fileName = cleanFileName(part.FileName())
			// The import's slot is taken before the file is read: it
			// bounds the uploads in memory and the imports running, the
			// API's included, and lets each principal run one at a time.
			p, _ := registry.PrincipalFrom(r.Context())
			if up.release, err = s.importSlots.Acquire(p); err != nil {
				_, _ = io.Copy(io.Discard, r.Body)
				return up, problemOf(s.log, err)
			}
			var buf bytes.Buffer
			n, err := io.CopyN(&buf, part, maxImportUpload+1)
			up.data = buf.Bytes()
			if mbe := (*http.MaxBytesError)(nil); n > maxImportUpload || errors.As(err, &mbe) {
				// Read what is left, within the body's bound, so the browser
				// gets the answer instead of a reset connection.
				_, _ = io.Copy(io.Discard, r.Body)
				return up, tooLarge()
			}
			if err != nil && !errors.Is(err, io.EOF) {
				return up, invalid("file", Text{"上传中断", "the upload was cut short"})
			}
			if n == 0 {
				return up, invalid("file", Text{"请选择一个 CSV 文件", "choose a CSV file"})
			}
		}
		_ = part.Close()
	}
	if up.data == nil {
		if _, ok := importKindNamed(up.form.Kind); !ok {
			return up, importInvalid("kind", Text{"请选择导入内容", "choose what to import"})
		}
		return up, invalid("file", Text{"请选择一个 CSV 文件", "choose a CSV file"})
	}
	return up, nil
}

// cleanFileName is an uploaded file's name for display: its last element,
// at most 100 characters.
func cleanFileName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	if name == "." || name == "/" {
		return ""
	}
	if utf8.RuneCountInString(name) > 100 {
		name = string([]rune(name)[:100])
	}
	return name
}

// startImport reads the upload, parses it, and starts the import as a
// job of the principal's, then shows the job's progress.
func (s *Server) startImport(w http.ResponseWriter, r *http.Request) {
	up, p := s.readImportForm(w, r)
	if up.release != nil {
		defer func() {
			if up.release != nil {
				up.release()
			}
		}()
	}
	if p != nil {
		s.showImportForm(w, r, up.form, p)
		return
	}
	rd, err := csvrows.NewReader(bytes.NewReader(up.data), csvrows.EncodingAuto)
	if err != nil {
		s.showImportForm(w, r, up.form, unreadableFile(err))
		return
	}
	rows, p := up.kind.parse(rd)
	if p != nil {
		s.showImportForm(w, r, up.form, p)
		return
	}
	id, p := s.launchImport(r, up.release, up.kind, up.fileName, imports.ImportOptions{DryRun: up.form.DryRun, SkipInvalid: up.form.SkipInvalid}, rows)
	up.release = nil // the job has it now, or launchImport gave it back
	if p != nil {
		s.showImportForm(w, r, up.form, p)
		return
	}
	done(w, r, "/console/import/"+id, "import-started")
}

// launchImport begins an import of rows for the request's principal and
// runs it in the background, returning its job's id. release gives back
// the import's slot: the job calls it when it ends, or launchImport at
// once if the import cannot begin.
func (s *Server) launchImport(r *http.Request, release func(), kind importKind, fileName string, opts imports.ImportOptions, rows importRows) (string, *problem) {
	owner, _ := registry.PrincipalFrom(r.Context())
	job := &importJob{id: newJobID(), owner: owner, kind: kind, fileName: fileName, opts: opts, total: rows.count(),
		running: true, progress: imports.ImportProgress{Outcome: imports.ImportInProgress}}
	s.imports.add(job)
	// The import outlives the request: it keeps the request's values (the
	// principal) but not its cancellation; it ends with the server
	// (Server.Close) and, between batches, with the session that started it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), importTimeout)
	stopWithServer := context.AfterFunc(s.imports.stop, cancel)
	var session string
	if c, err := r.Cookie(s.cookieName(r)); err == nil {
		session = c.Value
	}
	im, err := s.reg.BeginImport(ctx, kind.Kind, opts)
	if err != nil {
		release()
		stopWithServer()
		cancel()
		s.imports.remove(job.id)
		return "", problemOf(s.log, err)
	}
	s.imports.running.Add(1)
	go func() {
		defer s.imports.running.Done()
		defer release()
		defer stopWithServer()
		s.runImport(ctx, cancel, session, job, im, rows)
	}()
	return job.id, nil
}

// sessionEnded stops an import whose session was signed out, or whose
// token was revoked, while it ran.
var sessionEnded = &problem{Status: http.StatusUnauthorized, Headline: Text{
	"会话已结束（退出登录或令牌被吊销），导入已停止，未写入任何数据", "The session ended (signed out, or its token revoked): the import stopped and wrote nothing"}}

// runImport feeds the rows to im in batches, recording the progress of
// each, and finishes it; before each batch and before finishing it checks
// the session that started it is still live.
func (s *Server) runImport(ctx context.Context, cancel context.CancelFunc, session string, job *importJob, im *imports.Import, rows importRows) {
	defer cancel()
	defer im.Abort()
	live := func() bool {
		if _, _, err := s.reg.SessionPrincipal(ctx, session); err != nil {
			p := sessionEnded
			if registry.KindOf(err) != registry.KindUnauthenticated {
				p = problemOf(s.log, err)
			}
			job.end(s.imports.now(), nil, p, nil)
			return false
		}
		return true
	}
	n := rows.count()
	for from := 0; from < n; from += importBatchRows {
		if !live() {
			return
		}
		p, err := rows.feed(ctx, im, from, min(from+importBatchRows, n))
		if err != nil {
			job.end(s.imports.now(), nil, problemOf(s.log, err), nil)
			return
		}
		job.record(p)
	}
	if !live() {
		return
	}
	final, err := im.Finish(ctx, func(p imports.ImportProgress) error {
		job.record(p)
		return nil
	})
	if err != nil {
		job.end(s.imports.now(), nil, problemOf(s.log, err), nil)
		return
	}
	job.end(s.imports.now(), &final, nil, rows)
}

// jobOf is the request's job, or false after answering not found.
func (s *Server) jobOf(w http.ResponseWriter, r *http.Request) (*importJob, bool) {
	p, _ := registry.PrincipalFrom(r.Context())
	job, ok := s.imports.get(r.PathValue("job"), p)
	if !ok {
		s.fail(w, r, &problem{Status: http.StatusNotFound, Headline: Text{
			"未找到该导入任务：它不属于您，或已结束超过一小时而不再保留",
			"No such import: it is not yours, or it ended more than an hour ago and was forgotten"}})
		return nil, false
	}
	return job, true
}

func (s *Server) importJobPage(w http.ResponseWriter, r *http.Request) {
	job, ok := s.jobOf(w, r)
	if !ok {
		return
	}
	v := job.view()
	title := Text{"导入进度", "Import progress"}
	s.pageStatus(w, r, http.StatusOK, "import_job.html", title, nil, v)
}

// commitImport imports a finished dry run's rows for real, as a new job;
// asking again leads to the job already started.
func (s *Server) commitImport(w http.ResponseWriter, r *http.Request) {
	job, ok := s.jobOf(w, r)
	if !ok {
		return
	}
	if err := form(w, r); err != nil {
		s.fail(w, r, formUnreadable)
		return
	}
	job.commit.Lock() // one real import per dry run, however many clicks
	defer job.commit.Unlock()
	job.mu.Lock()
	committed, rows := job.committed, job.rows
	ready := !job.running && job.failure == nil && job.progress.Outcome == imports.ImportDryRun
	job.mu.Unlock()
	if committed != "" {
		done(w, r, "/console/import/"+committed, "import-started")
		return
	}
	if !ready || rows == nil {
		p := importInvalid("job", Text{"试运行的数据已不再保留（或尚未完成），请重新上传文件", "the dry run's rows are no longer kept (or it has not finished); upload the file again"})
		p.Status = http.StatusConflict
		s.pageStatus(w, r, http.StatusConflict, "import_job.html", Text{"导入进度", "Import progress"}, p, job.view())
		return
	}
	opts := job.opts
	opts.DryRun = false
	pr, _ := registry.PrincipalFrom(r.Context())
	release, err := s.importSlots.Acquire(pr)
	if err != nil {
		s.pageStatus(w, r, http.StatusOK, "import_job.html", Text{"导入进度", "Import progress"}, problemOf(s.log, err), job.view())
		return
	}
	id, p := s.launchImport(r, release, job.kind, job.fileName, opts, rows)
	if p != nil {
		s.pageStatus(w, r, http.StatusOK, "import_job.html", Text{"导入进度", "Import progress"}, p, job.view())
		return
	}
	job.mu.Lock()
	job.committed, job.rows = id, nil
	job.mu.Unlock()
	done(w, r, "/console/import/"+id, "import-started")
}
