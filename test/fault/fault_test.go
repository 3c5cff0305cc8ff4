package fault

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect/v2"

	"github.com/hangzhou-ai/registry/rpc/client"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
)

// Scenario 1's shape.
const (
	grantWorkers     = 4                // goroutines issuing new grants
	dbCrashes        = 2                // kill -9 of PostgreSQL during the load
	loadBeforeCrash  = time.Second      // load before the first crash
	loadBetween      = 2 * time.Second  // load between a restart and the next crash
	dbDowntime       = time.Second      // between a crash and the restart
	minAcked         = 200              // acknowledged grants wanted in all
	minAckedAfter    = 100              // of them after the last restart
	loadLimit        = 40 * time.Second // no new grants after this
	attemptTimeout   = 15 * time.Second // one call; the server waits up to 10 s for a key in progress
	grantDeadline    = 50 * time.Second // a logical grant's retries; abandoned claims are taken over after 10 s
	inlineRetry      = 2 * time.Second  // then a client hands a grant to a background retrier
	answerLostPrefix = "the request with Idempotency-Key"
)

// grantOutcome is how a logical grant (one key, one request, its retries) ended.
type grantOutcome int

const (
	acked         grantOutcome = iota // a response: the designation
	answerLost                        // failed_precondition: applied, its answer not recorded
	alreadyExists                     // a retry acted again and met the first one's row
	refused                           // any other error a retry does not change
	gaveUp                            // still failing at grantDeadline
)

var outcomeNames = map[grantOutcome]string{acked: "acknowledged", answerLost: "applied, answer lost",
	alreadyExists: "already_exists on retry", refused: "refused", gaveUp: "gave up"}

type grantResult struct {
	n        int
	doc      string
	outcome  grantOutcome
	id       string // the acknowledged designation's id
	attempts int
	err      error
	started  time.Time
	ended    time.Time
}

// TestPostgresCrashUnderGrantLoad kills PostgreSQL with SIGKILL while
// clients grant designations with Idempotency-Keys and retry every error
// with the same key and request; it then checks that every acknowledged
// grant exists exactly once, that nothing is doubled or half-written, that
// the audit chain verifies and that registryd recovered by itself.
func TestPostgresCrashUnderGrantLoad(t *testing.T) {
	t.Parallel()
	pg := newCluster(t)
	srv := newServer(t, pg.URL("registry"))
	// Each client is its own member of the economy bureau's staff, so the
	// per-principal rate limit (100/s) is not what the test measures; the
	// probe that times recovery is yet another principal.
	staff := make([]*client.Clients, grantWorkers)
	for w := range staff {
		staff[w] = newClients(srv.url(), srv.token(fmt.Sprintf("fault-economy-%d", w), "bureau:economy-it", "issuer"))
	}
	economy := staff[0]
	prober := newClients(srv.url(), srv.token("fault-probe", "bureau:economy-it", "viewer"))
	auditor := newClients(srv.url(), srv.token("fault-auditor", "auditor", "auditor"))
	srv.start()
	pid := srv.pid()
	ctx := t.Context()
	code := creditCode(t, 1)
	if _, err := economy.Enterprise.RegisterEnterprise(ctx, &registryv1.RegisterEnterpriseRequest{CreditCode: code, Name: "故障测试科技有限公司"}); err != nil {
		t.Fatal(err)
	}
	request := func(n int) *registryv1.GrantDesignationRequest {
		return &registryv1.GrantDesignationRequest{Type: "little-giant", EnterpriseCreditCode: code,
			ValidFrom: "2025-01-01", ValidUntil: "2027-12-31", DocumentNumber: docNumber(n)}
	}

	var (
		mu           sync.Mutex
		results      []grantResult
		transient    = map[string]int{} // errors retried, by code
		attempts     atomic.Int64
		ackedTotal   atomic.Int64
		ackedAfter   atomic.Int64 // since the last restart
		next         atomic.Int64
		stop         atomic.Bool
		restarts     atomic.Int64
		retriers     sync.WaitGroup
		firstAckedAt = make([]time.Time, dbCrashes) // first acknowledgement after each restart
	)
	record := func(r grantResult) {
		mu.Lock()
		defer mu.Unlock()
		results = append(results, r)
		if r.outcome == acked {
			ackedTotal.Add(1)
			if k := restarts.Load(); k > 0 {
				ackedAfter.Add(1)
				if firstAckedAt[k-1].IsZero() {
					firstAckedAt[k-1] = r.ended
				}
			}
		}
	}
	// try makes one attempt; done reports whether the grant is settled.
	try := func(c *client.Clients, r *grantResult) (done bool) {
		r.attempts++
		attempts.Add(1)
		actx, cancel := context.WithTimeout(withKey(ctx, "fault-grant-"+strconv.Itoa(r.n)), attemptTimeout)
		defer cancel()
		res, err := c.Designation.GrantDesignation(actx, request(r.n))
		r.err = err
		r.ended = time.Now()
		switch code := connect.CodeOf(err); {
		case err == nil:
			r.outcome, r.id = acked, res.Designation.Id
		case code == connect.CodeFailedPrecondition && strings.HasPrefix(errorMessage(err), answerLostPrefix):
			r.outcome = answerLost
		case code == connect.CodeAlreadyExists:
			r.outcome = alreadyExists
		case code == connect.CodeInvalidArgument || code == connect.CodePermissionDenied ||
			code == connect.CodeUnauthenticated || code == connect.CodeFailedPrecondition || code == connect.CodeNotFound:
			r.outcome = refused
		default:
			mu.Lock()
			transient[code.String()]++
			mu.Unlock()
			return false
		}
		return true
	}
	// retry retries a grant with the same key and request, with backoff,
	// until it is settled or until giveUp.
	retry := func(c *client.Clients, r *grantResult, giveUp time.Duration) (done bool) {
		backoff := 20 * time.Millisecond
		for time.Since(r.started) < giveUp && ctx.Err() == nil {
			time.Sleep(backoff/2 + rand.N(backoff))
			backoff = min(2*backoff, 500*time.Millisecond)
			if try(c, r) {
				return true
			}
		}
		return false
	}

	loadStart := time.Now()
	var workers sync.WaitGroup
	for w := range grantWorkers {
		c := staff[w]
		workers.Add(1)
		go func() {
			defer workers.Done()
			for !stop.Load() && time.Since(loadStart) < loadLimit && ctx.Err() == nil {
				r := grantResult{n: int(next.Add(1)), started: time.Now()}
				r.doc = docNumber(r.n)
				if try(c, &r) || retry(c, &r, inlineRetry) {
					record(r)
					continue
				}
				// Still unsettled: the client goes on retrying it in the
				// background, with the same key and request, and takes up
				// new grants meanwhile.
				retriers.Add(1)
				go func() {
					defer retriers.Done()
					if !retry(c, &r, grantDeadline) {
						r.outcome = gaveUp
					}
					record(r)
				}()
			}
		}()
	}

	// The faults, and how long registryd takes to serve again.
	type fault struct {
		killedAt, goneAt, restartAt, readyAt, firstOK time.Time
		ackedBefore                                   int64
	}
	faults := make([]fault, dbCrashes)
	probe := func(since time.Time) time.Time {
		for time.Since(since) < 30*time.Second {
			pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, err := prober.Enterprise.GetEnterprise(pctx, &registryv1.GetEnterpriseRequest{CreditCode: code})
			cancel()
			if err == nil {
				return time.Now()
			}
			time.Sleep(5 * time.Millisecond)
		}
		return time.Time{}
	}
	time.Sleep(loadBeforeCrash)
	for i := range faults {
		f := &faults[i]
		f.ackedBefore = ackedTotal.Load()
		f.killedAt = time.Now()
		pg.crash()
		f.goneAt = time.Now()
		time.Sleep(dbDowntime)
		f.restartAt = time.Now()
		if err := pg.start(); err != nil {
			stop.Store(true)
			t.Fatal(err)
		}
		f.readyAt = time.Now()
		ackedAfter.Store(0)
		restarts.Add(1)
		f.firstOK = probe(f.readyAt)
		if f.firstOK.IsZero() {
			stop.Store(true)
			t.Fatalf("registryd did not answer within 30 s of PostgreSQL's restart %d", i+1)
		}
		if i < len(faults)-1 {
			time.Sleep(loadBetween)
		}
	}
	for time.Since(loadStart) < loadLimit && (ackedTotal.Load() < minAcked || ackedAfter.Load() < minAckedAfter) {
		time.Sleep(10 * time.Millisecond)
	}
	stop.Store(true)
	workers.Wait()
	retriers.Wait()
	loadTime := time.Since(loadStart)

	// Tally the outcomes.
	sort.Slice(results, func(i, j int) bool { return results[i].n < results[j].n })
	byOutcome := map[grantOutcome]int{}
	maxSettle := time.Duration(0)
	var retried, slow int // grants that needed retries; of them, settled only after 10 s
	for _, r := range results {
		byOutcome[r.outcome]++
		if r.attempts > 1 {
			retried++
			maxSettle = max(maxSettle, r.ended.Sub(r.started))
			if r.ended.Sub(r.started) > 10*time.Second {
				slow++
			}
		}
		switch r.outcome {
		case alreadyExists:
			t.Errorf("grant %d: a retry with the same key acted again and met the first grant's row: %v", r.n, r.err)
		case refused:
			t.Errorf("grant %d: refused after %d attempts: %v", r.n, r.attempts, errorText(r.err))
		case gaveUp:
			t.Errorf("grant %d: still failing after %s (%d attempts): %v", r.n, grantDeadline, r.attempts, errorText(r.err))
		}
	}
	if len(results) != int(next.Load()) {
		t.Errorf("%d grants started, %d settled", next.Load(), len(results))
	}

	// Check the database the registry wrote.
	db := pg.open("registry")
	defer db.Close()
	rows := map[string][]string{} // document number → designation ids
	q, err := db.QueryContext(ctx, `SELECT document_number, id FROM designations`)
	if err != nil {
		t.Fatal(err)
	}
	for q.Next() {
		var doc, id string
		if err := q.Scan(&doc, &id); err != nil {
			t.Fatal(err)
		}
		rows[doc] = append(rows[doc], id)
	}
	if err := q.Err(); err != nil {
		t.Fatal(err)
	}
	q.Close()
	var lost, doubled, unackedWritten int
	for _, r := range results {
		ids := rows[r.doc]
		switch {
		case len(ids) > 1:
			doubled++
			t.Errorf("grant %d (%s, %s): %d designations %v", r.n, r.doc, outcomeNames[r.outcome], len(ids), ids)
		case r.outcome == acked && (len(ids) == 0 || ids[0] != r.id):
			lost++
			t.Errorf("grant %d acknowledged as %s, but the database holds %v", r.n, r.id, ids)
		case r.outcome == answerLost && len(ids) == 0:
			lost++
			t.Errorf("grant %d: applied but its answer lost, yet not in the database", r.n)
		case r.outcome != acked && r.outcome != answerLost && len(ids) == 1:
			unackedWritten++
		}
	}
	if len(rows) != byOutcome[acked]+byOutcome[answerLost]+unackedWritten {
		t.Errorf("%d document numbers in the database; %d grants acknowledged, %d applied with their answer lost, %d others written",
			len(rows), byOutcome[acked], byOutcome[answerLost], unackedWritten)
	}
	// Nothing half-written: every designation has exactly one grant event,
	// and every designation event has its designation.
	var withoutEvent, orphanEvents, designations int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM designations d WHERE (SELECT count(*) FROM audit_events a
		WHERE a.entity_type = 'designation' AND a.entity_id = d.id AND a.action = 'designation.grant') <> 1`).Scan(&withoutEvent); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM audit_events a WHERE a.entity_type = 'designation'
		AND NOT EXISTS (SELECT 1 FROM designations d WHERE d.id = a.entity_id)`).Scan(&orphanEvents); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM designations`).Scan(&designations); err != nil {
		t.Fatal(err)
	}
	if withoutEvent != 0 || orphanEvents != 0 {
		t.Errorf("half-written: %d designations without exactly one grant event, %d designation events without their designation", withoutEvent, orphanEvents)
	}
	// A key's state agrees with its designation: pending means nothing
	// committed; applied or a recorded response means the grant committed.
	keyStates := map[string]int{}
	kq, err := db.QueryContext(ctx, `SELECT key, state, response IS NOT NULL FROM idempotency_keys WHERE key LIKE 'fault-grant-%'`)
	if err != nil {
		t.Fatal(err)
	}
	for kq.Next() {
		var key, state string
		var hasResponse bool
		if err := kq.Scan(&key, &state, &hasResponse); err != nil {
			t.Fatal(err)
		}
		keyStates[state]++
		n, _ := strconv.Atoi(strings.TrimPrefix(key, "fault-grant-"))
		written := len(rows[docNumber(n)]) == 1
		if committed := state == "applied" || (state == "done" && hasResponse); committed != written {
			t.Errorf("key %s is %s (response recorded: %v) but its designation written: %v", key, state, hasResponse, written)
		}
	}
	if err := kq.Err(); err != nil {
		t.Fatal(err)
	}
	kq.Close()

	// The chain verifies, and the same registryd process answers.
	v, err := auditor.Audit.VerifyAuditChain(ctx, &registryv1.VerifyAuditChainRequest{})
	if err != nil || !v.Ok {
		t.Errorf("audit chain: %v %+v", err, v)
	}
	if !srv.running() || srv.pid() != pid {
		t.Errorf("registryd %d is no longer running", pid)
	}
	// The API lists what the database holds: each grant once.
	listed := map[string][]string{}
	for token := ""; ; {
		page, err := economy.Designation.ListDesignations(ctx, &registryv1.ListDesignationsRequest{EnterpriseCreditCode: code, PageSize: 500, PageToken: token})
		if err != nil {
			t.Fatalf("list after the faults: %v", err)
		}
		for _, d := range page.Designations {
			listed[d.DocumentNumber] = append(listed[d.DocumentNumber], d.Id)
		}
		if token = page.NextPageToken; token == "" {
			break
		}
	}
	for _, r := range results {
		if got, want := listed[r.doc], rows[r.doc]; len(got) != len(want) || (len(got) == 1 && got[0] != want[0]) {
			t.Errorf("grant %d: the API lists %v, the database holds %v", r.n, got, want)
		}
	}
	if len(listed) != len(rows) {
		t.Errorf("the API lists %d document numbers, the database holds %d", len(listed), len(rows))
	}

	var recovery []string
	for i, f := range faults {
		recovery = append(recovery, f.firstOK.Sub(f.readyAt).Round(time.Millisecond).String())
		var firstAck time.Duration
		if !firstAckedAt[i].IsZero() {
			firstAck = firstAckedAt[i].Sub(f.readyAt)
		}
		t.Logf("fault %d: PostgreSQL killed (SIGKILL) after %d grants acknowledged; its processes gone after %s; down %s; pg_ctl start (crash recovery) %s; "+
			"registryd answered %s after PostgreSQL was ready (%s after the kill), first grant acknowledged %s after",
			i+1, f.ackedBefore, f.goneAt.Sub(f.killedAt).Round(time.Millisecond), f.restartAt.Sub(f.killedAt).Round(time.Millisecond), f.readyAt.Sub(f.restartAt).Round(time.Millisecond),
			f.firstOK.Sub(f.readyAt).Round(time.Millisecond), f.firstOK.Sub(f.killedAt).Round(time.Millisecond), firstAck.Round(time.Millisecond))
	}
	t.Logf("load %s: %d logical grants (each with its own Idempotency-Key), %d calls (retries included); errors retried: %v",
		loadTime.Round(time.Millisecond), len(results), attempts.Load(), transient)
	t.Logf("outcomes: %d acknowledged, %d applied with answer lost, %d already_exists, %d refused, %d gave up; "+
		"%d unacknowledged but written (exactly once); %d grants retried, %d of them settled only after 10 s (in flight at a crash: "+
		"their claim is taken over after 10 s), the slowest after %s",
		byOutcome[acked], byOutcome[answerLost], byOutcome[alreadyExists], byOutcome[refused], byOutcome[gaveUp], unackedWritten,
		retried, slow, maxSettle.Round(time.Millisecond))
	t.Logf("database: %d designations, %d distinct document numbers; lost %d, doubled %d; %d half-written; keys by state %v; audit chain ok=%v over %d events; registryd pid %d running=%v (not restarted)",
		designations, len(rows), lost, doubled, withoutEvent+orphanEvents, keyStates, v.GetOk(), v.GetEventsChecked(), pid, srv.running())
	t.Logf("SUMMARY db-crash: faults=%d requests=%d calls=%d acknowledged=%d answer_lost=%d lost=%d doubled=%d recovery=%s",
		pg.crashes, len(results), attempts.Load(), byOutcome[acked], byOutcome[answerLost], lost, doubled, strings.Join(recovery, ","))
}

func docNumber(n int) string { return fmt.Sprintf("工信部企业函〔2026〕F%05d号", n) }

func errorMessage(err error) string {
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce.Message()
	}
	return err.Error()
}

// Scenario 2's shape.
const (
	importRows       = 50_000
	importBatch      = 1_000
	importEnterprise = 10           // designation rows per enterprise
	killAfterBatches = 20           // registryd is killed once this many batches are acknowledged
	importDocPrefix  = "浙经信〔2026〕I" // every imported row's document number starts so
)

// TestRegistryCrashDuringImport kills registryd with SIGKILL in the middle
// of a streamed designation import, restarts it, and checks that the
// interrupted import wrote nothing, that re-running it creates every row
// exactly once, and that running it again creates nothing.
func TestRegistryCrashDuringImport(t *testing.T) {
	t.Parallel()
	pg := newCluster(t)
	srv := newServer(t, pg.URL("registry"))
	economy := newClients(srv.url(), srv.token("fault-importer", "bureau:economy-it", "issuer"))
	auditor := newClients(srv.url(), srv.token("fault-auditor", "auditor", "auditor"))
	srv.start()
	ctx := t.Context()
	db := pg.open("registry")
	defer db.Close()

	rows := make([]*registryv1.DesignationRow, importRows)
	for i := range rows {
		e := i / importEnterprise
		rows[i] = &registryv1.DesignationRow{Row: int64(i + 2), Type: "little-giant", EnterpriseCreditCode: creditCode(t, 1000+e),
			EnterpriseName: fmt.Sprintf("故障导入企业%05d", e), District: "滨江区",
			ValidFrom: "2025-01-01", ValidUntil: "2027-12-31", DocumentNumber: fmt.Sprintf("%s%05d号", importDocPrefix, i)}
	}
	enterprises := importRows / importEnterprise
	type counts struct{ designations, docs, enterprises, events int }
	count := func() counts {
		t.Helper()
		var c counts
		if err := db.QueryRowContext(ctx, `SELECT count(*), count(DISTINCT document_number) FROM designations WHERE document_number LIKE $1`,
			importDocPrefix+"%").Scan(&c.designations, &c.docs); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM enterprises WHERE name LIKE '故障导入企业%'`).Scan(&c.enterprises); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM audit_events`).Scan(&c.events); err != nil {
			t.Fatal(err)
		}
		return c
	}
	before := count()

	// The interrupted import: registryd is killed once killAfterBatches
	// batches have been acknowledged with progress.
	stream, err := economy.Import.ImportDesignations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	acknowledged := make(chan int64, importRows/importBatch+1)
	recvErr := make(chan error, 1)
	go func() {
		for {
			res, err := stream.Receive()
			if err != nil {
				recvErr <- err
				return
			}
			acknowledged <- res.GetProgress().GetRowsReceived()
		}
	}()
	var sent int
	var killedAt time.Time
	var rowsAcked int64
	killed := false
	for start := 0; start < len(rows) && !killed; start += importBatch {
		req := &registryv1.ImportDesignationsRequest{Rows: rows[start : start+importBatch]}
		if start == 0 {
			req.Options = &registryv1.ImportOptions{}
		}
		if err := stream.Send(req); err != nil {
			break
		}
		sent += importBatch
		if sent/importBatch >= killAfterBatches {
			// Wait for the server to acknowledge what was sent so far,
			// so the kill falls in the middle of a live import.
			for rowsAcked < int64(sent) {
				select {
				case rowsAcked = <-acknowledged:
				case err := <-recvErr:
					t.Fatalf("import failed before the kill: %v", err)
				case <-time.After(30 * time.Second):
					t.Fatal("no progress from registryd")
				}
			}
			killedAt = time.Now()
			srv.kill()
			killed = true
		}
	}
	select {
	case err := <-recvErr:
		if errors.Is(err, io.EOF) {
			t.Fatal("the import stream ended cleanly although registryd was killed")
		}
		t.Logf("interrupted import: client saw %v", errorText(err))
	case <-time.After(10 * time.Second):
		t.Fatal("the client did not notice that registryd died")
	}
	_ = stream.Close()
	afterKill := count()

	srv.start()
	restartedIn := time.Since(killedAt)
	afterRestart := count()
	for name, c := range map[string]counts{"after the kill": afterKill, "after the restart": afterRestart} {
		if c.designations != before.designations || c.enterprises != before.enterprises || c.events != before.events {
			t.Errorf("interrupted import left rows behind %s: %+v, before it %+v", name, c, before)
		}
	}

	run := func() (*registryv1.ImportProgress, time.Duration) {
		t.Helper()
		start := time.Now()
		stream, err := economy.Import.ImportDesignations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer stream.Close()
		var last *registryv1.ImportProgress
		done := make(chan error, 1)
		go func() {
			for {
				res, err := stream.Receive()
				if err != nil {
					if errors.Is(err, io.EOF) {
						err = nil
					}
					done <- err
					return
				}
				last = res.GetProgress()
			}
		}()
		for start := 0; start < len(rows); start += importBatch {
			req := &registryv1.ImportDesignationsRequest{Rows: rows[start:min(start+importBatch, len(rows))]}
			if start == 0 {
				req.Options = &registryv1.ImportOptions{}
			}
			if err := stream.Send(req); err != nil {
				break
			}
		}
		_ = stream.CloseSend()
		if err := <-done; err != nil {
			t.Fatalf("import: %v", err)
		}
		if last == nil || last.Outcome != registryv1.ImportOutcome_IMPORT_OUTCOME_COMMITTED {
			t.Fatalf("import did not commit: %+v", last)
		}
		return last, time.Since(start)
	}
	second, secondTook := run()
	afterSecond := count()
	if second.Created != importRows || second.Existing != 0 || second.EnterprisesCreated != int64(enterprises) {
		t.Errorf("re-run import: %d created, %d existing, %d enterprises created; want %d, 0, %d",
			second.Created, second.Existing, second.EnterprisesCreated, importRows, enterprises)
	}
	if afterSecond.designations != importRows || afterSecond.docs != importRows || afterSecond.enterprises != enterprises {
		t.Errorf("after the re-run: %d designations with %d distinct document numbers, %d enterprises; want %d, %d, %d",
			afterSecond.designations, afterSecond.docs, afterSecond.enterprises, importRows, importRows, enterprises)
	}
	third, thirdTook := run()
	afterThird := count()
	if third.Created != 0 || third.Existing != importRows || third.EnterprisesCreated != 0 {
		t.Errorf("import run again: %d created, %d existing, %d enterprises created; want 0, %d, 0",
			third.Created, third.Existing, third.EnterprisesCreated, importRows)
	}
	if afterThird != afterSecond {
		t.Errorf("running the import again changed the database: %+v, then %+v", afterSecond, afterThird)
	}
	var withoutEvent int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM designations d WHERE d.document_number LIKE $1 AND (SELECT count(*) FROM audit_events a
		WHERE a.entity_type = 'designation' AND a.entity_id = d.id AND a.action = 'designation.grant') <> 1`, importDocPrefix+"%").Scan(&withoutEvent); err != nil {
		t.Fatal(err)
	}
	if withoutEvent != 0 {
		t.Errorf("%d imported designations without exactly one grant event", withoutEvent)
	}
	v, err := auditor.Audit.VerifyAuditChain(ctx, &registryv1.VerifyAuditChainRequest{})
	if err != nil || !v.Ok {
		t.Errorf("audit chain: %v %+v", err, v)
	}
	lost := max(0, importRows-afterSecond.docs)
	doubled := afterSecond.designations - afterSecond.docs
	t.Logf("fault: registryd killed (SIGKILL) after %d of %d rows sent and %d acknowledged; rows left by the interrupted import: %d designations, %d enterprises, %d audit events; registryd serving again %s after the kill",
		sent, importRows, rowsAcked, afterRestart.designations-before.designations, afterRestart.enterprises-before.enterprises,
		afterRestart.events-before.events, restartedIn.Round(time.Millisecond))
	t.Logf("re-run: committed in %s, %d created, %d existing, %d enterprises created; run again: committed in %s, %d created, %d existing; "+
		"%d designations, %d distinct document numbers, %d without their event; audit chain ok=%v over %d events",
		secondTook.Round(time.Millisecond), second.Created, second.Existing, second.EnterprisesCreated, thirdTook.Round(time.Millisecond),
		third.Created, third.Existing, afterThird.designations, afterThird.docs, withoutEvent, v.GetOk(), v.GetEventsChecked())
	t.Logf("SUMMARY registry-crash: faults=1 imports=3 rows_sent=%d acknowledged_imports=2 lost=%d doubled=%d",
		sent+2*importRows, lost, doubled)
}
