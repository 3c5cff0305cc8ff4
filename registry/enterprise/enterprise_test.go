package enterprise_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hangzhou-ai/registry/ident"
	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/audit"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// Principals of these tests.
var (
	issuer       = [2]string{"issuer", "bureau:economy-it"}
	talentIssuer = [2]string{"issuer", "bureau:talent-office"}
	viewer       = [2]string{"viewer", "bureau:economy-it"}
	auditor      = [2]string{"auditor", "auditor"}
	admin        = [2]string{"admin", "admin"}
	operator     = [2]string{"operator", "park:west-lake"}
)

func as(who [2]string) context.Context {
	return registrytest.As(context.Background(), who[0], who[1])
}

// code returns a valid credit code ending in n.
func code(t testing.TB, n string) string {
	t.Helper()
	c, err := ident.CompleteCreditCode("91330108MA" + strings.Repeat("0", 7-len(n)) + n)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func member(code string) [2]string { return [2]string{"member", "enterprise:" + code} }

func TestRegisterEnterpriseValidation(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		reg, _ := registrytest.Open(t, db)
		valid := enterprise.NewEnterprise{CreditCode: code(t, "1"), Name: "示例科技有限公司"}
		tests := []struct {
			name       string
			edit       func(*enterprise.NewEnterprise)
			wantFields []string
		}{
			{"wrong check character", func(e *enterprise.NewEnterprise) { e.CreditCode = e.CreditCode[:17] + "0" }, []string{"credit_code"}},
			{"credit code too short", func(e *enterprise.NewEnterprise) { e.CreditCode = e.CreditCode[:17] }, []string{"credit_code"}},
			{"credit code missing", func(e *enterprise.NewEnterprise) { e.CreditCode = "" }, []string{"credit_code"}},
			{"name missing", func(e *enterprise.NewEnterprise) { e.Name = " " }, []string{"name"}},
			{"name a formula", func(e *enterprise.NewEnterprise) { e.Name = "=HYPERLINK(\"x\")" }, []string{"name"}},
			{"name starting with @", func(e *enterprise.NewEnterprise) { e.Name = "@示例" }, []string{"name"}},
			{"name with a bidi override", func(e *enterprise.NewEnterprise) { e.Name = "示例\u202E司公" }, []string{"name"}},
			{"name with a line break", func(e *enterprise.NewEnterprise) { e.Name = "示例\n科技" }, []string{"name"}},
			{"name too long", func(e *enterprise.NewEnterprise) { e.Name = strings.Repeat("名", 201) }, []string{"name"}},
			{"district outside Hangzhou", func(e *enterprise.NewEnterprise) { e.District = "浦东新区" }, []string{"district"}},
			{"registered_on malformed", func(e *enterprise.NewEnterprise) { e.RegisteredOn = "2020-1-1" }, []string{"registered_on"}},
			{"registered_on tomorrow", func(e *enterprise.NewEnterprise) { e.RegisteredOn = "2026-06-16" }, []string{"registered_on"}},
			{"every field at once", func(e *enterprise.NewEnterprise) {
				*e = enterprise.NewEnterprise{CreditCode: "X", Name: "", District: "x", RegisteredOn: "x"}
			}, []string{"credit_code", "name", "district", "registered_on"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				in := valid
				tc.edit(&in)
				before := registrytest.AuditLength(t, reg)
				_, err := reg.RegisterEnterprise(as(issuer), in)
				if got := registrytest.Violated(err); !slices.Equal(got, tc.wantFields) {
					t.Errorf("RegisterEnterprise(%+v) = %v; want violations on %v, got %v", in, err, tc.wantFields, got)
				}
				if after := registrytest.AuditLength(t, reg); after != before {
					t.Errorf("a refused registration wrote %d audit events", after-before)
				}
			})
		}
		// The valid request itself passes, so each case fails for its own edit.
		if _, err := reg.RegisterEnterprise(as(issuer), valid); err != nil {
			t.Fatalf("the valid base request: %v", err)
		}
	})
}

func TestRegisterEnterpriseNormalises(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		reg, _ := registrytest.Open(t, db)
		tests := []struct {
			name             string
			in               enterprise.NewEnterprise
			wantCode         string
			wantDistrict     string
			wantDistrictName string
		}{
			{"district by code", enterprise.NewEnterprise{CreditCode: code(t, "11"), Name: "甲", District: "330108"}, code(t, "11"), "330108", "滨江区"},
			{"district by Simplified name", enterprise.NewEnterprise{CreditCode: code(t, "12"), Name: "乙", District: "西湖区"}, code(t, "12"), "330106", "西湖区"},
			{"district by Traditional name", enterprise.NewEnterprise{CreditCode: code(t, "13"), Name: "丙", District: "蕭山區"}, code(t, "13"), "330109", "萧山区"}, // zh-Hant
			{"no district", enterprise.NewEnterprise{CreditCode: code(t, "14"), Name: "丁"}, code(t, "14"), "", ""},
			{"credit code lower case with spaces", enterprise.NewEnterprise{CreditCode: "  " + strings.ToLower(code(t, "15")) + " ", Name: " 戊 "}, code(t, "15"), "", ""},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				got, err := reg.RegisterEnterprise(as(issuer), tc.in)
				if err != nil {
					t.Fatal(err)
				}
				if got.CreditCode != tc.wantCode || got.District != tc.wantDistrict || got.DistrictName != tc.wantDistrictName || strings.TrimSpace(got.Name) != got.Name {
					t.Errorf("registered %+v; want code %s, district %q %q, trimmed name", got, tc.wantCode, tc.wantDistrict, tc.wantDistrictName)
				}
				read, err := reg.GetEnterprise(as(viewer), tc.wantCode)
				if err != nil || read.District != tc.wantDistrict || read.Name != got.Name {
					t.Errorf("read back %+v, %v", read, err)
				}
			})
		}
	})
}

// TestRegisteredOnIsJudgedInCST checks "not in the future" against the
// calendar date in China Standard Time, not the server's zone or UTC.
func TestRegisteredOnIsJudgedInCST(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		reg, clock := registrytest.Open(t, db)
		tests := []struct {
			name, nowUTC, registeredOn string
			ok                         bool
		}{
			{"today", "2026-06-15T04:00:00Z", "2026-06-15", true},
			{"tomorrow", "2026-06-15T04:00:00Z", "2026-06-16", false},
			{"15:59 UTC is still the 15th in Hangzhou", "2026-06-15T15:59:00Z", "2026-06-16", false},
			{"16:00 UTC is the 16th in Hangzhou", "2026-06-15T16:00:00Z", "2026-06-16", true},
		}
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				clock.Set(mustTime(t, tc.nowUTC))
				_, err := reg.RegisterEnterprise(as(issuer), enterprise.NewEnterprise{CreditCode: code(t, "2"+string(rune('0'+i))), Name: "示例", RegisteredOn: tc.registeredOn})
				if tc.ok && err != nil {
					t.Errorf("registered_on %s at %s: %v", tc.registeredOn, tc.nowUTC, err)
				}
				if !tc.ok && !slices.Equal(registrytest.Violated(err), []string{"registered_on"}) {
					t.Errorf("registered_on %s at %s: %v, want a registered_on violation", tc.registeredOn, tc.nowUTC, err)
				}
			})
		}
	})
}

func TestRegisterEnterpriseAuthorization(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		reg, _ := registrytest.Open(t, db)
		tests := []struct {
			name string
			who  [2]string
			want registry.Kind // KindInternal stands for success
		}{
			{"economy-it issuer", issuer, registry.KindInternal},
			{"talent-office issuer", talentIssuer, registry.KindInternal},
			{"bureau viewer", viewer, registry.KindPermissionDenied},
			{"enterprise member, for itself", member(code(t, "32")), registry.KindPermissionDenied},
			{"park operator", operator, registry.KindPermissionDenied},
			{"auditor", auditor, registry.KindPermissionDenied},
			{"admin", admin, registry.KindPermissionDenied},
		}
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				c := code(t, "3"+string(rune('0'+i)))
				if tc.who[0] == "member" {
					c = strings.TrimPrefix(tc.who[1], "enterprise:")
				}
				before := registrytest.AuditLength(t, reg)
				got, err := reg.RegisterEnterprise(as(tc.who), enterprise.NewEnterprise{CreditCode: c, Name: "示例"})
				after := registrytest.AuditLength(t, reg)
				if tc.want == registry.KindInternal {
					if err != nil || got.CreditCode != c {
						t.Fatalf("RegisterEnterprise = %+v, %v", got, err)
					}
					if after != before+1 {
						t.Errorf("registration wrote %d audit events, want 1", after-before)
					}
					return
				}
				if registry.KindOf(err) != tc.want {
					t.Errorf("RegisterEnterprise as %v = %v, want kind %d", tc.who, err, tc.want)
				}
				if after != before {
					t.Errorf("a refused registration wrote %d audit events", after-before)
				}
				if _, err := reg.GetEnterprise(as(viewer), c); registry.KindOf(err) != registry.KindNotFound {
					t.Errorf("after a refused registration GetEnterprise = %v, want not found", err)
				}
			})
		}
	})
}

// TestRegisterEnterpriseOnce checks that an enterprise is recorded once
// per credit code, however the code is written, with one audit event.
func TestRegisterEnterpriseOnce(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		reg, _ := registrytest.Open(t, db)
		c := code(t, "4")
		if _, err := reg.RegisterEnterprise(as(issuer), enterprise.NewEnterprise{CreditCode: c, Name: "示例"}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ name, code, by string }{
			{"same code", c, "economy-it"},
			{"lower case", strings.ToLower(c), "economy-it"},
			{"another bureau", c, "talent-office"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := reg.RegisterEnterprise(as([2]string{"issuer", "bureau:" + tc.by}), enterprise.NewEnterprise{CreditCode: tc.code, Name: "另一个名字"})
				if registry.KindOf(err) != registry.KindAlreadyExists {
					t.Errorf("second registration = %v, want already exists", err)
				}
			})
		}
		events, _, err := reg.ListAuditEvents(as(auditor), audit.AuditFilter{Entity: "enterprise:" + c})
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 1 || events[0].Action != "enterprise.register" || events[0].Subject != "issuer-test" || !strings.Contains(events[0].After, c) {
			t.Errorf("audit events of %s: %+v; want one enterprise.register by issuer-test", c, events)
		}
		got, err := reg.GetEnterprise(as(issuer), c)
		if err != nil || got.Name != "示例" {
			t.Errorf("the first registration was changed: %+v, %v", got, err)
		}
		rep, err := reg.VerifyAuditChain(as(auditor))
		if err != nil || !rep.OK {
			t.Errorf("audit chain: %+v, %v", rep, err)
		}
	})
}

func TestGetEnterpriseScope(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		reg, _ := registrytest.Open(t, db)
		own, other, unregistered := code(t, "51"), code(t, "52"), code(t, "53")
		for _, c := range []string{own, other} {
			if _, err := reg.RegisterEnterprise(as(issuer), enterprise.NewEnterprise{CreditCode: c, Name: "示例" + c[14:]}); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			name string
			who  [2]string
			code string
			want registry.Kind // KindInternal: found
		}{
			{"issuer reads any", issuer, other, registry.KindInternal},
			{"viewer reads any", viewer, other, registry.KindInternal},
			{"auditor reads any", auditor, own, registry.KindInternal},
			{"member reads itself", member(own), own, registry.KindInternal},
			{"talent assessor reads itself", [2]string{"talent-assessor", "enterprise:" + own}, own, registry.KindInternal},
			{"member reads another", member(own), other, registry.KindPermissionDenied},
			// An enterprise cannot tell an unregistered code from another's.
			{"member asks about an unregistered code", member(own), unregistered, registry.KindPermissionDenied},
			{"issuer asks about an unregistered code", issuer, unregistered, registry.KindNotFound},
			{"park operator", operator, own, registry.KindPermissionDenied},
			{"admin", admin, own, registry.KindPermissionDenied},
			{"malformed code", issuer, "91330108", registry.KindInvalidArgument},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				got, err := reg.GetEnterprise(as(tc.who), tc.code)
				if tc.want == registry.KindInternal {
					if err != nil || got.CreditCode != tc.code {
						t.Errorf("GetEnterprise(%s) = %+v, %v", tc.code, got, err)
					}
					return
				}
				if registry.KindOf(err) != tc.want {
					t.Errorf("GetEnterprise(%s) as %v = %v, want kind %d", tc.code, tc.who, err, tc.want)
				}
			})
		}
		t.Run("no principal", func(t *testing.T) {
			if _, err := reg.GetEnterprise(context.Background(), own); registry.KindOf(err) != registry.KindUnauthenticated {
				t.Errorf("GetEnterprise without a principal = %v", err)
			}
		})
	})
}

func TestListEnterprises(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		reg, _ := registrytest.Open(t, db)
		a, b, c := code(t, "61"), code(t, "62"), code(t, "63")
		for _, e := range []enterprise.NewEnterprise{
			{CreditCode: a, Name: "滨江智能科技有限公司", District: "滨江区"},
			{CreditCode: b, Name: "西湖数据有限公司", District: "330106"},
			{CreditCode: c, Name: "萧山机器人有限公司", District: "萧山区"},
		} {
			if _, err := reg.RegisterEnterprise(as(issuer), e); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			name string
			who  [2]string
			f    enterprise.EnterpriseFilter
			want []string
		}{
			{"issuer sees all", issuer, enterprise.EnterpriseFilter{}, []string{a, b, c}},
			{"member sees itself", member(b), enterprise.EnterpriseFilter{}, []string{b}},
			{"member's query cannot reach another", member(b), enterprise.EnterpriseFilter{Query: "滨江"}, nil},
			{"name in Traditional characters", viewer, enterprise.EnterpriseFilter{Query: "數據"}, []string{b}}, // zh-Hant
			{"credit code prefix", viewer, enterprise.EnterpriseFilter{Query: strings.ToLower(c[:17])}, []string{c}},
			{"query naming a district", viewer, enterprise.EnterpriseFilter{Query: "蕭山區"}, []string{c}},     // zh-Hant
			{"district filter by name", auditor, enterprise.EnterpriseFilter{District: "濱江區"}, []string{a}}, // zh-Hant
			{"district filter by code", auditor, enterprise.EnterpriseFilter{District: "330106"}, []string{b}},
			{"district with nobody", auditor, enterprise.EnterpriseFilter{District: "淳安县"}, nil},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				got, next, err := reg.ListEnterprises(as(tc.who), tc.f)
				if err != nil {
					t.Fatal(err)
				}
				var codes []string
				for _, e := range got {
					codes = append(codes, e.CreditCode)
				}
				if !slices.Equal(codes, tc.want) || next != "" {
					t.Errorf("ListEnterprises(%+v) = %v, %q; want %v", tc.f, codes, next, tc.want)
				}
			})
		}

		refused := []struct {
			name       string
			who        [2]string
			f          enterprise.EnterpriseFilter
			want       registry.Kind
			wantFields []string
		}{
			{"unknown district", issuer, enterprise.EnterpriseFilter{District: "朝阳区"}, registry.KindInvalidArgument, []string{"district"}},
			{"negative page size", issuer, enterprise.EnterpriseFilter{PageSize: -1}, registry.KindInvalidArgument, []string{"page_size"}},
			{"forged page token", issuer, enterprise.EnterpriseFilter{PageToken: "bm90LWEtdG9rZW4"}, registry.KindInvalidArgument, []string{"page_token"}},
			{"query with a bidi control", issuer, enterprise.EnterpriseFilter{Query: "a\u202Eb"}, registry.KindInvalidArgument, []string{"query"}},
			{"park operator", operator, enterprise.EnterpriseFilter{}, registry.KindPermissionDenied, nil},
			{"admin", admin, enterprise.EnterpriseFilter{}, registry.KindPermissionDenied, nil},
		}
		for _, tc := range refused {
			t.Run(tc.name, func(t *testing.T) {
				_, _, err := reg.ListEnterprises(as(tc.who), tc.f)
				if registry.KindOf(err) != tc.want || !slices.Equal(registrytest.Violated(err), tc.wantFields) {
					t.Errorf("ListEnterprises(%+v) = %v; want kind %d on %v", tc.f, err, tc.want, tc.wantFields)
				}
			})
		}

		t.Run("pages", func(t *testing.T) {
			var seen []string
			token := ""
			for range 4 {
				page, next, err := reg.ListEnterprises(as(issuer), enterprise.EnterpriseFilter{PageSize: 2, PageToken: token})
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range page {
					seen = append(seen, e.CreditCode)
				}
				if next == "" {
					break
				}
				// A token with one character changed is refused.
				tampered := []byte(next)
				tampered[len(tampered)/2] ^= 'A' ^ 'B'
				if _, _, err := reg.ListEnterprises(as(issuer), enterprise.EnterpriseFilter{PageSize: 2, PageToken: string(tampered)}); !slices.Equal(registrytest.Violated(err), []string{"page_token"}) {
					t.Errorf("tampered token %q: %v, want a page_token violation", tampered, err)
				}
				token = next
			}
			if !slices.Equal(seen, []string{a, b, c}) {
				t.Errorf("paged through %v, want %v once each in order", seen, []string{a, b, c})
			}
		})
	})
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
