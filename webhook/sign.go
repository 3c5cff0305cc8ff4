package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SecretPrefix begins every signing secret.
const SecretPrefix = "whsec_"

// The length in bytes a secret's key may have, and the length NewSecret
// makes.
const (
	minKeyLen = 24
	maxKeyLen = 64
	newKeyLen = 32
)

// The headers a delivery carries, as Standard Webhooks names them.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// DefaultTolerance is how far a delivery's timestamp may be from now when
// Verify is given no tolerance.
const DefaultTolerance = 5 * time.Minute

// NewSecret returns a new signing secret: SecretPrefix followed by the
// standard base64 encoding of 32 random bytes.
func NewSecret() string {
	key := make([]byte, newKeyLen)
	rand.Read(key) // never returns an error; crashes the program if it could not read
	return SecretPrefix + base64.StdEncoding.EncodeToString(key)
}

// DecodeSecret returns the key of a signing secret. It fails for a secret
// without SecretPrefix, whose rest is not standard base64, or whose key
// is shorter than 24 or longer than 64 bytes. The error never contains
// the secret.
func DecodeSecret(secret string) ([]byte, error) {
	rest, ok := strings.CutPrefix(secret, SecretPrefix)
	if !ok {
		return nil, fmt.Errorf("webhook secret does not begin with %q", SecretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		return nil, errors.New("webhook secret is not base64")
	}
	if len(key) < minKeyLen || len(key) > maxKeyLen {
		return nil, fmt.Errorf("webhook secret's key is %d bytes, not %d to %d", len(key), minKeyLen, maxKeyLen)
	}
	return key, nil
}

// Sign returns the webhook-signature value of a delivery: "v1," followed
// by the standard base64 of HMAC-SHA256, keyed with the secret's key, of
// id, ".", the timestamp in decimal Unix seconds, "." and the body. It
// fails for a secret DecodeSecret refuses and for an empty id.
func Sign(secret, id string, timestamp time.Time, body []byte) (string, error) {
	key, err := DecodeSecret(secret)
	if err != nil {
		return "", err
	}
	if id == "" {
		return "", errors.New("webhook id is empty")
	}
	return "v1," + base64.StdEncoding.EncodeToString(mac(key, id, timestamp.Unix(), body)), nil
}

// mac is the HMAC-SHA256 of the signed content "id.unix.body".
func mac(key []byte, id string, unix int64, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(id))
	h.Write([]byte{'.'})
	h.Write(strconv.AppendInt(nil, unix, 10))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a delivery as its receiver would: the three headers are
// present, the timestamp (decimal Unix seconds) is within tolerance of
// now either way (DefaultTolerance when tolerance is not positive), and
// one of the space-separated signatures in webhook-signature is a "v1,"
// signature equal, compared in constant time, to the one Sign would make
// from the secret, the id and timestamp headers, and body. Signatures of
// other versions are ignored. It returns nil only if every check passes;
// an error says which one failed.
func Verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	key, err := DecodeSecret(secret)
	if err != nil {
		return err
	}
	id, ts, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	for _, hv := range []struct{ name, value string }{{HeaderID, id}, {HeaderTimestamp, ts}, {HeaderSignature, sigs}} {
		if hv.value == "" {
			return fmt.Errorf("webhook: %s header missing", hv.name)
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook: %s header is not Unix seconds", HeaderTimestamp)
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	// Time.Sub saturates, so a timestamp however far off is refused.
	if at := time.Unix(unix, 0); now.Sub(at) > tolerance || at.Sub(now) > tolerance {
		return fmt.Errorf("webhook: %s header is not within %v of now", HeaderTimestamp, tolerance)
	}
	want := mac(key, id, unix, body)
	for _, sig := range strings.Fields(sigs) {
		enc, ok := strings.CutPrefix(sig, "v1,")
		if !ok {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			continue
		}
		if hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("webhook: no signature matches")
}
