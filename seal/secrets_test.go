package seal

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

func mustSecrets(t *testing.T, fill byte) *Secrets {
	t.Helper()
	s, err := NewSecrets(bytes.Repeat([]byte{fill}, SecretKeySize))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewSecretsKeySize(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := NewSecrets(make([]byte, n)); err == nil {
			t.Errorf("a %d-byte key was accepted", n)
		}
	}
}

func TestParseSecretKey(t *testing.T) {
	raw := bytes.Repeat([]byte{0xa5}, SecretKeySize)
	for _, tc := range []struct {
		name, text string
		ok         bool
	}{
		{"hex", hex.EncodeToString(raw), true},
		{"hex with spaces around", "  " + hex.EncodeToString(raw) + "\n", true},
		{"base64", base64.StdEncoding.EncodeToString(raw), true},
		{"base64 unpadded", base64.RawStdEncoding.EncodeToString(raw), true},
		{"base64 url", base64.URLEncoding.EncodeToString(raw), true},
		{"short hex", hex.EncodeToString(raw[:16]), false},
		{"long base64", base64.StdEncoding.EncodeToString(append(raw, 1)), false},
		{"not a key", "correct horse battery staple", false},
		{"empty", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSecretKey(tc.text)
			if tc.ok != (err == nil) || (tc.ok && !bytes.Equal(got, raw)) {
				t.Fatalf("ParseSecretKey(%q) = %x, %v", tc.text, got, err)
			}
		})
	}
	if k, err := ParseSecretKey(NewSecretKey()); err != nil || len(k) != SecretKeySize {
		t.Fatalf("a fresh key does not parse: %v", err)
	}
	if NewSecretKey() == NewSecretKey() {
		t.Fatal("two fresh keys are equal")
	}
}

func TestSealOpen(t *testing.T) {
	s, other := mustSecrets(t, 1), mustSecrets(t, 2)
	sealed := s.Seal("11010519491231002X", TalentDocumentAAD("id"))
	if bytes.Contains(sealed, []byte("11010519491231002X")) {
		t.Fatal("the plaintext is visible in the sealed value")
	}
	if again := s.Seal("11010519491231002X", TalentDocumentAAD("id")); bytes.Equal(again, sealed) {
		t.Fatal("sealing twice gave the same bytes: the nonce is not fresh")
	}
	tampered := append([]byte(nil), sealed...)
	tampered[len(tampered)-1] ^= 1
	for _, tc := range []struct {
		name   string
		s      *Secrets
		sealed []byte
		aad    string
		ok     bool
	}{
		{"same key and purpose", s, sealed, TalentDocumentAAD("id"), true},
		{"another purpose", s, sealed, TalentDocumentAAD("passport"), false},
		{"another key", other, sealed, TalentDocumentAAD("id"), false},
		{"tampered", s, tampered, TalentDocumentAAD("id"), false},
		{"too short", s, sealed[:5], TalentDocumentAAD("id"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.s.Open(tc.sealed, tc.aad)
			if tc.ok != (err == nil) || (tc.ok && got != "11010519491231002X") {
				t.Fatalf("Open = %q, %v", got, err)
			}
		})
	}
}

func TestDerivedValues(t *testing.T) {
	a, a2, b := mustSecrets(t, 1), mustSecrets(t, 1), mustSecrets(t, 2)
	for _, tc := range []struct {
		name string
		of   func(*Secrets) string
	}{
		{"lookup hash", func(s *Secrets) string { return s.LookupHash("id", "11010519491231002X") }},
		{"page tag", func(s *Secrets) string { return hex.EncodeToString(s.PageTag("designation-42")) }},
		{"fingerprint", (*Secrets).Fingerprint},
		{"check value", (*Secrets).CheckValue},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.of(a) != tc.of(a2) {
				t.Error("differs for the same key")
			}
			if tc.of(a) == tc.of(b) {
				t.Error("equal for different keys")
			}
			if strings.Contains(tc.of(a), hex.EncodeToString(bytes.Repeat([]byte{1}, 8))) {
				t.Error("shows the key")
			}
		})
	}
	if a.LookupHash("id", "X1") == a.LookupHash("passport", "X1") || a.LookupHash("id", "X") == a.LookupHash("id\x00", "X") {
		t.Error("lookup hashes of different kinds collide")
	}
	if len(a.PageTag("k")) != PageTagSize || bytes.Equal(a.PageTag("k"), a.PageTag("k2")) {
		t.Error("page tags are not per key or not PageTagSize long")
	}
	if len(a.Fingerprint()) != 16 {
		t.Errorf("fingerprint %q is not 16 hex digits", a.Fingerprint())
	}
}
