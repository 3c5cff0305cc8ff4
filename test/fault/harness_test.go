// Package fault holds fault-injection tests: registryd runs as a child
// process on a private PostgreSQL cluster that the test creates with
// initdb and starts with pg_ctl, and the test kills either of them with
// SIGKILL under load. The shared PostgreSQL server is never touched.
package fault

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect/v2"
	_ "github.com/lib/pq" // PostgreSQL driver for the checks

	"github.com/hangzhou-ai/registry/ident"
	"github.com/hangzhou-ai/registry/rpc/client"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
	"github.com/hangzhou-ai/registry/seal"
)

// pgBinDir finds the directory holding initdb and pg_ctl, or "".
func pgBinDir() string {
	var dirs []string
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dirs = append(dirs, strings.TrimSpace(string(out)))
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(found, func(a, b string) int { // newest major version first
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return vb - va
	})
	dirs = append(dirs, found...)
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			dirs = append(dirs, filepath.Dir(real))
		}
	}
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "pg_ctl")) {
			return d
		}
	}
	return ""
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// pgCluster is a private PostgreSQL cluster in a temporary directory.
type pgCluster struct {
	t       testing.TB
	bin     string
	dir     string // owned by the cluster's user; holds data/, the log and the socket
	port    int
	asUser  func(name string, args ...string) *exec.Cmd
	uid     int
	gid     int
	starts  int
	crashes int
}

// newCluster creates and starts a private cluster, or skips the test when
// that cannot be done on this machine.
func newCluster(t *testing.T) *pgCluster {
	t.Helper()
	if testing.Short() {
		t.Skip("fault tests start PostgreSQL and registryd and take about a minute; skipped in -short mode")
	}
	if runtime.GOOS != "linux" {
		t.Skip("fault tests read /proc to kill a PostgreSQL server: Linux only")
	}
	bin := pgBinDir()
	if bin == "" {
		t.Skip("initdb and pg_ctl not found (tried pg_config --bindir, /usr/lib/postgresql/*/bin and PATH)")
	}
	c := &pgCluster{t: t, bin: bin, uid: -1, gid: -1}
	c.asUser = func(name string, args ...string) *exec.Cmd { return exec.Command(name, args...) }
	if os.Geteuid() == 0 {
		// initdb refuses to run as root: run the cluster as postgres.
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skip("running as root and there is no postgres user to run initdb as")
		}
		c.uid, _ = strconv.Atoi(u.Uid)
		c.gid, _ = strconv.Atoi(u.Gid)
		if runuser, err := exec.LookPath("runuser"); err == nil {
			c.asUser = func(name string, args ...string) *exec.Cmd {
				return exec.Command(runuser, append([]string{"-u", "postgres", "--", name}, args...)...)
			}
		} else if su, err := exec.LookPath("su"); err == nil {
			c.asUser = func(name string, args ...string) *exec.Cmd {
				quoted := []string{shellQuote(name)}
				for _, a := range args {
					quoted = append(quoted, shellQuote(a))
				}
				return exec.Command(su, "postgres", "-s", "/bin/sh", "-c", strings.Join(quoted, " "))
			}
		} else {
			t.Skip("running as root and neither runuser nor su is there to run initdb as postgres")
		}
	}
	dir, err := os.MkdirTemp("", "registry-fault-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if c.uid >= 0 {
		if err := os.Chown(dir, c.uid, c.gid); err != nil {
			t.Fatal(err)
		}
	}
	c.dir = dir
	c.port = freePort(t)
	if out, err := c.run("initdb", "-D", c.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C"); err != nil {
		t.Skipf("initdb failed, so no private cluster can be made here: %v\n%s", err, out)
	}
	// fsync and synchronous_commit stay at their defaults (on): a commit
	// acknowledged to registryd is on disk before the server is killed.
	conf := fmt.Sprintf("\nport = %d\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\nmax_connections = 100\nfsync = on\nsynchronous_commit = on\n",
		c.port, dir)
	f, err := os.OpenFile(filepath.Join(c.data(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(conf); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := c.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.stop)
	db := c.open("postgres")
	defer db.Close()
	if _, err := db.Exec("CREATE DATABASE registry"); err != nil {
		t.Fatal(err)
	}
	return c
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func (c *pgCluster) data() string { return filepath.Join(c.dir, "data") }

// run runs one of the cluster's programs as the cluster's user.
func (c *pgCluster) run(program string, args ...string) ([]byte, error) {
	cmd := c.asUser(filepath.Join(c.bin, program), args...)
	cmd.Dir = c.dir
	cmd.WaitDelay = 5 * time.Second
	return cmd.CombinedOutput()
}

// URL is the database URL of database db on the cluster.
func (c *pgCluster) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

func (c *pgCluster) open(db string) *sql.DB {
	c.t.Helper()
	d, err := sql.Open("postgres", c.URL(db))
	if err != nil {
		c.t.Fatal(err)
	}
	d.SetMaxOpenConns(4)
	return d
}

// start starts the server and waits until it accepts connections. A start
// after a crash runs crash recovery first.
func (c *pgCluster) start() error {
	var out []byte
	var err error
	for try := 0; try < 3; try++ {
		out, err = c.run("pg_ctl", "-D", c.data(), "-l", filepath.Join(c.dir, "postgres.log"), "-w", "-t", "60", "start")
		if err == nil {
			c.starts++
			return nil
		}
		time.Sleep(500 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(c.dir, "postgres.log"))
	return fmt.Errorf("pg_ctl start: %v\n%s\n%s", err, out, tail(string(log), 20))
}

// postmasterPID reads the server's pid from postmaster.pid.
func (c *pgCluster) postmasterPID() (int, error) {
	b, err := os.ReadFile(filepath.Join(c.data(), "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strconv.Atoi(strings.TrimSpace(line))
}

// crash kills the server with SIGKILL: the postmaster and every process it
// forked (backends, checkpointer, WAL writer…), as a power cut or the
// OOM killer taking the whole server would. The postmaster is stopped
// first so it forks nothing while its children are collected; killing it
// alone would leave its backends serving their connections.
func (c *pgCluster) crash() {
	c.t.Helper()
	pm, err := c.postmasterPID()
	if err != nil {
		c.t.Fatalf("crash: %v", err)
	}
	if err := syscall.Kill(pm, syscall.SIGSTOP); err != nil {
		c.t.Fatalf("crash: stop postmaster %d: %v", pm, err)
	}
	victims := append([]int{pm}, childrenOf(pm)...)
	for _, pid := range victims {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	c.crashes++
	// pg_ctl start refuses while the old postmaster's pid exists (until
	// init has reaped it); the children hold no shared memory once dead.
	for deadline := time.Now().Add(10 * time.Second); processExists(pm) && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
}

// childrenOf lists the processes whose parent is pid.
func childrenOf(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var kids []int
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces and parentheses.
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(s[i+1:])
		if len(fields) >= 2 {
			if ppid, _ := strconv.Atoi(fields[1]); ppid == pid {
				kids = append(kids, n)
			}
		}
	}
	return kids
}

func processExists(pid int) bool {
	_, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid)))
	return err == nil
}

// stop shuts the cluster down at the end of a test.
func (c *pgCluster) stop() {
	if _, err := c.run("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "stop"); err != nil {
		if pm, err := c.postmasterPID(); err == nil && processExists(pm) {
			c.crash()
		}
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func tail(s string, lines int) string {
	ls := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(ls[max(0, len(ls)-lines):], "\n")
}

// build compiles registryd once per test binary.
var build struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

func registrydBinary(t *testing.T) string {
	t.Helper()
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "registry-fault-bin-")
		if build.err != nil {
			return
		}
		build.bin = filepath.Join(build.dir, "registryd")
		goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
		if !isExecutable(goTool) {
			goTool = "go"
		}
		cmd := exec.Command(goTool, "build", "-o", build.bin, "github.com/hangzhou-ai/registry/cmd/registryd")
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build registryd: %v\n%s", err, out)
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.bin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
	os.Exit(code)
}

// server is registryd running as a child process.
type server struct {
	t    *testing.T
	bin  string
	env  []string
	addr string
	cmd  *exec.Cmd
	done chan struct{}
	log  *rpctest.SyncBuffer
}

// newServer prepares registryd on databaseURL; start runs it.
func newServer(t *testing.T, databaseURL string) *server {
	t.Helper()
	s := &server{t: t, bin: registrydBinary(t), log: &rpctest.SyncBuffer{}}
	s.addr = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	s.env = append(os.Environ(),
		"REGISTRY_DATABASE_URL="+databaseURL,
		"REGISTRY_SECRET_KEY="+seal.NewSecretKey(),
		"REGISTRY_LOG_LEVEL=warn",
		"OTEL_SDK_DISABLED=true")
	// The operator migrates first: commands other than serve and migrate
	// refuse a database with pending migrations.
	migrate := exec.Command(s.bin, "migrate")
	migrate.Env = s.env
	if out, err := migrate.CombinedOutput(); err != nil {
		t.Fatalf("registryd migrate: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		s.kill()
		if t.Failed() {
			t.Logf("registryd log (last lines):\n%s", tail(s.log.String(), 40))
		}
	})
	return s
}

// token issues a bearer token with registryd token create.
func (s *server) token(subject, org, role string) string {
	s.t.Helper()
	cmd := exec.Command(s.bin, "token", "create", "--subject", subject, "--org", org, "--role", role)
	cmd.Env = s.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		s.t.Fatalf("registryd token create: %v\n%s", err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// start runs registryd serve and waits until it answers health checks.
func (s *server) start() {
	s.t.Helper()
	s.cmd = exec.Command(s.bin, "serve", "--addr", s.addr)
	s.cmd.Env, s.cmd.Stdout, s.cmd.Stderr = s.env, s.log, s.log
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	done := make(chan struct{})
	s.done = done
	go func() { _ = s.cmd.Wait(); close(done) }()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		res, err := http.Post(s.url()+"/grpc.health.v1.Health/Check", "application/json", strings.NewReader("{}"))
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-done:
			s.t.Fatalf("registryd exited while starting: %v\n%s", s.cmd.ProcessState, tail(s.log.String(), 20))
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("registryd did not start\n%s", tail(s.log.String(), 20))
		}
	}
}

func (s *server) url() string { return "http://" + s.addr }

func (s *server) pid() int { return s.cmd.Process.Pid }

// running reports whether the process started last is still alive.
func (s *server) running() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// kill ends registryd with SIGKILL and waits for it.
func (s *server) kill() {
	if s.cmd == nil || s.cmd.Process == nil || !s.running() {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// newClients returns the generated clients sending one bearer token, over
// HTTP/2 without TLS for the import streams, with up to 32 connections.
func newClients(base, token string) *client.Clients {
	h1 := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32, MaxConnsPerHost: 32}}
	return client.NewClients(h1, base, client.WithInterceptors(client.BearerAuth(token)), client.WithStreamingHTTPClient(client.H2C()))
}

// creditCode makes the i-th valid credit code of these tests.
func creditCode(t testing.TB, i int) string {
	code, err := ident.CompleteCreditCode(fmt.Sprintf("91330100FT%07d", i))
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// withKey returns a context whose calls carry an Idempotency-Key.
func withKey(ctx context.Context, key string) context.Context {
	ctx, info := connect.NewClientContext(ctx)
	info.RequestHeader().Set("Idempotency-Key", key)
	return ctx
}

// errorText shortens an error for the log.
func errorText(err error) string {
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce.Code().String() + ": " + ce.Message()
	}
	return err.Error()
}
