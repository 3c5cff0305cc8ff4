package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The fixed vector: a secret, id, timestamp and body, all constants.
const (
	vectorSecret = "whsec_" + "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" // the bytes 0 to 31
	vectorID     = "msg_2f6Q1ZkGfd1mZt2yJzK3"
	vectorUnix   = 1735689600 // 2025-01-01T00:00:00Z
	vectorBody   = `{"type":"enterprise.register","id":"chg_1"}`
)

// independentSign computes a signature without the package: the secret's
// base64 decoded here, HMAC-SHA256 over "id.unix.body".
func independentSign(t *testing.T, secret, id string, unix int64, body []byte) string {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	h := hmac.New(sha256.New, key)
	h.Write([]byte(id + "." + strconv.FormatInt(unix, 10) + "." + string(body)))
	return "v1," + base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func headers(id, ts, sig string) http.Header {
	h := http.Header{}
	for k, v := range map[string]string{HeaderID: id, HeaderTimestamp: ts, HeaderSignature: sig} {
		if v != "" {
			h.Set(k, v)
		}
	}
	return h
}

func TestSign(t *testing.T) {
	other := NewSecret()
	cases := []struct {
		name, secret, id string
		unix             int64
		body             string
	}{
		{"fixed vector", vectorSecret, vectorID, vectorUnix, vectorBody},
		{"new secret", other, "msg_x", 1, "{}"},
		{"empty body", other, "msg_y", 1_700_000_000, ""},
		{"body with dots and newlines", other, "a.b", 1_700_000_001, "1.2.3\n4"},
		{"before 1970", other, "msg_z", -5, "[]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Sign(c.secret, c.id, time.Unix(c.unix, 999_000_000), []byte(c.body))
			if err != nil {
				t.Fatal(err)
			}
			if want := independentSign(t, c.secret, c.id, c.unix, []byte(c.body)); got != want {
				t.Fatalf("Sign = %s, independently %s", got, want)
			}
		})
	}
	t.Run("published Standard Webhooks vector", func(t *testing.T) {
		// The example of the Standard Webhooks reference libraries, whose
		// key is 24 bytes: a receiver using them verifies what we sign.
		got, err := Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
		if err != nil {
			t.Fatal(err)
		}
		if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
			t.Fatalf("Sign = %s, want %s", got, want)
		}
	})
	t.Run("refusals", func(t *testing.T) {
		for _, c := range []struct{ name, secret, id string }{
			{"no prefix", strings.TrimPrefix(vectorSecret, "whsec_"), "msg"},
			{"empty id", vectorSecret, ""},
		} {
			if sig, err := Sign(c.secret, c.id, time.Unix(vectorUnix, 0), nil); err == nil {
				t.Errorf("%s: signed %s", c.name, sig)
			}
		}
	})
}

func TestVerify(t *testing.T) {
	body := []byte(vectorBody)
	ts := strconv.Itoa(vectorUnix)
	now := time.Unix(vectorUnix, 0)
	sig := independentSign(t, vectorSecret, vectorID, vectorUnix, body)
	if got, err := Sign(vectorSecret, vectorID, now, body); err != nil || got != sig {
		t.Fatalf("Sign = %s, %v; want %s", got, err, sig)
	}
	wrong := independentSign(t, NewSecret(), vectorID, vectorUnix, body)
	cases := []struct {
		name    string
		secret  string
		h       http.Header
		body    string
		now     time.Time
		tol     time.Duration
		wantErr string // "" for accepted
	}{
		{"the vector", vectorSecret, headers(vectorID, ts, sig), vectorBody, now, time.Minute, ""},
		{"at the tolerance's edge, late", vectorSecret, headers(vectorID, ts, sig), vectorBody, now.Add(time.Minute), time.Minute, ""},
		{"at the tolerance's edge, early", vectorSecret, headers(vectorID, ts, sig), vectorBody, now.Add(-time.Minute), time.Minute, ""},
		{"default tolerance", vectorSecret, headers(vectorID, ts, sig), vectorBody, now.Add(4 * time.Minute), 0, ""},
		{"second of several signatures", vectorSecret, headers(vectorID, ts, wrong+" v1a,c29tZXRoaW5n v1,!!! "+sig), vectorBody, now, time.Minute, ""},
		{"changed body", vectorSecret, headers(vectorID, ts, sig), vectorBody + " ", now, time.Minute, "no signature matches"},
		{"changed id", vectorSecret, headers(vectorID+"x", ts, sig), vectorBody, now, time.Minute, "no signature matches"},
		{"changed timestamp", vectorSecret, headers(vectorID, strconv.Itoa(vectorUnix+1), sig), vectorBody, now, time.Minute, "no signature matches"},
		{"too old", vectorSecret, headers(vectorID, ts, sig), vectorBody, now.Add(time.Minute + time.Second), time.Minute, "not within"},
		{"too new", vectorSecret, headers(vectorID, ts, sig), vectorBody, now.Add(-time.Minute - time.Second), time.Minute, "not within"},
		{"past the default tolerance", vectorSecret, headers(vectorID, ts, sig), vectorBody, now.Add(6 * time.Minute), 0, "not within"},
		{"far-past timestamp", vectorSecret, headers(vectorID, "-9223372036854775808", sig), vectorBody, now, time.Minute, "not within"},
		{"far-future timestamp", vectorSecret, headers(vectorID, "9223372036854775807", sig), vectorBody, now, time.Minute, "not within"},
		{"far-off timestamp, far-off now", vectorSecret, headers(vectorID, "9223372036854775807", sig), vectorBody, time.Unix(-1<<62, 0), time.Minute, "not within"},
		{"timestamp not a number", vectorSecret, headers(vectorID, ts+".0", sig), vectorBody, now, time.Minute, "not Unix seconds"},
		{"wrong secret", NewSecret(), headers(vectorID, ts, sig), vectorBody, now, time.Minute, "no signature matches"},
		{"only the wrong signature", vectorSecret, headers(vectorID, ts, wrong), vectorBody, now, time.Minute, "no signature matches"},
		{"right signature, other version", vectorSecret, headers(vectorID, ts, "v2,"+strings.TrimPrefix(sig, "v1,")), vectorBody, now, time.Minute, "no signature matches"},
		{"missing id", vectorSecret, headers("", ts, sig), vectorBody, now, time.Minute, HeaderID + " header missing"},
		{"missing timestamp", vectorSecret, headers(vectorID, "", sig), vectorBody, now, time.Minute, HeaderTimestamp + " header missing"},
		{"missing signature", vectorSecret, headers(vectorID, ts, ""), vectorBody, now, time.Minute, HeaderSignature + " header missing"},
		{"secret not whsec_", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", headers(vectorID, ts, sig), vectorBody, now, time.Minute, "whsec_"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Verify(c.secret, c.h, []byte(c.body), c.now, c.tol)
			switch {
			case c.wantErr == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.wantErr != "" && err == nil:
				t.Fatal("accepted")
			case c.wantErr != "" && !strings.Contains(err.Error(), c.wantErr):
				t.Fatalf("error %q does not say %q", err, c.wantErr)
			}
		})
	}
}

func TestSecrets(t *testing.T) {
	t.Run("NewSecret", func(t *testing.T) {
		a, b := NewSecret(), NewSecret()
		for _, s := range []string{a, b} {
			rest, ok := strings.CutPrefix(s, SecretPrefix)
			if !ok {
				t.Fatalf("%q lacks the prefix", s)
			}
			key, err := base64.StdEncoding.DecodeString(rest)
			if err != nil || len(key) != 32 {
				t.Fatalf("%q decodes to %d bytes, %v", s, len(key), err)
			}
			if got, err := DecodeSecret(s); err != nil || string(got) != string(key) {
				t.Fatalf("DecodeSecret(%q) = %x, %v", s, got, err)
			}
		}
		if a == b {
			t.Fatal("two secrets are the same")
		}
	})
	b64 := func(n int) string { return base64.StdEncoding.EncodeToString(make([]byte, n)) }
	cases := []struct {
		name, secret string
		wantLen      int // 0 for refused
	}{
		{"24 bytes", "whsec_" + b64(24), 24},
		{"64 bytes", "whsec_" + b64(64), 64},
		{"23 bytes", "whsec_" + b64(23), 0},
		{"65 bytes", "whsec_" + b64(65), 0},
		{"empty", "whsec_", 0},
		{"no prefix", b64(32), 0},
		{"other prefix", "whsk_" + b64(32), 0},
		{"prefix in capitals", "WHSEC_" + b64(32), 0},
		{"URL base64", "whsec_" + strings.Repeat("-_", 16), 0},
		{"unpadded", "whsec_" + strings.TrimRight(b64(32), "="), 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			key, err := DecodeSecret(c.secret)
			if c.wantLen == 0 {
				if err == nil {
					t.Fatalf("accepted, %d bytes", len(key))
				}
				if strings.Contains(err.Error(), strings.TrimPrefix(c.secret, "whsec_")) && c.secret != "whsec_" {
					t.Fatalf("error %q contains the secret", err)
				}
				return
			}
			if err != nil || len(key) != c.wantLen {
				t.Fatalf("got %d bytes, %v", len(key), err)
			}
		})
	}
}

func TestCheckURL(t *testing.T) {
	public := Policy{}
	withHTTP := Policy{AllowHTTP: true}
	private := Policy{AllowHTTP: true, AllowPrivate: true}
	long := "https://hooks.example.com/" + strings.Repeat("a", MaxURLLen-len("https://hooks.example.com/"))
	cases := []checkURLCase{
		{"https", public, "https://hooks.example.com/registry?x=1", "https://hooks.example.com/registry?x=1", "", false},
		{"https with port", public, "https://hooks.example.com:8443/", "https://hooks.example.com:8443/", "", false},
		{"normalised", public, "HTTPS://hooks.example.com/a b", "https://hooks.example.com/a%20b", "", false},
		{"public IPv4", public, "https://8.8.8.8/", "https://8.8.8.8/", "", false},
		{"public IPv6", public, "https://[2606:4700::1]/", "https://[2606:4700::1]/", "", false},
		{"exactly MaxURLLen", public, long, long, "", false},
		{"http refused", public, "http://hooks.example.com/", "", "must use https", false},
		{"http allowed", withHTTP, "http://hooks.example.com/", "http://hooks.example.com/", "", false},
		{"userinfo", public, "https://user:pw@hooks.example.com/", "", "user name or password", false},
		{"user only", public, "https://user@hooks.example.com/", "", "user name or password", false},
		{"fragment", public, "https://hooks.example.com/#x", "", "fragment", false},
		{"empty fragment", public, "https://hooks.example.com/#", "", "fragment", false},
		{"relative", public, "/hooks", "", "absolute", false},
		{"no scheme", public, "//hooks.example.com/", "", "absolute", false},
		{"a word", public, "hooks", "", "absolute", false},
		{"empty", public, "", "", "required", false},
		{"ftp", public, "ftp://hooks.example.com/", "", "must use https", false},
		{"ftp, http allowed", withHTTP, "ftp://hooks.example.com/", "", "must use https or http", false},
		{"javascript", private, "javascript:alert(1)", "", "must use https", false},
		{"opaque", public, "https:hooks.example.com", "", "host", false},
		{"empty host", public, "https:///hooks", "", "host", false},
		{"port only", public, "https://:443/", "", "host", false},
		{"port 0", public, "https://hooks.example.com:0/", "", "port", false},
		{"port too big", public, "https://hooks.example.com:65536/", "", "port", false},
		{"too long", public, long + "a", "", "2048", false},
		{"control character", public, "https://hooks.example.com/\n", "", "not a valid URL", false},
		{"abbreviated IPv4", private, "https://127.1/", "", "plain IP address", false},
		{"decimal IPv4", private, "https://2130706433/", "", "plain IP address", false},
		{"hex IPv4", private, "https://0x7f000001/", "", "plain IP address", false},
		{"IPv4 with a trailing dot", public, "https://8.8.8.8./", "", "plain IP address", false},
		{"numeric label inside a name", public, "https://1.hooks.example.com/", "https://1.hooks.example.com/", "", false},
		// One endpoint, one spelling (RFC 3986, 6.2.2.1 and 6.2.3).
		{"scheme and host in capitals", public, "HTTPS://HOOKS.Example.com/Same", "https://hooks.example.com/Same", "", false},
		{"default https port", public, "https://hooks.example.com:443/same", "https://hooks.example.com/same", "", false},
		{"default http port", withHTTP, "http://hooks.example.com:80/same", "http://hooks.example.com/same", "", false},
		{"other port kept", public, "https://hooks.example.com:8443/same", "https://hooks.example.com:8443/same", "", false},
		{"final dot", public, "https://hooks.example.com./same", "https://hooks.example.com/same", "", false},
		{"IPv6 with default port", private, "https://[::1]:443/x", "https://[::1]/x", "", false},
	}
	// Each private host: refused without AllowPrivate, allowed with it.
	for _, host := range []string{"127.0.0.1", "[::1]", "10.1.2.3", "169.254.169.254", "[::ffff:127.0.0.1]", "100.64.0.1",
		"192.168.0.1", "0.0.0.0", "[fd00::1]", "[fe80::1%25eth0]", "localhost", "LocalHost.", "api.localhost"} {
		raw := "https://" + host + "/hook"
		msg := "private address"
		switch {
		case strings.Contains(host, "%"):
			msg = "zone"
		case strings.Contains(strings.ToLower(host), "localhost"):
			msg = "localhost"
		}
		canonical := raw
		if host == "LocalHost." {
			canonical = "https://localhost/hook" // one spelling per host
		}
		cases = append(cases,
			checkURLCase{host + " refused", withHTTP, raw, "", msg, true},
			checkURLCase{host + " allowed", private, raw, canonical, "", false})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.p.CheckURL(c.raw)
			if c.want != "" {
				if err != nil || got != c.want {
					t.Fatalf("CheckURL = %q, %v; want %q", got, err, c.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted as %q", got)
			}
			if !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("error %q does not say %q", err, c.wantErr)
			}
			if errors.Is(err, ErrAddressRefused) != c.address {
				t.Fatalf("error %q: errors.Is(ErrAddressRefused) = %v", err, !c.address)
			}
			if len(err.Error()) > 60 {
				t.Fatalf("error %q is not short", err)
			}
		})
	}
}

// checkURLCase is a row of TestCheckURL: the URL's normalised form when
// it is accepted, else what the error says and whether it is a refusal of
// the address.
type checkURLCase struct {
	name    string
	p       Policy
	raw     string
	want    string
	wantErr string
	address bool
}

func TestIsPrivate(t *testing.T) {
	cases := []struct {
		addr    string
		private bool
	}{
		{"8.8.8.8", false},
		{"1.1.1.1", false},
		{"2606:4700::1", false},
		{"2001:4860:4860::8888", false},
		{"::ffff:8.8.8.8", false},
		{"64:ff9b::8.8.8.8", false},
		{"::8.8.8.8", false},
		{"172.32.0.1", false},
		{"100.128.0.1", false},
		{"127.0.0.1", true},
		{"127.255.255.254", true},
		{"::1", true},
		{"10.0.0.1", true},
		{"172.16.0.1", true},
		{"192.168.1.1", true},
		{"fc00::1", true},
		{"fd12:3456::1", true},
		{"169.254.169.254", true},
		{"fe80::1", true},
		{"fe80::1%eth0", true},
		{"224.0.0.1", true},
		{"239.255.255.250", true},
		{"ff02::1", true},
		{"ff01::1", true},
		{"ff0e::1", true},
		{"0.0.0.0", true},
		{"::", true},
		{"0.1.2.3", true},
		{"100.64.0.1", true},
		{"100.127.255.255", true},
		{"192.0.0.8", true},
		{"192.0.2.1", true},
		{"198.18.0.1", true},
		{"198.19.255.255", true},
		{"198.51.100.1", true},
		{"203.0.113.1", true},
		{"240.0.0.1", true},
		{"255.255.255.255", true},
		{"::ffff:127.0.0.1", true},
		{"::ffff:10.0.0.1", true},
		{"::ffff:169.254.169.254", true},
		{"::ffff:100.64.0.1", true},
		{"::ffff:240.0.0.1", true},
		{"::127.0.0.1", true},
		{"::10.0.0.1", true},
		{"64:ff9b::127.0.0.1", true},
		{"64:ff9b::a9fe:a9fe", true}, // 169.254.169.254
		{"64:ff9b:1::8.8.8.8", true},
		{"2001:db8::1", true},
		{"3fff::1", true},
		{"fec0::1", true},
		{"100::1", true},
	}
	for _, c := range cases {
		t.Run(c.addr, func(t *testing.T) {
			if got := IsPrivate(netip.MustParseAddr(c.addr)); got != c.private {
				t.Fatalf("IsPrivate = %v", got)
			}
		})
	}
	t.Run("invalid address", func(t *testing.T) {
		if !IsPrivate(netip.Addr{}) {
			t.Fatal("the zero Addr is not private")
		}
	})
}

// TestControl calls the connect-time check directly, as the dialer does
// after resolving a name, with the address it is about to connect to.
func TestControl(t *testing.T) {
	cases := []struct {
		network, address string
		refused          bool // without AllowPrivate; with it, only a bad network or address is
		malformed        bool
	}{
		{"tcp4", "127.0.0.1:80", true, false},
		{"tcp6", "[::1]:443", true, false},
		{"tcp4", "10.0.0.1:443", true, false},
		{"tcp4", "169.254.169.254:80", true, false},
		{"tcp6", "[::ffff:127.0.0.1]:443", true, false},
		{"tcp6", "[fe80::1%eth0]:443", true, false},
		{"tcp4", "8.8.8.8:443", false, false},
		{"tcp6", "[2606:4700::1]:443", false, false},
		{"tcp", "8.8.8.8:443", false, false},
		{"udp4", "8.8.8.8:53", true, true},
		{"tcp4", "localhost:80", true, true},
		{"tcp4", "8.8.8.8", true, true},
	}
	for _, c := range cases {
		t.Run(c.network+" "+c.address, func(t *testing.T) {
			err := Policy{}.control(c.network, c.address, nil)
			if (err != nil) != c.refused {
				t.Fatalf("control = %v", err)
			}
			if err != nil && !errors.Is(err, ErrAddressRefused) {
				t.Fatalf("error %q does not wrap ErrAddressRefused", err)
			}
			err = Policy{AllowPrivate: true}.control(c.network, c.address, nil)
			if (err != nil) != c.malformed {
				t.Fatalf("with AllowPrivate, control = %v", err)
			}
		})
	}
	t.Run("the sender's dialer uses it", func(t *testing.T) {
		tr := NewSender(Policy{}, 0).client.Transport.(*http.Transport)
		if tr.Proxy != nil {
			t.Fatal("the transport has a proxy")
		}
		if _, err := tr.DialContext(t.Context(), "tcp", "127.0.0.1:9"); !errors.Is(err, ErrAddressRefused) {
			t.Fatalf("dialling 127.0.0.1 = %v", err)
		}
	})
}

// receiver is an httptest server that records what it is sent, checking
// each delivery's signature both with Verify and independently.
type receiver struct {
	srv    *httptest.Server
	secret string
	status int
	answer string
	delay  bool // wait until the request is given up

	mu   sync.Mutex
	hits []delivery
}

type delivery struct {
	h         http.Header
	body      []byte
	verifyErr error
	signedOK  bool
}

func newReceiver(t *testing.T, secret string, status int, answer string) *receiver {
	r := &receiver{secret: secret, status: status, answer: answer}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		d := delivery{h: req.Header.Clone(), body: body}
		d.verifyErr = Verify(r.secret, req.Header, body, time.Now(), time.Minute)
		if unix, err := strconv.ParseInt(req.Header.Get("Webhook-Timestamp"), 10, 64); err == nil {
			want := independentSign(t, r.secret, req.Header.Get("Webhook-Id"), unix, body)
			for _, s := range strings.Fields(req.Header.Get("Webhook-Signature")) {
				d.signedOK = d.signedOK || s == want
			}
		}
		r.mu.Lock()
		r.hits = append(r.hits, d)
		r.mu.Unlock()
		if r.delay {
			select {
			case <-req.Context().Done():
			case <-time.After(10 * time.Second):
			}
			return
		}
		if r.status == http.StatusFound {
			w.Header().Set("Location", r.answer)
			w.WriteHeader(r.status)
			return
		}
		w.WriteHeader(r.status)
		io.WriteString(w, r.answer)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.hits...)
}

var loopback = Policy{AllowHTTP: true, AllowPrivate: true}

func TestSend(t *testing.T) {
	secret := NewSecret()
	const marker = "RESPONSE-BODY-MARKER"
	target := newReceiver(t, secret, http.StatusOK, "")
	cases := []struct {
		name       string
		status     int
		answer     string
		wantStatus int
		wantErr    string // "" for success
	}{
		{"200", http.StatusOK, "ok", 200, ""},
		{"204", http.StatusNoContent, "", 204, ""},
		{"202 with a large answer", http.StatusAccepted, strings.Repeat("x", 1<<20), 202, ""},
		{"500", http.StatusInternalServerError, marker, 500, "500"},
		{"410", http.StatusGone, marker, 410, "410"},
		{"302", http.StatusFound, target.srv.URL + "/" + marker, 302, "302"},
		{"300", http.StatusMultipleChoices, marker, 300, "300"},
	}
	sender := NewSender(loopback, 5*time.Second)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newReceiver(t, secret, c.status, c.answer)
			at := time.Now().Truncate(time.Second)
			body := []byte(`{"case":"` + c.name + `"}`)
			status, err := sender.Send(t.Context(), Message{URL: r.srv.URL + "/hook?x=1", ID: "msg_" + strconv.Itoa(c.status), Secret: secret, Timestamp: at, Body: body})
			if status != c.wantStatus {
				t.Fatalf("status %d, want %d (error %v)", status, c.wantStatus, err)
			}
			switch {
			case c.wantErr == "" && err != nil:
				t.Fatalf("error %v", err)
			case c.wantErr != "" && err == nil:
				t.Fatal("no error")
			case c.wantErr != "" && !strings.Contains(err.Error(), c.wantErr):
				t.Fatalf("error %q does not name the status", err)
			case err != nil && strings.Contains(err.Error(), marker):
				t.Fatalf("error %q contains the response body", err)
			}
			ds := r.deliveries()
			if len(ds) != 1 {
				t.Fatalf("%d deliveries", len(ds))
			}
			d := ds[0]
			if d.verifyErr != nil || !d.signedOK {
				t.Fatalf("Verify: %v; independent signature matches: %v", d.verifyErr, d.signedOK)
			}
			for k, want := range map[string]string{
				"Content-Type":   "application/json",
				"User-Agent":     "hangzhou-ai-registry-webhooks/1",
				HeaderID:         "msg_" + strconv.Itoa(c.status),
				HeaderTimestamp:  strconv.FormatInt(at.Unix(), 10),
				"Content-Length": strconv.Itoa(len(body)),
			} {
				if got := d.h.Get(k); got != want {
					t.Errorf("%s: %q, want %q", k, got, want)
				}
			}
			if string(d.body) != string(body) {
				t.Errorf("body %q", d.body)
			}
		})
	}
	if n := len(target.deliveries()); n != 0 {
		t.Fatalf("the redirect was followed: its target got %d requests", n)
	}
}

func TestSendRefuses(t *testing.T) {
	secret := NewSecret()
	r := newReceiver(t, secret, http.StatusOK, "")
	port := r.srv.URL[strings.LastIndex(r.srv.URL, ":")+1:]
	msg := func(u string) Message {
		return Message{URL: u, ID: "msg_1", Secret: secret, Timestamp: time.Now(), Body: []byte("{}")}
	}
	cases := []struct {
		name    string
		s       *Sender
		m       Message
		wantErr string
		address bool // errors.Is(err, ErrAddressRefused)
		dial    bool // refused when connecting: a *net.OpError is in the chain
	}{
		// The URL check alone refuses these: a literal loopback address
		// and a localhost name.
		{"loopback URL", NewSender(Policy{AllowHTTP: true}, time.Second), msg(r.srv.URL + "/"), "private address", true, false},
		{"localhost URL", NewSender(Policy{AllowHTTP: true}, time.Second), msg("http://localhost:" + port + "/"), "localhost", true, false},
		// These URLs pass the URL policy; the connect-time check, after
		// DNS, refuses what they lead to.
		{"loopback at connect time", newSender(loopback, Policy{AllowHTTP: true}, time.Second), msg(r.srv.URL + "/"), "127.0.0.1 is a private address", true, true},
		{"localhost resolved at connect time", newSender(loopback, Policy{AllowHTTP: true}, time.Second), msg("http://localhost:" + port + "/"), "is a private address", true, true},
		// Other refusals before sending.
		{"http without AllowHTTP", NewSender(Policy{AllowPrivate: true}, time.Second), msg(r.srv.URL + "/"), "must use https", false, false},
		{"bad secret", NewSender(loopback, time.Second), Message{URL: r.srv.URL, ID: "msg_1", Secret: "hunter2", Body: []byte("{}")}, "whsec_", false, false},
		{"empty id", NewSender(loopback, time.Second), Message{URL: r.srv.URL, Secret: secret, Body: []byte("{}")}, "id", false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, err := c.s.Send(t.Context(), c.m)
			if err == nil || status != 0 {
				t.Fatalf("Send = %d, %v", status, err)
			}
			if !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("error %q does not say %q", err, c.wantErr)
			}
			if errors.Is(err, ErrAddressRefused) != c.address {
				t.Fatalf("error %q: errors.Is(ErrAddressRefused) = %v", err, !c.address)
			}
			_, dialled := errors.AsType[*net.OpError](err)
			if dialled != c.dial {
				t.Fatalf("error %q: refused when connecting = %v", err, dialled)
			}
			if strings.Contains(err.Error(), strings.TrimPrefix(secret, "whsec_")) {
				t.Fatalf("error %q contains the secret", err)
			}
		})
	}
	if n := len(r.deliveries()); n != 0 {
		t.Fatalf("the receiver got %d requests", n)
	}
	t.Run("the same sender allowing private addresses delivers", func(t *testing.T) {
		if status, err := newSender(loopback, loopback, time.Second).Send(t.Context(), msg(r.srv.URL+"/")); err != nil || status != 200 {
			t.Fatalf("Send = %d, %v", status, err)
		}
	})
}

func TestSendTimeout(t *testing.T) {
	secret := NewSecret()
	r := newReceiver(t, secret, http.StatusOK, "")
	r.delay = true
	status, err := NewSender(loopback, 200*time.Millisecond).Send(t.Context(), Message{URL: r.srv.URL, ID: "msg_1", Secret: secret, Timestamp: time.Now(), Body: []byte("{}")})
	if err == nil || status != 0 {
		t.Fatalf("Send = %d, %v", status, err)
	}
	if _, isURLErr := errors.AsType[*url.Error](err); isURLErr {
		t.Fatalf("error %q repeats the method and URL", err)
	}
	t.Run("a cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		status, err := NewSender(loopback, 0).Send(ctx, Message{URL: r.srv.URL, ID: "msg_2", Secret: secret, Timestamp: time.Now(), Body: []byte("{}")})
		if !errors.Is(err, context.Canceled) || status != 0 {
			t.Fatalf("Send = %d, %v", status, err)
		}
	})
}

// TestSendConcurrent: one Sender used by many goroutines at once (run
// with -race) delivers each message once.
func TestSendConcurrent(t *testing.T) {
	secret := NewSecret()
	r := newReceiver(t, secret, http.StatusOK, "")
	s := NewSender(loopback, 5*time.Second)
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = s.Send(t.Context(), Message{URL: r.srv.URL, ID: "msg_" + strconv.Itoa(i), Secret: secret, Timestamp: time.Now(), Body: []byte("{}")})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	seen := map[string]bool{}
	for _, d := range r.deliveries() {
		seen[d.h.Get(HeaderID)] = true
	}
	if len(seen) != len(errs) {
		t.Fatalf("%d distinct deliveries, want %d", len(seen), len(errs))
	}
}

// TestSendReadsLittle: Send reads no more than 64 KiB of an answer, so a
// receiver that says 200 and then never finishes its body does not hold
// the delivery until its timeout.
func TestSendReadsLittle(t *testing.T) {
	secret := NewSecret()
	release := make(chan struct{})
	var mu sync.Mutex
	waitedOut := false // the handler gave up waiting for Send to return
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.Write(make([]byte, 64<<10+1))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-time.After(10 * time.Second):
			mu.Lock()
			waitedOut = true
			mu.Unlock()
		}
	}))
	defer srv.Close()
	status, err := NewSender(loopback, time.Minute).Send(t.Context(), Message{URL: srv.URL, ID: "msg_1", Secret: secret, Timestamp: time.Now(), Body: []byte("{}")})
	close(release)
	mu.Lock()
	defer mu.Unlock()
	if waitedOut {
		t.Fatal("Send read the answer until the receiver gave up")
	}
	if err != nil || status != 200 {
		t.Fatalf("Send = %d, %v", status, err)
	}
}
