package web

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/hangzhou-ai/registry/ratelimit"
	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/imports"
	"github.com/hangzhou-ai/registry/rpc/oidc"
)

//go:embed all:templates static
var assets embed.FS

// Config is what the pages need beyond the registry.
type Config struct {
	// PublicURL is the registry's address as users reach it
	// (https://registry.example.gov.cn); QR codes and links are made
	// absolute against it. Empty means the address each request came to.
	PublicURL string
	// Public limits requests per client address on the pages anyone may
	// open and on sign-in; pass the limiter the API's public calls use so
	// an address has one budget for both. Nil means no limit.
	Public *ratelimit.PerKey
	// Principals limits each signed-in principal's console requests; pass
	// the limiter the API's calls use so a principal has one budget for
	// both. Nil means no limit.
	Principals *ratelimit.PerKey
	// ImportSlots bound the console's imports; pass the slots the API's
	// imports use (rpc.ImportLimits.Slots) so --max-concurrent-imports
	// holds for both. Nil means slots of the console's own.
	ImportSlots *imports.Slots
	// SSO, when set, lets users sign in with a single sign-on token (a JWT
	// the provider issued) besides a registry token.
	SSO *oidc.Verifier
	// SSOLogin, when set, also offers the provider's own sign-in page
	// (web/sso.go); it needs SSO and PublicURL.
	SSOLogin *SSOLogin
}

// Server serves the pages. Create it with New and Mount it beside the API.
type Server struct {
	reg    *registry.Registry
	log    *zap.Logger
	cfg    Config
	public *url.URL
	pages  map[string]map[string]*template.Template // language → page → template
	static http.Handler

	// imports are the console's CSV imports under way or recently
	// finished (web/imports.go).
	imports     *importJobs
	importSlots *imports.Slots
}

// New parses the embedded templates and returns the pages' server.
func New(reg *registry.Registry, log *zap.Logger, cfg Config) (*Server, error) {
	s := &Server{reg: reg, log: log, cfg: cfg, imports: newImportJobs(), importSlots: cfg.ImportSlots}
	if s.importSlots == nil {
		s.importSlots = imports.NewSlots(defaultImportSlots)
	}
	if cfg.PublicURL != "" {
		u, err := url.Parse(strings.TrimRight(cfg.PublicURL, "/"))
		// The pages link to themselves from the root (/console/, /d/…),
		// so the registry must be served at its host's root.
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return nil, fmt.Errorf("public URL %q: want http(s)://host[:port], the registry served at the host's root", cfg.PublicURL)
		}
		s.public = u
	}
	if err := s.checkSSOLogin(); err != nil {
		return nil, err
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	s.pages = pages
	static, _ := fs.Sub(assets, "static")
	s.static = http.StripPrefix("/static/", http.FileServerFS(static))
	return s, nil
}

// Close stops the console's imports still running and waits for them to
// end; call it before closing the registry.
func (s *Server) Close() { s.imports.close() }

// Mount adds the pages' routes to mux, which serves the API under "/".
// Console forms are refused when a browser sends them from another origin
// (http.CrossOriginProtection).
func (s *Server) Mount(mux *http.ServeMux) {
	public := func(h http.HandlerFunc) http.Handler { return s.secured(s.limited(h)) }
	mux.Handle("GET /{$}", s.secured(http.HandlerFunc(s.home)))
	mux.Handle("GET /static/", s.secured(cached(s.static)))
	mux.Handle("GET /d/{$}", public(s.lookup))
	mux.Handle("GET /d/{id}", public(s.designationPage))
	mux.Handle("GET /d/{id}/qr.svg", public(s.designationQRSVG))
	mux.Handle("GET /d/{id}/qr.png", public(s.designationQRPNG))
	mux.Handle("GET /verify", public(s.verifyPage))
	mux.Handle("POST /verify", public(s.verifyPage))
	console := http.NewServeMux()
	s.consoleRoutes(console)
	protect := http.NewCrossOriginProtection()
	if s.public != nil {
		if err := protect.AddTrustedOrigin(s.public.Scheme + "://" + s.public.Host); err != nil {
			s.log.Warn("public URL is not a trusted origin", zap.Error(err))
		}
	}
	mux.Handle("/console/", s.secured(protect.Handler(console)))
}

// securityHeaders apply to every page: no inline script or style, no
// framing, no content sniffing, and the page's address kept to this site.
var securityHeaders = map[string]string{
	"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"form-action 'self'; base-uri 'none'; frame-ancestors 'none'; connect-src 'self'",
	"X-Content-Type-Options": "nosniff",
	"Referrer-Policy":        "same-origin",
	"X-Frame-Options":        "DENY",
}

// secured sets the security headers and logs one line per request:
// method, the route's pattern (never the query, which may hold what a user
// typed), status, duration and the signed-in subject.
func (s *Server) secured(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range securityHeaders {
			w.Header().Set(k, v)
		}
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		who := &requestSubject{}
		r = r.WithContext(context.WithValue(r.Context(), requestSubjectKey{}, who))
		h.ServeHTTP(rec, r) // the console's own mux sets r.Pattern to its route
		s.log.Info("page", zap.String("method", r.Method), zap.String("route", r.Pattern), zap.Int("status", rec.status),
			zap.Duration("duration", time.Since(start)), zap.String("subject", who.subject))
	})
}

// requestSubject is filled by signedIn, for the request's log line.
type requestSubject struct{ subject string }

type requestSubjectKey struct{}

// statusRecorder remembers the status a handler answered with.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the connection.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// cached lets browsers keep the embedded assets for a day.
func cached(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		h.ServeHTTP(w, r)
	})
}

// limited spends one of the client address's public requests, answering
// 429 when none is left.
func (s *Server) limited(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.cfg.Public.Allow(clientAddress(r), time.Now()) {
			s.tooMany(w, r)
			return
		}
		h(w, r)
	}
}

// tooMany answers 429 with the page that says to slow down.
func (s *Server) tooMany(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Retry-After", "1")
	s.fail(w, r, &problem{Status: http.StatusTooManyRequests, Headline: Text{"请求过于频繁，请稍后再试", "Too many requests; slow down"}})
}

// clientAddress is the calling host, as the API's limits key it.
func clientAddress(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// baseURL is the registry's public address for r, without a trailing slash.
func (s *Server) baseURL(r *http.Request) string {
	if s.public != nil {
		return s.public.String()
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// secure tells whether cookies must be Secure: the public URL is https,
// or the request came over TLS.
func (s *Server) secure(r *http.Request) bool {
	return r.TLS != nil || (s.public != nil && s.public.Scheme == "https")
}

// view is what every page template gets.
type view struct {
	Lang      string
	Path      string // the page's path and query without lang, for the language switch
	Title     Text
	Principal *registry.Principal
	Nav       []navItem
	Flash     Text
	Problem   *problem
	Now       time.Time
	Data      any
}

// render writes page name in the request's language with status.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	v.Lang = pickLanguage(w, r)
	q := r.URL.Query()
	q.Del("lang")
	v.Path = r.URL.Path
	if len(q) > 0 {
		v.Path += "?" + q.Encode()
	}
	v.Now = s.reg.Now()
	if p, ok := registry.PrincipalFrom(r.Context()); ok {
		v.Principal = &p
	}
	t := s.pages[v.Lang][name]
	if t == nil {
		s.log.Error("no such page template", zap.String("page", name))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		s.log.Error("rendering a page", zap.String("page", name), zap.Error(err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail renders a problem on the error page.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, p *problem) {
	s.render(w, r, p.Status, "error.html", view{Title: p.Headline, Problem: p})
}

// notYours is the one answer when a console page names a record that does
// not exist, is malformed, or is not the principal's to see: it tells
// nothing of the record, not even its type.
var notYours = &problem{Status: http.StatusNotFound, Headline: Text{"未找到该记录，或您无权查看", "No such record, or it is not yours to see"}}

// failRead renders the error of reading the record a page is about:
// not found, a malformed id and permission denied all get notYours.
func (s *Server) failRead(w http.ResponseWriter, r *http.Request, err error) {
	switch registry.KindOf(err) {
	case registry.KindNotFound, registry.KindPermissionDenied, registry.KindInvalidArgument:
		s.fail(w, r, notYours)
	default:
		s.failErr(w, r, err)
	}
}

// failErr renders err on the error page.
func (s *Server) failErr(w http.ResponseWriter, r *http.Request, err error) {
	s.fail(w, r, problemOf(s.log, err))
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "home.html", view{Title: Text{"杭州市人工智能产业认定登记系统", "Hangzhou AI Industry Certification Registry"}})
}
