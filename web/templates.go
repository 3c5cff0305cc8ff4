package web

import (
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/hangzhou-ai/registry/registry/catalog"
	"github.com/hangzhou-ai/registry/registry/designation"
)

// parsePages parses every page under templates/ once per language, each
// with the layout and the shared partials.
func parsePages() (map[string]map[string]*template.Template, error) {
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]*template.Template{}
	for _, lang := range []string{langZh, langEn} {
		out[lang] = map[string]*template.Template{}
		for _, name := range names {
			base := path.Base(name)
			if base == "layout.html" || strings.HasPrefix(base, "_") {
				continue
			}
			t, err := template.New(base).Funcs(funcs(lang)).ParseFS(assets, "templates/layout.html", "templates/_*.html", name)
			if err != nil {
				return nil, fmt.Errorf("web: template %s: %w", base, err)
			}
			out[lang][base] = t
		}
	}
	return out, nil
}

// statusWords are a designation status in words, with the class that
// colours it.
var statusWords = map[designation.Status]struct {
	text  Text
	class string
}{
	designation.StatusActive:    {Text{"有效", "Valid"}, "ok"},
	designation.StatusSuspended: {Text{"暂停", "Suspended"}, "warn"},
	designation.StatusRevoked:   {Text{"已撤销", "Revoked"}, "bad"},
	designation.StatusExpired:   {Text{"已过期", "Expired"}, "off"},
}

var cst = time.FixedZone("CST", 8*3600)

func funcs(lang string) template.FuncMap {
	return template.FuncMap{
		"t":  func(zh, en string) string { return Text{zh, en}.In(lang) },
		"tx": func(t Text) string { return t.In(lang) },
		"status": func(s designation.Status) string {
			if w, ok := statusWords[s]; ok {
				return w.text.In(lang)
			}
			return string(s)
		},
		"statusClass": func(s designation.Status) string { return statusWords[s].class },
		"typeName": func(code string) string {
			if t, ok := catalog.DesignationTypesByCode[code]; ok {
				return Text{t.NameZh, t.NameEn}.In(lang)
			}
			return code
		},
		"bureauName": func(code string) string {
			if b, ok := catalog.BureausByCode[code]; ok {
				return Text{b.NameZh, b.NameEn}.In(lang)
			}
			return code
		},
		"roleName": func(role string) string { return roleNames[role].In(lang) },
		// Support: amounts in fen as yuan, measures, kinds, steps and
		// application statuses in words.
		"yuan": func(fen int64) string { return yuan(fen) + Text{" 元", " yuan"}.In(lang) },
		"measureName": func(code string) string {
			if m, ok := catalog.MeasuresByCode[code]; ok {
				return Text{m.NameZh, m.NameEn}.In(lang)
			}
			return code
		},
		"kindName": func(measure, kind string) string {
			if k, ok := catalog.MeasuresByCode[measure].Kind(kind); ok {
				return Text{k.NameZh, k.NameEn}.In(lang)
			}
			return kind
		},
		"stepName": func(code string) string {
			if n, ok := stepNames[code]; ok {
				return n.In(lang)
			}
			return code
		},
		"applicationStatus": func(s string) string {
			if w, ok := applicationStatuses[s]; ok {
				return w.text.In(lang)
			}
			return s
		},
		"applicationStatusClass": func(s string) string { return applicationStatuses[s].class },
		"time": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(cst).Format("2006-01-02 15:04:05") + " CST"
		},
		"otherLang": func() string {
			if lang == langEn {
				return langZh
			}
			return langEn
		},
		"withLang": func(p, l string) string {
			if strings.Contains(p, "?") {
				return p + "&lang=" + l
			}
			return p + "?lang=" + l
		},
	}
}

// roleNames are the roles in words.
var roleNames = map[string]Text{
	"issuer":          {"经办（发证）", "Issuer"},
	"viewer":          {"查阅", "Viewer"},
	"member":          {"企业用户", "Enterprise member"},
	"talent-assessor": {"企业人事（人才评定）", "Enterprise HR (talent assessor)"},
	"operator":        {"园区运营", "Park operator"},
	"auditor":         {"审计", "Auditor"},
	"admin":           {"管理员", "Administrator"},
}
