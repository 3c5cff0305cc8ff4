package core

import (
	"slices"
	"strings"
	"testing"
)

// fieldsOf lists the fields v names, in order.
func fieldsOf(v *Violations) []string {
	var out []string
	for _, fv := range v.List {
		out = append(out, fv.Field)
	}
	return out
}

func TestCleanText(t *testing.T) {
	long := strings.Repeat("名", 10)
	tests := []struct {
		name     string
		value    string
		max      int
		required bool
		want     string
		// wantViolation is a fragment of the one expected description,
		// empty when the value passes.
		wantViolation string
	}{
		{name: "plain", value: "示例科技有限公司", max: 200, want: "示例科技有限公司"},
		{name: "trimmed", value: "  示例 科技\u3000", max: 200, want: "示例 科技"},
		{name: "empty optional", value: "", max: 200, want: ""},
		{name: "blank optional", value: "   ", max: 200, want: ""},
		{name: "empty required", value: "", max: 200, required: true, wantViolation: "is required"},
		{name: "blank required", value: " \t ", max: 200, required: true, wantViolation: "is required"},
		{name: "at the limit in characters, not bytes", value: long, max: 10, want: long},
		{name: "one past the limit", value: long + "名", max: 10, wantViolation: "at most 10 characters"},
		{name: "invalid UTF-8", value: "ab\xffcd", max: 200, wantViolation: "valid UTF-8"},
		{name: "newline", value: "a\nb", max: 200, wantViolation: "control characters"},
		{name: "tab", value: "a\tb", max: 200, wantViolation: "control characters"},
		{name: "NUL", value: "a\x00b", max: 200, wantViolation: "control characters"},
		{name: "DEL", value: "a\x7fb", max: 200, wantViolation: "control characters"},
		{name: "C1 control", value: "a\u0085b", max: 200, wantViolation: "control characters"},
		{name: "right-to-left override", value: "abc\u202Edef", max: 200, wantViolation: "bidirectional"},
		{name: "left-to-right embedding", value: "abc\u202Adef", max: 200, wantViolation: "bidirectional"},
		{name: "first strong isolate", value: "abc\u2068def", max: 200, wantViolation: "bidirectional"},
		{name: "pop directional isolate", value: "abc\u2069def", max: 200, wantViolation: "bidirectional"},
		{name: "right-to-left mark", value: "abc\u200Fdef", max: 200, wantViolation: "bidirectional"},
		{name: "left-to-right mark", value: "abc\u200Edef", max: 200, wantViolation: "bidirectional"},
		{name: "Arabic letter mark", value: "abc\u061Cdef", max: 200, wantViolation: "bidirectional"},
		{name: "formula =", value: "=SUM(A1:A9)", max: 200, wantViolation: "must not start with = + - or @"},
		{name: "formula +", value: "+86 571", max: 200, wantViolation: "must not start with"},
		{name: "formula -", value: "-1", max: 200, wantViolation: "must not start with"},
		{name: "formula @", value: "@cmd", max: 200, wantViolation: "must not start with"},
		{name: "formula after trimmed space", value: "  =1+1", max: 200, wantViolation: "must not start with"},
		{name: "formula characters inside", value: "A=B+C-D@E", max: 200, want: "A=B+C-D@E"},
		{name: "full-width equals is not a formula", value: "＝1", max: 200, want: "＝1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := &Violations{}
			got := CleanText(v, "name", tc.value, tc.max, tc.required)
			checkOneViolation(t, v, "name", tc.wantViolation)
			if got != tc.want {
				t.Errorf("CleanText(%q) = %q, want %q", tc.value, got, tc.want)
			}
		})
	}
}

// checkOneViolation checks that v holds exactly one violation of field
// containing want, or none when want is empty.
func checkOneViolation(t *testing.T, v *Violations, field, want string) {
	t.Helper()
	if want == "" {
		if len(v.List) != 0 {
			t.Fatalf("violations %+v, want none", v.List)
		}
		return
	}
	if len(v.List) != 1 {
		t.Fatalf("violations %+v, want one on %s", v.List, field)
	}
	if v.List[0].Field != field || !strings.Contains(v.List[0].Description, want) {
		t.Errorf("violation %+v, want %s: …%s…", v.List[0], field, want)
	}
}

func TestCleanMultiline(t *testing.T) {
	tests := []struct {
		name, value, want, wantViolation string
	}{
		{name: "line breaks and tabs kept", value: "第一行\n第二行\r\n\t缩进", want: "第一行\n第二行\r\n\t缩进"},
		{name: "surrounding space trimmed", value: "\n 原因 \n", want: "原因"},
		{name: "empty required", value: " \n", wantViolation: "is required"},
		{name: "may start with a formula character", value: "-因故暂停", want: "-因故暂停"},
		{name: "other controls refused", value: "a\x1bb", wantViolation: "control characters"},
		{name: "bidi refused", value: "a\u2066b", wantViolation: "bidirectional"},
		{name: "too long", value: strings.Repeat("x", 21), wantViolation: "at most 20"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := &Violations{}
			got := CleanMultiline(v, "reason", tc.value, 20, true)
			checkOneViolation(t, v, "reason", tc.wantViolation)
			if got != tc.want {
				t.Errorf("CleanMultiline(%q) = %q, want %q", tc.value, got, tc.want)
			}
		})
	}
}

func TestCheckID(t *testing.T) {
	const id = "01970b4e-7c3a-7d2e-9f00-1234567890ab"
	tests := []struct {
		name, id      string
		required      bool
		want, wantVio string
	}{
		{name: "canonical", id: id, required: true, want: id},
		{name: "empty optional", id: ""},
		{name: "empty required", id: "", required: true, wantVio: "is required"},
		{name: "upper case", id: strings.ToUpper(id), wantVio: "not a registry id"},
		{name: "braces", id: "{" + id + "}", wantVio: "not a registry id"},
		{name: "urn form", id: "urn:uuid:" + id, wantVio: "not a registry id"},
		{name: "no hyphens", id: strings.ReplaceAll(id, "-", ""), wantVio: "not a registry id"},
		{name: "not hex", id: "01970b4e-7c3a-7d2e-9f00-1234567890zz", wantVio: "not a registry id"},
		{name: "SQL", id: "' OR 1=1 --", wantVio: "not a registry id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := &Violations{}
			if got := CheckID(v, "talent_id", tc.id, tc.required); got != tc.want {
				t.Errorf("CheckID(%q) = %q, want %q", tc.id, got, tc.want)
			}
			checkOneViolation(t, v, "talent_id", tc.wantVio)
		})
	}
	if err := RequireID("id", ""); KindOf(err) != KindInvalidArgument {
		t.Errorf("RequireID(empty) = %v, want invalid argument", err)
	}
	if err := RequireID("id", id); err != nil {
		t.Errorf("RequireID(%s) = %v", id, err)
	}
}

func TestCreditCode(t *testing.T) {
	tests := []struct {
		name, value   string
		required      bool
		want, wantVio string
	}{
		{name: "valid", value: "91330106MA27XK0A1Q", want: "91330106MA27XK0A1Q"},
		{name: "valid, other", value: "91110000600037341L", want: "91110000600037341L"},
		{name: "normalised: lower case and space", value: " 91330106ma27xk0a1q ", want: "91330106MA27XK0A1Q"},
		{name: "wrong check character", value: "91110000600037341X", wantVio: "check character should be 'L'"},
		{name: "one character changed", value: "91110000600037351L", wantVio: "not a valid unified social credit code"},
		{name: "letter I is not in the alphabet", value: "9111I000600037341L", wantVio: "not a valid unified social credit code"},
		{name: "too short", value: "9111000060003734", wantVio: "must be 18 characters"},
		{name: "too long", value: "91110000600037341LL", wantVio: "must be 18 characters"},
		{name: "empty optional", value: ""},
		{name: "blank required", value: "  ", required: true, wantVio: "is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := &Violations{}
			if got := CreditCode(v, "credit_code", tc.value, tc.required); got != tc.want {
				t.Errorf("CreditCode(%q) = %q, want %q", tc.value, got, tc.want)
			}
			checkOneViolation(t, v, "credit_code", tc.wantVio)
		})
	}
}

func TestCheckCode(t *testing.T) {
	tests := []struct {
		code string
		ok   bool
	}{
		{"west-lake", true},
		{"a", true},
		{"9", true},
		{"park-2026", true},
		{strings.Repeat("a", 50), true},
		{strings.Repeat("a", 51), false},
		{"", false},
		{"-west", false},
		{"West-Lake", false},
		{"west_lake", false},
		{"west lake", false},
		{"西湖", false},
	}
	for _, tc := range tests {
		t.Run(tc.code, func(t *testing.T) {
			v := &Violations{}
			got := CheckCode(v, "park_code", tc.code)
			want := ""
			if tc.ok {
				want = tc.code
			}
			if got != want || tc.ok != (len(v.List) == 0) {
				t.Errorf("CheckCode(%q) = %q with %v, want ok=%v", tc.code, got, v.List, tc.ok)
			}
			if !tc.ok && !slices.Equal(fieldsOf(v), []string{"park_code"}) {
				t.Errorf("violations name %v, want park_code", fieldsOf(v))
			}
		})
	}
}
