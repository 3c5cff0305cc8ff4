package imports

import (
	"context"
	"fmt"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	ententerprise "github.com/hangzhou-ai/registry/ent/enterprise"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// EnterpriseRow is one row of an enterprise import.
type EnterpriseRow struct {
	Row int64
	enterprise.NewEnterprise
}

// Enterprises checks a batch of enterprise rows and keeps the valid ones
// for Finish, which registers them; credit codes already registered count
// as existing then.
func (im *Import) Enterprises(ctx context.Context, rows []EnterpriseRow) (ImportProgress, error) {
	if err := im.batch(ImportEnterprises, len(rows)); err != nil {
		return im.progress, err
	}
	errs := im.newRowErrors()
	for _, row := range rows {
		if err := im.allowed(authz.ObjEnterprise, authz.ActRegister); err != nil {
			if err := errs.addError(row.Row, "credit_code", err); err != nil {
				return im.progress, err
			}
			continue
		}
		v := &core.Violations{}
		if im.r.Enterprises.ValidateEnterprise(v, row.NewEnterprise); len(v.List) > 0 {
			errs.addViolations(row.Row, v)
			continue
		}
		if err := im.keep(row); err != nil {
			return im.progress, err
		}
	}
	return im.progress, nil
}

// writeEnterprises registers kept enterprise rows inside the import's
// transaction.
func (im *Import) writeEnterprises(ctx context.Context, rows []EnterpriseRow) error {
	errs := im.newRowErrors()
	var valid []enterprise.NewEnterprise
	var codes []string
	for _, row := range rows {
		if err := im.allowed(authz.ObjEnterprise, authz.ActRegister); err != nil {
			if err := errs.addError(row.Row, "credit_code", err); err != nil {
				return err
			}
			continue
		}
		v := &core.Violations{}
		e := im.r.Enterprises.ValidateEnterprise(v, row.NewEnterprise)
		if len(v.List) > 0 {
			errs.addViolations(row.Row, v)
			continue
		}
		valid = append(valid, e)
		codes = append(codes, e.CreditCode)
	}
	known, err := im.tx.Enterprise.Query().Where(ententerprise.CreditCodeIn(codes...)).Select(ententerprise.FieldCreditCode).Strings(ctx)
	if err != nil {
		return err
	}
	seen := make(map[string]bool, len(known)+len(valid))
	for _, code := range known {
		seen[code] = true
	}
	var fresh []enterprise.NewEnterprise
	for _, e := range valid {
		if seen[e.CreditCode] {
			im.progress.Existing++
			continue
		}
		seen[e.CreditCode] = true
		fresh = append(fresh, e)
	}
	created, err := im.createEnterprises(ctx, fresh)
	im.progress.Created += int64(len(created))
	return err
}

// createEnterprises registers validated, new enterprises with multi-row
// inserts and one audit event each.
func (im *Import) createEnterprises(ctx context.Context, list []enterprise.NewEnterprise) ([]*ent.Enterprise, error) {
	now := im.r.Now()
	var out []*ent.Enterprise
	for start := 0; start < len(list); start += importChunk {
		chunk := list[start:min(start+importChunk, len(list))]
		builders := make([]*ent.EnterpriseCreate, len(chunk))
		for i, e := range chunk {
			builders[i] = im.tx.Enterprise.Create().SetCreditCode(e.CreditCode).SetName(e.Name).
				SetDistrict(e.District).SetRegisteredOn(e.RegisteredOn).SetCreatedAt(now)
		}
		saved, err := im.tx.Enterprise.CreateBulk(builders...).Save(ctx)
		if err != nil {
			return nil, fmt.Errorf("insert enterprises: %w", err)
		}
		out = append(out, saved...)
	}
	changes := make([]core.Change, len(out))
	for i, e := range out {
		changes[i] = core.Change{Action: "enterprise.register", EntityType: "enterprise", EntityID: e.CreditCode, After: enterprise.EnterpriseOf(e), Reason: "bulk import", Owner: authz.EnterpriseOrg(e.CreditCode)}
	}
	return out, im.r.RecordAll(ctx, im.tx, im.p, changes)
}
