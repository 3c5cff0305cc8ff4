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
}

// bench holds what the measurements share.
type bench struct {
	cfg      config
	dbURL    string // the throw-away database
	dbName   string
	db       *store.DB
	addr     string
	server   *exec.Cmd
	economy  *client.Clients
	operator *client.Clients
	codes    []string // the seeded enterprises' credit codes
	stderr   io.Writer
	rows     []row
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
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.adminURL == "" {
		return errors.New("--database-url is required (a PostgreSQL server on this machine)")
	}
	cfg.duration, cfg.enterprises, cfg.importRows, cfg.casbinOps = 5*time.Second, 10_000, 100_000, 200_000
	cfg.clients = []int{1, 4, 16, 32}
	if cfg.memoryRows < 0 {
		cfg.memoryRows = 1_000_000
	}
	if cfg.quick {
		cfg.duration, cfg.enterprises, cfg.importRows, cfg.casbinOps = time.Second, 1000, 20_000, 20_000
		if cfg.memoryRows == 1_000_000 {
			cfg.memoryRows = 0
		}
	}
	b := &bench{cfg: cfg, stderr: stderr}
	defer b.close()
	steps := []struct {
		name string
		f    func(context.Context) error
	}{
		{"create database", b.createDatabase},
		{"start registryd", b.startServer},
		{"seed", b.seed},
		{"read", b.measureRead},
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
	if b.server != nil && b.server.Process != nil {
		_ = b.server.Process.Signal(syscall.SIGTERM)
		_ = b.server.Wait()
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

// registryd builds the server binary once.
func (b *bench) registryd(ctx context.Context) (string, error) {
	dir, err := os.MkdirTemp("", "registrybench")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "registryd")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/registryd")
	cmd.Stderr = b.stderr
	return bin, cmd.Run()
}

// startServer runs registryd on the throw-away database and issues tokens.
func (b *bench) startServer(ctx context.Context) error {
	bin, err := b.registryd(ctx)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	b.addr = ln.Addr().String()
	ln.Close()
	env := append(os.Environ(), "REGISTRY_DATABASE_URL="+b.dbURL, "REGISTRY_SECRET_KEY="+seal.NewSecretKey(), "REGISTRY_LOG_LEVEL=warn",
		"REGISTRY_RATE_LIMIT=0") // the load comes from one token per role
	migrate := exec.CommandContext(ctx, bin, "migrate")
	migrate.Env, migrate.Stdout, migrate.Stderr = env, io.Discard, b.stderr
	if err := migrate.Run(); err != nil {
		return fmt.Errorf("registryd migrate: %w", err)
	}
	token := func(subject, org, role string) (string, error) {
		cmd := exec.CommandContext(ctx, bin, "token", "create", "--subject", subject, "--org", org, "--role", role)
		cmd.Env, cmd.Stderr = env, b.stderr
		out, err := cmd.Output()
		return strings.TrimSpace(string(out)), err
	}
	economy, err := token("bench-economy", "bureau:economy-it", "issuer")
	if err != nil {
		return err
	}
	operator, err := token("bench-operator", "park:bench-park", "operator")
	if err != nil {
		return err
	}
	b.server = exec.Command(bin, "serve", "--addr", b.addr)
	b.server.Env, b.server.Stderr = env, b.stderr
	if err := b.server.Start(); err != nil {
		return err
	}
	base := "http://" + b.addr
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		res, err := http.Post(base+"/grpc.health.v1.Health/Check", "application/json", strings.NewReader("{}"))
		if err == nil {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			return errors.New("registryd did not start")
		}
	}
	b.economy, b.operator = newClients(base, economy), newClients(base, operator)
	return nil
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

// seed loads enterprises, little-giant designations for half of them, a
// park whose tenants they all are, and a rent-reduction rule, through the
// registry's own import.
func (b *bench) seed(ctx context.Context) error {
	n := b.cfg.enterprises
	b.codes = make([]string, n)
	var enterprises []*registryv1.EnterpriseRow
	var designations []*registryv1.DesignationRow
	var tenancies []*registryv1.TenancyRow
	for i := range n {
		b.codes[i] = creditCode(i)
		enterprises = append(enterprises, &registryv1.EnterpriseRow{Row: int64(i + 2), CreditCode: b.codes[i], Name: fmt.Sprintf("基准企业%05d", i), RegisteredOn: "2022-05-01"})
		if i%2 == 0 {
			designations = append(designations, &registryv1.DesignationRow{Row: int64(i + 2), Type: "little-giant", EnterpriseCreditCode: b.codes[i],
				ValidFrom: "2025-01-01", ValidUntil: "2027-12-31", DocumentNumber: "工信部企业函〔2024〕135号"})
		}
		tenancies = append(tenancies, &registryv1.TenancyRow{Row: int64(i + 2), ParkCode: "bench-park", EnterpriseCreditCode: b.codes[i], StartDate: "2025-01-01", FloorAreaM2: "500"})
	}
	if _, err := importRows(ctx, b.economy.Import.ImportEnterprises, enterprises, enterpriseRequest, (*registryv1.ImportEnterprisesResponse).GetProgress); err != nil {
		return err
	}
	if _, err := importRows(ctx, b.economy.Import.ImportDesignations, designations, designationRequest, designationProgress); err != nil {
		return err
	}
	if _, err := b.economy.Park.RegisterPark(ctx, &registryv1.RegisterParkRequest{Code: "bench-park", Name: "基准园区"}); err != nil {
		return err
	}
	if _, err := importRows(ctx, b.operator.Import.ImportTenancies, tenancies, tenancyRequest, (*registryv1.ImportTenanciesResponse).GetProgress); err != nil {
		return err
	}
	_, err := b.operator.Park.SetEligibilityRule(ctx, &registryv1.SetEligibilityRuleRequest{
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
}
