package rpc_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hangzhou-ai/registry/registry/registrytest"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// allAuditEvents pages through the whole audit trail as the auditor.
func allAuditEvents(t testing.TB, ctx context.Context, auditor *rpctest.Clients) []*registryv1.AuditEvent {
	t.Helper()
	var out []*registryv1.AuditEvent
	for token := ""; ; {
		res, err := auditor.Audit.ListAuditEvents(ctx, &registryv1.ListAuditEventsRequest{PageSize: 500, PageToken: token})
		if err != nil {
			t.Fatalf("list audit events: %v", err)
		}
		out = append(out, res.Events...)
		if token = res.NextPageToken; token == "" {
			return out
		}
	}
}

func lastSequence(events []*registryv1.AuditEvent) int64 {
	if len(events) == 0 {
		return 0
	}
	return events[len(events)-1].Sequence
}

func TestAuditEventPerMutation(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		ctx := t.Context()
		economy := env.As("issuer", "bureau:economy-it")
		admin := env.As("admin", "admin")
		auditor := env.As("auditor", "auditor")
		code := testCreditCode(t, 200)
		var talentID, designationID string
		var tokenID int64

		type mutation struct {
			name string
			// do performs the mutation and returns the entity id it touched.
			do                               func(ctx context.Context) (string, error)
			subject, org, role               string
			action, entityType, reason       string
			wantBefore                       bool
			afterField, afterValue, beforeOf string
		}
		economyActor := []string{"issuer@bureau:economy-it", "bureau:economy-it", "issuer"}
		mutations := []mutation{
			{name: "register enterprise", action: "enterprise.register", entityType: "enterprise", afterField: "credit_code", afterValue: code,
				do: func(ctx context.Context) (string, error) {
					_, err := economy.Enterprise.RegisterEnterprise(ctx, &registryv1.RegisterEnterpriseRequest{CreditCode: code, Name: "审计企业"})
					return code, err
				}},
			{name: "register talent", action: "talent.register", entityType: "talent", afterField: "name", afterValue: "王五",
				do: func(ctx context.Context) (string, error) {
					res, err := economy.Talent.RegisterTalent(ctx, &registryv1.RegisterTalentRequest{Name: "王五", IdNumber: registrytest.IDNumber(t, "33010619880808001"), EmployerCreditCode: code})
					talentID = res.GetTalent().GetId()
					return talentID, err
				}},
			{name: "grant designation", action: "designation.grant", entityType: "designation", afterField: "status", afterValue: "active",
				do: func(ctx context.Context) (string, error) {
					res, err := economy.Designation.GrantDesignation(ctx, &registryv1.GrantDesignationRequest{
						Type: "little-giant", EnterpriseCreditCode: code, ValidFrom: "2025-01-01", ValidUntil: "2027-12-31", DocumentNumber: "工信部企业函〔2024〕135号",
					})
					designationID = res.GetDesignation().GetId()
					return designationID, err
				}},
			{name: "suspend designation", action: "designation.suspend", entityType: "designation", reason: "inspection pending", wantBefore: true, afterField: "status", afterValue: "suspended", beforeOf: "active",
				do: func(ctx context.Context) (string, error) {
					_, err := economy.Designation.SuspendDesignation(ctx, &registryv1.SuspendDesignationRequest{Id: designationID, Reason: "inspection pending"})
					return designationID, err
				}},
			{name: "reinstate designation", action: "designation.reinstate", entityType: "designation", reason: "inspection passed", wantBefore: true, afterField: "status", afterValue: "active", beforeOf: "suspended",
				do: func(ctx context.Context) (string, error) {
					_, err := economy.Designation.ReinstateDesignation(ctx, &registryv1.ReinstateDesignationRequest{Id: designationID, Reason: "inspection passed"})
					return designationID, err
				}},
			{name: "renew designation", action: "designation.renew", entityType: "designation", wantBefore: true, afterField: "valid_until", afterValue: "2030-12-31", beforeOf: "active",
				do: func(ctx context.Context) (string, error) {
					_, err := economy.Designation.RenewDesignation(ctx, &registryv1.RenewDesignationRequest{Id: designationID, ValidUntil: "2030-12-31", DocumentNumber: "工信部企业函〔2026〕8号"})
					return designationID, err
				}},
			{name: "revoke designation", action: "designation.revoke", entityType: "designation", reason: "fraudulent application", wantBefore: true, afterField: "status", afterValue: "revoked", beforeOf: "active",
				do: func(ctx context.Context) (string, error) {
					_, err := economy.Designation.RevokeDesignation(ctx, &registryv1.RevokeDesignationRequest{Id: designationID, Reason: "fraudulent application"})
					return designationID, err
				}},
			{name: "create token", action: "token.create", entityType: "token", subject: "admin@admin", org: "admin", role: "admin", afterField: "subject", afterValue: "viewer@bureau:finance",
				do: func(ctx context.Context) (string, error) {
					res, err := admin.Access.CreateToken(ctx, &registryv1.CreateTokenRequest{Subject: "viewer@bureau:finance", Organisation: "bureau:finance", Role: "viewer"})
					tokenID = res.GetInfo().GetId()
					return strconv.FormatInt(tokenID, 10), err
				}},
			{name: "revoke token", action: "token.revoke", entityType: "token", subject: "admin@admin", org: "admin", role: "admin", wantBefore: true,
				do: func(ctx context.Context) (string, error) {
					_, err := admin.Access.RevokeToken(ctx, &registryv1.RevokeTokenRequest{Id: tokenID})
					return strconv.FormatInt(tokenID, 10), err
				}},
		}
		for _, m := range mutations {
			t.Run(m.name, func(t *testing.T) {
				before := allAuditEvents(t, ctx, auditor)
				entityID, err := m.do(ctx)
				if err != nil {
					t.Fatal(err)
				}
				after := allAuditEvents(t, ctx, auditor)
				if len(after) != len(before)+1 {
					t.Fatalf("%d audit events written, want exactly 1", len(after)-len(before))
				}
				e := after[len(after)-1]
				subject, org, role := m.subject, m.org, m.role
				if subject == "" {
					subject, org, role = economyActor[0], economyActor[1], economyActor[2]
				}
				if e.Sequence != lastSequence(before)+1 || e.PrevHash != before[len(before)-1].Hash || e.Hash == "" {
					t.Errorf("chain link: sequence %d prev_hash %q hash %q after %d/%q", e.Sequence, e.PrevHash, e.Hash, lastSequence(before), before[len(before)-1].Hash)
				}
				if !e.OccurredAt.AsTime().Equal(env.Clock.Now()) {
					t.Errorf("occurred_at %v, want %v", e.OccurredAt.AsTime(), env.Clock.Now())
				}
				if e.ActorSubject != subject || e.ActorOrganisation != org || e.ActorRole != role {
					t.Errorf("actor %q/%q/%q, want %q/%q/%q", e.ActorSubject, e.ActorOrganisation, e.ActorRole, subject, org, role)
				}
				if e.Action != m.action || e.EntityType != m.entityType || e.EntityId != entityID {
					t.Errorf("action %q entity %s:%s, want %q %s:%s", e.Action, e.EntityType, e.EntityId, m.action, m.entityType, entityID)
				}
				if e.Reason != m.reason {
					t.Errorf("reason %q, want %q", e.Reason, m.reason)
				}
				var beforeDoc, afterDoc map[string]any
				if err := json.Unmarshal([]byte(e.After), &afterDoc); err != nil {
					t.Errorf("after is not a JSON object: %q", e.After)
				}
				if m.afterField != "" && fmt.Sprint(afterDoc[m.afterField]) != m.afterValue {
					t.Errorf("after.%s = %v, want %q (after %s)", m.afterField, afterDoc[m.afterField], m.afterValue, e.After)
				}
				if !m.wantBefore {
					if e.Before != "" {
						t.Errorf("creation has before %q", e.Before)
					}
					return
				}
				if err := json.Unmarshal([]byte(e.Before), &beforeDoc); err != nil {
					t.Errorf("before is not a JSON object: %q", e.Before)
				}
				if e.Before == e.After {
					t.Errorf("before equals after: %s", e.After)
				}
				if m.beforeOf != "" && fmt.Sprint(beforeDoc["status"]) != m.beforeOf {
					t.Errorf("before.status = %v, want %q", beforeDoc["status"], m.beforeOf)
				}
			})
		}

		// Refused mutations write nothing.
		t.Run("refused mutations", func(t *testing.T) {
			before := allAuditEvents(t, ctx, auditor)
			refused := []func() error{
				func() error {
					_, err := economy.Enterprise.RegisterEnterprise(ctx, &registryv1.RegisterEnterpriseRequest{CreditCode: code, Name: "重复"})
					return err
				},
				func() error {
					_, err := economy.Designation.ReinstateDesignation(ctx, &registryv1.ReinstateDesignationRequest{Id: designationID, Reason: "appeal"})
					return err
				},
				func() error {
					_, err := economy.Designation.SuspendDesignation(ctx, &registryv1.SuspendDesignationRequest{Id: designationID})
					return err
				},
				func() error {
					_, err := auditor.Designation.GrantDesignation(ctx, &registryv1.GrantDesignationRequest{
						Type: "little-giant", EnterpriseCreditCode: code, ValidFrom: "2025-01-01", ValidUntil: "2027-12-31", DocumentNumber: "审计员〔2026〕1号",
					})
					return err
				},
			}
			for i, call := range refused {
				if err := call(); err == nil {
					t.Errorf("refused call %d succeeded", i)
				}
			}
			if after := allAuditEvents(t, ctx, auditor); len(after) != len(before) {
				t.Errorf("refused mutations wrote %d audit events", len(after)-len(before))
			}
		})
	})
}

// scanTable returns every column of every row of table as text.
func scanTable(t *testing.T, db storetest.Database, table string) [][]string {
	t.Helper()
	conn := storetest.OpenSQL(t, db)
	rows, err := conn.QueryContext(t.Context(), "SELECT * FROM "+table)
	if err != nil {
		t.Fatalf("scan %s: %v", table, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			switch v := v.(type) {
			case []byte:
				row[i] = string(v)
			case nil:
				row[i] = ""
			default:
				row[i] = fmt.Sprint(v)
			}
			row[i] = cols[i] + "=" + row[i]
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAuditIdentityNumberNeverInClear(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		ctx := t.Context()
		economy := env.As("issuer", "bureau:economy-it")
		talentOffice := env.As("issuer", "bureau:talent-office")
		auditor := env.As("auditor", "auditor")
		code := testCreditCode(t, 300)
		if _, err := economy.Enterprise.RegisterEnterprise(ctx, &registryv1.RegisterEnterpriseRequest{CreditCode: code, Name: "雇主企业"}); err != nil {
			t.Fatal(err)
		}
		clearID := registrytest.IDNumber(t, "33010619751231246")
		masked := clearID[:4] + strings.Repeat("*", 10) + clearID[14:]
		res, err := economy.Talent.RegisterTalent(ctx, &registryv1.RegisterTalentRequest{Name: "赵六", IdNumber: clearID, EmployerCreditCode: code})
		if err != nil {
			t.Fatal(err)
		}
		if res.Talent.IdNumberMasked != masked {
			t.Errorf("id_number_masked %q, want %q", res.Talent.IdNumberMasked, masked)
		}
		rec, err := talentOffice.Designation.GrantDesignation(ctx, &registryv1.GrantDesignationRequest{
			Type: "talent-recognition", TalentId: res.Talent.Id, Level: "D", ValidFrom: "2025-01-01", ValidUntil: "2027-12-31", DocumentNumber: "杭人才〔2025〕12号",
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := talentOffice.Designation.SuspendDesignation(ctx, &registryv1.SuspendDesignationRequest{Id: rec.Designation.Id, Reason: "review of " + res.Talent.IdNumberMasked}); err != nil {
			t.Fatal(err)
		}
		got, err := auditor.Talent.GetTalent(ctx, &registryv1.GetTalentRequest{Id: res.Talent.Id})
		if err != nil {
			t.Fatal(err)
		}
		if got.Talent.IdNumberMasked != masked || strings.Contains(fmt.Sprint(got.Talent), clearID) {
			t.Errorf("talent read back: %+v", got.Talent)
		}

		t.Run("audit events", func(t *testing.T) {
			sawMasked := false
			for _, e := range allAuditEvents(t, ctx, auditor) {
				for name, text := range map[string]string{"before": e.Before, "after": e.After, "reason": e.Reason, "entity_id": e.EntityId} {
					if strings.Contains(text, clearID) {
						t.Errorf("event %d (%s) %s holds the identity number in clear: %s", e.Sequence, e.Action, name, text)
					}
				}
				if e.Action == "talent.register" && strings.Contains(e.After, masked) {
					sawMasked = true
				}
			}
			if !sawMasked {
				t.Errorf("no talent.register event shows the masked number %q", masked)
			}
		})
		for _, table := range []string{"talents", "audit_events", "designations", "status_changes"} {
			t.Run("table "+table, func(t *testing.T) {
				rows := scanTable(t, db, table)
				if table == "talents" && len(rows) != 1 {
					t.Fatalf("%d talents rows", len(rows))
				}
				sawMasked := false
				for _, row := range rows {
					for _, col := range row {
						if strings.Contains(col, clearID) {
							t.Errorf("%s column holds the identity number in clear: %s", table, col)
						}
						sawMasked = sawMasked || strings.Contains(col, masked)
					}
				}
				if table == "talents" && !sawMasked {
					t.Errorf("talents row has no masked number %q: %q", masked, rows)
				}
			})
		}
	})
}

// freshDatabase returns a new, empty database of the same kind as db.
func freshDatabase(t *testing.T, db storetest.Database) storetest.Database {
	t.Helper()
	if db.Name == "postgres" {
		return storetest.Postgres(t)
	}
	return storetest.SQLite(t)
}

// auditHash recomputes an event's hash as the issue defines it,
// SHA-256(previous hash ‖ canonical event), in this registry's canonical
// form. It lets a test forge an event the way an attacker who knows the
// format would.
func auditHash(prevHash string, seq int64, at time.Time, subject, org, role, action, entityType, entityID, before, after, reason string) string {
	body, _ := json.Marshal(struct {
		Sequence   int64  `json:"seq"`
		OccurredAt string `json:"at"`
		Subject    string `json:"subject"`
		Org        string `json:"org"`
		Role       string `json:"role"`
		Action     string `json:"action"`
		EntityType string `json:"entity_type"`
		EntityID   string `json:"entity_id"`
		Before     string `json:"before"`
		After      string `json:"after"`
		Reason     string `json:"reason"`
	}{seq, at.UTC().Format(time.RFC3339Nano), subject, org, role, action, entityType, entityID, before, after, reason})
	h := sha256.New()
	h.Write([]byte(prevHash))
	h.Write([]byte{'\n'})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

func eventHash(e *registryv1.AuditEvent) string {
	return auditHash(e.PrevHash, e.Sequence, e.OccurredAt.AsTime(), e.ActorSubject, e.ActorOrganisation, e.ActorRole, e.Action, e.EntityType, e.EntityId, e.Before, e.After, e.Reason)
}

func TestAuditChainTamper(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, kind storetest.Database) {
		// chain is a registry with a short audit trail: two tokens, an
		// enterprise, a grant, a suspension, a reinstatement, a revocation.
		type chain struct {
			db      storetest.Database
			auditor *rpctest.Clients
			events  []*registryv1.AuditEvent
			seq     map[string]int64 // action -> sequence
			last    int64
		}
		build := func(t *testing.T) chain {
			db := freshDatabase(t, kind)
			env := rpctest.New(t, db)
			ctx := t.Context()
			economy := env.As("issuer", "bureau:economy-it")
			auditor := env.As("auditor", "auditor")
			code := testCreditCode(t, 400)
			if _, err := economy.Enterprise.RegisterEnterprise(ctx, &registryv1.RegisterEnterpriseRequest{CreditCode: code, Name: "链企业"}); err != nil {
				t.Fatal(err)
			}
			g, err := economy.Designation.GrantDesignation(ctx, &registryv1.GrantDesignationRequest{
				Type: "little-giant", EnterpriseCreditCode: code, ValidFrom: "2025-01-01", ValidUntil: "2027-12-31", DocumentNumber: "工信部企业函〔2024〕135号",
			})
			if err != nil {
				t.Fatal(err)
			}
			id := g.Designation.Id
			if _, err := economy.Designation.SuspendDesignation(ctx, &registryv1.SuspendDesignationRequest{Id: id, Reason: "inspection pending"}); err != nil {
				t.Fatal(err)
			}
			if _, err := economy.Designation.ReinstateDesignation(ctx, &registryv1.ReinstateDesignationRequest{Id: id, Reason: "inspection passed"}); err != nil {
				t.Fatal(err)
			}
			if _, err := economy.Designation.RevokeDesignation(ctx, &registryv1.RevokeDesignationRequest{Id: id, Reason: "fraudulent application"}); err != nil {
				t.Fatal(err)
			}
			c := chain{db: db, auditor: auditor, events: allAuditEvents(t, ctx, auditor), seq: map[string]int64{}}
			for _, e := range c.events {
				c.seq[e.Action] = e.Sequence
			}
			c.last = lastSequence(c.events)
			if c.last != 8 || len(c.events) != 8 {
				t.Fatalf("chain of %d events ending at %d, want 8", len(c.events), c.last)
			}
			v, err := auditor.Audit.VerifyAuditChain(ctx, &registryv1.VerifyAuditChainRequest{})
			if err != nil || !v.Ok || v.EventsChecked != 8 || v.FirstBadSequence != 0 {
				t.Fatalf("untampered chain: %+v %v", v, err)
			}
			return c
		}
		exec := func(t *testing.T, c chain, query string, args ...any) {
			t.Helper()
			conn := storetest.OpenSQL(t, c.db)
			res, err := conn.ExecContext(t.Context(), storetest.Rebind(c.db, query), args...)
			if err != nil {
				t.Fatalf("%s: %v", query, err)
			}
			if n, err := res.RowsAffected(); err != nil || n != 1 {
				t.Fatalf("%s: %d rows affected, %v", query, n, err)
			}
		}
		// forge copies event src to sequence seq with the given reason,
		// prev_hash and hash.
		forge := func(t *testing.T, c chain, seq, src int64, reason, prevHash, hash string) {
			t.Helper()
			exec(t, c, `INSERT INTO audit_events (id, occurred_at, actor_subject, actor_org, actor_role, action, entity_type, entity_id, "before", "after", reason, prev_hash, hash)
				SELECT CAST(? AS BIGINT), occurred_at, actor_subject, actor_org, actor_role, action, entity_type, entity_id, "before", "after", CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT) FROM audit_events WHERE id = ?`,
				seq, reason, prevHash, hash, src)
		}

		cases := []struct {
			name   string
			tamper func(t *testing.T, c chain) (firstBad int64)
		}{
			{"edit reason", func(t *testing.T, c chain) int64 {
				s := c.seq["designation.suspend"]
				exec(t, c, `UPDATE audit_events SET reason = ? WHERE id = ?`, "routine check", s)
				return s
			}},
			{"edit after", func(t *testing.T, c chain) int64 {
				s := c.seq["designation.grant"]
				exec(t, c, `UPDATE audit_events SET "after" = REPLACE("after", '2027-12-31', '2037-12-31') WHERE id = ?`, s)
				return s
			}},
			{"edit before", func(t *testing.T, c chain) int64 {
				s := c.seq["designation.revoke"]
				exec(t, c, `UPDATE audit_events SET "before" = ? WHERE id = ?`, "", s)
				return s
			}},
			{"edit actor of first event", func(t *testing.T, c chain) int64 {
				exec(t, c, `UPDATE audit_events SET actor_subject = ? WHERE id = ?`, "someone@else", 1)
				return 1
			}},
			{"delete middle event", func(t *testing.T, c chain) int64 {
				s := c.seq["designation.suspend"]
				exec(t, c, `DELETE FROM audit_events WHERE id = ?`, s)
				return s
			}},
			{"delete last event", func(t *testing.T, c chain) int64 {
				exec(t, c, `DELETE FROM audit_events WHERE id = ?`, c.last)
				return c.last
			}},
			{"replace middle event", func(t *testing.T, c chain) int64 {
				s := c.seq["designation.suspend"]
				orig := c.events[s-1]
				exec(t, c, `DELETE FROM audit_events WHERE id = ?`, s)
				forge(t, c, s, s+1, "forged", orig.PrevHash, orig.Hash)
				return s
			}},
			{"insert forged event with made-up hashes", func(t *testing.T, c chain) int64 {
				forge(t, c, c.last+1, c.last, "forged", strings.Repeat("0", 64), strings.Repeat("f", 64))
				return c.last + 1
			}},
			{"insert forged event chained to the last", func(t *testing.T, c chain) int64 {
				last := c.events[len(c.events)-1]
				forge(t, c, c.last+1, c.last, "forged", last.Hash, strings.Repeat("f", 64))
				return c.last + 1
			}},
			// An attacker who knows the canonical form appends an event
			// whose own hash is right; only the head can tell.
			{"append well-formed forged event", func(t *testing.T, c chain) int64 {
				for _, e := range c.events {
					if eventHash(e) != e.Hash {
						t.Skipf("cannot reproduce the hash of event %d; canonical form differs from this test's", e.Sequence)
					}
				}
				last := c.events[len(c.events)-1]
				hash := auditHash(last.Hash, c.last+1, last.OccurredAt.AsTime(), last.ActorSubject, last.ActorOrganisation, last.ActorRole,
					last.Action, last.EntityType, last.EntityId, last.Before, last.After, "forged")
				forge(t, c, c.last+1, c.last, "forged", last.Hash, hash)
				return c.last + 1
			}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				c := build(t)
				want := tc.tamper(t, c)
				v, err := c.auditor.Audit.VerifyAuditChain(t.Context(), &registryv1.VerifyAuditChainRequest{})
				if err != nil {
					t.Fatal(err)
				}
				if v.Ok || v.FirstBadSequence != want || v.Problem == "" {
					t.Errorf("verify = ok %v first_bad_sequence %d problem %q (checked %d), want not ok at %d", v.Ok, v.FirstBadSequence, v.Problem, v.EventsChecked, want)
				}
			})
		}
	})
}
