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
	// RoleTalentAssessor is an enterprise's HR staff who recognise its own
	// employees as talents within a talent authorization's quota.
	RoleTalentAssessor = "talent-assessor"
)

// GroupAuthorizedEnterprise groups the organisations of enterprises that
// hold a talent authorization: g, enterprise:<code>, authorized-enterprise.
const GroupAuthorizedEnterprise = "authorized-enterprise"

// AuthorizedEnterprise is the g line that admits an enterprise's talent
// assessors to recognise talents.
func AuthorizedEnterprise(creditCode string) Rule {
	return Rule{Type: "g", Values: []string{EnterpriseOrg(creditCode), GroupAuthorizedEnterprise}}
}

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
	// ActRecognize consumes a talent authorization's place; ActWithdraw
	// revokes a recognition made that way and returns the place.
	ActRecognize    = "recognize"
	ActWithdraw     = "withdraw"
	ActRecordAwards = "record-awards"
	ActVerify       = "verify"
	// Support measures: ActApply files an application, ActDecide decides
	// it, ActDisburse records payments and ActRecover orders and settles
	// recoveries.
	ActApply    = "apply"
	ActDecide   = "decide"
	ActDisburse = "disburse"
	ActRecover  = "recover"
)

// SupportObject is the policy object of support under the measure of code.
func SupportObject(code string) string { return "support:" + code }

// SupportActions are what a measure's deciding bureau does with its
// support.
var SupportActions = []string{ActApply, ActDecide, ActDisburse, ActRecover}

// SupportPolicy returns the rules of support: for each measure (code ->
// deciding bureau) the bureau's issuers apply on an enterprise's behalf,
// decide, disburse and recover; every bureau's staff read all support (a
// cumulation check reads across measures); enterprise members apply for
// and read their own enterprise's.
func SupportPolicy(measures map[string]string) []Rule {
	var rules []Rule
	codes := make([]string, 0, len(measures))
	for code := range measures {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	for _, code := range codes {
		for _, act := range SupportActions {
			rules = append(rules, p(RoleIssuer, BureauOrg(measures[code]), SupportObject(code), act, ScopeAny))
		}
	}
	all := SupportObject("*")
	for _, role := range []string{RoleIssuer, RoleViewer} {
		rules = append(rules, p(role, "bureau:*", all, ActRead, ScopeAny))
	}
	rules = append(rules,
		p(RoleMember, "enterprise:*", all, ActApply, ScopeOwn),
		p(RoleMember, "enterprise:*", all, ActRead, ScopeOwn),
	)
	return rules
}

// LifecycleActions are the actions a granting bureau takes on designations
// it granted.
var LifecycleActions = []string{ActSuspend, ActReinstate, ActRenew, ActRevoke}

// Objects that are not designations.
const (
	ObjEnterprise  = "enterprise"
	ObjTalent      = "talent"
	ObjAudit       = "audit"
	ObjPolicy      = "policy"
	ObjToken       = "token"
	ObjCompetition = "competition"
	ObjAward       = "award"
	// ObjWebhook is every organisation's webhook subscriptions (each
	// organisation manages its own without a rule).
	ObjWebhook = "webhook"
	// ObjPark is a park's record; ObjTenancy its tenancies; ObjEligibility
	// its benefit rules and eligibility answers.
	ObjPark        = "park"
	ObjTenancy     = "tenancy"
	ObjEligibility = "eligibility"
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
// enterprises and talents; enterprise members and talent assessors read
// what they own, and assessors of an authorized enterprise recognise and
// withdraw talents within its authorization; economy-IT registers
// competitions and records awards; a park's operators manage its tenancies
// and benefit rules, and its operators and viewers read them and verify
// tenants' eligibility; auditors read everything;
// administrators manage tokens and every organisation's webhook
// subscriptions, and read the policy.
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
		for _, obj := range []string{ObjEnterprise, ObjTalent, DesignationObject("*"), ObjPolicy, ObjCompetition, ObjAward, ObjPark, ObjTenancy, ObjEligibility} {
			rules = append(rules, p(role, "bureau:*", obj, ActRead, ScopeAny))
		}
	}
	for _, role := range []string{RoleOperator, RoleViewer} {
		for _, obj := range []string{ObjPark, ObjTenancy, ObjEligibility} {
			rules = append(rules, p(role, "park:*", obj, ActRead, ScopeOwn))
		}
		rules = append(rules, p(role, "park:*", ObjEligibility, ActVerify, ScopeOwn))
	}
	for _, role := range []string{RoleMember, RoleTalentAssessor} {
		for _, obj := range []string{ObjEnterprise, ObjTalent, DesignationObject("*"), ObjAward} {
			rules = append(rules, p(role, "enterprise:*", obj, ActRead, ScopeOwn))
		}
		rules = append(rules, p(role, "enterprise:*", ObjCompetition, ActRead, ScopeAny))
	}
	recognition := DesignationObject("talent-recognition")
	rules = append(rules,
		p(RoleIssuer, "bureau:*", ObjEnterprise, ActRegister, ScopeAny),
		p(RoleIssuer, "bureau:*", ObjTalent, ActRegister, ScopeAny),
		p(RoleTalentAssessor, GroupAuthorizedEnterprise, recognition, ActRecognize, ScopeOwn),
		p(RoleTalentAssessor, GroupAuthorizedEnterprise, recognition, ActWithdraw, ScopeOwn),
		p(RoleIssuer, BureauOrg("talent-office"), recognition, ActWithdraw, ScopeOwn),
		p(RoleIssuer, BureauOrg("economy-it"), ObjCompetition, ActRegister, ScopeAny),
		p(RoleIssuer, BureauOrg("economy-it"), ObjCompetition, ActRecordAwards, ScopeAny),
		p(RoleAuditor, OrgAuditor, "*", ActRead, ScopeAny),
		p(RoleOperator, "park:*", ObjTenancy, ActManage, ScopeOwn),
		p(RoleOperator, "park:*", ObjEligibility, ActManage, ScopeOwn),
		p(RoleAdmin, OrgAdmin, ObjToken, ActManage, ScopeAny),
		p(RoleAdmin, OrgAdmin, ObjWebhook, ActManage, ScopeAny),
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
