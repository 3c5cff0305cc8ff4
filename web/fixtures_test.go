package web_test

import (
	"testing"

	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/park"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/registry/talent"
	"github.com/hangzhou-ai/registry/registry/talentauth"
)

// world is a small registry: two enterprises (A holds a little giant and
// employs a recognised talent; B holds a headquarters designation), both
// tenants of the west-lake park, which has a rent-reduction rule; A holds
// a talent authorization with D and E places. The test clock stands at
// registrytest.Start, 2026-06-15.
type world struct {
	A, B                         enterprise.Enterprise
	Giant, HQ, Growth, TalentRec designation.Designation
	Talent                       talent.Talent
	Authorization                talentauth.TalentAuthorization
	Park                         park.Park
}

const (
	economy      = "bureau:economy-it"
	talentOffice = "bureau:talent-office"
	devReform    = "bureau:development-reform"
)

func newWorld(t *testing.T, s *site) world {
	t.Helper()
	var w world
	var err error
	eco := as("issuer", economy)
	if w.A, err = s.Reg.RegisterEnterprise(eco, enterprise.NewEnterprise{CreditCode: registrytest.CreditCode(t, "91330106MA27XK0A1"), Name: "杭州云栖智算科技有限公司", District: "西湖区", RegisteredOn: "2019-08-12"}); err != nil {
		t.Fatal(err)
	}
	if w.B, err = s.Reg.RegisterEnterprise(eco, enterprise.NewEnterprise{CreditCode: registrytest.CreditCode(t, "91330114MA2H3B7C5"), Name: "杭州钱塘模型科技有限公司", District: "钱塘区", RegisteredOn: "2024-03-05"}); err != nil {
		t.Fatal(err)
	}
	if w.Giant, err = s.Reg.GrantDesignation(eco, designation.Grant{Type: "little-giant", EnterpriseCreditCode: w.A.CreditCode, ValidFrom: "2026-01-01", ValidUntil: "2028-12-31", DocumentNumber: "工信部企业函〔2026〕88号"}); err != nil {
		t.Fatal(err)
	}
	if w.HQ, err = s.Reg.GrantDesignation(as("issuer", devReform), designation.Grant{Type: "hq-enterprise", EnterpriseCreditCode: w.B.CreditCode, ValidFrom: "2026-01-01", ValidUntil: "2028-12-31", DocumentNumber: "杭发改〔2026〕8号"}); err != nil {
		t.Fatal(err)
	}
	office := as("issuer", talentOffice)
	if w.Talent, err = s.Reg.RegisterTalent(office, talent.NewTalent{Name: "林若溪", IDNumber: registrytest.IDNumber(t, "33010619880312123"), EmployerCreditCode: w.A.CreditCode}); err != nil {
		t.Fatal(err)
	}
	if w.TalentRec, err = s.Reg.GrantDesignation(office, designation.Grant{Type: "talent-recognition", TalentID: w.Talent.ID, Level: "C", ValidFrom: "2026-01-01", ValidUntil: "2030-12-31", DocumentNumber: "杭人才〔2026〕3号"}); err != nil {
		t.Fatal(err)
	}
	if w.Growth, err = s.Reg.GrantDesignation(eco, designation.Grant{Type: "ai-growth-enterprise", EnterpriseCreditCode: w.A.CreditCode, ValidFrom: "2026-01-01", ValidUntil: "2027-12-31", DocumentNumber: "杭经信〔2026〕18号"}); err != nil {
		t.Fatal(err)
	}
	if w.Authorization, err = s.Reg.IssueTalentAuthorization(office, talentauth.NewTalentAuthorization{
		EnterpriseCreditCode: w.A.CreditCode, Year: 2026, Quotas: []talentauth.LevelQuota{{Level: "D", Places: 1}, {Level: "E", Places: 5}},
		ValidFrom: "2026-01-01", ValidUntil: "2026-12-31", DocumentNumber: "杭人才授〔2026〕1号",
	}); err != nil {
		t.Fatal(err)
	}
	if w.Park, err = s.Reg.RegisterPark(eco, park.NewPark{Code: "west-lake", Name: "西湖人工智能产业特色园区", District: "西湖区", OperatorOrg: "西湖区人民政府", DocumentNumber: "杭经信〔2025〕30号"}); err != nil {
		t.Fatal(err)
	}
	operator := as("operator", "park:west-lake")
	for _, code := range []string{w.A.CreditCode, w.B.CreditCode} {
		if _, err := s.Reg.AdmitTenant(operator, park.NewTenancy{ParkCode: "west-lake", EnterpriseCreditCode: code, StartDate: "2025-09-01", FloorAreaM2: 1200}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Reg.SetEligibilityRule(operator, park.EligibilityRule{ParkCode: "west-lake", Benefit: "rent-reduction", AnyOfDesignationTypes: []string{"little-giant", "hidden-champion"}}); err != nil {
		t.Fatal(err)
	}
	return w
}
