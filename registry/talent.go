package registry

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/enterprise"
	"github.com/hangzhou-ai/registry/ent/talent"
	"github.com/hangzhou-ai/registry/registry/ident"
)

// Document kinds of a talent.
const (
	docIDNumber = "id"
	docPassport = "passport"
)

// Talent is a person known to the registry. The identity or passport number
// is available only masked.
type Talent struct {
	ID                 string    `json:"id"`
	Name               string    `json:"name"`
	IDNumberMasked     string    `json:"id_number_masked"`
	Nationality        string    `json:"nationality"`
	EmployerCreditCode string    `json:"employer_credit_code"`
	CreatedAt          time.Time `json:"created_at"`
}

func talentOf(t *ent.Talent) Talent {
	out := Talent{ID: t.ID, Name: t.Name, IDNumberMasked: t.DocumentMasked, Nationality: t.Nationality, CreatedAt: t.CreatedAt}
	if t.Edges.Employer != nil {
		out.EmployerCreditCode = t.Edges.Employer.CreditCode
	}
	return out
}

// NewTalent is a request to register a talent: IDNumber, or PassportNumber
// with Nationality.
type NewTalent struct {
	Name               string
	IDNumber           string
	PassportNumber     string
	Nationality        string
	EmployerCreditCode string
}

// talentDocument is a validated identity document.
type talentDocument struct {
	kind, number, nationality string
}

func (r *Registry) validateTalentDocument(v *violations, idNumber, passport, nationality string) talentDocument {
	idNumber = ident.NormalizeIDNumber(idNumber)
	passport = ident.NormalizePassport(passport)
	nationality = ident.NormalizeNationality(nationality)
	switch {
	case idNumber != "" && passport != "":
		v.add("passport_number", "give either id_number or passport_number, not both")
	case idNumber != "":
		if err := ident.ValidateIDNumber(idNumber, r.clock().In(chinaStandardTime)); err != nil {
			v.add("id_number", "is not a valid resident identity number: "+err.Error())
		}
		if nationality != "" && nationality != "CN" {
			v.add("nationality", "must be CN or empty with an id_number")
		}
		return talentDocument{kind: docIDNumber, number: idNumber, nationality: "CN"}
	case passport != "":
		if err := ident.ValidatePassport(passport); err != nil {
			v.add("passport_number", err.Error())
		}
		if nationality == "" {
			v.add("nationality", "is required with a passport_number")
		} else if err := ident.ValidateNationality(nationality); err != nil {
			v.add("nationality", err.Error())
		}
		return talentDocument{kind: docPassport, number: passport, nationality: nationality}
	default:
		v.add("id_number", "give id_number, or passport_number with nationality")
	}
	return talentDocument{}
}

func (d talentDocument) masked() string {
	if d.kind == docIDNumber {
		return ident.MaskIDNumber(d.number)
	}
	return ident.MaskPassport(d.number)
}

// lookupHash identifies the document without revealing it; passports are
// keyed by nationality too.
func (r *Registry) documentHash(d talentDocument) string {
	if d.kind == docIDNumber {
		return r.secrets.lookupHash(docIDNumber, d.number)
	}
	return r.secrets.lookupHash(docPassport, d.nationality+":"+d.number)
}

// createTalent stores a validated talent inside tx and audits it.
func (r *Registry) createTalent(ctx context.Context, tx *ent.Tx, p Principal, name string, doc talentDocument, employer *ent.Enterprise) (*ent.Talent, error) {
	hash := r.documentHash(doc)
	exists, err := tx.Talent.Query().Where(talent.DocumentHash(hash)).Exist(ctx)
	if err != nil {
		return nil, err
	}
	if exists {
		return nil, alreadyExists("a talent with this %s is already registered", map[string]string{docIDNumber: "id_number", docPassport: "passport_number"}[doc.kind])
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, err
	}
	create := tx.Talent.Create().SetID(id.String()).SetName(name).SetDocumentKind(doc.kind).
		SetDocumentHash(hash).SetDocumentCipher(r.secrets.seal(doc.number, talentDocumentAAD(doc.kind))).
		SetDocumentMasked(doc.masked()).SetNationality(doc.nationality).SetCreatedAt(r.now())
	if employer != nil {
		create.SetEmployer(employer)
	}
	t, err := create.Save(ctx)
	if err != nil {
		return nil, err
	}
	t.Edges.Employer = employer
	err = r.record(ctx, tx, p, change{action: "talent.register", entityType: "talent", entityID: t.ID, after: talentOf(t)})
	return t, err
}

// RegisterTalent records a person. Only bureau issuers may.
func (r *Registry) RegisterTalent(ctx context.Context, in NewTalent) (Talent, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return Talent{}, err
	}
	if err := r.authorize(p, authz.ObjTalent, authz.ActRegister); err != nil {
		return Talent{}, err
	}
	v := &violations{}
	name := cleanText(v, "name", in.Name, maxNameLen, true)
	doc := r.validateTalentDocument(v, in.IDNumber, in.PassportNumber, in.Nationality)
	employerCode := creditCode(v, "employer_credit_code", in.EmployerCreditCode, false)
	if err := v.err(); err != nil {
		return Talent{}, err
	}
	var out Talent
	err = r.inTx(ctx, func(tx *ent.Tx) error {
		var employer *ent.Enterprise
		if employerCode != "" {
			if employer, err = enterpriseByCode(ctx, tx.Client(), "employer_credit_code", employerCode); err != nil {
				return err
			}
		}
		t, err := r.createTalent(ctx, tx, p, name, doc, employer)
		if err != nil {
			return err
		}
		out = talentOf(t)
		return nil
	})
	return out, err
}

// talentOwners are the organisations that own a talent's records: its employer.
func talentOwners(t *ent.Talent) []string {
	if t.Edges.Employer == nil {
		return nil
	}
	return []string{authz.EnterpriseOrg(t.Edges.Employer.CreditCode)}
}

// GetTalent returns one talent. Enterprise members read only their employees.
func (r *Registry) GetTalent(ctx context.Context, id string) (Talent, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return Talent{}, err
	}
	if err := requireID("id", id); err != nil {
		return Talent{}, err
	}
	t, err := talentByID(ctx, r.db, "id", id)
	if KindOf(err) == KindNotFound {
		return Talent{}, r.missingFor(p, authz.ObjTalent, err)
	}
	if err != nil {
		return Talent{}, err
	}
	if err := r.authorize(p, authz.ObjTalent, authz.ActRead, talentOwners(t)...); err != nil {
		return Talent{}, err
	}
	return talentOf(t), nil
}

// TalentFilter selects talents.
type TalentFilter struct {
	EmployerCreditCode string
	PageSize           int
	PageToken          string
}

// ListTalents pages through talents by id. Enterprise members see only their employees.
func (r *Registry) ListTalents(ctx context.Context, f TalentFilter) ([]Talent, string, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, "", err
	}
	all, err := r.readScope(p, authz.ObjTalent)
	if err != nil {
		return nil, "", err
	}
	v := &violations{}
	size := pageSize(v, f.PageSize)
	after := decodePageToken(r.secrets, v, f.PageToken)
	employer := creditCode(v, "employer_credit_code", f.EmployerCreditCode, false)
	if err := v.err(); err != nil {
		return nil, "", err
	}
	if !all {
		own, _ := p.orgCode("enterprise")
		if employer != "" && employer != own {
			return nil, "", permissionDenied("%s may read only its own employees", p)
		}
		employer = own
	}
	q := r.db.Talent.Query().Where(talent.IDGT(after)).WithEmployer()
	if employer != "" {
		q = q.Where(talent.HasEmployerWith(enterprise.CreditCode(employer)))
	}
	rows, err := q.Order(ent.Asc(talent.FieldID)).Limit(size + 1).All(ctx)
	if err != nil {
		return nil, "", err
	}
	rows, next := trimPage(r.secrets, rows, size, func(t *ent.Talent) string { return t.ID })
	out := make([]Talent, len(rows))
	for i, t := range rows {
		out[i] = talentOf(t)
	}
	return out, next, nil
}

// talentByID loads a talent (with its employer) referenced from another
// record; a missing one is reported against field.
func talentByID(ctx context.Context, db *ent.Client, field, id string) (*ent.Talent, error) {
	t, err := db.Talent.Query().Where(talent.ID(id)).WithEmployer().Only(ctx)
	if ent.IsNotFound(err) {
		return nil, notFound("%s: talent %s is not registered", field, id)
	}
	return t, err
}
