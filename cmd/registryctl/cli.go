package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"connectrpc.com/connect/v2"
	"connectrpc.com/connect/v2/connecthttp"
	"connectrpc.com/connect/v2/connectproto"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/hangzhou-ai/registry/rpc/gen/registry/v1/registryv1connect"
)

// command is one registryctl command. run gets the arguments after the
// command's name; global flags (--addr, --token, -o) may appear among them
// when the command parses its flags with inv.flags and inv.parse.
type command struct {
	usage   string // arguments and flags, after the command's name
	summary string
	run     func(inv *invocation, args []string) error
}

// commands is every registryctl command, by name: "noun verb" or a single
// word. Adding a command is adding a line here.
var commands = map[string]command{
	// Offline checks.
	"verify": {"TOKEN --jwks FILE", "check an eligibility attestation offline against a JSON Web Key Set (TOKEN - reads standard input)",
		func(inv *invocation, args []string) error {
			return runVerify(args, inv.stdin, inv.stdout, inv.stderr, inv.now)
		}},

	// ImportService (import.go). FILE "-" reads standard input.
	"import designations": {"FILE.csv [--dry-run] [--skip-invalid] [--encoding auto|utf-8|gb18030]", "grant designations in bulk (columns: type, enterprise_credit_code, enterprise_name, district, talent_id, level, valid_from, valid_until, document_number, note)", importCommand("designations")},
	"import enterprises":  {"FILE.csv [--dry-run] [--skip-invalid] [--encoding E]", "register enterprises in bulk (columns: credit_code, name, district, registered_on)", importCommand("enterprises")},
	"import awards":       {"FILE.csv [--dry-run] [--skip-invalid] [--encoding E]", "record competition awards in bulk (columns: competition_id, talent_id, name, id_number, passport_number, nationality, prize, team)", importCommand("awards")},
	"import tenancies":    {"FILE.csv [--dry-run] [--skip-invalid] [--encoding E]", "admit park tenants in bulk (columns: park_code, enterprise_credit_code, start_date, end_date, floor_area_m2)", importCommand("tenancies")},

	// EnterpriseService.
	"enterprise register": {"CREDIT_CODE --name NAME [--district D] [--registered-on DATE]", "register an enterprise", enterpriseRegister},
	"enterprise get":      {"CREDIT_CODE", "show an enterprise", enterpriseGet},
	"enterprise list":     {"[--query Q] [--district D] [--page-size N] [--page-token T]", "list enterprises", enterpriseList},

	// TalentService.
	"talent register": {"--name NAME (--id-number N | --passport P --nationality CC) [--employer CREDIT_CODE]", "register a talent", talentRegister},
	"talent get":      {"ID", "show a talent (identity number masked)", talentGet},
	"talent list":     {"[--employer CREDIT_CODE] [--page-size N] [--page-token T]", "list talents", talentList},

	// DesignationService.
	"designation types":     {"", "list the designation types and who may grant them", designationTypes},
	"designation grant":     {"TYPE (--enterprise CREDIT_CODE | --talent ID) [--level L] --from DATE --until DATE --doc DOCUMENT [--note TEXT]", "grant a designation", designationGrant},
	"designation get":       {"ID", "show a designation", designationGet},
	"designation list":      {"[--enterprise C] [--talent ID] [--type T] [--status S] [--as-of DATE] [--page-size N] [--page-token T]", "list designations", designationList},
	"designation suspend":   {"ID --reason TEXT", "suspend an active designation", designationSuspend},
	"designation reinstate": {"ID --reason TEXT", "reinstate a suspended designation", designationReinstate},
	"designation revoke":    {"ID --reason TEXT", "revoke a designation for good", designationRevoke},
	"designation renew":     {"ID --until DATE --doc DOCUMENT", "move a designation's end date", designationRenew},

	// AccessService.
	"access rules": {"[--type T] [--bureau B]", "list the grant policy", accessRules},
	"access check": {"[--subject ROLE@ORG] --action A [--type T] [--resource R]", "ask whether a principal may act, and by which rule", accessCheck},
	"token create": {"--subject S --org ORG --role ROLE [--ttl-days N]", "create a bearer token (shown once)", tokenCreate},
	"token revoke": {"ID", "revoke a token", tokenRevoke},
	"token list":   {"", "list tokens (without their secrets)", tokenList},

	// AuditService.
	"audit list":   {"[--entity TYPE[:ID]] [--actor SUBJECT] [--since DATE|RFC3339] [--page-size N] [--page-token T]", "list audit events", auditList},
	"audit verify": {"", "verify the audit hash chain (fails when broken)", auditVerify},

	// TalentAuthorizationService.
	"authorization issue":     {"--enterprise C --year Y --quota LEVEL=PLACES... --from DATE --until DATE --doc DOCUMENT", "issue a special talent authorization", authorizationIssue},
	"authorization get":       {"ID", "show an authorization and its remaining places", authorizationGet},
	"authorization list":      {"[--enterprise C] [--year Y] [--status S]", "list talent authorizations", authorizationList},
	"authorization revoke":    {"ID --reason TEXT", "revoke a talent authorization", authorizationRevoke},
	"authorization recognize": {"--authorization ID --talent ID --level L [--from DATE] [--until DATE] [--doc DOCUMENT]", "recognise an employee within the quota", authorizationRecognize},
	"authorization withdraw":  {"DESIGNATION_ID --reason TEXT", "withdraw a recognition and return its place", authorizationWithdraw},

	// CompetitionService.
	"competition register":         {"--name N --organiser O --year Y --tier national|provincial|municipal --prize PRIZE=LEVEL...", "register a competition", competitionRegister},
	"competition get":              {"ID", "show a competition", competitionGet},
	"competition list":             {"[--year Y]", "list competitions", competitionList},
	"competition record-awards":    {"--competition ID (--award name=N,id-number=X,prize=P[,team=T]... | --file awards.csv|awards.json|-)", "record winners (recording again creates nothing)", competitionRecordAwards},
	"competition awards":           {"[--competition ID] [--talent ID]", "list awards", competitionAwards},
	"competition recognize-winner": {"AWARD_ID --from DATE --until DATE --doc DOCUMENT", "recognise a winner at the prize's level", competitionRecognizeWinner},

	// ParkService.
	"park register":    {"CODE --name N [--district D] [--operator-org O] [--from DATE] [--until DATE] [--doc DOCUMENT]", "designate a municipal AI park", parkRegister},
	"park get":         {"CODE", "show a park", parkGet},
	"park list":        {"", "list parks", parkList},
	"park admit":       {"--park CODE --enterprise C [--start DATE] [--end DATE] [--area M2]", "admit a tenant", parkAdmit},
	"park end-tenancy": {"TENANCY_ID --end DATE --reason TEXT", "set a tenancy's last day", parkEndTenancy},
	"park tenants":     {"--park CODE [--as-of DATE] [--page-size N] [--page-token T]", "list tenancies in force on a date", parkTenants},
	"park set-rule":    {"--park CODE --benefit B [--any-of TYPE,...] [--min-tenancy-months N] [--max-enterprise-age-years N]", "create or replace a benefit rule", parkSetRule},
	"park rules":       {"--park CODE", "list a park's benefit rules", parkRules},
	"park verify":      {"--park CODE --enterprise C --benefit B [--as-of DATE]", "is a tenant eligible for a benefit? (signed answer)", parkVerify},

	// VerificationService: no token needed.
	"public status": {"DESIGNATION_ID", "a designation's public status", publicStatus},
	"public verify": {"TOKEN", "check an attestation online (fails unless valid; TOKEN - reads standard input)", publicVerify},
	"public keys":   {"", "the registry's attestation signing keys (-o json is a JWKS)", publicKeys},
}

const defaultAddr = "http://localhost:8080"

// globals are the flags every command accepts.
type globals struct {
	addr, token, output string
}

// invocation is one run of one command.
type invocation struct {
	ctx            context.Context
	name           string
	usage          string
	stdin          io.Reader
	stdout, stderr io.Writer
	now            func() time.Time
	global         globals
	rpc            *clients
}

// clients are generated clients of every service, sharing one connection
// and token.
type clients struct {
	enterprise          registryv1connect.EnterpriseServiceClient
	talent              registryv1connect.TalentServiceClient
	designation         registryv1connect.DesignationServiceClient
	access              registryv1connect.AccessServiceClient
	audit               registryv1connect.AuditServiceClient
	talentAuthorization registryv1connect.TalentAuthorizationServiceClient
	competition         registryv1connect.CompetitionServiceClient
	park                registryv1connect.ParkServiceClient
	verification        registryv1connect.VerificationServiceClient
}

// run is registryctl's whole program; main only supplies the process's
// arguments, environment and streams.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	g := globals{addr: getenv("REGISTRY_ADDR"), token: getenv("REGISTRY_TOKEN"), output: "table"}
	if g.addr == "" {
		g.addr = defaultAddr
	}
	top := flag.NewFlagSet("registryctl", flag.ContinueOnError)
	top.SetOutput(stderr)
	top.Usage = func() { printUsage(stderr, "") }
	g.register(top)
	if err := top.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	args = top.Args()
	if len(args) == 0 {
		printUsage(stderr, "")
		return errors.New("no command")
	}
	if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		noun := ""
		if len(args) > 1 {
			noun = args[1]
		}
		printUsage(stdout, noun)
		return nil
	}
	name, rest, ok := lookup(args)
	if !ok {
		if isNoun(args[0]) {
			printUsage(stderr, args[0])
			if len(args) == 1 {
				return fmt.Errorf("%s: which command?", args[0])
			}
			return fmt.Errorf("unknown command %q", args[0]+" "+args[1])
		}
		printUsage(stderr, "")
		return fmt.Errorf("unknown command %q", args[0])
	}
	cmd := commands[name]
	inv := &invocation{ctx: ctx, name: name, usage: cmd.usage, stdin: stdin, stdout: stdout, stderr: stderr, now: time.Now, global: g}
	err := cmd.run(inv, rest)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return describeError(err, inv.global)
}

// lookup finds the command args name: two words, else one.
func lookup(args []string) (name string, rest []string, ok bool) {
	if len(args) >= 2 {
		if _, ok := commands[args[0]+" "+args[1]]; ok {
			return args[0] + " " + args[1], args[2:], true
		}
	}
	if _, ok := commands[args[0]]; ok {
		return args[0], args[1:], true
	}
	return "", nil, false
}

func isNoun(word string) bool {
	for name := range commands {
		if strings.HasPrefix(name, word+" ") {
			return true
		}
	}
	return false
}

// printUsage lists every command, or only a noun's.
func printUsage(w io.Writer, noun string) {
	names := make([]string, 0, len(commands))
	for name := range commands {
		if noun == "" || name == noun || strings.HasPrefix(name, noun+" ") {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	fmt.Fprint(w, "usage: registryctl [--addr URL] [--token TOKEN] [-o table|json] <command> [arguments] [flags]\n\ncommands:\n")
	t := newTable()
	for _, name := range names {
		t.row("  "+name, commands[name].summary)
	}
	t.write(w)
	fmt.Fprint(w, `
global flags (before or after the command):
  --addr URL      the registry's address (env REGISTRY_ADDR, default `+defaultAddr+`)
  --token TOKEN   bearer token (env REGISTRY_TOKEN)
  -o FORMAT       table (default) or json (one object per response)

Run 'registryctl help NOUN' or 'registryctl NOUN VERB -h' for a command's flags.
`)
}

var globalFlags = map[string]bool{"addr": true, "token": true, "o": true, "output": true}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.addr, "addr", g.addr, "the registry's `URL` (env REGISTRY_ADDR)")
	fs.StringVar(&g.token, "token", g.token, "bearer `token` (env REGISTRY_TOKEN)")
	fs.StringVar(&g.output, "o", g.output, "output `format`: table or json")
	fs.StringVar(&g.output, "output", g.output, "output `format`: table or json")
}

// flags returns the command's flag set, with the global flags on it.
func (inv *invocation) flags() *flag.FlagSet {
	fs := flag.NewFlagSet("registryctl "+inv.name, flag.ContinueOnError)
	fs.SetOutput(inv.stderr)
	fs.Usage = func() {
		fmt.Fprintf(inv.stderr, "usage: registryctl %s %s\n", inv.name, inv.usage)
		own := flag.NewFlagSet("", flag.ContinueOnError)
		own.SetOutput(inv.stderr)
		fs.VisitAll(func(f *flag.Flag) {
			if !globalFlags[f.Name] {
				own.Var(f.Value, f.Name, f.Usage)
			}
		})
		if hasFlags(own) {
			fmt.Fprint(inv.stderr, "\nflags:\n")
			own.PrintDefaults()
		}
		fmt.Fprint(inv.stderr, "\nglobal flags: --addr URL, --token TOKEN, -o table|json (see registryctl help)\n")
	}
	inv.global.register(fs)
	return fs
}

// parse parses flags and positional arguments in any order and checks
// that there are exactly npos positional arguments.
func (inv *invocation) parse(fs *flag.FlagSet, args []string, npos int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		// Parse stops at the first positional argument, or after "--".
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	switch inv.global.output {
	case "table", "json":
	default:
		return nil, fmt.Errorf("-o %q: want table or json", inv.global.output)
	}
	if len(pos) != npos {
		return nil, inv.usageError()
	}
	return pos, nil
}

func (inv *invocation) usageError() error {
	return fmt.Errorf("usage: registryctl %s %s", inv.name, inv.usage)
}

// clients connects to the registry named by --addr, sending --token.
func (inv *invocation) clients() *clients {
	if inv.rpc != nil {
		return inv.rpc
	}
	token := strings.TrimSpace(inv.global.token)
	auth := func(next connect.ClientFunc) connect.ClientFunc {
		return func(ctx context.Context, spec connect.Spec) (connect.ClientStream, error) {
			if token != "" {
				if info, ok := connect.CallInfoForClientContext(ctx); ok {
					info.RequestHeader().Set("Authorization", "Bearer "+token)
				}
			}
			return next(ctx, spec)
		}
	}
	httpClient := &http.Client{Timeout: time.Minute}
	c := connect.NewClient(connecthttp.NewTransport(httpClient, baseURL(inv.global.addr)), auth)
	inv.rpc = &clients{
		enterprise:          registryv1connect.NewEnterpriseServiceClient(c),
		talent:              registryv1connect.NewTalentServiceClient(c),
		designation:         registryv1connect.NewDesignationServiceClient(c),
		access:              registryv1connect.NewAccessServiceClient(c),
		audit:               registryv1connect.NewAuditServiceClient(c),
		talentAuthorization: registryv1connect.NewTalentAuthorizationServiceClient(c),
		competition:         registryv1connect.NewCompetitionServiceClient(c),
		park:                registryv1connect.NewParkServiceClient(c),
		verification:        registryv1connect.NewVerificationServiceClient(c),
	}
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

// describeError turns err into one readable line: the Connect code, the
// message, and each field violation of a google.rpc.BadRequest detail.
func describeError(err error, g globals) error {
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
				fields = append(fields, v.GetField()+": "+v.GetDescription())
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
