package designation_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/hangzhou-ai/registry/ident"
	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/audit"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/registry/talent"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// Principals of these tests.
var (
	economy  = [2]string{"issuer", "bureau:economy-it"}
	talents  = [2]string{"issuer", "bureau:talent-office"}
	viewer   = [2]string{"viewer", "bureau:economy-it"}
	auditor  = [2]string{"auditor", "auditor"}
	admin    = [2]string{"admin", "admin"}
	operator = [2]string{"operator", "park:west-lake"}
)

func as(who [2]string) context.Context {
	return registrytest.As(context.Background(), who[0], who[1])
}

func issuerOf(bureau string) [2]string { return [2]string{"issuer", "bureau:" + bureau} }
func member(code string) [2]string     { return [2]string{"member", "enterprise:" + code} }

// A missing designation id, well formed.
const missingID = "01970000-0000-7000-8000-000000000000"

// world is a registry with two enterprises, A and B, and a talent employed
// by A and one employed by nobody.
type world struct {
	reg                 *registry.Registry
	clock               *storetest.Clock
	a, b                string // credit codes
	employee, freelance string // talent ids
}

func newWorld(t *testing.T, db storetest.Database) *world {
	t.Helper()
	reg, clock := registrytest.Open(t, db)
	w := &world{reg: reg, clock: clock}
	for i, c := range []*string{&w.a, &w.b} {
		code, err := ident.CompleteCreditCode(fmt.Sprintf("91330108MA%07d", i+1))
		if err != nil {
			t.Fatal(err)
		}
		*c = code
		if _, err := reg.RegisterEnterprise(as(economy), enterprise.NewEnterprise{CreditCode: code, Name: fmt.Sprintf("示例科技%d有限公司", i+1)}); err != nil {
			t.Fatal(err)
		}
	}
	for i, x := range []struct {
		id       *string
		employer string
	}{{&w.employee, w.a}, {&w.freelance, ""}} {
		number, err := ident.CompleteIDNumber(fmt.Sprintf("33010619850505%03d", i+1))
		if err != nil {
			t.Fatal(err)
		}
		tal, err := reg.RegisterTalent(as(talents), talent.NewTalent{Name: "人才", IDNumber: number, EmployerCreditCode: x.employer})
		if err != nil {
			t.Fatal(err)
		}
		*x.id = tal.ID
	}
	return w
}

// seq makes document numbers unique across a test.
var seq int

func doc() string {
	seq++
	return fmt.Sprintf("杭经信〔2026〕%d号", seq)
}

// littleGiant is a valid grant of little-giant to A.
func (w *world) littleGiant() designation.Grant {
	return designation.Grant{Type: "little-giant", EnterpriseCreditCode: w.a, ValidFrom: "2026-01-01", ValidUntil: "2028-12-31", DocumentNumber: doc()}
}

// grant grants g as who and fails the test on error.
func (w *world) grant(t *testing.T, who [2]string, g designation.Grant) designation.Designation {
	t.Helper()
	d, err := w.reg.GrantDesignation(as(who), g)
	if err != nil {
		t.Fatalf("GrantDesignation(%+v) as %v: %v", g, who, err)
	}
	return d
}

func (w *world) auditLength(t *testing.T) int64 { return registrytest.AuditLength(t, w.reg) }

// events returns the audit events of designation id.
func (w *world) events(t *testing.T, id string) []audit.AuditEvent {
	t.Helper()
	events, _, err := w.reg.ListAuditEvents(as(auditor), audit.AuditFilter{Entity: "designation:" + id})
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// verifyChain fails the test unless the audit chain verifies.
func (w *world) verifyChain(t *testing.T) {
	t.Helper()
	rep, err := w.reg.VerifyAuditChain(as(auditor))
	if err != nil || !rep.OK {
		t.Errorf("audit chain: %+v, %v", rep, err)
	}
}
