package rpc_test

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/hangzhou-ai/registry"

// TestLayering keeps imports flowing one way: cmd → rpc → registry →
// {ent, authz}. rpc never imports ent; registry never imports Connect or
// generated protobuf; authz and ent know nothing above them.
func TestLayering(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	rules := []struct {
		pkgPrefix string
		forbidden []string
	}{
		{module + "/rpc", []string{module + "/ent"}},
		{module + "/registry", []string{"connectrpc.com/", module + "/rpc", "google.golang.org/protobuf", module + "/cmd"}},
		{module + "/authz", []string{module + "/registry", module + "/rpc", "connectrpc.com/"}},
		{module + "/ent", []string{module + "/registry", module + "/rpc", module + "/authz"}},
		// attest is a leaf that offline verifiers use alone.
		{module + "/attest", []string{module + "/"}},
	}
	checked := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		pkg, imports := fields[0], fields[1:]
		for _, r := range rules {
			if pkg != r.pkgPrefix && !strings.HasPrefix(pkg, r.pkgPrefix+"/") {
				continue
			}
			checked++
			for _, imp := range imports {
				for _, f := range r.forbidden {
					if imp == f || strings.HasPrefix(imp, f+"/") || (strings.HasSuffix(f, "/") && strings.HasPrefix(imp, f)) {
						t.Errorf("%s imports %s, which its layer must not", pkg, imp)
					}
				}
			}
		}
	}
	if checked < 5 {
		t.Fatalf("checked only %d packages; is the module path right?", checked)
	}
}
