package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/hangzhou-ai/registry/cmd/internal/cli"
	"github.com/hangzhou-ai/registry/csvrows"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/gen/registry/v1/registryv1connect"
)

// importStream is what every ImportService stream offers the command.
type importStream interface {
	send(opts *registryv1.ImportOptions, rows []proto.Message) error
	closeSend() error
	receive() (*registryv1.ImportProgress, error)
	close() error
}

// importKind describes one import: the row message and how to open its stream.
type importKind struct {
	row  func() proto.Message
	open func(ctx context.Context, c registryv1connect.ImportServiceClient) (importStream, error)
}

// streamOf adapts a generated bidirectional stream.
type streamOf[Req, Res any] struct {
	s interface {
		Send(*Req) error
		CloseSend() error
		Receive() (*Res, error)
		Close() error
	}
	request  func(*registryv1.ImportOptions, []proto.Message) *Req
	progress func(*Res) *registryv1.ImportProgress
}

func (s streamOf[Req, Res]) send(opts *registryv1.ImportOptions, rows []proto.Message) error {
	return s.s.Send(s.request(opts, rows))
}
func (s streamOf[Req, Res]) closeSend() error { return s.s.CloseSend() }
func (s streamOf[Req, Res]) close() error     { return s.s.Close() }
func (s streamOf[Req, Res]) receive() (*registryv1.ImportProgress, error) {
	res, err := s.s.Receive()
	if err != nil {
		return nil, err
	}
	return s.progress(res), nil
}

func rowsAs[T proto.Message](rows []proto.Message) []T {
	out := make([]T, len(rows))
	for i, r := range rows {
		out[i] = r.(T)
	}
	return out
}

var importKinds = map[string]importKind{
	"designations": {
		row: func() proto.Message { return &registryv1.DesignationRow{} },
		open: func(ctx context.Context, c registryv1connect.ImportServiceClient) (importStream, error) {
			s, err := c.ImportDesignations(ctx)
			return streamOf[registryv1.ImportDesignationsRequest, registryv1.ImportDesignationsResponse]{s: s,
				request: func(o *registryv1.ImportOptions, rows []proto.Message) *registryv1.ImportDesignationsRequest {
					return &registryv1.ImportDesignationsRequest{Options: o, Rows: rowsAs[*registryv1.DesignationRow](rows)}
				},
				progress: (*registryv1.ImportDesignationsResponse).GetProgress}, err
		},
	},
	"enterprises": {
		row: func() proto.Message { return &registryv1.EnterpriseRow{} },
		open: func(ctx context.Context, c registryv1connect.ImportServiceClient) (importStream, error) {
			s, err := c.ImportEnterprises(ctx)
			return streamOf[registryv1.ImportEnterprisesRequest, registryv1.ImportEnterprisesResponse]{s: s,
				request: func(o *registryv1.ImportOptions, rows []proto.Message) *registryv1.ImportEnterprisesRequest {
					return &registryv1.ImportEnterprisesRequest{Options: o, Rows: rowsAs[*registryv1.EnterpriseRow](rows)}
				},
				progress: (*registryv1.ImportEnterprisesResponse).GetProgress}, err
		},
	},
	"awards": {
		row: func() proto.Message { return &registryv1.AwardRow{} },
		open: func(ctx context.Context, c registryv1connect.ImportServiceClient) (importStream, error) {
			s, err := c.ImportAwards(ctx)
			return streamOf[registryv1.ImportAwardsRequest, registryv1.ImportAwardsResponse]{s: s,
				request: func(o *registryv1.ImportOptions, rows []proto.Message) *registryv1.ImportAwardsRequest {
					return &registryv1.ImportAwardsRequest{Options: o, Rows: rowsAs[*registryv1.AwardRow](rows)}
				},
				progress: (*registryv1.ImportAwardsResponse).GetProgress}, err
		},
	},
	"tenancies": {
		row: func() proto.Message { return &registryv1.TenancyRow{} },
		open: func(ctx context.Context, c registryv1connect.ImportServiceClient) (importStream, error) {
			s, err := c.ImportTenancies(ctx)
			return streamOf[registryv1.ImportTenanciesRequest, registryv1.ImportTenanciesResponse]{s: s,
				request: func(o *registryv1.ImportOptions, rows []proto.Message) *registryv1.ImportTenanciesRequest {
					return &registryv1.ImportTenanciesRequest{Options: o, Rows: rowsAs[*registryv1.TenancyRow](rows)}
				},
				progress: (*registryv1.ImportTenanciesResponse).GetProgress}, err
		},
	},
}

// importCommand is `registryctl import KIND FILE`.
func importCommand(kind string) func(inv *invocation, fs *pflag.FlagSet) action {
	return func(inv *invocation, fs *pflag.FlagSet) action {
		dryRun := fs.Bool("dry-run", false, "validate every row and write nothing")
		skipInvalid := fs.Bool("skip-invalid", false, "load the valid rows and report the rest (default: all or nothing)")
		encoding := fs.String("encoding", csvrows.EncodingAuto, "file `encoding`: auto, utf-8 or gb18030")
		batch := fs.Int("batch", 1000, "`rows` per message, 1 to 5000")
		cli.Env(fs, "encoding", "REGISTRY_IMPORT_ENCODING")
		cli.Env(fs, "batch", "REGISTRY_IMPORT_BATCH")
		return func(pos []string) error {
			if *batch < 1 || *batch > 5000 {
				return fmt.Errorf("--batch %d: want 1 to 5000 rows", *batch)
			}
			opts := &registryv1.ImportOptions{DryRun: *dryRun, SkipInvalid: *skipInvalid}
			// The import runs aside so that a signal (the invocation's context)
			// ends the command at once, even while it waits for its input: the
			// stream is cancelled with the context, and the registry keeps
			// nothing of an import it has not finished.
			done := make(chan error, 1)
			go func() { done <- inv.importFrom(kind, pos[0], opts, *encoding, *batch) }()
			select {
			case err := <-done:
				return err
			case <-inv.ctx.Done():
				return fmt.Errorf("import %s interrupted (%v): the registry keeps nothing of an import it had not finished", kind, context.Cause(inv.ctx))
			}
		}
	}
}

// importFrom imports the file at path, or standard input for "-". Input
// that cannot be read twice is first copied to a temporary file when the
// encoding is to be detected, which needs the whole file.
func (inv *invocation) importFrom(kind, path string, opts *registryv1.ImportOptions, encoding string, batch int) error {
	in, name := inv.stdin, "standard input"
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		in, name = f, path
	} else if encoding == "" || strings.EqualFold(encoding, csvrows.EncodingAuto) {
		spooled, err := spool(inv.stdin)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		defer spooled.Close()
		in = spooled
	}
	return inv.runImport(kind, name, in, opts, encoding, batch)
}

// spool returns r as a seekable file: r itself when it is one, else a
// copy in an unnamed temporary file, removed when it is closed.
func spool(r io.Reader) (io.ReadSeekCloser, error) {
	if f, ok := r.(*os.File); ok {
		if _, err := f.Seek(0, io.SeekCurrent); err == nil {
			return &tempFile{File: f, kept: true}, nil
		}
	}
	f, err := os.CreateTemp("", "registryctl-import-*.csv")
	if err != nil {
		return nil, err
	}
	name := f.Name()
	removed := os.Remove(name) == nil // unlinked at once where the system allows
	tmp := &tempFile{File: f, name: name, removed: removed}
	if _, err := io.Copy(f, r); err != nil {
		tmp.Close()
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		tmp.Close()
		return nil, err
	}
	return tmp, nil
}

// tempFile removes its file, if still named, when closed; a kept file (the
// caller's standard input) is left open.
type tempFile struct {
	*os.File
	name    string
	removed bool
	kept    bool
}

func (t *tempFile) Close() error {
	if t.kept {
		return nil
	}
	err := t.File.Close()
	if !t.removed {
		err = errors.Join(err, os.Remove(t.name))
	}
	return err
}

// rowFields maps CSV column names to the row message's fields; the row
// number field is set from the file, not from a column.
func rowFields(row proto.Message, header []string) ([]protoreflect.FieldDescriptor, error) {
	fields := row.ProtoReflect().Descriptor().Fields()
	var out []protoreflect.FieldDescriptor
	var known []string
	for i := range fields.Len() {
		if f := fields.Get(i); f.Name() != "row" {
			known = append(known, string(f.Name()))
		}
	}
	for _, col := range header {
		f := fields.ByName(protoreflect.Name(col))
		if f == nil || col == "row" {
			return nil, fmt.Errorf("unknown column %q; the columns are %s", col, strings.Join(known, ", "))
		}
		out = append(out, f)
	}
	return out, nil
}

// runImport streams the file's rows in batches and reports progress and
// every error the registry finds.
func (inv *invocation) runImport(kind, name string, in io.Reader, opts *registryv1.ImportOptions, encoding string, batch int) error {
	k := importKinds[kind]
	rd, err := csvrows.NewReader(in, encoding)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	fields, err := rowFields(k.row(), rd.Header())
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	ctx, cancel := context.WithCancel(inv.ctx)
	defer cancel()
	stream, err := k.open(ctx, inv.clients().Import)
	if err != nil {
		return err
	}
	defer stream.close()

	progress := newProgressReporter(inv.stderr, kind, inv.now)
	var final *registryv1.ImportProgress
	var received sync.WaitGroup
	var receiveErr error
	received.Add(1)
	go func() {
		defer received.Done()
		for {
			p, err := stream.receive()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				receiveErr = err
				return
			}
			for _, e := range p.GetErrors() {
				fmt.Fprintf(inv.stdout, "row %d, %s: %s\n", e.GetRow(), e.GetColumn(), e.GetMessage())
			}
			progress.update(p)
			if p.GetOutcome() != registryv1.ImportOutcome_IMPORT_OUTCOME_IN_PROGRESS {
				final = p
			}
		}
	}()

	sendErr := func() error {
		rows := make([]proto.Message, 0, batch)
		first := true
		flush := func() error {
			if len(rows) == 0 && !first {
				return nil
			}
			o := opts
			if !first {
				o = nil
			}
			first = false
			err := stream.send(o, rows)
			progress.sent(len(rows))
			rows = rows[:0]
			return err
		}
		for {
			r, err := rd.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			msg := k.row()
			m := msg.ProtoReflect()
			m.Set(m.Descriptor().Fields().ByName("row"), protoreflect.ValueOfInt64(r.Line))
			for i, col := range rd.Header() {
				if v := r.Fields[col]; v != "" {
					m.Set(fields[i], protoreflect.ValueOfString(v))
				}
			}
			rows = append(rows, msg)
			if len(rows) == batch {
				if err := flush(); err != nil {
					return sendFailure(err)
				}
			}
		}
		if err := flush(); err != nil {
			return sendFailure(err)
		}
		return stream.closeSend()
	}()
	if sendErr != nil {
		cancel() // abandon the import: the registry writes nothing
		received.Wait()
		progress.done()
		return fmt.Errorf("%s (nothing was imported)", sendErr)
	}
	received.Wait()
	progress.done()
	if receiveErr != nil {
		return receiveErr
	}
	if final == nil {
		return errors.New("the registry ended the import without an outcome")
	}
	if err := inv.emit(final, func(t *table) {
		t.row("OUTCOME", "ROWS", "CREATED", "EXISTING", "INVALID", "ENTERPRISES CREATED")
		t.row(outcomeWord(final.GetOutcome()), fmt.Sprint(final.GetRowsReceived()), fmt.Sprint(final.GetCreated()),
			fmt.Sprint(final.GetExisting()), fmt.Sprint(final.GetInvalid()), fmt.Sprint(final.GetEnterprisesCreated()))
	}); err != nil {
		return err
	}
	switch {
	case final.GetOutcome() == registryv1.ImportOutcome_IMPORT_OUTCOME_ROLLED_BACK:
		return fmt.Errorf("%d invalid rows: nothing was imported (fix them, or use --skip-invalid)", final.GetInvalid())
	case final.GetInvalid() > 0:
		return fmt.Errorf("%d invalid rows", final.GetInvalid())
	}
	return nil
}

// sendFailure is what a failed send means for the import: io.EOF says the
// registry ended the stream, and receiving reports why (nil here); any
// other error (a row that cannot be encoded, say) is the client's own, and
// the import must be abandoned, or both sides would wait for each other.
func sendFailure(err error) error {
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

func outcomeWord(o registryv1.ImportOutcome) string {
	return strings.ToLower(strings.TrimPrefix(o.String(), "IMPORT_OUTCOME_"))
}

// abortOnCancel closes a request's body when its context ends. The HTTP/2
// transport notices a cancelled context only between reads of the body: a
// stream whose rows are being read from a quiet pipe would otherwise stay
// open after the command gave up on it. A body closed under the transport
// fails its read, and the transport resets the stream, which the registry
// sees as an abandoned import (a cleanly ended body would finish it).
type abortOnCancel struct{ http.RoundTripper }

func (t abortOnCancel) RoundTrip(req *http.Request) (*http.Response, error) {
	if body := req.Body; body != nil && body != http.NoBody {
		context.AfterFunc(req.Context(), func() { _ = body.Close() })
	}
	return t.RoundTripper.RoundTrip(req)
}

// progressReporter shows rows sent, rows processed, errors so far and the
// rate: a bar redrawn in place on a terminal, a plain line every few
// seconds otherwise.
type progressReporter struct {
	mu       sync.Mutex
	w        io.Writer
	kind     string
	now      func() time.Time
	tty      bool
	start    time.Time
	last     time.Time
	sentRows int64
	p        *registryv1.ImportProgress
}

func newProgressReporter(w io.Writer, kind string, now func() time.Time) *progressReporter {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil {
			tty = st.Mode()&os.ModeCharDevice != 0
		}
	}
	t := now()
	return &progressReporter{w: w, kind: kind, now: now, tty: tty, start: t, last: t, p: &registryv1.ImportProgress{}}
}

func (r *progressReporter) sent(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sentRows += int64(n)
	r.show(false)
}

func (r *progressReporter) update(p *registryv1.ImportProgress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.p = p
	r.show(false)
}

func (r *progressReporter) done() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.show(true)
	if r.tty {
		fmt.Fprintln(r.w)
	}
}

// show draws the progress; without a terminal, at most every 2 seconds.
func (r *progressReporter) show(final bool) {
	now := r.now()
	interval := 2 * time.Second
	if r.tty {
		interval = 100 * time.Millisecond
	}
	if !final && now.Sub(r.last) < interval {
		return
	}
	r.last = now
	elapsed := now.Sub(r.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(r.p.GetRowsReceived()) / elapsed
	}
	line := fmt.Sprintf("import %s: %d rows sent, %d processed, %d errors, %.0f rows/s",
		r.kind, r.sentRows, r.p.GetRowsReceived(), r.p.GetInvalid(), rate)
	if r.tty {
		fmt.Fprintf(r.w, "\r\x1b[K%s", line)
		return
	}
	fmt.Fprintln(r.w, line)
}
