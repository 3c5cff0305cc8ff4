package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// harness runs registryctl against one in-process registry, as a set of
// principals, with {name} placeholders in arguments filled from values
// earlier commands printed.
type harness struct {
	t      *testing.T
	env    *rpctest.Env
	tokens map[string]string // principal name → token
	vars   map[string]string
}

func newHarness(t *testing.T) *harness { return newHarnessOn(t, storetest.SQLite(t)) }

// newHarnessOn is newHarness with the registry on db.
func newHarnessOn(t *testing.T, db storetest.Database) *harness {
	env := rpctest.New(t, db)
	h := &harness{t: t, env: env, tokens: map[string]string{"anonymous": ""}, vars: map[string]string{}}
	for name, p := range map[string][2]string{
		"economy":  {"issuer", "bureau:economy-it"},
		"talent":   {"issuer", "bureau:talent-office"},
		"viewer":   {"viewer", "bureau:economy-it"},
		"admin":    {"admin", "admin"},
		"auditor":  {"auditor", "auditor"},
		"operator": {"operator", "park:west-lake"},
		"other-op": {"operator", "park:qiantang"},
	} {
		h.tokens[name] = env.Token(registry.Principal{Subject: name, Role: p[0], Org: p[1]})
	}
	return h
}

var placeholder = regexp.MustCompile(`\{[a-z0-9-]+\}`)

func (h *harness) expand(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = placeholder.ReplaceAllStringFunc(a, func(m string) string {
			v, ok := h.vars[m[1:len(m)-1]]
			if !ok {
				h.t.Fatalf("no value for %s yet", m)
			}
			return v
		})
	}
	return out
}

// run runs registryctl as principal "as" with --addr and --token flags
// after the command, returning standard output and the error main prints.
func (h *harness) run(as string, args ...string) (string, error) {
	h.t.Helper()
	token, ok := h.tokens[as]
	if !ok {
		token, ok = h.vars[as]
	}
	if !ok {
		h.t.Fatalf("unknown principal %q", as)
	}
	// Global flags go first, so a test's own --addr comes later and wins.
	args = append([]string{"--addr", h.env.URL, "--token", token}, h.expand(args)...)
	var out bytes.Buffer
	err := run(h.t.Context(), args, func(string) string { return "" }, strings.NewReader(""), &out, io.Discard)
	return out.String(), err
}

// jsonPath reads a dotted path (numbers index arrays) from decoded JSON.
func jsonPath(v any, path string) string {
	for p := range strings.SplitSeq(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i >= len(x) {
				return "<missing>"
			}
			v = x[i]
		default:
			return "<missing>"
		}
	}
	switch x := v.(type) {
	case nil:
		return "<missing>"
	case string:
		return x
	default:
		return fmt.Sprint(x)
	}
}

// step is one command and what its output must show. With json set, the
// command runs with -o json; its output must be one JSON object whose paths
// have the wanted values, and capture copies values into placeholders.
type step struct {
	name    string
	as      string
	args    []string
	want    []string          // table: substrings of the output
	json    map[string]string // -o json: path → value
	capture map[string]string // -o json: placeholder → path
}

func (h *harness) steps(steps []step) {
	for _, s := range steps {
		h.t.Run(s.name, func(t *testing.T) {
			args := s.args
			if s.json != nil || s.capture != nil {
				args = append(append([]string(nil), args...), "-o", "json")
			}
			out, err := h.run(s.as, args...)
			if err != nil {
				t.Fatalf("registryctl %s: %v\n%s", strings.Join(args, " "), err, out)
			}
			for _, w := range s.want {
				if !strings.Contains(out, h.expand([]string{w})[0]) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if s.json == nil && s.capture == nil {
				return
			}
			var doc map[string]any
			dec := json.NewDecoder(strings.NewReader(out))
			if err := dec.Decode(&doc); err != nil {
				t.Fatalf("output is not a JSON object: %v\n%s", err, out)
			}
			if dec.More() {
				t.Fatalf("output holds more than one JSON object:\n%s", out)
			}
			for path, want := range s.json {
				if got := jsonPath(doc, path); got != h.expand([]string{want})[0] {
					t.Errorf("%s = %q, want %q\n%s", path, got, want, out)
				}
			}
			for name, path := range s.capture {
				v := jsonPath(doc, path)
				if v == "<missing>" || v == "" {
					t.Fatalf("no %s to capture as {%s}:\n%s", path, name, out)
				}
				h.vars[name] = v
			}
		})
		if h.t.Failed() {
			h.t.FailNow() // later steps depend on earlier ones
		}
	}
}

// TestCommands walks every RPC through its command, in the order a
// registry's users would meet them, checking the table and the JSON forms,
// on each database.
func TestCommands(t *testing.T) {
	storetest.ForEachDatabase(t, testCommands)
}

func testCommands(t *testing.T, db storetest.Database) {
	h := newHarnessOn(t, db)
	c1 := registrytest.CreditCode(t, "91330106MA27XK0A1")
	c2 := registrytest.CreditCode(t, "91110000600037341")
	h.vars["c1"], h.vars["c2"] = c1, c2
	h.vars["c3"] = registrytest.CreditCode(t, "91330110MA2CD1234")
	h.tokens["member"] = h.env.Token(registry.Principal{Subject: "member", Role: "member", Org: "enterprise:" + c1})
	h.vars["id1"] = registrytest.IDNumber(t, "11010519491231002")
	h.vars["id2"] = registrytest.IDNumber(t, "11010519880605123")
	h.vars["id3"] = registrytest.IDNumber(t, "33010619900101001")
	dir := t.TempDir()
	h.vars["csv"] = filepath.Join(dir, "awards.csv")
	if err := os.WriteFile(h.vars["csv"], []byte("\xef\xbb\xbfname,id_number,prize,team\n周明,"+h.vars["id2"]+",一等奖,钱塘队\n李华,"+h.vars["id3"]+",二等奖,\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h.vars["jwks"] = filepath.Join(dir, "jwks.json")

	h.steps([]step{
		// EnterpriseService
		{name: "enterprise register", as: "economy",
			args: []string{"enterprise", "register", c1, "--name", "杭州云栖智算科技有限公司", "--district", "西湖区", "--registered-on", "2024-03-01"},
			want: []string{"CREDIT CODE", c1, "杭州云栖智算科技有限公司", "西湖区", "2024-03-01"}},
		{name: "enterprise register json", as: "economy",
			args: []string{"enterprise", "register", "--name", "示例科技有限公司", c2, "--district", "滨江区"},
			json: map[string]string{"enterprise.creditCode": c2, "enterprise.name": "示例科技有限公司"}},
		{name: "enterprise get as member", as: "member", args: []string{"enterprise", "get", c1}, want: []string{c1, "西湖区"}},
		{name: "enterprise list", as: "viewer", args: []string{"enterprise", "list", "--query", "杭州"},
			json: map[string]string{"enterprises.0.creditCode": c1, "nextPageToken": ""}},

		// TalentService
		{name: "talent register", as: "talent",
			args:    []string{"talent", "register", "--name", "陈思远", "--id-number", "{id1}", "--employer", c1},
			json:    map[string]string{"talent.name": "陈思远", "talent.nationality": "CN", "talent.employerCreditCode": c1},
			capture: map[string]string{"talent-id": "talent.id", "masked": "talent.idNumberMasked"}},
		{name: "talent register passport", as: "talent",
			args: []string{"talent", "register", "--name", "Alice Tan", "--passport", "E1234567", "--nationality", "SG", "--employer", c1},
			want: []string{"Alice Tan", "SG", c1}},
		{name: "talent get", as: "member", args: []string{"talent", "get", "{talent-id}"}, want: []string{"陈思远", "{masked}"}},
		{name: "talent list", as: "economy", args: []string{"talent", "list", "--employer", c1}, want: []string{"陈思远", "Alice Tan", "NATIONALITY"}},

		// DesignationService
		{name: "designation types", as: "viewer", args: []string{"designation", "types"},
			want: []string{"little-giant", "economy-it", "talent-recognition", "A-E", "(十)"}},
		{name: "designation grant", as: "economy",
			args:    []string{"designation", "grant", "little-giant", "--enterprise", c1, "--from", "2025-01-01", "--until", "2027-12-31", "--doc", "工信部企业函〔2025〕88号"},
			json:    map[string]string{"designation.type": "little-giant", "designation.status": "DESIGNATION_STATUS_ACTIVE", "designation.grantedByBureau": "economy-it"},
			capture: map[string]string{"lg": "designation.id"}},
		{name: "designation grant table", as: "economy",
			args: []string{"designation", "grant", "ai-growth-enterprise", "--enterprise", c1, "--from", "2026-01-01", "--until", "2027-12-31", "--doc", "杭经信〔2026〕5号"},
			want: []string{"ai-growth-enterprise", "ACTIVE", "2026-01-01", "2027-12-31", "杭经信〔2026〕5号"}},
		{name: "designation get", as: "member", args: []string{"designation", "get", "{lg}"},
			want: []string{"{lg}", "little-giant", "ACTIVE", "工信部企业函〔2025〕88号", "VERSION", "(十)"}},
		{name: "designation list as of", as: "member", args: []string{"designation", "list", "--as-of", "2026-06-30"},
			want: []string{"{lg}", "little-giant", "ai-growth-enterprise"}},
		{name: "designation suspend", as: "economy", args: []string{"designation", "suspend", "{lg}", "--reason", "under review"},
			want: []string{"SUSPENDED"}},
		{name: "designation list by status", as: "viewer", args: []string{"designation", "list", "--enterprise", c1, "--status", "suspended"},
			json: map[string]string{"designations.0.id": "{lg}", "designations.0.statusReason": "under review", "designations.1.id": "<missing>"}},
		{name: "designation reinstate", as: "economy", args: []string{"designation", "reinstate", "--reason", "review closed", "{lg}"},
			want: []string{"ACTIVE"}},
		{name: "designation renew", as: "economy", args: []string{"designation", "renew", "{lg}", "--until", "2030-12-31", "--doc", "工信部企业函〔2027〕9号"},
			json: map[string]string{"designation.validUntil": "2030-12-31", "designation.documentNumber": "工信部企业函〔2027〕9号"}},
		{name: "designation grant to revoke", as: "economy",
			args:    []string{"designation", "grant", "hidden-champion", "--enterprise", c2, "--from", "2025-01-01", "--until", "2027-12-31", "--doc", "浙经信〔2025〕1号"},
			capture: map[string]string{"hc": "designation.id"}},
		{name: "designation revoke", as: "economy", args: []string{"designation", "revoke", "{hc}", "--reason", "revoked by the ministry"},
			want: []string{"{hc}", "REVOKED"}},

		// AccessService
		{name: "access rules", as: "admin", args: []string{"access", "rules", "--type", "little-giant"},
			want: []string{"TYPE", "little-giant", "economy-it", "grant"}},
		{name: "access check", as: "admin",
			args: []string{"access", "check", "--subject", "issuer@bureau:talent-office", "--action", "grant", "--type", "little-giant"},
			json: map[string]string{"allowed": "false", "subject": "issuer@bureau:talent-office"}},
		{name: "access check table", as: "admin",
			args: []string{"access", "check", "--subject", "issuer@bureau:economy-it", "--action", "grant", "--type", "little-giant"},
			want: []string{"ALLOWED", "yes"}},
		{name: "token create", as: "admin",
			args:    []string{"token", "create", "--subject", "HR 王敏", "--org", "enterprise:" + c1, "--role", "talent-assessor", "--ttl-days", "30"},
			json:    map[string]string{"info.role": "talent-assessor"},
			capture: map[string]string{"hr": "token", "hr-token-id": "info.id"}},
		{name: "token create table", as: "admin",
			args: []string{"token", "create", "--subject", "张三", "--org", "bureau:economy-it", "--role", "viewer"},
			want: []string{"张三", "viewer", "token: rgt_"}},
		{name: "token list", as: "admin", args: []string{"token", "list"}, want: []string{"HR 王敏", "talent-assessor", "张三"}},

		// TalentAuthorizationService
		{name: "authorization issue", as: "talent",
			args: []string{"authorization", "issue", "--enterprise", c1, "--year", "2026", "--quota", "D=5", "--quota", "e=20",
				"--from", "2026-01-01", "--until", "2026-12-31", "--doc", "杭人才授〔2026〕1号"},
			json:    map[string]string{"authorization.quotas.0.level": "D", "authorization.quotas.1.places": "20", "authorization.year": "2026"},
			capture: map[string]string{"auth": "authorization.id"}},
		{name: "authorization recognize", as: "hr",
			args:    []string{"authorization", "recognize", "--authorization", "{auth}", "--talent", "{talent-id}", "--level", "D", "--from", "2026-07-01", "--until", "2026-12-31"},
			json:    map[string]string{"designation.type": "talent-recognition", "designation.level": "D", "designation.authorizationId": "{auth}"},
			capture: map[string]string{"rec": "designation.id"}},
		{name: "authorization get", as: "hr", args: []string{"authorization", "get", "{auth}"},
			want: []string{"{auth}", "D 4/5, E 20/20", "REMAINING"}},
		{name: "authorization list", as: "talent", args: []string{"authorization", "list", "--enterprise", c1, "--year", "2026"},
			want: []string{"{auth}", "ACTIVE", "杭人才授〔2026〕1号"}},
		{name: "authorization withdraw", as: "hr", args: []string{"authorization", "withdraw", "{rec}", "--reason", "left the company"},
			want: []string{"{rec}", "REVOKED"}},
		{name: "authorization revoke", as: "talent", args: []string{"authorization", "revoke", "{auth}", "--reason", "programme ended"},
			want: []string{"REVOKED", "D 5/5", "reason: programme ended"}},

		// CompetitionService
		{name: "competition register", as: "economy",
			args: []string{"competition", "register", "--name", "杭州人工智能创新大赛", "--organiser", "杭州市经信局", "--year", "2026",
				"--tier", "municipal", "--prize", "一等奖=C", "--prize", "二等奖=d"},
			json:    map[string]string{"competition.tier": "COMPETITION_TIER_MUNICIPAL", "competition.prizeLevels.1.level": "D"},
			capture: map[string]string{"comp": "competition.id"}},
		{name: "competition record-awards", as: "economy",
			args:    []string{"competition", "record-awards", "--competition", "{comp}", "--award", "name=周明,id-number={id2},prize=一等奖,team=钱塘队"},
			json:    map[string]string{"created": "1", "awards.0.level": "C", "awards.0.team": "钱塘队"},
			capture: map[string]string{"award": "awards.0.id"}},
		{name: "competition record-awards from CSV", as: "economy",
			args: []string{"competition", "record-awards", "--competition", "{comp}", "--file", "{csv}"},
			want: []string{"{award}", "李华", "二等奖", "1 recorded, 1 already on record"}},
		{name: "competition get", as: "economy", args: []string{"competition", "get", "{comp}"},
			want: []string{"杭州人工智能创新大赛", "municipal", "一等奖=C, 二等奖=D"}},
		{name: "competition list", as: "talent", args: []string{"competition", "list", "--year", "2026"}, want: []string{"{comp}"}},
		{name: "competition awards", as: "talent", args: []string{"competition", "awards", "--competition", "{comp}"},
			want: []string{"周明", "李华", "RECOGNITION"}},
		{name: "competition recognize-winner", as: "talent",
			args: []string{"competition", "recognize-winner", "{award}", "--from", "2026-09-01", "--until", "2031-08-31", "--doc", "杭人才〔2026〕21号"},
			json: map[string]string{"designation.type": "talent-recognition", "designation.level": "C", "designation.awardId": "{award}"}},

		// ParkService
		{name: "park register", as: "economy",
			args: []string{"park", "register", "west-lake", "--name", "西湖人工智能产业园", "--district", "西湖区", "--operator-org", "西湖区人民政府"},
			want: []string{"west-lake", "西湖人工智能产业园", "西湖区人民政府"}},
		{name: "park get", as: "operator", args: []string{"park", "get", "west-lake"}, json: map[string]string{"park.code": "west-lake"}},
		{name: "park list", as: "economy", args: []string{"park", "list"}, want: []string{"CODE", "west-lake"}},
		{name: "park admit", as: "operator",
			args: []string{"park", "admit", "--park", "west-lake", "--enterprise", c1, "--start", "2026-01-01", "--area", "820"},
			json: map[string]string{"tenancy.enterpriseName": "杭州云栖智算科技有限公司", "tenancy.floorAreaM2": "820"}},
		{name: "park admit another", as: "operator", args: []string{"park", "admit", "--park", "west-lake", "--enterprise", c2, "--start", "2026-01-01"},
			capture: map[string]string{"tenancy": "tenancy.id"}},
		{name: "park end-tenancy", as: "operator", args: []string{"park", "end-tenancy", "{tenancy}", "--end", "2026-06-20", "--reason", "moved out"},
			want: []string{"{tenancy}", "2026-06-20", "moved out"}},
		{name: "park set-rule", as: "operator",
			args: []string{"park", "set-rule", "--park", "west-lake", "--benefit", "rent-reduction", "--any-of", "little-giant,single-champion", "--any-of", "hidden-champion"},
			want: []string{"rent-reduction", "little-giant, single-champion, hidden-champion"}},
		{name: "park rules", as: "operator", args: []string{"park", "rules", "--park", "west-lake"},
			json: map[string]string{"rules.0.benefit": "rent-reduction", "rules.0.anyOfDesignationTypes.2": "hidden-champion"}},
		{name: "park tenants", as: "operator", args: []string{"park", "tenants", "--park", "west-lake", "--as-of", "2026-06-30"},
			want: []string{c1, "820"}},
		{name: "park verify", as: "operator",
			args:    []string{"park", "verify", "--park", "west-lake", "--enterprise", c1, "--benefit", "rent-reduction", "--as-of", "2026-06-30"},
			json:    map[string]string{"eligible": "true", "matchedDesignationTypes.0": "little-giant", "asOf": "2026-06-30"},
			capture: map[string]string{"att": "attestation"}},
		{name: "park verify table", as: "operator",
			args: []string{"park", "verify", "--park", "west-lake", "--enterprise", c1, "--benefit", "rent-reduction", "--as-of", "2026-06-30"},
			want: []string{"ELIGIBLE", "yes", "DESIGNATION_HELD", "attestation: ey"}},

		// VerificationService, without a token
		{name: "public status", as: "anonymous", args: []string{"public", "status", "{lg}"},
			want: []string{"little-giant", "杭州云栖智算科技有限公司", c1, "ACTIVE", "2030-12-31"}},
		{name: "public verify", as: "anonymous", args: []string{"public", "verify", "{att}"},
			want: []string{"VALID", "yes", "west-lake", "{lg}"}},
		{name: "public keys", as: "anonymous", args: []string{"public", "keys"},
			json: map[string]string{"keys.0.kty": "OKP", "keys.0.alg": "EdDSA"}},

		// AuditService
		{name: "audit list", as: "auditor", args: []string{"audit", "list", "--entity", "designation", "--page-size", "3"},
			want: []string{"SEQ", "economy", "grant", "more results: add --page-token"}},
		{name: "audit list since", as: "auditor", args: []string{"audit", "list", "--entity", "designation:{lg}", "--since", "2026-01-01"},
			want: []string{"under review", "review closed"}},
		{name: "audit verify", as: "auditor", args: []string{"audit", "verify"}, json: map[string]string{"ok": "true"}},
	})

	t.Run("public keys saved for offline verify", func(t *testing.T) {
		out, err := h.run("anonymous", "public", "keys", "-o", "json")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(h.vars["jwks"], []byte(out), 0o600); err != nil {
			t.Fatal(err)
		}
		var res registryv1.GetSigningKeysResponse
		if err := protojson.Unmarshal([]byte(out), &res); err != nil || len(res.GetKeys()) == 0 {
			t.Fatalf("not a GetSigningKeysResponse: %v\n%s", err, out)
		}
		var got bytes.Buffer
		err = run(t.Context(), []string{"verify", h.vars["att"], "--jwks", h.vars["jwks"]}, func(string) string { return "" }, nil, &got, io.Discard)
		// The registry's clock is rpctest.Start; the attestation may have
		// expired by the wall clock, but its signature must check.
		if !strings.Contains(got.String(), "signature   valid") {
			t.Fatalf("offline verify: %v\n%s", err, got.String())
		}
		// Flags after the token, -o among them.
		got.Reset()
		err = run(t.Context(), []string{"verify", h.vars["att"], "-o", "json", "--jwks", h.vars["jwks"]}, func(string) string { return "" }, nil, &got, io.Discard)
		var answer map[string]any
		if jerr := json.Unmarshal(got.Bytes(), &answer); jerr != nil || answer["park"] != "west-lake" || answer["eligible"] != true {
			t.Fatalf("verify -o json: %v %v\n%s", err, jerr, got.String())
		}
		// The key set from the environment.
		got.Reset()
		err = run(t.Context(), []string{"verify", h.vars["att"]}, func(k string) string { return map[string]string{"REGISTRY_JWKS": h.vars["jwks"]}[k] }, nil, &got, io.Discard)
		if !strings.Contains(got.String(), "signature   valid") {
			t.Fatalf("verify with REGISTRY_JWKS: %v\n%s", err, got.String())
		}
	})

	// BenefitService, and the transparency list of VerificationService.
	// The registry's clock stands at rpctest.Start, noon of 2026-06-15 in
	// Hangzhou: the application's year is 2026 and its contract falls
	// between the measures' start, 2024-08-19, and that day.
	testSupport(t, h)

	t.Run("attestation refused once the designation changes", func(t *testing.T) {
		if _, err := h.run("economy", "designation", "suspend", h.vars["lg"], "--reason", "audit"); err != nil {
			t.Fatal(err)
		}
		out, err := h.run("anonymous", "public", "verify", h.vars["att"])
		if err == nil || err.Error() != "attestation refused: designation_changed" {
			t.Fatalf("error %v, want attestation refused: designation_changed", err)
		}
		if !strings.Contains(out, "SUSPENDED") {
			t.Errorf("output does not show the suspension:\n%s", out)
		}
	})

	t.Run("revoked token", func(t *testing.T) {
		if _, err := h.run("admin", "token", "revoke", h.vars["hr-token-id"]); err != nil {
			t.Fatal(err)
		}
		if _, err := h.run("hr", "authorization", "get", h.vars["auth"]); err == nil || !strings.HasPrefix(err.Error(), "unauthenticated") {
			t.Fatalf("error %v, want unauthenticated", err)
		}
	})

	t.Run("errors", func(t *testing.T) { testErrors(t, h) })
}

// testErrors checks failures: each is one line naming the code and, for
// invalid arguments, the field, and run returns it so main exits 1.
func testErrors(t *testing.T, h *harness) {
	tests := []struct {
		name string
		as   string
		args []string
		want string // the line main prints
	}{
		{"permission denied", "talent",
			[]string{"designation", "grant", "little-giant", "--enterprise", "{c1}", "--from", "2025-01-01", "--until", "2027-12-31", "--doc", "X"},
			"registryctl: permission_denied: issuer@bureau:talent-office may not grant designation:little-giant"},
		{"another enterprise's records", "member", []string{"enterprise", "get", "{c2}"}, "registryctl: permission_denied: "},
		{"another park's tenants", "other-op", []string{"park", "tenants", "--park", "west-lake"}, "registryctl: permission_denied: "},
		{"invalid credit code", "economy",
			[]string{"designation", "grant", "little-giant", "--enterprise", "91330106MA27XK0A1X", "--from", "2025-01-01", "--until", "2027-12-31", "--doc", "X"},
			"registryctl: invalid_argument: --enterprise: is not a valid unified social credit code: "},
		{"several fields", "economy", []string{"designation", "grant", "little-giant", "--enterprise", "{c1}"},
			"registryctl: invalid_argument: --from: is required (YYYY-MM-DD); --until: is required (YYYY-MM-DD); --doc: is required"},
		{"reason required", "economy", []string{"designation", "revoke", "{lg}"}, "registryctl: invalid_argument: --reason: is required"},
		{"not found", "economy", []string{"enterprise", "get", "{c3}"}, "registryctl: not_found: "},
		{"no token", "anonymous", []string{"enterprise", "list"}, "registryctl: unauthenticated: missing bearer token: send Authorization: Bearer <token> (give --token or set REGISTRY_TOKEN)"},
		{"quota exhausted or precondition", "talent",
			[]string{"authorization", "issue", "--enterprise", "{c2}", "--year", "2026", "--quota", "D=1", "--from", "2026-01-01", "--until", "2026-12-31", "--doc", "X"},
			"registryctl: failed_precondition: "},
		{"bad quota", "talent", []string{"authorization", "issue", "--quota", "D"}, "registryctl: --quota \"D\": want KEY=VALUE"},
		{"misspelt measure", "member", []string{"support", "apply", "--measure", "compute-vocher", "--enterprise", "{c1}"},
			"registryctl: invalid_argument: --measure: must be one of compute-voucher, loan-interest-subsidy, "},
		{"amount fields", "member", []string{"support", "apply", "--measure", "compute-voucher", "--enterprise", "{c1}", "--year", "2026",
			"--basis-reference", "HT-3", "--basis-kind", "other-compute", "--basis-amount-fen", "-1", "--basis-date", "2026-05-10", "--loan-principal-fen", "100"},
			"registryctl: invalid_argument: --basis-amount-fen: must not be negative; --loan-principal-fen: is for loan-interest-subsidy only"},
		{"payer of no district", "economy", []string{"support", "disburse", "{award}", "--amount-fen", "1", "--paid-on", "2026-06-15", "--payer", "district:330199"},
			"registryctl: invalid_argument: --payer: "},
		{"paying beyond the award", "economy", []string{"support", "disburse", "{award}", "--amount-fen", "30000001", "--paid-on", "2026-06-15", "--payer", "city"},
			"registryctl: failed_precondition: amount_fen: award {award} has 300,000.00 yuan left to pay, less than 300,000.01 yuan"},
		{"statement without a year", "member", []string{"support", "statement", "{c1}"}, "registryctl: invalid_argument: --year: is required"},
		{"published page token of another list", "anonymous", []string{"support", "published", "--page-token", "bm90LWEtdG9rZW4"},
			"registryctl: invalid_argument: --page-token: "},
		{"decide without a verdict", "economy", []string{"support", "decide", "{app}"},
			"registryctl: give --approve or --reject; usage: registryctl support decide ID (--approve | --reject --reason TEXT)"},
		{"decide both ways", "economy", []string{"support", "decide", "{app}", "--approve", "--reject", "--reason", "x"},
			"registryctl: --approve and --reject: give one; usage: registryctl support decide ID (--approve | --reject --reason TEXT)"},
		{"bad application status", "economy", []string{"support", "list", "--status", "granted"},
			"registryctl: --status \"granted\": want pending, approved or rejected"},
		{"bad status", "viewer", []string{"designation", "list", "--status", "gone"}, "registryctl: --status \"gone\": want active, suspended, revoked or expired"},
		{"missing argument", "economy", []string{"designation", "suspend", "--reason", "x"}, "registryctl: usage: registryctl designation suspend ID --reason TEXT"},
		{"extra argument", "economy", []string{"enterprise", "get", "a", "b"}, "registryctl: usage: registryctl enterprise get CREDIT_CODE"},
		{"unknown flag", "economy", []string{"enterprise", "get", "{c1}", "--bogus"}, "registryctl: unknown flag: --bogus"},
		{"unknown command", "economy", []string{"enterprise", "delete", "{c1}"}, `registryctl: unknown command "enterprise delete"`},
		{"unknown noun", "economy", []string{"bogus"}, `registryctl: unknown command "bogus"`},
		{"bad output format", "economy", []string{"park", "list", "-o", "yaml"}, `registryctl: -o "yaml": want table or json`},
		{"unreachable", "economy", []string{"park", "list", "--addr", "http://127.0.0.1:1"},
			"registryctl: unavailable: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := h.run(tc.as, tc.args...)
			if err == nil {
				t.Fatalf("succeeded, want %q; output:\n%s", tc.want, out)
			}
			// main prints exactly this and exits 1.
			line := fmt.Sprintln("registryctl:", err)
			if strings.Count(line, "\n") != 1 {
				t.Errorf("error is not one line: %q", line)
			}
			if want := h.expand([]string{tc.want})[0]; !strings.HasPrefix(line, want) {
				t.Errorf("printed %q, want it to start with %q", line, want)
			}
			if out != "" {
				t.Errorf("failure wrote to standard output: %q", out)
			}
		})
	}
}

// TestEnvironment uses REGISTRY_ADDR and REGISTRY_TOKEN, lets flags
// override them, and takes global flags before the command too.
func TestEnvironment(t *testing.T) {
	env := rpctest.New(t, storetest.SQLite(t))
	economy := env.Token(registry.Principal{Subject: "e", Role: "issuer", Org: "bureau:economy-it"})
	viewer := env.Token(registry.Principal{Subject: "v", Role: "viewer", Org: "bureau:economy-it"})
	code := registrytest.CreditCode(t, "91330106MA27XK0A1")
	tests := []struct {
		name    string
		vars    map[string]string
		args    []string
		want    string
		wantErr string
	}{
		{"env address and token", map[string]string{"REGISTRY_ADDR": env.URL, "REGISTRY_TOKEN": economy},
			[]string{"enterprise", "register", code, "--name", "杭州云栖智算科技有限公司"}, code, ""},
		{"host:port address", map[string]string{"REGISTRY_ADDR": strings.TrimPrefix(env.URL, "http://"), "REGISTRY_TOKEN": viewer},
			[]string{"enterprise", "get", code}, "杭州云栖智算科技有限公司", ""},
		{"flags override env", map[string]string{"REGISTRY_ADDR": "http://127.0.0.1:1", "REGISTRY_TOKEN": "rgt_wrong"},
			[]string{"--addr", env.URL, "--token", viewer, "-o", "json", "enterprise", "get", code}, `"creditCode": "` + code + `"`, ""},
		{"env token is used", map[string]string{"REGISTRY_ADDR": env.URL, "REGISTRY_TOKEN": viewer},
			[]string{"enterprise", "register", registrytest.CreditCode(t, "91110000600037341"), "--name", "X"}, "", "permission_denied"},
		{"no token in env", map[string]string{"REGISTRY_ADDR": env.URL},
			[]string{"enterprise", "get", code}, "", "unauthenticated"},
		{"public needs no token", map[string]string{"REGISTRY_ADDR": env.URL}, []string{"public", "keys"}, "EdDSA", ""},
		{"unreachable env address", map[string]string{"REGISTRY_ADDR": "127.0.0.1:1"}, []string{"public", "keys"}, "",
			"(registry at http://127.0.0.1:1; give --addr or set REGISTRY_ADDR)"},
		{"flags after the arguments", map[string]string{"REGISTRY_ADDR": "http://127.0.0.1:1"},
			[]string{"enterprise", "get", code, "-o", "json", "--addr", env.URL, "--token", viewer}, `"creditCode": "` + code + `"`, ""},
		{"flags between the words of the command", map[string]string{"REGISTRY_ADDR": env.URL, "REGISTRY_TOKEN": viewer},
			[]string{"enterprise", "-o", "json", "get", code}, `"creditCode": "` + code + `"`, ""},
		{"-- ends the flags", map[string]string{"REGISTRY_ADDR": env.URL},
			[]string{"public", "status", "--", "--bogus"}, "", "invalid_argument"},
		{"env output", map[string]string{"REGISTRY_ADDR": env.URL, "REGISTRY_TOKEN": viewer, "REGISTRY_OUTPUT": "json"},
			[]string{"enterprise", "get", code}, `"creditCode": "` + code + `"`, ""},
		{"flag beats env output", map[string]string{"REGISTRY_ADDR": env.URL, "REGISTRY_TOKEN": viewer, "REGISTRY_OUTPUT": "json"},
			[]string{"enterprise", "get", code, "-o", "table"}, "CREDIT CODE", ""},
		{"bad env output", map[string]string{"REGISTRY_ADDR": env.URL, "REGISTRY_OUTPUT": "yaml"},
			[]string{"public", "keys"}, "", `-o "yaml": want table or json`},
		{"bad env value names the variable and the flag", map[string]string{"REGISTRY_IMPORT_BATCH": "many"},
			[]string{"import", "enterprises", "-"}, "", `REGISTRY_IMPORT_BATCH="many" (for --batch): invalid argument "many" for "--batch" flag`},
		{"bad date names the flag", map[string]string{"REGISTRY_ADDR": "http://127.0.0.1:1", "REGISTRY_TOKEN": viewer},
			[]string{"designation", "list", "--as-of", "2026-6-30"}, "", `invalid argument "2026-6-30" for "--as-of" flag: want a date YYYY-MM-DD`},
		{"impossible date names the flag", map[string]string{"REGISTRY_ADDR": "http://127.0.0.1:1", "REGISTRY_TOKEN": viewer},
			[]string{"park", "admit", "--park", "west-lake", "--enterprise", code, "--start=2026-02-30"}, "", `invalid argument "2026-02-30" for "--start" flag`},
		{"bad batch names the flag", map[string]string{"REGISTRY_ADDR": "http://127.0.0.1:1"},
			[]string{"import", "enterprises", "-", "--batch", "0"}, "", "--batch 0: want 1 to 5000 rows"},
		{"help", nil, []string{"help"}, "designation grant", ""},
		{"help lists the global flags and their env twins", nil, []string{"--help"}, "--addr URL        the registry's URL (or host:port) (env REGISTRY_ADDR)", ""},
		{"command help lists its flags", nil, []string{"designation", "list", "--help"}, "--as-of date", ""},
		{"command help lists the global flags", nil, []string{"designation", "list", "-h"}, "-o, --output FORMAT   FORMAT of the answers: table or json (one object per answer) (env REGISTRY_OUTPUT)", ""},
		{"help command for a command", nil, []string{"help", "verify"}, "--jwks file   JSON Web Key Set file with the registry's public keys (required) (env REGISTRY_JWKS)", ""},
		{"unknown command suggests", nil, []string{"park", "lst"}, "", `unknown command "park lst"; did you mean "park get" or "park list"?`},
		{"noun without verb", nil, []string{"park"}, "", "park: which command?"},
		{"help for a noun", nil, []string{"help", "park"}, "park verify", ""},
		{"help for the support ledger", nil, []string{"help", "support"}, "support published", ""},
		{"published needs no token", map[string]string{"REGISTRY_ADDR": env.URL}, []string{"support", "published"}, "published: awards of at least 10000000 fen (100,000.00 yuan)", ""},
		{"command help", nil, []string{"designation", "grant", "-h"}, "", ""},
		{"no command", nil, nil, "", "no command"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(t.Context(), tc.args, func(k string) string { return tc.vars[k] }, strings.NewReader(""), &out, io.Discard)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			case !strings.Contains(out.String(), tc.want):
				t.Fatalf("output lacks %q:\n%s", tc.want, out.String())
			}
		})
	}
}

// TestTable checks alignment by display width: a Chinese character takes
// two terminal columns.
func TestTable(t *testing.T) {
	tb := newTable()
	tb.row("CODE", "NAME", "DISTRICT")
	tb.row("a", "西湖人工智能产业园", "西湖区")
	tb.row("bb", "Park", "")
	tb.line("more results: add --page-token x")
	var out bytes.Buffer
	if err := tb.write(&out); err != nil {
		t.Fatal(err)
	}
	want := "CODE  NAME                DISTRICT\n" +
		"a     西湖人工智能产业园  西湖区\n" +
		"bb    Park                -\n" +
		"\nmore results: add --page-token x\n"
	if out.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", out.String(), want)
	}
}
