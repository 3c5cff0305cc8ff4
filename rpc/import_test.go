package rpc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"testing"
	"time"

	"connectrpc.com/connect/v2"
	"google.golang.org/protobuf/proto"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/imports"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/rpc"
	"github.com/hangzhou-ai/registry/rpc/client"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// importResult is every progress message of one import stream.
type importResult struct {
	progress []*registryv1.ImportProgress
	errors   []*registryv1.ImportError
}

func (r importResult) final() *registryv1.ImportProgress { return r.progress[len(r.progress)-1] }

// importDesignations streams rows in batches and collects the answers.
func importDesignations(t *testing.T, c *rpctest.Clients, opts *registryv1.ImportOptions, rows []*registryv1.DesignationRow, batch int) (importResult, error) {
	t.Helper()
	stream, err := c.Import.ImportDesignations(t.Context())
	if err != nil {
		return importResult{}, err
	}
	defer stream.Close()
	var res importResult
	for start := 0; start == 0 || start < len(rows); start += batch {
		req := &registryv1.ImportDesignationsRequest{Rows: rows[start:min(start+batch, len(rows))]}
		if start == 0 {
			req.Options = opts
		}
		if err := stream.Send(req); err != nil {
			break // the server ended the stream; Receive says why
		}
	}
	if err := stream.CloseSend(); err != nil {
		return res, err
	}
	for {
		msg, err := stream.Receive()
		if errors.Is(err, io.EOF) {
			return res, nil
		}
		if err != nil {
			return res, err
		}
		res.progress = append(res.progress, msg.Progress)
		res.errors = append(res.errors, msg.Progress.Errors...)
	}
}

func countDesignations(t *testing.T, c *rpctest.Clients, typ string) int {
	t.Helper()
	total, token := 0, ""
	for {
		res, err := c.Designation.ListDesignations(t.Context(), &registryv1.ListDesignationsRequest{Type: typ, PageSize: 500, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		total += len(res.Designations)
		if token = res.NextPageToken; token == "" {
			return total
		}
	}
}

func giantRows(t *testing.T, n int, newEvery int) []*registryv1.DesignationRow {
	rows := make([]*registryv1.DesignationRow, n)
	for i := range rows {
		rows[i] = &registryv1.DesignationRow{
			Row: int64(i + 2), Type: "little-giant", EnterpriseCreditCode: registrytest.CreditCode(t, fmt.Sprintf("91330100MA2%06d", i)),
			ValidFrom: "2025-01-01", ValidUntil: "2027-12-31", DocumentNumber: "工信部企业函〔2024〕135号",
		}
		if newEvery > 0 && i%newEvery == 0 {
			rows[i].EnterpriseName = fmt.Sprintf("新企业%d", i)
			rows[i].District = "滨江区"
		}
	}
	return rows
}

// TestImportDesignations loads a list with unknown enterprises (registered
// in the same import) and a repeated row, re-runs it without creating
// anything, and checks counts, audit events and the chain.
func TestImportDesignations(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		economy := env.As("issuer", "bureau:economy-it")
		auditor := env.As("auditor", "auditor")
		rows := giantRows(t, 30, 1)   // every row names its enterprise
		for _, r := range rows[:10] { // ten are known already
			if _, err := economy.Enterprise.RegisterEnterprise(t.Context(), &registryv1.RegisterEnterpriseRequest{CreditCode: r.EnterpriseCreditCode, Name: "已登记企业"}); err != nil {
				t.Fatal(err)
			}
		}
		rows = append(rows, rows[3]) // the same row again, later in the file
		before, err := auditor.Audit.VerifyAuditChain(t.Context(), &registryv1.VerifyAuditChainRequest{})
		if err != nil {
			t.Fatal(err)
		}
		res, err := importDesignations(t, economy, nil, rows, 7)
		if err != nil {
			t.Fatal(err)
		}
		f := res.final()
		if f.Outcome != registryv1.ImportOutcome_IMPORT_OUTCOME_COMMITTED || f.RowsReceived != 31 || f.Created != 30 || f.Existing != 1 || f.Invalid != 0 || f.EnterprisesCreated != 20 {
			t.Fatalf("first run: %+v", f)
		}
		if len(res.progress) != 6 { // five batches and the outcome
			t.Fatalf("%d progress messages, want 6", len(res.progress))
		}
		if got := countDesignations(t, economy, "little-giant"); got != 30 {
			t.Fatalf("%d designations, want 30", got)
		}
		after, err := auditor.Audit.VerifyAuditChain(t.Context(), &registryv1.VerifyAuditChainRequest{})
		if err != nil || !after.Ok || after.EventsChecked != before.EventsChecked+50 {
			t.Fatalf("chain after import: %+v (before %d events) %v", after, before.EventsChecked, err)
		}
		again, err := importDesignations(t, economy, nil, rows, 100)
		if err != nil {
			t.Fatal(err)
		}
		if f := again.final(); f.Created != 0 || f.Existing != 31 || f.EnterprisesCreated != 0 || f.Outcome != registryv1.ImportOutcome_IMPORT_OUTCOME_COMMITTED {
			t.Fatalf("second run: %+v", f)
		}
		if got := countDesignations(t, economy, "little-giant"); got != 30 {
			t.Fatalf("re-run changed the count to %d", got)
		}
	})
}

// TestImportValidation checks dry runs, all-or-nothing, skip_invalid,
// per-row permission refusals and an abandoned stream.
func TestImportValidation(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		economy := env.As("issuer", "bureau:economy-it")
		rows := giantRows(t, 12, 1)
		rows[2].EnterpriseCreditCode = "91110000600037341X" // bad check character
		rows[5].ValidUntil = "2020-01-01"                   // before valid_from
		rows[7].Type = "talent-recognition"                 // a talent type with a credit code
		rows[9].EnterpriseName, rows[9].District = "", ""   // unknown enterprise without a name
		rows[9].EnterpriseCreditCode = registrytest.CreditCode(t, "91330100MA2999999")
		wantBad := map[int64]string{4: "enterprise_credit_code", 7: "valid_until", 9: "type", 11: "enterprise_credit_code"}

		t.Run("dry run reports every error and writes nothing", func(t *testing.T) {
			res, err := importDesignations(t, economy, &registryv1.ImportOptions{DryRun: true}, rows, 5)
			if err != nil {
				t.Fatal(err)
			}
			f := res.final()
			if f.Outcome != registryv1.ImportOutcome_IMPORT_OUTCOME_DRY_RUN || f.Invalid != 4 || f.Created != 8 {
				t.Fatalf("dry run: %+v", f)
			}
			got := map[int64]bool{}
			for _, e := range res.errors {
				got[e.Row] = true
				if wantBad[e.Row] == "" {
					t.Errorf("unexpected error %+v", e)
				}
			}
			for row, column := range wantBad {
				found := false
				for _, e := range res.errors {
					found = found || (e.Row == row && e.Column == column)
				}
				if !found {
					t.Errorf("row %d: no error on %s in %+v", row, column, res.errors)
				}
			}
			if n := countDesignations(t, economy, ""); n != 0 {
				t.Fatalf("dry run wrote %d designations", n)
			}
		})
		t.Run("one invalid row stops a real run", func(t *testing.T) {
			res, err := importDesignations(t, economy, nil, rows, 5)
			if err != nil {
				t.Fatal(err)
			}
			if f := res.final(); f.Outcome != registryv1.ImportOutcome_IMPORT_OUTCOME_ROLLED_BACK || f.Invalid != 4 {
				t.Fatalf("all-or-nothing: %+v", f)
			}
			if n := countDesignations(t, economy, ""); n != 0 {
				t.Fatalf("a rolled-back import left %d designations", n)
			}
		})
		t.Run("skip_invalid loads the valid rows", func(t *testing.T) {
			res, err := importDesignations(t, economy, &registryv1.ImportOptions{SkipInvalid: true}, rows, 5)
			if err != nil {
				t.Fatal(err)
			}
			if f := res.final(); f.Outcome != registryv1.ImportOutcome_IMPORT_OUTCOME_COMMITTED || f.Invalid != 4 || f.Created != 8 {
				t.Fatalf("skip_invalid: %+v", f)
			}
			if n := countDesignations(t, economy, ""); n != 8 {
				t.Fatalf("%d designations, want 8", n)
			}
		})
		t.Run("rows of a type the bureau does not grant are refused", func(t *testing.T) {
			talentOffice := env.As("issuer", "bureau:talent-office")
			res, err := importDesignations(t, talentOffice, nil, giantRows(t, 3, 1), 10)
			if err != nil {
				t.Fatal(err)
			}
			if f := res.final(); f.Invalid != 3 || f.Outcome != registryv1.ImportOutcome_IMPORT_OUTCOME_ROLLED_BACK || res.errors[0].Column != "type" {
				t.Fatalf("talent office importing little giants: %+v %+v", f, res.errors)
			}
			member := env.As("member", "enterprise:"+rows[0].EnterpriseCreditCode)
			if res, err := importDesignations(t, member, nil, giantRows(t, 1, 1), 10); err == nil && res.final().Created != 0 {
				t.Fatalf("an enterprise member imported: %+v", res.final())
			}
		})
		t.Run("an abandoned stream writes nothing", func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			stream, err := economy.Import.ImportDesignations(ctx)
			if err != nil {
				t.Fatal(err)
			}
			fresh := giantRows(t, 40, 1)[20:]
			if err := stream.Send(&registryv1.ImportDesignationsRequest{Rows: fresh}); err != nil {
				t.Fatal(err)
			}
			if _, err := stream.Receive(); err != nil {
				t.Fatal(err)
			}
			cancel()
			stream.Close()
			if n := countDesignations(t, economy, ""); n != 8 {
				t.Fatalf("%d designations after an abandoned import, want 8", n)
			}
		})
		t.Run("a stream without options or rows is refused", func(t *testing.T) {
			// The server learns of the abandoned stream above only when
			// its cancellation arrives; until then that import holds the
			// principal's one slot.
			deadline := time.Now().Add(10 * time.Second)
			for {
				stream, err := economy.Import.ImportDesignations(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				_ = stream.CloseSend()
				_, err = stream.Receive()
				stream.Close()
				if connect.CodeOf(err) == connect.CodeResourceExhausted && time.Now().Before(deadline) {
					time.Sleep(20 * time.Millisecond)
					continue
				}
				if connect.CodeOf(err) != connect.CodeInvalidArgument {
					t.Fatalf("empty stream: %v", err)
				}
				break
			}
		})
		t.Run("the next import may start as soon as one has answered", func(t *testing.T) {
			for i := range 20 {
				stream, err := economy.Import.ImportDesignations(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if err := stream.Send(&registryv1.ImportDesignationsRequest{Options: &registryv1.ImportOptions{DryRun: true}, Rows: giantRows(t, 1, 1)}); err != nil {
					t.Fatal(err)
				}
				_ = stream.CloseSend()
				var last *registryv1.ImportProgress
				for {
					res, err := stream.Receive()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						t.Fatalf("import %d: %v", i, err)
					}
					last = res.GetProgress()
				}
				stream.Close()
				if last.GetOutcome() != registryv1.ImportOutcome_IMPORT_OUTCOME_DRY_RUN {
					t.Fatalf("import %d ended with %v, want a dry run", i, last)
				}
			}
		})
	})
}

// TestImportTenanciesAndEnterprises loads a park's tenant roll and an
// enterprise list, idempotently.
func TestImportTenanciesAndEnterprises(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		ctx := t.Context()
		economy := env.As("issuer", "bureau:economy-it")
		if _, err := economy.Park.RegisterPark(ctx, &registryv1.RegisterParkRequest{Code: "west-lake", Name: "西湖园"}); err != nil {
			t.Fatal(err)
		}
		enterprises := func() []*registryv1.EnterpriseRow {
			var rows []*registryv1.EnterpriseRow
			for i := range 6 {
				rows = append(rows, &registryv1.EnterpriseRow{Row: int64(i + 2), CreditCode: registrytest.CreditCode(t, fmt.Sprintf("91330100MA2%06d", i)), Name: fmt.Sprintf("企业%d", i), RegisteredOn: "2023-03-01"})
			}
			return rows
		}()
		for run, want := range []int64{6, 0} {
			stream, err := economy.Import.ImportEnterprises(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := stream.Send(&registryv1.ImportEnterprisesRequest{Rows: enterprises}); err != nil {
				t.Fatal(err)
			}
			_ = stream.CloseSend()
			var last *registryv1.ImportProgress
			for {
				msg, err := stream.Receive()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				last = msg.Progress
			}
			stream.Close()
			if last.Created != want || last.Existing != 6-want {
				t.Fatalf("enterprise run %d: %+v", run, last)
			}
		}
		operator := env.As("operator", "park:west-lake")
		tenancies := []*registryv1.TenancyRow{
			{Row: 2, ParkCode: "west-lake", EnterpriseCreditCode: enterprises[0].CreditCode, StartDate: "2026-01-01", FloorAreaM2: "350.5"},
			{Row: 3, ParkCode: "west-lake", EnterpriseCreditCode: enterprises[1].CreditCode, StartDate: "2026-02-01", EndDate: "2026-12-31"},
			{Row: 4, ParkCode: "west-lake", EnterpriseCreditCode: enterprises[0].CreditCode, StartDate: "2026-06-01"}, // overlaps row 2
			{Row: 5, ParkCode: "west-lake", EnterpriseCreditCode: enterprises[2].CreditCode, StartDate: "2026-03-01", FloorAreaM2: "lots"},
			{Row: 6, ParkCode: "qiantang", EnterpriseCreditCode: enterprises[3].CreditCode, StartDate: "2026-03-01"}, // not its park
		}
		for run, want := range []int64{2, 0} {
			stream, err := operator.Import.ImportTenancies(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := stream.Send(&registryv1.ImportTenanciesRequest{Options: &registryv1.ImportOptions{SkipInvalid: true}, Rows: tenancies}); err != nil {
				t.Fatal(err)
			}
			_ = stream.CloseSend()
			var last *registryv1.ImportProgress
			var errs []*registryv1.ImportError
			for {
				msg, err := stream.Receive()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				last = msg.Progress
				errs = append(errs, msg.Progress.Errors...)
			}
			stream.Close()
			if last.Created != want || last.Existing != 2-want || last.Invalid != 3 {
				t.Fatalf("tenancy run %d: %+v %+v", run, last, errs)
			}
		}
		list, err := operator.Park.ListTenants(ctx, &registryv1.ListTenantsRequest{ParkCode: "west-lake", AsOf: "2026-06-15"})
		if err != nil || len(list.Tenancies) != 2 {
			t.Fatalf("tenants: %v %+v", err, list)
		}
	})
}

// anyImport is any ImportService stream (importStream adapted), as the tests below drive it.
type anyImport struct {
	// send sends one message: opts (nil after the first) and one row of
	// the stream's kind, made from n.
	send      func(opts *registryv1.ImportOptions, n int) error
	receive   func() (*registryv1.ImportProgress, error)
	closeSend func() error
	close     func() error
}

func adaptStream[Req, Res any](s importStream[Req, Res], request func(*registryv1.ImportOptions, int) *Req, progress func(*Res) *registryv1.ImportProgress) anyImport {
	return anyImport{
		send: func(opts *registryv1.ImportOptions, n int) error { return s.Send(request(opts, n)) },
		receive: func() (*registryv1.ImportProgress, error) {
			res, err := s.Receive()
			if err != nil {
				return nil, err
			}
			return progress(res), nil
		},
		closeSend: s.CloseSend,
		close:     s.Close,
	}
}

// idleCode is the credit code of the n-th enterprise the tests below import.
func idleCode(t *testing.T, n int) string {
	return registrytest.CreditCode(t, fmt.Sprintf("91330100MA3%06d", n))
}

// openImport opens a stream of kind as c.
func openImport(t *testing.T, ctx context.Context, c *rpctest.Clients, kind string) anyImport {
	t.Helper()
	var s anyImport
	var err error
	switch kind {
	case "enterprises":
		var st importStream[registryv1.ImportEnterprisesRequest, registryv1.ImportEnterprisesResponse]
		st, err = c.Import.ImportEnterprises(ctx)
		s = adaptStream(st, func(o *registryv1.ImportOptions, n int) *registryv1.ImportEnterprisesRequest {
			return &registryv1.ImportEnterprisesRequest{Options: o, Rows: []*registryv1.EnterpriseRow{
				{Row: int64(n + 2), CreditCode: idleCode(t, n), Name: fmt.Sprintf("企业%d", n), RegisteredOn: "2023-03-01"}}}
		}, (*registryv1.ImportEnterprisesResponse).GetProgress)
	case "designations":
		var st importStream[registryv1.ImportDesignationsRequest, registryv1.ImportDesignationsResponse]
		st, err = c.Import.ImportDesignations(ctx)
		s = adaptStream(st, func(o *registryv1.ImportOptions, n int) *registryv1.ImportDesignationsRequest {
			row := giantRows(t, 1, 1)[0]
			row.EnterpriseCreditCode = idleCode(t, n)
			return &registryv1.ImportDesignationsRequest{Options: o, Rows: []*registryv1.DesignationRow{row}}
		}, (*registryv1.ImportDesignationsResponse).GetProgress)
	case "awards":
		var st importStream[registryv1.ImportAwardsRequest, registryv1.ImportAwardsResponse]
		st, err = c.Import.ImportAwards(ctx)
		s = adaptStream(st, func(o *registryv1.ImportOptions, n int) *registryv1.ImportAwardsRequest {
			return &registryv1.ImportAwardsRequest{Options: o, Rows: []*registryv1.AwardRow{
				{Row: int64(n + 2), CompetitionId: "0190c0de-0000-7000-8000-000000000001", Name: "张三", IdNumber: registrytest.IDNumber(t, "33010619900101001"), Prize: "一等奖"}}}
		}, (*registryv1.ImportAwardsResponse).GetProgress)
	case "tenancies":
		var st importStream[registryv1.ImportTenanciesRequest, registryv1.ImportTenanciesResponse]
		st, err = c.Import.ImportTenancies(ctx)
		s = adaptStream(st, func(o *registryv1.ImportOptions, n int) *registryv1.ImportTenanciesRequest {
			return &registryv1.ImportTenanciesRequest{Options: o, Rows: []*registryv1.TenancyRow{
				{Row: int64(n + 2), ParkCode: "west-lake", EnterpriseCreditCode: idleCode(t, n), StartDate: "2026-01-01"}}}
		}, (*registryv1.ImportTenanciesResponse).GetProgress)
	default:
		t.Fatalf("unknown import kind %q", kind)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.close() })
	return s
}

// receiveWithin waits at most d for the stream's next message.
func receiveWithin(t *testing.T, s anyImport, d time.Duration) (*registryv1.ImportProgress, error) {
	t.Helper()
	type answer struct {
		p   *registryv1.ImportProgress
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		p, err := s.receive()
		ch <- answer{p, err}
	}()
	select {
	case a := <-ch:
		return a.p, a.err
	case <-time.After(d):
		t.Fatalf("no answer on the import stream within %s", d)
		return nil, nil
	}
}

// TestImportRefusedBeforeAnyWork opens each kind of import as a principal
// who may not import it at all, sends one message and waits: the stream is
// refused with permission_denied at once, not answered row by row while a
// transaction stays open.
func TestImportRefusedBeforeAnyWork(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		for _, c := range []struct {
			kind, role, org string
		}{
			{"enterprises", "member", "enterprise:" + idleCode(t, 0)},
			{"enterprises", "operator", "park:west-lake"},
			{"designations", "member", "enterprise:" + idleCode(t, 0)},
			{"designations", "viewer", "bureau:economy-it"},
			{"awards", "issuer", "bureau:talent-office"},
			{"awards", "member", "enterprise:" + idleCode(t, 0)},
			{"tenancies", "issuer", "bureau:economy-it"},
			{"tenancies", "viewer", "park:west-lake"},
		} {
			t.Run(c.kind+" by "+c.role+"@"+c.org, func(t *testing.T) {
				s := openImport(t, t.Context(), env.As(c.role, c.org), c.kind)
				start := time.Now()
				if err := s.send(&registryv1.ImportOptions{}, 0); err != nil && !errors.Is(err, io.EOF) {
					t.Fatal(err)
				}
				p, err := receiveWithin(t, s, 10*time.Second)
				if connect.CodeOf(err) != connect.CodePermissionDenied {
					t.Fatalf("got %+v, %v; want permission_denied", p, err)
				}
				if elapsed := time.Since(start); elapsed > time.Second {
					t.Fatalf("refused after %s, want at once", elapsed)
				}
			})
		}
	})
}

// TestImportIdleStream leaves an issuer's import idle after its first
// rows: meanwhile another issuer's write goes through within a second (no
// lock is held while rows arrive), and after the idle timeout the stream
// ends with deadline_exceeded, having written nothing.
func TestImportIdleStream(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		const idle = 2 * time.Second
		env := rpctest.NewWithOptions(t, db, rpc.WithLimits(rpc.Limits{MaxCallDuration: time.Minute}),
			rpc.WithImportLimits(rpc.ImportLimits{IdleTimeout: idle, MaxConcurrent: 2}))
		economy := env.As("issuer", "bureau:economy-it")
		talentOffice := env.As("issuer", "bureau:talent-office") // minting its token writes
		s := openImport(t, t.Context(), economy, "enterprises")
		if err := s.send(&registryv1.ImportOptions{}, 1); err != nil {
			t.Fatal(err)
		}
		if p, err := receiveWithin(t, s, 10*time.Second); err != nil || p.RowsReceived != 1 || p.Invalid != 0 {
			t.Fatalf("first batch: %+v %v", p, err)
		}

		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		start := time.Now()
		_, err := talentOffice.Enterprise.RegisterEnterprise(ctx,
			&registryv1.RegisterEnterpriseRequest{CreditCode: idleCode(t, 2), Name: "并发登记企业"})
		if elapsed := time.Since(start); err != nil || elapsed > time.Second {
			t.Fatalf("a write beside an idle import took %s: %v", elapsed, err)
		}

		if p, err := receiveWithin(t, s, idle+10*time.Second); connect.CodeOf(err) != connect.CodeDeadlineExceeded {
			t.Fatalf("idle stream: %+v, %v; want deadline_exceeded", p, err)
		}
		if _, err := economy.Enterprise.GetEnterprise(t.Context(), &registryv1.GetEnterpriseRequest{CreditCode: idleCode(t, 1)}); connect.CodeOf(err) != connect.CodeNotFound {
			t.Fatalf("the idle import's row was written: %v", err)
		}
	})
}

// TestImportConcurrencyLimit runs as many imports as the server allows:
// one more is refused at once with resource_exhausted, and once one has
// finished another may start.
func TestImportConcurrencyLimit(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.NewWithOptions(t, db, rpc.WithLimits(rpc.Limits{MaxCallDuration: time.Minute}),
			rpc.WithImportLimits(rpc.ImportLimits{IdleTimeout: time.Minute, MaxConcurrent: 2}))
		// Each import by another member of the bureau's staff: one
		// principal runs one import at a time.
		clerk := func(name string) *rpctest.Clients {
			return env.ClientsWithToken(env.Token(registry.Principal{Subject: name, Org: "bureau:economy-it", Role: "issuer"}))
		}
		economy := clerk("经信局 张三")
		var running []anyImport
		for i, c := range []*rpctest.Clients{economy, clerk("经信局 李四")} {
			s := openImport(t, t.Context(), c, "enterprises")
			if err := s.send(&registryv1.ImportOptions{}, i); err != nil {
				t.Fatal(err)
			}
			if _, err := receiveWithin(t, s, 10*time.Second); err != nil {
				t.Fatalf("import %d: %v", i+1, err)
			}
			running = append(running, s)
			if i == 0 {
				again := openImport(t, t.Context(), economy, "enterprises")
				if err := again.send(&registryv1.ImportOptions{}, 9); err != nil && !errors.Is(err, io.EOF) {
					t.Fatal(err)
				}
				if p, err := receiveWithin(t, again, 10*time.Second); connect.CodeOf(err) != connect.CodeResourceExhausted {
					t.Fatalf("a second import by the same principal: %+v, %v; want resource_exhausted", p, err)
				}
			}
		}
		third := openImport(t, t.Context(), clerk("经信局 王五"), "enterprises")
		if err := third.send(&registryv1.ImportOptions{}, 2); err != nil && !errors.Is(err, io.EOF) {
			t.Fatal(err)
		}
		if p, err := receiveWithin(t, third, 10*time.Second); connect.CodeOf(err) != connect.CodeResourceExhausted {
			t.Fatalf("third import: %+v, %v; want resource_exhausted", p, err)
		}

		if err := running[0].closeSend(); err != nil {
			t.Fatal(err)
		}
		var last *registryv1.ImportProgress
		for {
			p, err := receiveWithin(t, running[0], 10*time.Second)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			last = p
		}
		if last.Outcome != registryv1.ImportOutcome_IMPORT_OUTCOME_COMMITTED || last.Created != 1 {
			t.Fatalf("first import: %+v", last)
		}
		next := openImport(t, t.Context(), economy, "enterprises")
		if err := next.send(&registryv1.ImportOptions{}, 3); err != nil {
			t.Fatal(err)
		}
		if _, err := receiveWithin(t, next, 10*time.Second); err != nil {
			t.Fatalf("an import after one finished: %v", err)
		}
	})
}

// TestImportWritesAtTheEnd imports more rows than one write chunk, with a
// row repeated across chunks and more problems found while writing than
// one answer holds (1000): every problem is reported once, the repeat counts as
// existing, and the temporary file the rows waited in is gone (on Unix
// from the start: it is unlinked as soon as it is created).
func TestImportWritesAtTheEnd(t *testing.T) {
	spillDir := t.TempDir()
	t.Setenv("TMPDIR", spillDir)
	leftovers := func(t *testing.T) []string {
		t.Helper()
		entries, err := os.ReadDir(spillDir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		economy := env.As("issuer", "bureau:economy-it")
		const good, bad = 1200, 1100
		rows := giantRows(t, good, 1) // each names its enterprise, registered by the import
		for i := range bad {          // unknown enterprises without a name: refused while writing
			rows = append(rows, &registryv1.DesignationRow{
				Row: int64(good + i + 2), Type: "little-giant", EnterpriseCreditCode: registrytest.CreditCode(t, fmt.Sprintf("91330100MA4%06d", i)),
				ValidFrom: "2025-01-01", ValidUntil: "2027-12-31", DocumentNumber: "工信部企业函〔2024〕135号",
			})
		}
		repeat := proto.CloneOf(rows[0])
		repeat.Row = int64(len(rows) + 2)
		rows = append(rows, repeat)

		stream, err := economy.Import.ImportDesignations(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer stream.Close()
		var messages []*registryv1.ImportProgress
		receive := func() error {
			msg, err := stream.Receive()
			if err == nil {
				messages = append(messages, msg.Progress)
			}
			return err
		}
		const batch = 500
		for start := 0; start < len(rows); start += batch {
			req := &registryv1.ImportDesignationsRequest{Rows: rows[start:min(start+batch, len(rows))]}
			if start == 0 {
				req.Options = &registryv1.ImportOptions{SkipInvalid: true}
			}
			if err := stream.Send(req); err != nil {
				t.Fatal(err)
			}
			if err := receive(); err != nil {
				t.Fatal(err)
			}
			if start == 0 && runtime.GOOS != "windows" {
				if names := leftovers(t); len(names) > 0 {
					t.Errorf("rows wait in files that have a name: %v", names)
				}
			}
		}
		if err := stream.CloseSend(); err != nil {
			t.Fatal(err)
		}
		for {
			if err := receive(); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatal(err)
			}
		}
		final := messages[len(messages)-1]
		if final.Outcome != registryv1.ImportOutcome_IMPORT_OUTCOME_COMMITTED || final.RowsReceived != int64(len(rows)) ||
			final.Created != good || final.Existing != 1 || final.EnterprisesCreated != good || final.Invalid != bad {
			t.Fatalf("final: %+v", final)
		}
		reported := map[int64]int{}
		for _, m := range messages {
			if len(m.Errors) > 1000 {
				t.Errorf("one answer carries %d errors; at most 1000 go in one", len(m.Errors))
			}
			for _, e := range m.Errors {
				reported[e.Row]++
				if e.Column != "enterprise_credit_code" {
					t.Errorf("unexpected error %+v", e)
				}
			}
		}
		// The first problems are listed, each once; the rest are counted.
		if want := min(bad, imports.MaxImportErrors); len(reported) != want {
			t.Fatalf("%d rows reported, want %d", len(reported), want)
		}
		for row, n := range reported {
			if n != 1 || row < good+2 || row >= good+bad+2 {
				t.Fatalf("row %d reported %d times", row, n)
			}
		}
		if n := countDesignations(t, economy, "little-giant"); n != good {
			t.Fatalf("%d designations, want %d", n, good)
		}
		if names := leftovers(t); len(names) > 0 {
			t.Fatalf("the import left files behind: %v", names)
		}
	})
}

// TestImportClientNotReading sends batches that each earn a large answer
// and never reads the answers: once the server has waited the idle timeout
// for the client to take one, the stream ends and its import slot is free
// again for another import.
func TestImportClientNotReading(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.NewWithOptions(t, db, rpc.WithLimits(rpc.Limits{MaxCallDuration: time.Minute}),
			rpc.WithImportLimits(rpc.ImportLimits{IdleTimeout: time.Second, MaxConcurrent: 1}))
		economy := env.As("issuer", "bureau:economy-it")
		// A small receive window, so that a few unread answers fill it.
		protocols := new(http.Protocols)
		protocols.SetUnencryptedHTTP2(true)
		small := &http.Client{Transport: &http.Transport{Protocols: protocols,
			HTTP2: &http.HTTP2Config{MaxReceiveBufferPerConnection: 64 << 10, MaxReceiveBufferPerStream: 64 << 10}}}
		token := env.Token(registry.Principal{Subject: "经信局 李四", Org: "bureau:economy-it", Role: "issuer"})
		imports := client.NewClients(small, env.URL, client.WithInterceptors(client.BearerAuth(token))).Import
		stream, err := imports.ImportEnterprises(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer stream.Close()
		// Every batch earns an answer; past the first MaxImportErrors
		// problems the answers are small, so many go unread before the
		// window fills.
		const batches = 200_000
		ended := make(chan int, 1)
		go func() {
			for n := range batches {
				bad := []*registryv1.EnterpriseRow{{Row: int64(n + 2), CreditCode: fmt.Sprintf("not-a-code-%d", n), Name: "无效代码企业"}}
				if err := stream.Send(&registryv1.ImportEnterprisesRequest{Rows: bad}); err != nil {
					ended <- n
					return
				}
			}
			ended <- -1
		}()
		select {
		case n := <-ended:
			if n < 0 {
				t.Fatalf("the server took %d batches without their answers being read", batches)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("a stream whose client stopped reading was not ended")
		}
		// The client learns the stream ended as the server resets it; the
		// server frees its import slot as the handler returns, a moment
		// later. A client refused meanwhile retries, as the refusal says.
		deadline := time.Now().Add(10 * time.Second)
		for {
			next := openImport(t, t.Context(), economy, "enterprises")
			if err := next.send(&registryv1.ImportOptions{}, 0); err != nil {
				t.Fatal(err)
			}
			_, err := receiveWithin(t, next, 10*time.Second)
			if err == nil {
				break
			}
			if connect.CodeOf(err) != connect.CodeResourceExhausted || time.Now().After(deadline) {
				t.Fatalf("the next import: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}
