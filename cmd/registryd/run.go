package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/hangzhou-ai/registry/checkpoint"
	"github.com/hangzhou-ai/registry/ratelimit"
	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/access"
	"github.com/hangzhou-ai/registry/registry/imports"
	"github.com/hangzhou-ai/registry/registry/keys"
	"github.com/hangzhou-ai/registry/registry/webhook"
	"github.com/hangzhou-ai/registry/rpc"
	"github.com/hangzhou-ai/registry/rpc/oidc"
	"github.com/hangzhou-ai/registry/web"
	wire "github.com/hangzhou-ai/registry/webhook"
)

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
	cpKey, err := c.checkpointKey()
	if err != nil {
		key.discard()
		return nil, res, err
	}
	if migrate {
		if res, err = registry.Migrate(ctx, c.DatabaseURL); err != nil {
			key.discard()
			return nil, res, fmt.Errorf("migrate: %w", err)
		}
	}
	reg, err := registry.Open(ctx, registry.Config{DatabaseURL: c.DatabaseURL, Secrets: key.secrets, Logger: log.Named("registry"),
		AdminMintableRoles: c.mintableRoles(), CheckpointSigner: cpKey.signer, WebhookURLs: c.webhookURLs})
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
	switch {
	case cpKey.created != "":
		log.Info("created the checkpoint key file beside the database; back it up apart from the database and publish its verifier key ('registryd checkpoint-key show')",
			zap.String("path", cpKey.created))
	case cpKey.signer == nil:
		log.Warn("no checkpoint key: the audit log's checkpoints are not signed; set --checkpoint-key-file (see 'registryd checkpoint-key new')")
	}
	return reg, res, nil
}

// serveCommand is `registryd serve`: it migrates the database, then
// serves the registry until the context ends.
func (inv *invocation) serveCommand() *cobra.Command {
	var c serveConfig
	cmd := &cobra.Command{
		Use:         "serve",
		Short:       "run the registry server (--demo seeds demo data and prints a token per role)",
		Args:        positional(0),
		Annotations: map[string]string{footerAnnotation: tracingHelp},
		RunE: func(cmd *cobra.Command, _ []string) error {
			c.config = inv.config
			return runServe(cmd.Context(), c, inv.getenv, inv.stdout, inv.stderr)
		},
	}
	c.register(cmd.Flags())
	return cmd
}

func runServe(ctx context.Context, c serveConfig, getenv func(string) string, stdout, stderr io.Writer) error {
	if err := c.check(); err != nil {
		return err
	}
	var (
		sso      *oidc.Verifier
		ssoLogin *web.SSOLogin
	)
	if c.OIDC.Issuer != "" {
		v, err := oidc.New(oidc.Config{
			Issuer: c.OIDC.Issuer, Audience: c.OIDC.Audience,
			SubjectClaim: c.OIDC.SubjectClaim, OrgClaim: c.OIDC.OrgClaim, RoleClaim: c.OIDC.RoleClaim,
		})
		if err != nil {
			return err
		}
		sso = v
		secret, err := c.OIDC.clientSecret()
		if err != nil {
			return err
		}
		if c.PublicURL != "" {
			ssoLogin = &web.SSOLogin{ClientID: c.OIDC.clientID(), ClientSecret: secret, Scopes: c.OIDC.Scopes}
		}
	}
	log, err := newLogger(c.LogLevel, stderr)
	if err != nil {
		return err
	}
	defer log.Sync() //nolint:errcheck // nothing to do if stderr cannot sync
	if c.Demo && c.CheckpointKey == "" && c.CheckpointKeyFile == "" && strings.HasPrefix(c.DatabaseURL, "postgres") {
		// A demonstration signs its checkpoints with a throw-away key.
		if c.CheckpointKey, _, err = checkpoint.GenerateKey(defaultOrigin()); err != nil {
			return err
		}
	}
	c.webhookURLs = wire.Policy{AllowHTTP: c.WebhookAllowHTTP, AllowPrivate: c.WebhookAllowPrivate}
	reg, _, err := openRegistry(ctx, c.config, log, true)
	if err != nil {
		return err
	}
	defer reg.Close()
	// Webhook deliveries run beside the servers and stop before the
	// registry closes; what is left is delivered by the next start.
	deliverCtx, stopDelivering := context.WithCancel(context.WithoutCancel(ctx))
	delivered := make(chan struct{})
	go func() {
		defer close(delivered)
		err := reg.Deliver(deliverCtx, webhook.DeliveryConfig{
			Send: wire.NewSender(c.webhookURLs, 0).Send, Encode: rpc.ChangeJSON, RetryFor: c.WebhookRetryFor,
		})
		if err != nil {
			log.Error("webhook deliveries stopped", zap.Error(err))
		}
	}()
	defer func() { stopDelivering(); <-delivered }()
	var demoDesignation string
	if c.Demo {
		if demoDesignation, err = seedDemo(ctx, reg, stdout); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}

	rpcLog := log.Named("rpc")
	// One budget per client address for the public API and the public
	// pages, and one per principal for its API calls and console pages.
	public := ratelimit.New(c.PublicRateLimit, c.PublicRateBurst)
	principals := ratelimit.New(c.RateLimit, c.RateBurst)
	// One bound on the imports running, whether the API or the console started them.
	importSlots := imports.NewSlots(c.MaxConcurrentImports)
	opts := []rpc.Option{rpc.WithLimits(rpc.Limits{
		PerSecond: c.RateLimit, Burst: c.RateBurst, MaxCallDuration: c.MaxCallDuration,
		PublicPerSecond: c.PublicRateLimit, PublicBurst: c.PublicRateBurst, Public: public, Principals: principals,
	}), rpc.WithImportLimits(rpc.ImportLimits{IdleTimeout: c.ImportIdleTimeout, MaxConcurrent: c.MaxConcurrentImports, Slots: importSlots})}
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
	if c.PprofAddr != "" {
		ln, err := net.Listen("tcp", c.PprofAddr)
		if err != nil {
			for _, s := range servers {
				s.ln.Close()
			}
			return fmt.Errorf("pprof: %w", err)
		}
		servers = append(servers, listener{name: "pprof", ln: ln, h: pprofMux()})
	}
	if sso != nil && ssoLogin == nil {
		log.Info("the console's sign-in through the identity provider is off: set --public-url to turn it on")
	}
	pages, err := web.New(reg, log.Named("web"), web.Config{PublicURL: c.PublicURL, Public: public, Principals: principals, ImportSlots: importSlots, SSO: sso, SSOLogin: ssoLogin})
	if err != nil {
		return err
	}
	defer pages.Close() // before the registry closes: it stops the console's imports
	mux := http.NewServeMux()
	mux.Handle("/", rpc.CORS(c.CORSOrigins, rpc.NewHandler(reg, rpcLog, opts...)))
	pages.Mount(mux)
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		for _, s := range servers {
			s.ln.Close()
		}
		return err
	}
	servers = append([]listener{{name: "rpc", ln: ln, h: mux}}, servers...)
	if c.Demo {
		printDemoURLs(stdout, c.PublicURL, ln.Addr(), demoDesignation)
	}
	// Change watches never end by themselves: end them as the shutdown
	// begins, telling their clients where to resume.
	return serve(ctx, servers, c.ShutdownTimeout, log, reg.EndWatches)
}

// pprofMux serves Go's profiler under /debug/pprof/ on a mux of its own:
// the handlers net/http/pprof also puts on http.DefaultServeMux are never
// reachable from the RPC port, which serves only rpc.NewHandler.
func pprofMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index) // the named profiles too: heap, goroutine, allocs, block, mutex…
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// listener is a named HTTP handler on its listener.
type listener struct {
	name string
	ln   net.Listener
	h    http.Handler
}

// serve runs an HTTP/1.1 + h2c server on each listener until ctx ends or
// one of them fails, then runs beforeShutdown and shuts them all down
// gracefully.
func serve(ctx context.Context, listeners []listener, shutdownTimeout time.Duration, log *zap.Logger, beforeShutdown func()) error {
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
	beforeShutdown()
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

// migrateCommand is `registryd migrate`: it brings the database up to
// date and says what it applied.
func (inv *invocation) migrateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "create or update the database schema and reference data",
		Args:  positional(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runMigrate(cmd.Context(), inv.config, inv.stdout, inv.stderr)
		},
	}
}

func runMigrate(ctx context.Context, c config, stdout, stderr io.Writer) error {
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

// tokenCreateCommand is `registryd token create`: it prints a new bearer
// token, and nothing else, for any principal the grant policy knows.
func (inv *invocation) tokenCreateCommand() *cobra.Command {
	var t access.NewToken
	cmd := &cobra.Command{
		Use:   "create --subject S --org O --role R [--ttl 720h]",
		Short: "print a new bearer token",
		Args:  positional(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return inv.withRegistry(ctx, func(reg *registry.Registry) error {
				raw, _, err := reg.IssueToken(ctx, cliActor(inv.getenv), t)
				if err != nil {
					return err
				}
				fmt.Fprintln(inv.stdout, raw)
				return nil
			})
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&t.Subject, "subject", "", "who the token is for, e.g. a staff member's name or account")
	fs.StringVar(&t.Org, "org", "", "organisation: bureau:<code>, enterprise:<credit code>, park:<code>, auditor or admin")
	fs.StringVar(&t.Role, "role", "", "role: issuer|viewer (bureau), member|talent-assessor (enterprise), operator|viewer (park), auditor, admin")
	fs.DurationVar(&t.TTL, "ttl", 0, "token lifetime, e.g. 720h; 0 means no expiry")
	return cmd
}

// tokenRevokeCommand is `registryd token revoke --id N`.
func (inv *invocation) tokenRevokeCommand() *cobra.Command {
	var id string
	cmd := &cobra.Command{
		Use:   "revoke --id N",
		Short: "revoke a token at once",
		Args:  positional(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := strconv.ParseInt(id, 10, 64)
			if err != nil {
				return fmt.Errorf("--id: %w", err)
			}
			ctx := cmd.Context()
			return inv.withRegistry(ctx, func(reg *registry.Registry) error {
				t, err := reg.RevokeToken(ctx, cliActor(inv.getenv), n)
				if err != nil {
					return err
				}
				fmt.Fprintf(inv.stdout, "token %d (%s, %s@%s) revoked\n", t.ID, t.Subject, t.Role, t.Org)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&id, "id", "", "`ID` of the token to revoke")
	return cmd
}

// auditVerifyCommand is `registryd audit verify`: it fails when the
// audit chain or its tree is broken, or, with --checkpoint, when the log
// no longer matches a checkpoint saved earlier, after saying where.
func (inv *invocation) auditVerifyCommand() *cobra.Command {
	var saved, keyFile string
	cmd := &cobra.Command{
		Use:   "verify [--checkpoint FILE [--key FILE]]",
		Short: "recompute the audit chain and tree and report the first bad sequence; with --checkpoint, check the log against a saved checkpoint",
		Args:  positional(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if keyFile != "" && saved == "" {
				return errors.New("--key is the verifier key of --checkpoint's checkpoints: give --checkpoint too")
			}
			return inv.withRegistry(ctx, func(reg *registry.Registry) error {
				auditor := registry.Principal{Subject: cliActor(inv.getenv).Subject, Org: "auditor", Role: "auditor"}
				ctx := registry.WithPrincipal(ctx, auditor)
				rep, err := reg.VerifyAuditChain(ctx)
				if err != nil {
					return err
				}
				if !rep.OK {
					fmt.Fprintf(inv.stdout, "audit chain BROKEN at sequence %d after %d good events: %s\n", rep.FirstBadSequence, rep.EventsChecked, rep.Problem)
					return errors.New("audit chain does not verify")
				}
				fmt.Fprintf(inv.stdout, "audit chain OK: %d events\n", rep.EventsChecked)
				if saved == "" {
					return nil
				}
				return inv.verifyCheckpoints(ctx, reg, saved, keyFile)
			})
		},
	}
	cmd.Flags().StringVar(&saved, "checkpoint", "", "`FILE` holding a signed checkpoint, or a state file of 'registryctl audit monitor'")
	cmd.Flags().StringVar(&keyFile, "key", "", "`FILE` holding the checkpoints' verifier key; default: the configured checkpoint key's")
	return cmd
}

// keysRotateCommand is `registryd keys rotate`.
func (inv *invocation) keysRotateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "rotate",
		Short: "make a new attestation signing key; old keys stay published",
		Args:  positional(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return inv.withRegistry(ctx, func(reg *registry.Registry) error {
				kid, err := reg.RotateSigningKey(ctx)
				if err != nil {
					return err
				}
				fmt.Fprintf(inv.stdout, "attestations are now signed with key %s; earlier keys remain published\n", kid)
				return nil
			})
		},
	}
}

// keysRetireCommand is `registryd keys retire KID`.
func (inv *invocation) keysRetireCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "retire KID",
		Short: "withdraw a signing key at once (attestations under it stop verifying)",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("usage: %s: KID is a key id from /.well-known/jwks.json", cmd.UseLine())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, kid := cmd.Context(), args[0]
			return inv.withRegistry(ctx, func(reg *registry.Registry) error {
				w, err := reg.WithdrawSigningKey(ctx, cliActor(inv.getenv), kid)
				if err != nil {
					return err
				}
				fmt.Fprintf(inv.stdout, "signing key %s withdrawn: it is no longer published and attestations under it no longer verify\n", w.KeyID)
				if w.Replacement != "" {
					fmt.Fprintf(inv.stdout, "it was the key signing; attestations are now signed with key %s\n", w.Replacement)
				}
				return nil
			})
		},
	}
}
