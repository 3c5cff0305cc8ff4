package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/hangzhou-ai/registry/csvrows"
	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/access"
	"github.com/hangzhou-ai/registry/registry/imports"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// TestImportStopsWithItsSession starts a console import whose session has
// just been signed out: it stops before its first batch, writes nothing,
// and says why. A second import, whose session lives, runs to the end.
func TestImportStopsWithItsSession(t *testing.T) {
	reg, _ := registrytest.Open(t, storetest.SQLite(t))
	s, err := New(reg, zap.NewNop(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	issuer := registry.Principal{Subject: "import-test", Org: "bureau:economy-it", Role: "issuer"}
	token, _, err := reg.IssueToken(context.Background(), issuer, access.NewToken{Subject: issuer.Subject, Org: issuer.Org, Role: issuer.Role})
	if err != nil {
		t.Fatal(err)
	}
	kind, _ := importKindNamed(string(imports.ImportEnterprises))
	code := registrytest.CreditCode(t, "91330106MA27XK0A1")
	run := func(signOut bool) *importJob {
		session, _, err := reg.StartSession(context.Background(), token)
		if err != nil {
			t.Fatal(err)
		}
		rd, err := csvrows.NewReader(strings.NewReader("credit_code,name\n"+code+",杭州云栖智算科技有限公司\n"), csvrows.EncodingAuto)
		if err != nil {
			t.Fatal(err)
		}
		rows, p := kind.parse(rd)
		if p != nil {
			t.Fatalf("parse: %+v", p)
		}
		r := httptest.NewRequest(http.MethodPost, "/console/import", nil)
		r.AddCookie(&http.Cookie{Name: sessionCookie, Value: session})
		r = r.WithContext(registry.WithPrincipal(r.Context(), issuer))
		if signOut {
			if err := reg.EndSession(context.Background(), session); err != nil {
				t.Fatal(err)
			}
		}
		release, err := s.importSlots.Acquire(issuer)
		if err != nil {
			t.Fatal(err)
		}
		id, p := s.launchImport(r, release, kind, "x.csv", imports.ImportOptions{}, rows)
		if p != nil {
			t.Fatalf("launch: %+v", p)
		}
		job, _ := s.imports.get(id, issuer)
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if v := job.view(); !v.Running {
				return job
			}
		}
		t.Fatal("the import did not end")
		return nil
	}
	if v := run(true).view(); v.Failure != sessionEnded {
		t.Errorf("an import whose session ended: failure %+v, want sessionEnded", v.Failure)
	}
	if _, err := reg.GetEnterprise(registry.WithPrincipal(context.Background(), issuer), code); registry.KindOf(err) != registry.KindNotFound {
		t.Fatalf("the stopped import wrote the enterprise: %v", err)
	}
	if v := run(false).view(); v.Failure != nil {
		t.Errorf("an import whose session lives: failure %+v", v.Failure)
	}
	if _, err := reg.GetEnterprise(registry.WithPrincipal(context.Background(), issuer), code); err != nil {
		t.Errorf("the import did not write the enterprise: %v", err)
	}
}

// TestKeptDryRuns checks that one principal's dry runs keep at most
// maxKeptPerOwner sets of rows, its newest, without pushing out another's.
func TestKeptDryRuns(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	js := newImportJobs()
	js.now = func() time.Time { return now }
	a := registry.Principal{Subject: "a", Org: "bureau:economy-it", Role: "issuer"}
	b := registry.Principal{Subject: "b", Org: "bureau:economy-it", Role: "issuer"}
	rows := rowsOf[imports.EnterpriseRow]{rows: make([]imports.EnterpriseRow, 1)}
	add := func(id string, owner registry.Principal, age time.Duration) {
		js.jobs[id] = &importJob{id: id, owner: owner, ended: now.Add(-age), rows: rows}
	}
	add("b-old", b, 10*time.Minute)
	for i, age := range []time.Duration{5, 4, 3, 2, 1} {
		add(fmt.Sprint("a", i), a, age*time.Minute)
	}
	js.mu.Lock()
	js.tidy()
	js.mu.Unlock()
	for id, want := range map[string]bool{"b-old": true, "a0": false, "a1": false, "a2": false, "a3": true, "a4": true} {
		if got := js.jobs[id].rows != nil; got != want {
			t.Errorf("%s keeps its rows: %v, want %v", id, got, want)
		}
	}
}
