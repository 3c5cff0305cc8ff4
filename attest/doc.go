// Package attest owns the registry's signed attestations: the claims of an
// eligibility attestation (Claims, one definition for the registry that
// signs and the tools that check), signing them (Sign) and verifying them
// (Verify) as compact JSON Web Signatures with EdDSA (Ed25519) on go-jose,
// and the JSON Web Key Set that publishes the keys (KeySet), each key with
// the period it was the signing key.
//
// Verify applies every rule an attestation must meet on its own, so the
// registry's VerifyAttestation and offline `registryctl verify` answer
// alike:
//
//   - only the canonical encoding verifies: each segment unpadded base64url
//     exactly as Sign writes it (no whitespace, no padding, no other
//     alphabet, zero spare bits in the last character) and the protected
//     header exactly {"alg":"EdDSA","kid":KID,"typ":"JWT"}, no other
//     member, order, spacing or escape. One signature has one accepted
//     spelling; any other that would decode to a token is ErrNonCanonical;
//   - the key is found by kid among the published keys (a withdrawn key is
//     not published, so it is unknown) and the signature checks with it;
//   - iat lies within the key's active period, within ClockSkew, and exp
//     at most MaxLifetime after iat;
//   - the attestation has not expired.
//
// Whether the designations an attestation relied on still stand is not
// the package's to know; the registry answers that.
//
// The package is a leaf: it imports nothing of the registry, so offline
// verifiers can use it alone.
package attest
