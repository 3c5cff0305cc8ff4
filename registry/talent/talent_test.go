package talent_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hangzhou-ai/registry/ident"
	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/audit"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/registry/talent"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// Principals of these tests.
var (
	talentIssuer  = [2]string{"issuer", "bureau:talent-office"}
	economyIssuer = [2]string{"issuer", "bureau:economy-it"}
	viewer        = [2]string{"viewer", "bureau:talent-office"}
	auditor       = [2]string{"auditor", "auditor"}
	admin         = [2]string{"admin", "admin"}
	operator      = [2]string{"operator", "park:west-lake"}
)

func as(who [2]string) context.Context {
	return registrytest.As(context.Background(), who[0], who[1])
}

func member(code string) [2]string { return [2]string{"member", "enterprise:" + code} }

// code returns a valid credit code ending in n.
func code(t testing.TB, n int) string {
	t.Helper()
	c, err := ident.CompleteCreditCode(fmt.Sprintf("91330106MA%07d", n))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// idNumber returns a valid resident identity number born on yyyymmdd.
func idNumber(t testing.TB, yyyymmdd string, n int) string {
	t.Helper()
	id, err := ident.CompleteIDNumber(fmt.Sprintf("330106%s%03d", yyyymmdd, n))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// registerEnterprises registers enterprises with the given codes.
func registerEnterprises(t *testing.T, reg *registry.Registry, codes ...string) {
	t.Helper()
	for _, c := range codes {
		if _, err := reg.RegisterEnterprise(as(economyIssuer), enterprise.NewEnterprise{CreditCode: c, Name: "示例" + c[12:]}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRegisterTalentValidation(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		reg, _ := registrytest.Open(t, db)
		employer := code(t, 1)
		registerEnterprises(t, reg, employer)
		const chen = "11010519491231002X"
		tests := []struct {
			name       string
			in         talent.NewTalent
			wantFields []string
		}{
			{"wrong check character", talent.NewTalent{Name: "陈思远", IDNumber: "110105194912310021"}, []string{"id_number"}},
			{"17 digits", talent.NewTalent{Name: "陈思远", IDNumber: chen[:17]}, []string{"id_number"}},
			{"born tomorrow (CST)", talent.NewTalent{Name: "陈思远", IDNumber: idNumber(t, "20260616", 1)}, []string{"id_number"}},
			{"impossible birth date", talent.NewTalent{Name: "陈思远", IDNumber: "110105194902300010"}, []string{"id_number"}},
			{"id number with a foreign nationality", talent.NewTalent{Name: "陈思远", IDNumber: chen, Nationality: "US"}, []string{"nationality"}},
			{"both documents", talent.NewTalent{Name: "陈思远", IDNumber: chen, PassportNumber: "E12345678", Nationality: "CN"}, []string{"passport_number"}},
			{"no document", talent.NewTalent{Name: "陈思远"}, []string{"id_number"}},
			{"passport without nationality", talent.NewTalent{Name: "Anna Schmidt", PassportNumber: "C01X00T47"}, []string{"nationality"}},
			{"passport with a three-letter nationality", talent.NewTalent{Name: "Anna Schmidt", PassportNumber: "C01X00T47", Nationality: "DEU"}, []string{"nationality"}},
			{"passport with a hyphen", talent.NewTalent{Name: "Anna Schmidt", PassportNumber: "C01-X00T47", Nationality: "DE"}, []string{"passport_number"}},
			{"passport too short", talent.NewTalent{Name: "Anna Schmidt", PassportNumber: "C01", Nationality: "DE"}, []string{"passport_number"}},
			{"name missing", talent.NewTalent{IDNumber: chen}, []string{"name"}},
			{"name a formula", talent.NewTalent{Name: "+陈思远", IDNumber: chen}, []string{"name"}},
			{"name with a bidi isolate", talent.NewTalent{Name: "陈\u2067思远", IDNumber: chen}, []string{"name"}},
			{"name too long", talent.NewTalent{Name: strings.Repeat("陈", 201), IDNumber: chen}, []string{"name"}},
			{"employer code invalid", talent.NewTalent{Name: "陈思远", IDNumber: chen, EmployerCreditCode: employer[:17] + "0"}, []string{"employer_credit_code"}},
			{"several at once", talent.NewTalent{Name: "=1", EmployerCreditCode: "x"}, []string{"name", "id_number", "employer_credit_code"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before := registrytest.AuditLength(t, reg)
				_, err := reg.RegisterTalent(as(talentIssuer), tc.in)
				if got := registrytest.Violated(err); !slices.Equal(got, tc.wantFields) {
					t.Errorf("RegisterTalent = %v; want violations on %v, got %v", err, tc.wantFields, got)
				}
				if err != nil && strings.Contains(err.Error(), chen[6:14]) {
					t.Errorf("the refusal repeats the identity number: %v", err)
				}
				if after := registrytest.AuditLength(t, reg); after != before {
					t.Errorf("a refused registration wrote %d audit events", after-before)
				}
			})
		}
		t.Run("employer not registered", func(t *testing.T) {
			_, err := reg.RegisterTalent(as(talentIssuer), talent.NewTalent{Name: "陈思远", IDNumber: chen, EmployerCreditCode: code(t, 999)})
			if registry.KindOf(err) != registry.KindNotFound || !strings.Contains(err.Error(), "employer_credit_code") {
				t.Errorf("RegisterTalent with an unregistered employer = %v, want not found naming employer_credit_code", err)
			}
		})
	})
}

func TestRegisterTalentDocuments(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		reg, _ := registrytest.Open(t, db)
		employer := code(t, 1)
		registerEnterprises(t, reg, employer)
		tests := []struct {
			name                        string
			in                          talent.NewTalent
			wantMasked, wantNationality string
		}{
			{"id number", talent.NewTalent{Name: "陈思远", IDNumber: "11010519491231002X", EmployerCreditCode: employer}, "1101**********002X", "CN"},
			{"id number with lower-case x and CN", talent.NewTalent{Name: "林", IDNumber: " " + strings.ToLower(idNumber(t, "19900101", 2)) + " ", Nationality: "cn"}, ident.MaskIDNumber(idNumber(t, "19900101", 2)), "CN"},
			{"born today (CST)", talent.NewTalent{Name: "新生", IDNumber: idNumber(t, "20260615", 3)}, ident.MaskIDNumber(idNumber(t, "20260615", 3)), "CN"},
			{"passport", talent.NewTalent{Name: "Anna Schmidt", PassportNumber: "c01x00t47", Nationality: "de"}, "C0*****47", "DE"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				got, err := reg.RegisterTalent(as(talentIssuer), tc.in)
				if err != nil {
					t.Fatal(err)
				}
				if got.IDNumberMasked != tc.wantMasked || got.Nationality != tc.wantNationality || got.EmployerCreditCode != tc.in.EmployerCreditCode {
					t.Errorf("registered %+v; want masked %s, nationality %s, employer %q", got, tc.wantMasked, tc.wantNationality, tc.in.EmployerCreditCode)
				}
				read, err := reg.GetTalent(as(viewer), got.ID)
				if err != nil || read != got {
					t.Errorf("read back %+v, %v; want %+v", read, err, got)
				}
			})
		}
	})
}

func TestRegisterTalentAuthorization(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		reg, _ := registrytest.Open(t, db)
		employer := code(t, 1)
		registerEnterprises(t, reg, employer)
		tests := []struct {
			name string
			who  [2]string
			ok   bool
		}{
			{"talent-office issuer", talentIssuer, true},
			{"another bureau's issuer", economyIssuer, true},
			{"bureau viewer", viewer, false},
			{"the employer's member", member(employer), false},
			{"the employer's talent assessor", [2]string{"talent-assessor", "enterprise:" + employer}, false},
			{"park operator", operator, false},
			{"auditor", auditor, false},
			{"admin", admin, false},
		}
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before := registrytest.AuditLength(t, reg)
				got, err := reg.RegisterTalent(as(tc.who), talent.NewTalent{Name: "陈思远", IDNumber: idNumber(t, "19800101", 10+i), EmployerCreditCode: employer})
				written := registrytest.AuditLength(t, reg) - before
				if tc.ok {
					if err != nil || got.ID == "" {
						t.Fatalf("RegisterTalent = %+v, %v", got, err)
					}
					if written != 1 {
						t.Errorf("registration wrote %d audit events, want 1", written)
					}
					return
				}
				if registry.KindOf(err) != registry.KindPermissionDenied {
					t.Errorf("RegisterTalent as %v = %v, want permission denied", tc.who, err)
				}
				if written != 0 {
					t.Errorf("a refused registration wrote %d audit events", written)
				}
			})
		}
	})
}

// TestRegisterTalentOnce checks that a person is registered once per
// identity document, found by its keyed hash however it is written.
func TestRegisterTalentOnce(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		reg, _ := registrytest.Open(t, db)
		employer := code(t, 1)
		registerEnterprises(t, reg, employer)
		first, err := reg.RegisterTalent(as(talentIssuer), talent.NewTalent{Name: "陈思远", IDNumber: "11010519491231002X"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := reg.RegisterTalent(as(talentIssuer), talent.NewTalent{Name: "Anna Schmidt", PassportNumber: "C01X00T47", Nationality: "DE"}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name      string
			in        talent.NewTalent
			duplicate bool
		}{
			{"same id number", talent.NewTalent{Name: "陈思远", IDNumber: "11010519491231002X"}, true},
			{"lower-case x, another name and an employer", talent.NewTalent{Name: "陈 思远", IDNumber: "11010519491231002x", EmployerCreditCode: employer}, true},
			{"same passport and nationality", talent.NewTalent{Name: "A. Schmidt", PassportNumber: " c01x00t47", Nationality: "de"}, true},
			{"same passport number of another country", talent.NewTalent{Name: "Anna Schmidt", PassportNumber: "C01X00T47", Nationality: "AT"}, false},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before := registrytest.AuditLength(t, reg)
				_, err := reg.RegisterTalent(as(economyIssuer), tc.in)
				written := registrytest.AuditLength(t, reg) - before
				if !tc.duplicate {
					if err != nil || written != 1 {
						t.Errorf("RegisterTalent = %v with %d audit events, want success with 1", err, written)
					}
					return
				}
				if registry.KindOf(err) != registry.KindAlreadyExists || written != 0 {
					t.Errorf("RegisterTalent = %v with %d audit events, want already exists with none", err, written)
				}
				if err != nil && (strings.Contains(err.Error(), "1949") || strings.Contains(err.Error(), "C01X")) {
					t.Errorf("the refusal repeats the document: %v", err)
				}
			})
		}
		got, err := reg.GetTalent(as(talentIssuer), first.ID)
		if err != nil || got.Name != "陈思远" || got.EmployerCreditCode != "" {
			t.Errorf("the first registration was changed: %+v, %v", got, err)
		}
	})
}

// TestIdentityNumbersAreSealed reads every stored column of the talents
// table and of the audit trail, and finds no identity document in clear.
func TestIdentityNumbersAreSealed(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		reg, _ := registrytest.Open(t, db)
		employer := code(t, 1)
		registerEnterprises(t, reg, employer)
		docs := []talent.NewTalent{
			{Name: "陈思远", IDNumber: "11010519491231002X", EmployerCreditCode: employer},
			{Name: "林", IDNumber: idNumber(t, "19900101", 7)},
			{Name: "Anna Schmidt", PassportNumber: "C01X00T47", Nationality: "DE"},
		}
		// The whole numbers, and the parts their masks hide.
		secrets := []string{
			docs[0].IDNumber, docs[0].IDNumber[4:14],
			docs[1].IDNumber, docs[1].IDNumber[4:14],
			docs[2].PassportNumber, docs[2].PassportNumber[2:7],
		}
		for _, d := range docs {
			if _, err := reg.RegisterTalent(as(talentIssuer), d); err != nil {
				t.Fatal(err)
			}
		}
		conn := storetest.OpenSQL(t, db)
		for _, table := range []string{"talents", "audit_events"} {
			t.Run(table, func(t *testing.T) {
				rows, err := conn.Query("SELECT * FROM " + table)
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				cols, err := rows.Columns()
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for rows.Next() {
					n++
					vals := make([]any, len(cols))
					ptrs := make([]any, len(cols))
					for i := range vals {
						ptrs[i] = &vals[i]
					}
					if err := rows.Scan(ptrs...); err != nil {
						t.Fatal(err)
					}
					for i, v := range vals {
						text := fmt.Sprint(v)
						if b, ok := v.([]byte); ok {
							text = string(b)
						}
						for _, s := range secrets {
							if strings.Contains(text, s) {
								t.Errorf("%s.%s holds %s in clear: %q", table, cols[i], s, text)
							}
						}
					}
				}
				if err := rows.Err(); err != nil {
					t.Fatal(err)
				}
				if table == "talents" && n != len(docs) {
					t.Errorf("%d talents stored, want %d", n, len(docs))
				}
			})
		}
		events, _, err := reg.ListAuditEvents(as(auditor), audit.AuditFilter{Entity: "talent"})
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != len(docs) {
			t.Errorf("%d talent audit events, want one per registration (%d)", len(events), len(docs))
		}
		for _, e := range events {
			if e.Action != "talent.register" || !strings.Contains(e.After, "id_number_masked") {
				t.Errorf("audit event %s %s: after %s", e.Action, e.EntityID, e.After)
			}
		}
	})
}

func TestTalentReadScope(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		reg, _ := registrytest.Open(t, db)
		own, other := code(t, 1), code(t, 2)
		registerEnterprises(t, reg, own, other)
		var ids []string // ours, theirs, nobody's
		for i, employer := range []string{own, other, ""} {
			tal, err := reg.RegisterTalent(as(talentIssuer), talent.NewTalent{Name: "人才", IDNumber: idNumber(t, "19850505", 20+i), EmployerCreditCode: employer})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, tal.ID)
		}
		ours, theirs, nobodys := ids[0], ids[1], ids[2]
		const missing = "01970000-0000-7000-8000-000000000000"

		getTests := []struct {
			name string
			who  [2]string
			id   string
			want registry.Kind // KindInternal: read
		}{
			{"member reads its employee", member(own), ours, registry.KindInternal},
			{"talent assessor reads its employee", [2]string{"talent-assessor", "enterprise:" + own}, ours, registry.KindInternal},
			{"member reads another's employee", member(own), theirs, registry.KindPermissionDenied},
			{"member reads a talent without employer", member(own), nobodys, registry.KindPermissionDenied},
			// Members cannot tell a missing talent from another's.
			{"member asks for a missing id", member(own), missing, registry.KindPermissionDenied},
			{"issuer asks for a missing id", talentIssuer, missing, registry.KindNotFound},
			{"auditor asks for a missing id", auditor, missing, registry.KindNotFound},
			{"viewer reads anyone", viewer, theirs, registry.KindInternal},
			{"auditor reads anyone", auditor, nobodys, registry.KindInternal},
			{"park operator", operator, ours, registry.KindPermissionDenied},
			{"admin", admin, ours, registry.KindPermissionDenied},
			{"malformed id", talentIssuer, "42", registry.KindInvalidArgument},
		}
		for _, tc := range getTests {
			t.Run("get/"+tc.name, func(t *testing.T) {
				got, err := reg.GetTalent(as(tc.who), tc.id)
				if tc.want == registry.KindInternal {
					if err != nil || got.ID != tc.id {
						t.Errorf("GetTalent = %+v, %v", got, err)
					}
					return
				}
				if registry.KindOf(err) != tc.want {
					t.Errorf("GetTalent(%s) as %v = %v, want kind %d", tc.id, tc.who, err, tc.want)
				}
			})
		}

		listTests := []struct {
			name string
			who  [2]string
			f    talent.TalentFilter
			want []string
			kind registry.Kind // KindInternal: listed
		}{
			{"issuer lists all", talentIssuer, talent.TalentFilter{}, []string{ours, theirs, nobodys}, registry.KindInternal},
			{"issuer filters by employer", talentIssuer, talent.TalentFilter{EmployerCreditCode: strings.ToLower(other)}, []string{theirs}, registry.KindInternal},
			{"member lists its employees", member(own), talent.TalentFilter{}, []string{ours}, registry.KindInternal},
			{"member names itself", member(own), talent.TalentFilter{EmployerCreditCode: own}, []string{ours}, registry.KindInternal},
			{"member names another", member(own), talent.TalentFilter{EmployerCreditCode: other}, nil, registry.KindPermissionDenied},
			{"park operator", operator, talent.TalentFilter{}, nil, registry.KindPermissionDenied},
			{"bad employer code", talentIssuer, talent.TalentFilter{EmployerCreditCode: "913301"}, nil, registry.KindInvalidArgument},
			{"forged token", talentIssuer, talent.TalentFilter{PageToken: "AAAAAAAAAAAAAAAAAAAAAAAA"}, nil, registry.KindInvalidArgument},
		}
		for _, tc := range listTests {
			t.Run("list/"+tc.name, func(t *testing.T) {
				got, _, err := reg.ListTalents(as(tc.who), tc.f)
				if registry.KindOf(err) != tc.kind && !(tc.kind == registry.KindInternal && err == nil) {
					t.Fatalf("ListTalents(%+v) as %v = %v, want kind %d", tc.f, tc.who, err, tc.kind)
				}
				var listed []string
				for _, x := range got {
					listed = append(listed, x.ID)
				}
				if !slices.Equal(listed, tc.want) {
					t.Errorf("ListTalents(%+v) as %v = %v, want %v", tc.f, tc.who, listed, tc.want)
				}
			})
		}

		t.Run("pages", func(t *testing.T) {
			var seen []string
			token := ""
			for range 4 {
				page, next, err := reg.ListTalents(as(auditor), talent.TalentFilter{PageSize: 1, PageToken: token})
				if err != nil {
					t.Fatal(err)
				}
				for _, x := range page {
					seen = append(seen, x.ID)
				}
				if next == "" {
					break
				}
				tampered := next[:len(next)-1] + map[bool]string{true: "A", false: "B"}[next[len(next)-1] != 'A']
				if _, _, err := reg.ListTalents(as(auditor), talent.TalentFilter{PageSize: 1, PageToken: tampered}); !slices.Equal(registrytest.Violated(err), []string{"page_token"}) {
					t.Errorf("tampered token: %v, want a page_token violation", err)
				}
				token = next
			}
			if !slices.Equal(seen, []string{ours, theirs, nobodys}) {
				t.Errorf("paged through %v, want each talent once in id order", seen)
			}
		})
	})
}
