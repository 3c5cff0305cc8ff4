package core

import (
	"slices"
	"testing"
)

func TestLookupDistrict(t *testing.T) {
	tests := []struct {
		value    string
		wantCode string // empty: not a district
	}{
		{"330108", "330108"},
		{"滨江区", "330108"},
		{"濱江區", "330108"}, // zh-Hant
		{"濱江区", "330108"}, // scripts mixed (zh-Hant)
		{" 西湖区 ", "330106"},
		{"餘杭區", "330110"}, // zh-Hant
		{"建德市", "330182"},
		{"淳安縣", "330127"}, // zh-Hant
		{"330100", ""},    // Hangzhou as a whole is not a district
		{"310101", ""},    // Shanghai's Huangpu
		{"滨江", ""},        // no suffix
		{"Binjiang District", ""},
		{"", ""},
		{"   ", ""},
	}
	for _, tc := range tests {
		t.Run(tc.value, func(t *testing.T) {
			d, ok := LookupDistrict(tc.value)
			if ok != (tc.wantCode != "") || d.Code != tc.wantCode {
				t.Errorf("LookupDistrict(%q) = %q, %v; want %q", tc.value, d.Code, ok, tc.wantCode)
			}
		})
	}
}

func TestDistrictsAreConsistent(t *testing.T) {
	if len(Districts) != 13 {
		t.Errorf("%d districts, want Hangzhou's 13", len(Districts))
	}
	for i, d := range Districts {
		t.Run(d.Code, func(t *testing.T) {
			if i > 0 && Districts[i-1].Code >= d.Code {
				t.Errorf("%s follows %s: not in code order", d.Code, Districts[i-1].Code)
			}
			if ToSimplified(d.NameTraditional) != d.Name {
				t.Errorf("Traditional name %s reads %s in Simplified, not %s", d.NameTraditional, ToSimplified(d.NameTraditional), d.Name)
			}
			for _, form := range d.StoredForms() {
				if got, ok := LookupDistrict(form); !ok || got.Code != d.Code {
					t.Errorf("stored form %q looks up %q", form, got.Code)
				}
			}
		})
	}
}

func TestCheckDistrict(t *testing.T) {
	tests := []struct {
		name, value, want, wantVio string
	}{
		{name: "code", value: "330108", want: "330108"},
		{name: "Simplified name", value: "滨江区", want: "330108"},
		{name: "Traditional name", value: "蕭山區", want: "330109"}, // zh-Hant
		{name: "empty is unknown", value: "", want: ""},
		{name: "elsewhere", value: "朝阳区", wantVio: "must be a district of Hangzhou"},
		{name: "formula", value: "=330108", wantVio: "must not start with"},
		{name: "too long", value: "滨江区滨江区滨江区滨江区滨江区滨江区滨江区滨江区滨江区滨江区滨江区滨江区滨江区滨江区滨江区滨江区滨江区滨", wantVio: "at most 50"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := &Violations{}
			if got := CheckDistrict(v, "district", tc.value); got != tc.want {
				t.Errorf("CheckDistrict(%q) = %q, want %q", tc.value, got, tc.want)
			}
			checkOneViolation(t, v, "district", tc.wantVio)
		})
	}
}

func TestDistrictFilter(t *testing.T) {
	tests := []struct {
		value string
		want  []string
	}{
		{"", nil},
		{"330108", []string{"330108", "滨江区", "濱江區"}}, // zh-Hant
		{"濱江區", []string{"330108", "滨江区", "濱江區"}},    // zh-Hant
		{"建德市", []string{"330182", "建德市"}},           // the same in both scripts, listed once
	}
	for _, tc := range tests {
		t.Run(tc.value, func(t *testing.T) {
			v := &Violations{}
			if got := DistrictFilter(v, "district", tc.value); !slices.Equal(got, tc.want) || len(v.List) != 0 {
				t.Errorf("DistrictFilter(%q) = %q, %v; want %q", tc.value, got, v.List, tc.want)
			}
		})
	}
	v := &Violations{}
	if got := DistrictFilter(v, "district", "浦东新区"); got != nil || !slices.Equal(fieldsOf(v), []string{"district"}) {
		t.Errorf("DistrictFilter(浦东新区) = %q, %v; want nil and a district violation", got, v.List)
	}
}

func TestDistrictOf(t *testing.T) {
	tests := []struct {
		stored, code, name string
	}{
		{"330108", "330108", "滨江区"},
		{"濱江區", "330108", "滨江区"}, // written by an older registry (zh-Hant)
		{"滨江区", "330108", "滨江区"},
		{"", "", ""},
		{"某某区", "某某区", ""}, // unknown text is shown as stored, without a name
	}
	for _, tc := range tests {
		t.Run(tc.stored, func(t *testing.T) {
			code, name := DistrictOf(tc.stored)
			if code != tc.code || name != tc.name {
				t.Errorf("DistrictOf(%q) = %q, %q; want %q, %q", tc.stored, code, name, tc.code, tc.name)
			}
		})
	}
}

// TestDistrictLookup checks that each district is found by its code and
// by its name in either script, and that other values are not districts.
func TestDistrictLookup(t *testing.T) {
	for _, d := range Districts {
		t.Run(d.Code, func(t *testing.T) {
			if ToSimplified(d.NameTraditional) != d.Name {
				t.Errorf("Traditional name %q does not convert to %q", d.NameTraditional, d.Name)
			}
			for _, in := range []string{d.Code, d.Name, d.NameTraditional, " " + d.Name + " "} {
				got, ok := LookupDistrict(in)
				if !ok || got.Code != d.Code {
					t.Errorf("LookupDistrict(%q) = %v, %v; want %s", in, got.Code, ok, d.Code)
				}
			}
		})
	}
	for _, in := range []string{"", "滨江", "330100", "3301080", "Binjiang", "binjiang", "杭州市滨江区", "330108 滨江区", "西湖\a区"} {
		t.Run("not "+in, func(t *testing.T) {
			if d, ok := LookupDistrict(in); ok {
				t.Errorf("LookupDistrict(%q) = %s, want not found", in, d.Code)
			}
		})
	}
}
