package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCommandLine runs registryd's commands on an SQLite database named
// only on the command line or only in the environment: flags after the
// positional arguments and before the command's words, the environment
// twins, a flag beating its twin, bad values naming the variable and the
// flag, the help of each level, and the refusals of unknown flags and
// commands.
func TestCommandLine(t *testing.T) {
	dir := t.TempDir()
	dbURL := "sqlite:" + filepath.Join(dir, "registry.db")
	// An SQLite URL whose database does not exist: registryd makes no new
	// one except through migrate and serve, so a command run on it fails.
	elsewhere := "sqlite:" + filepath.Join(dir, "none", "other.db")

	var out bytes.Buffer
	if err := run(t.Context(), []string{"migrate", "--database-url", dbURL}, env(nil), &out, &bytes.Buffer{}); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	// A key id is a base64url thumbprint and may begin with "-", which
	// would read as a flag where the case below puts it (such an id is
	// given after "--"): rotate until one does not.
	var kid []string
	for kid == nil || strings.HasPrefix(kid[1], "-") {
		out.Reset()
		if err := run(t.Context(), []string{"keys", "rotate", "--database-url", dbURL}, env(nil), &out, &bytes.Buffer{}); err != nil {
			t.Fatalf("keys rotate: %v", err)
		}
		if kid = regexp.MustCompile(`signed with key (\S+);`).FindStringSubmatch(out.String()); kid == nil {
			t.Fatalf("keys rotate printed %q", out.String())
		}
	}

	emptySecret := filepath.Join(dir, "empty-secret")
	if err := os.WriteFile(emptySecret, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name string
		args []string
		vars map[string]string
		// stdout and stderr must contain these; err must equal wantErr
		// (or contain it, with errContains).
		stdout, stderr []string
		wantErr        string
		errContains    bool
	}{
		{name: "a flag after the positional argument", args: []string{"keys", "retire", kid[1], "--database-url", dbURL},
			stdout: []string{"signing key " + kid[1] + " withdrawn"}},
		{name: "a shared flag before the command", args: []string{"--database-url", dbURL, "audit", "verify"},
			stdout: []string{"audit chain OK"}},
		{name: "a shared flag between the command's words", args: []string{"audit", "--database-url", dbURL, "verify"},
			stdout: []string{"audit chain OK"}},
		{name: "the environment twin", args: []string{"audit", "verify"}, vars: map[string]string{"REGISTRY_DATABASE_URL": dbURL},
			stdout: []string{"audit chain OK"}},
		{name: "the flag wins over its twin", args: []string{"audit", "verify", "--database-url", dbURL},
			vars: map[string]string{"REGISTRY_DATABASE_URL": elsewhere}, stdout: []string{"audit chain OK"}},
		{name: "the twin is used", args: []string{"audit", "verify"}, vars: map[string]string{"REGISTRY_DATABASE_URL": elsewhere},
			wantErr: "registryd migrate", errContains: true},
		{name: "a bad shared value", args: []string{"audit", "verify"}, vars: map[string]string{"REGISTRY_DATABASE_URL": dbURL, "REGISTRY_LOG_LEVEL": "loud"},
			wantErr: "log level:", errContains: true},
		{name: "the flag wins over a bad twin", args: []string{"audit", "verify", "--log-level", "warn"},
			vars: map[string]string{"REGISTRY_DATABASE_URL": dbURL, "REGISTRY_LOG_LEVEL": "loud"}, stdout: []string{"audit chain OK"}},
		{name: "a bad duration names the variable and the flag", args: []string{"serve"}, vars: map[string]string{"REGISTRY_SHUTDOWN_TIMEOUT": "soon"},
			wantErr: `REGISTRY_SHUTDOWN_TIMEOUT="soon" (for --shutdown-timeout): invalid argument "soon" for "--shutdown-timeout" flag`, errContains: true},
		{name: "a bad switch names the variable and the flag", args: []string{"serve"}, vars: map[string]string{"REGISTRY_DEMO": "sure"},
			wantErr: `REGISTRY_DEMO="sure" (for --demo)`, errContains: true},
		{name: "a serve setting from the environment", args: []string{"serve"}, vars: map[string]string{"REGISTRY_IMPORT_IDLE_TIMEOUT": "-1s"},
			wantErr: "--import-idle-timeout and --max-concurrent-imports must not be negative (0 turns them off)"},
		{name: "a client secret file without a provider", args: []string{"serve", "--oidc-client-secret-file", filepath.Join(dir, "secret")},
			wantErr: "--oidc-client-id and --oidc-client-secret-file need --oidc-issuer and --oidc-audience"},
		{name: "a missing client secret file from the environment", args: []string{"serve"},
			vars: map[string]string{"REGISTRY_OIDC_ISSUER": "https://sso.hangzhou.example/realms/city", "REGISTRY_OIDC_AUDIENCE": "registry",
				"REGISTRY_PUBLIC_URL": "https://registry.example.gov.cn", "REGISTRY_OIDC_CLIENT_SECRET_FILE": filepath.Join(dir, "none", "secret")},
			wantErr: "--oidc-client-secret-file: open " + filepath.Join(dir, "none", "secret"), errContains: true},
		{name: "an empty client secret file", args: []string{"serve", "--oidc-issuer", "https://sso.hangzhou.example/realms/city",
			"--oidc-audience", "registry", "--oidc-client-secret-file", emptySecret},
			wantErr: "--oidc-client-secret-file: " + emptySecret + " must hold the secret alone, on one line"},

		{name: "help", args: []string{"--help"},
			stdout: []string{"usage: registryd <command>", "  keys retire          KID: withdraw a signing key", "  secret rotate        --new-key-file FILE: ", "  checkpoint-key new   --origin NAME --out FILE",
				"--database-url URL", "(env REGISTRY_DATABASE_URL)", "--secret-key-file FILE", "(env REGISTRY_SECRET_KEY_FILE)",
				"REGISTRY_SECRET_KEY (environment only)"}},
		{name: "help command", args: []string{"help"}, stdout: []string{"  token create         --subject S --org O --role R [--ttl 720h]: print a new bearer token"}},
		{name: "a command's help", args: []string{"keys", "retire", "--help"},
			stderr: []string{"usage: registryd keys retire KID [flags]", "--database-url URL", "(env REGISTRY_DATABASE_URL)", "(env REGISTRY_LOG_LEVEL)"}},
		{name: "a command's own flags", args: []string{"secret", "rotate", "-h"},
			stderr: []string{"Stop every registryd serve", "--new-key-file FILE", "--admin-mintable-roles ROLES", "(env REGISTRY_ADMIN_MINTABLE_ROLES)"}},
		{name: "serve's flags", args: []string{"help", "serve"},
			stderr: []string{"--addr ADDRESS", "(env REGISTRY_ADDR)", "--rate-limit float", "(env REGISTRY_RATE_LIMIT)", "OTEL_TRACES_EXPORTER"}},
		{name: "serve's single sign-on flags", args: []string{"serve", "--help"},
			stderr: []string{"--oidc-client-id ID", "on when --oidc-issuer and --public-url are both set", "(env REGISTRY_OIDC_CLIENT_ID)",
				"--oidc-client-secret-file FILE", "(env REGISTRY_OIDC_CLIENT_SECRET_FILE)", "--oidc-scopes SCOPES", "(env REGISTRY_OIDC_SCOPES) (default [openid])"}},
		{name: "a noun's help", args: []string{"token", "--help"}, stderr: []string{"  token revoke  --id N: revoke a token at once", "(env REGISTRY_DATABASE_URL)"}},

		{name: "no command", args: nil, stderr: []string{"commands:"}, wantErr: "no command"},
		{name: "unknown command", args: []string{"bogus"}, stderr: []string{"commands:"}, wantErr: `unknown command "bogus"`},
		{name: "unknown command suggests", args: []string{"serv"}, wantErr: `unknown command "serv"; did you mean "serve"?`},
		{name: "unknown verb", args: []string{"keys", "retier"}, wantErr: `unknown command "keys retier"; did you mean "keys retire"?`},
		{name: "no verb", args: []string{"token"}, stderr: []string{"token create"}, wantErr: "token: which command?"},
		{name: "unknown flag", args: []string{"migrate", "--bogus"}, wantErr: "unknown flag: --bogus"},
		{name: "a serve flag elsewhere", args: []string{"audit", "verify", "--addr", ":1"}, wantErr: "unknown flag: --addr"},
		{name: "single-dash long flag", args: []string{"migrate", "-database-url", dbURL}, wantErr: "unknown shorthand flag: 'd' in -database-url"},
		{name: "a stray argument", args: []string{"migrate", dbURL}, wantErr: "usage: registryd migrate [flags]"},
		{name: "no key id", args: []string{"keys", "retire", "--database-url", dbURL},
			wantErr: "usage: registryd keys retire KID [flags]: KID is a key id from /.well-known/jwks.json"},
		{name: "a bad token id", args: []string{"token", "revoke", "--id", "one", "--database-url", dbURL}, wantErr: `--id: strconv.ParseInt: parsing "one": invalid syntax`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), c.args, env(c.vars), &stdout, &stderr)
			switch {
			case c.wantErr == "" && err != nil:
				t.Fatalf("error %v\nstderr: %s", err, stderr.String())
			case c.wantErr != "" && err == nil:
				t.Fatalf("no error, want %q", c.wantErr)
			case c.wantErr != "" && !c.errContains && err.Error() != c.wantErr,
				c.wantErr != "" && c.errContains && !strings.Contains(err.Error(), c.wantErr):
				t.Fatalf("error %q, want %q", err, c.wantErr)
			}
			for _, want := range c.stdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout does not say %q:\n%s", want, stdout.String())
				}
			}
			for _, want := range c.stderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr does not say %q:\n%s", want, stderr.String())
				}
			}
		})
	}
}
