package registry

import (
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

// Page tokens are opaque to callers: base64url of the last key returned.
func encodeToken(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

func decodeToken(v *violations, token string) string {
	if token == "" {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) == 0 {
		v.add("page_token", "is not a token this registry returned")
		return ""
	}
	return string(b)
}

func decodeIntToken(v *violations, token string) int64 {
	s := decodeToken(v, token)
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		v.add("page_token", "is not a token this registry returned")
		return 0
	}
	return n
}

// trimPage cuts rows, fetched with limit size+1, to one page and returns
// the token of the next page (empty on the last page).
func trimPage[T any](rows []T, size int, key func(T) string) ([]T, string) {
	if len(rows) <= size {
		return rows, ""
	}
	rows = rows[:size]
	return rows, encodeToken(key(rows[len(rows)-1]))
}
