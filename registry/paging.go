package registry

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
)

// Page sizes.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

func pageSize(v *violations, requested int) int {
	switch {
	case requested < 0:
		v.add("page_size", "must not be negative")
		return 0
	case requested == 0:
		return DefaultPageSize
	case requested > MaxPageSize:
		return MaxPageSize
	}
	return requested
}

// pageTagSize is the length of the MAC that makes page tokens tamper-evident.
const pageTagSize = 12

// pageTag authenticates a page token's key under the registry's secret, so
// a token the registry did not return is refused rather than obeyed.
func (s *Secrets) pageTag(key string) []byte {
	m := hmac.New(sha256.New, s.macKey)
	m.Write([]byte("page-token\x00"))
	m.Write([]byte(key))
	return m.Sum(nil)[:pageTagSize]
}

// encodePageToken makes the opaque token for the page after key.
func (s *Secrets) encodePageToken(key string) string {
	return base64.RawURLEncoding.EncodeToString(append(s.pageTag(key), key...))
}

// decodePageToken returns the key a token was made for; the empty token
// means the first page.
func (s *Secrets) decodePageToken(v *violations, token string) string {
	if token == "" {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) <= pageTagSize {
		v.add("page_token", "is not a token this registry returned")
		return ""
	}
	key := string(b[pageTagSize:])
	if !hmac.Equal(b[:pageTagSize], s.pageTag(key)) {
		v.add("page_token", "is not a token this registry returned")
		return ""
	}
	return key
}

func (s *Secrets) decodeIntPageToken(v *violations, token string) int64 {
	key := s.decodePageToken(v, token)
	if key == "" {
		return 0
	}
	n, err := strconv.ParseInt(key, 10, 64)
	if err != nil || n < 0 {
		v.add("page_token", "is not a token this registry returned")
		return 0
	}
	return n
}

// trimPage cuts rows, fetched with limit size+1, to one page and returns
// the token of the next page (empty on the last page).
func trimPage[T any](s *Secrets, rows []T, size int, key func(T) string) ([]T, string) {
	if len(rows) <= size {
		return rows, ""
	}
	rows = rows[:size]
	return rows, s.encodePageToken(key(rows[len(rows)-1]))
}
