package authz

import "testing"

// TestDecisionCacheFollowsPolicy checks that a remembered decision is
// dropped when the policy changes, both ways.
func TestDecisionCacheFollowsPolicy(t *testing.T) {
	a, err := NewFromRules(DefaultPolicy(map[string][]string{"talent-recognition": {"talent-office"}}))
	if err != nil {
		t.Fatal(err)
	}
	req := Request{Role: RoleTalentAssessor, Org: EnterpriseOrg("91110000600037341L"), Object: DesignationObject("talent-recognition"),
		Action: ActRecognize, Owners: []string{EnterpriseOrg("91110000600037341L")}}
	decide := func() bool {
		t.Helper()
		d, err := a.Decide(req)
		if err != nil {
			t.Fatal(err)
		}
		return d.Allowed
	}
	if decide() || decide() {
		t.Fatal("allowed before the enterprise is authorized")
	}
	if err := a.Apply([]Rule{AuthorizedEnterprise("91110000600037341L")}); err != nil {
		t.Fatal(err)
	}
	if !decide() || !decide() {
		t.Fatal("refused after the enterprise was authorized")
	}
	if err := a.Unapply([]Rule{AuthorizedEnterprise("91110000600037341L")}); err != nil {
		t.Fatal(err)
	}
	if decide() {
		t.Fatal("still allowed after the authorization was withdrawn")
	}
}
