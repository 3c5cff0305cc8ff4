package web

import (
	"net/http"

	"golang.org/x/text/language"
)

// Text is one message in both of the console's languages.
type Text struct{ Zh, En string }

// In returns the message in lang ("zh" or "en").
func (t Text) In(lang string) string {
	if lang == langEn && t.En != "" {
		return t.En
	}
	return t.Zh
}

const (
	langZh = "zh"
	langEn = "en"
)

// languages are the ones the pages are written in; the first is the default.
var languages = language.NewMatcher([]language.Tag{language.SimplifiedChinese, language.English})

// langCookie remembers a language chosen with ?lang=.
const langCookie = "registry_lang"

// pickLanguage is the page's language: ?lang= (remembered in a cookie),
// then the cookie, then Accept-Language; Simplified Chinese when none
// says otherwise.
func pickLanguage(w http.ResponseWriter, r *http.Request) string {
	switch q := r.URL.Query().Get("lang"); q {
	case langZh, langEn:
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: q, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode, HttpOnly: true})
		return q
	}
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == langZh || c.Value == langEn) {
		return c.Value
	}
	if al := r.Header.Get("Accept-Language"); al != "" {
		tags, _, err := language.ParseAcceptLanguage(al)
		if err == nil && len(tags) > 0 {
			_, i, conf := languages.Match(tags...)
			if conf != language.No && i == 1 {
				return langEn
			}
		}
	}
	return langZh
}
