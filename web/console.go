package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/rpc/oidc"
)

// sessionCookie carries the console session id. With TLS it takes the
// __Host- prefix, which browsers accept only from a Secure, host-only
// cookie with Path=/.
const sessionCookie = "registry_session"

func (s *Server) cookieName(r *http.Request) string {
	if s.secure(r) {
		return "__Host-" + sessionCookie
	}
	return sessionCookie
}

// consoleRoutes are the console's pages, each area's in its own file.
func (s *Server) consoleRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /console/signin", s.signInPage)
	mux.HandleFunc("POST /console/signin", s.limited(s.signIn))
	mux.HandleFunc("POST /console/signout", s.signOut)
	mux.Handle("GET /console/{$}", s.signedIn(s.consoleHome))
	mux.HandleFunc("/console/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, &problem{Status: http.StatusNotFound, Headline: Text{"页面不存在", "No such page"}})
	})
	s.bureauRoutes(mux)
	s.talentOfficeRoutes(mux)
	s.enterpriseRoutes(mux)
	s.parkRoutes(mux)
	s.auditRoutes(mux)
	s.importRoutes(mux)
	s.adminRoutes(mux)
	s.parksRoutes(mux)
	s.supportRoutes(mux)
	s.ssoRoutes(mux)
}

// signedIn runs h with the session's principal in the context. Without a
// valid session a page request is sent to sign in (and back afterwards);
// a form post gets the sign-in page with the reason.
func (s *Server) signedIn(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(s.cookieName(r))
		if err != nil {
			s.toSignIn(w, r, nil)
			return
		}
		p, _, err := s.reg.SessionPrincipal(r.Context(), c.Value)
		if err != nil {
			if registry.KindOf(err) != registry.KindUnauthenticated {
				s.failErr(w, r, err)
				return
			}
			// A cookie that names no live session spends the address's
			// public budget, so guessing sessions is as slow as guessing
			// tokens at sign-in.
			if !s.cfg.Public.Allow(clientAddress(r), time.Now()) {
				s.tooMany(w, r)
				return
			}
			s.clearCookie(w, r)
			s.toSignIn(w, r, problemOf(s.log, err))
			return
		}
		if who, ok := r.Context().Value(requestSubjectKey{}).(*requestSubject); ok {
			who.subject = p.Subject
		}
		if !s.cfg.Principals.Allow(p.Key(), time.Now()) {
			s.tooMany(w, r)
			return
		}
		h(w, r.WithContext(registry.WithPrincipal(r.Context(), p)))
	})
}

func (s *Server) toSignIn(w http.ResponseWriter, r *http.Request, p *problem) {
	if r.Method == http.MethodGet && p == nil {
		http.Redirect(w, r, "/console/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	status := http.StatusUnauthorized
	if p == nil {
		p = &problem{Status: status, Headline: kindHeadlines[registry.KindUnauthenticated].text}
	}
	s.render(w, r, status, "signin.html", view{Title: Text{"登录", "Sign in"}, Problem: p, Data: s.signInData(safeNext(r.URL.RequestURI()))})
}

type signInView struct {
	Next string
	// SSO: a single sign-on token may be pasted; SSOLogin: the provider's
	// sign-in page is offered (web/sso.go).
	SSO, SSOLogin bool
}

func (s *Server) signInData(next string) signInView {
	return signInView{Next: next, SSO: s.cfg.SSO != nil, SSOLogin: s.cfg.SSOLogin != nil}
}

// safeNext keeps a return address only when it is a console page of this
// site, so the sign-in form cannot be used to send users elsewhere.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/console/") || strings.HasPrefix(next, "/console/signin") || strings.HasPrefix(next, ssoPath) ||
		strings.ContainsAny(next, "\\\r\n") {
		return "/console/"
	}
	return next
}

func (s *Server) signInPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "signin.html", view{Title: Text{"登录", "Sign in"}, Data: s.signInData(safeNext(r.URL.Query().Get("next")))})
}

// signIn opens a session for a pasted registry token, or a single sign-on
// token when a provider is configured, and sets its cookie.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.render(w, r, http.StatusBadRequest, "signin.html", view{Title: Text{"登录", "Sign in"}, Problem: invalid("token", Text{"内容过长", "is too long"}), Data: s.signInData("/console/")})
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	credential := strings.TrimSpace(r.PostForm.Get("token"))
	again := func(p *problem) {
		s.render(w, r, p.Status, "signin.html", view{Title: Text{"登录", "Sign in"}, Problem: p, Data: s.signInData(next)})
	}
	if credential == "" {
		again(invalid("token", Text{"必填", "is required"}))
		return
	}
	var (
		raw string
		err error
	)
	if s.cfg.SSO != nil && oidc.LooksLikeJWT(credential) {
		p, until, verr := s.cfg.SSO.VerifyUntil(r.Context(), credential)
		if verr != nil {
			var oe *oidc.Error
			if errors.As(verr, &oe) {
				s.log.Info("console single sign-on refused", zap.String("reason", oe.Reason))
				again(&problem{Status: http.StatusUnauthorized, Headline: Text{"单点登录令牌无效或已过期", "The single sign-on token was refused or has expired"}})
				return
			}
			s.failErr(w, r, verr)
			return
		}
		raw, _, err = s.reg.StartVerifiedSession(r.Context(), p, until)
	} else {
		raw, _, err = s.reg.StartSession(r.Context(), credential)
	}
	if err != nil {
		if registry.KindOf(err) == registry.KindUnauthenticated {
			again(&problem{Status: http.StatusUnauthorized, Headline: Text{"令牌无效、已过期或已吊销", "The token is unknown, expired or revoked"}})
			return
		}
		again(problemOf(s.log, err))
		return
	}
	s.setSessionCookie(w, r, raw)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// setSessionCookie hands the browser the session id raw.
func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, raw string) {
	http.SetCookie(w, &http.Cookie{
		// No Expires: the browser keeps it for its session, and the
		// registry ends it at session.ExpiresAt whatever the browser's clock.
		Name: s.cookieName(r), Value: raw, Path: "/",
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteStrictMode,
	})
}

func (s *Server) clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(r), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteStrictMode})
}

// signOut ends the session in the registry, so the cookie is worthless
// even if it was copied.
func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(s.cookieName(r)); err == nil {
		if err := s.reg.EndSession(r.Context(), c.Value); err != nil && registry.KindOf(err) != registry.KindUnauthenticated {
			s.failErr(w, r, err)
			return
		}
	}
	s.clearCookie(w, r)
	http.Redirect(w, r, "/console/signin", http.StatusSeeOther)
}

// navItem is one entry of the console's menu.
type navItem struct {
	Href  string
	Label Text
}

// navFor is the menu for a principal: the pages its role has. It only
// saves clicks; every page asks the registry what the principal may see.
func navFor(p registry.Principal) []navItem {
	kind, code, _ := strings.Cut(p.Org, ":")
	var items []navItem
	add := func(href string, zh, en string) { items = append(items, navItem{href, Text{zh, en}}) }
	switch {
	case kind == "bureau":
		add("/console/enterprises", "企业", "Enterprises")
		add("/console/talents", "人才", "Talents")
		if code == "talent-office" {
			add("/console/authorizations", "人才授权", "Talent authorizations")
			add("/console/competitions", "赛事与获奖", "Competitions and awards")
		}
		if code == "economy-it" {
			add("/console/competitions", "赛事与获奖", "Competitions and awards")
			add("/console/parks", "园区", "Parks")
		}
		if decidesSupport(code) {
			add("/console/support/applications", "扶持资金审核", "Support applications")
		}
		if p.Role == "issuer" {
			add("/console/import", "批量导入", "Import CSV")
		}
	case kind == "enterprise":
		add("/console/mine", "本企业认定", "Our designations")
		if p.Role == "member" {
			add("/console/support/statement", "扶持资金对账单", "Support statement")
			add("/console/import", "批量申报", "Import applications")
		}
		if p.Role == "talent-assessor" {
			add("/console/recognitions", "人才评定", "Talent recognitions")
		}
	case kind == "park":
		add("/console/park", "入驻企业", "Tenants")
		add("/console/park/rules", "政策规则", "Benefit rules")
		add("/console/park/eligibility", "资格核验", "Check eligibility")
	case p.Org == "auditor":
		add("/console/audit", "审计日志", "Audit trail")
		add("/console/enterprises", "企业", "Enterprises")
		add("/console/tokens", "API 令牌", "API tokens")
		add("/console/policy", "授权策略", "Authorization policy")
	case p.Org == "admin":
		add("/console/tokens", "API 令牌", "API tokens")
		add("/console/policy", "授权策略", "Authorization policy")
	}
	return items
}

func (s *Server) consoleHome(w http.ResponseWriter, r *http.Request) {
	s.page(w, r, "console.html", Text{"工作台", "Console"}, nil)
}

// page renders a console page with the principal's menu and the flash
// message a redirect asked for (?done=).
func (s *Server) page(w http.ResponseWriter, r *http.Request, name string, title Text, data any) {
	s.pageStatus(w, r, http.StatusOK, name, title, nil, data)
}

// pageStatus renders a console page with a problem (a refused form) and
// the status that goes with it.
func (s *Server) pageStatus(w http.ResponseWriter, r *http.Request, status int, name string, title Text, p *problem, data any) {
	v := view{Title: title, Problem: p, Data: data, Flash: flashes[r.URL.Query().Get("done")]}
	if pr, ok := registry.PrincipalFrom(r.Context()); ok {
		v.Nav = navFor(pr)
	}
	if p != nil {
		status = p.Status
	}
	s.render(w, r, status, name, v)
}

// done redirects after a successful form (post, redirect, get), with the
// flash message named by key.
func done(w http.ResponseWriter, r *http.Request, to, key string) {
	sep := "?"
	if strings.Contains(to, "?") {
		sep = "&"
	}
	http.Redirect(w, r, to+sep+"done="+url.QueryEscape(key), http.StatusSeeOther)
}

// flashes are the messages a redirect may ask for; nothing else from the
// address is ever shown as a message.
var flashes = map[string]Text{
	"granted":     {"已登记认定", "Designation recorded"},
	"suspended":   {"已暂停", "Suspended"},
	"reinstated":  {"已恢复", "Reinstated"},
	"renewed":     {"已续期", "Renewed"},
	"revoked":     {"已撤销", "Revoked"},
	"registered":  {"已登记", "Registered"},
	"issued":      {"已签发授权", "Authorization issued"},
	"recognized":  {"已认定", "Recognised"},
	"withdrawn":   {"已撤回", "Withdrawn"},
	"recorded":    {"已记录", "Recorded"},
	"admitted":    {"已登记入驻", "Tenant admitted"},
	"ended":       {"已结束入驻", "Tenancy ended"},
	"rule-saved":  {"规则已保存", "Rule saved"},
	"competition": {"赛事已登记", "Competition registered"},
	// CSV import
	"import-started": {"导入已开始", "Import started"},
	// Administrator and parks
	"session-ended":   {"会话已结束", "Session ended"},
	"token-revoked":   {"令牌已吊销", "Token revoked"},
	"park-designated": {"园区已认定", "Park designated"},
	// Support applications
	"approved": {"已批准，补助已登记", "Approved: the award is recorded"},
	"rejected": {"已驳回", "Rejected"},
}

// form reads a posted form of at most 1 MiB.
func form(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	return r.ParseForm()
}

// value is a form or query value without surrounding space.
func value(r *http.Request, name string) string {
	return strings.TrimSpace(r.FormValue(name))
}

// intValue parses an optional integer field; an unparsable one is a
// problem naming the field.
func intValue(r *http.Request, name string) (int64, *problem) {
	v := value(r, name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, invalid(name, Text{"须为整数", "must be a whole number"})
	}
	return n, nil
}
