package designation

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/registry/catalog"
	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// ListDesignationTypes returns the designation types with the bureaus the
// current policy lets grant each. Any authenticated principal may read them.
func (r *Designations) ListDesignationTypes(ctx context.Context) ([]catalog.DesignationType, error) {
	if _, err := core.PrincipalOf(ctx); err != nil {
		return nil, err
	}
	out := make([]catalog.DesignationType, len(catalog.DesignationTypes))
	for i, t := range catalog.DesignationTypes {
		t.GrantingBureaus = nil
		for _, rule := range r.Authz.Rules(authz.RoleIssuer, "", authz.DesignationObject(t.Code), authz.ActGrant) {
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
func (r *Designations) ListGrantRules(ctx context.Context, typeCode, bureau string) ([]GrantRule, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.Authorize(p, authz.ObjPolicy, authz.ActRead); err != nil {
		return nil, err
	}
	v := &core.Violations{}
	object, org := "", ""
	if t, ok := DesignationType(v, "designation_type", typeCode, false); ok {
		object = authz.DesignationObject(t.Code)
	}
	if bureau != "" {
		if _, ok := catalog.BureausByCode[bureau]; !ok {
			v.Add("bureau", fmt.Sprintf("unknown bureau %q", bureau))
		}
		org = authz.BureauOrg(bureau)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out []GrantRule
	for _, line := range r.Authz.Rules("", org, object) {
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
func (r *Designations) CheckPermission(ctx context.Context, q PermissionQuery) (PermissionAnswer, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return PermissionAnswer{}, err
	}
	who := p
	v := &core.Violations{}
	if q.Subject != "" {
		role, org, ok := strings.Cut(q.Subject, "@")
		if !ok {
			v.Add("subject", "must be role@organisation, e.g. issuer@bureau:economy-it")
		} else {
			core.ValidatePrincipal(v, "subject", "subject", org, role)
			who = core.Principal{Subject: q.Subject, Org: org, Role: role}
		}
	}
	action := core.CleanText(v, "action", q.Action, 50, true)
	object := ""
	if t, ok := DesignationType(v, "designation_type", q.DesignationType, false); ok {
		object = authz.DesignationObject(t.Code)
	}
	var owners []string
	if code, ok := strings.CutPrefix(q.Resource, "enterprise:"); ok {
		owners = []string{authz.EnterpriseOrg(core.CreditCode(v, "resource", code, true))}
		if object == "" {
			object = authz.ObjEnterprise
		}
	}
	if object == "" && q.Resource == "" {
		v.Add("designation_type", "give designation_type or resource")
	}
	if q.Resource != "" && owners == nil {
		core.CheckID(v, "resource", q.Resource, true)
	}
	if err := v.Err(); err != nil {
		return PermissionAnswer{}, err
	}
	mayReadPolicy := r.Authorize(p, authz.ObjPolicy, authz.ActRead) == nil
	if who != p && !mayReadPolicy {
		return PermissionAnswer{}, core.PermissionDenied("%s may ask only about itself", p)
	}
	if q.Resource != "" && owners == nil {
		var d *ent.Designation
		if mayReadPolicy {
			d, err = LoadDesignation(ctx, r.DB, q.Resource)
		} else {
			d, err = r.LoadDesignationFor(ctx, r.DB, p, q.Resource)
		}
		if err != nil {
			return PermissionAnswer{}, err
		}
		owners = DesignationOwners(d)
		object = authz.DesignationObject(d.Type)
		// Without the right to read the policy, a caller learns about a
		// designation only if it may read it.
		if !mayReadPolicy {
			if err := r.Authorize(p, object, authz.ActRead, owners...); err != nil {
				return PermissionAnswer{}, err
			}
		}
	}
	d, err := r.Decide(who, object, action, owners...)
	if err != nil {
		return PermissionAnswer{}, err
	}
	return PermissionAnswer{Allowed: d.Allowed, Rule: d.Rule, Subject: who.String()}, nil
}
