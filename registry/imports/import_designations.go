package imports

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	ententerprise "github.com/hangzhou-ai/registry/ent/enterprise"
	"github.com/hangzhou-ai/registry/ent/talent"
	"github.com/hangzhou-ai/registry/registry/catalog"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// DesignationRow is one row of a designation import. A row whose credit
// code the registry does not know, but which carries EnterpriseName (and
// District), registers that enterprise in the same import.
type DesignationRow struct {
	Row int64
	designation.Grant
	EnterpriseName string
	District       string
}

// importChunk bounds the rows of one multi-row INSERT: a designation has
// 20 columns, far below both databases' bind-parameter limits.
const importChunk = 1000

// designationChunk is how many designation rows are resolved and written
// together: one holder query and one COPY (or a few INSERTs) each.
const designationChunk = 5000

// pendingDesignation is a validated row waiting for its holder.
type pendingDesignation struct {
	row      DesignationRow
	typ      catalog.DesignationType
	g        designation.ValidGrant
	name     string
	district string
}

// Designations checks a batch of designation rows and keeps the valid
// ones for Finish, which finds (or registers) their holders and records
// them; a designation already recorded counts as existing then.
func (im *Import) Designations(ctx context.Context, rows []DesignationRow) (ImportProgress, error) {
	return keepChecked(im, ImportDesignations, rows, im.checkDesignation)
}

// checkDesignation checks one row field by field and against the policy,
// reporting its problems.
func (im *Import) checkDesignation(row DesignationRow, errs *rowErrors) (pendingDesignation, bool, error) {
	v := &core.Violations{}
	typ, ok := designation.DesignationType(v, "type", row.Type, true)
	if !ok {
		errs.addViolations(row.Row, v)
		return pendingDesignation{}, false, nil
	}
	if err := im.allowed(authz.DesignationObject(typ.Code), authz.ActGrant); err != nil {
		return pendingDesignation{}, false, errs.addError(row.Row, "type", err)
	}
	pd := pendingDesignation{row: row, typ: typ, g: designation.ValidateGrant(v, typ, row.Grant)}
	pd.name = core.CleanText(v, "enterprise_name", row.EnterpriseName, core.MaxNameLen, false)
	pd.district = core.CheckDistrict(v, "district", row.District)
	if len(v.List) > 0 {
		errs.addViolations(row.Row, v)
		return pendingDesignation{}, false, nil
	}
	return pd, true, nil
}

// writeDesignations records kept designation rows inside the import's
// transaction.
func (im *Import) writeDesignations(ctx context.Context, rows []DesignationRow) error {
	errs := im.newRowErrors()
	bureau, _ := im.p.OrgCode("bureau")
	var valid []pendingDesignation
	for _, row := range rows {
		pd, ok, err := im.checkDesignation(row, errs)
		if err != nil {
			return err
		}
		if ok {
			valid = append(valid, pd)
		}
	}
	holders, err := im.designationHolders(ctx, valid, errs)
	if err != nil {
		return err
	}
	now, today := im.r.Now(), im.r.Today()
	candidates := make([]*ent.Designation, 0, len(valid))
	for _, pd := range valid {
		rec := designation.NewDesignation{Typ: pd.typ, Level: pd.g.Level, From: pd.g.From, Until: pd.g.Until, Doc: pd.g.Doc, Note: pd.g.Note, Bureau: bureau}
		switch h := holders[holderKey(pd)]; {
		case h.enterprise != nil:
			rec.Enterprise = h.enterprise
		case h.talent != nil:
			rec.Talent = h.talent
		default:
			continue // reported by designationHolders
		}
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		candidates = append(candidates, rec.Row(im.p, id.String(), now))
	}
	values := make([][]any, len(candidates))
	for i, d := range candidates {
		values[i] = designation.Values(d)
	}
	created, err := im.insertNew(ctx, "designations", designation.Columns, values)
	if err != nil {
		return fmt.Errorf("insert designations: %w", err)
	}
	changes := make([]core.Change, 0, len(created))
	for _, d := range candidates {
		if !created[d.ID] {
			im.progress.Existing++
			continue
		}
		changes = append(changes, core.Change{Action: "designation.grant", EntityType: "designation", EntityID: d.ID,
			After: designation.DesignationOf(d, today), Reason: "bulk import", Owner: designation.Owner(d)})
	}
	im.progress.Created += int64(len(changes))
	// The events join the chain once every row is written (writeRowsAndAudit).
	im.later(changes)
	return nil
}

// designationHolder is the enterprise or talent a row names.
type designationHolder struct {
	enterprise *ent.Enterprise
	talent     *ent.Talent
}

func holderKey(pd pendingDesignation) string {
	if pd.typ.SubjectKind == catalog.SubjectTalent {
		return "t:" + pd.g.TalentID
	}
	return "e:" + pd.g.CreditCode
}

// designationHolders finds the holders of a batch with one query per
// kind, registering enterprises the rows name with a name but the registry
// does not know; rows whose holder cannot be found are reported.
func (im *Import) designationHolders(ctx context.Context, rows []pendingDesignation, errs *rowErrors) (map[string]designationHolder, error) {
	var codes, talentIDs []string
	for _, pd := range rows {
		if pd.typ.SubjectKind == catalog.SubjectTalent {
			talentIDs = append(talentIDs, pd.g.TalentID)
		} else {
			codes = append(codes, pd.g.CreditCode)
		}
	}
	holders := map[string]designationHolder{}
	enterprises, err := im.tx.Enterprise.Query().Where(ententerprise.CreditCodeIn(codes...)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, e := range enterprises {
		holders["e:"+e.CreditCode] = designationHolder{enterprise: e}
	}
	talents, err := im.tx.Talent.Query().Where(talent.IDIn(talentIDs...)).WithEmployer().All(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range talents {
		holders["t:"+t.ID] = designationHolder{talent: t}
	}
	var newEnterprises []enterprise.NewEnterprise
	for _, pd := range rows {
		key := holderKey(pd)
		if _, ok := holders[key]; ok {
			continue
		}
		switch {
		case pd.typ.SubjectKind == catalog.SubjectTalent:
			errs.add(pd.row.Row, "talent_id", fmt.Sprintf("talent %s is not registered", pd.g.TalentID))
		case pd.name == "":
			errs.add(pd.row.Row, "enterprise_credit_code", fmt.Sprintf("enterprise %s is not registered; give enterprise_name to register it", pd.g.CreditCode))
		default:
			if err := im.allowed(authz.ObjEnterprise, authz.ActRegister); err != nil {
				if err := errs.addError(pd.row.Row, "enterprise_name", err); err != nil {
					return nil, err
				}
				continue
			}
			holders[key] = designationHolder{} // registered below
			newEnterprises = append(newEnterprises, enterprise.NewEnterprise{CreditCode: pd.g.CreditCode, Name: pd.name, District: pd.district})
		}
	}
	if len(newEnterprises) == 0 {
		return holders, nil
	}
	registered, err := im.createEnterprises(ctx, newEnterprises)
	if err != nil {
		return nil, err
	}
	im.progress.EnterprisesCreated += int64(len(registered))
	for _, e := range registered {
		holders["e:"+e.CreditCode] = designationHolder{enterprise: e}
	}
	return holders, nil
}
