package audit_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/hangzhou-ai/registry/ident"
	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/audit"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/registry/talent"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// trail is a registry whose audit trail holds, after whatever opening it
// records: two enterprises registered by zhang at the start, and an hour
// later a talent registered by li.
type trail struct {
	reg      *registry.Registry
	db       storetest.Database
	auditor  context.Context
	codes    []string
	opening  int // events before the fixture's own
	total    int
	laterSeq int64 // the talent's event
}

func newTrail(t *testing.T, db storetest.Database) *trail {
	t.Helper()
	reg, clock := registrytest.Open(t, db)
	ctx := t.Context()
	tr := &trail{reg: reg, db: db, auditor: registrytest.As(ctx, "auditor", "auditor")}
	before, _, err := reg.ListAuditEvents(tr.auditor, audit.AuditFilter{PageSize: 500})
	if err != nil {
		t.Fatal(err)
	}
	tr.opening = len(before)
	zhang := registry.WithPrincipal(ctx, registry.Principal{Subject: "zhang", Org: "bureau:economy-it", Role: "issuer"})
	li := registry.WithPrincipal(ctx, registry.Principal{Subject: "li", Org: "bureau:talent-office", Role: "issuer"})
	for _, first17 := range []string{"91330106MA27XK0A1", "91330106MA27XK0B1"} {
		code, err := ident.CompleteCreditCode(first17)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := reg.RegisterEnterprise(zhang, enterprise.NewEnterprise{CreditCode: code, Name: "企业" + code[12:]}); err != nil {
			t.Fatal(err)
		}
		tr.codes = append(tr.codes, code)
	}
	clock.Set(registrytest.Start.Add(time.Hour))
	number, _ := ident.CompleteIDNumber("33010619900101001")
	if _, err := reg.RegisterTalent(li, talent.NewTalent{Name: "王五", IDNumber: number}); err != nil {
		t.Fatal(err)
	}
	tr.total = tr.opening + 3
	tr.laterSeq = int64(tr.total)
	return tr
}

func TestListAuditEvents(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		tr := newTrail(t, db)
		ctx := t.Context()
		cases := []struct {
			name    string
			ctx     context.Context
			filter  audit.AuditFilter
			want    registry.Kind
			actions string
		}{
			{"by entity type", tr.auditor, audit.AuditFilter{Entity: "enterprise"}, registrytest.Succeeds, "[enterprise.register enterprise.register]"},
			{"by entity", tr.auditor, audit.AuditFilter{Entity: "enterprise:" + tr.codes[1]}, registrytest.Succeeds, "[enterprise.register]"},
			{"by an entity not recorded", tr.auditor, audit.AuditFilter{Entity: "enterprise:91110000600037341L"}, registrytest.Succeeds, "[]"},
			{"by actor", tr.auditor, audit.AuditFilter{Actor: "li"}, registrytest.Succeeds, "[talent.register]"},
			{"by actor and entity type", tr.auditor, audit.AuditFilter{Actor: "li", Entity: "enterprise"}, registrytest.Succeeds, "[]"},
			{"since a time", tr.auditor, audit.AuditFilter{Since: registrytest.Start.Add(30 * time.Minute)}, registrytest.Succeeds, "[talent.register]"},
			{"a negative page size", tr.auditor, audit.AuditFilter{PageSize: -1}, registry.KindInvalidArgument, ""},
			{"a forged page token", tr.auditor, audit.AuditFilter{PageToken: "MTA"}, registry.KindInvalidArgument, ""},
			{"an issuer may not", registrytest.As(ctx, "issuer", "bureau:economy-it"), audit.AuditFilter{}, registry.KindPermissionDenied, ""},
			{"a bureau viewer may not", registrytest.As(ctx, "viewer", "bureau:economy-it"), audit.AuditFilter{}, registry.KindPermissionDenied, ""},
			{"an admin may not", registrytest.As(ctx, "admin", "admin"), audit.AuditFilter{}, registry.KindPermissionDenied, ""},
			{"a member may not", registrytest.As(ctx, "member", "enterprise:"+tr.codes[0]), audit.AuditFilter{}, registry.KindPermissionDenied, ""},
			{"a park operator may not", registrytest.As(ctx, "operator", "park:west-lake"), audit.AuditFilter{}, registry.KindPermissionDenied, ""},
			{"no principal", ctx, audit.AuditFilter{}, registry.KindUnauthenticated, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				events, _, err := tr.reg.ListAuditEvents(c.ctx, c.filter)
				registrytest.Check(t, err, c.want)
				if err != nil {
					return
				}
				actions := []string{}
				for _, e := range events {
					actions = append(actions, e.Action)
					if e.Hash == "" || (e.Sequence > 1 && e.PrevHash == "") {
						t.Fatalf("event %+v is not chained", e)
					}
				}
				if fmt.Sprint(actions) != c.actions {
					t.Fatalf("listed %v, want %s", actions, c.actions)
				}
			})
		}
		t.Run("pages in sequence order", func(t *testing.T) {
			var seqs []int64
			token := ""
			for range tr.total + 1 {
				events, next, err := tr.reg.ListAuditEvents(tr.auditor, audit.AuditFilter{PageSize: 2, PageToken: token})
				if err != nil {
					t.Fatal(err)
				}
				if len(events) > 2 {
					t.Fatalf("a page of %d events", len(events))
				}
				for _, e := range events {
					if len(seqs) > 0 && e.Sequence != seqs[len(seqs)-1]+1 {
						t.Fatalf("sequence %d after %v", e.Sequence, seqs)
					}
					seqs = append(seqs, e.Sequence)
				}
				if token = next; token == "" {
					break
				}
			}
			if len(seqs) != tr.total || seqs[0] != 1 {
				t.Fatalf("paged through %v, want 1 to %d", seqs, tr.total)
			}
		})
		t.Run("a later event carries its actor", func(t *testing.T) {
			events, _, err := tr.reg.ListAuditEvents(tr.auditor, audit.AuditFilter{Actor: "li"})
			if err != nil || len(events) != 1 {
				t.Fatal(events, err)
			}
			e := events[0]
			if e.Sequence != tr.laterSeq || e.Org != "bureau:talent-office" || e.Role != "issuer" || e.EntityType != "talent" ||
				!e.OccurredAt.Equal(registrytest.Start.Add(time.Hour)) || e.After == "" {
				t.Fatalf("event %+v", e)
			}
		})
	})
}

// exec runs a statement with ? placeholders on db.
func exec(t *testing.T, conn *sql.DB, db storetest.Database, query string, args ...any) {
	t.Helper()
	res, err := conn.Exec(storetest.Rebind(db, query), args...)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("%s changed %d rows, want 1", query, n)
	}
}

func TestVerifyAuditChain(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		tr := newTrail(t, db)
		ctx := t.Context()
		conn := storetest.OpenSQL(t, db)
		mid := int64(tr.opening + 1) // the first enterprise's event
		var reason, prev string
		if err := conn.QueryRow(storetest.Rebind(db, "SELECT reason, prev_hash FROM audit_events WHERE id = ?"), mid).Scan(&reason, &prev); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name    string
			ctx     context.Context
			tamper  func()
			want    registry.Kind
			ok      bool
			badSeq  int64
			checked int64
		}{
			{"an issuer may not", registrytest.As(ctx, "issuer", "bureau:economy-it"), nil, registry.KindPermissionDenied, false, 0, 0},
			{"an admin may not", registrytest.As(ctx, "admin", "admin"), nil, registry.KindPermissionDenied, false, 0, 0},
			{"the chain as written", tr.auditor, nil, registrytest.Succeeds, true, 0, int64(tr.total)},
			{"an edited event", tr.auditor, func() {
				exec(t, conn, db, "UPDATE audit_events SET reason = ? WHERE id = ?", "篡改", mid)
			}, registrytest.Succeeds, false, mid, mid - 1},
			{"put back", tr.auditor, func() {
				exec(t, conn, db, "UPDATE audit_events SET reason = ? WHERE id = ?", reason, mid)
			}, registrytest.Succeeds, true, 0, int64(tr.total)},
			{"an event relinked", tr.auditor, func() {
				exec(t, conn, db, "UPDATE audit_events SET prev_hash = ? WHERE id = ?", "00", mid)
			}, registrytest.Succeeds, false, mid, mid - 1},
			{"relinked back", tr.auditor, func() {
				exec(t, conn, db, "UPDATE audit_events SET prev_hash = ? WHERE id = ?", prev, mid)
			}, registrytest.Succeeds, true, 0, int64(tr.total)},
			{"the last event deleted", tr.auditor, func() {
				exec(t, conn, db, "DELETE FROM audit_events WHERE id = ?", tr.total)
			}, registrytest.Succeeds, false, int64(tr.total), int64(tr.total - 1)},
			{"an event deleted from the middle", tr.auditor, func() {
				exec(t, conn, db, "DELETE FROM audit_events WHERE id = ?", mid)
			}, registrytest.Succeeds, false, mid, mid - 1},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if c.tamper != nil {
					c.tamper()
				}
				rep, err := tr.reg.VerifyAuditChain(c.ctx)
				registrytest.Check(t, err, c.want)
				if err != nil {
					return
				}
				if rep.OK != c.ok || rep.FirstBadSequence != c.badSeq || rep.EventsChecked != c.checked || (c.ok != (rep.Problem == "")) {
					t.Fatalf("report %+v, want ok=%v first bad %d after %d checked", rep, c.ok, c.badSeq, c.checked)
				}
			})
		}
	})
}
