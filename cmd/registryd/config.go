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
	"github.com/hangzhou-ai/registry/registry/access"
	"github.com/hangzhou-ai/registry/rpc"
	"github.com/hangzhou-ai/registry/seal"
)

// config is what every subcommand shares, from flags and their REGISTRY_* twins.
type config struct {
	DatabaseURL   string
	SecretKey     string
	SecretKeyFile string
	LogLevel      string
	// AdminMintableRoles, comma-separated, are the roles administrators
	// may mint tokens for through the API.
	AdminMintableRoles string
}

// mintableRoles splits AdminMintableRoles.
func (c *config) mintableRoles() []string {
	roles := []string{}
	for _, role := range strings.Split(c.AdminMintableRoles, ",") {
		if role = strings.TrimSpace(role); role != "" {
			roles = append(roles, role)
		}
	}
	return roles
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
	// PublicRateLimit and PublicRateBurst size each client address's
	// bucket for the verification service, which needs no token.
	PublicRateLimit float64
	PublicRateBurst int
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
	f.float(&c.PublicRateLimit, "public-rate-limit", "REGISTRY_PUBLIC_RATE_LIMIT", rpc.DefaultLimits.PublicPerSecond,
		"calls per second each client address may make on average to the verification service (no token needed); 0: unlimited")
	f.int(&c.PublicRateBurst, "public-rate-burst", "REGISTRY_PUBLIC_RATE_BURST", rpc.DefaultLimits.PublicBurst,
		"verification calls a client address may make at once before --public-rate-limit applies")
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
	if c.PublicRateLimit < 0 || c.PublicRateBurst < 1 {
		return errors.New("--public-rate-limit and --public-rate-burst must be positive (rate limit 0 turns it off)")
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
		"file holding the 32-byte secret key (hex or base64) that protects identity numbers and signing keys; "+
			"with SQLite and no key, DATABASE.key beside the database is used (created together with a new database)")
	f.string(&c.LogLevel, "log-level", "REGISTRY_LOG_LEVEL", "info", "log level: debug, info, warn, error")
	f.string(&c.AdminMintableRoles, "admin-mintable-roles", "REGISTRY_ADMIN_MINTABLE_ROLES", strings.Join(access.DefaultAdminMintableRoles(), ","),
		"comma-separated roles administrators may mint tokens for through the API (an administrator is as strong as these roles); "+
			"other tokens are made with `registryd token create`")
	c.SecretKey = f.getenv("REGISTRY_SECRET_KEY")
}

// supplyKeyHelp says how to give registryd the secret key.
const supplyKeyHelp = "supply the key the database was made with: REGISTRY_SECRET_KEY (the key itself), " +
	"--secret-key-file FILE (env REGISTRY_SECRET_KEY_FILE), or, for an SQLite database given no key, " +
	"the key file DATABASE.key beside it"

// secretKey is the resolved secret key and where it came from.
type secretKey struct {
	secrets *seal.Secrets
	// source says where the key came from, for messages and the log.
	source string
	// created is the key file this start made beside an SQLite database;
	// it is removed again if the database does not accept the key.
	created string
}

// secretKey resolves the secret key: REGISTRY_SECRET_KEY, then the key
// file, then (SQLite files only) the key file beside the database, created
// when neither the key file nor the database exists yet; in-memory
// databases get a throw-away key. A database that exists without its key
// file is refused: a fresh key would not open its data.
func (c *config) secretKey() (secretKey, error) {
	out := secretKey{}
	text := c.SecretKey
	switch {
	case text != "":
		out.source = "REGISTRY_SECRET_KEY"
	case c.SecretKeyFile != "":
		b, err := os.ReadFile(c.SecretKeyFile)
		if err != nil {
			return out, fmt.Errorf("secret key file: %w", err)
		}
		text, out.source = string(b), "the key file "+c.SecretKeyFile
	default:
		url := c.DatabaseURL
		switch {
		case strings.Contains(url, "mode=memory"):
			text, out.source = seal.NewSecretKey(), "a throw-away key (in-memory database)"
		case strings.HasPrefix(url, "sqlite:"):
			path := strings.TrimPrefix(url, "sqlite:")
			if i := strings.IndexByte(path, '?'); i >= 0 {
				path = path[:i]
			}
			var err error
			if text, out.created, err = loadOrCreateKeyFile(path, path+".key"); err != nil {
				return out, err
			}
			out.source = "the key file " + path + ".key beside the database"
		default:
			return out, errors.New("set REGISTRY_SECRET_KEY or --secret-key-file (env REGISTRY_SECRET_KEY_FILE): identity numbers are encrypted with it")
		}
	}
	key, err := seal.ParseSecretKey(text)
	if err != nil {
		out.discard()
		return out, fmt.Errorf("%s: %w", out.source, err)
	}
	if out.secrets, err = seal.NewSecrets(key); err != nil {
		out.discard()
		return out, err
	}
	return out, nil
}

// discard removes the key file this start created, if any.
func (k *secretKey) discard() {
	if k.created != "" {
		os.Remove(k.created)
		k.created = ""
	}
}

// loadOrCreateKeyFile reads the key file at path, or creates it (0600) with
// a fresh key when neither it nor the database at dbPath exists; created
// is path then.
func loadOrCreateKeyFile(dbPath, path string) (key, created string, err error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return string(b), "", nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", "", fmt.Errorf("secret key file: %w", err)
	}
	if databaseExists(dbPath) {
		return "", "", fmt.Errorf("the database %s exists but its secret key file %s does not: restore the key file from its backup, or %s; "+
			"a fresh key would not open the data already there", dbPath, path, supplyKeyHelp)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", "", err
	}
	key = seal.NewSecretKey()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", "", fmt.Errorf("secret key file: %w", err)
	}
	_, werr := f.WriteString(key + "\n")
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		os.Remove(path)
		return "", "", fmt.Errorf("secret key file: %w", err)
	}
	return key, path, nil
}

// databaseExists reports whether an SQLite database at path holds anything:
// the file or its write-ahead log is not empty.
func databaseExists(path string) bool {
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err == nil && fi.Size() > 0 {
			return true
		}
	}
	return false
}
