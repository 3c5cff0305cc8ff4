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

// TestScriptConversion checks the conversion table on names whose two
// forms are known, and that characters also written in Simplified text are
// left alone.
func TestScriptConversion(t *testing.T) {
	for _, tc := range []struct{ traditional, simplified string }{
		{`國家專精特新"小巨人"企業`, `国家专精特新"小巨人"企业`}, // zh-Hant
		{"濱江區", "滨江区"},     // zh-Hant
		{"餘杭區", "余杭区"},     // zh-Hant
		{"桐廬縣", "桐庐县"},     // zh-Hant
		{"市委網信辦", "市委网信办"}, // zh-Hant
		{"工信部企業函〔2024〕135號", "工信部企业函〔2024〕135号"}, // zh-Hant
		{"乾坤著名於", "乾坤著名於"},
		{"Hangzhou 330108 (十三)", "Hangzhou 330108 (十三)"},
	} {
		t.Run(tc.simplified, func(t *testing.T) {
			if got := ToSimplified(tc.traditional); got != tc.simplified {
				t.Errorf("toSimplified(%q) = %q, want %q", tc.traditional, got, tc.simplified)
			}
			if got := TraditionalOnly(tc.simplified); len(got) > 0 {
				t.Errorf("traditionalOnly(%q) = %q, want none", tc.simplified, string(got))
			}
			if got := ToSimplified(ToTraditional(tc.simplified)); got != tc.simplified {
				t.Errorf("round trip of %q gives %q", tc.simplified, got)
			}
		})
	}
}
