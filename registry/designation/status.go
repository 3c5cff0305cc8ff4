package designation

import (
	"context"

	"github.com/hangzhou-ai/registry/ent/park"
	"github.com/hangzhou-ai/registry/registry/catalog"
	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// PublicStatus is what anyone may learn of a designation by its id: its
// type, standing and dates, and the holder's name and credit code when the
// holder is an enterprise or a park. Nothing identifying a person is shown.
type PublicStatus struct {
	ID               string
	Type             catalog.DesignationType
	HolderKind       string
	HolderName       string
	HolderCreditCode string
	Status           Status
	ValidFrom        string
	ValidUntil       string
	GrantedByBureau  string
}

// GetDesignationStatus returns a designation's public status. Anyone may ask.
func (r *Designations) GetDesignationStatus(ctx context.Context, id string) (PublicStatus, error) {
	if err := core.RequireID("id", id); err != nil {
		return PublicStatus{}, err
	}
	d, err := LoadDesignation(ctx, r.DB, id)
	if err != nil {
		return PublicStatus{}, err
	}
	des := DesignationOf(d, r.Today())
	out := PublicStatus{
		ID: d.ID, Type: catalog.DesignationTypesByCode[d.Type], Status: des.Status,
		ValidFrom: d.ValidFrom, ValidUntil: d.ValidUntil, GrantedByBureau: d.GrantedByBureau,
	}
	switch {
	case d.Edges.Enterprise != nil:
		out.HolderKind, out.HolderName, out.HolderCreditCode = catalog.SubjectEnterprise, d.Edges.Enterprise.Name, d.Edges.Enterprise.CreditCode
	case d.ParkCode != nil:
		out.HolderKind = catalog.SubjectPark
		if pk, err := r.DB.Park.Query().Where(park.ID(*d.ParkCode)).Only(ctx); err == nil {
			out.HolderName = pk.Name
		}
	default:
		out.HolderKind = catalog.SubjectTalent
	}
	return out, nil
}
