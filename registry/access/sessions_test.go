package access_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/access"
	"github.com/hangzhou-ai/registry/registry/audit"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// TestSessions checks how console sessions start and end: only valid
// tokens open one; a session ends on sign-out, with its token's
// revocation or expiry, and after MaxSessionLife; each start and end is
// audited; ids are never stored.
func TestSessions(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newFixture(t, db)
		ctx := t.Context()
		actor := registry.Principal{Subject: "setup", Org: "admin", Role: "admin"}
		issue := func(ttl time.Duration) (string, access.Token) {
			raw, tok, err := f.reg.IssueToken(ctx, actor, access.NewToken{Subject: "王五", Org: "bureau:economy-it", Role: "viewer", TTL: ttl})
			if err != nil {
				t.Fatal(err)
			}
			return raw, tok
		}
		raw, tok := issue(0)

		t.Run("refused credentials", func(t *testing.T) {
			revokedRaw, revoked := issue(0)
			if _, err := f.reg.RevokeToken(ctx, actor, revoked.ID); err != nil {
				t.Fatal(err)
			}
			for name, cred := range map[string]string{
				"empty": "", "not a token": "hello", "unknown": access.TokenPrefix + strings.Repeat("A", 43),
				"revoked": revokedRaw, "a session id": access.SessionPrefix + raw[len(access.TokenPrefix):],
			} {
				if _, _, err := f.reg.StartSession(ctx, cred); registry.KindOf(err) != registry.KindUnauthenticated {
					t.Errorf("%s: %v, want unauthenticated", name, err)
				}
			}
		})

		t.Run("acts as the token's principal until signed out", func(t *testing.T) {
			before := registrytest.AuditLength(t, f.reg)
			id, s, err := f.reg.StartSession(ctx, " "+raw+"\n")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(id, access.SessionPrefix) || s.Principal() != (registry.Principal{Subject: "王五", Org: "bureau:economy-it", Role: "viewer"}) {
				t.Fatalf("session %q %+v", id, s)
			}
			if want := f.clock.Now().Add(access.MaxSessionLife); !s.ExpiresAt.Equal(want.UTC().Truncate(time.Microsecond)) {
				t.Errorf("a token without expiry gives a session until %v, want %v", s.ExpiresAt, want)
			}
			p, _, err := f.reg.SessionPrincipal(ctx, id)
			if err != nil || p != s.Principal() {
				t.Fatalf("SessionPrincipal: %+v %v", p, err)
			}
			if err := f.reg.EndSession(ctx, id); err != nil {
				t.Fatal(err)
			}
			if _, _, err := f.reg.SessionPrincipal(ctx, id); registry.KindOf(err) != registry.KindUnauthenticated {
				t.Errorf("after sign-out: %v", err)
			}
			if err := f.reg.EndSession(ctx, id); registry.KindOf(err) != registry.KindUnauthenticated {
				t.Errorf("signing out twice: %v", err)
			}
			if got := registrytest.AuditLength(t, f.reg) - before; got != 2 {
				t.Errorf("a session's start and end wrote %d audit events, want 2", got)
			}
			events, _, err := f.reg.ListAuditEvents(f.auditor, audit.AuditFilter{Entity: "session"})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range events {
				if strings.Contains(string(e.After)+string(e.Before), id) || strings.Contains(string(e.After)+string(e.Before), raw) {
					t.Errorf("audit event %s holds a session id or token", e.Action)
				}
			}
		})

		t.Run("ends with its token", func(t *testing.T) {
			id, _, err := f.reg.StartSession(ctx, raw)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.reg.RevokeToken(ctx, actor, tok.ID); err != nil {
				t.Fatal(err)
			}
			if _, _, err := f.reg.SessionPrincipal(ctx, id); registry.KindOf(err) != registry.KindUnauthenticated {
				t.Errorf("after the token's revocation: %v", err)
			}
		})

		t.Run("ends with its token's expiry and after its life", func(t *testing.T) {
			shortRaw, _ := issue(time.Hour)
			short, s, err := f.reg.StartSession(ctx, shortRaw)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.ExpiresAt.Sub(f.clock.Now()); got > time.Hour {
				t.Errorf("a one-hour token gives a session of %v", got)
			}
			longRaw, _ := issue(48 * time.Hour)
			long, _, err := f.reg.StartSession(ctx, longRaw)
			if err != nil {
				t.Fatal(err)
			}
			start := f.clock.Now()
			f.clock.Set(start.Add(time.Hour + time.Second))
			if _, _, err := f.reg.SessionPrincipal(ctx, short); registry.KindOf(err) != registry.KindUnauthenticated {
				t.Errorf("past its token's expiry: %v", err)
			}
			if _, _, err := f.reg.SessionPrincipal(ctx, long); err != nil {
				t.Errorf("an hour into a 12-hour session: %v", err)
			}
			f.clock.Set(start.Add(access.MaxSessionLife + time.Second))
			if _, _, err := f.reg.SessionPrincipal(ctx, long); registry.KindOf(err) != registry.KindUnauthenticated {
				t.Errorf("past MaxSessionLife: %v", err)
			}
			f.clock.Set(start)
		})

		t.Run("verified principals", func(t *testing.T) {
			now := f.clock.Now()
			if _, _, err := f.reg.StartVerifiedSession(ctx, registry.Principal{Subject: "李四", Org: "bureau:nowhere", Role: "issuer"}, now.Add(time.Hour)); registry.KindOf(err) != registry.KindInvalidArgument {
				t.Errorf("an unknown bureau: %v", err)
			}
			if _, _, err := f.reg.StartVerifiedSession(ctx, registry.Principal{Subject: "李四", Org: "auditor", Role: "auditor"}, now.Add(-time.Second)); registry.KindOf(err) != registry.KindUnauthenticated {
				t.Errorf("an expired credential: %v", err)
			}
			id, s, err := f.reg.StartVerifiedSession(ctx, registry.Principal{Subject: "李四", Org: "auditor", Role: "auditor"}, now.Add(72*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if s.Via != "sso" || s.ExpiresAt.After(now.Add(access.MaxSessionLife)) {
				t.Errorf("session %+v", s)
			}
			if p, _, err := f.reg.SessionPrincipal(ctx, id); err != nil || p.Role != "auditor" {
				t.Errorf("SessionPrincipal: %+v %v", p, err)
			}
		})

		t.Run("administrators list and end sessions", func(t *testing.T) {
			id, started, err := f.reg.StartVerifiedSession(ctx, registry.Principal{Subject: "赵六", Org: "bureau:economy-it", Role: "issuer"}, f.clock.Now().Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			for _, who := range []context.Context{f.admin, f.auditor} {
				list, err := f.reg.ListSessions(who)
				if err != nil || !slices.ContainsFunc(list, func(s access.Session) bool { return s.ID == started.ID }) {
					t.Fatalf("ListSessions: %v, %v", list, err)
				}
			}
			if _, err := f.reg.ListSessions(f.issuer); registry.KindOf(err) != registry.KindPermissionDenied {
				t.Errorf("an issuer lists sessions: %v", err)
			}
			for name, who := range map[string]context.Context{"auditor": f.auditor, "issuer": f.issuer} {
				if _, err := f.reg.EndSessionByID(who, started.ID); registry.KindOf(err) != registry.KindPermissionDenied {
					t.Errorf("%s ends a session: %v", name, err)
				}
			}
			if _, err := f.reg.EndSessionByID(f.admin, started.ID); err != nil {
				t.Fatal(err)
			}
			if _, _, err := f.reg.SessionPrincipal(ctx, id); registry.KindOf(err) != registry.KindUnauthenticated {
				t.Errorf("after an administrator ended it: %v", err)
			}
			if _, err := f.reg.EndSessionByID(f.admin, started.ID); registry.KindOf(err) != registry.KindFailedPrecondition {
				t.Errorf("ending it again: %v", err)
			}
			if _, err := f.reg.EndSessionByID(f.admin, 1<<40); registry.KindOf(err) != registry.KindNotFound {
				t.Errorf("an unknown session: %v", err)
			}
			list, err := f.reg.ListSessions(f.admin)
			if err != nil || slices.ContainsFunc(list, func(s access.Session) bool { return s.ID == started.ID }) {
				t.Errorf("an ended session is still listed: %v %v", list, err)
			}
		})

		t.Run("malformed ids", func(t *testing.T) {
			for _, id := range []string{"", "rgs_", access.SessionPrefix + strings.Repeat("A", 42), access.SessionPrefix + strings.Repeat("A", 43), raw} {
				if _, _, err := f.reg.SessionPrincipal(ctx, id); registry.KindOf(err) != registry.KindUnauthenticated {
					t.Errorf("%q: %v", id, err)
				}
			}
		})
	})
}
