package imports

import (
	"context"
	"fmt"
	"strconv"

	"github.com/google/uuid"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/enterprise"
	entpark "github.com/hangzhou-ai/registry/ent/park"
	"github.com/hangzhou-ai/registry/ent/tenancy"
	"github.com/hangzhou-ai/registry/registry/internal/core"
	"github.com/hangzhou-ai/registry/registry/park"
)

// TenancyRow is one row of a tenancy import; the floor area is text as in
// the file.
type TenancyRow struct {
	Row                  int64
	ParkCode             string
	EnterpriseCreditCode string
	StartDate            string
	EndDate              string
	FloorAreaM2          string
}

// validTenancy is a validated tenancy row.
type validTenancy struct {
	row        int64
	park, code string
	start, end string
	area       float64
}

// Tenancies checks a batch of tenancy rows and keeps the valid ones for
// Finish, which admits them: a row whose park, enterprise and start date
// are recorded counts as existing then; one overlapping another tenancy of
// the enterprise in the park is refused.
func (im *Import) Tenancies(ctx context.Context, rows []TenancyRow) (ImportProgress, error) {
	return keepChecked(im, ImportTenancies, rows, im.checkTenancy)
}

// checkTenancy checks one row field by field and against the policy,
// reporting its problems.
func (im *Import) checkTenancy(row TenancyRow, errs *rowErrors) (validTenancy, bool, error) {
	v := &core.Violations{}
	t := validTenancy{row: row.Row, park: core.CheckCode(v, "park_code", row.ParkCode)}
	t.code = core.CreditCode(v, "enterprise_credit_code", row.EnterpriseCreditCode, true)
	t.start = core.ParseDate(v, "start_date", row.StartDate, true)
	t.end = core.ParseDate(v, "end_date", row.EndDate, false)
	if t.start != "" && t.end != "" && t.end < t.start {
		v.Add("end_date", "must not be before start_date")
	}
	if row.FloorAreaM2 != "" {
		area, err := strconv.ParseFloat(row.FloorAreaM2, 64)
		if err != nil || area < 0 || area > park.MaxFloorArea {
			v.Add("floor_area_m2", fmt.Sprintf("must be a number between 0 and %d", park.MaxFloorArea))
		}
		t.area = area
	}
	if len(v.List) > 0 {
		errs.addViolations(row.Row, v)
		return validTenancy{}, false, nil
	}
	if err := im.allowed(authz.ObjTenancy, authz.ActManage, core.ParkOrg(t.park)); err != nil {
		return validTenancy{}, false, errs.addError(row.Row, "park_code", err)
	}
	return t, true, nil
}

// writeTenancies admits kept tenancy rows inside the import's transaction.
func (im *Import) writeTenancies(ctx context.Context, rows []TenancyRow) error {
	errs := im.newRowErrors()
	var valid []validTenancy
	parks, codes := map[string]bool{}, map[string]bool{}
	for _, row := range rows {
		t, ok, err := im.checkTenancy(row, errs)
		if err != nil {
			return err
		}
		if ok {
			valid = append(valid, t)
			parks[t.park], codes[t.code] = true, true
		}
	}
	knownParks, err := im.tx.Park.Query().Where(entpark.IDIn(keys(parks)...)).IDs(ctx)
	if err != nil {
		return err
	}
	parkExists := map[string]bool{}
	for _, id := range knownParks {
		parkExists[id] = true
	}
	enterprises, err := im.tx.Enterprise.Query().Where(enterprise.CreditCodeIn(keys(codes)...)).All(ctx)
	if err != nil {
		return err
	}
	byCode, byID := map[string]*ent.Enterprise{}, map[int]*ent.Enterprise{}
	var ids []int
	for _, e := range enterprises {
		byCode[e.CreditCode], byID[e.ID] = e, e
		ids = append(ids, e.ID)
	}
	recorded, err := im.tx.Tenancy.Query().Where(tenancy.ParkIDIn(knownParks...), tenancy.EnterpriseIDIn(ids...)).All(ctx)
	if err != nil {
		return err
	}
	now := im.r.Now()
	var created []*ent.Tenancy
	for _, t := range valid {
		e := byCode[t.code]
		switch {
		case !parkExists[t.park]:
			errs.add(t.row, "park_code", fmt.Sprintf("park %s is not registered", t.park))
			continue
		case e == nil:
			errs.add(t.row, "enterprise_credit_code", fmt.Sprintf("enterprise %s is not registered", t.code))
			continue
		}
		same, overlap := false, false
		for _, r := range recorded {
			if r.ParkID != t.park || r.EnterpriseID != e.ID {
				continue
			}
			same = same || r.StartDate == t.start
			overlap = overlap || ((r.EndDate == "" || r.EndDate >= t.start) && (t.end == "" || r.StartDate <= t.end))
		}
		switch {
		case same:
			im.progress.Existing++
			continue
		case overlap:
			errs.add(t.row, "start_date", fmt.Sprintf("overlaps another tenancy of %s in park %s", t.code, t.park))
			continue
		}
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		row := &ent.Tenancy{ID: id.String(), ParkID: t.park, EnterpriseID: e.ID, StartDate: t.start, EndDate: t.end, FloorAreaM2: t.area, Version: 1, CreatedAt: now, UpdatedAt: now}
		recorded = append(recorded, row)
		created = append(created, row)
	}
	changes := make([]core.Change, 0, len(created))
	for start := 0; start < len(created); start += importChunk {
		chunk := created[start:min(start+importChunk, len(created))]
		builders := make([]*ent.TenancyCreate, len(chunk))
		for i, t := range chunk {
			builders[i] = im.tx.Tenancy.Create().SetID(t.ID).SetParkID(t.ParkID).SetEnterpriseID(t.EnterpriseID).
				SetStartDate(t.StartDate).SetEndDate(t.EndDate).SetFloorAreaM2(t.FloorAreaM2).
				SetCreatedAt(t.CreatedAt).SetUpdatedAt(t.UpdatedAt)
			changes = append(changes, core.Change{Action: "tenancy.admit", EntityType: "tenancy", EntityID: t.ID, After: park.TenancyOf(t, byID[t.EnterpriseID]), Reason: "bulk import", Owner: core.ParkOrg(t.ParkID)})
		}
		if err := im.tx.Tenancy.CreateBulk(builders...).Exec(ctx); err != nil {
			return fmt.Errorf("insert tenancies: %w", err)
		}
	}
	im.progress.Created += int64(len(created))
	return im.r.RecordAll(ctx, im.tx, im.p, changes)
}

// keys returns a set's members.
func keys(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	return out
}
