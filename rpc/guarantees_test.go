package rpc_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect/v2"

	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/rpc"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// TestRefusalsAreNotStoredUnderKeys refuses a call that carries an
// Idempotency-Key (for want of permission, then for bad input) and then
// uses the same key for a call that may succeed: it does, because a
// refusal claims no key and stores no answer.
func TestRefusalsAreNotStoredUnderKeys(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		ctx := t.Context()
		talentOffice := env.As("issuer", "bureau:talent-office")
		code := registrytest.CreditCode(t, "91330106MA27XK0A1")
		refused := []struct {
			name string
			call func() error
			want connect.Code
		}{
			{"permission_denied", func() error {
				_, err := talentOffice.Designation.GrantDesignation(withKey(ctx, "k-1"), &registryv1.GrantDesignationRequest{
					Type: "little-giant", EnterpriseCreditCode: code, ValidFrom: "2026-01-01", ValidUntil: "2026-12-31", DocumentNumber: "X",
				})
				return err
			}, connect.CodePermissionDenied},
			{"invalid_argument", func() error {
				_, err := talentOffice.Enterprise.RegisterEnterprise(withKey(ctx, "k-1"), &registryv1.RegisterEnterpriseRequest{CreditCode: "not-a-code", Name: "企业"})
				return err
			}, connect.CodeInvalidArgument},
		}
		for _, r := range refused {
			if got := rpctest.Code(r.call()); got != r.want {
				t.Fatalf("%s: got %v", r.name, got)
			}
		}
		// Had either refusal been recorded, this would be "used for a
		// different request" (failed_precondition) or its replay.
		res, err := talentOffice.Enterprise.RegisterEnterprise(withKey(ctx, "k-1"), &registryv1.RegisterEnterpriseRequest{CreditCode: code, Name: "杭州云栖智算科技有限公司"})
		if err != nil {
			t.Fatalf("the key's first accepted use: %v", err)
		}
		again, err := talentOffice.Enterprise.RegisterEnterprise(withKey(ctx, "k-1"), &registryv1.RegisterEnterpriseRequest{CreditCode: code, Name: "杭州云栖智算科技有限公司"})
		if err != nil || again.Enterprise.CreatedAt.AsTime() != res.Enterprise.CreatedAt.AsTime() {
			t.Fatalf("retry of the accepted call: %v %v, want its recorded answer", again, err)
		}
	})
}

// TestTokenRules checks what an administrator may mint through the API:
// no issuer tokens by default (an administrator is as strong as the roles
// it mints), bounded lifetimes, known organisations; every token it makes
// is audited with it as the actor.
func TestTokenRules(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		ctx := t.Context()
		admin := env.As("admin", "admin")
		economy := env.As("issuer", "bureau:economy-it")
		if _, err := economy.Park.RegisterPark(ctx, &registryv1.RegisterParkRequest{Code: "west-lake", Name: "西湖人工智能产业园"}); err != nil {
			t.Fatal(err)
		}
		member := registrytest.CreditCode(t, "91330106MA27XK0A1")
		if _, err := economy.Enterprise.RegisterEnterprise(ctx, &registryv1.RegisterEnterpriseRequest{CreditCode: member, Name: "杭州云栖智算科技有限公司"}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name      string
			req       *registryv1.CreateTokenRequest
			want      connect.Code
			wantField string
		}{
			{"issuer is not mintable by default", &registryv1.CreateTokenRequest{Subject: "张三", Organisation: "bureau:economy-it", Role: "issuer"}, connect.CodePermissionDenied, ""},
			{"a viewer is", &registryv1.CreateTokenRequest{Subject: "张三", Organisation: "bureau:economy-it", Role: "viewer", TtlDays: 90}, 0, ""},
			{"ten years is the longest life", &registryv1.CreateTokenRequest{Subject: "张三", Organisation: "bureau:economy-it", Role: "viewer", TtlDays: 3650}, 0, ""},
			{"a day more is refused", &registryv1.CreateTokenRequest{Subject: "张三", Organisation: "bureau:economy-it", Role: "viewer", TtlDays: 3651}, connect.CodeInvalidArgument, "ttl_days"},
			{"a lifetime that would wrap", &registryv1.CreateTokenRequest{Subject: "张三", Organisation: "bureau:economy-it", Role: "viewer", TtlDays: 106752}, connect.CodeInvalidArgument, "ttl_days"},
			{"a negative lifetime", &registryv1.CreateTokenRequest{Subject: "张三", Organisation: "bureau:economy-it", Role: "viewer", TtlDays: -1}, connect.CodeInvalidArgument, "ttl_days"},
			{"a registered park", &registryv1.CreateTokenRequest{Subject: "李四", Organisation: "park:west-lake", Role: "operator"}, 0, ""},
			{"an unregistered park", &registryv1.CreateTokenRequest{Subject: "李四", Organisation: "park:no-such-park", Role: "operator"}, connect.CodeInvalidArgument, "organisation"},
			{"a malformed park code", &registryv1.CreateTokenRequest{Subject: "李四", Organisation: "park:West Lake!", Role: "operator"}, connect.CodeInvalidArgument, "organisation"},
			{"an unknown bureau", &registryv1.CreateTokenRequest{Subject: "李四", Organisation: "bureau:no-such-bureau", Role: "viewer"}, connect.CodeInvalidArgument, "organisation"},
			{"a registered enterprise", &registryv1.CreateTokenRequest{Subject: "王敏", Organisation: "enterprise:" + member, Role: "member"}, 0, ""},
			{"an unregistered enterprise", &registryv1.CreateTokenRequest{Subject: "王敏", Organisation: "enterprise:" + registrytest.CreditCode(t, "91330108555555555"), Role: "member"}, connect.CodeInvalidArgument, "organisation"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				res, err := admin.Access.CreateToken(ctx, tc.req)
				if got := rpctest.Code(err); got != tc.want {
					t.Fatalf("got %v (%v), want %v", got, err, tc.want)
				}
				if tc.wantField != "" && !slices.Contains(badRequestFields(t, err), tc.wantField) {
					t.Errorf("violations %v, want %s", badRequestFields(t, err), tc.wantField)
				}
				if err != nil {
					return
				}
				events, err := env.As("auditor", "auditor").Audit.ListAuditEvents(ctx, &registryv1.ListAuditEventsRequest{Entity: "token", PageSize: 500})
				if err != nil {
					t.Fatal(err)
				}
				var found bool
				for _, e := range events.Events {
					if e.Action == "token.create" && e.EntityId == fmt.Sprint(res.Info.GetId()) && e.ActorRole == "admin" && e.ActorOrganisation == "admin" {
						found = true
					}
				}
				if !found {
					t.Errorf("no token.create event by the administrator for token %v", res.Info.GetId())
				}
			})
		}
	})
}

// TestNamesRefuseFormulasAndBidi refuses names that a spreadsheet would
// run as a formula or that display differently from what they hold.
func TestNamesRefuseFormulasAndBidi(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		economy := env.As("issuer", "bureau:economy-it")
		for i, tc := range []struct {
			name string
			ok   bool
		}{
			{"杭州云栖智算科技有限公司", true},
			{"A-1 科技有限公司", true},
			{`=HYPERLINK("http://x","点击")`, false},
			{"+86 科技", false},
			{"-1+1", false},
			{"@SUM(A1)", false},
			{"杭州\u202e司公限有", false},
			{"杭州\u2066科技\u2069", false},
			{"杭州\u200f科技", false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				code := registrytest.CreditCode(t, fmt.Sprintf("91330106MA27XK%dA1", i))
				_, err := economy.Enterprise.RegisterEnterprise(t.Context(), &registryv1.RegisterEnterpriseRequest{CreditCode: code, Name: tc.name})
				switch {
				case tc.ok && err != nil:
					t.Fatalf("refused: %v", err)
				case !tc.ok && (rpctest.Code(err) != connect.CodeInvalidArgument || !slices.Contains(badRequestFields(t, err), "name")):
					t.Fatalf("got %v, want invalid_argument naming name", err)
				}
			})
		}
	})
}

// TestRecognitionWithinDelegation keeps an enterprise's recognitions
// within its authorization: inside its validity window, at most five
// years, under the authorization's document number.
func TestRecognitionWithinDelegation(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newTalentOfficeFixture(t, db, &registryv1.LevelQuota{Level: "D", Places: 5})
		employee := f.employees(t, 1)[0]
		tests := []struct {
			name, from, until, doc string
			wantFields             []string
		}{
			{"a century before and after", "1900-01-01", "2999-12-31", "", []string{"valid_from", "valid_until"}},
			{"starting before the authorization", "2025-12-31", "2026-06-30", "", []string{"valid_from"}},
			{"ending after it", "2026-07-01", "2027-01-01", "", []string{"valid_until"}},
			{"a document of its own", "2026-07-01", "2026-12-31", "自定文号〔2026〕1号", []string{"document_number"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				_, err := f.assessor.TalentAuthorization.RecognizeTalent(t.Context(), &registryv1.RecognizeTalentRequest{
					AuthorizationId: f.authorization.Id, TalentId: employee, Level: "D", ValidFrom: tc.from, ValidUntil: tc.until, DocumentNumber: tc.doc,
				})
				if rpctest.Code(err) != connect.CodeInvalidArgument || !slices.Equal(badRequestFields(t, err), tc.wantFields) {
					t.Fatalf("got %v (fields %v), want invalid_argument on %v", err, badRequestFields(t, err), tc.wantFields)
				}
			})
		}
		if got := f.remaining(t, "D"); got != 5 {
			t.Fatalf("%d places remain after refusals, want 5", got)
		}
		res, err := f.assessor.TalentAuthorization.RecognizeTalent(t.Context(), &registryv1.RecognizeTalentRequest{
			AuthorizationId: f.authorization.Id, TalentId: employee, Level: "D", ValidFrom: "2026-07-01", ValidUntil: "2026-12-31", DocumentNumber: f.authorization.DocumentNumber,
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Designation.DocumentNumber != f.authorization.DocumentNumber {
			t.Errorf("document %q, want the authorization's %q", res.Designation.DocumentNumber, f.authorization.DocumentNumber)
		}
		// One standing recognition per talent and authorization: a second
		// is refused; once withdrawn, the talent may be recognised again.
		recognise := &registryv1.RecognizeTalentRequest{AuthorizationId: f.authorization.Id, TalentId: employee, Level: "D", ValidFrom: "2026-08-01", ValidUntil: "2026-12-31"}
		if _, err := f.assessor.TalentAuthorization.RecognizeTalent(t.Context(), recognise); rpctest.Code(err) != connect.CodeAlreadyExists {
			t.Fatalf("a second standing recognition: got %v, want already_exists", err)
		}
		if _, err := f.assessor.TalentAuthorization.WithdrawRecognition(t.Context(), &registryv1.WithdrawRecognitionRequest{DesignationId: res.Designation.Id, Reason: "录入有误"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.assessor.TalentAuthorization.RecognizeTalent(t.Context(), recognise); err != nil {
			t.Fatalf("recognising again after the withdrawal: %v", err)
		}
		if got := f.remaining(t, "D"); got != 4 {
			t.Errorf("%d places remain, want 4 (one standing recognition)", got)
		}
		_, err = f.assessor.TalentAuthorization.WithdrawRecognition(t.Context(), &registryv1.WithdrawRecognitionRequest{Reason: "录入有误"})
		if fields := badRequestFields(t, err); !slices.Equal(fields, []string{"designation_id"}) {
			t.Errorf("withdrawing without an id: %v (fields %v), want invalid_argument on designation_id", err, fields)
		}
	})
}

// TestOversizedListsAreRefusedWhole refuses a list longer than its domain
// can need with one violation, before looking at its elements, and a
// caller without the right before looking at it at all.
func TestOversizedListsAreRefusedWhole(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		ctx := t.Context()
		if _, err := env.As("issuer", "bureau:economy-it").Park.RegisterPark(ctx, &registryv1.RegisterParkRequest{Code: "west-lake", Name: "西湖人工智能产业园"}); err != nil {
			t.Fatal(err)
		}
		types := make([]string, 100_000)
		for i := range types {
			types[i] = strings.Repeat("x", 20)
		}
		rule := &registryv1.SetEligibilityRuleRequest{ParkCode: "west-lake", Benefit: "rent-reduction", AnyOfDesignationTypes: types}
		_, err := env.As("member", "enterprise:"+registrytest.CreditCode(t, "91330106MA27XK0A1")).Park.SetEligibilityRule(ctx, rule)
		if rpctest.Code(err) != connect.CodePermissionDenied {
			t.Fatalf("member: got %v, want permission_denied", err)
		}
		_, err = env.As("operator", "park:west-lake").Park.SetEligibilityRule(ctx, rule)
		if fields := badRequestFields(t, err); rpctest.Code(err) != connect.CodeInvalidArgument || !slices.Equal(fields, []string{"any_of_designation_types"}) {
			t.Fatalf("operator: got %v (fields %v), want one violation on any_of_designation_types", err, fields)
		}
		quotas := make([]*registryv1.LevelQuota, 1000)
		for i := range quotas {
			quotas[i] = &registryv1.LevelQuota{Level: "Z", Places: -1}
		}
		_, err = env.As("issuer", "bureau:talent-office").TalentAuthorization.IssueTalentAuthorization(ctx, &registryv1.IssueTalentAuthorizationRequest{
			EnterpriseCreditCode: registrytest.CreditCode(t, "91330106MA27XK0A1"), Year: 2026, Quotas: quotas, ValidFrom: "2026-01-01", ValidUntil: "2026-12-31", DocumentNumber: "X",
		})
		if fields := badRequestFields(t, err); rpctest.Code(err) != connect.CodeInvalidArgument || !slices.Equal(fields, []string{"quotas"}) {
			t.Fatalf("quotas: got %v (fields %v), want one violation on quotas", err, fields)
		}
	})
}

// TestPublicVerificationIsRateLimited lets each client address make only
// so many token-less verification calls at once.
func TestPublicVerificationIsRateLimited(t *testing.T) {
	env := rpctest.NewWithOptions(t, storetest.SQLite(t), rpc.WithLimits(rpc.Limits{MaxCallDuration: time.Minute, PublicPerSecond: 0.01, PublicBurst: 3}))
	anyone := env.ClientsWithToken("")
	var codes []connect.Code
	for range 5 {
		_, err := anyone.Verification.GetDesignationStatus(t.Context(), &registryv1.GetDesignationStatusRequest{Id: "01900000-0000-7000-8000-000000000000"})
		codes = append(codes, rpctest.Code(err))
	}
	want := []connect.Code{connect.CodeNotFound, connect.CodeNotFound, connect.CodeNotFound, connect.CodeResourceExhausted, connect.CodeResourceExhausted}
	if !slices.Equal(codes, want) {
		t.Fatalf("codes %v, want %v", codes, want)
	}
}
