package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hangzhou-ai/registry/rpc/rpctest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// The README's curl examples are a script. TestReadmeJourneys extracts
// every ```sh block made only of calls, curl requests, shell variables and
// shell functions, runs those blocks top to bottom in one bash against a
// fresh `registryd serve --demo`, and checks each request's answer:
//
//   - a line `NAME=rgt_…   # role organisation` stands for a token the
//     demo prints; the test supplies it in the environment;
//   - a comment `# {…}` right after a request (continued on lines starting
//     `#  `) shows the answer's key fields: `{"code":"x", …}` means the call
//     fails with Connect code x, anything else means it succeeds, and every
//     `"key":value` pair given with a scalar value or a list of scalars
//     (without `…`) must appear somewhere in the answer;
//   - every other request must succeed;
//   - a variable assignment must leave the variable non-empty.

// readmeBase is the address the README's examples call.
const readmeBase = "http://localhost:8080"

// readmeStep is one command of a README sh block.
type readmeStep struct {
	section string
	line    int    // of README.md where the command starts
	text    string // the command, possibly several lines
	expect  string // the comment after it starting `# {`, without the `#`s
}

// title names a step: the variable it sets, the function it defines, or
// the first words of its request, e.g. "call $HR
// TalentAuthorizationService/RecognizeTalent".
func (s readmeStep) title() string {
	switch s.kind() {
	case "token", "assignment":
		return assignRE.FindString(s.text)
	case "function":
		return wordRE.FindString(s.text) + "()"
	}
	words := strings.Fields(s.text)
	return strings.Join(words[:min(3, len(words))], " ")
}

// kind tells what the test checks about a step.
func (s readmeStep) kind() string {
	switch {
	case placeholderRE.MatchString(s.text):
		return "token"
	case funcDefRE.MatchString(s.text):
		return "function"
	case assignRE.MatchString(s.text):
		return "assignment"
	default:
		return "request"
	}
}

var (
	placeholderRE = regexp.MustCompile(`^([A-Z][A-Z0-9_]*)=rgt_…\s+#\s*(\S+)\s+(\S+)`)
	funcDefRE     = regexp.MustCompile(`^[a-z_][a-z0-9_]*\(\)\s*\{`)
	assignRE      = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)=`)
	wordRE        = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*`)
)

// readmeBlock is a fenced sh block of README.md.
type readmeBlock struct {
	section string
	steps   []readmeStep
}

// shellState follows quoting across lines, enough to tell where a command
// of the README ends.
type shellState struct {
	single, double bool
	braces         int
	continued      bool // the line ended with a backslash
}

func (s *shellState) scan(line string) {
	s.continued = false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case s.single:
			s.single = c != '\''
		case s.double:
			if c == '\\' {
				i++
			} else {
				s.double = c != '"'
			}
		case c == '\\':
			if i == len(line)-1 {
				s.continued = true
			}
			i++
		case c == '\'':
			s.single = true
		case c == '"':
			s.double = true
		case c == '{':
			s.braces++
		case c == '}':
			s.braces--
		case c == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
			return // a comment to the end of the line
		}
	}
}

func (s *shellState) open() bool { return s.single || s.double || s.braces > 0 || s.continued }

// readmeBlocks splits README.md's sh blocks into commands, each with the
// answer comment that follows it.
func readmeBlocks(t *testing.T, readme string) []readmeBlock {
	t.Helper()
	var (
		blocks  []readmeBlock
		section string
		inBlock bool
		sh      shellState
		cur     *readmeStep
		inExp   bool
	)
	for i, line := range strings.Split(readme, "\n") {
		n := i + 1
		if !inBlock {
			if strings.HasPrefix(line, "#") {
				section = strings.TrimSpace(strings.TrimLeft(line, "#"))
			}
			if line == "```sh" {
				inBlock = true
				blocks = append(blocks, readmeBlock{section: section})
				sh, cur, inExp = shellState{}, nil, false
			}
			continue
		}
		b := &blocks[len(blocks)-1]
		switch {
		case line == "```":
			if sh.open() {
				t.Fatalf("README.md:%d: the sh block ends inside a command", n)
			}
			inBlock = false
		case cur != nil && sh.open():
			cur.text += "\n" + line
			sh.scan(line)
		case strings.TrimSpace(line) == "":
			inExp = false
		case strings.HasPrefix(line, "#"):
			switch {
			case cur != nil && cur.expect == "" && !inExp && strings.HasPrefix(line, "# {"):
				cur.expect, inExp = strings.TrimPrefix(line, "# "), true
			case inExp && strings.HasPrefix(line, "#  "):
				cur.expect += " " + strings.TrimSpace(strings.TrimPrefix(line, "#"))
			default:
				inExp = false
			}
		default:
			b.steps = append(b.steps, readmeStep{section: section, line: n, text: line})
			cur, inExp = &b.steps[len(b.steps)-1], false
			sh = shellState{}
			sh.scan(line)
		}
	}
	return blocks
}

// runnable reports whether every command of b is a request this test can
// make (call, curl or a function the README defines), a variable or a
// function definition; blocks for other tools (registryctl, grpcurl, go)
// are left to their own tests.
func runnable(b readmeBlock, funcs map[string]bool) bool {
	for _, s := range b.steps {
		if s.kind() != "request" {
			continue
		}
		w := wordRE.FindString(s.text)
		if w != "call" && w != "curl" && !funcs[w] {
			return false
		}
	}
	return len(b.steps) > 0
}

// TestReadmeJourneys runs the README's curl journeys as written against
// `registryd serve --demo` on a new SQLite file (and on PostgreSQL when
// REGISTRY_TEST_DATABASE_URL is set), checking every documented answer.
func TestReadmeJourneys(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatalf("the README's examples need bash: %v", err)
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var steps []readmeStep
	funcs := map[string]bool{}
	for _, b := range readmeBlocks(t, string(readme)) {
		for _, s := range b.steps {
			if s.kind() == "function" {
				funcs[wordRE.FindString(s.text)] = true
			}
		}
		if runnable(b, funcs) {
			steps = append(steps, b.steps...)
		} else {
			t.Logf("not run: the sh block at README.md:%d (%s)", b.steps[0].line, b.section)
		}
	}
	var requests int
	for _, s := range steps {
		if s.kind() == "request" {
			requests++
		}
	}
	if !funcs["call"] || requests < 30 {
		t.Fatalf("found %d requests and functions %v in the README's sh blocks; want the call helper and the journeys", requests, funcs)
	}

	dbs := []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "registry.db") }},
		{"postgres", func(t *testing.T) string { return storetest.Postgres(t).URL }},
	}
	for _, db := range dbs {
		t.Run(db.name, func(t *testing.T) {
			if db.name == "postgres" && os.Getenv(storetest.PostgresEnv) == "" {
				t.Skip(storetest.PostgresEnv + " is not set")
			}
			vars := map[string]string{}
			if db.name == "postgres" {
				vars["REGISTRY_SECRET_KEY"] = strings.Repeat("5a", 32) // PostgreSQL requires a key
			}
			base, tokens := startDemo(t, db.url(t), vars)
			answers := runReadmeScript(t, bash, steps, base, tokens)
			for i, s := range steps {
				t.Run(fmt.Sprintf("README.md:%d %s", s.line, s.title()), func(t *testing.T) {
					checkStep(t, s, answers[i])
				})
			}
		})
	}
}

// checkStep checks what one step printed.
func checkStep(t *testing.T, s readmeStep, out string) {
	t.Helper()
	switch s.kind() {
	case "token", "function":
		if out != "" {
			t.Errorf("printed %q", out)
		}
	case "assignment":
		if out != "set" {
			t.Errorf("left %s empty", assignRE.FindStringSubmatch(s.text)[1])
		}
	default:
		if err := checkAnswer(s.expect, out); err != nil {
			t.Errorf("%v\nanswer: %s", err, clip(out))
		}
	}
}

func clip(s string) string {
	if len(s) > 800 {
		return s[:800] + "…"
	}
	return s
}

// startDemo runs `registryd serve --demo` on databaseURL and a free port,
// with environment vars, until the test ends, and returns its address and the tokens it printed
// by "role organisation".
func startDemo(t *testing.T, databaseURL string, vars map[string]string) (string, map[string]string) {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(t.Context())
	var stdout, stderr rpctest.SyncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--demo", "--addr", addr, "--database-url", databaseURL}, env(vars), &stdout, &stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v\n%s", err, stderr.String())
			}
		case <-time.After(20 * time.Second):
			t.Error("serve did not shut down")
		}
	})
	base := "http://" + addr
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		res, err := http.Post(base+"/grpc.health.v1.Health/Check", "application/json", strings.NewReader(`{}`))
		if err == nil {
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if strings.Contains(string(body), "SERVING") {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo server did not start: %v\n%s", err, stderr.String())
		}
	}
	tokens := map[string]string{}
	for _, line := range strings.Split(stdout.String(), "\n")[1:] {
		if f := strings.Fields(line); len(f) == 3 {
			tokens[f[0]+" "+f[1]] = f[2]
		}
	}
	return base, tokens
}

// runReadmeScript runs steps as one bash script against base and returns
// what each step printed.
func runReadmeScript(t *testing.T, bash string, steps []readmeStep, base string, tokens map[string]string) []string {
	t.Helper()
	var script strings.Builder
	script.WriteString("set -u\n")
	environ := os.Environ()
	for i, s := range steps {
		fmt.Fprintf(&script, "printf '\\n@@step %d\\n'\n", i)
		switch s.kind() {
		case "token":
			m := placeholderRE.FindStringSubmatch(s.text)
			tok, ok := tokens[m[2]+" "+m[3]]
			if !ok {
				t.Fatalf("README.md:%d: the demo prints no token for %s %s", s.line, m[2], m[3])
			}
			environ = append(environ, m[1]+"="+tok)
		case "assignment":
			name := assignRE.FindStringSubmatch(s.text)[1]
			fmt.Fprintf(&script, "%s\nprintf '%%s' \"${%s:+set}\"\n", s.text, name)
		default:
			script.WriteString(s.text + "\n")
		}
	}
	fmt.Fprintf(&script, "printf '\\n@@step %d\\n'\n", len(steps))
	text := script.String()
	if !strings.Contains(text, readmeBase) {
		t.Fatalf("the README's examples do not call %s", readmeBase)
	}
	text = strings.ReplaceAll(text, readmeBase, base)

	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bash, "-c", text)
	cmd.Dir = t.TempDir()
	// No ~/.curlrc, and no proxy between curl and the loopback server.
	cmd.Env = append(environ, "HOME="+cmd.Dir, "NO_PROXY=*", "no_proxy=*")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Errorf("bash: %v\n%s", err, stderr.String())
	} else if stderr.Len() > 0 {
		t.Errorf("the examples wrote to stderr:\n%s", stderr.String())
	}
	answers := make([]string, len(steps))
	parts := regexp.MustCompile(`\n@@step (\d+)\n`).Split("\n"+stdout.String(), -1)
	marks := regexp.MustCompile(`\n@@step (\d+)\n`).FindAllStringSubmatch("\n"+stdout.String(), -1)
	for k, m := range marks {
		i, _ := strconv.Atoi(m[1])
		if i < len(steps) {
			answers[i] = strings.TrimSpace(parts[k+1])
		}
	}
	return answers
}

// connectCodes are the codes of the Connect protocol.
var connectCodes = []string{
	"canceled", "unknown", "invalid_argument", "deadline_exceeded", "not_found", "already_exists",
	"permission_denied", "resource_exhausted", "failed_precondition", "aborted", "out_of_range",
	"unimplemented", "internal", "unavailable", "data_loss", "unauthenticated",
}

// errorCode returns the code of a Connect error answer.
func errorCode(answer any) (string, bool) {
	m, ok := answer.(map[string]any)
	if !ok {
		return "", false
	}
	code, _ := m["code"].(string)
	if !slices.Contains(connectCodes, code) {
		return "", false
	}
	for k := range m {
		if k != "code" && k != "message" && k != "details" {
			return "", false
		}
	}
	return code, true
}

// readmePair is a "key":value the README says an answer holds.
type readmePair struct {
	key   string
	value any
}

// expectedPairs returns the pairs of an answer comment that can be
// checked: those whose value is a scalar or a list of scalars, without the
// "…" that stands for what the README leaves out. Keys inside objects and
// lists are found too.
func expectedPairs(comment string) []readmePair {
	var pairs []readmePair
	for i := 0; i < len(comment); {
		if comment[i] != '"' {
			i++
			continue
		}
		end := i + 1
		for end < len(comment) && comment[end] != '"' {
			if comment[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(comment) {
			break
		}
		end++ // past the closing quote
		j := end
		for j < len(comment) && comment[j] == ' ' {
			j++
		}
		if j >= len(comment) || comment[j] != ':' {
			i = end // a string value
			continue
		}
		var key string
		if json.Unmarshal([]byte(comment[i:end]), &key) == nil {
			var v any
			if json.NewDecoder(strings.NewReader(comment[j+1:])).Decode(&v) == nil && checkable(v) {
				pairs = append(pairs, readmePair{key, v})
			}
		}
		i = j + 1
	}
	return pairs
}

func checkable(v any) bool {
	switch v := v.(type) {
	case string:
		return !strings.Contains(v, "…")
	case float64, bool, nil:
		return true
	case []any:
		for _, e := range v {
			switch e.(type) {
			case []any, map[string]any:
				return false
			}
			if !checkable(e) {
				return false
			}
		}
		return true
	default:
		return false
	}
}

// holds reports whether answer has key with value at any depth. A zero
// value (false, 0, "", []) also holds when key is absent altogether, as a
// JSON encoding that leaves zero values out would show it.
func holds(answer any, key string, value any) bool {
	found, equal := false, false
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if k == key {
					found = true
					equal = equal || reflect.DeepEqual(e, value)
				}
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(answer)
	return equal || (!found && isZero(value))
}

func isZero(v any) bool {
	switch v := v.(type) {
	case bool:
		return !v
	case float64:
		return v == 0
	case string:
		return v == ""
	case []any:
		return len(v) == 0
	}
	return v == nil
}

// checkAnswer checks one request's answer against the README's comment
// after it (empty: the request must succeed).
func checkAnswer(comment, out string) error {
	var answer any
	if err := json.Unmarshal([]byte(out), &answer); err != nil {
		return fmt.Errorf("the answer is not JSON: %v", err)
	}
	code, failed := errorCode(answer)
	pairs := expectedPairs(comment)
	wantCode := ""
	if strings.HasPrefix(comment, `{"code":`) && len(pairs) > 0 && pairs[0].key == "code" {
		wantCode, _ = pairs[0].value.(string)
		pairs = pairs[1:]
	}
	switch {
	case wantCode == "" && failed:
		return fmt.Errorf("failed with %s; the README shows it succeed", code)
	case wantCode != "" && !failed:
		return fmt.Errorf("succeeded; the README says %s", wantCode)
	case wantCode != code:
		return fmt.Errorf("failed with %s; the README says %s", code, wantCode)
	}
	for _, p := range pairs {
		if !holds(answer, p.key, p.value) {
			b, _ := json.Marshal(p.value)
			return fmt.Errorf("the README shows %q:%s, which the answer does not hold", p.key, b)
		}
	}
	return nil
}

// TestReadmeAnswerChecks shows that checkAnswer refuses answers that differ
// from what a README comment documents.
func TestReadmeAnswerChecks(t *testing.T) {
	tests := []struct {
		name, comment, answer string
		ok                    bool
	}{
		{"success without comment", "", `{"designation":{"id":"d1"}}`, true},
		{"error without comment", "", `{"code":"permission_denied","message":"no"}`, false},
		{"a field named code is no error", "", `{"code":"binjiang","name":"滨江人工智能产业园"}`, true},
		{"documented code", `{"code":"permission_denied", ...}`, `{"code":"permission_denied","message":"no"}`, true},
		{"other code", `{"code":"failed_precondition", …}`, `{"code":"permission_denied","message":"no"}`, false},
		{"documented error succeeds", `{"code":"aborted",…}`, `{"designation":{"id":"d1"}}`, false},
		{"documented message", `{"code":"permission_denied","message":"a may not b"}`, `{"code":"permission_denied","message":"a may not c"}`, false},
		{"nested pairs", `{"eligible":true,"reasons":[{"code":"TENANCY_ACTIVE",…},{"code":"DESIGNATION_HELD",…}],"attestation":"eyJ…"}`,
			`{"eligible":true,"reasons":[{"code":"TENANCY_ACTIVE"},{"code":"DESIGNATION_HELD"}],"attestation":"x"}`, true},
		{"nested pair missing", `{"eligible":true,"reasons":[{"code":"DESIGNATION_HELD",…}]}`,
			`{"eligible":true,"reasons":[{"code":"TENANCY_ACTIVE"}]}`, false},
		{"list of scalars", `{"matchedDesignationTypes":["little-giant"]}`, `{"matchedDesignationTypes":["little-giant","ai-growth-enterprise"]}`, false},
		{"elided value", `{"ok":true,"eventsChecked":"…"}`, `{"ok":true,"eventsChecked":"31"}`, true},
		{"wrong scalar", `{"ok":true}`, `{"ok":false,"firstBadSequence":"3"}`, false},
		{"zero left out", `{"awards":[…],"created":0}`, `{"awards":[{"id":"a1"}]}`, true},
		{"zero shown", `{"created":0}`, `{"awards":[],"created":0}`, true},
		{"zero expected, other value", `{"created":0}`, `{"created":1}`, false},
		{"escaped quotes", `{"rule":"no rule lets role \"issuer\" grant", …}`, `{"rule":"no rule lets role \"issuer\" grant"}`, true},
		{"not JSON", "", `curl: (7) Failed to connect`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkAnswer(tt.comment, tt.answer)
			if (err == nil) != tt.ok {
				t.Fatalf("checkAnswer(%s, %s) = %v, want ok=%v", tt.comment, tt.answer, err, tt.ok)
			}
		})
	}
}
