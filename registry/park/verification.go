package park

import (
	"context"
	"errors"

	"github.com/hangzhou-ai/registry/attest"
	"github.com/hangzhou-ai/registry/ent"
	entdesignation "github.com/hangzhou-ai/registry/ent/designation"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/internal/core"
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
	// the period its key was the signing key (see attest.Verify).
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
	Claims              *attest.Claims
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
// of every designation it relied on: a changed one makes an eligibility
// attestation invalid (designation_changed), and is only reported for a
// support statement. Anyone may ask; nothing beyond the token's own
// claims is revealed.
func (r *Parks) VerifyAttestation(ctx context.Context, token string) (AttestationCheck, error) {
	if token == "" {
		return AttestationCheck{}, core.InvalidField("token", "is required")
	}
	if len(token) > maxAttestationLen {
		return AttestationCheck{}, core.InvalidField("token", "is too long to be an attestation")
	}
	// The form is checked before the key set is read, so a malformed
	// token costs no query.
	var v attest.Verification
	t, verr := attest.Parse(token)
	if verr == nil {
		keys, err := r.Keys.SigningKeys(ctx)
		if err != nil {
			return AttestationCheck{}, err
		}
		v, verr = t.Verify(keys, r.Now())
	}
	check := AttestationCheck{KeyID: v.KeyID, SignatureValid: v.SignatureValid, Claims: v.Claims}
	switch err := verr; {
	case err == nil, errors.Is(err, attest.ErrExpired):
		// Expired or not, the designations relied on are reported.
	case errors.Is(err, attest.ErrNonCanonical):
		check.Problem = ProblemNonCanonical
	case errors.Is(err, attest.ErrUnknownKey):
		check.Problem = ProblemUnknownKey
	case errors.Is(err, attest.ErrBadSignature):
		check.Problem = ProblemBadSignature
	case errors.Is(err, attest.ErrOutsideKeyPeriod):
		check.Problem = ProblemOutsideKeyPeriod
	case errors.Is(err, attest.ErrLifetime):
		check.Problem = ProblemLifetime
	default:
		check.Problem = ProblemMalformed
	}
	if check.Problem != "" {
		return check, nil
	}
	claims := *v.Claims
	today := r.Today()
	byID := map[string]*ent.Designation{}
	if len(claims.DesignationIDs) > 0 {
		rows, err := r.DB.Designation.Query().Where(entdesignation.IDIn(claims.DesignationIDs...)).All(ctx)
		if err != nil {
			return check, err
		}
		for _, d := range rows {
			byID[d.ID] = d
		}
	}
	for _, id := range claims.DesignationIDs {
		// A designation no longer there counts as revoked.
		standing := Standing{DesignationID: id, StatusNow: designation.StatusRevoked}
		if d, ok := byID[id]; ok {
			standing.StatusNow = designation.DesignationOf(d, today).Status
		}
		check.Designations = append(check.Designations, standing)
		check.DesignationsChanged = check.DesignationsChanged || standing.StatusNow != designation.StatusActive
	}
	check.Expired = errors.Is(verr, attest.ErrExpired)
	switch {
	case check.Expired:
		check.Problem = ProblemExpired
	case check.DesignationsChanged && claims.Kind != attest.KindSupportStatement:
		// A support statement reports what was awarded and paid, which
		// a later revocation does not change: the standing is shown, and
		// the statement stays valid.
		check.Problem = ProblemDesignationChanged
	default:
		check.Valid = true
	}
	return check, nil
}
