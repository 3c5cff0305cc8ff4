package registry

import (
	"context"
	"strings"
)

// Principal is who acts: a subject (a person or system account) acting for
// an organisation (bureau:<code>, enterprise:<credit code>, park:<code>,
// auditor or admin) in a role.
type Principal struct {
	Subject string
	Org     string
	Role    string
}

// String renders the principal as role@organisation.
func (p Principal) String() string { return p.Role + "@" + p.Org }

// orgCode returns the code after "kind:" when the organisation is of that kind.
func (p Principal) orgCode(kind string) (string, bool) {
	return strings.CutPrefix(p.Org, kind+":")
}

type principalKey struct{}

// WithPrincipal returns a context carrying p as the acting principal.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the acting principal stored by WithPrincipal.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

func principalOf(ctx context.Context) (Principal, error) {
	p, ok := PrincipalFrom(ctx)
	if !ok || p.Subject == "" {
		return Principal{}, newError(KindUnauthenticated, "no principal")
	}
	return p, nil
}
