package core

import (
	"slices"
	"testing"
)

func TestScripts(t *testing.T) {
	tests := []struct {
		in, simplified, traditional string
	}{
		{"濱江區", "滨江区", "濱江區"}, // zh-Hant
		{"滨江区", "滨江区", "濱江區"}, // zh-Hant
		{"示例科技有限公司", "示例科技有限公司", "示例科技有限公司"},
		{"發展", "发展", "發展"}, // zh-Hant
		{"ABC 123", "ABC 123", "ABC 123"},
		{"", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := ToSimplified(tc.in); got != tc.simplified {
				t.Errorf("ToSimplified(%q) = %q, want %q", tc.in, got, tc.simplified)
			}
			if got := ToTraditional(ToSimplified(tc.in)); got != tc.traditional {
				t.Errorf("ToTraditional(%q) = %q, want %q", tc.simplified, got, tc.traditional)
			}
		})
	}
}

func TestTraditionalOnly(t *testing.T) {
	tests := []struct {
		in   string
		want []rune
	}{
		{"滨江区", nil},
		{"濱江區濱", []rune("濱區")}, // zh-Hant
		// 乾, 著 and 於 are also Simplified characters and are left alone.
		{"乾著於", nil},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := TraditionalOnly(tc.in); !slices.Equal(got, tc.want) {
				t.Errorf("TraditionalOnly(%q) = %q, want %q", tc.in, string(got), string(tc.want))
			}
		})
	}
}

func TestScriptVariants(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"滨江", []string{"滨江", "濱江"}},           // zh-Hant
		{"濱江", []string{"濱江", "滨江"}},           // zh-Hant
		{"濱江区", []string{"濱江区", "滨江区", "濱江區"}}, // zh-Hant
		{"ABC", []string{"ABC"}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := ScriptVariants(tc.in); !slices.Equal(got, tc.want) {
				t.Errorf("ScriptVariants(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
