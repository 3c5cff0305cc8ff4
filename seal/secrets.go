package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// SecretKeySize is the length in bytes of the registry's master secret key.
const SecretKeySize = 32

// Secrets protects personal identifiers at rest: AES-256-GCM for the value,
// HMAC-SHA-256 for lookups. Both keys are derived from one master key.
type Secrets struct {
	aead   cipher.AEAD
	macKey []byte
	// fingerprint names the master key without revealing it.
	fingerprint string
	// check is the key check value the database stores (see keys.CheckSecretKey).
	check string
}

// NewSecrets derives the encryption and lookup keys from a 32-byte master key.
func NewSecrets(master []byte) (*Secrets, error) {
	if len(master) != SecretKeySize {
		return nil, fmt.Errorf("secret key must be %d bytes, got %d", SecretKeySize, len(master))
	}
	block, err := aes.NewCipher(derive(master, "registry identity encryption v1"))
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Secrets{
		aead:        aead,
		macKey:      derive(master, "registry identity lookup v1"),
		fingerprint: hex.EncodeToString(derive(master, "registry key fingerprint v1")[:8]),
		check:       hex.EncodeToString(derive(derive(master, "registry key check v1"), keyCheckLabel)),
	}, nil
}

// Fingerprint names the master key (16 hex digits of a one-way function of
// it), so logs and the audit trail can say which key is in use without
// revealing it.
func (s *Secrets) Fingerprint() string { return s.fingerprint }

// ParseSecretKey decodes a master key given as 64 hex digits or as base64
// (standard or URL alphabet, padded or not) of 32 bytes.
func ParseSecretKey(text string) ([]byte, error) {
	text = strings.TrimSpace(text)
	if b, err := hex.DecodeString(text); err == nil && len(b) == SecretKeySize {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(text); err == nil && len(b) == SecretKeySize {
			return b, nil
		}
	}
	return nil, errors.New("secret key must be 32 bytes as 64 hex digits or base64")
}

// NewSecretKey returns a fresh random master key encoded as hex.
func NewSecretKey() string {
	return hex.EncodeToString(RandomBytes(SecretKeySize))
}

// keyCheckLabel is the fixed text whose HMAC, under a key derived from the
// master key, is the key check value.
const keyCheckLabel = "hangzhou-ai registry: this database is sealed under this key"

// derive is HMAC-SHA-256 of label under master: one independent key per
// purpose from the one master key.
func derive(master []byte, label string) []byte {
	m := hmac.New(sha256.New, master)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// RandomBytes returns n bytes from crypto/rand.
func RandomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return b
}

// Seal encrypts plaintext; aad binds the ciphertext to its purpose.
func (s *Secrets) Seal(plaintext, aad string) []byte {
	nonce := RandomBytes(s.aead.NonceSize())
	return s.aead.Seal(nonce, nonce, []byte(plaintext), []byte(aad))
}

// Open decrypts a value sealed with the same aad.
func (s *Secrets) Open(sealed []byte, aad string) (string, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return "", errors.New("ciphertext too short")
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(aad))
	return string(plain), err
}

// LookupHash is a keyed hash of value within kind, used to find a record
// by an identifier that is stored only encrypted.
func (s *Secrets) LookupHash(kind, value string) string {
	m := hmac.New(sha256.New, s.macKey)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}

// TalentDocumentAAD binds a talent's sealed identity document to its kind.
func TalentDocumentAAD(kind string) string { return "talent:" + kind }

// PageTagSize is the length of the MAC that makes page tokens tamper-evident.
const PageTagSize = 12

// PageTag authenticates a page token's key under the registry's secret, so
// a token the registry did not return is refused rather than obeyed.
func (s *Secrets) PageTag(key string) []byte {
	m := hmac.New(sha256.New, s.macKey)
	m.Write([]byte("page-token\x00"))
	m.Write([]byte(key))
	return m.Sum(nil)[:PageTagSize]
}

// CheckValue is what the database stores to recognise the key: an HMAC of a
// fixed label under a key derived from the master key. It reveals nothing
// about the key and opens nothing.
func (s *Secrets) CheckValue() string { return s.check }
