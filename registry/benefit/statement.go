package benefit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/hangzhou-ai/registry/attest"
	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/supportaward"
	"github.com/hangzhou-ai/registry/ent/supportrecovery"
	"github.com/hangzhou-ai/registry/registry/catalog"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// maxStatementAwards bounds the awards one statement lists.
const maxStatementAwards = 1000

// MeasureTotals are an enterprise's totals under one measure in a year.
// HeadroomFen is what the enterprise may still be awarded under the
// measure that year: what its enterprise-year cap and the budget leave, 0
// once a count limit (the measure's awards that year, or the
// enterprise's) is reached, -1 when neither a cap nor a budget bounds it.
type MeasureTotals struct {
	MeasureCode          string `json:"measure_code"`
	AwardedFen           int64  `json:"awarded_fen"`
	DisbursedFen         int64  `json:"disbursed_fen"`
	RecoveredFen         int64  `json:"recovered_fen"`
	OutstandingFen       int64  `json:"outstanding_fen"`
	HeadroomFen          int64  `json:"headroom_fen"`
	EnterpriseYearCapFen int64  `json:"enterprise_year_cap_fen"`
}

// Statement is everything an enterprise received in a year, with totals
// (Awarded = Disbursed + Outstanding − Recovered) and a signed attestation
// of them.
type Statement struct {
	EnterpriseCreditCode string          `json:"enterprise_credit_code"`
	EnterpriseName       string          `json:"enterprise_name"`
	Year                 int             `json:"year"`
	Awards               []Award         `json:"awards"`
	Measures             []MeasureTotals `json:"measures"`
	AwardedFen           int64           `json:"awarded_fen"`
	DisbursedFen         int64           `json:"disbursed_fen"`
	RecoveredFen         int64           `json:"recovered_fen"`
	OutstandingFen       int64           `json:"outstanding_fen"`
	UnsettledRecoveryFen int64           `json:"unsettled_recovery_fen"`
	IssuedAt             time.Time       `json:"issued_at"`
	AuditTreeSize        int64           `json:"audit_tree_size"`
	// Digest is the SHA-256 (hex) of the statement's JSON without Digest
	// and Attestation; the attestation signs it with the totals.
	Digest      string `json:"-"`
	Attestation string `json:"-"`
}

// GetSupportStatement returns an enterprise's statement for year: every
// award with its disbursements and recoveries (and the current status of
// a prerequisite designation relied on), totals and headroom per measure,
// signed with the registry's attestation key so that a bank or another
// bureau can check it offline. The enterprise's members, bureaus and
// auditors may read it.
func (r *Benefits) GetSupportStatement(ctx context.Context, creditCode string, year int) (Statement, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return Statement{}, err
	}
	v := &core.Violations{}
	code := core.CreditCode(v, "enterprise_credit_code", creditCode, true)
	if year == 0 {
		v.Add("year", "is required")
	} else {
		core.ValidateYear(v, "year", year)
	}
	if err := v.Err(); err != nil {
		return Statement{}, err
	}
	if err := r.Authorize(p, authz.SupportObject("*"), authz.ActRead, authz.EnterpriseOrg(code)); err != nil {
		return Statement{}, err
	}
	e, err := enterprise.EnterpriseByCode(ctx, r.DB, "enterprise_credit_code", code)
	if err != nil {
		return Statement{}, err
	}
	st, err := r.readStatement(ctx, e, year)
	if err != nil {
		return Statement{}, err
	}
	if err := r.sign(ctx, &st); err != nil {
		return Statement{}, err
	}
	return st, nil
}

// readStatement reads an enterprise's statement for year in one
// read-only transaction (REPEATABLE READ on PostgreSQL; SQLite's is a
// snapshot), so that the awards, their payments and recoveries, the
// counters and the audit tree size are one state of the ledger, and the
// tree size covers every event behind it.
func (r *Benefits) readStatement(ctx context.Context, e *ent.Enterprise, year int) (Statement, error) {
	var opts *sql.TxOptions
	if r.Postgres() {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	tx, err := r.DB.BeginTx(ctx, opts)
	if err != nil {
		return Statement{}, err
	}
	defer func() {
		if err := tx.Rollback(); err != nil {
			r.Log.Debug("ending a statement's read", zap.Error(err))
		}
	}()
	db := tx.Client()
	rows, err := db.SupportAward.Query().Where(supportaward.EnterpriseID(e.ID), supportaward.Year(year)).
		Order(ent.Asc(supportaward.FieldID)).Limit(maxStatementAwards + 1).All(ctx)
	if err != nil {
		return Statement{}, err
	}
	if len(rows) > maxStatementAwards {
		// A statement is whole or it is not signed.
		return Statement{}, core.FailedPrecondition("the enterprise has more than %d awards in %d: one statement would not hold them; read them with ListAwards", maxStatementAwards, year)
	}
	awards, err := r.awardsWithLedger(ctx, db, rows)
	if err != nil {
		return Statement{}, err
	}
	st := Statement{EnterpriseCreditCode: e.CreditCode, EnterpriseName: e.Name, Year: year, Awards: awards,
		IssuedAt: r.Now().Truncate(time.Second)}
	if err := r.totals(ctx, db, &st, e.ID); err != nil {
		return Statement{}, err
	}
	size, err := tx.QueryContext(ctx, "SELECT "+designation.TreeSizeColumn)
	if err != nil {
		return Statement{}, err
	}
	defer size.Close()
	if !size.Next() {
		return Statement{}, errors.Join(errors.New("benefit: the audit head is missing"), size.Err())
	}
	if err := size.Scan(&st.AuditTreeSize); err != nil {
		return Statement{}, err
	}
	return st, size.Close()
}

// totals adds the statement's totals, per measure with headroom, and what
// the enterprise owes on unsettled recovery orders.
func (r *Benefits) totals(ctx context.Context, db *ent.Client, st *Statement, enterpriseID int) error {
	by := map[string]*MeasureTotals{}
	var specs []counterSpec
	for _, m := range catalog.Measures {
		st.Measures = append(st.Measures, MeasureTotals{MeasureCode: m.Code, EnterpriseYearCapFen: m.EnterpriseYearCapFen})
		specs = append(specs, countersOf(m, enterpriseID, st.Year, "")...)
	}
	for i := range st.Measures {
		by[st.Measures[i].MeasureCode] = &st.Measures[i]
	}
	for _, a := range st.Awards {
		t := by[a.MeasureCode]
		t.AwardedFen += a.AwardedFen
		t.DisbursedFen += a.DisbursedFen
		t.RecoveredFen += a.RecoveredFen
		t.OutstandingFen += a.OutstandingFen
		st.AwardedFen += a.AwardedFen
		st.DisbursedFen += a.DisbursedFen
		st.RecoveredFen += a.RecoveredFen
		st.OutstandingFen += a.OutstandingFen
	}
	counters, err := r.readCounters(ctx, db, specs)
	if err != nil {
		return err
	}
	for _, m := range catalog.Measures {
		h := headroomOf(m, enterpriseID, st.Year, "", counters)
		t := by[m.Code]
		t.HeadroomFen = h.EnterpriseYearLeft
		if m.EnterpriseYearCapFen > 0 {
			t.EnterpriseYearCapFen = h.EnterpriseYearCapFen
		}
		if m.YearlyBudgetFen > 0 && (t.HeadroomFen < 0 || h.BudgetLeft < t.HeadroomFen) {
			t.HeadroomFen = h.BudgetLeft
		}
		if countLimitReached(m, st.Year, h) != "" {
			t.HeadroomFen = 0
		}
	}
	owed, err := db.SupportRecovery.Query().Where(supportrecovery.EnterpriseID(enterpriseID), supportrecovery.Settled(false)).All(ctx)
	if err != nil {
		return err
	}
	for _, x := range owed {
		st.UnsettledRecoveryFen += x.AmountFen
	}
	return nil
}

// sign sets the statement's digest and attestation. The attestation names
// the prerequisite designations the awards relied on, so that a verifier
// sees their standing now; a later revocation does not make the statement
// untrue (see park.VerifyAttestation).
func (r *Benefits) sign(ctx context.Context, st *Statement) error {
	body, err := json.Marshal(st)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	st.Digest = hex.EncodeToString(sum[:])
	kid, key, err := r.Keys.Signer(ctx)
	if err != nil {
		return err
	}
	ids := make([]string, len(st.Awards))
	relied := []string{}
	for i, a := range st.Awards {
		ids[i] = a.ID
		if a.ReliedOnDesignationID != "" && !slices.Contains(relied, a.ReliedOnDesignationID) {
			relied = append(relied, a.ReliedOnDesignationID)
		}
	}
	claims := attest.Claims{
		Kind: attest.KindSupportStatement, Issuer: attest.Issuer, Subject: st.EnterpriseCreditCode,
		EnterpriseCreditCode: st.EnterpriseCreditCode, AsOf: core.DateOf(st.IssuedAt), Year: st.Year,
		AwardedFen: st.AwardedFen, DisbursedFen: st.DisbursedFen, RecoveredFen: st.RecoveredFen, OutstandingFen: st.OutstandingFen,
		StatementDigest: st.Digest, AwardIDs: ids, DesignationIDs: relied, ReasonCodes: []string{},
		IssuedAt: st.IssuedAt.Unix(), ExpiresAt: st.IssuedAt.Add(attest.MaxLifetime).Unix(), AuditTreeSize: st.AuditTreeSize,
	}
	st.Attestation, err = attest.Sign(key, kid, claims)
	return err
}

// PublicationThresholdFen is the least award the transparency list
// publishes: 100,000 yuan.
const PublicationThresholdFen = int64(100_000 * catalog.FenPerYuan)

// publishedPagePrefix marks the transparency list's page tokens, which
// page on award ids as ListSupportAwards does but serve only this list.
const publishedPagePrefix = "published/"

// PublishedAward is one line of the transparency list.
type PublishedAward struct {
	AwardID              string
	EnterpriseName       string
	EnterpriseCreditCode string
	Measure              catalog.Measure
	AwardedFen           int64
	RecoveredFen         int64
	AwardedOn            string
	Year                 int
}

// PublishedFilter selects the transparency list.
type PublishedFilter struct {
	MeasureCode string
	Year        int
	PageSize    int
	PageToken   string
}

// ListPublishedAwards is the public transparency list: awards of at least
// PublicationThresholdFen, newest first, with the enterprise's name and
// credit code, the measure, the amount and its date. Anyone may read it,
// without a token.
func (r *Benefits) ListPublishedAwards(ctx context.Context, f PublishedFilter) ([]PublishedAward, string, error) {
	v := &core.Violations{}
	if f.MeasureCode != "" {
		measureOf(v, "measure_code", f.MeasureCode)
	}
	if f.Year != 0 {
		core.ValidateYear(v, "year", f.Year)
	}
	size := core.PageSize(v, f.PageSize)
	after, _ := strings.CutPrefix(decodeToken(r, v, f.PageToken, publishedPagePrefix+awardIDStart), publishedPagePrefix)
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	q := r.DB.SupportAward.Query().Where(supportaward.AwardedFenGTE(PublicationThresholdFen))
	if f.MeasureCode != "" {
		q = q.Where(supportaward.MeasureCode(f.MeasureCode))
	}
	if f.Year != 0 {
		q = q.Where(supportaward.Year(f.Year))
	}
	if after != "" {
		q = q.Where(supportaward.IDLT(after))
	}
	rows, err := q.Order(ent.Desc(supportaward.FieldID)).Limit(size + 1).All(ctx)
	if err != nil {
		return nil, "", err
	}
	rows, next := core.TrimPage(r.Secrets, rows, size, func(a *ent.SupportAward) string { return publishedPagePrefix + a.ID })
	enterprises, err := r.enterprisesOf(ctx, r.DB, core.Map(rows, func(a *ent.SupportAward) int { return a.EnterpriseID }))
	if err != nil {
		return nil, "", err
	}
	return core.Map(rows, func(a *ent.SupportAward) PublishedAward {
		e := enterprises[a.EnterpriseID]
		if e == nil {
			e = &ent.Enterprise{} // enterprises are never deleted; were one missing, its line would show no name
		}
		return PublishedAward{AwardID: a.ID, EnterpriseName: e.Name, EnterpriseCreditCode: e.CreditCode,
			Measure: catalog.MeasuresByCode[a.MeasureCode], AwardedFen: a.AwardedFen, RecoveredFen: a.RecoveredFen,
			AwardedOn: a.AwardedOn, Year: a.Year}
	}), next, nil
}
