package attest

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Issuer names the registry in the attestations it signs; Verify accepts
// no other.
const Issuer = "hangzhou-ai-registry"

// MaxLifetime is the longest an attestation may be relied on: its exp may
// lie at most this long after its iat.
const MaxLifetime = 30 * 24 * time.Hour

// ClockSkew is how far an iat may lie outside its key's active period (or
// after now) and still be accepted: the replicas that sign and the one that
// rotates keys may disagree by this much about the time, and iat is in
// whole seconds.
const ClockSkew = 5 * time.Second

// typ is the protected header's typ, always written, always required.
const typ = "JWT"

// Kinds of attestation: an eligibility answer (Kind empty, as every
// eligibility attestation before kinds were named) or a support statement.
const (
	KindEligibility      = ""
	KindSupportStatement = "support-statement"
)

// KindName names an attestation's kind as the registry reports it:
// "eligibility" for the eligibility answers, which carry no kind.
func KindName(kind string) string {
	if kind == KindEligibility {
		return "eligibility"
	}
	return kind
}

// Claims are the claims of an attestation. An eligibility attestation
// says that the enterprise was or was not eligible for a park's benefit on
// a date, why, and which designations the answer relied on. A support
// statement (Kind KindSupportStatement) says what the enterprise was
// awarded, paid and ordered to repay under the support measures in Year,
// with the digest of the full statement and the awards it lists.
type Claims struct {
	Kind                 string   `json:"kind,omitempty"`
	Issuer               string   `json:"iss"`
	Subject              string   `json:"sub"` // the enterprise's credit code
	ParkCode             string   `json:"park"`
	EnterpriseCreditCode string   `json:"enterprise"`
	Benefit              string   `json:"benefit"`
	AsOf                 string   `json:"as_of"`
	Eligible             bool     `json:"eligible"`
	ReasonCodes          []string `json:"reasons"`
	DesignationIDs       []string `json:"designation_ids"`
	IssuedAt             int64    `json:"iat"` // Unix seconds
	ExpiresAt            int64    `json:"exp"` // Unix seconds
	// AuditTreeSize is the registry's audit tree size when the answer
	// was read: the events of every fact it relied on are among the
	// first AuditTreeSize, provable against any later checkpoint.
	AuditTreeSize int64 `json:"audit_tree_size,omitempty"`

	// A support statement's claims.
	Year            int      `json:"year,omitempty"`
	AwardedFen      int64    `json:"awarded_fen,omitempty"`
	DisbursedFen    int64    `json:"disbursed_fen,omitempty"`
	RecoveredFen    int64    `json:"recovered_fen,omitempty"`
	OutstandingFen  int64    `json:"outstanding_fen,omitempty"`
	StatementDigest string   `json:"statement_digest,omitempty"`
	AwardIDs        []string `json:"award_ids,omitempty"`
}

// Errors of Verify, distinct so callers can say why a token was refused.
var (
	// ErrMalformed: not a compact EdDSA JWS with a kid and JSON claims,
	// or (after the signature checked) claims of another issuer or shape.
	ErrMalformed = errors.New("malformed token")
	// ErrNonCanonical: the token decodes only leniently; see the package
	// documentation.
	ErrNonCanonical = errors.New("token is not in its canonical encoding")
	// ErrUnknownKey: no key of the set has the token's kid.
	ErrUnknownKey = errors.New("signed by an unknown key")
	// ErrBadSignature: the signature does not verify with the key of its
	// kid (or that key is no Ed25519 public key).
	ErrBadSignature = errors.New("signature does not verify")
	// ErrOutsideKeyPeriod: iat lies outside its key's active period, or
	// the key was published without one.
	ErrOutsideKeyPeriod = errors.New("issued outside its key's active period")
	// ErrLifetime: exp − iat exceeds MaxLifetime, or exp is not after iat.
	ErrLifetime = errors.New("lifetime exceeds the maximum")
	// ErrExpired: the attestation was genuine but its exp has passed.
	ErrExpired = errors.New("expired")
)

// header is the protected header, in the order Sign writes its members.
type header struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

// Sign returns the compact JWS of claims, marshalled to JSON, signed with
// priv under kid: protected header {"alg":"EdDSA","kid":KID,"typ":"JWT"}.
// It signs what it is given; the rules on iat and exp are Verify's. A kid
// whose JSON form Verify would not accept as canonical is refused.
func Sign(priv ed25519.PrivateKey, kid string, claims Claims) (string, error) {
	if kid == "" {
		return "", errors.New("attest: a key id is required")
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.EdDSA, Key: jose.JSONWebKey{Key: priv, KeyID: kid}},
		(&jose.SignerOptions{}).WithType(typ),
	)
	if err != nil {
		return "", fmt.Errorf("attest: %w", err)
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("attest: %w", err)
	}
	token, err := obj.CompactSerialize()
	if err != nil {
		return "", fmt.Errorf("attest: %w", err)
	}
	// go-jose and encoding/json could disagree on a kid's escapes; what
	// Sign returns must be what Verify calls canonical. The payload is
	// encoding/json's own, so only the kid can make the difference: the
	// first token signed under each kid is parsed, and the kid remembered.
	if _, ok := canonicalKids.Load(kid); !ok {
		if _, _, err := parse(token); err != nil {
			return "", fmt.Errorf("attest: key id %q: %w", kid, err)
		}
		canonicalKids.Store(kid, struct{}{})
	}
	return token, nil
}

// canonicalKids are the key ids Sign has seen produce a canonical token.
var canonicalKids sync.Map

// Verification is what Verify learnt of a token, as far as it got.
type Verification struct {
	// KeyID is the token's kid, once its header reads (from
	// ErrUnknownKey on).
	KeyID string
	// SignatureValid: the signature checked with the key of KeyID.
	SignatureValid bool
	// Claims are the signed claims, once they read (from
	// ErrOutsideKeyPeriod on: the key-period, lifetime and expiry
	// refusals, and success).
	Claims *Claims
}

// Token is an attestation whose form has been checked (Parse): canonical
// compact JWS, the registry's header. Nothing about it is trusted yet.
type Token struct {
	obj *jose.JSONWebSignature
	kid string
}

// Parse checks token's form, the first rules of Verify, needing no keys:
// a caller can refuse a malformed token before it fetches the key set.
func Parse(token string) (*Token, error) {
	obj, h, err := parse(token)
	if err != nil {
		return nil, err
	}
	return &Token{obj: obj, kid: h.Kid}, nil
}

// Verify checks an attestation against the published keys at now, in the
// order of the package documentation, and returns the first rule it
// breaks (one of the errors above) with what was learnt before it: nil
// means genuine, issued while its key signed, and not expired. Expiry is
// the last rule, so an ErrExpired Verification is otherwise complete.
func Verify(token string, keys KeySet, now time.Time) (Verification, error) {
	t, err := Parse(token)
	if err != nil {
		return Verification{}, err
	}
	return t.Verify(keys, now)
}

// Verify applies the rules after the form (see the package function
// Verify) to a parsed token.
func (t *Token) Verify(keys KeySet, now time.Time) (Verification, error) {
	v := Verification{KeyID: t.kid}
	key, ok := keys.Key(t.kid)
	if !ok {
		return v, ErrUnknownKey
	}
	pub, ok := key.Ed25519()
	if !ok {
		return v, fmt.Errorf("%w: key %s is not an Ed25519 public key", ErrBadSignature, t.kid)
	}
	payload, err := t.obj.Verify(pub)
	if err != nil {
		return v, ErrBadSignature
	}
	v.SignatureValid = true
	var c Claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return v, fmt.Errorf("%w: claims: %v", ErrMalformed, err)
	}
	if c.Issuer != Issuer {
		return v, fmt.Errorf("%w: issuer %q", ErrMalformed, c.Issuer)
	}
	v.Claims = &c
	if err := checkIssued(key, c.IssuedAt, c.ExpiresAt, now); err != nil {
		return v, err
	}
	if now.Unix() >= c.ExpiresAt {
		return v, ErrExpired
	}
	return v, nil
}

// checkIssued applies the attestation rules to iat and exp (Unix seconds)
// against the key that signed, now: the key was the signing key at iat
// (active_from ≤ iat ≤ active_until, or ≤ now while it is current, each
// within ClockSkew), and 0 < exp − iat ≤ MaxLifetime. A key without an
// active period is refused with ErrOutsideKeyPeriod.
func checkIssued(k Key, iat, exp int64, now time.Time) error {
	skew := int64(ClockSkew / time.Second)
	until := now.Unix()
	if k.ActiveUntil != 0 {
		until = min(until, k.ActiveUntil)
	}
	if k.ActiveFrom == 0 || iat < k.ActiveFrom-skew || iat > until+skew {
		return ErrOutsideKeyPeriod
	}
	if exp <= iat || exp-iat > int64(MaxLifetime/time.Second) {
		return ErrLifetime
	}
	return nil
}

// parse reads a compact JWS in its canonical encoding only. A token that
// decodes only leniently is ErrNonCanonical; one that does not decode at
// all, or is no EdDSA JWS with a kid and a JSON payload, ErrMalformed.
// go-jose alone would take some lenient spellings (spare bits, extra
// header members, any member order) and refuse others as garbage, so the
// segments and the header are checked here first, and go-jose's own
// serialisation of what it parsed must give the token back.
func parse(token string) (*jose.JSONWebSignature, header, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, header{}, ErrMalformed
	}
	var decoded [3][]byte
	canonical := true
	for i, part := range parts {
		b, err := decodeLenient(part)
		if err != nil {
			return nil, header{}, ErrMalformed
		}
		decoded[i] = b
		canonical = canonical && base64.RawURLEncoding.EncodeToString(b) == part
	}
	rawHeader, payload := decoded[0], decoded[1]
	var h header
	if err := json.Unmarshal(rawHeader, &h); err != nil || h.Alg != string(jose.EdDSA) || h.Kid == "" || !json.Valid(payload) {
		return nil, header{}, ErrMalformed
	}
	// The header must be exactly what Sign writes: these members, in this
	// order, no spacing or escapes.
	want, err := json.Marshal(header{Alg: string(jose.EdDSA), Kid: h.Kid, Typ: typ})
	if err != nil || string(want) != string(rawHeader) {
		canonical = false
	}
	if !canonical {
		return nil, header{}, ErrNonCanonical
	}
	obj, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		return nil, header{}, ErrMalformed
	}
	if len(obj.Signatures) != 1 {
		return nil, header{}, ErrMalformed
	}
	sig := obj.Signatures[0]
	if !reflect.DeepEqual(sig.Unprotected, jose.Header{}) || sig.Protected.KeyID != h.Kid ||
		sig.Protected.Algorithm != string(jose.EdDSA) || sig.Protected.JSONWebKey != nil ||
		len(sig.Protected.ExtraHeaders) != 1 || sig.Protected.ExtraHeaders[jose.HeaderType] != typ {
		return nil, header{}, ErrNonCanonical
	}
	if again, err := obj.CompactSerialize(); err != nil || again != token {
		return nil, header{}, ErrNonCanonical
	}
	return obj, h, nil
}

// decodeLenient decodes a segment the way a forgiving decoder would:
// ignoring whitespace and padding, accepting the standard alphabet and
// non-zero spare bits. parse compares the result, encoded again, with the
// segment to tell a non-canonical spelling from garbage.
func decodeLenient(part string) ([]byte, error) {
	part = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r', '\f', '\v':
			return -1
		case '+':
			return '-'
		case '/':
			return '_'
		}
		return r
	}, part)
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(part, "="))
}
