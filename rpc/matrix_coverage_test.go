package rpc_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// matrixRPCs lists the RPCs (Service.Method) that some authorization
// matrix row calls, from the rows' names ("Service.Method" or
// "Service.Method:situation").
func matrixRPCs() map[string]bool {
	var names []string
	for _, r := range matrixRows() {
		names = append(names, r.rpc)
	}
	for _, r := range slices.Concat(tmRows(), tmProbingRows()) {
		names = append(names, r.rpc)
	}
	for _, r := range slices.Concat(pmRows(), pmProbingRows()) {
		names = append(names, r.rpc)
	}
	for _, r := range bmRows() {
		names = append(names, r.rpc)
	}
	covered := map[string]bool{}
	for _, n := range names {
		rpc, _, _ := strings.Cut(n, ":")
		covered[rpc] = true
	}
	return covered
}

// TestMatricesCoverEveryRPC reads the services' descriptors and requires
// every RPC, streams included, to appear in an authorization matrix, so a
// new RPC cannot ship without its table of who may call it.
func TestMatricesCoverEveryRPC(t *testing.T) {
	covered := matrixRPCs()
	for _, md := range registryMethods(t) {
		name := fmt.Sprintf("%s.%s", md.Parent().Name(), md.Name())
		if !covered[name] {
			t.Errorf("%s (%s) is in no authorization matrix", name, md.FullName())
		}
		delete(covered, name)
	}
	for name := range covered {
		t.Errorf("a matrix row names %s, which no service has", name)
	}
}
