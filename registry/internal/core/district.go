package core

import (
	"slices"
	"strings"
)

// District is one of Hangzhou's districts, counties and county-level cities
// (the 2021 boundaries), identified by its GB/T 2260 code.
type District struct {
	// Code is the six-digit GB/T 2260 code, e.g. 330108; it is what the
	// registry stores and what the API uses as the identifier.
	Code string
	// Name is the Simplified Chinese name, e.g. 滨江区.
	Name string
	// NameTraditional is the name in Traditional characters, e.g. 濱江區,
	// accepted on input and found in databases written before names were
	// normalised.
	NameTraditional string
	NameEn          string
}

// Districts are Hangzhou's thirteen districts, counties and county-level
// cities (DOMAIN.md), in code order.
var Districts = []District{
	{"330102", "上城区", "上城區", "Shangcheng District"},
	{"330105", "拱墅区", "拱墅區", "Gongshu District"},
	{"330106", "西湖区", "西湖區", "Xihu District"},
	{"330108", "滨江区", "濱江區", "Binjiang District"},
	{"330109", "萧山区", "蕭山區", "Xiaoshan District"},
	{"330110", "余杭区", "餘杭區", "Yuhang District"},
	{"330111", "富阳区", "富陽區", "Fuyang District"},
	{"330112", "临安区", "臨安區", "Lin'an District"},
	{"330113", "临平区", "臨平區", "Linping District"},
	{"330114", "钱塘区", "錢塘區", "Qiantang District"},
	{"330122", "桐庐县", "桐廬縣", "Tonglu County"},
	{"330127", "淳安县", "淳安縣", "Chun'an County"},
	{"330182", "建德市", "建德市", "Jiande City"},
}

// districtForms is the accepted forms, for refusals.
const districtForms = "must be a district of Hangzhou: its GB/T 2260 code (e.g. 330108) or its name in Simplified or Traditional characters (e.g. 滨江区 or 濱江區)"

// LookupDistrict finds the district that value names: its GB/T 2260 code,
// or its name in Simplified or Traditional characters (or a mix of the
// two). Surrounding white space is ignored.
func LookupDistrict(value string) (District, bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		return District{}, false
	}
	simplified := ToSimplified(value)
	for _, d := range Districts {
		if value == d.Code || value == d.NameTraditional || simplified == d.Name {
			return d, true
		}
	}
	return District{}, false
}

// CheckDistrict validates a district given on input and returns its code,
// the form the registry stores. An empty value is allowed (the district is
// not known) and stays empty.
func CheckDistrict(v *Violations, field, value string) string {
	value = CleanText(v, field, value, maxDistrictLen, false)
	if value == "" {
		return ""
	}
	d, ok := LookupDistrict(value)
	if !ok {
		v.Add(field, districtForms)
		return ""
	}
	return d.Code
}

// DistrictFilter validates a district given as a filter and returns the
// stored values that mean it: the code, and the names that rows written
// before districts were normalised may hold. Empty means no filter.
func DistrictFilter(v *Violations, field, value string) []string {
	code := CheckDistrict(v, field, value)
	if code == "" {
		return nil
	}
	d, _ := LookupDistrict(code)
	return d.StoredForms()
}

// StoredForms are the values a district column may hold for d: the code,
// and the names an older registry stored.
func (d District) StoredForms() []string {
	return slices.Compact([]string{d.Code, d.Name, d.NameTraditional})
}

// DistrictOf reads a stored district: the code and Simplified name of a
// known district (stored by code, or by name in either script by an older
// registry), or the stored text as it is with no name.
func DistrictOf(stored string) (code, name string) {
	if d, ok := LookupDistrict(stored); ok {
		return d.Code, d.Name
	}
	return stored, ""
}
