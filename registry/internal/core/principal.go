package core

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ident"
	"github.com/hangzhou-ai/registry/registry/catalog"
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

// Key identifies the principal, subject included, for limits kept per
// caller (the API's and the console's share one budget per principal).
func (p Principal) Key() string { return p.Subject + "\x00" + p.Org + "\x00" + p.Role }

// OrgCode returns the code after "kind:" when the organisation is of that kind.
func (p Principal) OrgCode(kind string) (string, bool) {
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

func PrincipalOf(ctx context.Context) (Principal, error) {
	p, ok := PrincipalFrom(ctx)
	if !ok || p.Subject == "" {
		return Principal{}, NewError(KindUnauthenticated, "no principal")
	}
	return p, nil
}

// ParkOrg is the organisation of a park's staff.
func ParkOrg(code string) string { return "park:" + code }

// rolesByOrgKind lists the roles an organisation of each kind can hold.
var rolesByOrgKind = map[string][]string{
	"bureau":     {authz.RoleIssuer, authz.RoleViewer},
	"enterprise": {authz.RoleMember, authz.RoleTalentAssessor},
	"park":       {authz.RoleOperator, authz.RoleViewer},
	"auditor":    {authz.RoleAuditor},
	"admin":      {authz.RoleAdmin},
}

// ValidatePrincipal checks that org names a known kind of organisation and
// that role is one that kind can hold.
func ValidatePrincipal(v *Violations, orgField, roleField, org, role string) {
	kind, code, _ := strings.Cut(org, ":")
	roles, known := rolesByOrgKind[kind]
	switch {
	case !known:
		v.Add(orgField, "must be bureau:<code>, enterprise:<credit code>, park:<code>, auditor or admin")
		return
	case kind == "bureau":
		if _, ok := catalog.BureausByCode[code]; !ok {
			v.Add(orgField, fmt.Sprintf("unknown bureau %q", code))
		}
	case kind == "enterprise":
		if err := ident.ValidateCreditCode(code); err != nil {
			v.Add(orgField, "is not enterprise:<valid credit code>: "+err.Error())
		}
	case kind == "park":
		if !CodePattern.MatchString(code) {
			v.Add(orgField, "must be park:<code> with a registered park's code")
		}
	case code != "":
		v.Add(orgField, fmt.Sprintf("must be just %q", kind))
	}
	if !slices.Contains(roles, role) {
		v.Add(roleField, fmt.Sprintf("must be one of %s for %s", strings.Join(roles, ", "), kind))
	}
}

// AllRoles lists every role a token can carry, in a fixed order.
func AllRoles() []string {
	var roles []string
	for _, kind := range []string{"bureau", "enterprise", "park", "auditor", "admin"} {
		for _, role := range rolesByOrgKind[kind] {
			if !slices.Contains(roles, role) {
				roles = append(roles, role)
			}
		}
	}
	return roles
}
