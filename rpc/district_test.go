package rpc_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"connectrpc.com/connect/v2"
	"connectrpc.com/connect/v2/connectproto"
	"google.golang.org/genproto/googleapis/rpc/errdetails"

	"github.com/hangzhou-ai/registry/registry/registrytest"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// fieldViolation returns the description the BadRequest detail of err
// gives field, and whether there is one.
func fieldViolation(t testing.TB, err error, field string) (string, bool) {
	t.Helper()
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return "", false
	}
	for _, d := range ce.Details() {
		msg, uerr := connectproto.UnmarshalErrorDetail(d)
		if uerr != nil {
			t.Errorf("undecodable error detail %q: %v", d.Type, uerr)
			continue
		}
		if br, ok := msg.(*errdetails.BadRequest); ok {
			for _, fv := range br.GetFieldViolations() {
				if fv.GetField() == field {
					return fv.GetDescription(), true
				}
			}
		}
	}
	return "", false
}

// TestDistricts registers enterprises and parks with a district given by
// its GB/T 2260 code and by its name in either script, and checks that all
// are stored as the same district and found by every form.
func TestDistricts(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		economy := env.As("issuer", "bureau:economy-it")
		auditor := env.As("auditor", "auditor")
		ctx := t.Context()
		n := 0
		newCode := func() string {
			n++
			return registrytest.CreditCode(t, fmt.Sprintf("91330108MA2BJ%04d", n))
		}
		register := func(t *testing.T, name, district string) (*registryv1.Enterprise, error) {
			t.Helper()
			res, err := economy.Enterprise.RegisterEnterprise(ctx, &registryv1.RegisterEnterpriseRequest{CreditCode: newCode(), Name: name, District: district})
			return res.GetEnterprise(), err
		}

		var binjiang []string
		forms := []struct{ name, district string }{
			{"code", "330108"},
			{"simplified name", "滨江区"},
			{"traditional name", "濱江區"}, // zh-Hant
			{"mixed scripts", "濱江区"},    // zh-Hant
			{"surrounding spaces", " 滨江区 "},
		}
		for _, f := range forms {
			t.Run("register by "+f.name, func(t *testing.T) {
				e, err := register(t, "杭州滨江企业 "+f.name, f.district)
				if err != nil {
					t.Fatal(err)
				}
				binjiang = append(binjiang, e.CreditCode)
				got, err := auditor.Enterprise.GetEnterprise(ctx, &registryv1.GetEnterpriseRequest{CreditCode: e.CreditCode})
				if err != nil {
					t.Fatal(err)
				}
				for _, x := range []*registryv1.Enterprise{e, got.Enterprise} {
					if x.District != "330108" || x.DistrictName != "滨江区" {
						t.Errorf("district %q (%q), want 330108 (滨江区)", x.District, x.DistrictName)
					}
				}
			})
		}
		// A row written by a registry that stored the Traditional name.
		legacy, err := register(t, "杭州旧数据科技有限公司", "")
		if err != nil {
			t.Fatal(err)
		}
		conn := storetest.OpenSQL(t, db)
		if _, err := conn.Exec(storetest.Rebind(db, `UPDATE enterprises SET district = ? WHERE credit_code = ?`), "濱江區", legacy.CreditCode); err != nil { // zh-Hant
			t.Fatal(err)
		}
		binjiang = append(binjiang, legacy.CreditCode)
		t.Run("stored Traditional name reads as the district", func(t *testing.T) {
			got, err := auditor.Enterprise.GetEnterprise(ctx, &registryv1.GetEnterpriseRequest{CreditCode: legacy.CreditCode})
			if err != nil {
				t.Fatal(err)
			}
			if got.Enterprise.District != "330108" || got.Enterprise.DistrictName != "滨江区" {
				t.Errorf("district %q (%q), want 330108 (滨江区)", got.Enterprise.District, got.Enterprise.DistrictName)
			}
		})
		// Enterprises elsewhere, and without a district, that no Binjiang
		// filter may find; the first carries "滨江" in its Traditional name.
		xihu, err := register(t, "杭州濱江智算科技有限公司", "西湖区") // zh-Hant
		if err != nil {
			t.Fatal(err)
		}
		qiantang, err := register(t, "杭州钱塘模型科技有限公司", "330114")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := register(t, "杭州无区科技有限公司", ""); err != nil {
			t.Fatal(err)
		}
		slices.Sort(binjiang)

		list := func(t *testing.T, req *registryv1.ListEnterprisesRequest) []string {
			t.Helper()
			res, err := auditor.Enterprise.ListEnterprises(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			var codes []string
			for _, e := range res.Enterprises {
				codes = append(codes, e.CreditCode)
			}
			slices.Sort(codes)
			return codes
		}
		for _, form := range []string{"330108", "滨江区", "濱江區", "濱江区", " 330108 "} { // zh-Hant
			t.Run("filter by "+form, func(t *testing.T) {
				if got := list(t, &registryv1.ListEnterprisesRequest{District: form}); !slices.Equal(got, binjiang) {
					t.Errorf("district %q found %q, want %q", form, got, binjiang)
				}
			})
		}
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"滨江区", binjiang},
			{"濱江區", binjiang}, // zh-Hant
			{"330108", binjiang},
			{"滨江智算", []string{xihu.CreditCode}},
			{"濱江智算", []string{xihu.CreditCode}},     // zh-Hant
			{"錢塘模型", []string{qiantang.CreditCode}}, // zh-Hant
			{"钱塘区", []string{qiantang.CreditCode}},
		} {
			t.Run("query "+tc.query, func(t *testing.T) {
				if got := list(t, &registryv1.ListEnterprisesRequest{Query: tc.query}); !slices.Equal(got, tc.want) {
					t.Errorf("query %q found %q, want %q", tc.query, got, tc.want)
				}
			})
		}

		t.Run("park district", func(t *testing.T) {
			res, err := economy.Park.RegisterPark(ctx, &registryv1.RegisterParkRequest{Code: "binjiang", Name: "滨江人工智能产业园", District: "濱江區", OperatorOrg: "滨江区人民政府"}) // zh-Hant
			if err != nil {
				t.Fatal(err)
			}
			parks, err := auditor.Park.ListParks(ctx, &registryv1.ListParksRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if len(parks.Parks) != 1 {
				t.Fatalf("%d parks, want 1", len(parks.Parks))
			}
			for _, p := range []*registryv1.Park{res.Park, parks.Parks[0]} {
				if p.District != "330108" || p.DistrictName != "滨江区" {
					t.Errorf("park district %q (%q), want 330108 (滨江区)", p.District, p.DistrictName)
				}
			}
		})

		unknown := []string{"滨江", "330100", "330199", "Binjiang", "杭州市滨江区", "上海市黄浦区", "330108滨江区"}
		refusals := map[string]func(t *testing.T, v string) error{
			"RegisterEnterprise": func(t *testing.T, v string) error {
				_, err := register(t, "杭州未知区科技有限公司", v)
				return err
			},
			"ListEnterprises": func(t *testing.T, v string) error {
				_, err := auditor.Enterprise.ListEnterprises(ctx, &registryv1.ListEnterprisesRequest{District: v})
				return err
			},
			"RegisterPark": func(t *testing.T, v string) error {
				_, err := economy.Park.RegisterPark(ctx, &registryv1.RegisterParkRequest{Code: fmt.Sprintf("unknown-%d", len(v)), Name: "未知区园区", District: v})
				return err
			},
		}
		for rpcName, call := range refusals {
			for _, v := range unknown {
				t.Run(rpcName+" refuses "+v, func(t *testing.T) {
					err := call(t, v)
					if rpctest.Code(err) != connect.CodeInvalidArgument {
						t.Fatalf("district %q: %v, want invalid_argument", v, err)
					}
					desc, ok := fieldViolation(t, err, "district")
					if !ok {
						t.Fatalf("district %q: no violation on district in %v", v, err)
					}
					for _, form := range []string{"GB/T 2260", "330108", "滨江区", "Traditional"} {
						if !strings.Contains(desc, form) {
							t.Errorf("violation %q does not name the accepted form %q", desc, form)
						}
					}
				})
			}
		}
		t.Run("refusals stored nothing", func(t *testing.T) {
			res, err := auditor.Enterprise.ListEnterprises(ctx, &registryv1.ListEnterprisesRequest{Query: "未知区"})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Enterprises) != 0 {
				t.Errorf("%d enterprises registered with an unknown district", len(res.Enterprises))
			}
		})
	})
}
