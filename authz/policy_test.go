package authz

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// seedGrants is the grant table of the seed measures as the registry's
// catalogue has it (registry.DesignationTypes, DOMAIN.md): designation type
// code -> bureaus that may grant it. The tests below check DefaultPolicy's
// rules against this table; they do not check that the catalogue still
// matches it.
var seedGrants = map[string][]string{
	"talent-authorization": {"talent-office"},
	"ai-growth-enterprise": {"economy-it", "talent-office"},
	"talent-recognition":   {"talent-office"},
	"competition-award":    {"economy-it"},
	"west-lake-pearl-ai":   {"talent-office"},
	"little-giant":         {"economy-it"},
	"single-champion":      {"economy-it"},
	"hidden-champion":      {"economy-it"},
	"hq-enterprise":        {"development-reform"},
	"model-filing":         {"cyberspace"},
	"innovation-center":    {"economy-it"},
	"ai-park":              {"economy-it"},
}

// seedBureaus are the bureaus of the seed measures, granting or not.
var seedBureaus = []string{
	"talent-office", "economy-it", "development-reform", "cyberspace", "science-tech",
	"investment-promotion", "hr-social-security", "education", "finance", "financial-office", "sasac",
}

// Organisations the tables below act as.
var (
	talentOffice = BureauOrg("talent-office")
	economyIT    = BureauOrg("economy-it")
	devReform    = BureauOrg("development-reform")
	cyberspace   = BureauOrg("cyberspace")
	scienceTech  = BureauOrg("science-tech")

	creditA = "91330100MA27XL1A2B"
	creditB = "91330106MA2H3C4D5E"
	entA    = EnterpriseOrg(creditA)
	entB    = EnterpriseOrg(creditB)

	parkA = "park:west-lake"
	parkB = "park:qianjiang"
)

// orgs lists a resource's owners.
func orgs(list ...string) []string { return list }

// decisionCase is one request and the answer the policy must give.
type decisionCase struct {
	name  string
	req   Request
	allow bool
}

func (c decisionCase) String() string {
	r := c.req
	return fmt.Sprintf("%s@%s %s %s owners=%v", r.Role, r.Org, r.Action, r.Object, r.Owners)
}

// checkDecisions runs cases against a, asking both the cached and the
// uncached path twice, and checks that they agree with each other and with
// the case, and that a refusal names no owner.
func checkDecisions(t *testing.T, a *Authorizer, cases []decisionCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for i := range 2 {
				d, err := a.Decide(c.req)
				if err != nil {
					t.Fatalf("%v: %v", c, err)
				}
				if d.Allowed != c.allow {
					t.Fatalf("%v: allowed = %v (try %d, rule %q), want %v", c, d.Allowed, i+1, d.Rule, c.allow)
				}
				e, err := a.Enforce(c.req)
				if err != nil {
					t.Fatalf("%v: enforce: %v", c, err)
				}
				if e != d {
					t.Fatalf("%v: Decide = %+v but Enforce = %+v", c, d, e)
				}
			}
			d, _ := a.Decide(c.req)
			if d.Allowed {
				if !strings.HasPrefix(d.Rule, "p, "+c.req.Role+", ") {
					t.Errorf("%v: allowing rule %q is not a p line of role %s", c, d.Rule, c.req.Role)
				}
				return
			}
			for _, o := range c.req.Owners {
				if o != c.req.Org && strings.Contains(d.Rule, o) {
					t.Errorf("%v: refusal %q names owner %s", c, d.Rule, o)
				}
			}
			if len(c.req.Owners) > 0 && !strings.Contains(d.Rule, "does not own") {
				t.Errorf("%v: refusal %q does not say the resource is not its organisation's", c, d.Rule)
			}
		})
	}
}

func seedAuthorizer(t *testing.T, extra ...Rule) *Authorizer {
	t.Helper()
	a, err := NewFromRules(append(DefaultPolicy(seedGrants), extra...))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestBureauGrantsOnlyItsOwnTypes walks the whole grant table: every bureau
// of the seed measures, as an issuer, may grant exactly the designation
// types the table gives it, and act on designations of those types that it
// granted (they list it among their owners), nothing else.
func TestBureauGrantsOnlyItsOwnTypes(t *testing.T) {
	a := seedAuthorizer(t)
	var cases []decisionCase
	for _, code := range sortedKeys(seedGrants) {
		obj := DesignationObject(code)
		for _, bureau := range seedBureaus {
			org := BureauOrg(bureau)
			grants := slices.Contains(seedGrants[code], bureau)
			holder := entA
			if strings.HasSuffix(code, "-park") {
				holder = parkA
			}
			cases = append(cases, decisionCase{
				name:  bureau + "/grant/" + code,
				req:   Request{Role: RoleIssuer, Org: org, Object: obj, Action: ActGrant},
				allow: grants,
			})
			for _, act := range LifecycleActions {
				cases = append(cases, decisionCase{
					name:  bureau + "/" + act + "/" + code + "/own",
					req:   Request{Role: RoleIssuer, Org: org, Object: obj, Action: act, Owners: orgs(org, holder)},
					allow: grants,
				})
			}
		}
	}
	checkDecisions(t, a, cases)

	// Rules lists, for one bureau, exactly its grantable types.
	for _, bureau := range seedBureaus {
		var want, got []string
		for code, bureaus := range seedGrants {
			if slices.Contains(bureaus, bureau) {
				want = append(want, DesignationObject(code))
			}
		}
		for _, line := range a.Rules(RoleIssuer, BureauOrg(bureau), "", ActGrant) {
			got = append(got, line[2])
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("Rules(issuer, %s, grant) objects = %v, want %v", bureau, got, want)
		}
	}
}

// TestIssuerLifecycleNeedsOwnership: grant concerns no existing resource and
// needs none, but suspend, reinstate, renew and revoke apply only to a
// designation the acting bureau itself granted.
func TestIssuerLifecycleNeedsOwnership(t *testing.T) {
	a := seedAuthorizer(t)
	lg := DesignationObject("little-giant")
	agrowth := DesignationObject("ai-growth-enterprise")
	var cases []decisionCase
	for _, act := range LifecycleActions {
		cases = append(cases,
			decisionCase{act + "/granted by itself", Request{Role: RoleIssuer, Org: economyIT, Object: lg, Action: act, Owners: orgs(economyIT, entA)}, true},
			decisionCase{act + "/owners in another order", Request{Role: RoleIssuer, Org: economyIT, Object: lg, Action: act, Owners: orgs(entA, economyIT)}, true},
			decisionCase{act + "/no owners given", Request{Role: RoleIssuer, Org: economyIT, Object: lg, Action: act}, false},
			decisionCase{act + "/granted by another bureau", Request{Role: RoleIssuer, Org: economyIT, Object: lg, Action: act, Owners: orgs(talentOffice, entA)}, false},
			// ai-growth-enterprise has two granting bureaus; each acts
			// only on what it granted itself.
			decisionCase{act + "/co-granting bureau, its own", Request{Role: RoleIssuer, Org: talentOffice, Object: agrowth, Action: act, Owners: orgs(talentOffice, entA)}, true},
			decisionCase{act + "/co-granting bureau, the other's", Request{Role: RoleIssuer, Org: talentOffice, Object: agrowth, Action: act, Owners: orgs(economyIT, entA)}, false},
			// Owning is not enough without the type.
			decisionCase{act + "/owned but not its type", Request{Role: RoleIssuer, Org: economyIT, Object: DesignationObject("hq-enterprise"), Action: act, Owners: orgs(economyIT, entA)}, false},
			decisionCase{act + "/viewer of the granting bureau", Request{Role: RoleViewer, Org: economyIT, Object: lg, Action: act, Owners: orgs(economyIT, entA)}, false},
			decisionCase{act + "/holder's own staff", Request{Role: RoleMember, Org: entA, Object: lg, Action: act, Owners: orgs(economyIT, entA)}, false},
		)
	}
	cases = append(cases,
		decisionCase{"grant/with someone else's owners", Request{Role: RoleIssuer, Org: economyIT, Object: lg, Action: ActGrant, Owners: orgs(entB)}, true},
		decisionCase{"grant/viewer", Request{Role: RoleViewer, Org: economyIT, Object: lg, Action: ActGrant}, false},
		decisionCase{"grant/issuer role in an enterprise", Request{Role: RoleIssuer, Org: entA, Object: lg, Action: ActGrant}, false},
		decisionCase{"grant/issuer role in a park", Request{Role: RoleIssuer, Org: parkA, Object: lg, Action: ActGrant}, false},
		decisionCase{"grant/a type the catalogue lacks", Request{Role: RoleIssuer, Org: economyIT, Object: DesignationObject("unknown"), Action: ActGrant}, false},
		decisionCase{"grant/the wildcard object itself", Request{Role: RoleIssuer, Org: economyIT, Object: DesignationObject("*"), Action: ActGrant}, false},
		decisionCase{"grant/unknown action", Request{Role: RoleIssuer, Org: economyIT, Object: lg, Action: "delete"}, false},
	)
	checkDecisions(t, a, cases)
}

// TestBureauStaffReadAndRegister: issuers and viewers of any bureau read the
// registry's records without owning them; only issuers register enterprises
// and talents; only economy-IT registers competitions and records awards.
func TestBureauStaffReadAndRegister(t *testing.T) {
	a := seedAuthorizer(t)
	readable := []string{ObjEnterprise, ObjTalent, DesignationObject("little-giant"), DesignationObject("talent-recognition"),
		ObjPolicy, ObjCompetition, ObjAward, ObjPark, ObjTenancy, ObjEligibility}
	var cases []decisionCase
	for _, role := range []string{RoleIssuer, RoleViewer} {
		for _, obj := range readable {
			cases = append(cases,
				decisionCase{role + "/read " + obj, Request{Role: role, Org: scienceTech, Object: obj, Action: ActRead}, true},
				decisionCase{role + "/read " + obj + " owned by others", Request{Role: role, Org: scienceTech, Object: obj, Action: ActRead, Owners: orgs(entA)}, true},
			)
		}
		for _, obj := range []string{ObjAudit, ObjToken} {
			cases = append(cases, decisionCase{role + "/read " + obj, Request{Role: role, Org: economyIT, Object: obj, Action: ActRead}, false})
		}
		cases = append(cases,
			decisionCase{role + "/manage tenancy", Request{Role: role, Org: economyIT, Object: ObjTenancy, Action: ActManage}, false},
			decisionCase{role + "/verify eligibility", Request{Role: role, Org: economyIT, Object: ObjEligibility, Action: ActVerify}, false},
			decisionCase{role + "/recognize talent", Request{Role: role, Org: talentOffice, Object: DesignationObject("talent-recognition"), Action: ActRecognize, Owners: orgs(talentOffice)}, false},
		)
	}
	for _, obj := range []string{ObjEnterprise, ObjTalent} {
		cases = append(cases,
			decisionCase{"issuer/register " + obj, Request{Role: RoleIssuer, Org: scienceTech, Object: obj, Action: ActRegister}, true},
			decisionCase{"viewer/register " + obj, Request{Role: RoleViewer, Org: scienceTech, Object: obj, Action: ActRegister}, false},
			decisionCase{"member/register " + obj, Request{Role: RoleMember, Org: entA, Object: obj, Action: ActRegister, Owners: orgs(entA)}, false},
		)
	}
	for _, act := range []string{ActRegister, ActRecordAwards} {
		cases = append(cases,
			decisionCase{"economy-it issuer/" + act, Request{Role: RoleIssuer, Org: economyIT, Object: ObjCompetition, Action: act}, true},
			decisionCase{"talent-office issuer/" + act, Request{Role: RoleIssuer, Org: talentOffice, Object: ObjCompetition, Action: act}, false},
			decisionCase{"economy-it viewer/" + act, Request{Role: RoleViewer, Org: economyIT, Object: ObjCompetition, Action: act}, false},
		)
	}
	cases = append(cases,
		// The talent office withdraws recognitions, but only those on
		// its own books; no other bureau withdraws them.
		decisionCase{"talent-office/withdraw own recognition", Request{Role: RoleIssuer, Org: talentOffice, Object: DesignationObject("talent-recognition"), Action: ActWithdraw, Owners: orgs(talentOffice, entA)}, true},
		decisionCase{"talent-office/withdraw without owners", Request{Role: RoleIssuer, Org: talentOffice, Object: DesignationObject("talent-recognition"), Action: ActWithdraw}, false},
		decisionCase{"economy-it/withdraw recognition", Request{Role: RoleIssuer, Org: economyIT, Object: DesignationObject("talent-recognition"), Action: ActWithdraw, Owners: orgs(economyIT, entA)}, false},
		decisionCase{"talent-office/withdraw another type", Request{Role: RoleIssuer, Org: talentOffice, Object: DesignationObject("west-lake-pearl-ai"), Action: ActWithdraw, Owners: orgs(talentOffice, entA)}, false},
	)
	checkDecisions(t, a, cases)
}

// TestEnterpriseStaffReadTheirOwn: an enterprise's members and talent
// assessors read only records their enterprise owns, and any competition.
func TestEnterpriseStaffReadTheirOwn(t *testing.T) {
	a := seedAuthorizer(t)
	var cases []decisionCase
	for _, role := range []string{RoleMember, RoleTalentAssessor} {
		for _, obj := range []string{ObjEnterprise, ObjTalent, DesignationObject("little-giant"), DesignationObject("talent-recognition"), ObjAward} {
			cases = append(cases,
				decisionCase{role + "/read own " + obj, Request{Role: role, Org: entA, Object: obj, Action: ActRead, Owners: orgs(economyIT, entA)}, true},
				decisionCase{role + "/read another's " + obj, Request{Role: role, Org: entA, Object: obj, Action: ActRead, Owners: orgs(economyIT, entB)}, false},
				decisionCase{role + "/read " + obj + " without owners", Request{Role: role, Org: entA, Object: obj, Action: ActRead}, false},
			)
		}
		cases = append(cases,
			decisionCase{role + "/read competition", Request{Role: role, Org: entA, Object: ObjCompetition, Action: ActRead}, true},
			decisionCase{role + "/read competition with owners", Request{Role: role, Org: entA, Object: ObjCompetition, Action: ActRead, Owners: orgs(entB)}, true},
		)
		for _, obj := range []string{ObjPolicy, ObjPark, ObjTenancy, ObjEligibility, ObjAudit, ObjToken} {
			cases = append(cases, decisionCase{role + "/read " + obj, Request{Role: role, Org: entA, Object: obj, Action: ActRead, Owners: orgs(entA)}, false})
		}
		cases = append(cases,
			decisionCase{role + "/grant", Request{Role: role, Org: entA, Object: DesignationObject("little-giant"), Action: ActGrant, Owners: orgs(entA)}, false},
			decisionCase{role + "/in a bureau org", Request{Role: role, Org: economyIT, Object: ObjEnterprise, Action: ActRead, Owners: orgs(economyIT)}, false},
			decisionCase{role + "/no organisation", Request{Role: role, Org: "", Object: ObjCompetition, Action: ActRead}, false},
			decisionCase{role + "/no organisation, empty owner", Request{Role: role, Org: "", Object: ObjEnterprise, Action: ActRead, Owners: orgs("")}, false},
		)
	}
	checkDecisions(t, a, cases)
}

// TestTalentAuthorizationDelegates: an enterprise's talent assessors
// recognise and withdraw talents only while the enterprise holds a talent
// authorization (its AuthorizedEnterprise g line), and only for its own
// employees; the line admits that one enterprise and that one role.
func TestTalentAuthorizationDelegates(t *testing.T) {
	recognition := DesignationObject("talent-recognition")
	assessorA := func(act string, own ...string) Request {
		return Request{Role: RoleTalentAssessor, Org: entA, Object: recognition, Action: act, Owners: own}
	}
	for _, act := range []string{ActRecognize, ActWithdraw} {
		t.Run(act, func(t *testing.T) {
			t.Run("without authorization", func(t *testing.T) {
				checkDecisions(t, seedAuthorizer(t), []decisionCase{
					{"own employee", assessorA(act, entA), false},
				})
			})
			t.Run("authorized", func(t *testing.T) {
				checkDecisions(t, seedAuthorizer(t, AuthorizedEnterprise(creditA)), []decisionCase{
					{"own employee", assessorA(act, entA), true},
					{"own employee, bureau listed too", assessorA(act, talentOffice, entA), true},
					{"another enterprise's employee", assessorA(act, entB), false},
					{"no owners", assessorA(act), false},
					{"member of the authorized enterprise", Request{Role: RoleMember, Org: entA, Object: recognition, Action: act, Owners: orgs(entA)}, false},
					{"assessor of another enterprise", Request{Role: RoleTalentAssessor, Org: entB, Object: recognition, Action: act, Owners: orgs(entB)}, false},
					{"another designation type", Request{Role: RoleTalentAssessor, Org: entA, Object: DesignationObject("west-lake-pearl-ai"), Action: act, Owners: orgs(entA)}, false},
					{"grant instead", Request{Role: RoleTalentAssessor, Org: entA, Object: recognition, Action: ActGrant, Owners: orgs(entA)}, false},
					// The group is not an organisation of its own.
					{"group name as organisation", Request{Role: RoleTalentAssessor, Org: GroupAuthorizedEnterprise, Object: recognition, Action: act, Owners: orgs(entA)}, false},
				})
			})
		})
	}
	if got, want := AuthorizedEnterprise(creditA), (Rule{Type: "g", Values: []string{entA, GroupAuthorizedEnterprise}}); got.Type != want.Type || !slices.Equal(got.Values, want.Values) {
		t.Errorf("AuthorizedEnterprise = %+v, want %+v", got, want)
	}
}

// TestParkStaffActOnTheirOwnPark: a park's operators and viewers read its
// record, tenancies and benefit rules and verify tenants' eligibility;
// only operators manage tenancies and rules; nobody in one park acts on
// another park.
func TestParkStaffActOnTheirOwnPark(t *testing.T) {
	a := seedAuthorizer(t)
	var cases []decisionCase
	for _, role := range []string{RoleOperator, RoleViewer} {
		for _, obj := range []string{ObjPark, ObjTenancy, ObjEligibility} {
			cases = append(cases,
				decisionCase{role + "/read own " + obj, Request{Role: role, Org: parkA, Object: obj, Action: ActRead, Owners: orgs(parkA)}, true},
				decisionCase{role + "/read another park's " + obj, Request{Role: role, Org: parkA, Object: obj, Action: ActRead, Owners: orgs(parkB)}, false},
				decisionCase{role + "/read " + obj + " without owners", Request{Role: role, Org: parkA, Object: obj, Action: ActRead}, false},
			)
		}
		cases = append(cases,
			decisionCase{role + "/verify own", Request{Role: role, Org: parkA, Object: ObjEligibility, Action: ActVerify, Owners: orgs(parkA, entA)}, true},
			decisionCase{role + "/verify another park's", Request{Role: role, Org: parkA, Object: ObjEligibility, Action: ActVerify, Owners: orgs(parkB, entA)}, false},
			decisionCase{role + "/read enterprise", Request{Role: role, Org: parkA, Object: ObjEnterprise, Action: ActRead, Owners: orgs(parkA)}, false},
			decisionCase{role + "/read designation", Request{Role: role, Org: parkA, Object: DesignationObject("ai-park"), Action: ActRead, Owners: orgs(economyIT, parkA)}, false},
			decisionCase{role + "/manage park record", Request{Role: role, Org: parkA, Object: ObjPark, Action: ActManage, Owners: orgs(parkA)}, false},
		)
	}
	for _, obj := range []string{ObjTenancy, ObjEligibility} {
		cases = append(cases,
			decisionCase{"operator/manage own " + obj, Request{Role: RoleOperator, Org: parkA, Object: obj, Action: ActManage, Owners: orgs(parkA)}, true},
			decisionCase{"operator/manage another park's " + obj, Request{Role: RoleOperator, Org: parkA, Object: obj, Action: ActManage, Owners: orgs(parkB)}, false},
			decisionCase{"operator/manage " + obj + " without owners", Request{Role: RoleOperator, Org: parkA, Object: obj, Action: ActManage}, false},
			decisionCase{"viewer/manage own " + obj, Request{Role: RoleViewer, Org: parkA, Object: obj, Action: ActManage, Owners: orgs(parkA)}, false},
			decisionCase{"operator role in a bureau/manage " + obj, Request{Role: RoleOperator, Org: economyIT, Object: obj, Action: ActManage, Owners: orgs(economyIT)}, false},
			decisionCase{"operator role in an enterprise/manage " + obj, Request{Role: RoleOperator, Org: entA, Object: obj, Action: ActManage, Owners: orgs(entA)}, false},
		)
	}
	checkDecisions(t, a, cases)
}

// TestAuditorAndAdmin: auditors read everything and change nothing;
// administrators manage tokens and read the policy, and nothing more. Both
// roles hold only in their own organisation.
func TestAuditorAndAdmin(t *testing.T) {
	a := seedAuthorizer(t)
	var cases []decisionCase
	for _, obj := range []string{ObjAudit, ObjToken, ObjPolicy, ObjEnterprise, ObjTalent, DesignationObject("little-giant"), ObjPark, ObjTenancy, ObjEligibility, ObjCompetition, ObjAward} {
		cases = append(cases,
			decisionCase{"auditor/read " + obj, Request{Role: RoleAuditor, Org: OrgAuditor, Object: obj, Action: ActRead}, true},
			decisionCase{"auditor/read " + obj + " owned by others", Request{Role: RoleAuditor, Org: OrgAuditor, Object: obj, Action: ActRead, Owners: orgs(entA)}, true},
		)
	}
	for _, act := range []string{ActGrant, ActRevoke, ActManage, ActRegister, ActVerify} {
		cases = append(cases, decisionCase{"auditor/" + act, Request{Role: RoleAuditor, Org: OrgAuditor, Object: DesignationObject("little-giant"), Action: act}, false})
	}
	cases = append(cases,
		decisionCase{"auditor role in a bureau", Request{Role: RoleAuditor, Org: economyIT, Object: ObjAudit, Action: ActRead}, false},
		decisionCase{"viewer in the auditor org", Request{Role: RoleViewer, Org: OrgAuditor, Object: ObjAudit, Action: ActRead}, false},

		decisionCase{"admin/manage token", Request{Role: RoleAdmin, Org: OrgAdmin, Object: ObjToken, Action: ActManage}, true},
		decisionCase{"admin/read policy", Request{Role: RoleAdmin, Org: OrgAdmin, Object: ObjPolicy, Action: ActRead}, true},
		decisionCase{"admin/read token", Request{Role: RoleAdmin, Org: OrgAdmin, Object: ObjToken, Action: ActRead}, false},
		decisionCase{"admin/read audit", Request{Role: RoleAdmin, Org: OrgAdmin, Object: ObjAudit, Action: ActRead}, false},
		decisionCase{"admin/read enterprise", Request{Role: RoleAdmin, Org: OrgAdmin, Object: ObjEnterprise, Action: ActRead}, false},
		decisionCase{"admin/grant", Request{Role: RoleAdmin, Org: OrgAdmin, Object: DesignationObject("little-giant"), Action: ActGrant}, false},
		decisionCase{"admin role in a bureau", Request{Role: RoleAdmin, Org: economyIT, Object: ObjToken, Action: ActManage}, false},
		decisionCase{"issuer in the admin org", Request{Role: RoleIssuer, Org: OrgAdmin, Object: ObjToken, Action: ActManage}, false},
		decisionCase{"auditor in the admin org", Request{Role: RoleAuditor, Org: OrgAdmin, Object: ObjAudit, Action: ActRead}, false},
	)
	checkDecisions(t, a, cases)
}

// TestDefaultPolicyIsStable: the same grant table always gives the same
// lines in the same order, each once, so Sync and Rules are reproducible.
func TestDefaultPolicyIsStable(t *testing.T) {
	first := DefaultPolicy(seedGrants)
	seen := map[string]bool{}
	for _, r := range first {
		if r.Type != "p" || len(r.Values) != 5 {
			t.Errorf("default rule %+v is not a p line of five fields", r)
		}
		if r.Values[4] != ScopeAny && r.Values[4] != ScopeOwn {
			t.Errorf("default rule %+v has scope %q", r, r.Values[4])
		}
		k := strings.Join(r.Values, ",")
		if seen[k] {
			t.Errorf("default rule %s appears twice", k)
		}
		seen[k] = true
	}
	for range 20 {
		again := DefaultPolicy(seedGrants)
		if !slices.EqualFunc(first, again, func(a, b Rule) bool { return a.Type == b.Type && slices.Equal(a.Values, b.Values) }) {
			t.Fatal("DefaultPolicy gave a different list for the same grant table")
		}
	}
	// Five lines per granting bureau and type: grant and four lifecycle actions.
	n := 0
	for _, bureaus := range seedGrants {
		n += 5 * len(bureaus)
	}
	grantLines := 0
	for _, r := range first {
		if r.Values[0] == RoleIssuer && strings.HasPrefix(r.Values[2], "designation:") && r.Values[2] != DesignationObject("*") &&
			(r.Values[3] == ActGrant || slices.Contains(LifecycleActions, r.Values[3])) {
			grantLines++
		}
	}
	if grantLines != n {
		t.Errorf("default policy has %d grant and lifecycle lines, want %d", grantLines, n)
	}
	// No grant table, no designation rights.
	a, err := NewFromRules(DefaultPolicy(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Rules(RoleIssuer, "", "", ActGrant); len(got) != 0 {
		t.Errorf("empty grant table still grants: %v", got)
	}
}
