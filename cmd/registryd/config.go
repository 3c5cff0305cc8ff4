package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/rpc"
)

// config is what every subcommand shares, from flags and their REGISTRY_* twins.
type config struct {
	DatabaseURL   string
	SecretKey     string
	SecretKeyFile string
	LogLevel      string
}

// serveConfig adds the server's own settings.
type serveConfig struct {
	config
	Addr            string
	Demo            bool
	ShutdownTimeout time.Duration
	// MetricsAddr is where /metrics is served; empty means nowhere.
	MetricsAddr string
	// PolicyReloadInterval, when positive, reloads the authorization
	// policy from the database that often (for several replicas).
	PolicyReloadInterval time.Duration
	OIDC                 oidcConfig
	// RateLimit and RateBurst size each principal's token bucket.
	RateLimit float64
	RateBurst int
	// MaxCallDuration bounds a call without a shorter deadline.
	MaxCallDuration time.Duration
	// ImportIdleTimeout ends an import stream silent that long;
	// MaxConcurrentImports bounds the imports running at once.
	ImportIdleTimeout    time.Duration
	MaxConcurrentImports int
}

// oidcConfig configures single sign-on; off while Issuer is empty.
type oidcConfig struct {
	Issuer, Audience                  string
	SubjectClaim, OrgClaim, RoleClaim string
}

// register adds the serve command's flags.
func (c *serveConfig) register(f *envFlags) {
	c.config.register(f)
	f.string(&c.Addr, "addr", "REGISTRY_ADDR", ":8080", "listen address for Connect, gRPC and gRPC-Web")
	f.bool(&c.Demo, "demo", "REGISTRY_DEMO", "seed demo enterprises, talents and designations and print a token per role")
	f.duration(&c.ShutdownTimeout, "shutdown-timeout", "REGISTRY_SHUTDOWN_TIMEOUT", 15*time.Second, "how long to let calls finish on SIGINT/SIGTERM")
	f.string(&c.MetricsAddr, "metrics-addr", "REGISTRY_METRICS_ADDR", "",
		"listen address of the admin port serving Prometheus metrics at /metrics, e.g. 127.0.0.1:9090; empty: no metrics")
	f.duration(&c.PolicyReloadInterval, "policy-reload-interval", "REGISTRY_POLICY_RELOAD_INTERVAL", 0,
		"reload the authorization policy from the database this often, so replicas see each other's policy changes; 0: never")
	f.float(&c.RateLimit, "rate-limit", "REGISTRY_RATE_LIMIT", rpc.DefaultLimits.PerSecond,
		"calls per second each principal may make on average, beyond which calls get resource_exhausted; 0: unlimited")
	f.int(&c.RateBurst, "rate-burst", "REGISTRY_RATE_BURST", rpc.DefaultLimits.Burst, "calls a principal may make at once before --rate-limit applies")
	f.duration(&c.MaxCallDuration, "max-call-duration", "REGISTRY_MAX_CALL_DURATION", rpc.DefaultLimits.MaxCallDuration,
		"longest a call may run (its database queries are cancelled then) unless the caller's deadline is shorter")
	f.duration(&c.ImportIdleTimeout, "import-idle-timeout", "REGISTRY_IMPORT_IDLE_TIMEOUT", rpc.DefaultImportLimits.IdleTimeout,
		"end an import stream, with deadline_exceeded and nothing imported, when its client sends nothing for this long; 0: never")
	f.int(&c.MaxConcurrentImports, "max-concurrent-imports", "REGISTRY_MAX_CONCURRENT_IMPORTS", rpc.DefaultImportLimits.MaxConcurrent,
		"imports this server runs at once; more get resource_exhausted; 0: unlimited")
	f.string(&c.OIDC.Issuer, "oidc-issuer", "REGISTRY_OIDC_ISSUER", "",
		"single sign-on: issuer URL of the OpenID Connect provider whose JWTs are accepted besides registry tokens; empty: off")
	f.string(&c.OIDC.Audience, "oidc-audience", "REGISTRY_OIDC_AUDIENCE", "",
		"single sign-on: audience a token's aud must include (the registry's client id); required with --oidc-issuer")
	f.string(&c.OIDC.SubjectClaim, "oidc-subject-claim", "REGISTRY_OIDC_SUBJECT_CLAIM", "sub",
		"single sign-on: claim naming the person, recorded as the audit subject (e.g. sub, preferred_username, email)")
	f.string(&c.OIDC.OrgClaim, "oidc-org-claim", "REGISTRY_OIDC_ORG_CLAIM", "org",
		"single sign-on: claim holding the organisation (bureau:<code>, enterprise:<credit code>, park:<code>, auditor, admin); a dotted path reaches into nested claims")
	f.string(&c.OIDC.RoleClaim, "oidc-role-claim", "REGISTRY_OIDC_ROLE_CLAIM", "role",
		"single sign-on: claim holding the role (issuer, viewer, member, talent-assessor, operator, auditor, admin)")
}

// check rejects settings that cannot work together.
func (c *serveConfig) check() error {
	if (c.OIDC.Issuer == "") != (c.OIDC.Audience == "") {
		return errors.New("--oidc-issuer and --oidc-audience go together: set both or neither")
	}
	if c.RateLimit < 0 || c.RateBurst < 1 || c.MaxCallDuration < 0 {
		return errors.New("--rate-limit, --rate-burst and --max-call-duration must be positive (rate limit 0 turns it off)")
	}
	if c.PolicyReloadInterval < 0 {
		return errors.New("--policy-reload-interval must not be negative")
	}
	if c.ImportIdleTimeout < 0 || c.MaxConcurrentImports < 0 {
		return errors.New("--import-idle-timeout and --max-concurrent-imports must not be negative (0 turns them off)")
	}
	return nil
}

// envFlags defines flags whose defaults come from their environment twins.
type envFlags struct {
	fs     *flag.FlagSet
	getenv func(string) string
	errs   []error
}

func newFlagSet(name string, stderr io.Writer, getenv func(string) string) *envFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return &envFlags{fs: fs, getenv: getenv}
}

func (f *envFlags) string(p *string, name, env, def, usage string) {
	if v := f.getenv(env); v != "" {
		def = v
	}
	f.fs.StringVar(p, name, def, fmt.Sprintf("%s (env %s)", usage, env))
}

func (f *envFlags) bool(p *bool, name, env string, usage string) {
	def := false
	if v := f.getenv(env); v != "" {
		def = v == "1" || strings.EqualFold(v, "true")
	}
	f.fs.BoolVar(p, name, def, fmt.Sprintf("%s (env %s)", usage, env))
}

func (f *envFlags) duration(p *time.Duration, name, env string, def time.Duration, usage string) {
	if v := f.getenv(env); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("%s: %w", env, err))
		} else {
			def = d
		}
	}
	f.fs.DurationVar(p, name, def, fmt.Sprintf("%s (env %s)", usage, env))
}

func (f *envFlags) float(p *float64, name, env string, def float64, usage string) {
	if v := f.getenv(env); v != "" {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("%s: %w", env, err))
		} else {
			def = n
		}
	}
	f.fs.Float64Var(p, name, def, fmt.Sprintf("%s (env %s)", usage, env))
}

func (f *envFlags) int(p *int, name, env string, def int, usage string) {
	if v := f.getenv(env); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("%s: %w", env, err))
		} else {
			def = n
		}
	}
	f.fs.IntVar(p, name, def, fmt.Sprintf("%s (env %s)", usage, env))
}

func (f *envFlags) parse(args []string) error {
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	return errors.Join(f.errs...)
}

// common registers the flags every subcommand takes.
func (c *config) register(f *envFlags) {
	f.string(&c.DatabaseURL, "database-url", "REGISTRY_DATABASE_URL", registry.DefaultDatabaseURL,
		"database: sqlite:FILE, file:NAME?mode=memory&cache=shared, or postgres://…")
	f.string(&c.SecretKeyFile, "secret-key-file", "REGISTRY_SECRET_KEY_FILE", "",
		"file holding the 32-byte secret key (hex or base64) that protects identity numbers; "+
			"with SQLite and no key, FILE.key beside the database is created")
	f.string(&c.LogLevel, "log-level", "REGISTRY_LOG_LEVEL", "info", "log level: debug, info, warn, error")
	c.SecretKey = f.getenv("REGISTRY_SECRET_KEY")
}

// secrets resolves the secret key: REGISTRY_SECRET_KEY, then the key file,
// then (SQLite files only) a key file beside the database, created on
// first use; in-memory databases get a throw-away key.
func (c *config) secrets() (*registry.Secrets, error) {
	text := c.SecretKey
	if text == "" && c.SecretKeyFile != "" {
		b, err := os.ReadFile(c.SecretKeyFile)
		if err != nil {
			return nil, fmt.Errorf("secret key file: %w", err)
		}
		text = string(b)
	}
	if text == "" {
		url := c.DatabaseURL
		switch {
		case strings.Contains(url, "mode=memory"):
			text = registry.NewSecretKey()
		case strings.HasPrefix(url, "sqlite:"):
			path := strings.TrimPrefix(url, "sqlite:")
			if i := strings.IndexByte(path, '?'); i >= 0 {
				path = path[:i]
			}
			var err error
			if text, err = loadOrCreateKeyFile(path + ".key"); err != nil {
				return nil, err
			}
		default:
			return nil, errors.New("set REGISTRY_SECRET_KEY or --secret-key-file: identity numbers are encrypted with it")
		}
	}
	key, err := registry.ParseSecretKey(text)
	if err != nil {
		return nil, err
	}
	return registry.NewSecrets(key)
}

func loadOrCreateKeyFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return string(b), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("secret key file: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	key := registry.NewSecretKey()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("secret key file: %w", err)
	}
	_, werr := f.WriteString(key + "\n")
	if err := errors.Join(werr, f.Close()); err != nil {
		return "", fmt.Errorf("secret key file: %w", err)
	}
	return key, nil
}
