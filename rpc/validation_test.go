package rpc_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
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

// Shared helpers of validation_test.go, lifecycle_test.go and audit_test.go.

// knownCreditCode is a real, valid unified social credit code.
const knownCreditCode = "91110000600037341L"

// testCreditCode returns the n-th valid credit code of the test suite.
func testCreditCode(t testing.TB, n int) string {
	t.Helper()
	return registrytest.CreditCode(t, fmt.Sprintf("91330100MA%07d", n))
}

// idNumberWithCheck appends the ISO 7064 MOD 11-2 check character to 17
// digits without judging the birth date, so that numbers whose only fault
// is their birth date can be built.
func idNumberWithCheck(first17 string) string {
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(first17[i]-'0') * weights[i]
	}
	return first17 + string("10X98765432"[sum%11])
}

// badRequestFields returns the fields named by the google.rpc.BadRequest
// details of err.
func badRequestFields(t testing.TB, err error) []string {
	t.Helper()
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return nil
	}
	var fields []string
	for _, d := range ce.Details() {
		msg, uerr := connectproto.UnmarshalErrorDetail(d)
		if uerr != nil {
			t.Errorf("undecodable error detail %q: %v", d.Type, uerr)
			continue
		}
		if br, ok := msg.(*errdetails.BadRequest); ok {
			for _, fv := range br.GetFieldViolations() {
				fields = append(fields, fv.GetField())
			}
		}
	}
	return fields
}

// leakMarkers are fragments of database or driver text that must never
// reach a caller.
var leakMarkers = regexp.MustCompile(`(?i)\b(select|insert into|update|delete from|from|where|pq|sqlite|sql|ent|syntax error|constraint|invalid byte sequence|violates|duplicate key)\b`)

// assertNoSQLLeak fails when err's message carries database text.
func assertNoSQLLeak(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if m := leakMarkers.FindString(err.Error()); m != "" {
		t.Errorf("error leaks database text %q: %v", m, err)
	}
}

// registryState is what a caller can see of the whole registry: the length
// of the audit chain and every enterprise, talent and designation.
type registryState struct {
	AuditEvents  int64
	Enterprises  []string
	Talents      []string
	Designations []string
}

// stateOf reads the registry as the auditor.
func stateOf(t testing.TB, ctx context.Context, auditor *rpctest.Clients) registryState {
	t.Helper()
	var s registryState
	v, err := auditor.Audit.VerifyAuditChain(ctx, &registryv1.VerifyAuditChainRequest{})
	if err != nil {
		t.Fatalf("verify audit chain: %v", err)
	}
	if !v.Ok {
		t.Fatalf("audit chain broken: %+v", v)
	}
	s.AuditEvents = v.EventsChecked
	for token := ""; ; {
		res, err := auditor.Enterprise.ListEnterprises(ctx, &registryv1.ListEnterprisesRequest{PageSize: 500, PageToken: token})
		if err != nil {
			t.Fatalf("list enterprises: %v", err)
		}
		for _, e := range res.Enterprises {
			s.Enterprises = append(s.Enterprises, e.CreditCode+"|"+e.Name+"|"+e.District)
		}
		if token = res.NextPageToken; token == "" {
			break
		}
	}
	for token := ""; ; {
		res, err := auditor.Talent.ListTalents(ctx, &registryv1.ListTalentsRequest{PageSize: 500, PageToken: token})
		if err != nil {
			t.Fatalf("list talents: %v", err)
		}
		for _, x := range res.Talents {
			s.Talents = append(s.Talents, x.Id+"|"+x.Name+"|"+x.IdNumberMasked+"|"+x.Nationality+"|"+x.EmployerCreditCode)
		}
		if token = res.NextPageToken; token == "" {
			break
		}
	}
	for token := ""; ; {
		res, err := auditor.Designation.ListDesignations(ctx, &registryv1.ListDesignationsRequest{PageSize: 500, PageToken: token})
		if err != nil {
			t.Fatalf("list designations: %v", err)
		}
		for _, d := range res.Designations {
			s.Designations = append(s.Designations, fmt.Sprintf("%s|%s|%s|%d|%s..%s|%s|%s|%s", d.Id, d.Type, d.Status, d.Version, d.ValidFrom, d.ValidUntil, d.DocumentNumber, d.StatusReason, d.Level))
		}
		if token = res.NextPageToken; token == "" {
			break
		}
	}
	return s
}

func (s registryState) equal(o registryState) bool {
	return s.AuditEvents == o.AuditEvents && slices.Equal(s.Enterprises, o.Enterprises) &&
		slices.Equal(s.Talents, o.Talents) && slices.Equal(s.Designations, o.Designations)
}

// rejectionCase is a request the registry must refuse without changing
// anything.
type rejectionCase struct {
	name string
	call func(ctx context.Context) error
	code connect.Code
	// fields lists the acceptable names of the offending field; for
	// invalid_argument one of them must appear in the BadRequest detail.
	fields []string
}

func runRejections(t *testing.T, ctx context.Context, auditor *rpctest.Clients, cases []rejectionCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := stateOf(t, ctx, auditor)
			err := tc.call(ctx)
			if got := rpctest.Code(err); got != tc.code {
				t.Errorf("code = %v (%v), want %v", got, err, tc.code)
			}
			assertNoSQLLeak(t, err)
			if tc.code == connect.CodeInvalidArgument {
				got := badRequestFields(t, err)
				named := false
				for _, f := range tc.fields {
					named = named || slices.Contains(got, f)
				}
				if !named {
					t.Errorf("BadRequest fields = %q, want one of %q (error %v)", got, tc.fields, err)
				}
			}
			if after := stateOf(t, ctx, auditor); !after.equal(before) {
				t.Errorf("a refused request changed the registry:\nbefore %+v\nafter  %+v", before, after)
			}
		})
	}
}

func TestValidation(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		ctx := t.Context()
		economy := env.As("issuer", "bureau:economy-it")
		talentOffice := env.As("issuer", "bureau:talent-office")
		auditor := env.As("auditor", "auditor")

		holder := testCreditCode(t, 1)
		if _, err := economy.Enterprise.RegisterEnterprise(ctx, &registryv1.RegisterEnterpriseRequest{CreditCode: holder, Name: "杭州测试科技有限公司", District: "西湖区"}); err != nil {
			t.Fatal(err)
		}
		knownID := registrytest.IDNumber(t, "33010619900101123")
		tal, err := economy.Talent.RegisterTalent(ctx, &registryv1.RegisterTalentRequest{Name: "张三", IdNumber: knownID, EmployerCreditCode: holder})
		if err != nil {
			t.Fatal(err)
		}
		talentID := tal.Talent.Id
		granted, err := economy.Designation.GrantDesignation(ctx, &registryv1.GrantDesignationRequest{
			Type: "little-giant", EnterpriseCreditCode: holder, ValidFrom: "2025-01-01", ValidUntil: "2027-12-31", DocumentNumber: "工信部企业函〔2024〕135号",
		})
		if err != nil {
			t.Fatal(err)
		}
		designationID := granted.Designation.Id
		revoked, err := economy.Designation.GrantDesignation(ctx, &registryv1.GrantDesignationRequest{
			Type: "single-champion", EnterpriseCreditCode: holder, ValidFrom: "2025-01-01", ValidUntil: "2027-12-31", DocumentNumber: "工信部联企业〔2024〕1号",
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := economy.Designation.RevokeDesignation(ctx, &registryv1.RevokeDesignationRequest{Id: revoked.Designation.Id, Reason: "withdrawn"}); err != nil {
			t.Fatal(err)
		}

		// Requests the rules allow, as controls for the refusals below.
		t.Run("accepted", func(t *testing.T) {
			accepted := []struct {
				name string
				call func(ctx context.Context) error
			}{
				{"known credit code", func(ctx context.Context) error {
					_, err := economy.Enterprise.RegisterEnterprise(ctx, &registryv1.RegisterEnterpriseRequest{CreditCode: knownCreditCode, Name: "已知企业"})
					return err
				}},
				{"name of exactly 200 characters", func(ctx context.Context) error {
					_, err := economy.Enterprise.RegisterEnterprise(ctx, &registryv1.RegisterEnterpriseRequest{CreditCode: testCreditCode(t, 2), Name: strings.Repeat("名", 200)})
					return err
				}},
				{"passport with nationality", func(ctx context.Context) error {
					_, err := economy.Talent.RegisterTalent(ctx, &registryv1.RegisterTalentRequest{Name: "Jane Doe", PassportNumber: "E12345678", Nationality: "US"})
					return err
				}},
				{"identity number born today", func(ctx context.Context) error {
					_, err := economy.Talent.RegisterTalent(ctx, &registryv1.RegisterTalentRequest{Name: "今日生", IdNumber: registrytest.IDNumber(t, "33010620260615001")})
					return err
				}},
				{"talent-recognition with level A", func(ctx context.Context) error {
					_, err := talentOffice.Designation.GrantDesignation(ctx, &registryv1.GrantDesignationRequest{
						Type: "talent-recognition", TalentId: talentID, Level: "A", ValidFrom: "2025-01-01", ValidUntil: "2025-01-01", DocumentNumber: strings.Repeat("号", 100),
					})
					return err
				}},
			}
			for _, tc := range accepted {
				t.Run(tc.name, func(t *testing.T) {
					if err := tc.call(ctx); err != nil {
						t.Fatalf("refused: %v", err)
					}
				})
			}
		})

		registerEnterprise := func(code, name, district string) func(context.Context) error {
			return func(ctx context.Context) error {
				_, err := economy.Enterprise.RegisterEnterprise(ctx, &registryv1.RegisterEnterpriseRequest{CreditCode: code, Name: name, District: district})
				return err
			}
		}
		registerTalent := func(req *registryv1.RegisterTalentRequest) func(context.Context) error {
			return func(ctx context.Context) error {
				_, err := economy.Talent.RegisterTalent(ctx, req)
				return err
			}
		}
		// grantAs sends a grant derived from a valid little-giant grant.
		grantAs := func(c *rpctest.Clients, edit func(*registryv1.GrantDesignationRequest)) func(context.Context) error {
			return func(ctx context.Context) error {
				req := &registryv1.GrantDesignationRequest{
					Type: "little-giant", EnterpriseCreditCode: holder, ValidFrom: "2025-01-01", ValidUntil: "2027-12-31", DocumentNumber: "工信部企业函〔2025〕9号",
				}
				edit(req)
				_, err := c.Designation.GrantDesignation(ctx, req)
				return err
			}
		}
		grant := func(edit func(*registryv1.GrantDesignationRequest)) func(context.Context) error {
			return grantAs(economy, edit)
		}
		recognise := func(edit func(*registryv1.GrantDesignationRequest)) func(context.Context) error {
			return grantAs(talentOffice, func(r *registryv1.GrantDesignationRequest) {
				r.Type, r.EnterpriseCreditCode, r.TalentId, r.Level, r.DocumentNumber = "talent-recognition", "", talentID, "C", "杭人才〔2025〕7号"
				edit(r)
			})
		}
		list := func(req *registryv1.ListDesignationsRequest) func(context.Context) error {
			return func(ctx context.Context) error {
				_, err := auditor.Designation.ListDesignations(ctx, req)
				return err
			}
		}
		invalid := connect.CodeInvalidArgument
		long201 := strings.Repeat("名", 201)
		// notReturnedToken is valid base64url of bytes no registry key holds
		// (0xff 0xfe is not even UTF-8).
		const notReturnedToken = "__4"

		t.Run("invalid_argument", func(t *testing.T) {
			runRejections(t, ctx, auditor, []rejectionCase{
				// Credit codes (GB 32100-2015).
				{"credit code wrong check character", registerEnterprise("91110000600037341M", "企业", ""), invalid, []string{"credit_code"}},
				{"credit code one body character changed", registerEnterprise("91110000600037351L", "企业", ""), invalid, []string{"credit_code"}},
				{"credit code first character changed", registerEnterprise("81110000600037341L", "企业", ""), invalid, []string{"credit_code"}},
				{"credit code forbidden letter I", registerEnterprise("9111I000600037341L", "企业", ""), invalid, []string{"credit_code"}},
				{"credit code 17 characters", registerEnterprise("91110000600037341", "企业", ""), invalid, []string{"credit_code"}},
				{"credit code missing", registerEnterprise("", "企业", ""), invalid, []string{"credit_code"}},
				{"grant to invalid credit code", grant(func(r *registryv1.GrantDesignationRequest) { r.EnterpriseCreditCode = "91110000600037341M" }), invalid, []string{"enterprise_credit_code"}},
				{"talent employer invalid credit code", registerTalent(&registryv1.RegisterTalentRequest{Name: "李四", IdNumber: registrytest.IDNumber(t, "33010619850505001"), EmployerCreditCode: "91110000600037341M"}), invalid, []string{"employer_credit_code"}},

				// Identity numbers (GB 11643-1999).
				{"identity number wrong check digit", registerTalent(&registryv1.RegisterTalentRequest{Name: "李四", IdNumber: knownID[:17] + string("0123456789X"[(strings.IndexByte("0123456789X", knownID[17])+1)%11])}), invalid, []string{"id_number"}},
				{"identity number one digit changed", registerTalent(&registryv1.RegisterTalentRequest{Name: "李四", IdNumber: "43" + knownID[2:]}), invalid, []string{"id_number"}},
				{"identity number birth date 1990-02-30", registerTalent(&registryv1.RegisterTalentRequest{Name: "李四", IdNumber: idNumberWithCheck("33010619900230123")}), invalid, []string{"id_number"}},
				{"identity number birth month 13", registerTalent(&registryv1.RegisterTalentRequest{Name: "李四", IdNumber: idNumberWithCheck("33010619901301123")}), invalid, []string{"id_number"}},
				{"identity number born tomorrow", registerTalent(&registryv1.RegisterTalentRequest{Name: "李四", IdNumber: registrytest.IDNumber(t, "33010620260616001")}), invalid, []string{"id_number"}},
				{"identity number born 1899", registerTalent(&registryv1.RegisterTalentRequest{Name: "李四", IdNumber: idNumberWithCheck("33010618991231123")}), invalid, []string{"id_number"}},
				{"identity number 17 digits", registerTalent(&registryv1.RegisterTalentRequest{Name: "李四", IdNumber: knownID[:17]}), invalid, []string{"id_number"}},
				{"identity number with foreign nationality", registerTalent(&registryv1.RegisterTalentRequest{Name: "李四", IdNumber: registrytest.IDNumber(t, "33010619850505001"), Nationality: "US"}), invalid, []string{"nationality"}},
				{"passport without nationality", registerTalent(&registryv1.RegisterTalentRequest{Name: "John Roe", PassportNumber: "E98765432"}), invalid, []string{"nationality"}},
				{"both identity number and passport", registerTalent(&registryv1.RegisterTalentRequest{Name: "李四", IdNumber: registrytest.IDNumber(t, "33010619850505001"), PassportNumber: "E98765432", Nationality: "CN"}), invalid, []string{"id_number", "passport_number"}},
				{"neither identity number nor passport", registerTalent(&registryv1.RegisterTalentRequest{Name: "李四"}), invalid, []string{"id_number", "passport_number"}},

				// Dates.
				{"valid_from month 13", grant(func(r *registryv1.GrantDesignationRequest) { r.ValidFrom = "2025-13-01" }), invalid, []string{"valid_from"}},
				{"valid_from slashes", grant(func(r *registryv1.GrantDesignationRequest) { r.ValidFrom = "2025/01/01" }), invalid, []string{"valid_from"}},
				{"valid_from unpadded", grant(func(r *registryv1.GrantDesignationRequest) { r.ValidFrom = "2025-1-1" }), invalid, []string{"valid_from"}},
				{"valid_from missing", grant(func(r *registryv1.GrantDesignationRequest) { r.ValidFrom = "" }), invalid, []string{"valid_from"}},
				{"valid_until February 30", grant(func(r *registryv1.GrantDesignationRequest) { r.ValidUntil = "2027-02-30" }), invalid, []string{"valid_until"}},
				{"valid_until with time", grant(func(r *registryv1.GrantDesignationRequest) { r.ValidUntil = "2027-12-31T00:00:00Z" }), invalid, []string{"valid_until"}},
				{"valid_until missing", grant(func(r *registryv1.GrantDesignationRequest) { r.ValidUntil = "" }), invalid, []string{"valid_until"}},
				{"valid_until before valid_from", grant(func(r *registryv1.GrantDesignationRequest) { r.ValidFrom, r.ValidUntil = "2026-01-02", "2026-01-01" }), invalid, []string{"valid_until", "valid_from"}},
				{"as_of malformed", list(&registryv1.ListDesignationsRequest{AsOf: "2025-02-29"}), invalid, []string{"as_of"}},
				{"renew valid_until malformed", func(ctx context.Context) error {
					_, err := economy.Designation.RenewDesignation(ctx, &registryv1.RenewDesignationRequest{Id: designationID, ValidUntil: "31.12.2029", DocumentNumber: "续〔2026〕1号"})
					return err
				}, invalid, []string{"valid_until"}},
				{"renew valid_until before valid_from", func(ctx context.Context) error {
					_, err := economy.Designation.RenewDesignation(ctx, &registryv1.RenewDesignationRequest{Id: designationID, ValidUntil: "2024-12-31", DocumentNumber: "续〔2026〕1号"})
					return err
				}, invalid, []string{"valid_until"}},

				// Types and subjects.
				{"unknown type", grant(func(r *registryv1.GrantDesignationRequest) { r.Type = "no-such-designation" }), invalid, []string{"type"}},
				{"type missing", grant(func(r *registryv1.GrantDesignationRequest) { r.Type = "" }), invalid, []string{"type"}},
				{"list unknown type", list(&registryv1.ListDesignationsRequest{Type: "no-such-designation"}), invalid, []string{"type"}},
				{"list unknown status", list(&registryv1.ListDesignationsRequest{Status: registryv1.DesignationStatus(99)}), invalid, []string{"status"}},
				{"enterprise type with talent_id", grant(func(r *registryv1.GrantDesignationRequest) { r.TalentId = talentID }), invalid, []string{"talent_id"}},
				{"enterprise type without enterprise", grant(func(r *registryv1.GrantDesignationRequest) { r.EnterpriseCreditCode = "" }), invalid, []string{"enterprise_credit_code"}},
				{"talent type with enterprise code", grantAs(economy, func(r *registryv1.GrantDesignationRequest) {
					r.Type, r.TalentId, r.DocumentNumber = "competition-award", talentID, "杭经信〔2025〕3号"
				}), invalid, []string{"enterprise_credit_code"}},
				{"talent type without talent", recognise(func(r *registryv1.GrantDesignationRequest) { r.TalentId = "" }), invalid, []string{"talent_id"}},

				// Levels.
				{"talent-recognition without level", recognise(func(r *registryv1.GrantDesignationRequest) { r.Level = "" }), invalid, []string{"level"}},
				{"talent-recognition level F", recognise(func(r *registryv1.GrantDesignationRequest) { r.Level = "F" }), invalid, []string{"level"}},
				{"talent-recognition level AB", recognise(func(r *registryv1.GrantDesignationRequest) { r.Level = "AB" }), invalid, []string{"level"}},
				{"talent-recognition level 1", recognise(func(r *registryv1.GrantDesignationRequest) { r.Level = "1" }), invalid, []string{"level"}},
				{"little-giant with level", grant(func(r *registryv1.GrantDesignationRequest) { r.Level = "A" }), invalid, []string{"level"}},
				{"competition-award (talent type without levels) with level", grantAs(economy, func(r *registryv1.GrantDesignationRequest) {
					r.Type, r.EnterpriseCreditCode, r.TalentId, r.Level, r.DocumentNumber = "competition-award", "", talentID, "B", "杭经信〔2025〕4号"
				}), invalid, []string{"level"}},

				// Reasons.
				{"suspend without reason", func(ctx context.Context) error {
					_, err := economy.Designation.SuspendDesignation(ctx, &registryv1.SuspendDesignationRequest{Id: designationID})
					return err
				}, invalid, []string{"reason"}},
				{"suspend with blank reason", func(ctx context.Context) error {
					_, err := economy.Designation.SuspendDesignation(ctx, &registryv1.SuspendDesignationRequest{Id: designationID, Reason: " \t "})
					return err
				}, invalid, []string{"reason"}},
				{"revoke without reason", func(ctx context.Context) error {
					_, err := economy.Designation.RevokeDesignation(ctx, &registryv1.RevokeDesignationRequest{Id: designationID})
					return err
				}, invalid, []string{"reason"}},
				{"revoke with reason too long", func(ctx context.Context) error {
					_, err := economy.Designation.RevokeDesignation(ctx, &registryv1.RevokeDesignationRequest{Id: designationID, Reason: strings.Repeat("因", 1001)})
					return err
				}, invalid, []string{"reason"}},

				// Text.
				{"enterprise name 201 characters", registerEnterprise(testCreditCode(t, 3), long201, ""), invalid, []string{"name"}},
				{"enterprise name missing", registerEnterprise(testCreditCode(t, 3), "  ", ""), invalid, []string{"name"}},
				{"talent name 201 characters", registerTalent(&registryv1.RegisterTalentRequest{Name: long201, IdNumber: registrytest.IDNumber(t, "33010619850505001")}), invalid, []string{"name"}},
				{"document_number 101 characters", grant(func(r *registryv1.GrantDesignationRequest) { r.DocumentNumber = strings.Repeat("号", 101) }), invalid, []string{"document_number"}},
				{"document_number missing", grant(func(r *registryv1.GrantDesignationRequest) { r.DocumentNumber = "" }), invalid, []string{"document_number"}},
				{"renew document_number 101 characters", func(ctx context.Context) error {
					_, err := economy.Designation.RenewDesignation(ctx, &registryv1.RenewDesignationRequest{Id: designationID, ValidUntil: "2029-12-31", DocumentNumber: strings.Repeat("号", 101)})
					return err
				}, invalid, []string{"document_number"}},
				{"enterprise name with NUL", registerEnterprise(testCreditCode(t, 3), "企业\x00名", ""), invalid, []string{"name"}},
				{"enterprise name with escape", registerEnterprise(testCreditCode(t, 3), "企业\x1b[31m", ""), invalid, []string{"name"}},
				{"enterprise name with DEL", registerEnterprise(testCreditCode(t, 3), "企业\x7f", ""), invalid, []string{"name"}},
				{"enterprise name with newline", registerEnterprise(testCreditCode(t, 3), "企业\n名", ""), invalid, []string{"name"}},
				{"enterprise district with bell", registerEnterprise(testCreditCode(t, 3), "企业", "西湖\a区"), invalid, []string{"district"}},
				{"talent name with NUL", registerTalent(&registryv1.RegisterTalentRequest{Name: "李\x00四", IdNumber: registrytest.IDNumber(t, "33010619850505001")}), invalid, []string{"name"}},
				{"document_number with C1 control", grant(func(r *registryv1.GrantDesignationRequest) { r.DocumentNumber = "工信部\u0085号" }), invalid, []string{"document_number"}},
				{"document_number with newline", grant(func(r *registryv1.GrantDesignationRequest) { r.DocumentNumber = "工信部\n135号" }), invalid, []string{"document_number"}},
				{"note with NUL", grant(func(r *registryv1.GrantDesignationRequest) { r.Note = "备注\x00" }), invalid, []string{"note"}},
				{"suspend reason with NUL", func(ctx context.Context) error {
					_, err := economy.Designation.SuspendDesignation(ctx, &registryv1.SuspendDesignationRequest{Id: designationID, Reason: "检查\x00"})
					return err
				}, invalid, []string{"reason"}},

				// Paging.
				{"list enterprises negative page_size", func(ctx context.Context) error {
					_, err := auditor.Enterprise.ListEnterprises(ctx, &registryv1.ListEnterprisesRequest{PageSize: -1})
					return err
				}, invalid, []string{"page_size"}},
				{"list talents negative page_size", func(ctx context.Context) error {
					_, err := auditor.Talent.ListTalents(ctx, &registryv1.ListTalentsRequest{PageSize: -1})
					return err
				}, invalid, []string{"page_size"}},
				{"list designations negative page_size", list(&registryv1.ListDesignationsRequest{PageSize: -5}), invalid, []string{"page_size"}},
				{"list audit events negative page_size", func(ctx context.Context) error {
					_, err := auditor.Audit.ListAuditEvents(ctx, &registryv1.ListAuditEventsRequest{PageSize: -1})
					return err
				}, invalid, []string{"page_size"}},
				{"list enterprises page_token not base64", func(ctx context.Context) error {
					_, err := auditor.Enterprise.ListEnterprises(ctx, &registryv1.ListEnterprisesRequest{PageToken: "!!not a token!!"})
					return err
				}, invalid, []string{"page_token"}},
				{"list talents page_token not base64", func(ctx context.Context) error {
					_, err := auditor.Talent.ListTalents(ctx, &registryv1.ListTalentsRequest{PageToken: "!!not a token!!"})
					return err
				}, invalid, []string{"page_token"}},
				{"list designations page_token not base64", list(&registryv1.ListDesignationsRequest{PageToken: "!!not a token!!"}), invalid, []string{"page_token"}},
				{"list audit events page_token not base64", func(ctx context.Context) error {
					_, err := auditor.Audit.ListAuditEvents(ctx, &registryv1.ListAuditEventsRequest{PageToken: "!!not a token!!"})
					return err
				}, invalid, []string{"page_token"}},
				{"list audit events page_token not a sequence", func(ctx context.Context) error {
					_, err := auditor.Audit.ListAuditEvents(ctx, &registryv1.ListAuditEventsRequest{PageToken: notReturnedToken})
					return err
				}, invalid, []string{"page_token"}},
				{"list enterprises page_token never returned", func(ctx context.Context) error {
					_, err := auditor.Enterprise.ListEnterprises(ctx, &registryv1.ListEnterprisesRequest{PageToken: notReturnedToken})
					return err
				}, invalid, []string{"page_token"}},
				{"list talents page_token never returned", func(ctx context.Context) error {
					_, err := auditor.Talent.ListTalents(ctx, &registryv1.ListTalentsRequest{PageToken: notReturnedToken})
					return err
				}, invalid, []string{"page_token"}},
				{"list designations page_token never returned", list(&registryv1.ListDesignationsRequest{PageToken: notReturnedToken}), invalid, []string{"page_token"}},
			})
		})

		// A page token that decodes to bytes no key holds reaches the
		// database as an invalid string on PostgreSQL, which fails there:
		// whatever the code, the caller must see no database text.
		t.Run("internal errors carry no SQL", func(t *testing.T) {
			calls := []struct {
				name string
				call func(ctx context.Context) error
			}{
				{"list enterprises", func(ctx context.Context) error {
					_, err := auditor.Enterprise.ListEnterprises(ctx, &registryv1.ListEnterprisesRequest{PageToken: notReturnedToken})
					return err
				}},
				{"list talents", func(ctx context.Context) error {
					_, err := auditor.Talent.ListTalents(ctx, &registryv1.ListTalentsRequest{PageToken: notReturnedToken})
					return err
				}},
				{"list designations", list(&registryv1.ListDesignationsRequest{PageToken: notReturnedToken})},
				{"get designation", func(ctx context.Context) error {
					_, err := auditor.Designation.GetDesignation(ctx, &registryv1.GetDesignationRequest{Id: "'; DROP TABLE designations; --"})
					return err
				}},
				// PostgreSQL refuses NUL in text, so an id holding one fails
				// in the database unless the registry catches it first.
				{"get designation id with NUL", func(ctx context.Context) error {
					_, err := auditor.Designation.GetDesignation(ctx, &registryv1.GetDesignationRequest{Id: "0190\x00"})
					return err
				}},
				{"get talent id with NUL", func(ctx context.Context) error {
					_, err := auditor.Talent.GetTalent(ctx, &registryv1.GetTalentRequest{Id: "0190\x00"})
					return err
				}},
				{"list designations talent_id with NUL", list(&registryv1.ListDesignationsRequest{TalentId: "0190\x00"})},
				{"list audit events entity with NUL", func(ctx context.Context) error {
					_, err := auditor.Audit.ListAuditEvents(ctx, &registryv1.ListAuditEventsRequest{Entity: "designation:\x00"})
					return err
				}},
			}
			for _, tc := range calls {
				t.Run(tc.name, func(t *testing.T) {
					err := tc.call(ctx)
					assertNoSQLLeak(t, err)
					var ce *connect.Error
					if errors.As(err, &ce) && ce.Code() == connect.CodeInternal {
						if ce.Message() != "internal error" || len(ce.Details()) != 0 {
							t.Errorf("internal error says more than \"internal error\": %q, %d details", ce.Message(), len(ce.Details()))
						}
					}
				})
			}
		})

		t.Run("already_exists", func(t *testing.T) {
			exists := connect.CodeAlreadyExists
			runRejections(t, ctx, auditor, []rejectionCase{
				{"enterprise credit code twice", registerEnterprise(holder, "另一家企业", ""), exists, nil},
				{"enterprise credit code twice in lower case", registerEnterprise(strings.ToLower(knownCreditCode), "已知企业", ""), exists, nil},
				{"same identity number twice", registerTalent(&registryv1.RegisterTalentRequest{Name: "另一人", IdNumber: knownID}), exists, nil},
				{"same identity number twice with spaces", registerTalent(&registryv1.RegisterTalentRequest{Name: "另一人", IdNumber: " " + knownID + " "}), exists, nil},
				{"same passport and nationality twice", registerTalent(&registryv1.RegisterTalentRequest{Name: "Jane Doe", PassportNumber: "E12345678", Nationality: "US"}), exists, nil},
				{"same type, subject and document twice", grant(func(r *registryv1.GrantDesignationRequest) { r.DocumentNumber = "工信部企业函〔2024〕135号" }), exists, nil},
			})
		})

		t.Run("failed_precondition", func(t *testing.T) {
			runRejections(t, ctx, auditor, []rejectionCase{
				{"reinstate revoked", func(ctx context.Context) error {
					_, err := economy.Designation.ReinstateDesignation(ctx, &registryv1.ReinstateDesignationRequest{Id: revoked.Designation.Id, Reason: "appeal"})
					return err
				}, connect.CodeFailedPrecondition, nil},
			})
		})
	})
}
