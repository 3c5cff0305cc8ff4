// Package checkpoint writes and reads the audit log's signed checkpoints:
// the log's origin, tree size and RFC 6962 root hash (the text of the
// transparency-log checkpoint convention), signed as a note
// (golang.org/x/mod/sumdb/note) with an Ed25519 key kept apart from the
// database. A checkpoint verifies with nothing but the verifier key, so a
// third party that saved one can later prove what the log said.
package checkpoint
