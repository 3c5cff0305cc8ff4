package webhook

import (
	"errors"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// MaxURLLen is the longest subscription URL CheckURL accepts, in bytes,
// as given and as normalised.
const MaxURLLen = 2048

// ErrAddressRefused is wrapped by the errors of a refusal of where a
// delivery would go: by Send when the address it is about to connect to,
// after DNS, is private and the policy does not allow it, and by CheckURL
// (so by Send, which checks the URL first) when the URL's host is a
// private IP address or a localhost name.
var ErrAddressRefused = errors.New("address refused")

// Policy is where deliveries may go. The zero Policy allows https to
// public addresses only; AllowHTTP allows plain http too, and
// AllowPrivate allows private addresses (see IsPrivate) and localhost
// names, for tests and receivers on a private network.
type Policy struct{ AllowHTTP, AllowPrivate bool }

// urlError is a refusal of CheckURL: a short message meant for the caller,
// and whether it is a refusal of the address (which then unwraps to
// ErrAddressRefused).
type urlError struct {
	msg     string
	address bool
}

func (e *urlError) Error() string { return e.msg }

func (e *urlError) Unwrap() error {
	if e.address {
		return ErrAddressRefused
	}
	return nil
}

func refuse(msg string) error        { return &urlError{msg: msg} }
func refuseAddress(msg string) error { return &urlError{msg: msg, address: true} }

// CheckURL validates a subscription URL and returns it normalised, as
// url.Parse and URL.String make it. It refuses a URL that is longer than
// MaxURLLen, not absolute, of a scheme other than https (http too with
// AllowHTTP), with user information, with a fragment (even an empty one),
// with no host, with a port outside 1 to 65535, or whose host is a number
// that is not a plain IP address (such as "127.1" or "0x7f000001", which
// some resolvers read as addresses). Unless AllowPrivate, it refuses a
// host that is an IP address IsPrivate reports, or one with an IPv6 zone,
// and the names "localhost" and "*.localhost"; these errors wrap
// ErrAddressRefused. Any other name is allowed here: what it resolves to
// is checked when Send connects. The errors are short English predicates
// of the URL ("must use https"), suitable to show to the caller.
func (p Policy) CheckURL(raw string) (string, error) {
	if raw == "" {
		return "", refuse("is required")
	}
	if len(raw) > MaxURLLen {
		return "", refuse("must be at most " + strconv.Itoa(MaxURLLen) + " bytes long")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", refuse("is not a valid URL")
	}
	if !u.IsAbs() {
		return "", refuse("must be an absolute URL")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !p.AllowHTTP {
			return "", refuse("must use https")
		}
	default:
		if p.AllowHTTP {
			return "", refuse("must use https or http")
		}
		return "", refuse("must use https")
	}
	if u.Opaque != "" {
		return "", refuse("must have a host")
	}
	if u.User != nil {
		return "", refuse("must not contain a user name or password")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return "", refuse("must not contain a fragment")
	}
	host := u.Hostname()
	if host == "" {
		return "", refuse("must have a host")
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "", refuse("must have a port from 1 to 65535")
		}
	}
	if err := p.checkHost(host); err != nil {
		return "", err
	}
	u.Host = canonicalHost(u.Scheme, host, u.Port())
	out := u.String()
	if len(out) > MaxURLLen {
		return "", refuse("must be at most " + strconv.Itoa(MaxURLLen) + " bytes long")
	}
	return out, nil
}

// canonicalHost is the one spelling of a URL's host and port (RFC 3986,
// 6.2.2.1 and 6.2.3): the name in lower case without a final dot, and no
// port when it is the scheme's default; so one endpoint is one URL, however
// it was written.
func canonicalHost(scheme, host, port string) string {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return host
}

// checkHost checks a URL's host name (without brackets or port).
func (p Policy) checkHost(host string) error {
	if a, err := netip.ParseAddr(host); err == nil {
		if p.AllowPrivate {
			return nil
		}
		if a.Zone() != "" {
			return refuseAddress("must not have an IPv6 zone")
		}
		if IsPrivate(a) {
			return refuseAddress("must not be a private address")
		}
		return nil
	}
	name := strings.TrimSuffix(strings.ToLower(host), ".")
	labels := strings.Split(name, ".")
	if numeric(labels[len(labels)-1]) {
		// A name whose last label is a number is an IPv4 address to the
		// WHATWG URL standard and to some resolvers, and no top-level
		// domain is a number.
		return refuse("must be a host name or a plain IP address")
	}
	if !p.AllowPrivate && (name == "localhost" || strings.HasSuffix(name, ".localhost")) {
		return refuseAddress("must not be a localhost name")
	}
	return nil
}

// numeric reports whether a label is a decimal number or a "0x" hex one.
func numeric(label string) bool {
	digits := "0123456789"
	if rest, ok := strings.CutPrefix(label, "0x"); ok {
		label, digits = rest, "0123456789abcdef"
		if label == "" {
			return true // "0x" alone is zero to inet_aton
		}
	}
	return label != "" && strings.Trim(label, digits) == ""
}

// Prefixes IsPrivate reports beyond what netip.Addr's own predicates do.
var (
	privateV4 = []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
		netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
		netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
		netip.MustParsePrefix("192.0.2.0/24"),    // documentation
		netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
		netip.MustParsePrefix("198.51.100.0/24"), // documentation
		netip.MustParsePrefix("203.0.113.0/24"),  // documentation
		netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and the broadcast address
	}
	privateV6 = []netip.Prefix{
		netip.MustParsePrefix("2001:db8::/32"),  // documentation
		netip.MustParsePrefix("fec0::/10"),      // site-local, deprecated
		netip.MustParsePrefix("100::/64"),       // discard-only
		netip.MustParsePrefix("64:ff9b:1::/48"), // NAT64 for local use
		netip.MustParsePrefix("3fff::/20"),      // documentation
	}
	nat64          = netip.MustParsePrefix("64:ff9b::/96")
	ipv4Compatible = netip.MustParsePrefix("::/96")
)

// IsPrivate reports whether a delivery to a is refused unless the policy
// allows private addresses: an invalid address; loopback; private
// (RFC 1918, and unique local fc00::/7); link-local unicast and
// multicast; interface-local multicast; unspecified; multicast;
// 0.0.0.0/8, 100.64.0.0/10 (CGNAT), 192.0.0.0/24, 198.18.0.0/15,
// 240.0.0.0/4 with the broadcast address, and the IPv4 documentation
// ranges; 2001:db8::/32 and 3fff::/20 (documentation), fec0::/10
// (site-local), 100::/64 (discard) and 64:ff9b:1::/48 (local NAT64); and
// an IPv4-mapped (::ffff:0:0/96) or IPv4-compatible (::/96) address, or a
// well-known NAT64 one (64:ff9b::/96), whose embedded IPv4 address is any
// of those. A zone is ignored.
func IsPrivate(a netip.Addr) bool {
	if !a.IsValid() {
		return true
	}
	a = a.WithZone("").Unmap()
	if a.Is6() && (nat64.Contains(a) || ipv4Compatible.Contains(a)) {
		b := a.As16()
		// ::/96 holds :: and ::1 too, which embed 0.0.0.0 and 0.0.0.1,
		// both in 0.0.0.0/8.
		a = netip.AddrFrom4([4]byte(b[12:]))
	}
	if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsUnspecified() || a.IsMulticast() {
		return true
	}
	ranges := privateV6
	if a.Is4() {
		ranges = privateV4
	}
	for _, p := range ranges {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
