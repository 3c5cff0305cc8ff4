package registry

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/designation"
	"github.com/hangzhou-ai/registry/ent/enterprise"
	"github.com/hangzhou-ai/registry/ent/talent"
)

// DesignationRow is one row of a designation import. A row whose credit
// code the registry does not know, but which carries EnterpriseName (and
// District), registers that enterprise in the same import.
type DesignationRow struct {
	Row int64
	Grant
	EnterpriseName string
	District       string
}

// importChunk bounds the rows of one multi-row INSERT: a designation has
// 20 columns, far below both databases' bind-parameter limits.
const importChunk = 1000

// pendingDesignation is a validated row waiting for its holder.
type pendingDesignation struct {
	row      DesignationRow
	typ      DesignationType
	g        validGrant
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
	v := &violations{}
	typ, ok := designationType(v, "type", row.Type, true)
	if !ok {
		errs.addViolations(row.Row, v)
		return pendingDesignation{}, false, nil
	}
	if err := im.allowed(authz.DesignationObject(typ.Code), authz.ActGrant); err != nil {
		return pendingDesignation{}, false, errs.addError(row.Row, "type", err)
	}
	pd := pendingDesignation{row: row, typ: typ, g: validateGrant(v, typ, row.Grant)}
	pd.name = cleanText(v, "enterprise_name", row.EnterpriseName, maxNameLen, false)
	pd.district = checkDistrict(v, "district", row.District)
	if len(v.list) > 0 {
		errs.addViolations(row.Row, v)
		return pendingDesignation{}, false, nil
	}
	return pd, true, nil
}

// writeDesignations records kept designation rows inside the import's
// transaction.
func (im *Import) writeDesignations(ctx context.Context, rows []DesignationRow) error {
	errs := im.newRowErrors()
	bureau, _ := im.p.orgCode("bureau")
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
	existing, err := im.existingDesignations(ctx, valid, holders)
	if err != nil {
		return err
	}
	now := im.r.now()
	var builders []*ent.DesignationCreate
	var created []string
	for _, pd := range valid {
		rec := newDesignation{typ: pd.typ, level: pd.g.level, from: pd.g.from, until: pd.g.until, doc: pd.g.doc, note: pd.g.note, bureau: bureau}
		switch h := holders[holderKey(pd)]; {
		case h.enterprise != nil:
			rec.enterprise = h.enterprise
		case h.talent != nil:
			rec.talent = h.talent
		default:
			continue // reported by designationHolders
		}
		key := designationKey(rec)
		if existing[key] {
			im.progress.Existing++
			continue
		}
		existing[key] = true
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		builders = append(builders, rec.builder(im.tx.Designation.Create(), im.p, id.String(), now))
		created = append(created, id.String())
	}
	for start := 0; start < len(builders); start += importChunk {
		if err := im.tx.Designation.CreateBulk(builders[start:min(start+importChunk, len(builders))]...).Exec(ctx); err != nil {
			return fmt.Errorf("insert designations: %w", err)
		}
	}
	im.progress.Created += int64(len(created))
	return im.auditDesignations(ctx, created)
}

// designationHolder is the enterprise or talent a row names.
type designationHolder struct {
	enterprise *ent.Enterprise
	talent     *ent.Talent
}

func holderKey(pd pendingDesignation) string {
	if pd.typ.SubjectKind == SubjectTalent {
		return "t:" + pd.g.talentID
	}
	return "e:" + pd.g.creditCode
}

// designationHolders finds the holders of a batch with one query per
// kind, registering enterprises the rows name with a name but the registry
// does not know; rows whose holder cannot be found are reported.
func (im *Import) designationHolders(ctx context.Context, rows []pendingDesignation, errs *rowErrors) (map[string]designationHolder, error) {
	var codes, talentIDs []string
	for _, pd := range rows {
		if pd.typ.SubjectKind == SubjectTalent {
			talentIDs = append(talentIDs, pd.g.talentID)
		} else {
			codes = append(codes, pd.g.creditCode)
		}
	}
	holders := map[string]designationHolder{}
	enterprises, err := im.tx.Enterprise.Query().Where(enterprise.CreditCodeIn(codes...)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, e := range enterprises {
		holders["e:"+e.CreditCode] = designationHolder{enterprise: e}
	}
	talents, err := im.tx.Talent.Query().Where(talent.IDIn(talentIDs...)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range talents {
		holders["t:"+t.ID] = designationHolder{talent: t}
	}
	var newEnterprises []NewEnterprise
	for _, pd := range rows {
		key := holderKey(pd)
		if _, ok := holders[key]; ok {
			continue
		}
		switch {
		case pd.typ.SubjectKind == SubjectTalent:
			errs.add(pd.row.Row, "talent_id", fmt.Sprintf("talent %s is not registered", pd.g.talentID))
		case pd.name == "":
			errs.add(pd.row.Row, "enterprise_credit_code", fmt.Sprintf("enterprise %s is not registered; give enterprise_name to register it", pd.g.creditCode))
		default:
			if err := im.allowed(authz.ObjEnterprise, authz.ActRegister); err != nil {
				if err := errs.addError(pd.row.Row, "enterprise_name", err); err != nil {
					return nil, err
				}
				continue
			}
			holders[key] = designationHolder{} // registered below
			newEnterprises = append(newEnterprises, NewEnterprise{CreditCode: pd.g.creditCode, Name: pd.name, District: pd.district})
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

// designationKey is a designation's natural key: type, holder, document.
func designationKey(rec newDesignation) string {
	holder := ""
	if rec.enterprise != nil {
		holder = fmt.Sprint("e:", rec.enterprise.ID)
	} else if rec.talent != nil {
		holder = "t:" + rec.talent.ID
	}
	return rec.typ.Code + "\x00" + holder + "\x00" + rec.doc
}

// existingDesignations returns the natural keys of designations already
// recorded (before or earlier in this import) among the batch's.
func (im *Import) existingDesignations(ctx context.Context, rows []pendingDesignation, holders map[string]designationHolder) (map[string]bool, error) {
	var docs, types []string
	var enterpriseIDs []int
	var talentIDs []string
	for _, pd := range rows {
		docs = append(docs, pd.g.doc)
		if !slices.Contains(types, pd.typ.Code) {
			types = append(types, pd.typ.Code)
		}
		h := holders[holderKey(pd)]
		if h.enterprise != nil {
			enterpriseIDs = append(enterpriseIDs, h.enterprise.ID)
		} else if h.talent != nil {
			talentIDs = append(talentIDs, h.talent.ID)
		}
	}
	// Type and document lead, so the (type, document_number) index finds
	// the batch's rows however large the table grows.
	found, err := im.tx.Designation.Query().Where(
		designation.TypeIn(types...),
		designation.DocumentNumberIn(docs...),
		designation.Or(designation.EnterpriseIDIn(enterpriseIDs...), designation.TalentIDIn(talentIDs...)),
	).Select(designation.FieldType, designation.FieldEnterpriseID, designation.FieldTalentID, designation.FieldDocumentNumber).All(ctx)
	if err != nil {
		return nil, err
	}
	keys := make(map[string]bool, len(found))
	for _, d := range found {
		rec := newDesignation{typ: DesignationType{Code: d.Type}, doc: d.DocumentNumber}
		if d.EnterpriseID != nil {
			rec.enterprise = &ent.Enterprise{ID: *d.EnterpriseID}
		} else if d.TalentID != nil {
			rec.talent = &ent.Talent{ID: *d.TalentID}
		}
		keys[designationKey(rec)] = true
	}
	return keys, nil
}

// auditDesignations records one designation.grant event per created id.
func (im *Import) auditDesignations(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	today := im.r.today()
	changes := make([]change, 0, len(ids))
	for start := 0; start < len(ids); start += importChunk {
		rows, err := im.tx.Designation.Query().Where(designation.IDIn(ids[start:min(start+importChunk, len(ids))]...)).
			WithEnterprise().Order(ent.Asc(designation.FieldID)).All(ctx)
		if err != nil {
			return err
		}
		for _, d := range rows {
			changes = append(changes, change{action: "designation.grant", entityType: "designation", entityID: d.ID, after: designationOf(d, today), reason: "bulk import"})
		}
	}
	return im.r.recordAll(ctx, im.tx, im.p, changes)
}
