package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"syscall"
	"time"
)

// UserAgent is the User-Agent of every delivery.
const UserAgent = "hangzhou-ai-registry-webhooks/1"

// DefaultTimeout bounds a delivery when NewSender is given no timeout.
const DefaultTimeout = 10 * time.Second

// maxResponseBody is how much of a response Send reads (and discards), so
// a connection can be kept alive without reading a receiver's whole
// answer.
const maxResponseBody = 64 << 10

// Message is one delivery: the body posted to URL, signed with Secret
// over ID and Timestamp.
type Message struct {
	URL, ID, Secret string
	Timestamp       time.Time
	Body            []byte
}

// Sender posts deliveries where its policy allows. It is safe for
// concurrent use and keeps connections alive between deliveries.
type Sender struct {
	urls   Policy // the policy Send checks the URL with; the dialer has its own
	client *http.Client
}

// NewSender returns a Sender that delivers where p allows, each delivery
// bounded by timeout (DefaultTimeout when it is not positive), response
// included.
func NewSender(p Policy, timeout time.Duration) *Sender {
	return newSender(p, p, timeout)
}

// newSender is NewSender with the policy of URLs and the policy of
// addresses at connect time apart, so tests can reach the second past the
// first.
func newSender(urls, addresses Policy, timeout time.Duration) *Sender {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: addresses.control}
	transport := &http.Transport{
		Proxy:                 nil, // a proxy would connect for us, past the address check
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ExpectContinueTimeout: time.Second,
	}
	client := &http.Client{
		Transport: transport,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // a 3xx is the answer, and a failure
		},
	}
	return &Sender{urls: urls, client: client}
}

// control is the net.Dialer Control of a Sender: it runs after DNS, just
// before each connection, with the address about to be connected to, and
// refuses it unless it is a public IP address or the policy allows
// private ones. Its errors wrap ErrAddressRefused.
func (p Policy) control(network, address string, _ syscall.RawConn) error {
	if network != "tcp" && network != "tcp4" && network != "tcp6" {
		return fmt.Errorf("%w: network %s", ErrAddressRefused, network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %q is not an IP address and port", ErrAddressRefused, address)
	}
	if !p.AllowPrivate && IsPrivate(ap.Addr()) {
		return fmt.Errorf("%w: %s is a private address", ErrAddressRefused, ap.Addr())
	}
	return nil
}

// Send posts m.Body to m.URL, as Content-Type application/json with
// User-Agent UserAgent and the headers webhook-id (m.ID),
// webhook-timestamp (m.Timestamp in Unix seconds) and webhook-signature
// (Sign of m). It returns the HTTP status of the response, 0 when none
// came, and a nil error only for a 2xx status.
//
// Before sending it checks m.URL with the Sender's policy (CheckURL);
// when connecting, after DNS, it refuses an address the policy does not
// allow (see IsPrivate), so neither a name nor DNS can lead a delivery to
// a private address; both refusals wrap ErrAddressRefused. No proxy is
// used and redirects are not followed: a 3xx is a failure naming its
// status. It reads at most 64 KiB of the response body and discards it;
// no error contains any of it, nor the secret.
func (s *Sender) Send(ctx context.Context, m Message) (status int, err error) {
	target, err := s.urls.CheckURL(m.URL)
	if err != nil {
		return 0, fmt.Errorf("webhook URL %w", err)
	}
	sig, err := Sign(m.Secret, m.ID, m.Timestamp, m.Body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(m.Body))
	if err != nil {
		return 0, fmt.Errorf("webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(HeaderID, m.ID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(m.Timestamp.Unix(), 10))
	req.Header.Set(HeaderSignature, sig)
	resp, err := s.client.Do(req)
	if err != nil {
		// url.Error repeats the method and URL, which the caller knows;
		// what is under it says what failed.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return 0, fmt.Errorf("webhook delivery: %w", err)
	}
	// The rest of the body is not waited for, nor is a failure to read
	// it one of the delivery: the status has been answered.
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBody))
	resp.Body.Close()
	// The status's own text is the receiver's, so is left out.
	switch code := resp.StatusCode; {
	case code >= 300 && code <= 399:
		return code, fmt.Errorf("webhook receiver answered %d %s, a redirect, which is not followed", code, http.StatusText(code))
	case code < 200 || code > 299:
		return code, fmt.Errorf("webhook receiver answered %d %s", code, http.StatusText(code))
	}
	return resp.StatusCode, nil
}
