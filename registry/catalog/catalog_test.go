package catalog_test

import (
	"testing"

	"github.com/hangzhou-ai/registry/registry/catalog"
	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// domainBureaus and domainTypes are the Simplified names DOMAIN.md gives
// the bureaus and designation types, by code.
var (
	domainBureaus = map[string]string{
		"talent-office":        "市委人才办",
		"economy-it":           "市经信局",
		"development-reform":   "市发改委",
		"cyberspace":           "市委网信办",
		"science-tech":         "市科技局",
		"investment-promotion": "市投资促进局",
		"hr-social-security":   "市人力社保局",
		"education":            "市教育局",
		"finance":              "市财政局",
		"financial-office":     "市委金融办",
		"sasac":                "市国资委",
	}
	domainTypes = map[string]string{
		"talent-authorization": "专项人才授权",
		"ai-growth-enterprise": "优质人工智能成长型企业",
		"talent-recognition":   "人才层次认定",
		"competition-award":    "赛会获奖",
		// DOMAIN.md: 西湖明珠工程 AI track.
		"west-lake-pearl-ai": "西湖明珠工程人工智能赛道",
		"little-giant":       `国家专精特新"小巨人"企业`,
		"single-champion":    "制造业单项冠军企业",
		"hidden-champion":    `省"隐形冠军"企业`,
		"hq-enterprise":      "杭州总部企业",
		"model-filing":       "生成式人工智能模型备案",
		"innovation-center":  "未来产业市级制造业创新中心",
		"ai-park":            "市级人工智能产业特色园区",
	}
	domainDistricts = map[string]string{
		"330102": "上城区", "330105": "拱墅区", "330106": "西湖区", "330108": "滨江区",
		"330109": "萧山区", "330110": "余杭区", "330111": "富阳区", "330112": "临安区",
		"330113": "临平区", "330114": "钱塘区", "330122": "桐庐县", "330127": "淳安县",
		"330182": "建德市",
	}
)

// TestReferenceNamesAreSimplified checks every Chinese name of the
// reference data against the Traditional characters core knows
// and against DOMAIN.md.
func TestReferenceNamesAreSimplified(t *testing.T) {
	type ref struct{ kind, code, name string }
	var refs []ref
	for _, b := range catalog.Bureaus {
		refs = append(refs, ref{"bureau", b.Code, b.NameZh})
	}
	for _, d := range catalog.DesignationTypes {
		refs = append(refs, ref{"type", d.Code, d.NameZh})
	}
	for _, d := range core.Districts {
		refs = append(refs, ref{"district", d.Code, d.Name})
	}
	want := map[string]map[string]string{"bureau": domainBureaus, "type": domainTypes, "district": domainDistricts}
	seen := map[string]int{}
	for _, r := range refs {
		t.Run(r.kind+"/"+r.code, func(t *testing.T) {
			if tr := core.TraditionalOnly(r.name); len(tr) > 0 {
				t.Errorf("%s %s is named %q, with Traditional characters %q (Simplified: %q)", r.kind, r.code, r.name, string(tr), core.ToSimplified(r.name))
			}
			if w, ok := want[r.kind][r.code]; !ok {
				t.Errorf("%s %s is not in DOMAIN.md", r.kind, r.code)
			} else if r.name != w {
				t.Errorf("%s %s is named %q, DOMAIN.md says %q", r.kind, r.code, r.name, w)
			}
		})
		seen[r.kind]++
	}
	for kind, names := range want {
		if seen[kind] != len(names) {
			t.Errorf("%d %ss in the reference data, DOMAIN.md has %d", seen[kind], kind, len(names))
		}
	}
}
