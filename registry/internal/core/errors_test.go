package core

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestViolationsCap(t *testing.T) {
	tests := []struct {
		added       int
		wantListed  int
		wantMessage string
	}{
		{0, 0, ""},
		{1, 1, "invalid request"},
		{MaxViolations, MaxViolations, "invalid request"},
		{MaxViolations + 1, MaxViolations, "invalid request (1 more violations not listed)"},
		{1000, MaxViolations, fmt.Sprintf("invalid request (%d more violations not listed)", 1000-MaxViolations)},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.added), func(t *testing.T) {
			v := &Violations{}
			for i := range tc.added {
				v.Add(fmt.Sprintf("awards[%d].name", i), "is required")
			}
			if v.full() != (tc.added >= MaxViolations) {
				t.Errorf("full() = %v after %d", v.full(), tc.added)
			}
			err := v.Err()
			if tc.added == 0 {
				if err != nil {
					t.Fatalf("Err() = %v, want nil", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Err() = %T, want *Error", err)
			}
			if e.Kind != KindInvalidArgument || e.Message != tc.wantMessage || len(e.Violations) != tc.wantListed {
				t.Errorf("Err() = kind %d, %q, %d violations; want invalid argument, %q, %d", e.Kind, e.Message, len(e.Violations), tc.wantMessage, tc.wantListed)
			}
			// The first ones are kept, in order.
			if e.Violations[0].Field != "awards[0].name" || e.Violations[len(e.Violations)-1].Field != fmt.Sprintf("awards[%d].name", tc.wantListed-1) {
				t.Errorf("kept %s … %s, want the first %d", e.Violations[0].Field, e.Violations[len(e.Violations)-1].Field, tc.wantListed)
			}
		})
	}
}

func TestViolationBounds(t *testing.T) {
	v := &Violations{}
	v.Add(strings.Repeat("f", 1000), strings.Repeat("描", 1000))
	fv := v.List[0]
	if len(fv.Field) > MaxFieldLen || len(fv.Description) > MaxDescriptionLen {
		t.Errorf("violation of %d and %d bytes, want at most %d and %d", len(fv.Field), len(fv.Description), MaxFieldLen, MaxDescriptionLen)
	}
	if !utf8.ValidString(fv.Description) || !strings.HasSuffix(fv.Description, "…") {
		t.Errorf("description %q is not cut on a character boundary with an ellipsis", fv.Description)
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		name, s string
		n       int
		want    string
	}{
		{"short", "abc", 10, "abc"},
		{"exact", "abcdefghij", 10, "abcdefghij"},
		{"ascii cut", "abcdefghijk", 10, "abcdefg…"},
		// 示 is 3 bytes: 10 bytes leave 7 for text, two characters fit.
		{"cut before a partial character", "示例科技有限公司", 10, "示例…"},
		{"at a boundary", "示例科技", 9, "示例科技"[:6] + "…"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Truncate(tc.s, tc.n)
			if got != tc.want {
				t.Errorf("Truncate(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
			}
			if len(got) > tc.n || !utf8.ValidString(got) {
				t.Errorf("Truncate(%q, %d) = %q: %d bytes, valid UTF-8 %v", tc.s, tc.n, got, len(got), utf8.ValidString(got))
			}
		})
	}
}

func TestNewErrorBoundsMessage(t *testing.T) {
	e := NotFound("designation %s does not exist", strings.Repeat("长", 2000))
	if e.Kind != KindNotFound || len(e.Message) > maxMessageLen || !utf8.ValidString(e.Message) {
		t.Errorf("NotFound with a long argument: kind %d, %d bytes", e.Kind, len(e.Message))
	}
}

func TestErrorKinds(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Kind
	}{
		{"not found", NotFound("x"), KindNotFound},
		{"permission denied", PermissionDenied("x"), KindPermissionDenied},
		{"failed precondition", FailedPrecondition("x"), KindFailedPrecondition},
		{"already exists", AlreadyExists("x"), KindAlreadyExists},
		{"invalid field", InvalidField("f", "bad"), KindInvalidArgument},
		{"wrapped", fmt.Errorf("load: %w", NotFound("x")), KindNotFound},
		{"foreign error", errors.New("disk full"), KindInternal},
		{"nil", nil, KindInternal},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := KindOf(tc.err); got != tc.want {
				t.Errorf("KindOf(%v) = %d, want %d", tc.err, got, tc.want)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	v := &Violations{}
	v.Add("credit_code", "is required").Add("name", "is required")
	if got, want := v.Err().Error(), "invalid request: credit_code: is required; name: is required"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got := PermissionDenied("%s may not %s", "member@enterprise:x", "grant").Error(); got != "member@enterprise:x may not grant" {
		t.Errorf("Error() = %q", got)
	}
}
