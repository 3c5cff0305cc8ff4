package competition

import (
	"context"
	"fmt"
	"slices"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/award"
	"github.com/hangzhou-ai/registry/ent/competition"
	entdesignation "github.com/hangzhou-ai/registry/ent/designation"
	"github.com/hangzhou-ai/registry/ent/schema"
	enttalent "github.com/hangzhou-ai/registry/ent/talent"
	"github.com/hangzhou-ai/registry/registry/catalog"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/internal/core"
	"github.com/hangzhou-ai/registry/registry/talent"
)

// Competition tiers.
var CompetitionTiers = []string{"national", "provincial", "municipal"}

// Limits on competitions and award batches.
const (
	maxPrizeLevels  = 50
	maxPrizeLen     = 50
	maxAwardsPerRun = 1000
)

// PrizeLevel maps a prize to a talent level.
type PrizeLevel struct {
	Prize string `json:"prize"`
	Level string `json:"level"`
}

// Competition is an AI competition held in Hangzhou.
type Competition struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Organiser   string       `json:"organiser"`
	Year        int          `json:"year"`
	Tier        string       `json:"tier"`
	PrizeLevels []PrizeLevel `json:"prize_levels"`
	CreatedAt   time.Time    `json:"created_at"`
}

func CompetitionOf(c *ent.Competition) Competition {
	out := Competition{ID: c.ID, Name: c.Name, Organiser: c.Organiser, Year: c.Year, Tier: c.Tier, CreatedAt: c.CreatedAt}
	for _, pl := range c.PrizeLevels {
		out.PrizeLevels = append(out.PrizeLevels, PrizeLevel(pl))
	}
	return out
}

// levelOf returns the talent level a prize maps to.
func (c Competition) levelOf(prize string) (string, bool) {
	for _, pl := range c.PrizeLevels {
		if pl.Prize == prize {
			return pl.Level, true
		}
	}
	return "", false
}

// Award is a prize won at a competition.
type Award struct {
	ID            string    `json:"id"`
	CompetitionID string    `json:"competition_id"`
	TalentID      string    `json:"talent_id"`
	TalentName    string    `json:"talent_name"`
	Prize         string    `json:"prize"`
	Team          string    `json:"team,omitempty"`
	Level         string    `json:"level"`
	RecognitionID string    `json:"recognition_id,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
}

// NewCompetition is a request to register a competition.
type NewCompetition struct {
	Name        string
	Organiser   string
	Year        int
	Tier        string
	PrizeLevels []PrizeLevel
}

// RegisterCompetition records a competition; economy-IT issuers may.
func (r *Competitions) RegisterCompetition(ctx context.Context, in NewCompetition) (Competition, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return Competition{}, err
	}
	if err := r.Authorize(p, authz.ObjCompetition, authz.ActRegister); err != nil {
		return Competition{}, err
	}
	v := &core.Violations{}
	name := core.CleanText(v, "name", in.Name, core.MaxNameLen, true)
	organiser := core.CleanText(v, "organiser", in.Organiser, core.MaxNameLen, true)
	core.ValidateYear(v, "year", in.Year)
	if !slices.Contains(CompetitionTiers, in.Tier) {
		v.Add("tier", "must be national, provincial or municipal")
	}
	if len(in.PrizeLevels) == 0 || len(in.PrizeLevels) > maxPrizeLevels {
		v.Add("prize_levels", fmt.Sprintf("give between 1 and %d prizes", maxPrizeLevels))
		return Competition{}, v.Err()
	}
	var levels []schema.PrizeLevel
	for i, pl := range in.PrizeLevels {
		field := fmt.Sprintf("prize_levels[%d]", i)
		prize := core.CleanText(v, field+".prize", pl.Prize, maxPrizeLen, true)
		if prize != "" && slices.ContainsFunc(levels, func(x schema.PrizeLevel) bool { return x.Prize == prize }) {
			v.Add(field+".prize", "prize "+prize+" is given twice")
		}
		if !slices.Contains(catalog.TalentLevels, pl.Level) {
			v.Add(field+".level", "must be one of A, B, C, D, E")
		}
		levels = append(levels, schema.PrizeLevel{Prize: prize, Level: pl.Level})
	}
	if err := v.Err(); err != nil {
		return Competition{}, err
	}
	var out Competition
	err = r.InTx(ctx, func(tx *ent.Tx) error {
		exists, err := tx.Competition.Query().Where(competition.Name(name), competition.Year(in.Year)).Exist(ctx)
		if err != nil {
			return err
		}
		if exists {
			return core.AlreadyExists("competition %q of %d is already registered", name, in.Year)
		}
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		c, err := tx.Competition.Create().SetID(id.String()).SetName(name).SetOrganiser(organiser).
			SetYear(in.Year).SetTier(in.Tier).SetPrizeLevels(levels).SetCreatedAt(r.Now()).Save(ctx)
		if err != nil {
			return err
		}
		out = CompetitionOf(c)
		return r.Record(ctx, tx, p, core.Change{Action: "competition.register", EntityType: "competition", EntityID: c.ID, After: out})
	})
	return out, err
}

func LoadCompetition(ctx context.Context, db *ent.Client, field, id string) (*ent.Competition, error) {
	if err := core.RequireID(field, id); err != nil {
		return nil, err
	}
	c, err := db.Competition.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, core.NotFound("%s: competition %s does not exist", field, id)
	}
	return c, err
}

// GetCompetition returns one competition.
func (r *Competitions) GetCompetition(ctx context.Context, id string) (Competition, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return Competition{}, err
	}
	if err := r.Authorize(p, authz.ObjCompetition, authz.ActRead); err != nil {
		return Competition{}, err
	}
	c, err := LoadCompetition(ctx, r.DB, "id", id)
	if err != nil {
		return Competition{}, err
	}
	return CompetitionOf(c), nil
}

// ListCompetitions lists competitions, newest year first; year 0 means all.
func (r *Competitions) ListCompetitions(ctx context.Context, year int) ([]Competition, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.Authorize(p, authz.ObjCompetition, authz.ActRead); err != nil {
		return nil, err
	}
	q := r.DB.Competition.Query()
	if year != 0 {
		q = q.Where(competition.Year(year))
	}
	rows, err := q.Order(ent.Desc(competition.FieldYear), ent.Asc(competition.FieldName)).Limit(core.MaxPageSize).All(ctx)
	if err != nil {
		return nil, err
	}
	return core.Map(rows, CompetitionOf), nil
}

// AwardInput names a winner by TalentID, or by Name with IDNumber, or with
// PassportNumber and Nationality.
type AwardInput struct {
	TalentID       string
	Name           string
	IDNumber       string
	PassportNumber string
	Nationality    string
	Prize          string
	Team           string
}

// validAward is an AwardInput that passed validation.
type validAward struct {
	talentID string
	name     string
	doc      talent.TalentDocument
	prize    string
	team     string
	level    string
}

// RecordAwards records a batch of awards in one transaction. Winners named
// by document are matched to registered talents by keyed hash, or
// registered. An award already recorded is returned, not recorded again.
// It returns the awards in request order and how many were new.
func (r *Competitions) RecordAwards(ctx context.Context, competitionID string, in []AwardInput) ([]Award, int, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return nil, 0, err
	}
	if err := r.Authorize(p, authz.ObjCompetition, authz.ActRecordAwards); err != nil {
		return nil, 0, err
	}
	if len(in) == 0 || len(in) > maxAwardsPerRun {
		return nil, 0, core.InvalidField("awards", fmt.Sprintf("give between 1 and %d awards", maxAwardsPerRun))
	}
	c, err := LoadCompetition(ctx, r.DB, "competition_id", competitionID)
	if err != nil {
		return nil, 0, err
	}
	comp := CompetitionOf(c)
	v := &core.Violations{}
	valid := make([]validAward, len(in))
	for i, a := range in {
		sub := &core.Violations{}
		valid[i] = r.ValidateAward(sub, comp, a)
		for _, fv := range sub.List {
			v.Add(fmt.Sprintf("awards[%d].%s", i, fv.Field), fv.Description)
		}
	}
	if err := v.Err(); err != nil {
		return nil, 0, err
	}
	var out []Award
	created := 0
	err = r.InTx(ctx, func(tx *ent.Tx) error {
		for i, w := range valid {
			a, isNew, err := r.RecordAward(ctx, tx, p, c.ID, fmt.Sprintf("awards[%d]", i), w)
			if err != nil {
				return err
			}
			out = append(out, a)
			if isNew {
				created++
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return out, created, nil
}

// ValidateAward checks one award of comp, adding violations to v.
func (r *Competitions) ValidateAward(v *core.Violations, comp Competition, a AwardInput) validAward {
	w := validAward{prize: a.Prize, talentID: core.CheckID(v, "talent_id", a.TalentID, false)}
	var ok bool
	if w.level, ok = comp.levelOf(a.Prize); !ok {
		v.Add("prize", fmt.Sprintf("prize %q is not one of the competition's prizes", a.Prize))
	}
	w.team = core.CleanText(v, "team", a.Team, core.MaxNameLen, false)
	switch {
	case a.TalentID == "":
		w.name = core.CleanText(v, "name", a.Name, core.MaxNameLen, true)
		w.doc = r.Talents.ValidateTalentDocument(v, a.IDNumber, a.PassportNumber, a.Nationality)
	case a.Name != "" || a.IDNumber != "" || a.PassportNumber != "":
		v.Add("talent_id", "give talent_id or the winner's name and document, not both")
	}
	return w
}

// RecordAward records one validated award of a competition inside tx,
// unless the same winner's same prize is recorded already; problems are
// reported against the fields at prefix. It returns the award and
// whether it is new.
func (r *Competitions) RecordAward(ctx context.Context, tx *ent.Tx, p core.Principal, competitionID, prefix string, w validAward) (Award, bool, error) {
	t, err := r.resolveWinner(ctx, tx, p, prefix, w)
	if err != nil {
		return Award{}, false, err
	}
	existing, err := tx.Award.Query().Where(award.CompetitionID(competitionID), award.TalentID(t.ID), award.Prize(w.prize)).Only(ctx)
	if err == nil {
		return awardOf(existing, t.Name, ""), false, nil
	}
	if !ent.IsNotFound(err) {
		return Award{}, false, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Award{}, false, err
	}
	a, err := tx.Award.Create().SetID(id.String()).SetCompetitionID(competitionID).SetTalentID(t.ID).
		SetPrize(w.prize).SetTeam(w.team).SetLevel(w.level).SetCreatedAt(r.Now()).Save(ctx)
	if err != nil {
		return Award{}, false, err
	}
	rec := awardOf(a, t.Name, "")
	return rec, true, r.Record(ctx, tx, p, core.Change{Action: "award.record", EntityType: "award", EntityID: a.ID, After: rec, Owner: talent.Owner(t)})
}

// resolveWinner finds the talent an award names, registering a winner
// named by document whom the registry does not know yet. Problems are
// reported against the fields of the award at prefix.
func (r *Competitions) resolveWinner(ctx context.Context, tx *ent.Tx, p core.Principal, prefix string, w validAward) (*ent.Talent, error) {
	if w.talentID != "" {
		return talent.TalentByID(ctx, tx.Client(), fieldAt(prefix, "talent_id"), w.talentID)
	}
	byDocument := tx.Talent.Query().Where(enttalent.DocumentHash(r.Talents.DocumentHash(w.doc))).WithEmployer()
	t, err := byDocument.Clone().Only(ctx)
	if ent.IsNotFound(err) {
		t, err = r.Talents.CreateTalent(ctx, tx, p, w.name, w.doc, nil)
		if core.KindOf(err) != core.KindAlreadyExists {
			return t, err
		}
		// A concurrent batch registered the winner since the lookup
		// (each statement sees what has committed): use that talent.
		t, err = byDocument.Clone().Only(ctx)
	}
	switch {
	case err == nil && t.Name != w.name:
		// The document is authoritative, but a different name suggests a
		// mistyped number that happens to pass its check digit.
		return nil, core.InvalidField(fieldAt(prefix, "name"), "does not match the name registered for this identity document")
	}
	return t, err
}

func awardOf(a *ent.Award, talentName, recognitionID string) Award {
	return Award{
		ID: a.ID, CompetitionID: a.CompetitionID, TalentID: a.TalentID, TalentName: talentName, Prize: a.Prize,
		Team: a.Team, Level: a.Level, RecognitionID: recognitionID, CreatedAt: a.CreatedAt,
	}
}

// ListAwards lists awards of a competition and/or a talent. Enterprise
// staff see only awards of their own employees.
func (r *Competitions) ListAwards(ctx context.Context, competitionID, talentID string) ([]Award, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return nil, err
	}
	v := &core.Violations{}
	core.CheckID(v, "competition_id", competitionID, false)
	core.CheckID(v, "talent_id", talentID, false)
	if err := v.Err(); err != nil {
		return nil, err
	}
	all, err := r.ReadScope(p, authz.ObjAward)
	if err != nil {
		return nil, err
	}
	q := r.DB.Award.Query()
	if competitionID != "" {
		q = q.Where(award.CompetitionID(competitionID))
	}
	if talentID != "" {
		q = q.Where(award.TalentID(talentID))
	}
	if !all {
		own, _ := p.OrgCode("enterprise")
		q = q.Where(func(s *entsql.Selector) { s.Where(core.IsEmployeeOf(s.C(award.FieldTalentID), own)) })
	}
	rows, err := q.WithTalent().Order(ent.Asc(award.FieldID)).Limit(maxAwardsPerRun).All(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(rows))
	for i, a := range rows {
		ids[i] = a.ID
	}
	var recognitions []*ent.Designation
	if len(ids) > 0 {
		recognitions, err = r.DB.Designation.Query().Where(entdesignation.AwardIDIn(ids...)).All(ctx)
		if err != nil {
			return nil, err
		}
	}
	byAward := map[string]string{}
	for _, d := range recognitions {
		byAward[*d.AwardID] = d.ID
	}
	out := make([]Award, len(rows))
	for i, a := range rows {
		out[i] = awardOf(a, a.Edges.Talent.Name, byAward[a.ID])
	}
	return out, nil
}

// WinnerRecognition is a request to recognise an award's winner.
type WinnerRecognition struct {
	AwardID        string
	ValidFrom      string
	ValidUntil     string
	DocumentNumber string
}

// RecognizeWinner grants the winner of an award a talent-recognition of
// the level the prize maps to, citing the award. An award supports at most
// one recognition.
func (r *Competitions) RecognizeWinner(ctx context.Context, in WinnerRecognition) (designation.Designation, error) {
	p, typ, err := r.GrantingActor(ctx, catalog.TypeTalentRecognition)
	if err != nil {
		return designation.Designation{}, err
	}
	v := &core.Violations{}
	core.CheckID(v, "award_id", in.AwardID, true)
	from, until := designation.ValidateValidity(v, in.ValidFrom, in.ValidUntil)
	doc := core.CleanText(v, "document_number", in.DocumentNumber, core.MaxDocumentLen, true)
	if err := v.Err(); err != nil {
		return designation.Designation{}, err
	}
	bureau, _ := p.OrgCode("bureau")
	var out designation.Designation
	err = r.InTx(ctx, func(tx *ent.Tx) error {
		a, err := tx.Award.Get(ctx, in.AwardID)
		if ent.IsNotFound(err) {
			return core.NotFound("award_id: award %s does not exist", in.AwardID)
		}
		if err != nil {
			return err
		}
		cited, err := tx.Designation.Query().Where(entdesignation.AwardID(a.ID)).Exist(ctx)
		if err != nil {
			return err
		}
		if cited {
			return core.AlreadyExists("award %s already supports a recognition", a.ID)
		}
		t, err := talent.TalentByID(ctx, tx.Client(), "award_id", a.TalentID)
		if err != nil {
			return err
		}
		d, err := r.Designations.InsertDesignation(ctx, tx, p, designation.NewDesignation{
			Typ: typ, Talent: t, Level: a.Level, From: from, Until: until, Doc: doc, Bureau: bureau, AwardID: a.ID,
		})
		if err != nil {
			return err
		}
		out = designation.DesignationOf(d, r.Today())
		return r.Record(ctx, tx, p, core.Change{Action: "talent-recognition.recognize-winner", EntityType: "designation", EntityID: d.ID, After: out, Owner: designation.Owner(d)})
	})
	return out, err
}

// fieldAt names field within the repeated element at prefix (none when
// prefix is empty), e.g. awards[2].name.
func fieldAt(prefix, field string) string {
	if prefix == "" {
		return field
	}
	return prefix + "." + field
}
