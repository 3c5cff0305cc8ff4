package registry

import (
	"context"
	"fmt"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/enterprise"
)

// EnterpriseRow is one row of an enterprise import.
type EnterpriseRow struct {
	Row int64
	NewEnterprise
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
		v := &violations{}
		if im.r.validateEnterprise(v, row.NewEnterprise); len(v.list) > 0 {
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
	var valid []NewEnterprise
	var codes []string
	for _, row := range rows {
		if err := im.allowed(authz.ObjEnterprise, authz.ActRegister); err != nil {
			if err := errs.addError(row.Row, "credit_code", err); err != nil {
				return err
			}
			continue
		}
		v := &violations{}
		e := im.r.validateEnterprise(v, row.NewEnterprise)
		if len(v.list) > 0 {
			errs.addViolations(row.Row, v)
			continue
		}
		valid = append(valid, e)
		codes = append(codes, e.CreditCode)
	}
	known, err := im.tx.Enterprise.Query().Where(enterprise.CreditCodeIn(codes...)).Select(enterprise.FieldCreditCode).Strings(ctx)
	if err != nil {
		return err
	}
	seen := make(map[string]bool, len(known)+len(valid))
	for _, code := range known {
		seen[code] = true
	}
	var fresh []NewEnterprise
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
func (im *Import) createEnterprises(ctx context.Context, list []NewEnterprise) ([]*ent.Enterprise, error) {
	now := im.r.now()
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
	changes := make([]change, len(out))
	for i, e := range out {
		changes[i] = change{action: "enterprise.register", entityType: "enterprise", entityID: e.CreditCode, after: enterpriseOf(e), reason: "bulk import"}
	}
	return out, im.r.recordAll(ctx, im.tx, im.p, changes)
}
