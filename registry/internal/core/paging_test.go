package core

import (
	"encoding/base64"
	"slices"
	"strconv"
	"testing"

	"github.com/hangzhou-ai/registry/seal"
)

func testSecrets(t *testing.T, key string) *seal.Secrets {
	t.Helper()
	s, err := seal.NewSecrets([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPageSize(t *testing.T) {
	tests := []struct {
		requested, want int
		invalid         bool
	}{
		{0, DefaultPageSize, false},
		{1, 1, false},
		{MaxPageSize, MaxPageSize, false},
		{MaxPageSize + 1, MaxPageSize, false},
		{1 << 30, MaxPageSize, false},
		{-1, 0, true},
	}
	for _, tc := range tests {
		t.Run(strconv.Itoa(tc.requested), func(t *testing.T) {
			v := &Violations{}
			if got := PageSize(v, tc.requested); got != tc.want {
				t.Errorf("PageSize(%d) = %d, want %d", tc.requested, got, tc.want)
			}
			if tc.invalid != slices.Equal(fieldsOf(v), []string{"page_size"}) {
				t.Errorf("PageSize(%d) violations %v", tc.requested, v.List)
			}
		})
	}
}

// TestPageTokens checks that a token TrimPage makes decodes to the key of
// the page's last row, and that no other token does.
func TestPageTokens(t *testing.T) {
	s := testSecrets(t, "0123456789abcdef0123456789abcdef")
	other := testSecrets(t, "fedcba9876543210fedcba9876543210")
	rows := []string{"a", "b", "c", "d"}

	page, next := TrimPage(s, rows, 4, func(r string) string { return r })
	if len(page) != 4 || next != "" {
		t.Fatalf("a page of all rows: %v, token %q; want 4 rows and no token", page, next)
	}
	page, next = TrimPage(s, rows, 3, func(r string) string { return r })
	if !slices.Equal(page, []string{"a", "b", "c"}) || next == "" {
		t.Fatalf("TrimPage(4 rows, 3) = %v, %q; want a, b, c and a token", page, next)
	}
	v := &Violations{}
	if got := DecodePageToken(s, v, next); got != "c" || len(v.List) != 0 {
		t.Fatalf("DecodePageToken(next) = %q, %v; want c", got, v.List)
	}

	raw, _ := base64.RawURLEncoding.DecodeString(next)
	flipped := slices.Clone(raw)
	flipped[0] ^= 1
	forged := append(slices.Clone(raw[:seal.PageTagSize]), 'z')
	_, otherToken := TrimPage(other, rows, 3, func(r string) string { return r })

	tests := []struct {
		name, token string
	}{
		{"tag bit flipped", base64.RawURLEncoding.EncodeToString(flipped)},
		{"key replaced under the same tag", base64.RawURLEncoding.EncodeToString(forged)},
		{"made under another secret", otherToken},
		{"not base64", "!!!"},
		{"padded base64", base64.URLEncoding.EncodeToString(raw)},
		{"tag only", base64.RawURLEncoding.EncodeToString(raw[:seal.PageTagSize])},
		{"short", "AAAA"},
		{"a key in clear", "c"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := &Violations{}
			if got := DecodePageToken(s, v, tc.token); got != "" {
				t.Errorf("DecodePageToken(%q) = %q, want refusal", tc.token, got)
			}
			if !slices.Equal(fieldsOf(v), []string{"page_token"}) {
				t.Errorf("violations %v, want page_token", v.List)
			}
		})
	}

	t.Run("empty is the first page", func(t *testing.T) {
		v := &Violations{}
		if got := DecodePageToken(s, v, ""); got != "" || len(v.List) != 0 {
			t.Errorf("DecodePageToken(\"\") = %q, %v", got, v.List)
		}
	})
}

func TestIntPageTokens(t *testing.T) {
	s := testSecrets(t, "0123456789abcdef0123456789abcdef")
	token := func(key string) string {
		_, next := TrimPage(s, []string{key, "more"}, 1, func(r string) string { return r })
		return next
	}
	tests := []struct {
		name, token string
		want        int64
		invalid     bool
	}{
		{name: "first page", token: "", want: 0},
		{name: "sequence", token: token("42"), want: 42},
		{name: "signed but not a number", token: token("4x2"), invalid: true},
		{name: "signed but negative", token: token("-5"), invalid: true},
		{name: "unsigned", token: "NDI", invalid: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := &Violations{}
			got := DecodeIntPageToken(s, v, tc.token)
			if got != tc.want || tc.invalid != slices.Equal(fieldsOf(v), []string{"page_token"}) {
				t.Errorf("DecodeIntPageToken = %d, %v; want %d, invalid %v", got, v.List, tc.want, tc.invalid)
			}
		})
	}
}
