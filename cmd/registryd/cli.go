package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hangzhou-ai/registry/cmd/internal/cli"
	"github.com/hangzhou-ai/registry/registry"
)

func init() {
	// The help lists the commands in the order they are added: the
	// server first, then the maintenance tasks.
	cobra.EnableCommandSorting = false
}

// invocation is one run of registryd: its environment and streams, and
// the settings every command shares (config), filled from the flags and
// their twins before a command runs.
type invocation struct {
	getenv         func(string) string
	stdout, stderr io.Writer
	config         config
}

// run is registryd's whole program; main only supplies the process's
// arguments, environment and streams.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	inv := &invocation{getenv: getenv, stdout: stdout, stderr: stderr}
	root := inv.commandTree()
	root.SetArgs(args)
	return root.ExecuteContext(ctx)
}

// footerAnnotation is the command annotation holding text its help ends with.
const footerAnnotation = "registryd_help_footer"

// commandTree builds the root command and every command under it. The
// shared flags (config) go before or after the command's words, a
// command's own anywhere after them; "--" ends the flags. --help prints a
// command's help, on standard output for registryd itself and on standard
// error for a command.
func (inv *invocation) commandTree() *cobra.Command {
	root := cli.Root("registryd <command> [arguments] [flags]", "the certification registry server and its maintenance tasks",
		"registryd runs the certification registry server and its maintenance tasks.", inv.stderr, printHelp, inv.prepare)
	root.SetOut(inv.stdout)
	root.SetHelpFunc(func(cmd *cobra.Command, _ []string) {
		w := cmd.ErrOrStderr()
		if cmd == cmd.Root() {
			w = cmd.OutOrStdout()
		}
		printHelp(w, cmd)
	})
	root.SetUsageFunc(func(cmd *cobra.Command) error { printHelp(cmd.ErrOrStderr(), cmd); return nil })
	inv.config.register(root.PersistentFlags())

	root.AddCommand(inv.serveCommand(), inv.migrateCommand(),
		noun("token", "bearer tokens, made and revoked on the database directly", inv.tokenCreateCommand(), inv.tokenRevokeCommand()),
		noun("audit", "the audit trail", inv.auditVerifyCommand(), inv.auditCheckpointCommand()),
		noun("checkpoint-key", "the key that signs the audit log's checkpoints", inv.checkpointKeyNewCommand(), inv.checkpointKeyShowCommand()),
		noun("keys", "the attestation signing keys", inv.keysRotateCommand(), inv.keysRetireCommand()),
		noun("secret", "the secret key protecting identity numbers and signing keys", inv.secretRotateCommand()))
	return root
}

// prepare runs before every command: flags not given take their
// environment twins' values, and the secret key is read from
// REGISTRY_SECRET_KEY.
func (inv *invocation) prepare(cmd *cobra.Command, _ []string) error {
	if err := cli.ApplyEnv(cmd.Flags(), inv.getenv); err != nil {
		return err
	}
	inv.config.SecretKey = inv.getenv("REGISTRY_SECRET_KEY")
	inv.config.CheckpointKey = inv.getenv("REGISTRY_CHECKPOINT_KEY")
	return nil
}

// noun groups the commands acting on one thing; run alone, or with an
// unknown verb, it prints its help and fails.
func noun(name, short string, verbs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use:                   name + " <command> [arguments] [flags]",
		Short:                 short,
		Args:                  cobra.ArbitraryArgs,
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			printHelp(cmd.ErrOrStderr(), cmd)
			if len(args) == 0 {
				return fmt.Errorf("%s: which command?", name)
			}
			return cli.UnknownCommand(cmd, args[0])
		},
	}
	cmd.AddCommand(verbs...)
	return cmd
}

// positional makes a command take exactly n positional arguments, failing
// with its usage line otherwise.
func positional(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return fmt.Errorf("usage: %s", cmd.UseLine())
		}
		return nil
	}
}

// withRegistry opens the registry on the shared settings for a
// maintenance command that works on the database directly, which must be
// migrated already, and runs do on it.
func (inv *invocation) withRegistry(ctx context.Context, do func(*registry.Registry) error) error {
	log, err := newLogger(inv.config.LogLevel, inv.stderr)
	if err != nil {
		return err
	}
	reg, _, err := openRegistry(ctx, inv.config, log, false)
	if err != nil {
		return err
	}
	defer reg.Close()
	return do(reg)
}

// printHelp writes a command's help, made from its definition and its
// flags: registryd's and a noun's list their commands, a command's lists
// its own flags; all end with the flags every command takes, and the
// environment variable each flag is also read from.
func printHelp(w io.Writer, cmd *cobra.Command) {
	var b strings.Builder
	root := cmd.Root()
	fmt.Fprintf(&b, "usage: %s\n\n", cmd.UseLine())
	if cmd.Long != "" {
		b.WriteString(strings.TrimSpace(cmd.Long) + "\n")
	} else {
		b.WriteString(cmd.Short + "\n")
	}
	if cmd.HasAvailableSubCommands() {
		b.WriteString("\ncommands:\n")
		t := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		paths, subs := cli.Commands(cmd)
		for i, sub := range subs {
			summary := sub.Short
			if args := strings.TrimSpace(strings.TrimPrefix(sub.Use, sub.Name())); args != "" {
				summary = args + ": " + summary
			}
			fmt.Fprintf(t, "  %s\t%s\n", paths[i], summary)
		}
		t.Flush()
	}
	if !cmd.HasAvailableSubCommands() {
		if own := cmd.LocalNonPersistentFlags(); own.HasAvailableFlags() {
			b.WriteString("\nflags:\n" + own.FlagUsages())
		}
	}
	b.WriteString("\nflags of every command (before or after it):\n" + root.PersistentFlags().FlagUsages() + secretKeyHelp + checkpointKeyHelp)
	b.WriteString(cmd.Annotations[footerAnnotation])
	if cmd.HasAvailableSubCommands() {
		fmt.Fprintf(&b, "\nRun '%s <command> --help' for the flags of a command.\n", cmd.CommandPath())
	}
	io.WriteString(w, b.String())
}
