package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/rpc"
)

const usage = `usage: registryd <command> [flags]

commands:
  serve          run the registry server (--demo seeds demo data and prints a token per role)
  migrate        create or update the database schema and reference data
  token create   --subject S --org O --role R [--ttl 720h]: print a new bearer token
  token revoke   --id N: revoke a token at once
  audit verify   recompute the audit chain and report the first bad sequence
  keys rotate    make a new attestation signing key; old keys stay published

Run 'registryd <command> --help' for the flags of a command.
`

// run is registryd's whole program; main only supplies the process's
// arguments, environment and streams.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command")
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		return runServe(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, rest, getenv, stdout, stderr)
	case "token":
		return runToken(ctx, rest, getenv, stdout, stderr)
	case "audit":
		return runAudit(ctx, rest, getenv, stdout, stderr)
	case "keys":
		return runKeys(ctx, rest, getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

func newLogger(level string, stderr io.Writer) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("log level: %w", err)
	}
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	core := zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.Lock(zapcore.AddSync(stderr)), lvl)
	return zap.New(core), nil
}

// openRegistry opens the database and prepares a Registry on it.
func openRegistry(ctx context.Context, c config, log *zap.Logger) (*registry.Registry, *ent.Client, error) {
	secrets, err := c.secrets()
	if err != nil {
		return nil, nil, err
	}
	db, err := registry.OpenDatabase(c.DatabaseURL)
	if err != nil {
		return nil, nil, err
	}
	reg, err := registry.New(ctx, db, registry.Config{Secrets: secrets, Logger: log.Named("registry")})
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return reg, db, nil
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var c serveConfig
	f := newFlagSet("registryd serve", stderr, getenv)
	c.register(f)
	f.string(&c.Addr, "addr", "REGISTRY_ADDR", ":8080", "listen address for Connect, gRPC and gRPC-Web")
	f.bool(&c.Demo, "demo", "REGISTRY_DEMO", "seed demo enterprises, talents and designations and print a token per role")
	f.duration(&c.ShutdownTimeout, "shutdown-timeout", "REGISTRY_SHUTDOWN_TIMEOUT", 15*time.Second, "how long to let calls finish on SIGINT/SIGTERM")
	if err := f.parse(args); err != nil {
		return err
	}
	log, err := newLogger(c.LogLevel, stderr)
	if err != nil {
		return err
	}
	defer log.Sync() //nolint:errcheck // nothing to do if stderr cannot sync
	reg, db, err := openRegistry(ctx, c.config, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if c.Demo {
		if err := seedDemo(ctx, reg, stdout); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	return serve(ctx, ln, rpc.NewHandler(reg, log.Named("rpc")), c.ShutdownTimeout, log)
}

// serve runs an HTTP/1.1 + h2c server on ln until ctx ends, then shuts it
// down gracefully.
func serve(ctx context.Context, ln net.Listener, h http.Handler, shutdownTimeout time.Duration, log *zap.Logger) error {
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	srv := &http.Server{
		Handler:           h,
		Protocols:         protocols,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          zap.NewStdLog(log.Named("http")),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("serving", zap.String("addr", ln.Addr().String()))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var c config
	f := newFlagSet("registryd migrate", stderr, getenv)
	c.register(f)
	if err := f.parse(args); err != nil {
		return err
	}
	log, err := newLogger(c.LogLevel, stderr)
	if err != nil {
		return err
	}
	_, db, err := openRegistry(ctx, c, log)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintln(stdout, "schema and reference data are up to date")
	return nil
}

// cliActor is recorded in the audit trail for changes made from the command line.
func cliActor(getenv func(string) string) registry.Principal {
	who := getenv("USER")
	if who == "" {
		who = "unknown"
	}
	return registry.Principal{Subject: "registryd:" + who, Org: "admin", Role: "admin"}
}

func runToken(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "create" && args[0] != "revoke") {
		return errors.New("usage: registryd token create|revoke [flags]")
	}
	var c config
	var subject, org, role, id string
	var ttl time.Duration
	f := newFlagSet("registryd token "+args[0], stderr, getenv)
	c.register(f)
	if args[0] == "create" {
		f.fs.StringVar(&subject, "subject", "", "who the token is for, e.g. a staff member's name or account")
		f.fs.StringVar(&org, "org", "", "organisation: bureau:<code>, enterprise:<credit code>, park:<code>, auditor or admin")
		f.fs.StringVar(&role, "role", "", "role: issuer|viewer (bureau), member (enterprise), operator|viewer (park), auditor, admin")
		f.fs.DurationVar(&ttl, "ttl", 0, "token lifetime, e.g. 720h; 0 means no expiry")
	} else {
		f.fs.StringVar(&id, "id", "", "id of the token to revoke")
	}
	if err := f.parse(args[1:]); err != nil {
		return err
	}
	log, err := newLogger(c.LogLevel, stderr)
	if err != nil {
		return err
	}
	reg, db, err := openRegistry(ctx, c, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if args[0] == "create" {
		raw, _, err := reg.IssueToken(ctx, cliActor(getenv), registry.NewToken{Subject: subject, Org: org, Role: role, TTL: ttl})
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, raw)
		return nil
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return fmt.Errorf("--id: %w", err)
	}
	t, err := reg.RevokeToken(ctx, cliActor(getenv), n)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "token %d (%s, %s@%s) revoked\n", t.ID, t.Subject, t.Role, t.Org)
	return nil
}

func runAudit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return errors.New("usage: registryd audit verify [flags]")
	}
	var c config
	f := newFlagSet("registryd audit verify", stderr, getenv)
	c.register(f)
	if err := f.parse(args[1:]); err != nil {
		return err
	}
	log, err := newLogger(c.LogLevel, stderr)
	if err != nil {
		return err
	}
	reg, db, err := openRegistry(ctx, c, log)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := reg.VerifyAuditChain(registry.WithPrincipal(ctx, registry.Principal{Subject: cliActor(getenv).Subject, Org: "auditor", Role: "auditor"}))
	if err != nil {
		return err
	}
	if !rep.OK {
		fmt.Fprintf(stdout, "audit chain BROKEN at sequence %d after %d good events: %s\n", rep.FirstBadSequence, rep.EventsChecked, rep.Problem)
		return errors.New("audit chain does not verify")
	}
	fmt.Fprintf(stdout, "audit chain OK: %d events\n", rep.EventsChecked)
	return nil
}

func runKeys(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "rotate" {
		return errors.New("usage: registryd keys rotate [flags]")
	}
	var c config
	f := newFlagSet("registryd keys rotate", stderr, getenv)
	c.register(f)
	if err := f.parse(args[1:]); err != nil {
		return err
	}
	log, err := newLogger(c.LogLevel, stderr)
	if err != nil {
		return err
	}
	reg, db, err := openRegistry(ctx, c, log)
	if err != nil {
		return err
	}
	defer db.Close()
	kid, err := reg.RotateSigningKey(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "attestations are now signed with key %s; earlier keys remain published\n", kid)
	return nil
}
