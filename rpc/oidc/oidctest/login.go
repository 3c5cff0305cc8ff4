package oidctest

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Client is a client registered for the authorization code flow.
type Client struct {
	ID string
	// Secret, when set, must authenticate the client at the token
	// endpoint (HTTP basic or the client_secret form field); empty means a
	// public client.
	Secret string
	// RedirectURIs are the addresses the provider sends browsers back to.
	RedirectURIs []string
}

// loginState is the provider's sign-in side, under Provider.mu.
type loginState struct {
	clients map[string]Client
	claims  map[string]any
	refusal string
	consent bool
	grants  map[string]grant // by code
	// exchanges counts the token requests answered with an ID token.
	exchanges int
}

// grant is what an issued code stands for.
type grant struct {
	client, redirectURI, challenge, nonce string
	claims                                map[string]any
}

// RegisterClient lets c sign browsers in.
func (p *Provider) RegisterClient(c Client) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.login.clients == nil {
		p.login.clients = map[string]Client{}
	}
	p.login.clients[c.ID] = c
}

// LoginAs sets the claims of the ID tokens the next sign-ins get (sub,
// org, role, …). iss, aud (the client), nonce (the one the client sent),
// iat and exp (five minutes on) are added unless claims name them.
func (p *Provider) LoginAs(claims map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.login.claims = maps.Clone(claims)
}

// RefuseLogins makes the authorization endpoint send browsers back with
// error=code instead of a code, as when the person cancels; "" accepts
// sign-ins again.
func (p *Provider) RefuseLogins(code string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.login.refusal = code
}

// AskConsent makes the authorization endpoint answer with a page whose
// link (#approve) leads back, instead of redirecting at once: a browser
// following it makes the way back a navigation the provider's page
// starts, cross-site, as after a person signs in at a real provider.
func (p *Provider) AskConsent(ask bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.login.consent = ask
}

// CodeExchanges counts the codes traded for an ID token.
func (p *Provider) CodeExchanges() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.login.exchanges
}

func (p *Provider) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// authorize is the authorization endpoint. An unknown client or redirect
// address gets an error page, as a real provider would show; any other
// bad request goes back to the client with error=invalid_request.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.login.clients[q.Get("client_id")]
	if !ok || !slices.Contains(c.RedirectURIs, q.Get("redirect_uri")) {
		http.Error(w, "unknown client or redirect_uri", http.StatusBadRequest)
		return
	}
	back := func(params url.Values) {
		if state := q.Get("state"); state != "" {
			params.Set("state", state)
		}
		to := q.Get("redirect_uri")
		sep := "?"
		if strings.Contains(to, "?") {
			sep = "&"
		}
		to += sep + params.Encode()
		if !p.login.consent {
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>Identity provider</title><p><a id="approve" href="%s">Continue to the application</a></p>`, html.EscapeString(to))
	}
	switch {
	case q.Get("response_type") != "code",
		!slices.Contains(strings.Fields(q.Get("scope")), "openid"),
		q.Get("code_challenge_method") != "S256", len(q.Get("code_challenge")) != 43:
		back(url.Values{"error": {"invalid_request"}})
		return
	case p.login.refusal != "":
		back(url.Values{"error": {p.login.refusal}, "error_description": {"the person declined to sign in"}})
		return
	case p.login.claims == nil:
		back(url.Values{"error": {"login_required"}, "error_description": {"the test set no LoginAs claims"}})
		return
	}
	code := rand.Text()
	if p.login.grants == nil {
		p.login.grants = map[string]grant{}
	}
	p.login.grants[code] = grant{
		client: c.ID, redirectURI: q.Get("redirect_uri"), challenge: q.Get("code_challenge"), nonce: q.Get("nonce"),
		claims: maps.Clone(p.login.claims),
	}
	back(url.Values{"code": {code}})
}

// token is the token endpoint: it trades a code, once, for an ID token
// signed with the provider's first key, when the client authenticates (if
// it has a secret), the redirect address is the authorization request's
// and the PKCE verifier hashes to its challenge.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	f := r.PostForm
	clientID, secret, basic := r.BasicAuth()
	if basic {
		clientID, _ = url.QueryUnescape(clientID)
		secret, _ = url.QueryUnescape(secret)
	} else {
		clientID, secret = f.Get("client_id"), f.Get("client_secret")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.login.clients[clientID]
	if !ok || (c.Secret != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(c.Secret)) != 1) {
		tokenError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	if f.Get("grant_type") != "authorization_code" {
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	g, ok := p.login.grants[f.Get("code")]
	if !ok {
		tokenError(w, http.StatusBadRequest, "invalid_grant")
		return
	}
	delete(p.login.grants, f.Get("code")) // a code is good once, whatever happens next
	sum := sha256.Sum256([]byte(f.Get("code_verifier")))
	if g.client != clientID || g.redirectURI != f.Get("redirect_uri") ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		tokenError(w, http.StatusBadRequest, "invalid_grant")
		return
	}
	if len(p.published) == 0 {
		tokenError(w, http.StatusInternalServerError, "server_error")
		return
	}
	now := p.now()
	claims := map[string]any{
		"iss": p.Issuer, "aud": clientID, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
	}
	if g.nonce != "" {
		claims["nonce"] = g.nonce
	}
	maps.Copy(claims, g.claims)
	idToken, err := sign(p.published[0], claims)
	if err != nil {
		tokenError(w, http.StatusInternalServerError, "server_error")
		return
	}
	p.login.exchanges++
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, map[string]any{
		"access_token": rand.Text(), "token_type": "Bearer", "expires_in": 300, "id_token": idToken,
	})
}

func tokenError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code})
}
