package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
)

// testSupport is the support ledger's part of TestCommands: a member of
// the walk's enterprise {c1} applies for a compute voucher on a contract
// of 10,000,000 yuan of other compute, economy-IT reviews the preview and
// approves 20% of it, 2,000,000 yuan; pays it from the city and Xihu
// district, orders part of it back, and the member may not apply while
// the order stands; once it is settled, the awards and the signed
// statement add up, the transparency list shows the award without a token,
// and the statement's attestation verifies online and offline.
func testSupport(t *testing.T, h *harness) {
	h.steps([]step{
		{name: "support measures", as: "viewer", args: []string{"support", "measures"},
			want: []string{"PAYS ON", "compute-voucher", "算力券", "(三)", "other-compute 20%", "domestic-compute 30%",
				"800000000 (8,000,000.00)", "25000000000 (250,000,000.00)", "loan-interest-subsidy", "financial-office (with economy-it, development-reform)",
				"model-filing-reward", "evaluation-fees 100%", "规则", "每家企业每年最高 800 万元", "the measures cover costs from 2024-08-19 to 2027-12-31"}},
		{name: "support measures json", as: "member", args: []string{"support", "measures"},
			json: map[string]string{"measures.0.code": "compute-voucher", "measures.0.enterpriseYearCapFen": "800000000",
				"measures.0.budgetLeftFen": "25000000000", "measures.0.basisKinds.2.code": "other-compute", "measures.0.basisKinds.2.rateBp": "2000",
				"measures.0.windowFrom": "2024-08-19"}},
		{name: "support apply", as: "member",
			args: []string{"support", "apply", "--measure", "compute-voucher", "--enterprise", "{c1}", "--year", "2026", "--basis-reference", " ht-1 ",
				"--basis-kind", "other-compute", "--basis-amount-fen", "1000000000", "--basis-date", "2026-05-10", "--evidence", "算力服务合同及付款凭证"},
			json: map[string]string{"application.status": "APPLICATION_STATUS_PENDING", "application.basisReference": "HT-1",
				"application.basisAmountFen": "1000000000", "application.enterpriseName": "杭州云栖智算科技有限公司", "application.awardedFen": "0",
				"application.breakdown.0.code": "<missing>", "application.awardId": ""},
			capture: map[string]string{"app": "application.id"}},
		{name: "support get as member", as: "member", args: []string{"support", "get", "{app}"},
			want: []string{"{app}", "compute-voucher", "{c1}", "HT-1 other-compute", "1000000000 (10,000,000.00)", "2026-05-10", "PENDING", "算力服务合同及付款凭证"}},
		{name: "support list pending", as: "economy", args: []string{"support", "list", "--measure", "compute-voucher", "--status", "pending"},
			want: []string{"BASIS FEN (YUAN)", "{app}", "杭州云栖智算科技有限公司", "PENDING"}},
		{name: "support list pending json", as: "economy", args: []string{"support", "list", "--status", "PENDING", "--enterprise", "{c1}"},
			json: map[string]string{"applications.0.id": "{app}", "applications.1.id": "<missing>", "nextPageToken": ""}},
		{name: "support list approved", as: "economy", args: []string{"support", "list", "--status", "approved"},
			json: map[string]string{"applications.0.id": "<missing>"}},
		{name: "support get preview", as: "economy", args: []string{"support", "get", "{app}"},
			want: []string{"STEP", "LIMIT FEN (YUAN)", "BEFORE → AFTER FEN (YUAN)", "说明", "EXPLANATION",
				"computed", "1000000000 → 200000000 (10,000,000.00 → 2,000,000.00)", "其他算力", "On other compute",
				"enterprise_year_cap", "800000000 (8,000,000.00)", "200000000 → 200000000 (2,000,000.00 → 2,000,000.00)",
				"budget", "25000000000 (250,000,000.00)",
				"preview: approving now would award 200000000 fen (2,000,000.00 yuan)"}},
		{name: "support get preview json", as: "economy", args: []string{"support", "get", "{app}"},
			json: map[string]string{"application.breakdownIsPreview": "true", "application.breakdown.0.beforeFen": "1000000000",
				"application.breakdown.0.afterFen": "200000000", "application.breakdown.1.limitFen": "800000000"}},
		{name: "support decide approve", as: "economy", args: []string{"support", "decide", "{app}", "--approve", "--reason", "材料齐全，同意支持。"},
			want: []string{"APPROVED", "材料齐全，同意支持。", "computed", "1000000000 → 200000000 (10,000,000.00 → 2,000,000.00)",
				"awarded 200000000 fen (2,000,000.00 yuan)", "PAYABLE FEN (YUAN)", "2026-06-15"}},
		{name: "support get decided", as: "member", args: []string{"support", "get", "{app}"},
			json: map[string]string{"application.status": "APPLICATION_STATUS_APPROVED", "application.awardedFen": "200000000",
				"application.breakdownIsPreview": "false", "application.breakdown.0.code": "computed"},
			capture: map[string]string{"award": "application.awardId"}},
		{name: "support apply to reject", as: "member",
			args: []string{"support", "apply", "--measure", "compute-voucher", "--enterprise", "{c1}", "--year", "2026", "--basis-reference", "HT-9",
				"--basis-kind", "domestic-compute", "--basis-amount-fen", "500000000", "--basis-date", "2026-06-01"},
			capture: map[string]string{"app2": "application.id"}},
		{name: "support decide reject", as: "economy", args: []string{"support", "decide", "{app2}", "--reject", "--reason", "合同未履行。"},
			want: []string{"{app2}", "REJECTED", "合同未履行。"}},

		// Payments by the city and by Xihu district.
		{name: "support disburse", as: "economy", args: []string{"support", "disburse", "{award}", "--amount-fen", "120000000", "--paid-on", "2026-06-15", "--payer", "city"},
			want: []string{"PAYMENT", "{award}", "120000000 (1,200,000.00)", "city", "杭州市本级", "80000000 (800,000.00)"}},
		{name: "support disburse district", as: "economy",
			args: []string{"support", "disburse", "{award}", "--amount-fen", "50000000", "--paid-on", "2026-06-15", "--payer", "district:330106"},
			json: map[string]string{"disbursement.payer": "district:330106", "disbursement.payerName": "西湖区", "disbursement.amountFen": "50000000",
				"award.disbursedFen": "170000000", "award.payableFen": "30000000", "award.outstandingFen": "30000000"}},
		{name: "support recover", as: "economy",
			args: []string{"support", "recover", "{award}", "--amount-fen", "20000000", "--reason", "部分算力未实际使用，责令退回。"},
			json: map[string]string{"recovery.amountFen": "20000000", "recovery.orderedOn": "2026-06-15", "recovery.settledOn": "",
				"award.recoveredFen": "20000000", "award.outstandingFen": "50000000"},
			capture: map[string]string{"recovery": "recovery.id"}},
		{name: "support statement while owing", as: "member", args: []string{"support", "statement", "{c1}", "--year", "2026"},
			want: []string{"UNSETTLED RECOVERY FEN (YUAN)", "20000000 (200,000.00)", "{recovery}", "部分算力未实际使用，责令退回。", "unsettled"}},
	})

	t.Run("support apply refused while owing", func(t *testing.T) {
		out, err := h.run("member", "support", "apply", "--measure", "compute-voucher", "--enterprise", h.vars["c1"], "--year", "2026",
			"--basis-reference", "HT-2", "--basis-kind", "other-compute", "--basis-amount-fen", "40000000", "--basis-date", "2026-05-10")
		if err == nil {
			t.Fatalf("applied while owing:\n%s", out)
		}
		line := fmt.Sprintln("registryctl:", err)
		want := "registryctl: failed_precondition: the enterprise has an unsettled recovery order " + h.vars["recovery"] +
			" of 200,000.00 yuan; it may not receive new support until it is settled\n"
		if line != want || out != "" {
			t.Fatalf("printed %q and %q, want %q", line, out, want)
		}
	})
	if t.Failed() {
		t.FailNow()
	}

	h.steps([]step{
		{name: "support settle", as: "economy", args: []string{"support", "settle", "{recovery}"},
			want: []string{"RECOVERY", "{recovery}", "{award}", "20000000 (200,000.00)", "2026-06-15"}},
	})
	if _, err := h.run("economy", "support", "settle", h.vars["recovery"], "--settled-on", "2026-06-15"); err == nil ||
		err.Error() != "failed_precondition: recovery "+h.vars["recovery"]+" is settled already" {
		t.Fatalf("settling twice: %v, want failed_precondition: recovery %s is settled already", err, h.vars["recovery"])
	}

	h.steps([]step{
		{name: "support set-cap", as: "economy", args: []string{"support", "set-cap", "--measure", "compute-voucher", "--enterprise", "{c1}", "--year", "2026",
			"--cap-fen", "1000000000", "--reason", "基础模型企业"},
			want: []string{"CAP FEN (YUAN)", "compute-voucher", "{c1}", "1000000000 (10,000,000.00)", "800000000 (8,000,000.00)", "200000000 (2,000,000.00)"}},
	})
	if _, err := h.run("economy", "support", "set-cap", "--measure", "compute-voucher", "--enterprise", h.vars["c1"], "--year", "2026",
		"--cap-fen", "100", "--reason", "x"); err == nil || !strings.HasPrefix(err.Error(), "failed_precondition: cap_fen: the enterprise has been awarded 2,000,000.00 yuan") {
		t.Fatalf("a cap below the award: %v", err)
	}

	h.steps([]step{
		{name: "support awards", as: "economy", args: []string{"support", "awards", "--measure", "compute-voucher", "--enterprise", "{c1}", "--year", "2026"},
			want: []string{"OUTSTANDING FEN (YUAN)", "{award}", "{app}", "HT-1 other-compute", "200000000 (2,000,000.00)", "170000000 (1,700,000.00)",
				"20000000 (200,000.00)", "50000000 (500,000.00)", "30000000 (300,000.00)"}},
		{name: "support awards json", as: "member", args: []string{"support", "awards"},
			json: map[string]string{"awards.0.id": "{award}", "awards.0.disbursements.1.payer": "district:330106",
				"awards.0.recoveries.0.settledOn": "2026-06-15", "awards.1.id": "<missing>"}},
		{name: "support statement", as: "member", args: []string{"support", "statement", "{c1}", "--year", "2026"},
			json: map[string]string{"enterpriseName": "杭州云栖智算科技有限公司", "year": "2026", "awardedFen": "200000000", "disbursedFen": "170000000",
				"recoveredFen": "20000000", "outstandingFen": "50000000", "unsettledRecoveryFen": "0", "awards.0.id": "{award}",
				"measures.0.measureCode": "compute-voucher", "measures.0.headroomFen": "800000000", "measures.0.enterpriseYearCapFen": "1000000000"},
			capture: map[string]string{"statement": "attestation", "digest": "digest"}},
		{name: "support statement table", as: "economy", args: []string{"support", "statement", "{c1}", "--year", "2026"},
			want: []string{"杭州云栖智算科技有限公司", "HEADROOM FEN (YUAN)", "800000000 (8,000,000.00)", "杭州市本级", "西湖区",
				"digest: {digest}", "attestation: ey"}},
		{name: "support published", as: "anonymous", args: []string{"support", "published", "--year", "2026"},
			want: []string{"{award}", "杭州云栖智算科技有限公司", "{c1}", "compute-voucher", "算力券", "200000000 (2,000,000.00)",
				"published: awards of at least 10000000 fen (100,000.00 yuan)"}},
		{name: "support published json", as: "anonymous", args: []string{"support", "published", "--measure", "compute-voucher"},
			json: map[string]string{"thresholdFen": "10000000", "awards.0.awardId": "{award}", "awards.0.recoveredFen": "20000000",
				"awards.1.awardId": "<missing>"}},
		{name: "support published other measure", as: "anonymous", args: []string{"support", "published", "--measure", "rd-matching"},
			json: map[string]string{"awards.0.awardId": "<missing>"}},
		{name: "public verify statement", as: "anonymous", args: []string{"public", "verify", "{statement}"},
			want: []string{"VALID", "yes", "support-statement", "{c1}", "2026", "200000000 (2,000,000.00)", "170000000 (1,700,000.00)",
				"50000000 (500,000.00)", "awards: {award}", "statement digest: {digest}"}},
		{name: "public verify statement json", as: "anonymous", args: []string{"public", "verify", "{statement}"},
			json: map[string]string{"valid": "true", "claims.kind": "support-statement", "claims.year": "2026", "claims.awardedFen": "200000000",
				"claims.statementDigest": "{digest}", "claims.awardIds.0": "{award}"}},
	})

	t.Run("support statement verified offline", func(t *testing.T) {
		// The registry's clock, by which the statement is not expired.
		now := h.env.Clock.Now
		var out bytes.Buffer
		if err := runVerify([]string{h.vars["statement"], "--jwks", h.vars["jwks"]}, strings.NewReader(""), &out, io.Discard, now); err != nil {
			t.Fatalf("verify: %v\n%s", err, out.String())
		}
		for _, want := range []string{"signature   valid", "kind        support-statement", "enterprise  " + h.vars["c1"], "year        2026",
			"awarded     200000000 fen (2,000,000.00 yuan)", "disbursed   170000000 fen (1,700,000.00 yuan)",
			"recovered   20000000 fen (200,000.00 yuan)", "outstanding 50000000 fen (500,000.00 yuan)",
			"awards      " + h.vars["award"], "digest      " + h.vars["digest"]} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("output lacks %q:\n%s", want, out.String())
			}
		}
		if strings.Contains(out.String(), "park") {
			t.Errorf("a statement shows a park:\n%s", out.String())
		}

		out.Reset()
		if err := runVerify([]string{h.vars["statement"], "-o", "json", "--jwks", h.vars["jwks"]}, strings.NewReader(""), &out, io.Discard, now); err != nil {
			t.Fatalf("verify -o json: %v\n%s", err, out.String())
		}
		var got verifiedAttestation
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatalf("verify -o json: %v\n%s", err, out.String())
		}
		if !got.Valid || got.Kind != "support-statement" || got.Year != 2026 || got.Enterprise != h.vars["c1"] || got.AwardedFen != 200_000_000 ||
			got.DisbursedFen != 170_000_000 || got.RecoveredFen != 20_000_000 || got.OutstandingFen != 50_000_000 ||
			got.StatementDigest != h.vars["digest"] || len(got.AwardIDs) != 1 || got.AwardIDs[0] != h.vars["award"] {
			t.Errorf("verify -o json: %+v\n%s", got, out.String())
		}
		if !strings.Contains(out.String(), `"awardedFen": "200000000"`) {
			t.Errorf("fen not written as the registry writes int64:\n%s", out.String())
		}

		// The eligibility attestation of the walk says its kind in JSON.
		out.Reset()
		_ = runVerify([]string{h.vars["att"], "-o", "json", "--jwks", h.vars["jwks"]}, strings.NewReader(""), &out, io.Discard, now)
		if !strings.Contains(out.String(), `"kind": "eligibility"`) || !strings.Contains(out.String(), `"awardIds": []`) {
			t.Errorf("eligibility attestation -o json:\n%s", out.String())
		}
	})
	if t.Failed() {
		t.FailNow()
	}
}

// TestYuan checks amounts and rates are written from their integers.
func TestYuan(t *testing.T) {
	for fen, want := range map[int64]string{0: "0.00", 5: "0.05", 100: "1.00", 99_999: "999.99", 100_000: "1,000.00",
		123_456_789: "1,234,567.89", 400_000_000: "4,000,000.00", -150: "-1.50", -100_000_000: "-1,000,000.00"} {
		if got := yuan(fen); got != want {
			t.Errorf("yuan(%d) = %q, want %q", fen, got, want)
		}
	}
	for bp, want := range map[int64]string{2000: "20%", 10000: "100%", 150: "1.5%", 25: "0.25%", 0: "0%"} {
		if got := percentBP(bp); got != want {
			t.Errorf("percentBP(%d) = %q, want %q", bp, got, want)
		}
	}
	if got := fen(200_000_000); got != "200000000 (2,000,000.00)" {
		t.Errorf("fen = %q", got)
	}
}
