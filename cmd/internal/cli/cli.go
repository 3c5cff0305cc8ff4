// Package cli is what the registry's cobra commands share: environment
// variables that stand in for flags not given, and the error naming a
// command that does not exist.
package cli

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// envAnnotation is the flag annotation naming a flag's environment twin.
const envAnnotation = "registry_env"

// Env makes the environment variable env the twin of the flag name of fs:
// ApplyEnv gives the flag env's value when the flag is not on the command
// line. The flag's help ends "(env ENV)". It panics if fs has no such flag.
func Env(fs *pflag.FlagSet, name, env string) {
	f := fs.Lookup(name)
	if f == nil {
		panic("cli: no flag --" + name)
	}
	if f.Annotations == nil {
		f.Annotations = map[string][]string{}
	}
	f.Annotations[envAnnotation] = []string{env}
	f.Usage += " (env " + env + ")"
}

// EnvOf returns the name of f's environment twin, or "" if it has none.
func EnvOf(f *pflag.Flag) string {
	if env := f.Annotations[envAnnotation]; len(env) > 0 {
		return env[0]
	}
	return ""
}

// ApplyEnv sets every flag of fs that has an environment twin, is not on
// the command line and whose twin getenv gives a non-empty value, to that
// value; a flag given wins over its twin. A value the flag refuses is an
// error naming the variable, its value and the flag:
// REGISTRY_X="v" (for --x): invalid argument ….
func ApplyEnv(fs *pflag.FlagSet, getenv func(string) string) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		env := EnvOf(f)
		if err != nil || env == "" || f.Changed {
			return
		}
		if v := getenv(env); v != "" {
			if serr := fs.Set(f.Name, v); serr != nil {
				err = fmt.Errorf("%s=%q (for --%s): %v", env, v, f.Name, serr)
			}
		}
	})
	return err
}

// UnknownCommand is the error for word, given after parent's name where
// none of parent's commands is called that: `unknown command "NOUN WORD"`
// (the path without the program's name), followed by the likeliest
// commands meant when some are close.
func UnknownCommand(parent *cobra.Command, word string) error {
	name := strings.TrimPrefix(parent.CommandPath()+" "+word, parent.Root().Name()+" ")
	if parent.SuggestionsMinimumDistance <= 0 {
		parent.SuggestionsMinimumDistance = 2
	}
	if s := parent.SuggestionsFor(word); len(s) > 0 {
		prefix := strings.TrimSuffix(name, word)
		for i := range s {
			s[i] = strconv.Quote(prefix + s[i])
		}
		return fmt.Errorf("unknown command %q; did you mean %s?", name, strings.Join(s, " or "))
	}
	return fmt.Errorf("unknown command %q", name)
}

// Root returns a program's root command: its subcommands' words may be
// followed by flags anywhere, cobra prints neither errors nor usage on its
// own (the program says what went wrong once), there is no completion
// command, and the root run with no known command writes usage to stderr
// and fails, naming the nearest commands. prepare runs before every
// command (see cobra's PersistentPreRunE).
func Root(use, short, long string, stderr io.Writer, usage func(io.Writer, *cobra.Command), prepare func(*cobra.Command, []string) error) *cobra.Command {
	root := &cobra.Command{
		Use:                   use,
		Short:                 short,
		Long:                  long,
		Args:                  cobra.ArbitraryArgs,
		SilenceErrors:         true,
		SilenceUsage:          true,
		DisableFlagsInUseLine: true,
		PersistentPreRunE:     prepare,
		RunE: func(cmd *cobra.Command, args []string) error {
			usage(stderr, cmd)
			if len(args) == 0 {
				return errors.New("no command")
			}
			return UnknownCommand(cmd, args[0])
		},
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetErr(stderr)
	return root
}

// Commands returns the commands a user can run under cmd, depth first in
// cobra's order (by name, unless cobra.EnableCommandSorting is off), each
// with its path below the program's name ("designation grant"): the lines
// of a help's command list. Hidden commands and help are left out.
func Commands(cmd *cobra.Command) (paths []string, commands []*cobra.Command) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			switch {
			case !sub.IsAvailableCommand() || sub.Name() == "help":
			case sub.HasAvailableSubCommands():
				walk(sub)
			default:
				paths = append(paths, strings.TrimPrefix(sub.CommandPath(), cmd.Root().Name()+" "))
				commands = append(commands, sub)
			}
		}
	}
	walk(cmd)
	return paths, commands
}
