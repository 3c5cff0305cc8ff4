package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/access"
	"github.com/hangzhou-ai/registry/registry/keys"
	"github.com/hangzhou-ai/registry/rpc"
	"github.com/hangzhou-ai/registry/rpc/oidc"
)

const usage = `usage: registryd <command> [flags]

commands:
  serve          run the registry server (--demo seeds demo data and prints a token per role)
  migrate        create or update the database schema and reference data
  token create   --subject S --org O --role R [--ttl 720h]: print a new bearer token
  token revoke   --id N: revoke a token at once
  audit verify   recompute the audit chain and report the first bad sequence
  keys rotate    make a new attestation signing key; old keys stay published
  keys retire    KID: withdraw a signing key at once (attestations under it stop verifying)
  secret rotate  --new-key-file FILE: re-encrypt identity numbers and signing keys under a new secret key

Run 'registryd <command> --help' for the flags of a command.
`

// run is registryd's whole program; main only supplies the process's
// arguments, environment and streams.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	err := runCommand(ctx, args, getenv, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil // --help printed the flags
	}
	return err
}

func runCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
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
	case "secret":
		return runSecret(ctx, rest, getenv, stdout, stderr)
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

// openRegistry opens the registry on the configured database; with migrate
// it first brings the database up to date (registry.Migrate), otherwise the
// database must be migrated already. The secret key is settled before the
// database is touched, so a new SQLite database gets its key file. A key the database refuses is reported with where it came
// from and how to supply the right one, and a key file created for it is
// removed again; a key file created for a new database is logged (its
// path, never the key).
func openRegistry(ctx context.Context, c config, log *zap.Logger, migrate bool) (*registry.Registry, registry.MigrationResult, error) {
	var res registry.MigrationResult
	key, err := c.secretKey()
	if err != nil {
		return nil, res, err
	}
	if migrate {
		if res, err = registry.Migrate(ctx, c.DatabaseURL); err != nil {
			key.discard()
			return nil, res, fmt.Errorf("migrate: %w", err)
		}
	}
	reg, err := registry.Open(ctx, registry.Config{DatabaseURL: c.DatabaseURL, Secrets: key.secrets, Logger: log.Named("registry"),
		AdminMintableRoles: c.mintableRoles()})
	if err != nil {
		key.discard()
		if errors.Is(err, keys.ErrSecretKeyMismatch) {
			return nil, res, fmt.Errorf("%w\nthe key came from %s; %s", err, key.source, supplyKeyHelp)
		}
		return nil, res, err
	}
	if key.created != "" {
		log.Info("created the secret key file beside the new database; back it up apart from the database, which cannot be read without it",
			zap.String("path", key.created))
	}
	log.Debug("secret key", zap.String("fingerprint", key.secrets.Fingerprint()), zap.String("source", key.source))
	return reg, res, nil
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var c serveConfig
	f := newFlagSet("registryd serve", stderr, getenv)
	c.register(f)
	f.fs.Usage = func() {
		fmt.Fprintf(f.fs.Output(), "usage: registryd serve [flags]\n\nflags (each also read from the environment variable named):\n")
		f.fs.PrintDefaults()
		fmt.Fprint(f.fs.Output(), secretKeyHelp+tracingHelp)
	}
	if err := f.parse(args); err != nil {
		return err
	}
	if err := c.check(); err != nil {
		return err
	}
	var sso *oidc.Verifier
	if c.OIDC.Issuer != "" {
		v, err := oidc.New(oidc.Config{
			Issuer: c.OIDC.Issuer, Audience: c.OIDC.Audience,
			SubjectClaim: c.OIDC.SubjectClaim, OrgClaim: c.OIDC.OrgClaim, RoleClaim: c.OIDC.RoleClaim,
		})
		if err != nil {
			return err
		}
		sso = v
	}
	log, err := newLogger(c.LogLevel, stderr)
	if err != nil {
		return err
	}
	defer log.Sync() //nolint:errcheck // nothing to do if stderr cannot sync
	reg, _, err := openRegistry(ctx, c.config, log, true)
	if err != nil {
		return err
	}
	defer reg.Close()
	if c.Demo {
		if err := seedDemo(ctx, reg, stdout); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}

	rpcLog := log.Named("rpc")
	opts := []rpc.Option{rpc.WithLimits(rpc.Limits{
		PerSecond: c.RateLimit, Burst: c.RateBurst, MaxCallDuration: c.MaxCallDuration,
		PublicPerSecond: c.PublicRateLimit, PublicBurst: c.PublicRateBurst,
	}), rpc.WithImportLimits(rpc.ImportLimits{IdleTimeout: c.ImportIdleTimeout, MaxConcurrent: c.MaxConcurrentImports})}
	tp, stopTracing, err := setupTracing(ctx, getenv, log.Named("otel"))
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := stopTracing(sctx); err != nil {
			log.Warn("flushing traces", zap.Error(err))
		}
	}()
	if tp != nil {
		opts = append(opts, rpc.WithTracing(tp))
	}
	if sso != nil {
		opts = append(opts, rpc.WithOIDC(sso))
		ssoLog := log.Named("sso")
		go func() {
			// Warm the key cache; a failure is retried on the first SSO call.
			if err := sso.Prefetch(ctx); err != nil {
				ssoLog.Warn("fetching the identity provider's keys failed", zap.String("issuer", c.OIDC.Issuer), zap.Error(err))
			}
		}()
	}
	servers := []listener{}
	if c.MetricsAddr != "" {
		m := rpc.NewMetrics(reg, log.Named("metrics"))
		opts = append(opts, rpc.WithMetrics(m))
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", m.Handler())
		ln, err := net.Listen("tcp", c.MetricsAddr)
		if err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
		servers = append(servers, listener{name: "metrics", ln: ln, h: mux})
	}
	if c.PolicyReloadInterval > 0 {
		go reloadPolicy(ctx, reg, c.PolicyReloadInterval, log.Named("policy"))
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		for _, s := range servers {
			s.ln.Close()
		}
		return err
	}
	servers = append([]listener{{name: "rpc", ln: ln, h: rpc.NewHandler(reg, rpcLog, opts...)}}, servers...)
	return serve(ctx, servers, c.ShutdownTimeout, log)
}

// reloadPolicy reloads the authorization policy every interval until ctx ends.
func reloadPolicy(ctx context.Context, reg *registry.Registry, interval time.Duration, log *zap.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := reg.ReloadPolicy(); err != nil {
				log.Error("reloading the authorization policy failed", zap.Error(err))
			}
		}
	}
}

// listener is a named HTTP handler on its listener.
type listener struct {
	name string
	ln   net.Listener
	h    http.Handler
}

// serve runs an HTTP/1.1 + h2c server on each listener until ctx ends or
// one of them fails, then shuts them all down gracefully.
func serve(ctx context.Context, listeners []listener, shutdownTimeout time.Duration, log *zap.Logger) error {
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	type result struct {
		name string
		err  error
	}
	errc := make(chan result, len(listeners))
	servers := make([]*http.Server, len(listeners))
	for i, l := range listeners {
		srv := &http.Server{
			Handler:           l.h,
			Protocols:         protocols,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       2 * time.Minute,
			WriteTimeout:      2 * time.Minute,
			IdleTimeout:       2 * time.Minute,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          zap.NewStdLog(log.Named("http")),
		}
		servers[i] = srv
		go func() { errc <- result{l.name, srv.Serve(l.ln)} }()
		log.Info("serving", zap.String("listener", l.name), zap.String("addr", l.ln.Addr().String()))
	}
	var first error
	pending := len(servers)
	select {
	case r := <-errc:
		pending--
		first = fmt.Errorf("%s: %w", r.name, r.err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	var errs []error
	if first != nil {
		errs = append(errs, first)
	}
	for _, srv := range servers {
		if err := srv.Shutdown(sctx); err != nil {
			errs = append(errs, fmt.Errorf("shutdown: %w", err))
		}
	}
	for ; pending > 0; pending-- {
		if r := <-errc; !errors.Is(r.err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("%s: %w", r.name, r.err))
		}
	}
	return errors.Join(errs...)
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
	// Open checks the secret key against the database and makes the
	// first signing key; it does not migrate again.
	reg, res, err := openRegistry(ctx, c, log, true)
	if err != nil {
		return err
	}
	defer reg.Close()
	for _, name := range res.Baselined {
		fmt.Fprintf(stdout, "recorded %s as applied: the database already had its tables\n", name)
	}
	for _, name := range res.Applied {
		fmt.Fprintf(stdout, "applied %s\n", name)
	}
	fmt.Fprintf(stdout, "schema at version %s (%d migrations, %s); reference data up to date\n", res.Version, res.Total, res.Dialect)
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
	var subject, org, role, id string
	var ttl time.Duration
	flags := func(f *envFlags) {
		if args[0] == "create" {
			f.fs.StringVar(&subject, "subject", "", "who the token is for, e.g. a staff member's name or account")
			f.fs.StringVar(&org, "org", "", "organisation: bureau:<code>, enterprise:<credit code>, park:<code>, auditor or admin")
			f.fs.StringVar(&role, "role", "", "role: issuer|viewer (bureau), member|talent-assessor (enterprise), operator|viewer (park), auditor, admin")
			f.fs.DurationVar(&ttl, "ttl", 0, "token lifetime, e.g. 720h; 0 means no expiry")
		} else {
			f.fs.StringVar(&id, "id", "", "id of the token to revoke")
		}
	}
	return withRegistry(ctx, "token "+args[0], args[1:], getenv, stderr, flags, func(reg *registry.Registry) error {
		if args[0] == "create" {
			raw, _, err := reg.IssueToken(ctx, cliActor(getenv), access.NewToken{Subject: subject, Org: org, Role: role, TTL: ttl})
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
	})
}

// withRegistry runs a maintenance command that works on the database
// directly: it parses the common flags and the command's own (added by
// flags, if any), opens the registry, and runs do on it.
func withRegistry(ctx context.Context, name string, args []string, getenv func(string) string, stderr io.Writer,
	flags func(*envFlags), do func(*registry.Registry) error) error {
	var c config
	f := newFlagSet("registryd "+name, stderr, getenv)
	c.register(f)
	if flags != nil {
		flags(f)
	}
	if err := f.parse(args); err != nil {
		return err
	}
	log, err := newLogger(c.LogLevel, stderr)
	if err != nil {
		return err
	}
	reg, _, err := openRegistry(ctx, c, log, false)
	if err != nil {
		return err
	}
	defer reg.Close()
	return do(reg)
}

func runAudit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return errors.New("usage: registryd audit verify [flags]")
	}
	return withRegistry(ctx, "audit verify", args[1:], getenv, stderr, nil, func(reg *registry.Registry) error {
		auditor := registry.Principal{Subject: cliActor(getenv).Subject, Org: "auditor", Role: "auditor"}
		rep, err := reg.VerifyAuditChain(registry.WithPrincipal(ctx, auditor))
		if err != nil {
			return err
		}
		if !rep.OK {
			fmt.Fprintf(stdout, "audit chain BROKEN at sequence %d after %d good events: %s\n", rep.FirstBadSequence, rep.EventsChecked, rep.Problem)
			return errors.New("audit chain does not verify")
		}
		fmt.Fprintf(stdout, "audit chain OK: %d events\n", rep.EventsChecked)
		return nil
	})
}

func runKeys(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "rotate" && args[0] != "retire") {
		return errors.New("usage: registryd keys rotate [flags] | registryd keys retire KID [flags]")
	}
	if args[0] == "rotate" {
		return withRegistry(ctx, "keys rotate", args[1:], getenv, stderr, nil, func(reg *registry.Registry) error {
			kid, err := reg.RotateSigningKey(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "attestations are now signed with key %s; earlier keys remain published\n", kid)
			return nil
		})
	}
	// The key id comes first: registryd keys retire KID [flags].
	if len(args) < 2 || strings.HasPrefix(args[1], "-") {
		return errors.New("usage: registryd keys retire KID [flags]: KID is a key id from /.well-known/jwks.json")
	}
	kid := args[1]
	return withRegistry(ctx, "keys retire", args[2:], getenv, stderr, nil, func(reg *registry.Registry) error {
		w, err := reg.WithdrawSigningKey(ctx, cliActor(getenv), kid)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "signing key %s withdrawn: it is no longer published and attestations under it no longer verify\n", w.KeyID)
		if w.Replacement != "" {
			fmt.Fprintf(stdout, "it was the key signing; attestations are now signed with key %s\n", w.Replacement)
		}
		return nil
	})
}
