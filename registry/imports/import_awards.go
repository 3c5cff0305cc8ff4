package imports

import (
	"context"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/registry/competition"
	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// AwardRow is one row of an award import.
type AwardRow struct {
	Row           int64
	CompetitionID string
	competition.AwardInput
}

// Awards checks a batch of award rows as far as it can without the
// database and keeps the valid ones for Finish, which checks them against
// their competitions and records them. Winners named by document are
// matched or registered as RecordAwards does; an award already recorded
// counts as existing.
func (im *Import) Awards(ctx context.Context, rows []AwardRow) (ImportProgress, error) {
	if err := im.batch(ImportAwards, len(rows)); err != nil {
		return im.progress, err
	}
	errs := im.newRowErrors()
	for _, row := range rows {
		if err := im.allowed(authz.ObjCompetition, authz.ActRecordAwards); err != nil {
			if err := errs.addError(row.Row, "competition_id", err); err != nil {
				return im.progress, err
			}
			continue
		}
		v := &core.Violations{}
		core.CheckID(v, "competition_id", row.CompetitionID, true)
		// The prize is checked against the competition when the rows are
		// written; until then any prize passes.
		anyPrize := competition.Competition{PrizeLevels: []competition.PrizeLevel{{Prize: row.Prize}}}
		if im.r.Competitions.ValidateAward(v, anyPrize, row.AwardInput); len(v.List) > 0 {
			errs.addViolations(row.Row, v)
			continue
		}
		if err := im.keep(row); err != nil {
			return im.progress, err
		}
	}
	return im.progress, nil
}

// writeAwards records kept award rows inside the import's transaction.
// Awards are few per competition, so each row is resolved on its own.
func (im *Import) writeAwards(ctx context.Context, rows []AwardRow) error {
	errs := im.newRowErrors()
	competitions := map[string]*competition.Competition{}
	for _, row := range rows {
		if err := im.allowed(authz.ObjCompetition, authz.ActRecordAwards); err != nil {
			if err := errs.addError(row.Row, "competition_id", err); err != nil {
				return err
			}
			continue
		}
		comp, ok := competitions[row.CompetitionID]
		if !ok {
			c, err := competition.LoadCompetition(ctx, im.tx.Client(), "competition_id", row.CompetitionID)
			if err := errs.addError(row.Row, "competition_id", err); err != nil {
				return err
			}
			if c != nil {
				loaded := competition.CompetitionOf(c)
				comp = &loaded
			}
			competitions[row.CompetitionID] = comp
		}
		if comp == nil {
			if ok { // reported for its first row; every row counts
				errs.add(row.Row, "competition_id", "competition "+row.CompetitionID+" does not exist")
			}
			continue
		}
		v := &core.Violations{}
		w := im.r.Competitions.ValidateAward(v, *comp, row.AwardInput)
		if len(v.List) > 0 {
			errs.addViolations(row.Row, v)
			continue
		}
		_, isNew, err := im.r.Competitions.RecordAward(ctx, im.tx, im.p, comp.ID, "", w)
		if err := errs.addError(row.Row, "name", err); err != nil {
			return err
		}
		switch {
		case err != nil:
		case isNew:
			im.progress.Created++
		default:
			im.progress.Existing++
		}
	}
	return nil
}
