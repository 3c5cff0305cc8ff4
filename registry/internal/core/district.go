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
	// NameTraditional is Name in Traditional characters (ToTraditional of
	// Name, set when the package loads), accepted on input and found in
	// databases written before names were normalised.
	NameTraditional string
	NameEn          string
}

// Districts are Hangzhou's thirteen districts, counties and county-level
// cities (DOMAIN.md), in code order.
var Districts = []District{
	{Code: "330102", Name: "上城区", NameEn: "Shangcheng District"},
	{Code: "330105", Name: "拱墅区", NameEn: "Gongshu District"},
	{Code: "330106", Name: "西湖区", NameEn: "Xihu District"},
	{Code: "330108", Name: "滨江区", NameEn: "Binjiang District"},
	{Code: "330109", Name: "萧山区", NameEn: "Xiaoshan District"},
	{Code: "330110", Name: "余杭区", NameEn: "Yuhang District"},
	{Code: "330111", Name: "富阳区", NameEn: "Fuyang District"},
	{Code: "330112", Name: "临安区", NameEn: "Lin'an District"},
	{Code: "330113", Name: "临平区", NameEn: "Linping District"},
	{Code: "330114", Name: "钱塘区", NameEn: "Qiantang District"},
	{Code: "330122", Name: "桐庐县", NameEn: "Tonglu County"},
	{Code: "330127", Name: "淳安县", NameEn: "Chun'an County"},
	{Code: "330182", Name: "建德市", NameEn: "Jiande City"},
}

func init() {
	for i := range Districts {
		Districts[i].NameTraditional = ToTraditional(Districts[i].Name)
	}
}

// districtForms is the accepted forms, for refusals.
const districtForms = "must be a district of Hangzhou: its GB/T 2260 code (e.g. 330108) or its name, in Simplified or Traditional characters (e.g. 滨江区)"

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
