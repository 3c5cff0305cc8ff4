package talent

import (
	"context"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/talent"
	"github.com/hangzhou-ai/registry/ident"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/internal/core"
	"github.com/hangzhou-ai/registry/seal"
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

// TalentDocument is a validated identity document.
type TalentDocument struct {
	Kind, Number, Nationality string
}

func (r *Talents) ValidateTalentDocument(v *core.Violations, idNumber, passport, nationality string) TalentDocument {
	idNumber = ident.NormalizeIDNumber(idNumber)
	passport = ident.NormalizePassport(passport)
	nationality = ident.NormalizeNationality(nationality)
	switch {
	case idNumber != "" && passport != "":
		v.Add("passport_number", "give either id_number or passport_number, not both")
	case idNumber != "":
		if err := ident.ValidateIDNumber(idNumber, r.Clock().In(core.ChinaStandardTime)); err != nil {
			v.Add("id_number", "is not a valid resident identity number: "+err.Error())
		}
		if nationality != "" && nationality != "CN" {
			v.Add("nationality", "must be CN or empty with an id_number")
		}
		return TalentDocument{Kind: docIDNumber, Number: idNumber, Nationality: "CN"}
	case passport != "":
		if err := ident.ValidatePassport(passport); err != nil {
			v.Add("passport_number", err.Error())
		}
		if nationality == "" {
			v.Add("nationality", "is required with a passport_number")
		} else if err := ident.ValidateNationality(nationality); err != nil {
			v.Add("nationality", err.Error())
		}
		return TalentDocument{Kind: docPassport, Number: passport, Nationality: nationality}
	default:
		v.Add("id_number", "give id_number, or passport_number with nationality")
	}
	return TalentDocument{}
}

func (d TalentDocument) masked() string {
	if d.Kind == docIDNumber {
		return ident.MaskIDNumber(d.Number)
	}
	return ident.MaskPassport(d.Number)
}

// lookupHash identifies the document without revealing it; passports are
// keyed by nationality too.
func (r *Talents) DocumentHash(d TalentDocument) string {
	if d.Kind == docIDNumber {
		return r.Secrets.LookupHash(docIDNumber, d.Number)
	}
	return r.Secrets.LookupHash(docPassport, d.Nationality+":"+d.Number)
}

// CreateTalent stores a validated talent inside tx and audits it.
func (r *Talents) CreateTalent(ctx context.Context, tx *ent.Tx, p core.Principal, name string, doc TalentDocument, employer *ent.Enterprise) (*ent.Talent, error) {
	hash := r.DocumentHash(doc)
	exists, err := tx.Talent.Query().Where(talent.DocumentHash(hash)).Exist(ctx)
	if err != nil {
		return nil, err
	}
	if exists {
		return nil, core.AlreadyExists("a talent with this %s is already registered", map[string]string{docIDNumber: "id_number", docPassport: "passport_number"}[doc.Kind])
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, err
	}
	create := tx.Talent.Create().SetID(id.String()).SetName(name).SetDocumentKind(doc.Kind).
		SetDocumentHash(hash).SetDocumentCipher(r.Secrets.Seal(doc.Number, seal.TalentDocumentAAD(doc.Kind))).
		SetDocumentMasked(doc.masked()).SetNationality(doc.Nationality).SetCreatedAt(r.Now())
	if employer != nil {
		create.SetEmployer(employer)
	}
	t, err := create.Save(ctx)
	if err != nil {
		return nil, err
	}
	t.Edges.Employer = employer
	err = r.Record(ctx, tx, p, core.Change{Action: "talent.register", EntityType: "talent", EntityID: t.ID, After: talentOf(t), Owner: Owner(t)})
	return t, err
}

// RegisterTalent records a person. Only bureau issuers may.
func (r *Talents) RegisterTalent(ctx context.Context, in NewTalent) (Talent, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return Talent{}, err
	}
	if err := r.Authorize(p, authz.ObjTalent, authz.ActRegister); err != nil {
		return Talent{}, err
	}
	v := &core.Violations{}
	name := core.CleanText(v, "name", in.Name, core.MaxNameLen, true)
	doc := r.ValidateTalentDocument(v, in.IDNumber, in.PassportNumber, in.Nationality)
	employerCode := core.CreditCode(v, "employer_credit_code", in.EmployerCreditCode, false)
	if err := v.Err(); err != nil {
		return Talent{}, err
	}
	var out Talent
	err = r.InTx(ctx, func(tx *ent.Tx) error {
		var employer *ent.Enterprise
		if employerCode != "" {
			if employer, err = enterprise.EnterpriseByCode(ctx, tx.Client(), "employer_credit_code", employerCode); err != nil {
				return err
			}
		}
		t, err := r.CreateTalent(ctx, tx, p, name, doc, employer)
		if err != nil {
			return err
		}
		out = talentOf(t)
		return nil
	})
	return out, err
}

// Owner is the organisation among whose own records talent t is: its
// employer's ("enterprise:<credit code>"), or empty when it has none. t
// must be loaded with its employer (TalentByID does).
func Owner(t *ent.Talent) string {
	if t.Edges.Employer == nil {
		return ""
	}
	return authz.EnterpriseOrg(t.Edges.Employer.CreditCode)
}

// talentOwners are the organisations that own a talent's records: its employer.
func talentOwners(t *ent.Talent) []string {
	if t.Edges.Employer == nil {
		return nil
	}
	return []string{authz.EnterpriseOrg(t.Edges.Employer.CreditCode)}
}

// GetTalent returns one talent. Enterprise members read only their employees.
func (r *Talents) GetTalent(ctx context.Context, id string) (Talent, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return Talent{}, err
	}
	if err := core.RequireID("id", id); err != nil {
		return Talent{}, err
	}
	t, err := TalentByID(ctx, r.DB, "id", id)
	if core.KindOf(err) == core.KindNotFound {
		return Talent{}, r.MissingFor(p, authz.ObjTalent, err)
	}
	if err != nil {
		return Talent{}, err
	}
	if err := r.Authorize(p, authz.ObjTalent, authz.ActRead, talentOwners(t)...); err != nil {
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
func (r *Talents) ListTalents(ctx context.Context, f TalentFilter) ([]Talent, string, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return nil, "", err
	}
	all, err := r.ReadScope(p, authz.ObjTalent)
	if err != nil {
		return nil, "", err
	}
	v := &core.Violations{}
	size := core.PageSize(v, f.PageSize)
	after := core.DecodePageToken(r.Secrets, v, f.PageToken)
	employer := core.CreditCode(v, "employer_credit_code", f.EmployerCreditCode, false)
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	if !all {
		own, _ := p.OrgCode("enterprise")
		if employer != "" && employer != own {
			return nil, "", core.PermissionDenied("%s may read only its own employees", p)
		}
		employer = own
	}
	q := r.DB.Talent.Query().Where(talent.IDGT(after)).WithEmployer()
	if employer != "" {
		q = q.Where(func(s *entsql.Selector) { s.Where(core.IsEnterprise(s.C(talent.FieldEmployerID), employer)) })
	}
	rows, err := q.Order(ent.Asc(talent.FieldID)).Limit(size + 1).All(ctx)
	if err != nil {
		return nil, "", err
	}
	rows, next := core.TrimPage(r.Secrets, rows, size, func(t *ent.Talent) string { return t.ID })
	return core.Map(rows, talentOf), next, nil
}

// TalentByID loads a talent (with its employer) referenced from another
// record; a missing one is reported against field.
func TalentByID(ctx context.Context, db *ent.Client, field, id string) (*ent.Talent, error) {
	t, err := db.Talent.Query().Where(talent.ID(id)).WithEmployer().Only(ctx)
	if ent.IsNotFound(err) {
		return nil, core.NotFound("%s: talent %s is not registered", field, id)
	}
	return t, err
}
