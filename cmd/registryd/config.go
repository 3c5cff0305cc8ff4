package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hangzhou-ai/registry/registry"
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
