package access

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

// refTokenAlphabet is the base64url alphabet (RFC 4648 §5).
const refTokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// refParseToken is a straightforward reference for ParseToken: "rgt_"
// followed by exactly 43 characters of the base64url alphabet, unpadded,
// encoding 32 bytes (43 characters carry 258 bits, so the last character's
// 2 low bits must be zero); the hash is hex SHA-256 of the whole token.
func refParseToken(raw string) (string, bool) {
	if len(raw) != len("rgt_")+43 || raw[:4] != "rgt_" {
		return "", false
	}
	for i := 4; i < len(raw); i++ {
		if strings.IndexByte(refTokenAlphabet, raw[i]) < 0 {
			return "", false
		}
	}
	if strings.IndexByte(refTokenAlphabet, raw[len(raw)-1])&3 != 0 {
		return "", false
	}
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:]), true
}

// FuzzParseToken: ParseToken never panics, accepts exactly what the
// reference accepts, with the same hash, and accepts every token made the
// way IssueToken makes them.
func FuzzParseToken(f *testing.F) {
	valid := TokenPrefix + base64.RawURLEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	for _, s := range []string{valid, "", "rgt_", "RGT_" + valid[4:], valid[:46], valid + "A", valid[:46] + "=", valid[:46] + "B",
		strings.ReplaceAll(valid, "_", "/"), "eyJhbGciOiJFZERTQSJ9.e30.c2ln", "rgt_" + strings.Repeat("汉", 15)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		hash, ok := ParseToken(raw)
		refHash, refOK := refParseToken(raw)
		switch {
		case ok && refOK:
			if hash != refHash {
				t.Fatalf("ParseToken(%q) hash %s, reference %s", raw, hash, refHash)
			}
		case refOK:
			t.Fatalf("ParseToken(%q) refused a well-formed token", raw)
		case ok:
			t.Fatalf("ParseToken(%q) accepted a malformed token", raw)
		default:
			if hash != "" {
				t.Fatalf("ParseToken(%q) refused it but returned hash %q", raw, hash)
			}
		}
		// A token made from any 32 bytes, as IssueToken makes them, parses.
		secret := sha256.Sum256([]byte(raw))
		made := TokenPrefix + base64.RawURLEncoding.EncodeToString(secret[:])
		if h, ok := ParseToken(made); !ok || len(h) != 64 {
			t.Fatalf("ParseToken(%q) = %q, %v for an issued-style token", made, h, ok)
		}
	})
}
