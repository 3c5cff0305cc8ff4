package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"connectrpc.com/connect/v2"
	"connectrpc.com/connect/v2/connectproto"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hangzhou-ai/registry/cmd/internal/cli"
	"github.com/hangzhou-ai/registry/rpc/client"
)

// command is one registryctl command. define puts the command's own flags
// on fs and returns what runs once they are parsed, with the positional
// arguments; the global flags (--addr, --token, -o) are on every command.
type command struct {
	usage   string // positional arguments and the flags that matter, after the command's name
	summary string
	args    int // how many positional arguments it takes
	define  func(inv *invocation, fs *pflag.FlagSet) action
}

// action runs a command with its positional arguments, its flags parsed.
type action func(pos []string) error

// commands is every registryctl command, by name: "noun verb" or a single
// word. Adding a command is adding a line here.
var commands = map[string]command{
	// Offline checks.
	"verify": {"TOKEN --jwks FILE", "check an attestation (an eligibility answer or a support statement) offline against a JSON Web Key Set (TOKEN - reads standard input)",
		1, verifyOffline},

	// ImportService (import.go). FILE "-" reads standard input.
	"import designations": {"FILE.csv [--dry-run] [--skip-invalid] [--encoding auto|utf-8|gb18030]", "grant designations in bulk (columns: type, enterprise_credit_code, enterprise_name, district, talent_id, level, valid_from, valid_until, document_number, note)", 1, importCommand("designations")},
	"import enterprises":  {"FILE.csv [--dry-run] [--skip-invalid] [--encoding E]", "register enterprises in bulk (columns: credit_code, name, district, registered_on)", 1, importCommand("enterprises")},
	"import awards":       {"FILE.csv [--dry-run] [--skip-invalid] [--encoding E]", "record competition awards in bulk (columns: competition_id, talent_id, name, id_number, passport_number, nationality, prize, team)", 1, importCommand("awards")},
	"import tenancies":    {"FILE.csv [--dry-run] [--skip-invalid] [--encoding E]", "admit park tenants in bulk (columns: park_code, enterprise_credit_code, start_date, end_date, floor_area_m2)", 1, importCommand("tenancies")},

	// EnterpriseService.
	"enterprise register": {"CREDIT_CODE --name NAME [--district D] [--registered-on DATE]", "register an enterprise", 1, enterpriseRegister},
	"enterprise get":      {"CREDIT_CODE", "show an enterprise", 1, enterpriseGet},
	"enterprise list":     {"[--query Q] [--district D] [--page-size N] [--page-token T]", "list enterprises", 0, enterpriseList},

	// TalentService.
	"talent register": {"--name NAME (--id-number N | --passport P --nationality CC) [--employer CREDIT_CODE]", "register a talent", 0, talentRegister},
	"talent get":      {"ID", "show a talent (identity number masked)", 1, talentGet},
	"talent list":     {"[--employer CREDIT_CODE] [--page-size N] [--page-token T]", "list talents", 0, talentList},

	// DesignationService.
	"designation types":     {"", "list the designation types and who may grant them", 0, designationTypes},
	"designation grant":     {"TYPE (--enterprise CREDIT_CODE | --talent ID) [--level L] --from DATE --until DATE --doc DOCUMENT [--note TEXT]", "grant a designation", 1, designationGrant},
	"designation get":       {"ID [--as-of DATE] [--known-at INSTANT]", "show a designation (as the registry recorded it at an instant)", 1, designationGet},
	"designation list":      {"[--enterprise C] [--talent ID] [--type T] [--status S] [--as-of DATE] [--known-at INSTANT] [--page-size N] [--page-token T]", "list designations", 0, designationList},
	"designation suspend":   {"ID --reason TEXT", "suspend an active designation", 1, designationSuspend},
	"designation reinstate": {"ID --reason TEXT", "reinstate a suspended designation", 1, designationReinstate},
	"designation revoke":    {"ID --reason TEXT", "revoke a designation for good", 1, designationRevoke},
	"designation renew":     {"ID --until DATE --doc DOCUMENT", "move a designation's end date", 1, designationRenew},

	// AccessService.
	"access rules": {"[--type T] [--bureau B]", "list the grant policy", 0, accessRules},
	"access check": {"[--subject ROLE@ORG] --action A [--type T] [--resource R]", "ask whether a principal may act, and by which rule", 0, accessCheck},
	"token create": {"--subject S --org ORG --role ROLE [--ttl-days N]", "create a bearer token (shown once)", 0, tokenCreate},
	"token revoke": {"ID", "revoke a token", 1, tokenRevoke},
	"token list":   {"", "list tokens (without their secrets)", 0, tokenList},

	// AuditService.
	"audit list":       {"[--entity TYPE[:ID]] [--actor SUBJECT] [--since DATE|RFC3339] [--page-size N] [--page-token T]", "list audit events", 0, auditList},
	"audit verify":     {"", "verify the audit hash chain (fails when broken)", 0, auditVerify},
	"audit checkpoint": {"", "the audit log's signed checkpoint (no token needed)", 0, auditCheckpoint},
	"audit monitor":    {"--state FILE [--key FILE]", "check the log's checkpoint against those saved in FILE, then save it (fails on any rewrite; no token needed)", 0, auditMonitor},

	// TalentAuthorizationService.
	"authorization issue":     {"--enterprise C --year Y --quota LEVEL=PLACES... --from DATE --until DATE --doc DOCUMENT", "issue a special talent authorization", 0, authorizationIssue},
	"authorization get":       {"ID", "show an authorization and its remaining places", 1, authorizationGet},
	"authorization list":      {"[--enterprise C] [--year Y] [--status S]", "list talent authorizations", 0, authorizationList},
	"authorization revoke":    {"ID --reason TEXT", "revoke a talent authorization", 1, authorizationRevoke},
	"authorization recognize": {"--authorization ID --talent ID --level L [--from DATE] [--until DATE] [--doc DOCUMENT]", "recognise an employee within the quota", 0, authorizationRecognize},
	"authorization withdraw":  {"DESIGNATION_ID --reason TEXT", "withdraw a recognition and return its place", 1, authorizationWithdraw},

	// CompetitionService.
	"competition register":         {"--name N --organiser O --year Y --tier national|provincial|municipal --prize PRIZE=LEVEL...", "register a competition", 0, competitionRegister},
	"competition get":              {"ID", "show a competition", 1, competitionGet},
	"competition list":             {"[--year Y]", "list competitions", 0, competitionList},
	"competition record-awards":    {"--competition ID (--award name=N,id-number=X,prize=P[,team=T]... | --file awards.csv|awards.json|-)", "record winners (recording again creates nothing)", 0, competitionRecordAwards},
	"competition awards":           {"[--competition ID] [--talent ID]", "list awards", 0, competitionAwards},
	"competition recognize-winner": {"AWARD_ID --from DATE --until DATE --doc DOCUMENT", "recognise a winner at the prize's level", 1, competitionRecognizeWinner},

	// ParkService.
	"park register":    {"CODE --name N [--district D] [--operator-org O] [--from DATE] [--until DATE] [--doc DOCUMENT]", "designate a municipal AI park", 1, parkRegister},
	"park get":         {"CODE", "show a park", 1, parkGet},
	"park list":        {"", "list parks", 0, parkList},
	"park admit":       {"--park CODE --enterprise C [--start DATE] [--end DATE] [--area M2]", "admit a tenant", 0, parkAdmit},
	"park end-tenancy": {"TENANCY_ID --end DATE --reason TEXT", "set a tenancy's last day", 1, parkEndTenancy},
	"park tenants":     {"--park CODE [--as-of DATE] [--page-size N] [--page-token T]", "list tenancies in force on a date", 0, parkTenants},
	"park set-rule":    {"--park CODE --benefit B [--any-of TYPE,...] [--min-tenancy-months N] [--max-enterprise-age-years N]", "create or replace a benefit rule", 0, parkSetRule},
	"park rules":       {"--park CODE", "list a park's benefit rules", 0, parkRules},
	"park verify":      {"--park CODE --enterprise C --benefit B [--as-of DATE]", "is a tenant eligible for a benefit? (signed answer)", 0, parkVerify},

	// BenefitService (support.go): amounts in integer fen; tables show yuan beside.
	"support measures":  {"", "list the support measures, their rules and what is left of this year's budget", 0, supportMeasures},
	"support apply":     {"--measure M --enterprise CREDIT_CODE --year Y --basis-reference REF [--basis-kind K] --basis-amount-fen N --basis-date DATE [--evidence TEXT] [--project-total-fen N --loan-principal-fen N]", "apply for support (pending until decided)", 0, supportApply},
	"support get":       {"ID", "show an application and its breakdown (a preview while pending, for those who decide)", 1, supportGet},
	"support list":      {"[--measure M] [--status pending|approved|rejected] [--enterprise C] [--page-size N] [--page-token T]", "list applications, newest first", 0, supportList},
	"support decide":    {"ID (--approve | --reject --reason TEXT)", "approve or reject a pending application; approval computes the award", 1, supportDecide},
	"support disburse":  {"AWARD_ID --amount-fen N --paid-on DATE --payer city|district:<d>", "record a payment of an award, by the city or a district", 1, supportDisburse},
	"support recover":   {"AWARD_ID --amount-fen N --reason TEXT", "order part or all of an award's paid money back (bars new support until settled)", 1, supportRecover},
	"support settle":    {"RECOVERY_ID [--settled-on DATE]", "record that a recovery order was repaid", 1, supportSettle},
	"support set-cap":   {"--measure M --enterprise CREDIT_CODE --year Y --cap-fen N --reason TEXT", "set one enterprise's yearly cap under a measure (never below what it was awarded)", 0, supportSetCap},
	"support awards":    {"[--measure M] [--year Y] [--enterprise C] [--page-size N] [--page-token T]", "list awards with what was paid and ordered back, newest first", 0, supportAwards},
	"support statement": {"CREDIT_CODE --year Y", "what an enterprise received in a year, per measure, with a signed attestation", 1, supportStatement},
	"support published": {"[--measure M] [--year Y] [--page-size N] [--page-token T]", "the transparency list of awards of 100,000 yuan or more (VerificationService; no token needed)", 0, supportPublished},

	// ChangeService (changes.go): one JSON line per change.
	"changes list":  {"[--after CURSOR] [--type T]... [--page-size N]", "print the changes after a cursor, to the end of the feed (JSON Lines)", 0, changesList},
	"changes watch": {"[--after CURSOR] [--type T]...", "print the changes after a cursor, then each as it commits, until interrupted (JSON Lines)", 0, changesWatch},

	// WebhookService (webhooks.go).
	"webhook subscribe":  {"URL [--type T]...", "subscribe an https URL to the changes you may read (the signing secret is shown once)", 1, webhookSubscribe},
	"webhook list":       {"[--page-size N] [--page-token T]", "list the subscriptions you may see (your organisation's; every one for administrators and auditors)", 0, webhookList},
	"webhook delete":     {"ID", "end a subscription", 1, webhookDelete},
	"webhook deliveries": {"SUBSCRIPTION_ID [--page-size N] [--page-token T]", "list a subscription's delivery attempts, newest first", 1, webhookDeliveries},
	"webhook redeliver":  {"SUBSCRIPTION_ID CURSOR", "deliver one change to a subscription once more", 2, webhookRedeliver},

	// VerificationService: no token needed.
	"public status": {"DESIGNATION_ID", "a designation's public status", 1, publicStatus},
	"public verify": {"TOKEN", "check an attestation online (fails unless valid; TOKEN - reads standard input)", 1, publicVerify},
	"public keys":   {"", "the registry's attestation signing keys (-o json is a JWKS)", 0, publicKeys},
}

const defaultAddr = "http://localhost:8080"

// nouns says what each group of commands is about, for the help.
var nouns = map[string]string{
	"import":        "bulk imports from CSV files (ImportService)",
	"enterprise":    "enterprises (EnterpriseService)",
	"talent":        "talents (TalentService)",
	"designation":   "designations (DesignationService)",
	"access":        "the grant policy and permission checks (AccessService)",
	"token":         "bearer tokens (AccessService)",
	"audit":         "the audit trail (AuditService)",
	"authorization": "special talent authorizations (TalentAuthorizationService)",
	"competition":   "competitions and their awards (CompetitionService)",
	"park":          "AI parks, tenants and benefit rules (ParkService)",
	"support":       "the support ledger: applications, awards, payments and recoveries (BenefitService)",
	"public":        "public checks, no token needed (VerificationService)",
	"changes":       "the change feed: changes you may read, in commit order (ChangeService)",
	"webhook":       "webhook subscriptions to the change feed (WebhookService)",
}

// globals are the flags every command accepts.
type globals struct {
	addr, token, output string
}

func (g *globals) register(fs *pflag.FlagSet) {
	fs.StringVar(&g.addr, "addr", defaultAddr, "the registry's `URL` (or host:port)")
	fs.StringVar(&g.token, "token", "", "the bearer `TOKEN` to send")
	fs.StringVarP(&g.output, "output", "o", "table", "`FORMAT` of the answers: table or json (one object per answer)")
	cli.Env(fs, "addr", "REGISTRY_ADDR")
	cli.Env(fs, "token", "REGISTRY_TOKEN")
	cli.Env(fs, "output", "REGISTRY_OUTPUT")
}

// invocation is one run of registryctl: its streams, environment and
// global flags, shared by the commands' closures.
type invocation struct {
	ctx            context.Context
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
	now            func() time.Time
	global         globals
	cmd            *cobra.Command // the command running
	rpc            *client.Clients
}

// run is registryctl's whole program; main only supplies the process's
// arguments, environment and streams.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	inv := &invocation{ctx: ctx, getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr, now: time.Now}
	return inv.execute(args)
}

// execute runs the command args names and returns its error as the one
// line main prints.
func (inv *invocation) execute(args []string) error {
	root := inv.commandTree()
	root.SetArgs(args)
	if err := root.ExecuteContext(inv.ctx); err != nil {
		return describeError(err, inv.global, inv.cmd)
	}
	return nil
}

// commandTree builds the root command, a command for each noun, and the
// commands of the table under them. Flags go anywhere after the words
// naming the command (and the global ones before them too); "--" ends the
// flags.
func (inv *invocation) commandTree() *cobra.Command {
	root := cli.Root("registryctl", "the registry's command-line client",
		"registryctl calls the registry: a noun-verb command for every RPC, with the answer as an aligned table or,\n"+
			"with -o json, as JSON. Its verify command checks an attestation (eligibility or support statement) offline.",
		inv.stderr, printUsage, inv.prepare)
	root.SetIn(inv.stdin)
	root.SetOut(inv.stdout)
	root.SetHelpFunc(func(cmd *cobra.Command, _ []string) { printUsage(cmd.OutOrStdout(), cmd) })
	root.SetUsageFunc(func(cmd *cobra.Command) error { printUsage(cmd.ErrOrStderr(), cmd); return nil })
	inv.global.register(root.PersistentFlags())

	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	slices.Sort(names)
	groups := map[string]*cobra.Command{}
	for _, name := range names {
		parent, verb := root, name
		if noun, v, ok := strings.Cut(name, " "); ok {
			if groups[noun] == nil {
				groups[noun] = nounCommand(inv, noun)
				root.AddCommand(groups[noun])
			}
			parent, verb = groups[noun], v
		}
		parent.AddCommand(inv.leaf(verb, commands[name]))
	}
	return root
}

// nounCommand groups a noun's commands; run alone, or with an unknown
// verb, it lists them and fails.
func nounCommand(inv *invocation, noun string) *cobra.Command {
	return &cobra.Command{
		Use:                   noun + " VERB [arguments] [flags]",
		Short:                 nouns[noun],
		Args:                  cobra.ArbitraryArgs,
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			printUsage(inv.stderr, cmd)
			if len(args) == 0 {
				return fmt.Errorf("%s: which command?", noun)
			}
			return cli.UnknownCommand(cmd, args[0])
		},
	}
}

// leaf is the command for one line of the table.
func (inv *invocation) leaf(verb string, c command) *cobra.Command {
	cmd := &cobra.Command{
		Use:                   strings.TrimSpace(verb + " " + c.usage),
		Short:                 c.summary,
		DisableFlagsInUseLine: true,
	}
	cmd.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) != c.args {
			return usageError(cmd)
		}
		return nil
	}
	run := c.define(inv, cmd.Flags())
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		inv.cmd = cmd
		return run(args)
	}
	return cmd
}

// prepare runs before every command: flags not given take their
// environment twins' values, and the output format is checked.
func (inv *invocation) prepare(cmd *cobra.Command, _ []string) error {
	if err := cli.ApplyEnv(cmd.Flags(), inv.getenv); err != nil {
		return err
	}
	switch inv.global.output {
	case "table", "json":
	default:
		return fmt.Errorf("-o %q: want table or json", inv.global.output)
	}
	return nil
}

// usageError is the error of a command given the wrong arguments.
func usageError(cmd *cobra.Command) error {
	return fmt.Errorf("usage: %s", cmd.UseLine())
}

func (inv *invocation) usageError() error { return usageError(inv.cmd) }

// printUsage writes a command's help, made from its definition and its
// flags: the root's and a noun's list their commands; a command's lists
// its own flags, then the global ones.
func printUsage(w io.Writer, cmd *cobra.Command) {
	var b strings.Builder
	root := cmd.Root()
	if cmd == root {
		b.WriteString("usage: registryctl [--addr URL] [--token TOKEN] [-o table|json] <command> [arguments] [flags]\n\n")
		b.WriteString(cmd.Long + "\n")
	} else {
		fmt.Fprintf(&b, "usage: %s\n\n%s\n", cmd.UseLine(), cmd.Short)
	}
	if cmd.HasAvailableSubCommands() {
		b.WriteString("\ncommands:\n")
		t := newTable()
		paths, subs := cli.Commands(cmd)
		for i, sub := range subs {
			t.row("  "+paths[i], sub.Short)
		}
		t.write(&b)
	}
	if cmd != root && !cmd.HasAvailableSubCommands() {
		if own := cmd.LocalNonPersistentFlags(); own.HasAvailableFlags() {
			b.WriteString("\nflags:\n" + own.FlagUsages())
		}
	}
	fmt.Fprintf(&b, "\nglobal flags (before or after the command):\n%s", root.PersistentFlags().FlagUsages())
	if cmd.HasAvailableSubCommands() {
		b.WriteString("\nRun 'registryctl help NOUN' or 'registryctl NOUN VERB --help' for a command's flags.\n")
	}
	io.WriteString(w, b.String())
}

// dateVar defines a flag taking a calendar date, YYYY-MM-DD, checked as it
// is parsed so that a bad one is refused naming the flag.
func dateVar(fs *pflag.FlagSet, p *string, name, usage string) {
	fs.Var((*dateValue)(p), name, usage)
}

type dateValue string

func (d *dateValue) String() string { return string(*d) }
func (d *dateValue) Type() string   { return "date" }
func (d *dateValue) Set(s string) error {
	if s != "" {
		if t, err := time.Parse(time.DateOnly, s); err != nil || t.Format(time.DateOnly) != s {
			return errors.New("want a date YYYY-MM-DD")
		}
	}
	*d = dateValue(s)
	return nil
}

// instantVar defines a flag holding an instant in RFC 3339
// (2026-06-15T12:00:00+08:00), stored in *p; unset leaves *p nil.
func instantVar(fs *pflag.FlagSet, p **timestamppb.Timestamp, name, usage string) {
	fs.Var(&instantValue{p}, name, usage)
}

type instantValue struct{ p **timestamppb.Timestamp }

func (v *instantValue) String() string {
	if v.p == nil || *v.p == nil {
		return ""
	}
	return (*v.p).AsTime().Format(time.RFC3339Nano)
}
func (v *instantValue) Type() string { return "instant" }
func (v *instantValue) Set(s string) error {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return errors.New("want an instant in RFC 3339, e.g. 2026-06-15T12:00:00+08:00")
	}
	*v.p = timestamppb.New(t)
	return nil
}

// clients connects to the registry named by --addr, sending --token. The
// import streams go over HTTP/2 (h2c for http:// addresses), which
// bidirectional streams need, and are cut off when the command's context
// ends (abortOnCancel); other calls take at most a minute.
func (inv *invocation) clients() *client.Clients {
	if inv.rpc != nil {
		return inv.rpc
	}
	addr := baseURL(inv.global.addr)
	protocols := new(http.Protocols)
	if strings.HasPrefix(addr, "https://") {
		protocols.SetHTTP2(true)
	} else {
		protocols.SetUnencryptedHTTP2(true)
	}
	streams := &http.Client{Transport: abortOnCancel{&http.Transport{Protocols: protocols}}}
	inv.rpc = client.NewClients(&http.Client{Timeout: time.Minute}, addr,
		client.WithInterceptors(client.BearerAuth(strings.TrimSpace(inv.global.token))),
		client.WithStreamingHTTPClient(streams))
	return inv.rpc
}

// baseURL accepts what registryd's --addr takes too (":8080",
// "host:8080") as well as a full URL.
func baseURL(addr string) string {
	addr = strings.TrimRight(strings.TrimSpace(addr), "/")
	switch {
	case addr == "":
		return defaultAddr
	case strings.HasPrefix(addr, ":"):
		return "http://localhost" + addr
	case !strings.Contains(addr, "://"):
		return "http://" + addr
	}
	return addr
}

// jsonOut writes one response per object, in the Connect JSON mapping,
// with every field present so scripts need not guess defaults.
var jsonOut = protojson.MarshalOptions{EmitUnpopulated: true}

// emit writes res as JSON or, by default, as the table fill makes of it.
func (inv *invocation) emit(res proto.Message, fill func(t *table)) error {
	if inv.global.output == "json" {
		b, err := jsonOut.Marshal(res)
		if err != nil {
			return err
		}
		// protojson varies its whitespace on purpose; settle it so the
		// output is the same from run to run.
		var out bytes.Buffer
		if err := json.Indent(&out, b, "", "  "); err != nil {
			return err
		}
		out.WriteByte('\n')
		_, err = out.WriteTo(inv.stdout)
		return err
	}
	t := newTable()
	fill(t)
	return t.write(inv.stdout)
}

// fieldFlags are the flags whose names are not their request field's.
var fieldFlags = map[string]string{
	"valid_from": "from", "valid_until": "until", "document_number": "doc", "enterprise_credit_code": "enterprise",
	"employer_credit_code": "employer", "talent_id": "talent", "passport_number": "passport", "designation_type": "type",
	"park_code": "park", "organisation": "org", "start_date": "start", "end_date": "end", "as_of": "as-of",
	"after_cursor": "after", "entity_types": "type", "measure_code": "measure",
}

// flagOf names the flag of cmd that sets the request field field, as
// --flag, or returns field as it is when no flag of cmd sets it (a
// positional argument, a nested field). An element of a repeated field,
// field[i], is named by the repeatable flag that sets the field.
func flagOf(cmd *cobra.Command, field string) string {
	if cmd == nil {
		return field
	}
	base := field
	if b, i, ok := strings.Cut(strings.TrimSuffix(field, "]"), "["); ok && strings.HasSuffix(field, "]") && i != "" && strings.Trim(i, "0123456789") == "" {
		base = b
	}
	for _, name := range []string{fieldFlags[base], strings.ReplaceAll(base, "_", "-")} {
		if name != "" && cmd.Flags().Lookup(name) != nil {
			return "--" + name
		}
	}
	return field
}

// describeError turns err into one readable line: the Connect code, the
// message, and each field violation of a google.rpc.BadRequest detail,
// naming the flag of cmd that sets the field where there is one.
func describeError(err error, g globals, cmd *cobra.Command) error {
	if err == nil {
		return nil
	}
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return errors.New(oneLine(err.Error()))
	}
	var fields []string
	for _, d := range ce.Details() {
		msg, derr := connectproto.UnmarshalErrorDetail(d)
		if derr != nil {
			continue
		}
		if br, ok := msg.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				fields = append(fields, flagOf(cmd, v.GetField())+": "+v.GetDescription())
			}
		}
	}
	parts := []string{ce.Code().String()}
	if m := ce.Message(); m != "" && !(len(fields) > 0 && m == "invalid request") {
		parts = append(parts, m)
	}
	if len(fields) > 0 {
		parts = append(parts, strings.Join(fields, "; "))
	}
	line := strings.Join(parts, ": ")
	switch {
	case ce.Code() == connect.CodeUnauthenticated && g.token == "":
		line += " (give --token or set REGISTRY_TOKEN)"
	case ce.Code() == connect.CodeUnavailable:
		line += " (registry at " + baseURL(g.addr) + "; give --addr or set REGISTRY_ADDR)"
	}
	return errors.New(oneLine(line))
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
