package oidc

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/hangzhou-ai/registry/registry"
)

// Defaults for Config fields left empty.
const (
	DefaultSubjectClaim    = "sub"
	DefaultOrgClaim        = "org"
	DefaultRoleClaim       = "role"
	DefaultLeeway          = time.Minute
	DefaultRefetchInterval = 30 * time.Second
	DefaultMaxKeyAge       = time.Hour
)

// signatureAlgorithms are the JWS algorithms a token may be signed with.
// HMAC and "none" are never accepted.
var signatureAlgorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512,
	jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512,
	jose.EdDSA,
}

// Config says which provider to trust and how its claims name a principal.
type Config struct {
	// Issuer is the provider's issuer URL, exactly as tokens' "iss" and the
	// discovery document spell it. Required; https unless on loopback.
	Issuer string
	// Audience must be among a token's "aud" values. Required.
	Audience string
	// SubjectClaim, OrgClaim and RoleClaim name the claims holding the
	// principal's subject, organisation (bureau:<code>,
	// enterprise:<credit code>, park:<code>, auditor or admin) and role.
	// A name is looked up as a top-level claim first, then as a dotted path
	// into nested objects ("realm_access.role"). A claim's value is a
	// string, or an array of exactly one string.
	SubjectClaim, OrgClaim, RoleClaim string
	// HTTPClient fetches discovery and keys; default: 10-second timeout.
	HTTPClient *http.Client
	// Now is the clock for validity checks and the refetch limit.
	Now func() time.Time
	// Leeway tolerates clock skew on exp, nbf and iat; default one minute.
	Leeway time.Duration
	// RefetchInterval is the least time between two key fetches; default 30s.
	RefetchInterval time.Duration
	// MaxKeyAge is how long fetched keys are used before they are fetched
	// again (keeping the old ones if that fails); default one hour.
	MaxKeyAge time.Duration
}

// Problem classifies a refused token.
type Problem int

const (
	// Rejected: malformed, wrongly signed, unknown key, wrong issuer or
	// audience, or claims that name no valid principal.
	Rejected Problem = iota
	// Expired: past its expiry or before its not-before time.
	Expired
	// Unavailable: the provider's keys could not be fetched, so nothing
	// could be checked.
	Unavailable
)

// Error is why a token was refused. Reason is meant for the log; it never
// contains the token.
type Error struct {
	Problem Problem
	Reason  string
	Err     error
}

func (e *Error) Error() string { return "sso token refused: " + e.Reason }
func (e *Error) Unwrap() error { return e.Err }

func rejected(reason string) *Error { return &Error{Problem: Rejected, Reason: reason} }

// Verifier checks single sign-on tokens. It is safe for concurrent use.
type Verifier struct {
	cfg  Config
	keys *keySet
}

// New returns a Verifier for cfg. It does not reach the provider: keys are
// fetched on first use (or by Prefetch).
func New(cfg Config) (*Verifier, error) {
	if cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("oidc: issuer and audience are both required")
	}
	if err := checkURL(cfg.Issuer); err != nil {
		return nil, fmt.Errorf("oidc: issuer: %w", err)
	}
	if cfg.SubjectClaim == "" {
		cfg.SubjectClaim = DefaultSubjectClaim
	}
	if cfg.OrgClaim == "" {
		cfg.OrgClaim = DefaultOrgClaim
	}
	if cfg.RoleClaim == "" {
		cfg.RoleClaim = DefaultRoleClaim
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = DefaultLeeway
	}
	if cfg.RefetchInterval == 0 {
		cfg.RefetchInterval = DefaultRefetchInterval
	}
	if cfg.MaxKeyAge == 0 {
		cfg.MaxKeyAge = DefaultMaxKeyAge
	}
	return &Verifier{cfg: cfg, keys: &keySet{
		issuer: cfg.Issuer, client: cfg.HTTPClient, now: cfg.Now,
		refetch: cfg.RefetchInterval, maxAge: cfg.MaxKeyAge,
	}}, nil
}

// Prefetch discovers and fetches the provider's keys now, so that a
// misconfiguration shows at startup rather than on the first call.
func (v *Verifier) Prefetch(ctx context.Context) error {
	return v.keys.refresh(ctx)
}

// LooksLikeJWT reports whether raw has the shape of a compact JWS: three
// dot-separated base64url parts, the first two non-empty. Registry tokens
// (rgt_…) never do.
func LooksLikeJWT(raw string) bool {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return false
	}
	for _, p := range parts {
		if strings.Trim(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			return false
		}
		if _, err := base64.RawURLEncoding.DecodeString(p); err != nil {
			return false
		}
	}
	return true
}

// Verify checks raw (signature, issuer, audience, expiry, not-before) and
// returns the principal its claims name. Every refusal is an *Error.
func (v *Verifier) Verify(ctx context.Context, raw string) (registry.Principal, error) {
	p, _, err := v.VerifyUntil(ctx, raw)
	return p, err
}

// VerifyUntil is Verify that also returns when the token expires, which
// bounds a console session opened with it.
func (v *Verifier) VerifyUntil(ctx context.Context, raw string) (registry.Principal, time.Time, error) {
	p, exp, _, err := v.verify(ctx, raw, v.cfg.Audience)
	return p, exp, err
}

// VerifyIDToken checks an ID token the provider's token endpoint returned
// to the console's sign-in: as VerifyUntil does, except that its audience
// must include clientID (the configured audience when empty), an
// authorized party ("azp"), if named, must be clientID, and its "nonce"
// must be nonce, the one the sign-in sent the browser to the provider
// with. Every refusal is an *Error.
func (v *Verifier) VerifyIDToken(ctx context.Context, raw, clientID, nonce string) (registry.Principal, time.Time, error) {
	if clientID == "" {
		clientID = v.cfg.Audience
	}
	if nonce == "" {
		return registry.Principal{}, time.Time{}, rejected("no nonce to check the ID token against")
	}
	p, exp, all, err := v.verify(ctx, raw, clientID)
	if err != nil {
		return registry.Principal{}, time.Time{}, err
	}
	if azp, ok := all["azp"]; ok && azp != clientID {
		return registry.Principal{}, time.Time{}, rejected(fmt.Sprintf("ID token's authorized party %.200q is not the client %q", fmt.Sprint(azp), clientID))
	}
	got, _ := all["nonce"].(string)
	if subtle.ConstantTimeCompare([]byte(got), []byte(nonce)) != 1 {
		return registry.Principal{}, time.Time{}, rejected("ID token's nonce is missing or not the sign-in's")
	}
	return p, exp, nil
}

// Endpoints returns the provider's authorization and token endpoints from
// its discovery document (fetched once and kept), for the console's
// sign-in through the provider. Both must be https unless on loopback.
func (v *Verifier) Endpoints(ctx context.Context) (authURL, tokenURL string, err error) {
	// The document serves every caller, so one giving up does not cancel it.
	doc, err := v.keys.discover(context.WithoutCancel(ctx))
	if err != nil {
		return "", "", err
	}
	if err := checkURL(doc.AuthorizationEndpoint); err != nil {
		return "", "", fmt.Errorf("discovery: authorization_endpoint: %w", err)
	}
	if err := checkURL(doc.TokenEndpoint); err != nil {
		return "", "", fmt.Errorf("discovery: token_endpoint: %w", err)
	}
	return doc.AuthorizationEndpoint, doc.TokenEndpoint, nil
}

// verify checks raw's signature, issuer, audience (aud must include
// audience) and validity period, and returns the principal its claims
// name, its expiry and all its claims.
func (v *Verifier) verify(ctx context.Context, raw, audience string) (registry.Principal, time.Time, map[string]any, error) {
	tok, err := jwt.ParseSigned(raw, signatureAlgorithms)
	if err != nil {
		return registry.Principal{}, time.Time{}, nil, rejected("malformed or unsupported token: " + trimJose(err))
	}
	if len(tok.Headers) != 1 {
		return registry.Principal{}, time.Time{}, nil, rejected("token must carry exactly one signature")
	}
	hdr := tok.Headers[0]
	candidates, err := v.keys.lookup(ctx, hdr.KeyID)
	if err != nil {
		return registry.Principal{}, time.Time{}, nil, err
	}
	var std jwt.Claims
	var all map[string]any
	verified := false
	for _, k := range candidates {
		if k.Algorithm != "" && k.Algorithm != hdr.Algorithm {
			continue
		}
		if tok.Claims(k.Key, &std, &all) == nil {
			verified = true
			break
		}
	}
	if !verified {
		return registry.Principal{}, time.Time{}, nil, rejected(fmt.Sprintf("signature does not verify with key %.64q (%s)", hdr.KeyID, hdr.Algorithm))
	}
	if std.Expiry == nil {
		return registry.Principal{}, time.Time{}, nil, rejected("token has no expiry (exp)")
	}
	err = std.ValidateWithLeeway(jwt.Expected{
		Issuer:      v.cfg.Issuer,
		AnyAudience: jwt.Audience{audience},
		Time:        v.cfg.Now(),
	}, v.cfg.Leeway)
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrExpired):
		return registry.Principal{}, time.Time{}, nil, &Error{Problem: Expired, Reason: "token expired at " + std.Expiry.Time().UTC().Format(time.RFC3339)}
	case errors.Is(err, jwt.ErrNotValidYet):
		return registry.Principal{}, time.Time{}, nil, &Error{Problem: Expired, Reason: "token not valid before " + std.NotBefore.Time().UTC().Format(time.RFC3339)}
	case errors.Is(err, jwt.ErrIssuedInTheFuture):
		return registry.Principal{}, time.Time{}, nil, rejected("token issued in the future")
	case errors.Is(err, jwt.ErrInvalidIssuer):
		return registry.Principal{}, time.Time{}, nil, rejected(fmt.Sprintf("issuer %.200q is not the configured issuer", std.Issuer))
	case errors.Is(err, jwt.ErrInvalidAudience):
		return registry.Principal{}, time.Time{}, nil, rejected(fmt.Sprintf("audience %.200q does not include %q", []string(std.Audience), audience))
	default:
		return registry.Principal{}, time.Time{}, nil, rejected("claims: " + trimJose(err))
	}
	p, err := v.principal(all)
	if err != nil {
		return registry.Principal{}, time.Time{}, nil, err
	}
	return p, std.Expiry.Time(), all, nil
}

// principal maps the configured claims to a principal and validates it
// with the registry's rules.
func (v *Verifier) principal(all map[string]any) (registry.Principal, error) {
	var p registry.Principal
	for _, c := range []struct {
		name string
		dst  *string
	}{{v.cfg.SubjectClaim, &p.Subject}, {v.cfg.OrgClaim, &p.Org}, {v.cfg.RoleClaim, &p.Role}} {
		val, ok := claimString(all, c.name)
		if !ok {
			return registry.Principal{}, rejected(fmt.Sprintf("claim %q is missing or not a single string", c.name))
		}
		*c.dst = strings.TrimSpace(val)
	}
	if err := registry.ValidatePrincipal(p); err != nil {
		var re *registry.Error
		reason := err.Error()
		if errors.As(err, &re) && len(re.Violations) > 0 {
			var parts []string
			for _, fv := range re.Violations {
				parts = append(parts, fv.Field+": "+fv.Description)
			}
			reason = strings.Join(parts, "; ")
		}
		return registry.Principal{}, rejected("claims name no valid principal: " + reason)
	}
	return p, nil
}

// claimString finds name as a top-level claim, then as a dotted path.
func claimString(all map[string]any, name string) (string, bool) {
	val, ok := all[name]
	if !ok && strings.Contains(name, ".") {
		var cur any = all
		for _, part := range strings.Split(name, ".") {
			m, isMap := cur.(map[string]any)
			if !isMap {
				return "", false
			}
			if cur, ok = m[part]; !ok {
				return "", false
			}
		}
		val = cur
	}
	switch x := val.(type) {
	case string:
		return x, x != ""
	case []any:
		if len(x) == 1 {
			s, isString := x[0].(string)
			return s, isString && s != ""
		}
	}
	return "", false
}

// trimJose drops the library's prefix from an error message.
func trimJose(err error) string {
	msg := err.Error()
	for _, p := range []string{"go-jose/go-jose/jwt: ", "go-jose/go-jose: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	return msg
}
