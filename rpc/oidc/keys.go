package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// maxDocumentBytes caps the discovery document and the key set.
const maxDocumentBytes = 1 << 20

// minRSABits is the smallest RSA modulus accepted from a key set.
const minRSABits = 2048

// errRateLimited means a fetch was skipped because the last one was too recent.
var errRateLimited = errors.New("keys were fetched too recently to fetch again")

// keySet caches the provider's signing keys by key id. Keys are fetched on
// first use, when a token names a key id the cache does not hold, and when
// the cache is older than maxAge; fetches are serialised and at most one is
// attempted per refetch interval, so tokens with made-up key ids cannot make
// the registry hammer the provider.
type keySet struct {
	issuer  string
	client  *http.Client
	now     func() time.Time
	refetch time.Duration
	maxAge  time.Duration

	mu      sync.RWMutex
	keys    map[string][]jose.JSONWebKey // by kid; "" holds keys without one
	all     []jose.JSONWebKey
	fetched time.Time // last successful fetch; zero before the first

	fetchMu     sync.Mutex // held while fetching
	lastAttempt time.Time

	docMu      sync.Mutex // held while discovering; taken after fetchMu
	doc        *discovery // kept once known
	docFailed  time.Time  // last failed discovery, for the refetch limit
	docFailure error
}

// discovery is what the registry reads from the provider's discovery
// document: where its keys are, and where the console's sign-in sends
// browsers and exchanges codes.
type discovery struct {
	Issuer                string `json:"issuer"`
	JWKSURI               string `json:"jwks_uri"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
}

// discover returns the discovery document, fetching it on first use. A
// failed fetch is retried at most once per refetch interval; in between
// its error is returned again.
func (s *keySet) discover(ctx context.Context) (*discovery, error) {
	s.docMu.Lock()
	defer s.docMu.Unlock()
	if s.doc != nil {
		return s.doc, nil
	}
	if !s.docFailed.IsZero() && s.now().Sub(s.docFailed) < s.refetch {
		return nil, s.docFailure
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	doc, err := s.fetchDiscovery(ctx)
	if err != nil {
		s.docFailed, s.docFailure = s.now(), err
		return nil, err
	}
	s.doc = doc
	return doc, nil
}

func (s *keySet) fetchDiscovery(ctx context.Context) (*discovery, error) {
	var doc discovery
	if err := s.getJSON(ctx, strings.TrimSuffix(s.issuer, "/")+"/.well-known/openid-configuration", &doc); err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	if doc.Issuer != s.issuer {
		return nil, fmt.Errorf("discovery: document names issuer %q, not the configured %q", doc.Issuer, s.issuer)
	}
	if err := checkURL(doc.JWKSURI); err != nil {
		return nil, fmt.Errorf("discovery: jwks_uri: %w", err)
	}
	// The sign-in endpoints are checked when they are asked for
	// (Verifier.Endpoints): a provider used only for bearer tokens need
	// not publish them.
	return &doc, nil
}

// cached returns the keys for kid (every key when kid is empty), whether
// any key set was ever fetched, and whether the cache is fresh.
func (s *keySet) cached(kid string) (keys []jose.JSONWebKey, have, fresh bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if kid == "" {
		keys = s.all
	} else {
		keys = s.keys[kid]
	}
	have = !s.fetched.IsZero()
	return keys, have, have && s.now().Sub(s.fetched) < s.maxAge
}

// lookup returns the candidate keys for kid, fetching the key set first
// when kid is unknown or the cache is stale (subject to the rate limit).
// A stale cache keeps serving when a refetch fails.
func (s *keySet) lookup(ctx context.Context, kid string) ([]jose.JSONWebKey, error) {
	keys, _, fresh := s.cached(kid)
	if len(keys) > 0 && fresh {
		return keys, nil
	}
	// The fetch serves every caller waiting on it, so one caller giving up
	// does not cancel it.
	ferr := s.refresh(context.WithoutCancel(ctx))
	keys, have, _ := s.cached(kid)
	switch {
	case len(keys) > 0:
		return keys, nil
	case !have:
		reason := "identity provider keys unavailable"
		if ferr != nil {
			reason += ": " + ferr.Error()
		}
		return nil, &Error{Problem: Unavailable, Reason: reason, Err: ferr}
	case kid == "":
		return nil, rejected("token names no key id and the identity provider publishes no keys")
	case ferr != nil && !errors.Is(ferr, errRateLimited):
		return nil, rejected(fmt.Sprintf("unknown key id %.64q (refetching keys failed: %v)", kid, ferr))
	default:
		return nil, rejected(fmt.Sprintf("unknown key id %.64q", kid))
	}
}

// refresh fetches the key set unless another caller fetched it while this
// one waited, or the last attempt was less than the refetch interval ago.
func (s *keySet) refresh(ctx context.Context) error {
	asked := s.now()
	s.fetchMu.Lock()
	defer s.fetchMu.Unlock()
	s.mu.RLock()
	fetched := s.fetched
	s.mu.RUnlock()
	if !fetched.IsZero() && !fetched.Before(asked) {
		return nil // someone else fetched while we waited
	}
	if !s.lastAttempt.IsZero() && s.now().Sub(s.lastAttempt) < s.refetch {
		return errRateLimited
	}
	s.lastAttempt = s.now()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	keys, err := s.fetch(ctx)
	if err != nil {
		return err
	}
	byKid := map[string][]jose.JSONWebKey{}
	for _, k := range keys {
		byKid[k.KeyID] = append(byKid[k.KeyID], k)
	}
	s.mu.Lock()
	s.keys, s.all, s.fetched = byKid, keys, s.now()
	s.mu.Unlock()
	return nil
}

// fetch discovers the key set's address (once) and reads the usable
// signing keys from it.
func (s *keySet) fetch(ctx context.Context) ([]jose.JSONWebKey, error) {
	doc, err := s.discover(ctx)
	if err != nil {
		return nil, err
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := s.getJSON(ctx, doc.JWKSURI, &set); err != nil {
		return nil, fmt.Errorf("key set: %w", err)
	}
	var keys []jose.JSONWebKey
	for _, raw := range set.Keys {
		if k, ok := parseSigningKey(raw); ok {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("key set holds no usable signing key")
	}
	return keys, nil
}

// parseSigningKey accepts a public RSA (2048 bits or more), ECDSA or
// Ed25519 key meant for signatures; anything else in the set is skipped.
func parseSigningKey(raw json.RawMessage) (jose.JSONWebKey, bool) {
	var members map[string]json.RawMessage
	if json.Unmarshal(raw, &members) != nil {
		return jose.JSONWebKey{}, false
	}
	for _, private := range []string{"d", "k", "p", "q", "dp", "dq", "qi", "priv"} {
		if _, ok := members[private]; ok {
			return jose.JSONWebKey{}, false
		}
	}
	var k jose.JSONWebKey
	if err := k.UnmarshalJSON(raw); err != nil || !k.Valid() || !k.IsPublic() {
		return jose.JSONWebKey{}, false
	}
	if k.Use != "" && k.Use != "sig" {
		return jose.JSONWebKey{}, false
	}
	switch pub := k.Key.(type) {
	case *rsa.PublicKey:
		if pub.N.BitLen() < minRSABits {
			return jose.JSONWebKey{}, false
		}
	case *ecdsa.PublicKey, ed25519.PublicKey:
	default:
		return jose.JSONWebKey{}, false
	}
	return k, true
}

func (s *keySet) getJSON(ctx context.Context, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	res, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxDocumentBytes))
		return fmt.Errorf("GET %s: %s", u, res.Status)
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, maxDocumentBytes+1))
	if err != nil {
		return err
	}
	if len(b) > maxDocumentBytes {
		return fmt.Errorf("GET %s: response larger than %d bytes", u, maxDocumentBytes)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	return nil
}

// checkURL accepts https URLs, and http ones only on a loopback host (a
// provider on the same machine, or a test's).
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	switch {
	case u.Host == "":
		return fmt.Errorf("%q is not an absolute URL", raw)
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	default:
		return fmt.Errorf("%q must use https", raw)
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
