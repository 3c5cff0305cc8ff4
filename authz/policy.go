package authz

import "slices"

// Roles a principal can hold.
const (
	RoleIssuer   = "issuer"   // bureau staff who record designations
	RoleViewer   = "viewer"   // bureau or park staff who only read
	RoleMember   = "member"   // an enterprise's own staff
	RoleOperator = "operator" // a park operator
	RoleAuditor  = "auditor"
	RoleAdmin    = "admin"
)

// Actions on designations and other objects.
const (
	ActGrant     = "grant"
	ActSuspend   = "suspend"
	ActReinstate = "reinstate"
	ActRenew     = "renew"
	ActRevoke    = "revoke"
	ActRead      = "read"
	ActRegister  = "register"
	ActManage    = "manage"
)

// LifecycleActions are the actions a granting bureau takes on designations
// it granted.
var LifecycleActions = []string{ActSuspend, ActReinstate, ActRenew, ActRevoke}

// Objects that are not designations.
const (
	ObjEnterprise = "enterprise"
	ObjTalent     = "talent"
	ObjAudit      = "audit"
	ObjPolicy     = "policy"
	ObjToken      = "token"
)

// DesignationObject is the policy object for designations of type code.
func DesignationObject(code string) string { return "designation:" + code }

// BureauOrg is the organisation of a bureau's staff.
func BureauOrg(code string) string { return "bureau:" + code }

// EnterpriseOrg is the organisation of an enterprise's staff.
func EnterpriseOrg(creditCode string) string { return "enterprise:" + creditCode }

// Organisations without a code.
const (
	OrgAuditor = "auditor"
	OrgAdmin   = "admin"
)

func p(role, org, obj, act, scope string) Rule {
	return Rule{Type: "p", Values: []string{role, org, obj, act, scope}}
}

// DefaultPolicy returns the default rules: for every designation type, the
// bureaus in grants (type code -> bureau codes) may grant it and act on
// designations they granted; bureau staff read the registry and register
// enterprises and talents; enterprise members read what they own; auditors
// read everything; administrators manage tokens and read the policy.
func DefaultPolicy(grants map[string][]string) []Rule {
	var rules []Rule
	for _, code := range sortedKeys(grants) {
		for _, bureau := range grants[code] {
			obj, org := DesignationObject(code), BureauOrg(bureau)
			rules = append(rules, p(RoleIssuer, org, obj, ActGrant, ScopeAny))
			for _, act := range LifecycleActions {
				rules = append(rules, p(RoleIssuer, org, obj, act, ScopeOwn))
			}
		}
	}
	for _, role := range []string{RoleIssuer, RoleViewer} {
		for _, obj := range []string{ObjEnterprise, ObjTalent, DesignationObject("*"), ObjPolicy} {
			rules = append(rules, p(role, "bureau:*", obj, ActRead, ScopeAny))
		}
	}
	rules = append(rules,
		p(RoleIssuer, "bureau:*", ObjEnterprise, ActRegister, ScopeAny),
		p(RoleIssuer, "bureau:*", ObjTalent, ActRegister, ScopeAny),
		p(RoleMember, "enterprise:*", ObjEnterprise, ActRead, ScopeOwn),
		p(RoleMember, "enterprise:*", ObjTalent, ActRead, ScopeOwn),
		p(RoleMember, "enterprise:*", DesignationObject("*"), ActRead, ScopeOwn),
		p(RoleAuditor, OrgAuditor, "*", ActRead, ScopeAny),
		p(RoleAdmin, OrgAdmin, ObjToken, ActManage, ScopeAny),
		p(RoleAdmin, OrgAdmin, ObjPolicy, ActRead, ScopeAny),
	)
	return rules
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
