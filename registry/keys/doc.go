// Package keys keeps the attestation signing keys, sealed at rest: the
// first key, rotation, withdrawal, the key set published for verifiers,
// and the check that the secret key is the one the database was made with.
package keys
