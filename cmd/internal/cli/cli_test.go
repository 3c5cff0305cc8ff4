package cli

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func TestApplyEnv(t *testing.T) {
	for _, c := range []struct {
		name    string
		args    []string
		vars    map[string]string
		want    string // the flags' values, "addr wait", when no error
		wantErr string
	}{
		{"defaults", nil, nil, ":8080 1s", ""},
		{"from the environment", nil, map[string]string{"X_ADDR": ":9", "X_WAIT": "2m"}, ":9 2m0s", ""},
		{"the flag wins", []string{"--addr", ":7"}, map[string]string{"X_ADDR": ":9"}, ":7 1s", ""},
		{"empty is unset", nil, map[string]string{"X_ADDR": ""}, ":8080 1s", ""},
		{"a bad value names the variable and the flag", nil, map[string]string{"X_WAIT": "soon"}, "",
			`X_WAIT="soon" (for --wait): invalid argument "soon" for "--wait" flag`},
		{"a bad value under a good flag is not read", []string{"--wait", "3s"}, map[string]string{"X_WAIT": "soon"}, ":8080 3s", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
			addr := fs.String("addr", ":8080", "listen address")
			wait := fs.Duration("wait", time.Second, "how long")
			fs.Bool("plain", false, "no twin")
			Env(fs, "addr", "X_ADDR")
			Env(fs, "wait", "X_WAIT")
			if err := fs.Parse(c.args); err != nil {
				t.Fatal(err)
			}
			err := ApplyEnv(fs, func(k string) string { return c.vars[k] })
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := *addr + " " + wait.String(); got != c.want {
				t.Fatalf("flags %q, want %q", got, c.want)
			}
		})
	}
}

func TestEnvNamesTheTwin(t *testing.T) {
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	fs.String("addr", "", "listen `ADDRESS`")
	fs.Bool("plain", false, "no twin")
	Env(fs, "addr", "X_ADDR")
	if got := EnvOf(fs.Lookup("addr")); got != "X_ADDR" {
		t.Errorf("EnvOf(addr) = %q", got)
	}
	if got := EnvOf(fs.Lookup("plain")); got != "" {
		t.Errorf("EnvOf(plain) = %q", got)
	}
	if u := fs.FlagUsages(); !strings.Contains(u, "--addr ADDRESS   listen ADDRESS (env X_ADDR)") {
		t.Errorf("usage does not name the twin:\n%s", u)
	}
	defer func() {
		if recover() == nil {
			t.Error("Env of a missing flag did not panic")
		}
	}()
	Env(fs, "nope", "X_NOPE")
}

func TestUnknownCommand(t *testing.T) {
	root := &cobra.Command{Use: "prog"}
	keys := &cobra.Command{Use: "keys"}
	root.AddCommand(keys)
	for _, verb := range []string{"rotate", "retire"} {
		keys.AddCommand(&cobra.Command{Use: verb, Run: func(*cobra.Command, []string) {}})
	}
	for _, c := range []struct {
		parent *cobra.Command
		word   string
		want   string
	}{
		{root, "bogus", `unknown command "bogus"`},
		{root, "kes", `unknown command "kes"; did you mean "keys"?`},
		{keys, "retier", `unknown command "keys retier"; did you mean "keys retire"?`},
		{keys, "list", `unknown command "keys list"`},
	} {
		t.Run(c.word, func(t *testing.T) {
			if got := UnknownCommand(c.parent, c.word).Error(); got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestCommands(t *testing.T) {
	run := func(*cobra.Command, []string) error { return nil }
	root := &cobra.Command{Use: "prog"}
	noun := &cobra.Command{Use: "designation"}
	noun.AddCommand(&cobra.Command{Use: "grant TYPE", RunE: run}, &cobra.Command{Use: "secret", Hidden: true, RunE: run},
		&cobra.Command{Use: "list", RunE: run})
	root.AddCommand(&cobra.Command{Use: "serve", RunE: run}, noun)
	root.InitDefaultHelpCmd()
	for _, tc := range []struct {
		from *cobra.Command
		want []string
	}{
		{root, []string{"designation grant", "designation list", "serve"}},
		{noun, []string{"designation grant", "designation list"}},
	} {
		paths, cmds := Commands(tc.from)
		if !slices.Equal(paths, tc.want) || len(cmds) != len(paths) {
			t.Errorf("Commands(%s) = %v, want %v", tc.from.Name(), paths, tc.want)
		}
	}
}
