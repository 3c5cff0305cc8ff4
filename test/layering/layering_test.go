// Package layering keeps the module's imports flowing one way:
//
//	cmd → {rpc, web} → registry → registry/<programme> → registry/internal/core → {store, ent, authz, seal}
//
// with attest, checkpoint, webhook, ident, csvrows and ratelimit as leaves. The test reads the import graph
// from go list, so a new package is held to the rules of its layer the day it
// is added.
package layering

import (
	"bufio"
	"bytes"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/hangzhou-ai/registry"

// pkg lists one package and its imports, tests' imports apart.
type pkg struct {
	path             string
	imports, testImp []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-f",
		`{{.ImportPath}}|{{join .Imports " "}}|{{join .TestImports " "}} {{join .XTestImports " "}}`, module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		parts := strings.Split(sc.Text(), "|")
		pkgs = append(pkgs, pkg{path: strings.TrimPrefix(parts[0], module+"/"), imports: strings.Fields(parts[1]), testImp: strings.Fields(parts[2])})
	}
	return pkgs
}

// under tells whether path is prefix itself or a package below it.
func under(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

// local returns the module-relative path of imp, or "" for imports from
// outside the module.
func local(imp string) string {
	if imp == module {
		return "."
	}
	if rest, ok := strings.CutPrefix(imp, module+"/"); ok {
		return rest
	}
	return ""
}

// programmes are the registry's programme packages and the programme
// packages each may import: the designation hub and the registers below
// it, never a sideways neighbour. imports sits on top: it writes every
// programme's rows.
var programmes = map[string][]string{
	"registry/enterprise":  {},
	"registry/talent":      {"registry/enterprise"},
	"registry/designation": {"registry/enterprise", "registry/talent"},
	"registry/talentauth":  {"registry/designation", "registry/enterprise", "registry/talent"},
	"registry/competition": {"registry/designation", "registry/enterprise", "registry/talent"},
	"registry/park":        {"registry/designation", "registry/enterprise", "registry/keys"},
	"registry/benefit":     {"registry/designation", "registry/enterprise", "registry/keys"},
	"registry/keys":        {},
	"registry/audit":       {},
	"registry/access":      {},
	"registry/change": {"registry/competition", "registry/designation", "registry/enterprise", "registry/park",
		"registry/talent"},
	"registry/webhook": {"registry/change"},
	"registry/imports": {"registry/designation", "registry/enterprise", "registry/talent", "registry/talentauth",
		"registry/competition", "registry/park", "registry/benefit"},
}

// below are the packages under the programmes every programme may import.
var below = []string{"registry/internal/core", "registry/catalog", "ent", "authz", "seal", "ident", "attest", "checkpoint", "webhook"}

var drivers = []string{"github.com/lib/pq", "modernc.org/sqlite"}

func TestLayering(t *testing.T) {
	pkgs := listPackages(t)
	if len(pkgs) < 20 {
		t.Fatalf("listed only %d packages; is the module path right?", len(pkgs))
	}
	seen := map[string]bool{}
	for _, p := range pkgs {
		seen[p.path] = true
	}
	for prog := range programmes {
		if !seen[prog] {
			t.Errorf("programme %s is not in the module: update the table", prog)
		}
	}
	for _, p := range pkgs {
		for _, imp := range p.imports {
			if reason := refuse(p.path, imp); reason != "" {
				t.Errorf("%s imports %s: %s", p.path, imp, reason)
			}
		}
		if under(p.path, "cmd") {
			for _, imp := range p.testImp {
				if l := local(imp); under(l, "ent") || slices.ContainsFunc(drivers, func(d string) bool { return under(imp, d) }) {
					t.Errorf("%s's tests import %s: commands are tried through their flags, never through the database", p.path, imp)
				}
			}
		}
	}
}

// refuse returns why package path may not import imp, or "".
func refuse(path, imp string) string {
	l := local(imp)
	isDriver := slices.ContainsFunc(drivers, func(d string) bool { return under(imp, d) })
	switch {
	case isDriver && !under(path, "store") && path != "ent/migrate/gen":
		return "only store opens databases (and the migration generator, a development tool)"
	case under(l, "ent") && !under(path, "ent") && !under(path, "store") && !under(path, "registry") && !under(path, "authz"):
		return "only store, registry and authz reach ent"
	case under(path, "cmd") && (under(l, "store/storetest") || under(l, "registry/internal")):
		return "commands use the registry's API"
	case (under(path, "rpc") || under(path, "web")) && (under(l, "store") || under(l, "ent")) &&
		!(strings.HasSuffix(path, "test") && under(l, "store/storetest")):
		return "adapters reach storage only through registry"
	case under(path, "registry") && (strings.HasPrefix(imp, "connectrpc.com/") || strings.HasPrefix(imp, "google.golang.org/protobuf") ||
		imp == "net/http" || under(l, "rpc") || under(l, "web") || under(l, "cmd")):
		return "the registry knows no protocol"
	case under(path, "authz") && l != "" && !under(l, "ent") && !under(l, "authz"):
		return "authz stands on ent alone"
	case under(path, "ent") && l != "" && !under(l, "ent"):
		return "ent is generated from its schema alone"
	case (under(path, "seal") || under(path, "ident") || under(path, "attest") || under(path, "checkpoint") || under(path, "webhook") || under(path, "csvrows") || under(path, "ratelimit")) && l != "" && !under(l, path):
		return "leaves import nothing of the module"
	case under(path, "store") && l != "" && !under(l, "store") && !under(l, "ent"):
		return "store knows only ent"
	case under(path, "registry/catalog") && l != "" && !under(l, "ent") && !under(l, "authz"):
		return "the catalogue is data over ent and authz"
	case under(path, "registry/internal/core") && l != "" && !slices.ContainsFunc([]string{"registry/internal/core", "registry/catalog", "store", "ent", "authz", "seal", "ident"},
		func(b string) bool { return under(l, b) }):
		return "core knows no programme"
	}
	for prog, allowed := range programmes {
		if !under(path, prog) || l == "" || under(l, prog) {
			continue
		}
		switch {
		case slices.ContainsFunc(below, func(b string) bool { return under(l, b) }), slices.Contains(allowed, l):
			return ""
		case l == "registry" || under(l, "registry"):
			return "a programme imports only the programmes under it (see the programmes table)"
		default:
			return "a programme imports only core and what lies below it"
		}
	}
	return ""
}

// TestLayeringRefuses checks the rules themselves on imports the module
// must never make.
func TestLayeringRefuses(t *testing.T) {
	for _, tc := range []struct{ path, imp string }{
		{"cmd/registryd", module + "/ent"},
		{"cmd/registrybench", "github.com/lib/pq"},
		{"rpc", module + "/store"},
		{"rpc", module + "/ent/designation"},
		{"registry/park", module + "/registry/talentauth"},
		{"registry/designation", module + "/registry/talentauth"},
		{"registry/designation", module + "/registry"},
		{"registry/internal/core", module + "/registry/designation"},
		{"registry", "connectrpc.com/connect/v2"},
		{"registry/talent", "net/http"},
		{"seal", module + "/ent"},
		{"attest", module + "/registry"},
		{"checkpoint", module + "/registry"},
		{"webhook", module + "/registry/change"},
		{"registry/webhook", module + "/registry/park"},
		{"authz", module + "/registry"},
		{"store", module + "/registry"},
	} {
		if refuse(tc.path, tc.imp) == "" {
			t.Errorf("%s may import %s, which the rules must refuse", tc.path, tc.imp)
		}
	}
	for _, tc := range []struct{ path, imp string }{
		{"registry/park", module + "/registry/designation"},
		{"registry/imports", module + "/registry/park"},
		{"store", "github.com/lib/pq"},
		{"rpc", module + "/registry/designation"},
	} {
		if why := refuse(tc.path, tc.imp); why != "" {
			t.Errorf("%s may not import %s (%s), which the layout allows", tc.path, tc.imp, why)
		}
	}
}
