package catalog

import (
	"context"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/bureau"
	"github.com/hangzhou-ai/registry/ent/designationtype"
)

// Subject kinds of designation types.
const (
	SubjectEnterprise = "enterprise"
	SubjectTalent     = "talent"
	SubjectPark       = "park"
)

// Bureau is a granting body named by the seed measures.
type Bureau struct {
	Code   string
	NameZh string
	NameEn string
}

// DesignationType is a kind of designation, with the bureaus the default
// policy lets grant it.
type DesignationType struct {
	Code            string
	NameZh          string
	NameEn          string
	SubjectKind     string
	SeedClause      string
	HasLevels       bool
	GrantingBureaus []string
}

// Bureaus are the bureaus of the seed measures (DOMAIN.md), by stable code.
var Bureaus = []Bureau{
	{"talent-office", "市委人才办", "Talent Work Office of the Municipal Party Committee"},
	{"economy-it", "市经信局", "Municipal Bureau of Economy and Information Technology"},
	{"development-reform", "市发改委", "Municipal Development and Reform Commission"},
	{"cyberspace", "市委网信办", "Cyberspace Affairs Office of the Municipal Party Committee"},
	{"science-tech", "市科技局", "Municipal Science and Technology Bureau"},
	{"investment-promotion", "市投资促进局", "Municipal Investment Promotion Bureau"},
	{"hr-social-security", "市人力社保局", "Municipal Human Resources and Social Security Bureau"},
	{"education", "市教育局", "Municipal Education Bureau"},
	{"finance", "市财政局", "Municipal Finance Bureau"},
	{"financial-office", "市委金融办", "Financial Work Office of the Municipal Party Committee"},
	{"sasac", "市国资委", "Municipal State-owned Assets Supervision and Administration Commission"},
}

// DesignationTypes are the designations of the seed measures and the
// bureaus that grant them by default (DOMAIN.md's grant table).
var DesignationTypes = []DesignationType{
	{"talent-authorization", "专项人才授权", "Special talent authorization", SubjectEnterprise, "(十三)", false, []string{"talent-office"}},
	{"ai-growth-enterprise", "优质人工智能成长型企业", "Quality AI growth enterprise", SubjectEnterprise, "(十三)", false, []string{"economy-it", "talent-office"}},
	{"talent-recognition", "人才层次认定", "Talent level recognition", SubjectTalent, "(六)(十二)(十三)", true, []string{"talent-office"}},
	{"competition-award", "赛会获奖", "AI competition winner", SubjectTalent, "(六)", false, []string{"economy-it"}},
	{"west-lake-pearl-ai", "西湖明珠工程人工智能赛道", "West Lake Pearl Project, AI track", SubjectTalent, "(十二)", false, []string{"talent-office"}},
	{"little-giant", "国家专精特新\"小巨人\"企业", "National specialised \"little giant\" enterprise", SubjectEnterprise, "(十)", false, []string{"economy-it"}},
	{"single-champion", "制造业单项冠军企业", "Manufacturing single champion enterprise", SubjectEnterprise, "(十)", false, []string{"economy-it"}},
	{"hidden-champion", "省\"隐形冠军\"企业", "Provincial \"hidden champion\" enterprise", SubjectEnterprise, "(十)", false, []string{"economy-it"}},
	{"hq-enterprise", "杭州总部企业", "Hangzhou headquarters enterprise", SubjectEnterprise, "(十)", false, []string{"development-reform"}},
	{"model-filing", "生成式人工智能模型备案", "Generative-AI model filing", SubjectEnterprise, "(四)", false, []string{"cyberspace"}},
	{"innovation-center", "未来产业市级制造业创新中心", "Municipal manufacturing innovation centre for future industries", SubjectEnterprise, "(七)", false, []string{"economy-it"}},
	{"ai-park", "市级人工智能产业特色园区", "Municipal AI industry park", SubjectPark, "(十一)", false, []string{"economy-it"}},
}

// TalentLevels are the levels of Hangzhou's high-level talent catalogue,
// A (top) to E (senior).
var TalentLevels = []string{"A", "B", "C", "D", "E"}

var DesignationTypesByCode = func() map[string]DesignationType {
	m := make(map[string]DesignationType, len(DesignationTypes))
	for _, t := range DesignationTypes {
		m[t.Code] = t
	}
	return m
}()

var BureausByCode = func() map[string]Bureau {
	m := make(map[string]Bureau, len(Bureaus))
	for _, b := range Bureaus {
		m[b.Code] = b
	}
	return m
}()

// DefaultPolicy is the grant policy the registry stores at first start:
// the designation grants and the support measures' rules.
func DefaultPolicy() []authz.Rule {
	return append(authz.DefaultPolicy(defaultGrants()), authz.SupportPolicy(measureBureaus())...)
}

// defaultGrants maps each designation type to its default granting bureaus.
func defaultGrants() map[string][]string {
	m := make(map[string][]string, len(DesignationTypes))
	for _, t := range DesignationTypes {
		m[t.Code] = t.GrantingBureaus
	}
	return m
}

// LoadReferenceData upserts bureaus and designation types so that the
// database, and anything reading it with SQL, knows them.
func LoadReferenceData(ctx context.Context, client *ent.Client) error {
	for _, b := range Bureaus {
		err := client.Bureau.Create().SetID(b.Code).SetNameZh(b.NameZh).SetNameEn(b.NameEn).
			OnConflictColumns(bureau.FieldID).UpdateNewValues().Exec(ctx)
		if err != nil {
			return err
		}
	}
	for i, t := range DesignationTypes {
		err := client.DesignationType.Create().SetID(t.Code).SetNameZh(t.NameZh).SetNameEn(t.NameEn).
			SetSubjectKind(t.SubjectKind).SetSeedClause(t.SeedClause).SetHasLevels(t.HasLevels).SetSortOrder(i).
			OnConflictColumns(designationtype.FieldID).UpdateNewValues().Exec(ctx)
		if err != nil {
			return err
		}
	}
	return nil
}

// Designation types with behaviour of their own.
const (
	TypeTalentAuthorization = "talent-authorization"
	TypeTalentRecognition   = "talent-recognition"
	TypeAIGrowthEnterprise  = "ai-growth-enterprise"
)

const TypeAIPark = "ai-park"
