package main

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/hangzhou-ai/registry/attest"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
)

// Parks and public checks: ParkService and VerificationService.

func parkRegister(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.RegisterParkRequest
	fs.StringVar(&req.Name, "name", "", "the park's `name`")
	fs.StringVar(&req.District, "district", "", "`district`: GB/T 2260 code or name, e.g. 330106 or 西湖区")
	fs.StringVar(&req.OperatorOrg, "operator-org", "", "who runs it, e.g. 滨江区人民政府")
	dateVar(fs, &req.ValidFrom, "from", "designated from `date` (default: today)")
	dateVar(fs, &req.ValidUntil, "until", "designated until `date` (default: 2027-12-31, the measures' end)")
	fs.StringVar(&req.DocumentNumber, "doc", "", "document `number`")
	return func(pos []string) error {
		req.Code = pos[0]
		res, err := inv.clients().Park.RegisterPark(inv.ctx, &req)
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) { parkRows(t, res.GetPark()) })
	}
}

func parkGet(inv *invocation, fs *pflag.FlagSet) action {
	return func(pos []string) error {
		res, err := inv.clients().Park.GetPark(inv.ctx, &registryv1.GetParkRequest{Code: pos[0]})
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) { parkRows(t, res.GetPark()) })
	}
}

func parkList(inv *invocation, fs *pflag.FlagSet) action {
	return func([]string) error {
		res, err := inv.clients().Park.ListParks(inv.ctx, &registryv1.ListParksRequest{})
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) { parkRows(t, res.GetParks()...) })
	}
}

func parkRows(t *table, ps ...*registryv1.Park) {
	t.row("CODE", "NAME", "DISTRICT", "OPERATOR", "DESIGNATION")
	for _, p := range ps {
		t.row(p.GetCode(), p.GetName(), districtCell(p.GetDistrict(), p.GetDistrictName()), p.GetOperatorOrg(), p.GetDesignationId())
	}
}

func parkAdmit(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.AdmitTenantRequest
	fs.StringVar(&req.ParkCode, "park", "", "the park's `code`")
	fs.StringVar(&req.EnterpriseCreditCode, "enterprise", "", "the tenant's credit `code`")
	dateVar(fs, &req.StartDate, "start", "first `date` of the tenancy (YYYY-MM-DD)")
	dateVar(fs, &req.EndDate, "end", "last `date`, if known")
	fs.Float64Var(&req.FloorAreaM2, "area", 0, "floor area in `m²`")
	return func([]string) error {
		res, err := inv.clients().Park.AdmitTenant(inv.ctx, &req)
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) { tenancyRows(t, res.GetTenancy()) })
	}
}

func parkEndTenancy(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.EndTenancyRequest
	dateVar(fs, &req.EndDate, "end", "the tenancy's last `date` (YYYY-MM-DD)")
	fs.StringVar(&req.Reason, "reason", "", "why it ends (required)")
	return func(pos []string) error {
		req.TenancyId = pos[0]
		res, err := inv.clients().Park.EndTenancy(inv.ctx, &req)
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) { tenancyRows(t, res.GetTenancy()) })
	}
}

func parkTenants(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.ListTenantsRequest
	var page pageFlags
	fs.StringVar(&req.ParkCode, "park", "", "the park's `code`")
	dateVar(fs, &req.AsOf, "as-of", "tenancies in force on this `date` (default: today)")
	page.register(fs)
	return func([]string) error {
		req.PageSize, req.PageToken = int32(page.size), page.token
		res, err := inv.clients().Park.ListTenants(inv.ctx, &req)
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) {
			tenancyRows(t, res.GetTenancies()...)
			nextPage(t, res.GetNextPageToken())
		})
	}
}

func tenancyRows(t *table, ts ...*registryv1.Tenancy) {
	t.row("ID", "PARK", "ENTERPRISE", "NAME", "START", "END", "AREA M²", "END REASON")
	for _, x := range ts {
		area := ""
		if x.GetFloorAreaM2() != 0 {
			area = strconv.FormatFloat(x.GetFloorAreaM2(), 'f', -1, 64)
		}
		t.row(x.GetId(), x.GetParkCode(), x.GetEnterpriseCreditCode(), x.GetEnterpriseName(), x.GetStartDate(), x.GetEndDate(), area, x.GetEndReason())
	}
}

func parkSetRule(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.SetEligibilityRuleRequest
	var minMonths, maxAge int
	anyOf := &multiFlag{split: true}
	fs.StringVar(&req.ParkCode, "park", "", "the park's `code`")
	fs.StringVar(&req.Benefit, "benefit", "", "the `benefit`, e.g. rent-reduction")
	fs.Var(anyOf, "any-of", "designation `types`, comma-separated or repeated: the tenant must hold one")
	fs.IntVar(&minMonths, "min-tenancy-months", 0, "the tenancy must have lasted this many `months`")
	fs.IntVar(&maxAge, "max-enterprise-age-years", 0, "the enterprise must be younger than this many `years`")
	return func([]string) error {
		req.AnyOfDesignationTypes = anyOf.values
		req.MinTenancyMonths, req.MaxEnterpriseAgeYears = int32(minMonths), int32(maxAge)
		res, err := inv.clients().Park.SetEligibilityRule(inv.ctx, &req)
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) { ruleRows(t, res.GetRule()) })
	}
}

func parkRules(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.ListEligibilityRulesRequest
	fs.StringVar(&req.ParkCode, "park", "", "the park's `code`")
	return func([]string) error {
		res, err := inv.clients().Park.ListEligibilityRules(inv.ctx, &req)
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) { ruleRows(t, res.GetRules()...) })
	}
}

func ruleRows(t *table, rs ...*registryv1.EligibilityRule) {
	t.row("PARK", "BENEFIT", "ANY OF", "MIN TENANCY MONTHS", "MAX ENTERPRISE AGE YEARS", "VERSION", "UPDATED")
	for _, r := range rs {
		t.row(r.GetParkCode(), r.GetBenefit(), list(r.GetAnyOfDesignationTypes()), num(r.GetMinTenancyMonths()), num(r.GetMaxEnterpriseAgeYears()),
			fmt.Sprint(r.GetVersion()), stamp(r.GetUpdatedAt()))
	}
}

func parkVerify(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.VerifyTenantEligibilityRequest
	fs.StringVar(&req.ParkCode, "park", "", "the park's `code`")
	fs.StringVar(&req.EnterpriseCreditCode, "enterprise", "", "the tenant's credit `code`")
	fs.StringVar(&req.Benefit, "benefit", "", "the `benefit`, e.g. rent-reduction")
	dateVar(fs, &req.AsOf, "as-of", "on this `date` (default: today)")
	return func([]string) error {
		res, err := inv.clients().Park.VerifyTenantEligibility(inv.ctx, &req)
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) {
			t.row("ELIGIBLE", "PARK", "ENTERPRISE", "BENEFIT", "AS OF", "MATCHED", "CHECKED")
			t.row(yesNo(res.GetEligible()), req.ParkCode, req.EnterpriseCreditCode, req.Benefit, res.GetAsOf(),
				list(res.GetMatchedDesignationTypes()), stamp(res.GetCheckedAt()))
			t.section()
			t.row("REASON", "原因", "EXPLANATION")
			for _, r := range res.GetReasons() {
				t.row(r.GetCode(), r.GetMessageZh(), r.GetMessageEn())
			}
			t.line("attestation: %s", res.GetAttestation())
		})
	}
}

func publicStatus(inv *invocation, fs *pflag.FlagSet) action {
	return func(pos []string) error {
		res, err := inv.clients().Verification.GetDesignationStatus(inv.ctx, &registryv1.GetDesignationStatusRequest{Id: pos[0]})
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) {
			t.row("ID", "TYPE", "NAME", "HOLDER", "HOLDER NAME", "CREDIT CODE", "STATUS", "VALID FROM", "VALID UNTIL", "BUREAU")
			t.row(res.GetId(), res.GetType(), res.GetTypeNameZh(), res.GetHolderKind(), res.GetHolderName(), res.GetHolderCreditCode(),
				status(res.GetStatus()), res.GetValidFrom(), res.GetValidUntil(), res.GetGrantedByBureau())
		})
	}
}

func publicVerify(inv *invocation, fs *pflag.FlagSet) action {
	return func(pos []string) error {
		token, err := inv.attestationArg(pos[0])
		if err != nil {
			return err
		}
		res, err := inv.clients().Verification.VerifyAttestation(inv.ctx, &registryv1.VerifyAttestationRequest{Token: token})
		if err != nil {
			return err
		}
		if err := inv.emit(res, func(t *table) {
			c := res.GetClaims()
			t.row("VALID", "SIGNATURE", "EXPIRED", "DESIGNATIONS CHANGED", "PROBLEM")
			t.row(yesNo(res.GetValid()), yesNo(res.GetSignatureValid()), yesNo(res.GetExpired()), yesNo(res.GetDesignationsChanged()), res.GetProblem())
			switch {
			case c.GetKind() == attest.KindSupportStatement:
				t.section()
				t.row("KIND", "ENTERPRISE", "YEAR", "AS OF", "AWARDED FEN (YUAN)", "DISBURSED FEN (YUAN)", "RECOVERED FEN (YUAN)", "OUTSTANDING FEN (YUAN)",
					"KEY", "ISSUED", "EXPIRES")
				t.row(c.GetKind(), c.GetEnterpriseCreditCode(), num(c.GetYear()), c.GetAsOf(), fen(c.GetAwardedFen()), fen(c.GetDisbursedFen()),
					fen(c.GetRecoveredFen()), fen(c.GetOutstandingFen()), c.GetKeyId(), stamp(c.GetIssuedAt()), stamp(c.GetExpiresAt()))
				t.line("awards: %s", awardIDs(c.GetAwardIds()))
				t.line("statement digest: %s", c.GetStatementDigest())
			case c != nil:
				t.section()
				t.row("PARK", "ENTERPRISE", "BENEFIT", "AS OF", "ELIGIBLE", "REASONS", "KEY", "ISSUED", "EXPIRES")
				t.row(c.GetParkCode(), c.GetEnterpriseCreditCode(), c.GetBenefit(), c.GetAsOf(), yesNo(c.GetEligible()), list(c.GetReasonCodes()),
					c.GetKeyId(), stamp(c.GetIssuedAt()), stamp(c.GetExpiresAt()))
			}
			if len(res.GetDesignations()) > 0 {
				t.section()
				t.row("RELIED ON", "STATUS NOW")
				for _, d := range res.GetDesignations() {
					t.row(d.GetDesignationId(), status(d.GetStatusNow()))
				}
			}
		}); err != nil {
			return err
		}
		if !res.GetValid() {
			if res.GetProblem() == "" {
				return errors.New("attestation refused")
			}
			return fmt.Errorf("attestation refused: %s", res.GetProblem())
		}
		return nil
	}
}

func publicKeys(inv *invocation, fs *pflag.FlagSet) action {
	return func([]string) error {
		res, err := inv.clients().Verification.GetSigningKeys(inv.ctx, &registryv1.GetSigningKeysRequest{})
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) {
			t.row("KID", "KTY", "CRV", "ALG", "USE", "X")
			for _, k := range res.GetKeys() {
				t.row(k.GetKid(), k.GetKty(), k.GetCrv(), k.GetAlg(), k.GetUse(), k.GetX())
			}
		})
	}
}
