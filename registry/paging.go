package registry

import (
	"crypto/hmac"
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

// encodePageToken makes the opaque token for the page after key.
func encodePageToken(s *Secrets, key string) string {
	return base64.RawURLEncoding.EncodeToString(append(s.pageTag(key), key...))
}

// decodePageToken returns the key a token was made for; the empty token
// means the first page.
func decodePageToken(s *Secrets, v *violations, token string) string {
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

func decodeIntPageToken(s *Secrets, v *violations, token string) int64 {
	key := decodePageToken(s, v, token)
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
	return rows, encodePageToken(s, key(rows[len(rows)-1]))
}
