package registry

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
)

// ListDesignationTypes returns the designation types with the bureaus the
// current policy lets grant each. Any authenticated principal may read them.
func (r *Registry) ListDesignationTypes(ctx context.Context) ([]DesignationType, error) {
	if _, err := principalOf(ctx); err != nil {
		return nil, err
	}
	out := make([]DesignationType, len(DesignationTypes))
	for i, t := range DesignationTypes {
		t.GrantingBureaus = nil
		for _, rule := range r.authz.Rules(authz.RoleIssuer, "", authz.DesignationObject(t.Code), authz.ActGrant) {
			if code, ok := strings.CutPrefix(rule[1], "bureau:"); ok && !slices.Contains(t.GrantingBureaus, code) {
				t.GrantingBureaus = append(t.GrantingBureaus, code)
			}
		}
		out[i] = t
	}
	return out, nil
}

// GrantRule is one line of the grant policy.
type GrantRule struct {
	DesignationType string
	Bureau          string
	Role            string
	Action          string
	Rule            string
}

// ListGrantRules lists which bureau may take which action on which
// designation type; empty filters match everything.
func (r *Registry) ListGrantRules(ctx context.Context, typeCode, bureau string) ([]GrantRule, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.authorize(p, authz.ObjPolicy, authz.ActRead); err != nil {
		return nil, err
	}
	v := &violations{}
	object, org := "", ""
	if t, ok := designationType(v, "designation_type", typeCode, false); ok {
		object = authz.DesignationObject(t.Code)
	}
	if bureau != "" {
		if _, ok := bureausByCode[bureau]; !ok {
			v.add("bureau", fmt.Sprintf("unknown bureau %q", bureau))
		}
		org = authz.BureauOrg(bureau)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	var out []GrantRule
	for _, line := range r.authz.Rules("", org, object) {
		typ, isDesignation := strings.CutPrefix(line[2], "designation:")
		code, isBureau := strings.CutPrefix(line[1], "bureau:")
		if !isDesignation || !isBureau || typ == "*" || code == "*" {
			continue
		}
		out = append(out, GrantRule{DesignationType: typ, Bureau: code, Role: line[0], Action: line[3], Rule: "p, " + strings.Join(line, ", ")})
	}
	return out, nil
}

// PermissionQuery asks whether a principal may take an action.
type PermissionQuery struct {
	// Subject is role@organisation; empty means the caller.
	Subject         string
	Action          string
	DesignationType string
	// Resource is a designation id or enterprise:<credit code>.
	Resource string
}

// PermissionAnswer is the decision and the rule behind it.
type PermissionAnswer struct {
	Allowed bool
	Rule    string
	Subject string
}

// CheckPermission explains a decision. Anyone may ask about themselves;
// asking about another principal needs the right to read the policy.
func (r *Registry) CheckPermission(ctx context.Context, q PermissionQuery) (PermissionAnswer, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return PermissionAnswer{}, err
	}
	who := p
	v := &violations{}
	if q.Subject != "" {
		role, org, ok := strings.Cut(q.Subject, "@")
		if !ok {
			v.add("subject", "must be role@organisation, e.g. issuer@bureau:economy-it")
		} else {
			validatePrincipal(v, "subject", "subject", org, role)
			who = Principal{Subject: q.Subject, Org: org, Role: role}
		}
	}
	action := cleanText(v, "action", q.Action, 50, true)
	object := ""
	if t, ok := designationType(v, "designation_type", q.DesignationType, false); ok {
		object = authz.DesignationObject(t.Code)
	}
	var owners []string
	if code, ok := strings.CutPrefix(q.Resource, "enterprise:"); ok {
		owners = []string{authz.EnterpriseOrg(creditCode(v, "resource", code, true))}
		if object == "" {
			object = authz.ObjEnterprise
		}
	}
	if object == "" && q.Resource == "" {
		v.add("designation_type", "give designation_type or resource")
	}
	if q.Resource != "" && owners == nil {
		checkID(v, "resource", q.Resource, true)
	}
	if err := v.err(); err != nil {
		return PermissionAnswer{}, err
	}
	mayReadPolicy := r.authorize(p, authz.ObjPolicy, authz.ActRead) == nil
	if who != p && !mayReadPolicy {
		return PermissionAnswer{}, permissionDenied("%s may ask only about itself", p)
	}
	if q.Resource != "" && owners == nil {
		var d *ent.Designation
		if mayReadPolicy {
			d, err = loadDesignation(ctx, r.db, q.Resource)
		} else {
			d, err = r.loadDesignationFor(ctx, r.db, p, q.Resource)
		}
		if err != nil {
			return PermissionAnswer{}, err
		}
		owners = designationOwners(d)
		object = authz.DesignationObject(d.Type)
		// Without the right to read the policy, a caller learns about a
		// designation only if it may read it.
		if !mayReadPolicy {
			if err := r.authorize(p, object, authz.ActRead, owners...); err != nil {
				return PermissionAnswer{}, err
			}
		}
	}
	d, err := r.decide(who, object, action, owners...)
	if err != nil {
		return PermissionAnswer{}, err
	}
	return PermissionAnswer{Allowed: d.Allowed, Rule: d.Rule, Subject: who.String()}, nil
}
