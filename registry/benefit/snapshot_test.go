package benefit_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/supportdisbursement"
	"github.com/hangzhou-ai/registry/registry/benefit"
	"github.com/hangzhou-ai/registry/registry/internal/core"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// TestImportedPaymentOnceAtOnce: RecordDisbursementIn with once (what a
// support-disbursements import calls for every row) records a payment
// identical to one recorded nothing the second time, even when the two
// come at once (one file imported twice concurrently). Found in review:
// the check was a SELECT before any lock, and on PostgreSQL both imports
// saw no payment and both made it; the award's row is now locked first.
func TestImportedPaymentOnceAtOnce(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		fx := newFixture(t, db)
		a := fx.apply(t, fx.memberE, voucher(fx.e, "HT-IDEM", "other-compute", 10_000_000))
		_, aw := fx.approve(t, fx.economy, a.ID)
		p, err := core.PrincipalOf(fx.economy)
		if err != nil {
			t.Fatal(err)
		}
		pay := benefit.NewDisbursement{AwardID: aw.ID, AmountFen: yuan(1_000), PaidOn: "2026-06-15", Payer: "city"}
		recorded := make(chan struct{})
		var wg sync.WaitGroup
		var errs [2]error
		wg.Go(func() {
			errs[0] = fx.reg.Benefits.InTx(fx.economy, func(tx *ent.Tx) error {
				_, _, _, err := fx.reg.Benefits.RecordDisbursementIn(fx.economy, tx, p, pay, true)
				close(recorded)
				time.Sleep(300 * time.Millisecond) // the second import runs meanwhile
				return err
			})
		})
		wg.Go(func() {
			<-recorded
			errs[1] = fx.reg.Benefits.InTx(fx.economy, func(tx *ent.Tx) error {
				_, _, _, err := fx.reg.Benefits.RecordDisbursementIn(fx.economy, tx, p, pay, true)
				return err
			})
		})
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("import %d: %v", i, err)
			}
		}
		n, err := fx.reg.DB.SupportDisbursement.Query().Where(supportdisbursement.AwardID(aw.ID)).Count(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("the same payment imported twice at once is recorded %d times; want once", n)
		}
	})
}

// TestStatementIsOneSnapshot: a payment made while a statement is read
// is in all of it or none of it: the signed totals, the award's payments
// and the attested audit tree size are one state of the ledger. Found in
// review: the statement was read in separate statements outside any
// transaction, and a payment landing between the award rows and the
// payment rows was listed but not totalled. The interceptor makes the
// interleaving certain.
func TestStatementIsOneSnapshot(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		fx := newFixture(t, db)
		a := fx.apply(t, fx.memberE, voucher(fx.e, "HT-SNAP", "other-compute", 10_000_000))
		_, aw := fx.approve(t, fx.economy, a.ID)
		var armed atomic.Bool
		paid := make(chan struct{})
		fx.reg.DB.SupportDisbursement.Intercept(ent.InterceptFunc(func(next ent.Querier) ent.Querier {
			return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
				if armed.CompareAndSwap(true, false) {
					// A payment is made while the statement is being read.
					go func() {
						defer close(paid)
						if _, _, err := fx.reg.RecordDisbursement(fx.economy, benefit.NewDisbursement{AwardID: aw.ID, AmountFen: yuan(1_000), PaidOn: "2026-06-15", Payer: "city"}); err != nil {
							t.Errorf("concurrent payment: %v", err)
						}
					}()
					// PostgreSQL commits it meanwhile; SQLite's one connection
					// makes it wait for the statement's read to end.
					if db.Name == "postgres" {
						<-paid
					}
				}
				return next.Query(ctx, q)
			})
		}))
		armed.Store(true)
		st, err := fx.reg.GetSupportStatement(fx.memberE, fx.e, 2026)
		if err != nil {
			t.Fatal(err)
		}
		<-paid
		for _, x := range st.Awards {
			var paid int64
			for _, d := range x.Disbursements {
				paid += d.AmountFen
			}
			if paid != x.DisbursedFen {
				t.Errorf("signed statement: award %s lists payments of %d fen but says %d fen disbursed (the attestation says %d)", x.ID, paid, x.DisbursedFen, st.DisbursedFen)
			}
		}
	})
}
