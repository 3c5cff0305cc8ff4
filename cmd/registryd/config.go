package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/hangzhou-ai/registry/cmd/internal/cli"
	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/access"
	"github.com/hangzhou-ai/registry/registry/webhook"
	"github.com/hangzhou-ai/registry/rpc"
	"github.com/hangzhou-ai/registry/seal"
	wire "github.com/hangzhou-ai/registry/webhook"
)

// config is what every command shares, from flags and their REGISTRY_*
// twins (a flag given wins over its twin) and REGISTRY_SECRET_KEY.
type config struct {
	DatabaseURL   string
	SecretKey     string
	SecretKeyFile string
	// CheckpointKey (environment only) and CheckpointKeyFile give the key
	// that signs the audit log's checkpoints.
	CheckpointKey     string
	CheckpointKeyFile string
	LogLevel          string
	// AdminMintableRoles, comma-separated, are the roles administrators
	// may mint tokens for through the API.
	AdminMintableRoles string
	// webhookURLs is where webhook subscriptions may deliver (serve's
	// flags); the zero policy, https to public addresses, elsewhere.
	webhookURLs wire.Policy
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
	// PprofAddr is where net/http/pprof is served under /debug/pprof/;
	// empty means nowhere.
	PprofAddr string
	OIDC      oidcConfig
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
	// PublicURL is the registry's address as its users reach it; QR codes
	// and links on the pages are made against it. Empty: the address each
	// request came to.
	PublicURL string
	// CORSOrigins are the browser origins allowed to call the API; none
	// by default.
	CORSOrigins []string
	// WebhookAllowHTTP and WebhookAllowPrivate let subscriptions deliver
	// over plain http and to private, loopback and link-local addresses;
	// WebhookRetryFor is how long a failing change is retried before its
	// subscription is disabled.
	WebhookAllowHTTP, WebhookAllowPrivate bool
	WebhookRetryFor                       time.Duration
}

// oidcConfig configures single sign-on; off while Issuer is empty. The
// console's sign-in through the provider is on when PublicURL is set too.
type oidcConfig struct {
	Issuer, Audience                  string
	SubjectClaim, OrgClaim, RoleClaim string
	// ClientID is the console's client id at the provider; empty means
	// Audience. ClientSecretFile holds its secret; empty: a public client.
	ClientID, ClientSecretFile string
	Scopes                     []string
}

// clientID is the console's client id at the provider.
func (o *oidcConfig) clientID() string {
	if o.ClientID != "" {
		return o.ClientID
	}
	return o.Audience
}

// clientSecret reads the client secret from its file; none is "".
func (o *oidcConfig) clientSecret() (string, error) {
	if o.ClientSecretFile == "" {
		return "", nil
	}
	b, err := os.ReadFile(o.ClientSecretFile)
	if err != nil {
		return "", fmt.Errorf("--oidc-client-secret-file: %w", err)
	}
	secret := strings.TrimSpace(string(b))
	if secret == "" || strings.ContainsAny(secret, "\r\n") {
		return "", fmt.Errorf("--oidc-client-secret-file: %s must hold the secret alone, on one line", o.ClientSecretFile)
	}
	return secret, nil
}

// register adds the serve command's own flags to fs, each with its
// REGISTRY_* twin; the shared ones are config's.
func (c *serveConfig) register(fs *pflag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", ":8080", "listen `ADDRESS` for Connect, gRPC and gRPC-Web")
	fs.BoolVar(&c.Demo, "demo", false, "seed demo enterprises, talents and designations and print a token per role")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 15*time.Second, "how long to let calls finish on SIGINT/SIGTERM")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", "",
		"listen `ADDRESS` of the admin port serving Prometheus metrics at /metrics, e.g. 127.0.0.1:9090; empty: no metrics")
	// Policy changes reach every replica as they commit (PostgreSQL
	// notifications), so the periodic reload this flag asked for is gone;
	// it is still accepted, and ignored, so old deployments start.
	fs.Duration("policy-reload-interval", 0, "ignored")
	_ = fs.MarkDeprecated("policy-reload-interval", "policy changes now reach every replica as they commit; the flag does nothing")
	fs.StringVar(&c.PprofAddr, "pprof-addr", "",
		"listen `ADDRESS` of a port of its own serving Go's profiler (net/http/pprof) under /debug/pprof/, e.g. 127.0.0.1:6060; "+
			"it asks for no token, so bind it to a private address; empty: no profiler")
	fs.Float64Var(&c.RateLimit, "rate-limit", rpc.DefaultLimits.PerSecond,
		"calls per second each principal may make on average, beyond which calls get resource_exhausted; 0: unlimited")
	fs.IntVar(&c.RateBurst, "rate-burst", rpc.DefaultLimits.Burst, "calls a principal may make at once before --rate-limit applies")
	fs.Float64Var(&c.PublicRateLimit, "public-rate-limit", rpc.DefaultLimits.PublicPerSecond,
		"calls per second each client address may make on average to the verification service (no token needed); 0: unlimited")
	fs.IntVar(&c.PublicRateBurst, "public-rate-burst", rpc.DefaultLimits.PublicBurst,
		"verification calls a client address may make at once before --public-rate-limit applies")
	fs.DurationVar(&c.MaxCallDuration, "max-call-duration", rpc.DefaultLimits.MaxCallDuration,
		"longest a call may run (its database queries are cancelled then) unless the caller's deadline is shorter")
	fs.DurationVar(&c.ImportIdleTimeout, "import-idle-timeout", rpc.DefaultImportLimits.IdleTimeout,
		"end an import stream, with deadline_exceeded and nothing imported, when its client sends nothing for this long; 0: never")
	fs.IntVar(&c.MaxConcurrentImports, "max-concurrent-imports", rpc.DefaultImportLimits.MaxConcurrent,
		"imports this server runs at once, the API's and the console's together; more get resource_exhausted; 0: unlimited")
	fs.StringVar(&c.OIDC.Issuer, "oidc-issuer", "",
		"single sign-on: issuer `URL` of the OpenID Connect provider whose JWTs are accepted besides registry tokens; "+
			"with --public-url the console also signs users in through the provider's page; empty: off")
	fs.StringVar(&c.OIDC.Audience, "oidc-audience", "",
		"single sign-on: `AUDIENCE` a token's aud must include (the registry's client id); required with --oidc-issuer")
	fs.StringVar(&c.OIDC.SubjectClaim, "oidc-subject-claim", "sub",
		"single sign-on: `CLAIM` naming the person, recorded as the audit subject (e.g. sub, preferred_username, email)")
	fs.StringVar(&c.OIDC.OrgClaim, "oidc-org-claim", "org",
		"single sign-on: `CLAIM` holding the organisation (bureau:<code>, enterprise:<credit code>, park:<code>, auditor, admin); a dotted path reaches into nested claims")
	fs.StringVar(&c.OIDC.RoleClaim, "oidc-role-claim", "role",
		"single sign-on: `CLAIM` holding the role (issuer, viewer, member, talent-assessor, operator, auditor, admin)")
	fs.StringVar(&c.OIDC.ClientID, "oidc-client-id", "",
		"single sign-on: the console's client `ID` at the provider, for signing in through the provider's own page "+
			"(authorization code flow with PKCE), on when --oidc-issuer and --public-url are both set; "+
			"register <public-url>/console/sso/callback as its redirect URI; empty: the --oidc-audience")
	fs.StringVar(&c.OIDC.ClientSecretFile, "oidc-client-secret-file", "",
		"single sign-on: `FILE` holding the console client's secret (the secret itself is never a flag); empty: a public client, PKCE alone")
	fs.StringSliceVar(&c.OIDC.Scopes, "oidc-scopes", []string{"openid"},
		"single sign-on: comma-separated `SCOPES` the console's sign-in asks the provider for; openid is always among them")
	fs.StringVar(&c.PublicURL, "public-url", "",
		"the registry's `URL` as users reach it (https://registry.example.gov.cn); certificates' QR codes point under it; empty: the address each request came to")
	fs.StringSliceVar(&c.CORSOrigins, "cors-origins", nil,
		"comma-separated browser `ORIGINS` (https://app.example.gov.cn) allowed to call the API with Connect or gRPC-Web; empty: none")
	fs.BoolVar(&c.WebhookAllowHTTP, "webhook-allow-http", false,
		"let webhook subscriptions deliver over plain http (for tests and private networks); otherwise https only")
	fs.BoolVar(&c.WebhookAllowPrivate, "webhook-allow-private", false,
		"let webhook subscriptions deliver to private, loopback and link-local addresses (checked when connecting, after DNS); otherwise public addresses only")
	fs.DurationVar(&c.WebhookRetryFor, "webhook-retry-for", webhook.DefaultRetryFor,
		"how long a webhook delivery that keeps failing is retried, with backoff, before its subscription is disabled")
	for flag, env := range map[string]string{
		"webhook-allow-http": "REGISTRY_WEBHOOK_ALLOW_HTTP", "webhook-allow-private": "REGISTRY_WEBHOOK_ALLOW_PRIVATE",
		"webhook-retry-for": "REGISTRY_WEBHOOK_RETRY_FOR",
		"public-url":        "REGISTRY_PUBLIC_URL", "cors-origins": "REGISTRY_CORS_ORIGINS",
		"addr": "REGISTRY_ADDR", "demo": "REGISTRY_DEMO", "shutdown-timeout": "REGISTRY_SHUTDOWN_TIMEOUT",
		"metrics-addr": "REGISTRY_METRICS_ADDR", "pprof-addr": "REGISTRY_PPROF_ADDR", "policy-reload-interval": "REGISTRY_POLICY_RELOAD_INTERVAL",
		"rate-limit": "REGISTRY_RATE_LIMIT", "rate-burst": "REGISTRY_RATE_BURST",
		"public-rate-limit": "REGISTRY_PUBLIC_RATE_LIMIT", "public-rate-burst": "REGISTRY_PUBLIC_RATE_BURST",
		"max-call-duration": "REGISTRY_MAX_CALL_DURATION", "import-idle-timeout": "REGISTRY_IMPORT_IDLE_TIMEOUT",
		"max-concurrent-imports": "REGISTRY_MAX_CONCURRENT_IMPORTS",
		"oidc-issuer":            "REGISTRY_OIDC_ISSUER", "oidc-audience": "REGISTRY_OIDC_AUDIENCE",
		"oidc-subject-claim": "REGISTRY_OIDC_SUBJECT_CLAIM", "oidc-org-claim": "REGISTRY_OIDC_ORG_CLAIM",
		"oidc-role-claim": "REGISTRY_OIDC_ROLE_CLAIM", "oidc-client-id": "REGISTRY_OIDC_CLIENT_ID",
		"oidc-client-secret-file": "REGISTRY_OIDC_CLIENT_SECRET_FILE", "oidc-scopes": "REGISTRY_OIDC_SCOPES",
	} {
		cli.Env(fs, flag, env)
	}
}

// check rejects settings that cannot work together.
func (c *serveConfig) check() error {
	if (c.OIDC.Issuer == "") != (c.OIDC.Audience == "") {
		return errors.New("--oidc-issuer and --oidc-audience go together: set both or neither")
	}
	if c.OIDC.Issuer == "" && (c.OIDC.ClientID != "" || c.OIDC.ClientSecretFile != "") {
		return errors.New("--oidc-client-id and --oidc-client-secret-file need --oidc-issuer and --oidc-audience")
	}
	if c.PublicRateLimit < 0 || c.PublicRateBurst < 1 {
		return errors.New("--public-rate-limit and --public-rate-burst must be positive (rate limit 0 turns it off)")
	}
	if c.RateLimit < 0 || c.RateBurst < 1 || c.MaxCallDuration < 0 {
		return errors.New("--rate-limit, --rate-burst and --max-call-duration must be positive (rate limit 0 turns it off)")
	}
	for _, o := range c.CORSOrigins {
		if err := rpc.CheckOrigin(o); err != nil {
			return fmt.Errorf("--cors-origins: %w", err)
		}
	}
	if c.WebhookRetryFor <= 0 {
		return errors.New("--webhook-retry-for must be positive")
	}
	if c.ImportIdleTimeout < 0 || c.MaxConcurrentImports < 0 {
		return errors.New("--import-idle-timeout and --max-concurrent-imports must not be negative (0 turns them off)")
	}
	return nil
}

// register adds the flags every command takes to fs, each with its
// REGISTRY_* twin. The secret key itself is no flag: it comes from
// REGISTRY_SECRET_KEY alone (secretKeyHelp).
func (c *config) register(fs *pflag.FlagSet) {
	fs.StringVar(&c.DatabaseURL, "database-url", registry.DefaultDatabaseURL,
		"database `URL`: sqlite:FILE, file:NAME?mode=memory&cache=shared, or postgres://…")
	fs.StringVar(&c.SecretKeyFile, "secret-key-file", "",
		"`FILE` holding the 32-byte secret key (hex or base64) that protects identity numbers and signing keys; "+
			"with SQLite and no key, DATABASE.key beside the database is used (created together with a new database)")
	fs.StringVar(&c.CheckpointKeyFile, "checkpoint-key-file", "",
		"`FILE` holding the note signer key that signs the audit log's checkpoints (see 'registryd checkpoint-key new'); "+
			"with SQLite and no key, DATABASE.checkpoint.key beside the database is used (made when missing); with PostgreSQL and none, no checkpoints are signed")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log `LEVEL`: debug, info, warn, error")
	fs.StringVar(&c.AdminMintableRoles, "admin-mintable-roles", strings.Join(access.DefaultAdminMintableRoles(), ","),
		"comma-separated `ROLES` administrators may mint tokens for through the API (an administrator is as strong as these roles); "+
			"other tokens are made with 'registryd token create'")
	cli.Env(fs, "database-url", "REGISTRY_DATABASE_URL")
	cli.Env(fs, "secret-key-file", "REGISTRY_SECRET_KEY_FILE")
	cli.Env(fs, "checkpoint-key-file", "REGISTRY_CHECKPOINT_KEY_FILE")
	cli.Env(fs, "log-level", "REGISTRY_LOG_LEVEL")
	cli.Env(fs, "admin-mintable-roles", "REGISTRY_ADMIN_MINTABLE_ROLES")
}

// secretKeyHelp documents the secret key, a setting that is not also a flag.
const secretKeyHelp = `  REGISTRY_SECRET_KEY (environment only) the 32-byte key itself, hex or base64; wins over --secret-key-file
`

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
