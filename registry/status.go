package registry

import (
	"context"

	"github.com/hangzhou-ai/registry/ent/park"
)

// PublicStatus is what anyone may learn of a designation by its id: its
// type, standing and dates, and the holder's name and credit code when the
// holder is an enterprise or a park. Nothing identifying a person is shown.
type PublicStatus struct {
	ID               string
	Type             DesignationType
	HolderKind       string
	HolderName       string
	HolderCreditCode string
	Status           Status
	ValidFrom        string
	ValidUntil       string
	GrantedByBureau  string
}

// GetDesignationStatus returns a designation's public status. Anyone may ask.
func (r *Registry) GetDesignationStatus(ctx context.Context, id string) (PublicStatus, error) {
	if err := requireID("id", id); err != nil {
		return PublicStatus{}, err
	}
	d, err := loadDesignation(ctx, r.db, id)
	if err != nil {
		return PublicStatus{}, err
	}
	des := designationOf(d, r.today())
	out := PublicStatus{
		ID: d.ID, Type: designationTypesByCode[d.Type], Status: des.Status,
		ValidFrom: d.ValidFrom, ValidUntil: d.ValidUntil, GrantedByBureau: d.GrantedByBureau,
	}
	switch {
	case d.Edges.Enterprise != nil:
		out.HolderKind, out.HolderName, out.HolderCreditCode = SubjectEnterprise, d.Edges.Enterprise.Name, d.Edges.Enterprise.CreditCode
	case d.ParkCode != nil:
		out.HolderKind = SubjectPark
		if pk, err := r.db.Park.Query().Where(park.ID(*d.ParkCode)).Only(ctx); err == nil {
			out.HolderName = pk.Name
		}
	default:
		out.HolderKind = SubjectTalent
	}
	return out, nil
}
