package checkpoint

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint is a tree head: the log's origin, how many records the tree
// holds, and its root hash.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
}

// Text is the checkpoint's signed body: three lines, the origin, the size
// in decimal and the root hash in standard base64.
func (c Checkpoint) Text() []byte {
	return fmt.Appendf(nil, "%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root[:]))
}

// ParseText reads a checkpoint's body as Text writes it. Lines after the
// third (extensions) are refused: this log writes none.
func ParseText(text []byte) (Checkpoint, error) {
	lines := strings.Split(string(text), "\n")
	if len(lines) != 4 || lines[3] != "" {
		return Checkpoint{}, errors.New("checkpoint: want three lines: origin, tree size, root hash")
	}
	c := Checkpoint{Origin: lines[0]}
	if c.Origin == "" {
		return Checkpoint{}, errors.New("checkpoint: empty origin")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return Checkpoint{}, fmt.Errorf("checkpoint: bad tree size %q", lines[1])
	}
	c.Size = size
	root, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		return Checkpoint{}, fmt.Errorf("checkpoint: bad root hash %q", lines[2])
	}
	copy(c.Root[:], root)
	return c, nil
}

// Signer signs checkpoints with a note signer key. Its name is the log's
// origin.
type Signer struct {
	signer      note.Signer
	verifierKey string
}

// GenerateKey makes a new signer key for the log named origin, and its
// verifier key. Keep the signer key secret and apart from the database;
// publish the verifier key.
func GenerateKey(origin string) (signerKey, verifierKey string, err error) {
	return note.GenerateKey(rand.Reader, origin)
}

// NewSigner reads a signer key ("PRIVATE+KEY+<origin>+<hash>+<key>", as
// GenerateKey makes it; surrounding space is ignored).
func NewSigner(signerKey string) (*Signer, error) {
	signerKey = strings.TrimSpace(signerKey)
	s, err := note.NewSigner(signerKey)
	if err != nil {
		return nil, fmt.Errorf("checkpoint key: %w", err)
	}
	// The note signer key ends with base64 of the algorithm byte and the
	// Ed25519 seed; the verifier key is derived from the seed.
	// (PRIVATE+KEY+name+hash+key: the name holds no "+", base64 may).
	parts := strings.SplitN(signerKey, "+", 5)
	raw, err := base64.StdEncoding.DecodeString(parts[len(parts)-1])
	if len(parts) != 5 || err != nil || len(raw) != 1+ed25519.SeedSize {
		return nil, errors.New("checkpoint key: not an Ed25519 signer key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(s.Name(), pub)
	if err != nil {
		return nil, fmt.Errorf("checkpoint key: %w", err)
	}
	return &Signer{signer: s, verifierKey: vkey}, nil
}

// Origin is the log's name: the key's.
func (s *Signer) Origin() string { return s.signer.Name() }

// VerifierKey is the note verifier key checkpoints verify with.
func (s *Signer) VerifierKey() string { return s.verifierKey }

// Sign signs the checkpoint of a tree of size records with the given root,
// under the signer's origin.
func (s *Signer) Sign(size int64, root tlog.Hash) ([]byte, error) {
	c := Checkpoint{Origin: s.Origin(), Size: size, Root: root}
	return note.Sign(&note.Note{Text: string(c.Text())}, s.signer)
}

// Open checks a signed checkpoint against the verifier key and returns it.
// The checkpoint's origin must be the key's name.
func Open(signed []byte, verifierKey string) (Checkpoint, error) {
	v, err := note.NewVerifier(strings.TrimSpace(verifierKey))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint verifier key: %w", err)
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint signature: %w", err)
	}
	c, err := ParseText([]byte(n.Text))
	if err != nil {
		return Checkpoint{}, err
	}
	if c.Origin != v.Name() {
		return Checkpoint{}, fmt.Errorf("checkpoint: origin %q is not the key's log %q", c.Origin, v.Name())
	}
	return c, nil
}

// IsSigned tells whether b looks like a signed note (text, a blank line,
// signature lines), as opposed to some other file.
func IsSigned(b []byte) bool { return bytes.Contains(b, []byte("\n\n— ")) }
