package park

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/internal/core"

	"github.com/hangzhou-ai/registry/ent"
	entdesignation "github.com/hangzhou-ai/registry/ent/designation"
	"github.com/hangzhou-ai/registry/registry/jws"
)

// Problems VerifyAttestation reports, one per way a token can fail.
const (
	ProblemMalformed = "malformed"
	// ProblemNonCanonical: the token decodes only leniently (whitespace,
	// padding, another base64 alphabet, non-zero spare bits, a header not
	// in the registry's own form); only the canonical spelling verifies.
	ProblemNonCanonical = "non_canonical"
	// ProblemUnknownKey: no published key has the token's kid, including
	// keys withdrawn with `registryd keys retire`.
	ProblemUnknownKey   = "unknown_key"
	ProblemBadSignature = "bad_signature"
	// ProblemOutsideKeyPeriod: the signature checks, but iat lies outside
	// the period its key was the signing key (see jws.CheckIssued).
	ProblemOutsideKeyPeriod = "issued_outside_key_period"
	// ProblemLifetime: exp lies more than the maximum lifetime (30 days)
	// after iat.
	ProblemLifetime           = "lifetime_exceeded"
	ProblemExpired            = "expired"
	ProblemDesignationChanged = "designation_changed"
)

// Standing is the current status of a designation an attestation relied on.
type Standing struct {
	DesignationID string
	StatusNow     designation.Status
}

// AttestationCheck is the result of checking an attestation.
type AttestationCheck struct {
	Valid               bool
	SignatureValid      bool
	Expired             bool
	Problem             string
	Claims              *AttestationClaims
	KeyID               string
	Designations        []Standing
	DesignationsChanged bool
}

// maxAttestationLen bounds the token accepted for checking.
const maxAttestationLen = 16 << 10

// VerifyAttestation checks an attestation's signature, in its canonical
// encoding only, against the registry's published keys (withdrawn keys are
// unknown), that it was issued while its key was the signing key and is
// valid for at most 30 days, its expiry against now, and the current status
// of every designation it relied on. Anyone may ask; nothing beyond the token's own
// claims is revealed.
func (r *Parks) VerifyAttestation(ctx context.Context, token string) (AttestationCheck, error) {
	if token == "" {
		return AttestationCheck{}, core.InvalidField("token", "is required")
	}
	if len(token) > maxAttestationLen {
		return AttestationCheck{}, core.InvalidField("token", "is too long to be an attestation")
	}
	check := AttestationCheck{}
	tok, err := jws.Parse(token)
	switch {
	case errors.Is(err, jws.ErrNonCanonical):
		check.Problem = ProblemNonCanonical
		return check, nil
	case err != nil:
		check.Problem = ProblemMalformed
		return check, nil
	}
	check.KeyID = tok.Header.Kid
	keys, err := r.Keys.SigningKeys(ctx)
	if err != nil {
		return check, err
	}
	switch err := tok.Verify(keys); {
	case errors.Is(err, jws.ErrUnknownKey):
		check.Problem = ProblemUnknownKey
		return check, nil
	case err != nil:
		check.Problem = ProblemBadSignature
		return check, nil
	}
	check.SignatureValid = true
	var claims AttestationClaims
	if err := json.Unmarshal(tok.Payload, &claims); err != nil || claims.Issuer != AttestationIssuer {
		check.Problem = ProblemMalformed
		return check, nil
	}
	check.Claims = &claims
	key, _ := keys.Key(tok.Header.Kid)
	switch err := jws.CheckIssued(key, claims.IssuedAt, claims.ExpiresAt, r.Now()); {
	case errors.Is(err, jws.ErrLifetime):
		check.Problem = ProblemLifetime
		return check, nil
	case err != nil:
		check.Problem = ProblemOutsideKeyPeriod
		return check, nil
	}
	today := r.Today()
	for _, id := range claims.DesignationIDs {
		d, err := r.DB.Designation.Query().Where(entdesignation.ID(id)).Only(ctx)
		standing := Standing{DesignationID: id, StatusNow: designation.StatusRevoked}
		switch {
		case err == nil:
			standing.StatusNow = designation.DesignationOf(d, today).Status
		case !ent.IsNotFound(err):
			return check, err
		}
		check.Designations = append(check.Designations, standing)
		check.DesignationsChanged = check.DesignationsChanged || standing.StatusNow != designation.StatusActive
	}
	check.Expired = r.Now().Unix() >= claims.ExpiresAt
	switch {
	case check.Expired:
		check.Problem = ProblemExpired
	case check.DesignationsChanged:
		check.Problem = ProblemDesignationChanged
	default:
		check.Valid = true
	}
	return check, nil
}
