package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/rpc/oidc"
)

// SSOLogin lets users sign in to the console through the OpenID Connect
// provider's own sign-in page (the authorization code flow with PKCE),
// besides pasting a token. It needs Config.SSO (the provider's verifier)
// and Config.PublicURL: the provider sends browsers back to
// PublicURL + "/console/sso/callback", which must be registered with it
// as the client's redirect URI.
type SSOLogin struct {
	// ClientID is the registry's client id at the provider. Required.
	ClientID string
	// ClientSecret authenticates the registry at the token endpoint;
	// empty for a public client (PKCE alone).
	ClientSecret string
	// Scopes are asked for; "openid" is always among them.
	Scopes []string
	// HTTPClient exchanges codes; default: a 10-second timeout. It never
	// follows redirects.
	HTTPClient *http.Client
}

const (
	// ssoCookie holds a sign-in under way: its state, nonce, PKCE
	// verifier and return address.
	ssoCookie = "registry_sso"
	ssoPath   = "/console/sso"
	// ssoLife is how long a sign-in may take at the provider.
	ssoLife = 10 * time.Minute
	// maxTokenResponse caps the token endpoint's answer.
	maxTokenResponse = 1 << 20
)

// ssoRoutes are the sign-in through the provider, when configured.
func (s *Server) ssoRoutes(mux *http.ServeMux) {
	if s.cfg.SSOLogin == nil {
		return
	}
	mux.HandleFunc("GET "+ssoPath, s.limited(s.ssoStart))
	mux.HandleFunc("GET "+ssoPath+"/callback", s.limited(s.ssoCallback))
}

// checkSSOLogin completes cfg.SSOLogin's defaults and refuses settings
// that cannot work; New calls it once s.public is known.
func (s *Server) checkSSOLogin() error {
	l := s.cfg.SSOLogin
	if l == nil {
		return nil
	}
	switch {
	case s.cfg.SSO == nil:
		return errors.New("web: SSOLogin needs SSO, the provider's verifier")
	case l.ClientID == "":
		return errors.New("web: SSOLogin needs a client id")
	case s.public == nil:
		return errors.New("web: SSOLogin needs PublicURL: the provider sends browsers back to <public URL>/console/sso/callback")
	}
	c := *l
	c.Scopes = []string{"openid"}
	for _, sc := range l.Scopes {
		if sc = strings.TrimSpace(sc); sc != "" && sc != "openid" {
			c.Scopes = append(c.Scopes, sc)
		}
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	// The code, the verifier and the secret go to the token endpoint
	// named by discovery, never wherever it redirects.
	hc := *c.HTTPClient
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.HTTPClient = &hc
	s.cfg.SSOLogin = &c
	return nil
}

// redirectURI is where the provider sends browsers back.
func (s *Server) redirectURI() string {
	return s.public.String() + ssoPath + "/callback"
}

// ssoCookieName is ssoCookie, with the __Host- prefix behind TLS: a
// browser then takes it only from this host, Secure and with Path=/, so
// a sibling subdomain cannot plant a sign-in of its own (login CSRF).
func (s *Server) ssoCookieName(r *http.Request) string {
	if s.secure(r) {
		return "__Host-" + ssoCookie
	}
	return ssoCookie
}

// ssoCookiePath is where the browser sends the sign-in cookie: only to
// the sign-in's own pages, except that __Host- cookies must have Path=/.
func (s *Server) ssoCookiePath(r *http.Request) string {
	if s.secure(r) {
		return "/"
	}
	return ssoPath
}

// pendingSSO is a sign-in under way, kept in the browser's ssoCookie.
type pendingSSO struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"r"`
	Started  int64  `json:"t"`
}

// randomString is 32 random bytes, base64url: 43 characters, as a PKCE
// verifier may be.
func randomString() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ssoStart sends the browser to the provider's sign-in page, remembering
// in a cookie what the way back must match.
func (s *Server) ssoStart(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	authURL, _, err := s.cfg.SSO.Endpoints(r.Context())
	if err != nil {
		s.log.Warn("console single sign-on: the identity provider's endpoints are unknown", zap.Error(err))
		s.ssoFailed(w, r, next, http.StatusServiceUnavailable, Text{"统一身份认证暂不可用，请稍后再试或使用令牌登录", "Single sign-on is unavailable; try again later or sign in with a token"})
		return
	}
	u, err := url.Parse(authURL)
	if err != nil {
		s.log.Warn("console single sign-on: bad authorization endpoint", zap.Error(err))
		s.ssoFailed(w, r, next, http.StatusServiceUnavailable, Text{"统一身份认证暂不可用，请稍后再试或使用令牌登录", "Single sign-on is unavailable; try again later or sign in with a token"})
		return
	}
	p := pendingSSO{State: randomString(), Nonce: randomString(), Verifier: randomString(), Next: next, Started: s.reg.Now().Unix()}
	b, _ := json.Marshal(p)
	http.SetCookie(w, &http.Cookie{
		Name: s.ssoCookieName(r), Value: base64.RawURLEncoding.EncodeToString(b), Path: s.ssoCookiePath(r),
		MaxAge: int(ssoLife / time.Second), HttpOnly: true, Secure: s.secure(r),
		// The provider's redirect back is a cross-site navigation, on
		// which a Strict cookie would not be sent.
		SameSite: http.SameSiteLaxMode,
	})
	challenge := sha256.Sum256([]byte(p.Verifier))
	q := u.Query()
	q.Set("response_type", "code")
	q.Set("client_id", s.cfg.SSOLogin.ClientID)
	q.Set("redirect_uri", s.redirectURI())
	q.Set("scope", strings.Join(s.cfg.SSOLogin.Scopes, " "))
	q.Set("state", p.State)
	q.Set("nonce", p.Nonce)
	q.Set("code_challenge", base64.RawURLEncoding.EncodeToString(challenge[:]))
	q.Set("code_challenge_method", "S256")
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

// providerError is an OAuth error code as the provider may send it; other
// text in the error parameter is not shown.
var providerError = regexp.MustCompile(`^[a-z_]{1,64}$`)

// ssoCallback is where the provider sends the browser back: with a code
// it trades for an ID token, or with an error. The session starts only
// when the state matches the cookie this browser got in ssoStart and the
// ID token carries that sign-in's nonce.
func (s *Server) ssoCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	// Whatever happens, this sign-in attempt is over.
	http.SetCookie(w, &http.Cookie{Name: s.ssoCookieName(r), Value: "", Path: s.ssoCookiePath(r), MaxAge: -1, HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
	pending, ok := s.pendingSSO(r)
	if !ok || subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(pending.State)) != 1 {
		s.log.Info("console single sign-on refused: the state does not match this browser's sign-in", zap.Bool("sign_in_under_way", ok))
		s.ssoFailed(w, r, pending.Next, http.StatusBadRequest, Text{"登录请求已失效或不是从本浏览器发起的，请重新登录", "This sign-in has expired or was not started in this browser; sign in again"})
		return
	}
	next := pending.Next
	if e := q.Get("error"); e != "" {
		s.log.Info("console single sign-on: the identity provider refused the sign-in",
			zap.String("error", fmt.Sprintf("%.64q", e)), zap.String("description", fmt.Sprintf("%.200q", q.Get("error_description"))))
		p := &problem{Status: http.StatusUnauthorized, Headline: Text{"统一身份认证未完成登录", "The single sign-on provider did not sign you in"}}
		if providerError.MatchString(e) {
			p.Message = e
		}
		s.ssoProblem(w, r, next, p)
		return
	}
	code := q.Get("code")
	if code == "" {
		s.log.Info("console single sign-on refused: the provider sent no code")
		s.ssoFailed(w, r, next, http.StatusBadRequest, Text{"统一身份认证未返回授权码，请重新登录", "The single sign-on provider sent no code; sign in again"})
		return
	}
	idToken, err := s.exchangeCode(r.Context(), code, pending.Verifier)
	if err != nil {
		s.log.Warn("console single sign-on: exchanging the code failed", zap.Error(err))
		s.ssoFailed(w, r, next, http.StatusBadGateway, Text{"无法向统一身份认证换取登录凭据，请重新登录", "The single sign-on provider did not complete the sign-in; sign in again"})
		return
	}
	p, until, err := s.cfg.SSO.VerifyIDToken(r.Context(), idToken, s.cfg.SSOLogin.ClientID, pending.Nonce)
	if err != nil {
		var oe *oidc.Error
		if !errors.As(err, &oe) {
			s.failErr(w, r, err)
			return
		}
		s.log.Info("console single sign-on refused: the ID token", zap.String("reason", oe.Reason))
		status, headline := http.StatusUnauthorized, Text{"统一身份认证返回的身份无效或已过期", "The identity the single sign-on provider returned was refused or has expired"}
		if oe.Problem == oidc.Unavailable {
			status, headline = http.StatusServiceUnavailable, Text{"统一身份认证暂不可用，请稍后再试或使用令牌登录", "Single sign-on is unavailable; try again later or sign in with a token"}
		}
		s.ssoFailed(w, r, next, status, headline)
		return
	}
	raw, _, err := s.reg.StartVerifiedSession(r.Context(), p, until)
	if err != nil {
		if registry.KindOf(err) == registry.KindUnauthenticated {
			s.ssoFailed(w, r, next, http.StatusUnauthorized, Text{"统一身份认证返回的身份无效或已过期", "The identity the single sign-on provider returned was refused or has expired"})
			return
		}
		s.ssoProblem(w, r, next, problemOf(s.log, err))
		return
	}
	s.setSessionCookie(w, r, raw)
	// A page, not a redirect: the browser arrived here from the provider,
	// a cross-site navigation on which it would not send the Strict
	// session cookie to the next address of a redirect chain. The page's
	// own refresh is a same-site navigation.
	s.render(w, asPage(r, next), http.StatusOK, "sso.html", view{Title: Text{"已登录", "Signed in"}, Data: ssoDoneView{Next: next}})
}

type ssoDoneView struct{ Next string }

// pendingSSO reads the sign-in under way from the cookie; one older than
// ssoLife by the registry's clock counts as none.
func (s *Server) pendingSSO(r *http.Request) (pendingSSO, bool) {
	none := pendingSSO{Next: "/console/"}
	c, err := r.Cookie(s.ssoCookieName(r))
	if err != nil {
		return none, false
	}
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return none, false
	}
	var p pendingSSO
	if json.Unmarshal(b, &p) != nil || p.State == "" || p.Nonce == "" || p.Verifier == "" {
		return none, false
	}
	p.Next = safeNext(p.Next)
	if age := s.reg.Now().Sub(time.Unix(p.Started, 0)); age < 0 || age > ssoLife {
		return pendingSSO{Next: p.Next}, false
	}
	return p, true
}

// exchangeCode trades the code for the ID token at the token endpoint.
// Its errors never hold the code, the verifier, the secret or a token.
func (s *Server) exchangeCode(ctx context.Context, code, verifier string) (string, error) {
	_, tokenURL, err := s.cfg.SSO.Endpoints(ctx)
	if err != nil {
		return "", err
	}
	l := s.cfg.SSOLogin
	form := url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {s.redirectURI()},
		"client_id": {l.ClientID}, "code_verifier": {verifier},
	}
	if l.ClientSecret != "" {
		form.Set("client_secret", l.ClientSecret)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("token endpoint: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	res, err := l.HTTPClient.Do(req)
	if err != nil {
		// The error names the endpoint's URL and the failure, not the form.
		return "", fmt.Errorf("token endpoint: %w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxTokenResponse+1))
	if err != nil {
		return "", fmt.Errorf("token endpoint %s: %w", tokenURL, err)
	}
	if len(body) > maxTokenResponse {
		return "", fmt.Errorf("token endpoint %s: answer larger than %d bytes", tokenURL, maxTokenResponse)
	}
	var answer struct {
		IDToken string `json:"id_token"`
		Error   string `json:"error"`
	}
	jerr := json.Unmarshal(body, &answer)
	switch {
	case res.StatusCode != http.StatusOK:
		reason := ""
		if jerr == nil && answer.Error != "" {
			reason = fmt.Sprintf(" (error %.64q)", answer.Error)
		}
		return "", fmt.Errorf("token endpoint %s: %s%s", tokenURL, res.Status, reason)
	case jerr != nil:
		return "", fmt.Errorf("token endpoint %s: the answer is not JSON", tokenURL)
	case answer.IDToken == "":
		return "", fmt.Errorf("token endpoint %s: the answer holds no id_token", tokenURL)
	}
	return answer.IDToken, nil
}

// ssoFailed shows the sign-in page with headline as its problem.
func (s *Server) ssoFailed(w http.ResponseWriter, r *http.Request, next string, status int, headline Text) {
	s.ssoProblem(w, r, next, &problem{Status: status, Headline: headline})
}

// ssoProblem shows the sign-in page, as if at /console/signin?next=…, so
// its language switch does not lead back to the provider's answer.
func (s *Server) ssoProblem(w http.ResponseWriter, r *http.Request, next string, p *problem) {
	s.render(w, asPage(r, "/console/signin?next="+url.QueryEscape(next)), p.Status, "signin.html",
		view{Title: Text{"登录", "Sign in"}, Problem: p, Data: s.signInData(next)})
}

// asPage is r as if it asked for path (a path and query of this site),
// keeping a ?lang= it carried.
func asPage(r *http.Request, path string) *http.Request {
	u, err := url.Parse(path)
	if err != nil {
		return r
	}
	if lang := r.URL.Query().Get("lang"); lang != "" {
		q := u.Query()
		q.Set("lang", lang)
		u.RawQuery = q.Encode()
	}
	r2 := r.Clone(r.Context())
	r2.URL = u
	return r2
}
