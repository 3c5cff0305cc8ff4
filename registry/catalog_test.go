package registry

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hangzhou-ai/registry/registry/catalog"
	"github.com/hangzhou-ai/registry/registry/internal/core"
	"github.com/hangzhou-ai/registry/seal"
	"github.com/hangzhou-ai/registry/store/storetest"
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
// reference data against the Traditional characters of traditionalPairs
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
			if got := core.ToSimplified(tc.traditional); got != tc.simplified {
				t.Errorf("toSimplified(%q) = %q, want %q", tc.traditional, got, tc.simplified)
			}
			if got := core.TraditionalOnly(tc.simplified); len(got) > 0 {
				t.Errorf("traditionalOnly(%q) = %q, want none", tc.simplified, string(got))
			}
			if got := core.ToSimplified(core.ToTraditional(tc.simplified)); got != tc.simplified {
				t.Errorf("round trip of %q gives %q", tc.simplified, got)
			}
		})
	}
}

// TestDistrictLookup checks that each district is found by its code and
// by its name in either script, and that other values are not districts.
func TestDistrictLookup(t *testing.T) {
	for _, d := range core.Districts {
		t.Run(d.Code, func(t *testing.T) {
			if core.ToSimplified(d.NameTraditional) != d.Name {
				t.Errorf("Traditional name %q does not convert to %q", d.NameTraditional, d.Name)
			}
			for _, in := range []string{d.Code, d.Name, d.NameTraditional, " " + d.Name + " "} {
				got, ok := core.LookupDistrict(in)
				if !ok || got.Code != d.Code {
					t.Errorf("LookupDistrict(%q) = %v, %v; want %s", in, got.Code, ok, d.Code)
				}
			}
		})
	}
	for _, in := range []string{"", "滨江", "330100", "3301080", "Binjiang", "binjiang", "杭州市滨江区", "330108 滨江区", "西湖\a区"} {
		t.Run("not "+in, func(t *testing.T) {
			if d, ok := core.LookupDistrict(in); ok {
				t.Errorf("LookupDistrict(%q) = %s, want not found", in, d.Code)
			}
		})
	}
}

// TestReferenceDataStoredSimplified starts a registry on a database whose
// reference rows carry Traditional names, as one written by an earlier
// version does, and checks that the names are Simplified afterwards.
func TestReferenceDataStoredSimplified(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		open := func() {
			secrets, err := seal.NewSecrets([]byte("0123456789abcdef0123456789abcdef"))
			if err != nil {
				t.Fatal(err)
			}
			reg, err := openMigrated(t, Config{DatabaseURL: db.URL, Secrets: secrets})
			if err != nil {
				t.Fatal(err)
			}
			reg.Close()
		}
		open()
		conn := storetest.OpenSQL(t, db)
		for q, name := range map[string]string{
			`UPDATE bureaus SET name_zh = ? WHERE id = 'economy-it'`:             core.ToTraditional("市经信局"),
			`UPDATE designation_types SET name_zh = ? WHERE id = 'little-giant'`: core.ToTraditional(`国家专精特新"小巨人"企业`),
		} {
			if len(core.TraditionalOnly(name)) == 0 {
				t.Fatalf("%q has no Traditional characters", name)
			}
			if _, err := conn.Exec(storetest.Rebind(db, q), name); err != nil {
				t.Fatal(err)
			}
		}
		open()
		for _, table := range []string{"bureaus", "designation_types"} {
			rows, err := conn.Query(`SELECT id, name_zh FROM ` + table)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for rows.Next() {
				var id, name string
				if err := rows.Scan(&id, &name); err != nil {
					t.Fatal(err)
				}
				n++
				if tr := core.TraditionalOnly(name); len(tr) > 0 {
					t.Errorf("%s %s is stored as %q", table, id, name)
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			rows.Close()
			if n == 0 {
				t.Errorf("no rows in %s", table)
			}
		}
	})
}

// hantMarker on a line lets it hold Traditional characters on purpose: a
// test's Traditional input.
const hantMarker = "zh-Hant"

// TestNoTraditionalText reads the module's sources, tests, protos and
// documents and reports every line with a Traditional character, so that
// names, messages, fixtures and examples stay Simplified. The conversion
// table, the district catalogue (which lists Traditional names to accept
// them) and lines marked zh-Hant are exempt.
func TestNoTraditionalText(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	exempt := map[string]bool{"registry/internal/core/script.go": true, "registry/internal/core/district.go": true}
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && rel != "." || rel == "rpc/gen" {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(rel) {
		case ".go", ".md", ".proto", ".sql", ".txt", ".csv", ".yaml":
		default:
			return nil
		}
		if exempt[rel] {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		checked++
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 64*1024), 4<<20)
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			if tr := core.TraditionalOnly(line); len(tr) > 0 && !strings.Contains(line, hantMarker) {
				t.Errorf("%s:%d has Traditional characters %q; Simplified: %s", rel, n, string(tr), strings.TrimSpace(core.ToSimplified(line)))
			}
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("checked only %d files under %s", checked, root)
	}
}
