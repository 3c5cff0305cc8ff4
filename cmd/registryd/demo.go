package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hangzhou-ai/registry/ident"
	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/access"
	"github.com/hangzhou-ai/registry/registry/benefit"
	"github.com/hangzhou-ai/registry/registry/catalog"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/park"
	"github.com/hangzhou-ai/registry/registry/talent"
	"github.com/hangzhou-ai/registry/registry/talentauth"
)

// demoEnterprise is an enterprise of the demo data set.
type demoEnterprise struct {
	first17, name, district, registeredOn string
}

var demoEnterprises = []demoEnterprise{
	{"91330106MA27XK0A1", "杭州云栖智算科技有限公司", "西湖区", "2019-08-12"},
	{"91330114MA2H3B7C5", "杭州钱塘模型科技有限公司", "钱塘区", "2024-03-05"},
	{"91330109MA2KD4E81", "杭州湘湖机器人有限公司", "萧山区", ""},
}

func mustComplete(f func(string) (string, error), first17 string) string {
	s, err := f(first17)
	if err != nil {
		panic(fmt.Sprintf("demo data: %s: %v", first17, err))
	}
	return s
}

func bureauIssuer(code string) registry.Principal {
	return registry.Principal{Subject: "demo-" + code, Org: "bureau:" + code, Role: "issuer"}
}

// seedDemo loads a small data set (once) and prints a fresh token per
// role. It returns the id of the demo's little-giant designation, whose
// public page the server prints once it listens.
func seedDemo(ctx context.Context, reg *registry.Registry, stdout io.Writer) (string, error) {
	codes := make([]string, len(demoEnterprises))
	for i, e := range demoEnterprises {
		codes[i] = mustComplete(ident.CompleteCreditCode, e.first17)
	}
	economy := registry.WithPrincipal(ctx, bureauIssuer("economy-it"))
	if _, err := reg.GetEnterprise(economy, codes[0]); registry.KindOf(err) == registry.KindNotFound {
		if err := seedDemoData(ctx, reg, codes); err != nil {
			return "", err
		}
	} else if err != nil {
		return "", err
	}
	giants, _, err := reg.ListDesignations(economy, designation.DesignationFilter{EnterpriseCreditCode: codes[0], Type: "little-giant", PageSize: 1})
	if err != nil {
		return "", err
	}
	if len(giants) == 0 {
		return "", fmt.Errorf("the demo's little-giant designation of %s is missing", codes[0])
	}
	principals := []registry.Principal{
		{Subject: "demo-admin", Org: "admin", Role: "admin"},
		{Subject: "demo-auditor", Org: "auditor", Role: "auditor"},
		bureauIssuer("economy-it"),
		bureauIssuer("talent-office"),
		bureauIssuer("development-reform"),
		bureauIssuer("cyberspace"),
		{Subject: "demo-economy-it-viewer", Org: "bureau:economy-it", Role: "viewer"},
		{Subject: "demo-enterprise-1", Org: "enterprise:" + codes[0], Role: "member"},
		{Subject: "demo-enterprise-2", Org: "enterprise:" + codes[1], Role: "member"},
		{Subject: "demo-enterprise-1-hr", Org: "enterprise:" + codes[0], Role: "talent-assessor"},
		{Subject: "demo-park-operator", Org: "park:west-lake", Role: "operator"},
		{Subject: "demo-park-viewer", Org: "park:west-lake", Role: "viewer"},
	}
	actor := registry.Principal{Subject: "registryd-demo", Org: "admin", Role: "admin"}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ROLE\tORGANISATION\tTOKEN")
	for _, p := range principals {
		raw, _, err := reg.IssueToken(ctx, actor, access.NewToken{Subject: p.Subject, Org: p.Org, Role: p.Role})
		if err != nil {
			return "", err
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Role, p.Org, raw)
	}
	return giants[0].ID, tw.Flush()
}

// printDemoURLs tells where the console and the demo designation's public
// page are, once the server listens at addr.
func printDemoURLs(stdout io.Writer, publicURL string, addr net.Addr, designationID string) {
	base := strings.TrimRight(publicURL, "/")
	if base == "" {
		// A server listening on every address is reached as localhost;
		// one bound to an address, at that address.
		hostport := addr.String()
		if host, port, err := net.SplitHostPort(hostport); err == nil {
			if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
				host = "localhost"
			}
			hostport = net.JoinHostPort(host, port)
		}
		base = "http://" + hostport
	}
	fmt.Fprintf(stdout, "\nconsole (sign in with a token above):  %s/console/\n", base)
	fmt.Fprintf(stdout, "a certificate's public page:           %s/d/%s\n", base, designationID)
	fmt.Fprintf(stdout, "the audit log's signed checkpoint:     %s/.well-known/registry/checkpoint (verifier key: checkpoint.key)\n", base)
}

func seedDemoData(ctx context.Context, reg *registry.Registry, codes []string) error {
	economy := registry.WithPrincipal(ctx, bureauIssuer("economy-it"))
	for i, e := range demoEnterprises {
		if _, err := reg.RegisterEnterprise(economy, enterprise.NewEnterprise{CreditCode: codes[i], Name: e.name, District: e.district, RegisteredOn: e.registeredOn}); err != nil {
			return err
		}
	}
	talentOffice := registry.WithPrincipal(ctx, bureauIssuer("talent-office"))
	lin, err := reg.RegisterTalent(talentOffice, talent.NewTalent{
		Name: "林若溪", IDNumber: mustComplete(ident.CompleteIDNumber, "33010619880312123"), EmployerCreditCode: codes[0],
	})
	if err != nil {
		return err
	}
	if _, err := reg.RegisterTalent(talentOffice, talent.NewTalent{
		Name: "Maria Keller", PassportNumber: "C4XK29815", Nationality: "DE", EmployerCreditCode: codes[1],
	}); err != nil {
		return err
	}
	grants := []struct {
		ctx context.Context
		g   designation.Grant
	}{
		{economy, designation.Grant{Type: "little-giant", EnterpriseCreditCode: codes[0], ValidFrom: "2025-01-01", ValidUntil: "2027-12-31", DocumentNumber: "工信部企业函〔2024〕135号"}},
		{economy, designation.Grant{Type: "ai-growth-enterprise", EnterpriseCreditCode: codes[0], ValidFrom: "2025-03-01", ValidUntil: "2026-02-28", DocumentNumber: "杭经信〔2025〕12号"}},
		{economy, designation.Grant{Type: "hidden-champion", EnterpriseCreditCode: codes[2], ValidFrom: "2024-01-01", ValidUntil: "2026-12-31", DocumentNumber: "浙经信〔2023〕201号"}},
		{registry.WithPrincipal(ctx, bureauIssuer("development-reform")), designation.Grant{Type: "hq-enterprise", EnterpriseCreditCode: codes[1], ValidFrom: "2025-06-01", ValidUntil: "2028-05-31", DocumentNumber: "杭发改〔2025〕88号"}},
		{registry.WithPrincipal(ctx, bureauIssuer("cyberspace")), designation.Grant{Type: "model-filing", EnterpriseCreditCode: codes[1], ValidFrom: "2025-04-15", ValidUntil: "2099-12-31", DocumentNumber: "Zhejiang-QiantangModel-20250415"}},
		{talentOffice, designation.Grant{Type: "talent-recognition", TalentID: lin.ID, Level: "D", ValidFrom: "2025-07-01", ValidUntil: "2030-06-30", DocumentNumber: "杭人才〔2025〕7号"}},
	}
	for _, g := range grants {
		if _, err := reg.GrantDesignation(g.ctx, g.g); err != nil {
			return fmt.Errorf("grant %s: %w", g.g.Type, err)
		}
	}
	return seedDemoParks(ctx, reg, codes)
}

// seedDemoParks designates a park with two tenants and its benefit rules,
// and gives the first enterprise a talent authorization.
func seedDemoParks(ctx context.Context, reg *registry.Registry, codes []string) error {
	economy := registry.WithPrincipal(ctx, bureauIssuer("economy-it"))
	thisYear := time.Now().In(time.FixedZone("CST", 8*60*60)).Year()
	year := strconv.Itoa(thisYear)
	if _, err := reg.GrantDesignation(economy, designation.Grant{
		Type: "ai-growth-enterprise", EnterpriseCreditCode: codes[0], ValidFrom: year + "-01-01",
		ValidUntil: strconv.Itoa(thisYear+1) + "-12-31", DocumentNumber: "杭经信〔" + year + "〕18号",
	}); err != nil {
		return err
	}
	talentOffice := registry.WithPrincipal(ctx, bureauIssuer("talent-office"))
	if _, err := reg.IssueTalentAuthorization(talentOffice, talentauth.NewTalentAuthorization{
		EnterpriseCreditCode: codes[0], Year: thisYear, Quotas: []talentauth.LevelQuota{{Level: "D", Places: 5}, {Level: "E", Places: 20}},
		ValidFrom: year + "-01-01", ValidUntil: year + "-12-31", DocumentNumber: "杭人才授〔" + year + "〕3号",
	}); err != nil {
		return fmt.Errorf("talent authorization: %w", err)
	}
	if _, err := reg.RegisterPark(economy, park.NewPark{Code: "west-lake", Name: "西湖人工智能产业特色园区", District: "西湖区", OperatorOrg: "西湖区人民政府", DocumentNumber: "杭经信〔2025〕30号"}); err != nil {
		return err
	}
	operator := registry.WithPrincipal(ctx, registry.Principal{Subject: "demo-park-operator", Org: "park:west-lake", Role: "operator"})
	for _, code := range codes[:2] {
		if _, err := reg.AdmitTenant(operator, park.NewTenancy{ParkCode: "west-lake", EnterpriseCreditCode: code, StartDate: "2025-09-01", FloorAreaM2: 1200}); err != nil {
			return err
		}
	}
	rules := []park.EligibilityRule{
		{ParkCode: "west-lake", Benefit: "rent-reduction", AnyOfDesignationTypes: []string{"little-giant", "single-champion", "hidden-champion", "ai-growth-enterprise"}},
		{ParkCode: "west-lake", Benefit: "startup-subsidy", MinTenancyMonths: 6, MaxEnterpriseAgeYears: 3},
	}
	for _, rule := range rules {
		if _, err := reg.SetEligibilityRule(operator, rule); err != nil {
			return err
		}
	}
	return seedDemoSupport(ctx, reg, codes, thisYear)
}

// seedDemoSupport gives the second enterprise a compute voucher, approved
// and partly paid, and leaves the first's application in the bureau's
// review queue, all on costs dated today. Outside the measures' window it
// seeds none.
func seedDemoSupport(ctx context.Context, reg *registry.Registry, codes []string, year int) error {
	today := reg.Today()
	if today < catalog.MeasureWindowFrom || today > catalog.MeasureWindowUntil {
		return nil
	}
	economy := registry.WithPrincipal(ctx, bureauIssuer("economy-it"))
	voucher := func(code, ref, kind string, fen int64) benefit.NewApplication {
		return benefit.NewApplication{MeasureCode: "compute-voucher", EnterpriseCreditCode: code, Year: year, BasisReference: ref,
			BasisKind: kind, BasisAmountFen: fen, BasisDate: today, Evidence: "算力服务合同及发票"}
	}
	paid, err := reg.ApplyForSupport(economy, voucher(codes[1], "HT-DEMO-01", "filed-multimodal-model", 1_000_000_000))
	if err != nil {
		return fmt.Errorf("demo application: %w", err)
	}
	_, award, err := reg.DecideApplication(economy, benefit.Decision{ID: paid.ID, Approve: true})
	if err != nil {
		return fmt.Errorf("demo approval: %w", err)
	}
	if _, _, err := reg.RecordDisbursement(economy, benefit.NewDisbursement{AwardID: award.ID, AmountFen: award.AwardedFen / 2,
		PaidOn: today, Payer: "district:330114"}); err != nil {
		return fmt.Errorf("demo disbursement: %w", err)
	}
	_, err = reg.ApplyForSupport(economy, voucher(codes[0], "HT-DEMO-02", "domestic-compute", 500_000_000))
	return err
}
