package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/ident"
)

// demoEnterprise is an enterprise of the demo data set.
type demoEnterprise struct {
	first17, name, district string
}

var demoEnterprises = []demoEnterprise{
	{"91330106MA27XK0A1", "杭州雲棲智算科技有限公司", "西湖區"},
	{"91330114MA2H3B7C5", "杭州錢塘模型科技有限公司", "錢塘區"},
	{"91330109MA2KD4E81", "杭州湘湖機器人有限公司", "蕭山區"},
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

// seedDemo loads a small data set (once) and prints a fresh token per role.
func seedDemo(ctx context.Context, reg *registry.Registry, stdout io.Writer) error {
	codes := make([]string, len(demoEnterprises))
	for i, e := range demoEnterprises {
		codes[i] = mustComplete(ident.CompleteCreditCode, e.first17)
	}
	economy := registry.WithPrincipal(ctx, bureauIssuer("economy-it"))
	if _, err := reg.GetEnterprise(economy, codes[0]); registry.KindOf(err) == registry.KindNotFound {
		if err := seedDemoData(ctx, reg, codes); err != nil {
			return err
		}
	} else if err != nil {
		return err
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
	}
	actor := registry.Principal{Subject: "registryd-demo", Org: "admin", Role: "admin"}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ROLE\tORGANISATION\tTOKEN")
	for _, p := range principals {
		raw, _, err := reg.IssueToken(ctx, actor, registry.NewToken{Subject: p.Subject, Org: p.Org, Role: p.Role})
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Role, p.Org, raw)
	}
	return tw.Flush()
}

func seedDemoData(ctx context.Context, reg *registry.Registry, codes []string) error {
	economy := registry.WithPrincipal(ctx, bureauIssuer("economy-it"))
	for i, e := range demoEnterprises {
		if _, err := reg.RegisterEnterprise(economy, registry.NewEnterprise{CreditCode: codes[i], Name: e.name, District: e.district}); err != nil {
			return err
		}
	}
	talentOffice := registry.WithPrincipal(ctx, bureauIssuer("talent-office"))
	lin, err := reg.RegisterTalent(talentOffice, registry.NewTalent{
		Name: "林若溪", IDNumber: mustComplete(ident.CompleteIDNumber, "33010619880312123"), EmployerCreditCode: codes[0],
	})
	if err != nil {
		return err
	}
	if _, err := reg.RegisterTalent(talentOffice, registry.NewTalent{
		Name: "Maria Keller", PassportNumber: "C4XK29815", Nationality: "DE", EmployerCreditCode: codes[1],
	}); err != nil {
		return err
	}
	grants := []struct {
		ctx context.Context
		g   registry.Grant
	}{
		{economy, registry.Grant{Type: "little-giant", EnterpriseCreditCode: codes[0], ValidFrom: "2025-01-01", ValidUntil: "2027-12-31", DocumentNumber: "工信部企業函〔2024〕135號"}},
		{economy, registry.Grant{Type: "ai-growth-enterprise", EnterpriseCreditCode: codes[0], ValidFrom: "2025-03-01", ValidUntil: "2026-02-28", DocumentNumber: "杭經信〔2025〕12號"}},
		{economy, registry.Grant{Type: "hidden-champion", EnterpriseCreditCode: codes[2], ValidFrom: "2024-01-01", ValidUntil: "2026-12-31", DocumentNumber: "浙經信〔2023〕201號"}},
		{registry.WithPrincipal(ctx, bureauIssuer("development-reform")), registry.Grant{Type: "hq-enterprise", EnterpriseCreditCode: codes[1], ValidFrom: "2025-06-01", ValidUntil: "2028-05-31", DocumentNumber: "杭發改〔2025〕88號"}},
		{registry.WithPrincipal(ctx, bureauIssuer("cyberspace")), registry.Grant{Type: "model-filing", EnterpriseCreditCode: codes[1], ValidFrom: "2025-04-15", ValidUntil: "2099-12-31", DocumentNumber: "Zhejiang-QiantangModel-20250415"}},
		{talentOffice, registry.Grant{Type: "talent-recognition", TalentID: lin.ID, Level: "D", ValidFrom: "2025-07-01", ValidUntil: "2030-06-30", DocumentNumber: "杭人才〔2025〕7號"}},
	}
	for _, g := range grants {
		if _, err := reg.GrantDesignation(g.ctx, g.g); err != nil {
			return fmt.Errorf("grant %s: %w", g.g.Type, err)
		}
	}
	return nil
}
