package access

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/apitoken"
	"github.com/hangzhou-ai/registry/ent/enterprise"
	"github.com/hangzhou-ai/registry/ent/park"
	"github.com/hangzhou-ai/registry/ident"
	"github.com/hangzhou-ai/registry/registry/internal/core"
	"github.com/hangzhou-ai/registry/seal"
)

// TokenPrefix marks registry bearer tokens; 32 random bytes (256 bits) follow, base64url.
const TokenPrefix = "rgt_"

const tokenRandomBytes = 32

// Token describes a bearer token without its secret.
type Token struct {
	ID        int64      `json:"id"`
	Subject   string     `json:"subject"`
	Org       string     `json:"organisation"`
	Role      string     `json:"role"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

func tokenOf(t *ent.APIToken) Token {
	return Token{ID: int64(t.ID), Subject: t.Subject, Org: t.Organisation, Role: t.Role, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, RevokedAt: t.RevokedAt}
}

// NewToken is a request for a bearer token.
type NewToken struct {
	Subject string
	Org     string
	Role    string
	// TTL bounds the token's life; zero means it does not expire.
	TTL time.Duration
	// TTLDays, when not zero, gives the lifetime in days instead (the API's
	// form), between 1 and MaxTokenDays.
	TTLDays int64
}

// MaxTokenDays bounds a token's lifetime: ten years.
const MaxTokenDays = 3650

// ParseToken checks a bearer token's form and returns its storage hash.
func ParseToken(raw string) (hash string, ok bool) { return parseSecret(TokenPrefix, raw) }

// parseSecret returns the SHA-256 (hex) of raw when it is prefix followed
// by the base64url of 32 random bytes, the form of tokens and session ids.
func parseSecret(prefix, raw string) (hash string, ok bool) {
	rest, found := strings.CutPrefix(raw, prefix)
	if !found {
		return "", false
	}
	// Strict decoding refuses unused trailing bits, and the length check
	// refuses the line breaks the decoder would otherwise skip, so each
	// secret has exactly one spelling.
	b, err := base64.RawURLEncoding.Strict().DecodeString(rest)
	if err != nil || len(b) != tokenRandomBytes || len(rest) != base64.RawURLEncoding.EncodedLen(tokenRandomBytes) {
		return "", false
	}
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:]), true
}

// IssueToken creates a bearer token and returns it once with its record.
// It is the bootstrap path (registryd token create) and the body of
// CreateToken; the token creation is audited as made by actor.
func (r *Access) IssueToken(ctx context.Context, actor core.Principal, in NewToken) (string, Token, error) {
	v := &core.Violations{}
	subject := core.CleanText(v, "subject", in.Subject, core.MaxNameLen, true)
	core.ValidatePrincipal(v, "organisation", "role", in.Org, in.Role)
	ttl := in.TTL
	switch {
	case in.TTLDays < 0 || in.TTLDays > MaxTokenDays:
		v.Add("ttl_days", fmt.Sprintf("must be between 0 (no expiry) and %d", MaxTokenDays))
	case in.TTLDays > 0:
		ttl = time.Duration(in.TTLDays) * 24 * time.Hour
	case ttl < 0 || ttl > MaxTokenDays*24*time.Hour:
		v.Add("ttl", fmt.Sprintf("must be between 0 (no expiry) and %d days", MaxTokenDays))
	}
	if err := v.Err(); err != nil {
		return "", Token{}, err
	}
	raw := TokenPrefix + base64.RawURLEncoding.EncodeToString(seal.RandomBytes(tokenRandomBytes))
	hash, _ := ParseToken(raw)
	var out Token
	err := r.InTx(ctx, func(tx *ent.Tx) error {
		now := r.Now()
		create := tx.APIToken.Create().SetTokenHash(hash).SetSubject(subject).SetOrganisation(in.Org).
			SetRole(in.Role).SetCreatedAt(now)
		if ttl > 0 {
			create.SetExpiresAt(now.Add(ttl))
		}
		t, err := create.Save(ctx)
		if err != nil {
			return err
		}
		out = tokenOf(t)
		return r.Record(ctx, tx, actor, core.Change{Action: "token.create", EntityType: "token", EntityID: fmt.Sprint(t.ID), After: out})
	})
	if err != nil {
		return "", Token{}, err
	}
	return raw, out, nil
}

// CreateToken issues a token; only administrators may, and only for the
// roles the deployment lets them mint (Config.AdminMintableRoles). An
// administrator is as strong as the roles it can mint, which is why issuer
// tokens are by default made only with `registryd token create`.
func (r *Access) CreateToken(ctx context.Context, in NewToken) (string, Token, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return "", Token{}, err
	}
	if err := r.Authorize(p, authz.ObjToken, authz.ActManage); err != nil {
		return "", Token{}, err
	}
	if !slices.Contains(r.Mintable, in.Role) && slices.Contains(core.AllRoles(), in.Role) {
		return "", Token{}, core.PermissionDenied("%s may not mint %s tokens on this registry (see --admin-mintable-roles)", p, in.Role)
	}
	if err := r.checkRegisteredOrg(ctx, in.Org); err != nil {
		return "", Token{}, err
	}
	return r.IssueToken(ctx, p, in)
}

// checkRegisteredOrg refuses a token for a park or an enterprise the
// registry does not know (bureaus are checked against the catalogue by
// validatePrincipal), so an administrator cannot mint tokens for
// organisations that do not exist.
func (r *Access) checkRegisteredOrg(ctx context.Context, org string) error {
	var known bool
	var err error
	switch kind, code, _ := strings.Cut(org, ":"); kind {
	case "park":
		if !core.CodePattern.MatchString(code) {
			return nil // validatePrincipal names the problem
		}
		known, err = r.DB.Park.Query().Where(park.ID(code)).Exist(ctx)
	case "enterprise":
		if ident.ValidateCreditCode(code) != nil {
			return nil
		}
		known, err = r.DB.Enterprise.Query().Where(enterprise.CreditCode(code)).Exist(ctx)
	default:
		return nil
	}
	switch {
	case err != nil:
		return err
	case !known:
		return core.InvalidField("organisation", fmt.Sprintf("%s is not registered", org))
	}
	return nil
}

// DefaultAdminMintableRoles are the roles an administrator may mint unless
// configured otherwise: every role but issuer.
func DefaultAdminMintableRoles() []string {
	return slices.DeleteFunc(core.AllRoles(), func(role string) bool { return role == authz.RoleIssuer })
}

// CheckMintableRoles refuses an unknown role in the configured list.
func CheckMintableRoles(roles []string) error {
	known := core.AllRoles()
	for _, role := range roles {
		if !slices.Contains(known, role) {
			return fmt.Errorf("admin-mintable role %q is not one of %s", role, strings.Join(known, ", "))
		}
	}
	return nil
}

// RevokeToken ends a token at once. The context's principal, if any, must
// be an administrator; without one (registryd token revoke) actor is recorded.
func (r *Access) RevokeToken(ctx context.Context, actor core.Principal, id int64) (Token, error) {
	if p, ok := core.PrincipalFrom(ctx); ok {
		if err := r.Authorize(p, authz.ObjToken, authz.ActManage); err != nil {
			return Token{}, err
		}
		actor = p
	}
	var out Token
	err := r.InTx(ctx, func(tx *ent.Tx) error {
		t, err := tx.APIToken.Get(ctx, int(id))
		if ent.IsNotFound(err) {
			return core.NotFound("token %d does not exist", id)
		}
		if err != nil {
			return err
		}
		if t.RevokedAt != nil {
			return core.FailedPrecondition("token %d is already revoked", id)
		}
		before := tokenOf(t)
		t, err = t.Update().SetRevokedAt(r.Now()).Save(ctx)
		if err != nil {
			return err
		}
		if err := r.Signal(ctx, tx, core.TopicTokens); err != nil {
			return err
		}
		out = tokenOf(t)
		return r.Record(ctx, tx, actor, core.Change{Action: "token.revoke", EntityType: "token", EntityID: fmt.Sprint(id), Before: before, After: out})
	})
	return out, err
}

// ListTokens lists every token without its secret; only administrators and auditors may.
func (r *Access) ListTokens(ctx context.Context) ([]Token, error) {
	if err := r.mayReadTokens(ctx); err != nil {
		return nil, err
	}
	rows, err := r.DB.APIToken.Query().Order(ent.Asc(apitoken.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	return core.Map(rows, tokenOf), nil
}

// mayReadTokens lets administrators (who manage tokens) and auditors
// (who read them) list tokens and sessions.
func (r *Access) mayReadTokens(ctx context.Context) error {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return err
	}
	d, err := r.Decide(p, authz.ObjToken, authz.ActManage)
	if err != nil {
		return err
	}
	if !d.Allowed {
		return r.Authorize(p, authz.ObjToken, authz.ActRead)
	}
	return nil
}

// Authenticate returns the principal of a bearer token. Unknown, malformed,
// expired and revoked tokens are all KindUnauthenticated.
func (r *Access) Authenticate(ctx context.Context, raw string) (core.Principal, error) {
	hash, ok := ParseToken(raw)
	if !ok {
		return core.Principal{}, core.NewError(core.KindUnauthenticated, "malformed bearer token")
	}
	p, _, err := r.tokenByHash(ctx, hash)
	return p, err
}

// tokenByHash returns the principal and expiry of the valid token with
// this hash; unknown, expired and revoked tokens are KindUnauthenticated.
func (r *Access) tokenByHash(ctx context.Context, hash string) (core.Principal, *time.Time, error) {
	wall := time.Now() // freshness is real time, whatever the registry's clock
	if e, ok := r.tokens.get(hash); ok && r.Signals.Fresh(core.TopicTokens, e.generation, e.filled, wall) {
		if e.expiresAt != nil && !r.Now().Before(*e.expiresAt) {
			return core.Principal{}, nil, core.NewError(core.KindUnauthenticated, "bearer token expired")
		}
		return e.principal, e.expiresAt, nil
	}
	generation := r.Signals.Generation(core.TopicTokens)
	t, err := r.DB.APIToken.Query().Where(apitoken.TokenHash(hash)).Only(ctx)
	if ent.IsNotFound(err) {
		return core.Principal{}, nil, core.NewError(core.KindUnauthenticated, "unknown bearer token")
	}
	if err != nil {
		return core.Principal{}, nil, err
	}
	// The row was found by its hash; compare again in constant time, so
	// that no index or collation quirk can let a near miss through.
	if subtle.ConstantTimeCompare([]byte(t.TokenHash), []byte(hash)) != 1 {
		return core.Principal{}, nil, core.NewError(core.KindUnauthenticated, "unknown bearer token")
	}
	now := r.Now()
	switch {
	case t.RevokedAt != nil:
		return core.Principal{}, nil, core.NewError(core.KindUnauthenticated, "bearer token revoked")
	case t.ExpiresAt != nil && !now.Before(*t.ExpiresAt):
		return core.Principal{}, nil, core.NewError(core.KindUnauthenticated, "bearer token expired")
	}
	p := core.Principal{Subject: t.Subject, Org: t.Organisation, Role: t.Role}
	r.tokens.put(hash, cachedToken{principal: p, expiresAt: t.ExpiresAt, generation: generation, filled: wall})
	return p, t.ExpiresAt, nil
}
