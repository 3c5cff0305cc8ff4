package access

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/consolesession"
	"github.com/hangzhou-ai/registry/registry/internal/core"
	"github.com/hangzhou-ai/registry/seal"
)

// SessionPrefix marks console session ids; 32 random bytes follow, base64url.
const SessionPrefix = "rgs_"

// MaxSessionLife bounds a console session, whatever its token allows.
const MaxSessionLife = 12 * time.Hour

// Session is a signed-in console session, without its id.
type Session struct {
	ID        int64     `json:"id"`
	Subject   string    `json:"subject"`
	Org       string    `json:"organisation"`
	Role      string    `json:"role"`
	Via       string    `json:"via"` // "token" or "sso"
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Principal is who the session acts as.
func (s Session) Principal() core.Principal {
	return core.Principal{Subject: s.Subject, Org: s.Org, Role: s.Role}
}

func sessionOf(s *ent.ConsoleSession) Session {
	via := "sso"
	if s.TokenHash != nil {
		via = "token"
	}
	return Session{
		ID: int64(s.ID), Subject: s.Subject, Org: s.Organisation, Role: s.Role, Via: via, CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt,
	}
}

// parseSessionID returns the stored hash of a well-formed session id.
func parseSessionID(raw string) (string, bool) { return parseSecret(SessionPrefix, raw) }

// StartSession signs the holder of a registry bearer token in to the
// console: it returns a new session id (shown once; only its hash is
// kept) acting as the token's principal. The session ends after
// MaxSessionLife, when the token expires, or as soon as the token is
// revoked. Starting it is audited as done by that principal.
func (r *Access) StartSession(ctx context.Context, rawToken string) (string, Session, error) {
	hash, ok := ParseToken(strings.TrimSpace(rawToken))
	if !ok {
		return "", Session{}, core.NewError(core.KindUnauthenticated, "malformed bearer token")
	}
	p, expires, err := r.tokenByHash(ctx, hash)
	if err != nil {
		return "", Session{}, err
	}
	until := r.Now().Add(MaxSessionLife)
	if expires != nil && expires.Before(until) {
		until = *expires
	}
	return r.startSession(ctx, p, &hash, until)
}

// StartVerifiedSession signs in a principal the caller has authenticated
// itself (a single sign-on token it verified), until the credential's
// expiry and at most MaxSessionLife.
func (r *Access) StartVerifiedSession(ctx context.Context, p core.Principal, until time.Time) (string, Session, error) {
	v := &core.Violations{}
	core.ValidatePrincipal(v, "organisation", "role", p.Org, p.Role)
	if p.Subject == "" {
		v.Add("subject", "is required")
	}
	if err := v.Err(); err != nil {
		return "", Session{}, err
	}
	now := r.Now()
	if !until.After(now) {
		return "", Session{}, core.NewError(core.KindUnauthenticated, "the credential has expired")
	}
	if limit := now.Add(MaxSessionLife); until.After(limit) {
		until = limit
	}
	return r.startSession(ctx, p, nil, until.UTC().Truncate(time.Microsecond))
}

func (r *Access) startSession(ctx context.Context, p core.Principal, tokenHash *string, until time.Time) (string, Session, error) {
	raw := SessionPrefix + base64.RawURLEncoding.EncodeToString(seal.RandomBytes(tokenRandomBytes))
	hash, _ := parseSessionID(raw)
	var out Session
	err := r.InTx(ctx, func(tx *ent.Tx) error {
		s, err := tx.ConsoleSession.Create().SetSessionHash(hash).SetNillableTokenHash(tokenHash).
			SetSubject(p.Subject).SetOrganisation(p.Org).SetRole(p.Role).
			SetCreatedAt(r.Now()).SetExpiresAt(until).Save(ctx)
		if err != nil {
			return err
		}
		out = sessionOf(s)
		return r.Record(ctx, tx, p, core.Change{Action: "session.start", EntityType: "session", EntityID: fmt.Sprint(s.ID), After: out})
	})
	if err != nil {
		return "", Session{}, err
	}
	return raw, out, nil
}

// SessionPrincipal returns the session a console session id names and the
// principal it acts as. Malformed, unknown, ended and expired sessions,
// and sessions whose token was revoked or has expired, are all
// KindUnauthenticated.
func (r *Access) SessionPrincipal(ctx context.Context, raw string) (core.Principal, Session, error) {
	s, err := r.liveSession(ctx, raw)
	if err != nil {
		return core.Principal{}, Session{}, err
	}
	if s.TokenHash != nil {
		if _, _, err := r.tokenByHash(ctx, *s.TokenHash); err != nil {
			return core.Principal{}, Session{}, core.NewError(core.KindUnauthenticated, "the session's token is no longer valid; sign in again")
		}
	}
	out := sessionOf(s)
	return out.Principal(), out, nil
}

func (r *Access) liveSession(ctx context.Context, raw string) (*ent.ConsoleSession, error) {
	hash, ok := parseSessionID(raw)
	if !ok {
		return nil, core.NewError(core.KindUnauthenticated, "malformed session")
	}
	s, err := r.DB.ConsoleSession.Query().Where(consolesession.SessionHash(hash)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, core.NewError(core.KindUnauthenticated, "unknown session")
	}
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(s.SessionHash), []byte(hash)) != 1 {
		return nil, core.NewError(core.KindUnauthenticated, "unknown session")
	}
	switch {
	case s.EndedAt != nil:
		return nil, core.NewError(core.KindUnauthenticated, "session ended")
	case !r.Now().Before(s.ExpiresAt):
		return nil, core.NewError(core.KindUnauthenticated, "session expired")
	}
	return s, nil
}

// EndSession signs a console session out at once; ending one that has
// already ended, expired or never existed is KindUnauthenticated. It is
// audited as done by the session's principal.
func (r *Access) EndSession(ctx context.Context, raw string) error {
	s, err := r.liveSession(ctx, raw)
	if err != nil {
		return err
	}
	before := sessionOf(s)
	return r.InTx(ctx, func(tx *ent.Tx) error {
		// Only the sign-out that ends the session records it: a second,
		// racing one finds it ended.
		n, err := tx.ConsoleSession.Update().Where(consolesession.ID(s.ID), consolesession.EndedAtIsNil()).SetEndedAt(r.Now()).Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return core.NewError(core.KindUnauthenticated, "session ended")
		}
		return r.Record(ctx, tx, before.Principal(), core.Change{Action: "session.end", EntityType: "session", EntityID: fmt.Sprint(s.ID), Before: before})
	})
}

// ListSessions lists the console sessions still live, newest first;
// administrators and auditors may, as for tokens.
func (r *Access) ListSessions(ctx context.Context) ([]Session, error) {
	if err := r.mayReadTokens(ctx); err != nil {
		return nil, err
	}
	rows, err := r.DB.ConsoleSession.Query().
		Where(consolesession.EndedAtIsNil(), consolesession.ExpiresAtGT(r.Now())).
		Order(ent.Desc(consolesession.FieldID)).Limit(maxListedSessions).All(ctx)
	if err != nil {
		return nil, err
	}
	return core.Map(rows, sessionOf), nil
}

// maxListedSessions bounds ListSessions.
const maxListedSessions = 1000

// EndSessionByID ends a console session at once, whoever holds it: an
// administrator's way to end a single sign-on session (a token's sessions
// also end when the token is revoked). It is audited as done by the
// administrator.
func (r *Access) EndSessionByID(ctx context.Context, id int64) (Session, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return Session{}, err
	}
	if err := r.Authorize(p, authz.ObjToken, authz.ActManage); err != nil {
		return Session{}, err
	}
	var out Session
	err = r.InTx(ctx, func(tx *ent.Tx) error {
		s, err := tx.ConsoleSession.Get(ctx, int(id))
		if ent.IsNotFound(err) {
			return core.NotFound("session %d does not exist", id)
		}
		if err != nil {
			return err
		}
		if s.EndedAt != nil || !r.Now().Before(s.ExpiresAt) {
			return core.FailedPrecondition("session %d has already ended", id)
		}
		n, err := tx.ConsoleSession.Update().Where(consolesession.ID(s.ID), consolesession.EndedAtIsNil()).SetEndedAt(r.Now()).Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return core.FailedPrecondition("session %d has already ended", id)
		}
		out = sessionOf(s)
		return r.Record(ctx, tx, p, core.Change{Action: "session.revoke", EntityType: "session", EntityID: fmt.Sprint(s.ID), Before: out})
	})
	return out, err
}
