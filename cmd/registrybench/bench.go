package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hangzhou-ai/registry/ident"
	"github.com/hangzhou-ai/registry/rpc/client"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/seal"
	"github.com/hangzhou-ai/registry/store"
)

// config is the benchmark's shape.
type config struct {
	adminURL    string
	quick       bool
	duration    time.Duration // of each throughput measurement
	enterprises int           // seeded, each a park tenant
	importRows  int           // the import figure
	memoryRows  int           // the memory figure (0: skipped)
	clients     []int
	casbinOps   int
	// The scale figure: designations in the database at its two points,
	// and the sequential calls timed at each.
	scaleSmall, scaleLarge, scaleCalls int
	scaleBudget                        time.Duration // the longest one series of calls may take
	pin                                string        // auto, on, off
	sqlite                             bool          // measure the embedded SQLite default too
	profileDir                         string        // where CPU profiles of registryd go; empty: none
}

// bench holds what the measurements share.
type bench struct {
	cfg      config
	dbURL    string // the throw-away database
	dbName   string
	db       *store.DB
	bin      string  // registryd, built once
	pin      pinning // where processes run
	pg, lite *server // registryd on PostgreSQL, and on SQLite
	economy  *client.Clients
	operator *client.Clients
	codes    []string // the seeded enterprises' credit codes
	stderr   io.Writer
	rows     []row
	notes    []string // footnotes the measurements add
	tmp      string   // removed at the end
}

// server is one registryd process the bench started.
type server struct {
	dbURL    string
	pprof    string // the profiler's address, when --profile-dir asks for it
	env      []string
	addr     string
	cmd      *exec.Cmd
	economy  *client.Clients // bench-economy, issuer of bureau:economy-it
	operator *client.Clients // bench-operator, operator of park:bench-park
}

// row is one line of the result table.
type row struct {
	figure, registry, baseline, ratio string
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("registrybench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	fs.StringVar(&cfg.adminURL, "database-url", getenv("REGISTRY_BENCH_DATABASE_URL"),
		"PostgreSQL URL of a database on the server to measure; a throw-away database is created beside it (env REGISTRY_BENCH_DATABASE_URL)")
	fs.BoolVar(&cfg.quick, "quick", false, "short measurements and small data, finishing within a minute")
	fs.IntVar(&cfg.memoryRows, "memory-rows", -1, "rows to import while watching the server's peak RSS (default 1,000,000; 0 skips; --quick skips)")
	fs.StringVar(&cfg.pin, "pin", "auto",
		"put registryd and the bench's load on separate CPUs with taskset: on, off, or auto (on from 4 CPUs; on 2, the server's one CPU gave it no more calls per second and far worse latency)")
	fs.BoolVar(&cfg.sqlite, "sqlite", true, "also measure the read calls on the embedded SQLite default")
	fs.StringVar(&cfg.profileDir, "profile-dir", "",
		"write CPU profiles of the PostgreSQL registryd (its --pprof-addr) under load to `DIR`: read-verify, read-list, import and write-8 .pprof")
	duration := fs.Duration("duration", 0, "length of each throughput measurement (default 5s, --quick 1s)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.adminURL == "" {
		return errors.New("--database-url is required (a PostgreSQL server on this machine)")
	}
	cfg.duration, cfg.enterprises, cfg.importRows, cfg.casbinOps = 5*time.Second, 10_000, 100_000, 200_000
	cfg.clients = []int{1, 4, 16, 32}
	cfg.scaleSmall, cfg.scaleLarge, cfg.scaleCalls, cfg.scaleBudget = 10_000, 1_000_000, 2000, time.Minute
	if cfg.memoryRows < 0 {
		cfg.memoryRows = 1_000_000
	}
	if cfg.quick {
		cfg.duration, cfg.enterprises, cfg.importRows, cfg.casbinOps = time.Second, 1000, 20_000, 20_000
		cfg.scaleSmall, cfg.scaleLarge, cfg.scaleCalls, cfg.scaleBudget = 2000, 50_000, 1000, 5*time.Second
		if cfg.memoryRows == 1_000_000 {
			cfg.memoryRows = 0
		}
	}
	if *duration > 0 {
		cfg.duration = *duration
	}
	cpus, err := allowedCPUs()
	if err != nil {
		cpus = make([]int, runtime.NumCPU())
		for i := range cpus {
			cpus[i] = i
		}
	}
	pin, err := choosePinning(cfg.pin, cpus)
	if err != nil {
		return err
	}
	b := &bench{cfg: cfg, stderr: stderr, pin: pin}
	defer b.close()
	steps := []struct {
		name string
		f    func(context.Context) error
	}{
		{"create database", b.createDatabase},
		{"start registryd", b.startServer},
		{"seed", b.seed},
		{"read", b.measureRead},
		{"scale", b.measureScale},
		{"sqlite", b.measureSQLite},
		{"import", b.measureImport},
		{"write", b.measureWrite},
		{"casbin", b.measureCasbin},
		{"memory", b.measureMemory},
	}
	for _, s := range steps {
		b.logf("%s…", s.name)
		if err := s.f(ctx); err != nil {
			if len(b.rows) > 0 {
				b.print(stdout) // what was measured before the failure
			}
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	b.print(stdout)
	return nil
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.stderr, "registrybench: "+format+"\n", args...)
}

func (b *bench) add(figure, registry, baseline string, ratio float64) {
	r := row{figure, registry, baseline, "—"}
	if ratio > 0 {
		r.ratio = fmt.Sprintf("%.2f", ratio)
	}
	b.rows = append(b.rows, r)
}

// createDatabase makes a throw-away database beside the one named.
func (b *bench) createDatabase(ctx context.Context) error {
	name := fmt.Sprintf("registrybench_%d", time.Now().Unix())
	dbURL, err := store.CreateDatabase(ctx, b.cfg.adminURL, name)
	if err != nil {
		return err
	}
	b.dbName, b.dbURL = name, dbURL
	b.db, err = store.Open(b.dbURL)
	return err
}

func (b *bench) close() {
	b.pg.stop()
	b.lite.stop()
	if b.tmp != "" {
		os.RemoveAll(b.tmp)
	}
	if b.db != nil {
		b.db.Close()
	}
	if b.dbName != "" {
		if err := store.DropDatabase(context.Background(), b.cfg.adminURL, b.dbName); err != nil {
			b.logf("dropping %s: %v", b.dbName, err)
		}
	}
}

// registryd builds the server binary once, by its package path so that
// the bench runs from anywhere in the module (its test runs in its own
// directory).
func (b *bench) registryd(ctx context.Context) (string, error) {
	if b.bin != "" {
		return b.bin, nil
	}
	dir, err := os.MkdirTemp("", "registrybench")
	if err != nil {
		return "", err
	}
	b.tmp = dir
	bin := filepath.Join(dir, "registryd")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/hangzhou-ai/registry/cmd/registryd")
	cmd.Stderr = b.stderr
	if err := cmd.Run(); err != nil {
		return "", err
	}
	b.bin = bin
	return bin, nil
}

// startServer builds registryd, runs it on the throw-away database, and
// moves the bench onto its own CPUs when pinning.
func (b *bench) startServer(ctx context.Context) error {
	if _, err := b.registryd(ctx); err != nil {
		return err
	}
	if b.pin.on {
		if err := moveSelf(ctx, b.pin.load); err != nil {
			return err
		}
	}
	s, err := b.launch(ctx, b.dbURL)
	if err != nil {
		return err
	}
	b.pg, b.economy, b.operator = s, s.economy, s.operator
	return nil
}

// launch migrates the database at dbURL, issues the bench's tokens, and
// starts registryd serving it on a free loopback port.
func (b *bench) launch(ctx context.Context, dbURL string) (*server, error) {
	bin, err := b.registryd(ctx)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &server{dbURL: dbURL, addr: ln.Addr().String()}
	ln.Close()
	s.env = append(os.Environ(), "REGISTRY_DATABASE_URL="+dbURL, "REGISTRY_SECRET_KEY="+seal.NewSecretKey(), "REGISTRY_LOG_LEVEL=warn",
		"REGISTRY_RATE_LIMIT=0", // the load comes from one token per role
		"REGISTRY_PPROF_ADDR=")  // one server at a time asks for a profiler, below
	if b.cfg.profileDir != "" && b.pg == nil { // the PostgreSQL server, launched first
		pl, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		s.pprof = pl.Addr().String()
		pl.Close()
		s.env = append(s.env, "REGISTRY_PPROF_ADDR="+s.pprof)
	}
	migrate := exec.CommandContext(ctx, bin, "migrate")
	migrate.Env, migrate.Stdout, migrate.Stderr = s.env, io.Discard, b.stderr
	if err := migrate.Run(); err != nil {
		return nil, fmt.Errorf("registryd migrate: %w", err)
	}
	economy, err := b.token(ctx, s, "bench-economy", "bureau:economy-it", "issuer")
	if err != nil {
		return nil, err
	}
	operator, err := b.token(ctx, s, "bench-operator", "park:bench-park", "operator")
	if err != nil {
		return nil, err
	}
	s.cmd = b.pin.command(bin, "serve", "--addr", s.addr)
	s.cmd.Env, s.cmd.Stderr = s.env, b.stderr
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	base := "http://" + s.addr
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		res, err := http.Post(base+"/grpc.health.v1.Health/Check", "application/json", strings.NewReader("{}"))
		if err == nil {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, errors.New("registryd did not start")
		}
	}
	s.economy, s.operator = newClients(base, economy), newClients(base, operator)
	return s, nil
}

// token issues a bearer token on s's database with `registryd token create`.
func (b *bench) token(ctx context.Context, s *server, subject, org, role string) (string, error) {
	cmd := exec.CommandContext(ctx, b.bin, "token", "create", "--subject", subject, "--org", org, "--role", role)
	cmd.Env, cmd.Stderr = s.env, b.stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("token for %s@%s: %w", role, org, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// stop ends the server, letting calls finish.
func (s *server) stop() {
	if s == nil || s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	_ = s.cmd.Wait()
	s.cmd = nil
}

// newClients returns the generated clients sending one bearer token, over
// HTTP/2 without TLS for the import streams, with up to 64 connections.
func newClients(base, token string) *client.Clients {
	h1 := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}}
	return client.NewClients(h1, base, client.WithInterceptors(client.BearerAuth(token)), client.WithStreamingHTTPClient(client.H2C()))
}

// creditCode makes the i-th valid credit code of the benchmark.
func creditCode(i int) string {
	code, err := ident.CompleteCreditCode(fmt.Sprintf("91330100MA%07d", i))
	if err != nil {
		panic(err)
	}
	return code
}

// seed loads the bench's data into the PostgreSQL registry.
func (b *bench) seed(ctx context.Context) error {
	b.codes = make([]string, b.cfg.enterprises)
	for i := range b.codes {
		b.codes[i] = creditCode(i)
	}
	return seedVia(ctx, b.pg, b.codes)
}

// seedVia loads enterprises with codes, little-giant designations for
// every other one (the even indexes), a park whose tenants they all are,
// and a rent-reduction rule, through s's own import.
func seedVia(ctx context.Context, s *server, codes []string) error {
	var enterprises []*registryv1.EnterpriseRow
	var designations []*registryv1.DesignationRow
	var tenancies []*registryv1.TenancyRow
	for i, code := range codes {
		enterprises = append(enterprises, &registryv1.EnterpriseRow{Row: int64(i + 2), CreditCode: code, Name: fmt.Sprintf("基准企业%05d", i), RegisteredOn: "2022-05-01"})
		if i%2 == 0 {
			designations = append(designations, &registryv1.DesignationRow{Row: int64(i + 2), Type: "little-giant", EnterpriseCreditCode: code,
				ValidFrom: "2025-01-01", ValidUntil: "2027-12-31", DocumentNumber: "工信部企业函〔2024〕135号"})
		}
		tenancies = append(tenancies, &registryv1.TenancyRow{Row: int64(i + 2), ParkCode: "bench-park", EnterpriseCreditCode: code, StartDate: "2025-01-01", FloorAreaM2: "500"})
	}
	if _, err := importRows(ctx, s.economy.Import.ImportEnterprises, enterprises, enterpriseRequest, (*registryv1.ImportEnterprisesResponse).GetProgress); err != nil {
		return err
	}
	if _, err := importRows(ctx, s.economy.Import.ImportDesignations, designations, designationRequest, designationProgress); err != nil {
		return err
	}
	if _, err := s.economy.Park.RegisterPark(ctx, &registryv1.RegisterParkRequest{Code: "bench-park", Name: "基准园区"}); err != nil {
		return err
	}
	if _, err := importRows(ctx, s.operator.Import.ImportTenancies, tenancies, tenancyRequest, (*registryv1.ImportTenanciesResponse).GetProgress); err != nil {
		return err
	}
	_, err := s.operator.Park.SetEligibilityRule(ctx, &registryv1.SetEligibilityRuleRequest{
		ParkCode: "bench-park", Benefit: "rent-reduction", AnyOfDesignationTypes: []string{"little-giant", "single-champion", "hidden-champion", "ai-growth-enterprise"},
	})
	return err
}

// bidi is a generated import stream.
type bidi[Req, Res any] interface {
	Send(*Req) error
	CloseSend() error
	Receive() (*Res, error)
	Close() error
}

func enterpriseRequest(rows []*registryv1.EnterpriseRow) *registryv1.ImportEnterprisesRequest {
	return &registryv1.ImportEnterprisesRequest{Rows: rows}
}

func designationRequest(rows []*registryv1.DesignationRow) *registryv1.ImportDesignationsRequest {
	return &registryv1.ImportDesignationsRequest{Rows: rows}
}

var designationProgress = (*registryv1.ImportDesignationsResponse).GetProgress

func tenancyRequest(rows []*registryv1.TenancyRow) *registryv1.ImportTenanciesRequest {
	return &registryv1.ImportTenanciesRequest{Rows: rows}
}

// importRows streams rows in batches of 1,000 and returns the final
// progress message's created count, failing unless the import committed.
func importRows[Row, Req, Res any, S bidi[Req, Res]](ctx context.Context, open func(context.Context) (S, error),
	rows []Row, request func([]Row) *Req, progress func(*Res) *registryv1.ImportProgress) (int64, error) {
	stream, err := open(ctx)
	if err != nil {
		return 0, err
	}
	defer stream.Close()
	var last *registryv1.ImportProgress
	var recvErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			res, err := stream.Receive()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					recvErr = err
				}
				return
			}
			last = progress(res)
		}
	}()
	for start := 0; start < len(rows); start += 1000 {
		if err := stream.Send(request(rows[start:min(start+1000, len(rows))])); err != nil {
			break
		}
	}
	_ = stream.CloseSend()
	<-done
	switch {
	case recvErr != nil:
		return 0, recvErr
	case last == nil || last.Outcome != registryv1.ImportOutcome_IMPORT_OUTCOME_COMMITTED:
		return 0, fmt.Errorf("import did not commit: %+v", last)
	}
	return last.Created, nil
}

// load runs op from clients goroutines for d and returns the completed
// operations per second and every latency.
func load(ctx context.Context, workers int, d time.Duration, op func(ctx context.Context, r *rand.Rand) error) (float64, []time.Duration, error) {
	// The calls get ctx, not a deadline of d: a deadline would travel with
	// each call and end the last ones with errors instead of answers.
	var mu sync.Mutex
	var all []time.Duration
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(d)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 7))
			var mine []time.Duration
			for t := time.Now(); t.Before(end) && ctx.Err() == nil; t = time.Now() {
				if err := op(ctx, r); err != nil {
					firstErr.CompareAndSwap(nil, err)
					break
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if err, ok := firstErr.Load().(error); ok {
		return 0, nil, err
	}
	return float64(len(all)) / time.Since(start).Seconds(), all, nil
}

// paced issues op at a fixed rate for d (open loop) and returns latencies.
func paced(ctx context.Context, rate float64, d time.Duration, op func(ctx context.Context, r *rand.Rand) error) ([]time.Duration, error) {
	interval := time.Duration(float64(time.Second) / rate)
	var mu sync.Mutex
	var lat []time.Duration
	var firstErr error
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	end := time.Now().Add(d)
	r := rand.New(rand.NewPCG(99, 7))
	for next := time.Now(); next.Before(end); next = next.Add(interval) {
		time.Sleep(time.Until(next))
		sem <- struct{}{}
		wg.Add(1)
		seed := r.Uint64()
		go func() {
			defer func() { <-sem; wg.Done() }()
			t := time.Now()
			err := op(ctx, rand.New(rand.NewPCG(seed, 1)))
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			lat = append(lat, time.Since(t))
		}()
	}
	wg.Wait()
	return lat, firstErr
}

func percentile(lat []time.Duration, p float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// pgbench runs pgbench against the throw-away database and returns its
// transactions per second (without initial connection time).
func (b *bench) pgbench(ctx context.Context, args ...string) (float64, error) {
	cmd := exec.CommandContext(ctx, "pgbench", append(args, b.dbURL)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("pgbench %v: %w\n%s", args, err, out)
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "tps = ") && strings.Contains(line, "without initial connection time") {
			return strconv.ParseFloat(strings.Fields(line)[2], 64)
		}
	}
	return 0, fmt.Errorf("no tps in pgbench output:\n%s", out)
}

// script writes a pgbench custom script.
func script(text string) (string, error) {
	f, err := os.CreateTemp("", "registrybench-*.sql")
	if err != nil {
		return "", err
	}
	defer f.Close()
	_, err = f.WriteString(text)
	return f.Name(), err
}

func seconds(d time.Duration) string { return strconv.Itoa(max(1, int(d.Seconds()))) }

func (b *bench) print(w io.Writer) {
	fmt.Fprintln(w, "| figure | registry | baseline | ratio |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, r := range b.rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", r.figure, r.registry, r.baseline, r.ratio)
	}
	var version string
	if b.db != nil {
		_ = b.db.Pool.QueryRow("SHOW server_version").Scan(&version)
	}
	cpu := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "model name") {
				cpu = strings.TrimSpace(strings.SplitN(line, ":", 2)[1])
				break
			}
		}
	}
	fmt.Fprintf(w, "\nMachine: %s, %d CPUs, %s/%s, %s, PostgreSQL %s on the same machine; each measurement %s",
		cpu, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version(), version, b.cfg.duration)
	if b.cfg.quick {
		fmt.Fprint(w, " (--quick)")
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "\n"+b.pin.footnote())
	for _, n := range b.notes {
		fmt.Fprintln(w, "\n"+n)
	}
}

// profiled runs op while registryd records a CPU profile of d, written to
// --profile-dir as name.pprof; without --profile-dir it just runs op.
func (b *bench) profiled(ctx context.Context, name string, d time.Duration, op func() error) error {
	if b.cfg.profileDir == "" || b.pg == nil || b.pg.pprof == "" {
		return op()
	}
	type result struct {
		body []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", b.pg.pprof, max(1, int(d.Seconds())))
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			done <- result{err: err}
			return
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		done <- result{body, err}
	}()
	err := op()
	r := <-done
	if err != nil {
		return err
	}
	if r.err != nil {
		return fmt.Errorf("profile %s: %w", name, r.err)
	}
	if err := os.MkdirAll(b.cfg.profileDir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(b.cfg.profileDir, name+".pprof")
	b.logf("profile %s written to %s", name, path)
	return os.WriteFile(path, r.body, 0o644)
}
