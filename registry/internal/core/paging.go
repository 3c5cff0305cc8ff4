package core

import (
	"crypto/hmac"
	"encoding/base64"
	"strconv"

	"github.com/hangzhou-ai/registry/seal"
)

// Page sizes.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

func PageSize(v *Violations, requested int) int {
	switch {
	case requested < 0:
		v.Add("page_size", "must not be negative")
		return 0
	case requested == 0:
		return DefaultPageSize
	case requested > MaxPageSize:
		return MaxPageSize
	}
	return requested
}

// encodePageToken makes the opaque token for the page after key.
func encodePageToken(s *seal.Secrets, key string) string {
	return base64.RawURLEncoding.EncodeToString(append(s.PageTag(key), key...))
}

// DecodePageToken returns the key a token was made for; the empty token
// means the first page.
func DecodePageToken(s *seal.Secrets, v *Violations, token string) string {
	if token == "" {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) <= seal.PageTagSize {
		v.Add("page_token", "is not a token this registry returned")
		return ""
	}
	key := string(b[seal.PageTagSize:])
	if !hmac.Equal(b[:seal.PageTagSize], s.PageTag(key)) {
		v.Add("page_token", "is not a token this registry returned")
		return ""
	}
	return key
}

func DecodeIntPageToken(s *seal.Secrets, v *Violations, token string) int64 {
	key := DecodePageToken(s, v, token)
	if key == "" {
		return 0
	}
	n, err := strconv.ParseInt(key, 10, 64)
	if err != nil || n < 0 {
		v.Add("page_token", "is not a token this registry returned")
		return 0
	}
	return n
}

// TrimPage cuts rows, fetched with limit size+1, to one page and returns
// the token of the next page (empty on the last page).
func TrimPage[T any](s *seal.Secrets, rows []T, size int, key func(T) string) ([]T, string) {
	if len(rows) <= size {
		return rows, ""
	}
	rows = rows[:size]
	return rows, encodePageToken(s, key(rows[len(rows)-1]))
}

// Map returns f of each of rows, in order: how a query's rows become the
// values a service returns.
func Map[T, U any](rows []T, f func(T) U) []U {
	out := make([]U, len(rows))
	for i, r := range rows {
		out[i] = f(r)
	}
	return out
}
