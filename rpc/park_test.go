package rpc_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect/v2"

	"github.com/hangzhou-ai/registry/attest"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// parkFixture is a park with one tenant holding a little-giant designation
// and a rent-reduction rule.
type parkFixture struct {
	env      *rpctest.Env
	economy  *rpctest.Clients
	operator *rpctest.Clients
	tenant   string
	giant    *registryv1.Designation
}

func newParkFixture(t *testing.T, db storetest.Database) *parkFixture {
	t.Helper()
	env := rpctest.New(t, db)
	ctx := t.Context()
	f := &parkFixture{env: env, economy: env.As("issuer", "bureau:economy-it"), operator: env.As("operator", "park:west-lake")}
	if _, err := f.economy.Park.RegisterPark(ctx, &registryv1.RegisterParkRequest{Code: "west-lake", Name: "西湖人工智能产业园", District: "西湖区", OperatorOrg: "西湖区人民政府"}); err != nil {
		t.Fatal(err)
	}
	f.tenant = registrytest.CreditCode(t, "91330106MA27XK0A1")
	if _, err := f.economy.Enterprise.RegisterEnterprise(ctx, &registryv1.RegisterEnterpriseRequest{CreditCode: f.tenant, Name: "杭州云栖智算科技有限公司", RegisteredOn: "2024-05-20"}); err != nil {
		t.Fatal(err)
	}
	g, err := f.economy.Designation.GrantDesignation(ctx, &registryv1.GrantDesignationRequest{
		Type: "little-giant", EnterpriseCreditCode: f.tenant, ValidFrom: "2026-03-01", ValidUntil: "2026-09-30", DocumentNumber: "工信部企业函〔2026〕1号",
	})
	if err != nil {
		t.Fatal(err)
	}
	f.giant = g.Designation
	if _, err := f.operator.Park.AdmitTenant(ctx, &registryv1.AdmitTenantRequest{ParkCode: "west-lake", EnterpriseCreditCode: f.tenant, StartDate: "2026-01-01", EndDate: "2026-12-31", FloorAreaM2: 820.5}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.operator.Park.SetEligibilityRule(ctx, &registryv1.SetEligibilityRuleRequest{
		ParkCode: "west-lake", Benefit: "rent-reduction", AnyOfDesignationTypes: []string{"little-giant", "single-champion", "hidden-champion", "ai-growth-enterprise"},
	}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *parkFixture) verify(t *testing.T, benefit, asOf string) *registryv1.VerifyTenantEligibilityResponse {
	t.Helper()
	res, err := f.operator.Park.VerifyTenantEligibility(t.Context(), &registryv1.VerifyTenantEligibilityRequest{
		ParkCode: "west-lake", EnterpriseCreditCode: f.tenant, Benefit: benefit, AsOf: asOf,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func reasonCodes(res *registryv1.VerifyTenantEligibilityResponse) string {
	var codes []string
	for _, r := range res.Reasons {
		codes = append(codes, r.Code)
	}
	return strings.Join(codes, ",")
}

// TestEligibilityBoundaries checks as_of on the first and last day of the
// tenancy and of the designation, on each side.
func TestEligibilityBoundaries(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newParkFixture(t, db)
		tests := []struct {
			asOf     string
			eligible bool
			reasons  string
		}{
			{"2025-12-31", false, "NO_ACTIVE_TENANCY"},
			{"2026-01-01", false, "TENANCY_ACTIVE,NO_QUALIFYING_DESIGNATION"},
			{"2026-02-28", false, "TENANCY_ACTIVE,NO_QUALIFYING_DESIGNATION"},
			{"2026-03-01", true, "TENANCY_ACTIVE,DESIGNATION_HELD"},
			{"2026-09-30", true, "TENANCY_ACTIVE,DESIGNATION_HELD"},
			{"2026-10-01", false, "TENANCY_ACTIVE,NO_QUALIFYING_DESIGNATION"},
			{"2026-12-31", false, "TENANCY_ACTIVE,NO_QUALIFYING_DESIGNATION"},
		}
		for _, tc := range tests {
			t.Run(tc.asOf, func(t *testing.T) {
				res := f.verify(t, "rent-reduction", tc.asOf)
				if res.Eligible != tc.eligible || reasonCodes(res) != tc.reasons || res.AsOf != tc.asOf {
					t.Fatalf("eligible %v reasons %s as_of %s, want %v %s", res.Eligible, reasonCodes(res), res.AsOf, tc.eligible, tc.reasons)
				}
				wantMatched := 0
				if tc.eligible {
					wantMatched = 1
				}
				if len(res.MatchedDesignationTypes) != wantMatched {
					t.Fatalf("matched %v", res.MatchedDesignationTypes)
				}
			})
		}
		t.Run("tenancy boundaries with a designation in force", func(t *testing.T) {
			if _, err := f.economy.Designation.RenewDesignation(t.Context(), &registryv1.RenewDesignationRequest{Id: f.giant.Id, ValidUntil: "2028-12-31", DocumentNumber: "工信部企业函〔2026〕9号"}); err != nil {
				t.Fatal(err)
			}
			for asOf, want := range map[string]bool{"2026-12-31": true, "2027-01-01": false} {
				if res := f.verify(t, "rent-reduction", asOf); res.Eligible != want {
					t.Errorf("as_of %s: eligible %v, want %v (%s)", asOf, res.Eligible, want, reasonCodes(res))
				}
			}
		})
		t.Run("startup subsidy: tenancy months and enterprise age", func(t *testing.T) {
			if _, err := f.operator.Park.SetEligibilityRule(t.Context(), &registryv1.SetEligibilityRuleRequest{
				ParkCode: "west-lake", Benefit: "startup-subsidy", MinTenancyMonths: 6, MaxEnterpriseAgeYears: 3,
			}); err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				asOf, reasons string
				eligible      bool
			}{
				{"2026-06-30", "TENANCY_ACTIVE,TENANCY_TOO_SHORT,ENTERPRISE_YOUNG_ENOUGH", false},
				{"2026-07-01", "TENANCY_ACTIVE,TENANCY_LONG_ENOUGH,ENTERPRISE_YOUNG_ENOUGH", true},
				{"2026-05-19", "TENANCY_ACTIVE,TENANCY_TOO_SHORT,ENTERPRISE_YOUNG_ENOUGH", false},
			} {
				if res := f.verify(t, "startup-subsidy", tc.asOf); res.Eligible != tc.eligible || reasonCodes(res) != tc.reasons {
					t.Errorf("as_of %s: %v %s, want %v %s", tc.asOf, res.Eligible, reasonCodes(res), tc.eligible, tc.reasons)
				}
			}
			// Registered 2024-05-20: two years old on 2026-05-20.
			if _, err := f.operator.Park.SetEligibilityRule(t.Context(), &registryv1.SetEligibilityRuleRequest{ParkCode: "west-lake", Benefit: "young-firm", MaxEnterpriseAgeYears: 2}); err != nil {
				t.Fatal(err)
			}
			for asOf, want := range map[string]string{"2026-05-19": "ENTERPRISE_YOUNG_ENOUGH", "2026-05-20": "ENTERPRISE_TOO_OLD"} {
				if got := reasonCodes(f.verify(t, "young-firm", asOf)); got != "TENANCY_ACTIVE,"+want {
					t.Errorf("as_of %s: %s, want %s", asOf, got, want)
				}
			}
		})
	})
}

// TestEligibilityFollowsRevocation checks that suspending and revoking the
// designation an answer relied on flips the next answer and marks earlier
// attestations as changed.
func TestEligibilityFollowsRevocation(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newParkFixture(t, db)
		ctx := t.Context()
		public := f.env.ClientsWithToken("")
		first := f.verify(t, "rent-reduction", "2026-06-15")
		if !first.Eligible {
			t.Fatalf("not eligible before suspension: %s", reasonCodes(first))
		}
		check := func(token string) *registryv1.VerifyAttestationResponse {
			res, err := public.Verification.VerifyAttestation(ctx, &registryv1.VerifyAttestationRequest{Token: token})
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		if c := check(first.Attestation); !c.Valid || len(c.Designations) != 1 || c.Designations[0].DesignationId != f.giant.Id {
			t.Fatalf("fresh attestation: %+v", c)
		}
		if _, err := f.economy.Designation.SuspendDesignation(ctx, &registryv1.SuspendDesignationRequest{Id: f.giant.Id, Reason: "inspection"}); err != nil {
			t.Fatal(err)
		}
		if res := f.verify(t, "rent-reduction", "2026-06-15"); res.Eligible {
			t.Fatal("still eligible after suspension")
		}
		c := check(first.Attestation)
		if c.Valid || !c.SignatureValid || c.Problem != "designation_changed" || c.Designations[0].StatusNow != registryv1.DesignationStatus_DESIGNATION_STATUS_SUSPENDED {
			t.Fatalf("attestation after suspension: %+v", c)
		}
		if _, err := f.economy.Designation.ReinstateDesignation(ctx, &registryv1.ReinstateDesignationRequest{Id: f.giant.Id}); err != nil {
			t.Fatal(err)
		}
		if res := f.verify(t, "rent-reduction", "2026-06-15"); !res.Eligible {
			t.Fatal("not eligible after reinstatement")
		}
		if _, err := f.economy.Designation.RevokeDesignation(ctx, &registryv1.RevokeDesignationRequest{Id: f.giant.Id, Reason: "revoked by the ministry"}); err != nil {
			t.Fatal(err)
		}
		if res := f.verify(t, "rent-reduction", "2026-06-15"); res.Eligible {
			t.Fatal("still eligible after revocation")
		}
		if c := check(first.Attestation); c.Designations[0].StatusNow != registryv1.DesignationStatus_DESIGNATION_STATUS_REVOKED || c.Problem != "designation_changed" {
			t.Fatalf("attestation after revocation: %+v", c)
		}
	})
}

// TestAttestations checks the claims, the distinct refusals of a tampered,
// unknown-key and expired token, offline verification with the published
// keys, and key rotation.
func TestAttestations(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newParkFixture(t, db)
		ctx := t.Context()
		public := f.env.ClientsWithToken("")
		token := f.verify(t, "rent-reduction", "2026-06-15").Attestation
		parts := strings.Split(token, ".")
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		var claims map[string]any
		if err := json.Unmarshal(payload, &claims); err != nil {
			t.Fatal(err)
		}
		if claims["park"] != "west-lake" || claims["enterprise"] != f.tenant || claims["benefit"] != "rent-reduction" ||
			claims["as_of"] != "2026-06-15" || claims["eligible"] != true || claims["iat"] == nil || claims["exp"] == nil {
			t.Fatalf("claims: %v", claims)
		}
		header, _ := base64.RawURLEncoding.DecodeString(parts[0])
		if !strings.Contains(string(header), `"alg":"EdDSA"`) || !strings.Contains(string(header), `"kid":"`) {
			t.Fatalf("header: %s", header)
		}

		tampered := strings.Replace(string(payload), `"eligible":true`, `"eligible":false`, 1)
		var signed attest.Claims
		if err := json.Unmarshal(payload, &signed); err != nil {
			t.Fatal(err)
		}
		_, strangerKey, _ := ed25519.GenerateKey(rand.Reader)
		stranger, err := attest.Sign(strangerKey, "stranger", signed)
		if err != nil {
			t.Fatal(err)
		}
		problems := map[string]string{
			"genuine":         "",
			"tampered":        parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(tampered)) + "." + parts[2],
			"unknown key":     stranger,
			"not a token":     "hello",
			"signature moved": parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 64)),
		}
		want := map[string]string{"genuine": "", "tampered": "bad_signature", "unknown key": "unknown_key", "not a token": "malformed", "signature moved": "bad_signature"}
		problems["genuine"] = token
		for name, tok := range problems {
			res, err := public.Verification.VerifyAttestation(ctx, &registryv1.VerifyAttestationRequest{Token: tok})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if res.Problem != want[name] || res.Valid != (want[name] == "") {
				t.Errorf("%s: problem %q valid %v, want %q", name, res.Problem, res.Valid, want[name])
			}
		}

		res, err := http.Get(f.env.URL + "/.well-known/jwks.json")
		if err != nil {
			t.Fatal(err)
		}
		var keys attest.KeySet
		err = json.NewDecoder(res.Body).Decode(&keys)
		res.Body.Close()
		if err != nil || len(keys.Keys) != 1 {
			t.Fatalf("jwks: %v %+v", err, keys)
		}
		offline, err := attest.Verify(token, keys, f.env.Clock.Now())
		if err != nil || offline.Claims == nil || offline.Claims.EnterpriseCreditCode != f.tenant {
			t.Fatalf("offline verification: %v %+v", err, offline)
		}

		if _, err := f.env.Registry.RotateSigningKey(ctx); err != nil {
			t.Fatal(err)
		}
		newer := f.verify(t, "rent-reduction", "2026-06-15").Attestation
		newKid, _ := attest.Verify(newer, attest.KeySet{}, f.env.Clock.Now())
		if newKid.KeyID == "" || newKid.KeyID == offline.KeyID {
			t.Fatal("rotation did not change the signing key")
		}
		signingKeys, err := public.Verification.GetSigningKeys(ctx, &registryv1.GetSigningKeysRequest{})
		if err != nil || len(signingKeys.Keys) != 2 {
			t.Fatalf("keys after rotation: %v %+v", err, signingKeys)
		}
		for _, tok := range []string{token, newer} {
			if c, err := public.Verification.VerifyAttestation(ctx, &registryv1.VerifyAttestationRequest{Token: tok}); err != nil || !c.Valid {
				t.Fatalf("after rotation: %v %+v", err, c)
			}
		}

		f.env.Clock.Set(rpctest.Start.Add(31 * 24 * time.Hour))
		c, err := public.Verification.VerifyAttestation(ctx, &registryv1.VerifyAttestationRequest{Token: token})
		if err != nil || c.Valid || !c.Expired || !c.SignatureValid || c.Problem != "expired" {
			t.Fatalf("expired token: %v %+v", err, c)
		}
	})
}

// TestParkIsolationAndPublicStatus checks that another park's operator is
// refused and that a designation's public status shows an enterprise's name
// but nothing identifying a person.
func TestParkIsolationAndPublicStatus(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newParkFixture(t, db)
		ctx := t.Context()
		if _, err := f.economy.Park.RegisterPark(ctx, &registryv1.RegisterParkRequest{Code: "qiantang", Name: "钱塘智造园"}); err != nil {
			t.Fatal(err)
		}
		other := f.env.As("operator", "park:qiantang")
		if _, err := other.Park.VerifyTenantEligibility(ctx, &registryv1.VerifyTenantEligibilityRequest{ParkCode: "west-lake", EnterpriseCreditCode: f.tenant, Benefit: "rent-reduction"}); rpctest.Code(err) != connect.CodePermissionDenied {
			t.Fatalf("other park verifying: %v", err)
		}
		if _, err := other.Park.ListTenants(ctx, &registryv1.ListTenantsRequest{ParkCode: "west-lake"}); rpctest.Code(err) != connect.CodePermissionDenied {
			t.Fatalf("other park listing tenants: %v", err)
		}
		own, err := other.Park.ListTenants(ctx, &registryv1.ListTenantsRequest{ParkCode: "qiantang"})
		if err != nil || len(own.Tenancies) != 0 {
			t.Fatalf("own empty park: %v %+v", err, own)
		}

		public := f.env.ClientsWithToken("")
		st, err := public.Verification.GetDesignationStatus(ctx, &registryv1.GetDesignationStatusRequest{Id: f.giant.Id})
		if err != nil || st.HolderKind != "enterprise" || st.HolderCreditCode != f.tenant || st.HolderName == "" || st.Status != registryv1.DesignationStatus_DESIGNATION_STATUS_ACTIVE {
			t.Fatalf("public status: %v %+v", err, st)
		}
		talentOffice := f.env.As("issuer", "bureau:talent-office")
		idNumber := registrytest.IDNumber(t, "33010619880312123")
		person, err := talentOffice.Talent.RegisterTalent(ctx, &registryv1.RegisterTalentRequest{Name: "林若溪", IdNumber: idNumber})
		if err != nil {
			t.Fatal(err)
		}
		rec, err := talentOffice.Designation.GrantDesignation(ctx, &registryv1.GrantDesignationRequest{Type: "talent-recognition", TalentId: person.Talent.Id, Level: "D", ValidFrom: "2026-01-01", ValidUntil: "2030-12-31", DocumentNumber: "杭人才〔2026〕1号"})
		if err != nil {
			t.Fatal(err)
		}
		st, err = public.Verification.GetDesignationStatus(ctx, &registryv1.GetDesignationStatusRequest{Id: rec.Designation.Id})
		if err != nil || st.HolderKind != "talent" || st.HolderName != "" || st.HolderCreditCode != "" {
			t.Fatalf("public status of a talent's designation: %v %+v", err, st)
		}
		if strings.Contains(st.String(), idNumber) || strings.Contains(st.String(), "林若溪") {
			t.Fatal("public status reveals the person")
		}
	})
}

// TestParkLearnsNothingOfNonTenants asks a park's rule that lists every
// enterprise designation type about an enterprise that is not its tenant
// but holds such designations, and about one the registry does not know:
// both answers are NO_ACTIVE_TENANCY and nothing else, alike in every
// field, and their attestations name no designation.
func TestParkLearnsNothingOfNonTenants(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		f := newParkFixture(t, db)
		ctx := t.Context()
		outsider := registrytest.CreditCode(t, "91330106MA27XK0B2")
		if _, err := f.economy.Enterprise.RegisterEnterprise(ctx, &registryv1.RegisterEnterpriseRequest{CreditCode: outsider, Name: "杭州局外科技有限公司", RegisteredOn: "2025-01-01"}); err != nil {
			t.Fatal(err)
		}
		for _, typ := range []string{"little-giant", "hidden-champion"} {
			if _, err := f.economy.Designation.GrantDesignation(ctx, &registryv1.GrantDesignationRequest{
				Type: typ, EnterpriseCreditCode: outsider, ValidFrom: "2026-01-01", ValidUntil: "2027-12-31", DocumentNumber: "工信部企业函〔2026〕" + typ,
			}); err != nil {
				t.Fatal(err)
			}
		}
		var every []string
		types, err := f.economy.Designation.ListDesignationTypes(ctx, &registryv1.ListDesignationTypesRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for _, typ := range types.Types {
			if typ.SubjectKind == "enterprise" {
				every = append(every, typ.Code)
			}
		}
		if _, err := f.operator.Park.SetEligibilityRule(ctx, &registryv1.SetEligibilityRuleRequest{
			ParkCode: "west-lake", Benefit: "anything", AnyOfDesignationTypes: every, MaxEnterpriseAgeYears: 50,
		}); err != nil {
			t.Fatal(err)
		}
		ask := func(code string) *registryv1.VerifyTenantEligibilityResponse {
			t.Helper()
			res, err := f.operator.Park.VerifyTenantEligibility(ctx, &registryv1.VerifyTenantEligibilityRequest{
				ParkCode: "west-lake", EnterpriseCreditCode: code, Benefit: "anything", AsOf: "2026-06-30",
			})
			if err != nil {
				t.Fatalf("verify %s: %v", code, err)
			}
			return res
		}
		claims := func(res *registryv1.VerifyTenantEligibilityResponse) map[string]any {
			t.Helper()
			parts := strings.Split(res.Attestation, ".")
			if len(parts) != 3 {
				t.Fatalf("attestation %q is not a compact JWS", res.Attestation)
			}
			raw, err := base64.RawURLEncoding.DecodeString(parts[1])
			if err != nil {
				t.Fatal(err)
			}
			var c map[string]any
			if err := json.Unmarshal(raw, &c); err != nil {
				t.Fatal(err)
			}
			return c
		}
		known, unknown := ask(outsider), ask(registrytest.CreditCode(t, "91330106MA27XK0C3"))
		for name, res := range map[string]*registryv1.VerifyTenantEligibilityResponse{"registered non-tenant": known, "unregistered": unknown} {
			if res.Eligible || reasonCodes(res) != "NO_ACTIVE_TENANCY" || len(res.MatchedDesignationTypes) != 0 {
				t.Errorf("%s: eligible %v reasons %s matched %v, want only NO_ACTIVE_TENANCY", name, res.Eligible, reasonCodes(res), res.MatchedDesignationTypes)
			}
			c := claims(res)
			if ids, _ := c["designation_ids"].([]any); len(ids) != 0 {
				t.Errorf("%s: attestation names designations %v", name, ids)
			}
			if reasons, _ := c["reasons"].([]any); len(reasons) != 1 || reasons[0] != "NO_ACTIVE_TENANCY" {
				t.Errorf("%s: attestation reasons %v", name, c["reasons"])
			}
		}
		if known.Reasons[0].MessageZh != unknown.Reasons[0].MessageZh || known.Reasons[0].MessageEn != unknown.Reasons[0].MessageEn {
			t.Errorf("the two answers differ: %v and %v", known.Reasons, unknown.Reasons)
		}
		// The tenant itself, with the same rule, is evaluated.
		if res := ask(f.tenant); !res.Eligible || len(res.MatchedDesignationTypes) != 1 {
			t.Errorf("tenant: eligible %v matched %v, want eligible through little-giant", res.Eligible, res.MatchedDesignationTypes)
		}
	})
}
