package main

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/hangzhou-ai/registry/registry/registrytest"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
)

// changeLines decodes JSON Lines of changes.
func changeLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for line := range strings.Lines(out) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON line: %q: %v", line, err)
		}
		lines = append(lines, m)
	}
	return lines
}

func TestChangesCommands(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	economy := h.env.As("issuer", "bureau:economy-it")
	register := func(first17 string) {
		t.Helper()
		code := registrytest.CreditCode(t, first17)
		if _, err := economy.Enterprise.RegisterEnterprise(ctx, &registryv1.RegisterEnterpriseRequest{CreditCode: code, Name: "企业" + code[12:]}); err != nil {
			t.Fatal(err)
		}
	}
	register("91330106MA27XK0A1")
	register("91110000600037341")
	out, err := h.run("auditor", "changes", "list", "--page-size", "1")
	if err != nil {
		t.Fatal(err)
	}
	all := changeLines(t, out)
	if len(all) != 2 || all[0]["entityType"] != "enterprise" || jsonPath(all[1], "after.enterprise.name") == "<missing>" {
		t.Fatalf("changes list printed %s", out)
	}
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"after the first", []string{"--after", all[0]["cursor"].(string)}, 1},
		{"after the last", []string{"--after", all[1]["cursor"].(string)}, 0},
		{"of another type", []string{"--type", "talent,park"}, 0},
		{"of its type", []string{"--type", "enterprise"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := h.run("auditor", append([]string{"changes", "list"}, tc.args...)...)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(changeLines(t, out)); got != tc.want {
				t.Fatalf("%d lines, want %d: %s", got, tc.want, out)
			}
		})
	}
	t.Run("bad cursor", func(t *testing.T) {
		_, err := h.run("auditor", "changes", "list", "--after", "nope")
		if err == nil || !strings.Contains(err.Error(), "--after") {
			t.Fatalf("got %v, want an error naming --after", err)
		}
	})
	t.Run("watch", func(t *testing.T) {
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		w := &lineWriter{want: 3, done: cancel}
		errc := make(chan error, 1)
		go func() {
			errc <- run(wctx, []string{"--addr", h.env.URL, "--token", h.tokens["auditor"], "changes", "watch", "--after", all[0]["cursor"].(string)},
				func(string) string { return "" }, strings.NewReader(""), w, io.Discard)
		}()
		// The backlog's one change, then two that commit while watching.
		register("91330106MA27XK0B1")
		register("91330106MA27XK0C1")
		if err := <-errc; err != nil {
			t.Fatalf("an interrupted watch failed: %v", err)
		}
		lines := changeLines(t, w.String())
		if len(lines) < 3 || lines[0]["cursor"] != all[1]["cursor"] {
			t.Fatalf("watch printed %s", w.String())
		}
	})
}

// lineWriter collects output and calls done once it holds want lines.
type lineWriter struct {
	mu   sync.Mutex
	b    strings.Builder
	want int
	done func()
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b.Write(p)
	if strings.Count(w.b.String(), "\n") >= w.want {
		w.done()
	}
	return len(p), nil
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
