package registry

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/award"
	"github.com/hangzhou-ai/registry/ent/competition"
	"github.com/hangzhou-ai/registry/ent/designation"
	"github.com/hangzhou-ai/registry/ent/enterprise"
	"github.com/hangzhou-ai/registry/ent/schema"
	"github.com/hangzhou-ai/registry/ent/talent"
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

func competitionOf(c *ent.Competition) Competition {
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
func (r *Registry) RegisterCompetition(ctx context.Context, in NewCompetition) (Competition, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return Competition{}, err
	}
	if err := r.authorize(p, authz.ObjCompetition, authz.ActRegister); err != nil {
		return Competition{}, err
	}
	v := &violations{}
	name := cleanText(v, "name", in.Name, maxNameLen, true)
	organiser := cleanText(v, "organiser", in.Organiser, maxNameLen, true)
	validateYear(v, "year", in.Year)
	if !slices.Contains(CompetitionTiers, in.Tier) {
		v.add("tier", "must be national, provincial or municipal")
	}
	if len(in.PrizeLevels) == 0 || len(in.PrizeLevels) > maxPrizeLevels {
		v.add("prize_levels", fmt.Sprintf("give between 1 and %d prizes", maxPrizeLevels))
		return Competition{}, v.err()
	}
	var levels []schema.PrizeLevel
	for i, pl := range in.PrizeLevels {
		field := fmt.Sprintf("prize_levels[%d]", i)
		prize := cleanText(v, field+".prize", pl.Prize, maxPrizeLen, true)
		if prize != "" && slices.ContainsFunc(levels, func(x schema.PrizeLevel) bool { return x.Prize == prize }) {
			v.add(field+".prize", "prize "+prize+" is given twice")
		}
		if !slices.Contains(TalentLevels, pl.Level) {
			v.add(field+".level", "must be one of A, B, C, D, E")
		}
		levels = append(levels, schema.PrizeLevel{Prize: prize, Level: pl.Level})
	}
	if err := v.err(); err != nil {
		return Competition{}, err
	}
	var out Competition
	err = r.inTx(ctx, func(tx *ent.Tx) error {
		exists, err := tx.Competition.Query().Where(competition.Name(name), competition.Year(in.Year)).Exist(ctx)
		if err != nil {
			return err
		}
		if exists {
			return alreadyExists("competition %q of %d is already registered", name, in.Year)
		}
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		c, err := tx.Competition.Create().SetID(id.String()).SetName(name).SetOrganiser(organiser).
			SetYear(in.Year).SetTier(in.Tier).SetPrizeLevels(levels).SetCreatedAt(r.now()).Save(ctx)
		if err != nil {
			return err
		}
		out = competitionOf(c)
		return r.record(ctx, tx, p, change{action: "competition.register", entityType: "competition", entityID: c.ID, after: out})
	})
	return out, err
}

func loadCompetition(ctx context.Context, db *ent.Client, field, id string) (*ent.Competition, error) {
	if err := requireID(field, id); err != nil {
		return nil, err
	}
	c, err := db.Competition.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, notFound("%s: competition %s does not exist", field, id)
	}
	return c, err
}

// GetCompetition returns one competition.
func (r *Registry) GetCompetition(ctx context.Context, id string) (Competition, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return Competition{}, err
	}
	if err := r.authorize(p, authz.ObjCompetition, authz.ActRead); err != nil {
		return Competition{}, err
	}
	c, err := loadCompetition(ctx, r.db, "id", id)
	if err != nil {
		return Competition{}, err
	}
	return competitionOf(c), nil
}

// ListCompetitions lists competitions, newest year first; year 0 means all.
func (r *Registry) ListCompetitions(ctx context.Context, year int) ([]Competition, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.authorize(p, authz.ObjCompetition, authz.ActRead); err != nil {
		return nil, err
	}
	q := r.db.Competition.Query()
	if year != 0 {
		q = q.Where(competition.Year(year))
	}
	rows, err := q.Order(ent.Desc(competition.FieldYear), ent.Asc(competition.FieldName)).Limit(MaxPageSize).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Competition, len(rows))
	for i, c := range rows {
		out[i] = competitionOf(c)
	}
	return out, nil
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
	doc      talentDocument
	prize    string
	team     string
	level    string
}

// RecordAwards records a batch of awards in one transaction. Winners named
// by document are matched to registered talents by keyed hash, or
// registered. An award already recorded is returned, not recorded again.
// It returns the awards in request order and how many were new.
func (r *Registry) RecordAwards(ctx context.Context, competitionID string, in []AwardInput) ([]Award, int, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, 0, err
	}
	if err := r.authorize(p, authz.ObjCompetition, authz.ActRecordAwards); err != nil {
		return nil, 0, err
	}
	if len(in) == 0 || len(in) > maxAwardsPerRun {
		return nil, 0, invalidField("awards", fmt.Sprintf("give between 1 and %d awards", maxAwardsPerRun))
	}
	c, err := loadCompetition(ctx, r.db, "competition_id", competitionID)
	if err != nil {
		return nil, 0, err
	}
	comp := competitionOf(c)
	v := &violations{}
	valid := make([]validAward, len(in))
	for i, a := range in {
		sub := &violations{}
		valid[i] = r.validateAward(sub, comp, a)
		for _, fv := range sub.list {
			v.add(fmt.Sprintf("awards[%d].%s", i, fv.Field), fv.Description)
		}
	}
	if err := v.err(); err != nil {
		return nil, 0, err
	}
	var out []Award
	created := 0
	err = r.inTx(ctx, func(tx *ent.Tx) error {
		for i, w := range valid {
			a, isNew, err := r.recordAward(ctx, tx, p, c.ID, fmt.Sprintf("awards[%d]", i), w)
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

// validateAward checks one award of comp, adding violations to v.
func (r *Registry) validateAward(v *violations, comp Competition, a AwardInput) validAward {
	w := validAward{prize: a.Prize, talentID: checkID(v, "talent_id", a.TalentID, false)}
	var ok bool
	if w.level, ok = comp.levelOf(a.Prize); !ok {
		v.add("prize", fmt.Sprintf("prize %q is not one of the competition's prizes", a.Prize))
	}
	w.team = cleanText(v, "team", a.Team, maxNameLen, false)
	switch {
	case a.TalentID == "":
		w.name = cleanText(v, "name", a.Name, maxNameLen, true)
		w.doc = r.validateTalentDocument(v, a.IDNumber, a.PassportNumber, a.Nationality)
	case a.Name != "" || a.IDNumber != "" || a.PassportNumber != "":
		v.add("talent_id", "give talent_id or the winner's name and document, not both")
	}
	return w
}

// recordAward records one validated award of a competition inside tx,
// unless the same winner's same prize is recorded already; problems are
// reported against the fields at prefix. It returns the award and
// whether it is new.
func (r *Registry) recordAward(ctx context.Context, tx *ent.Tx, p Principal, competitionID, prefix string, w validAward) (Award, bool, error) {
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
		SetPrize(w.prize).SetTeam(w.team).SetLevel(w.level).SetCreatedAt(r.now()).Save(ctx)
	if err != nil {
		return Award{}, false, err
	}
	rec := awardOf(a, t.Name, "")
	return rec, true, r.record(ctx, tx, p, change{action: "award.record", entityType: "award", entityID: a.ID, after: rec})
}

// resolveWinner finds the talent an award names, registering a winner
// named by document whom the registry does not know yet. Problems are
// reported against the fields of the award at prefix.
func (r *Registry) resolveWinner(ctx context.Context, tx *ent.Tx, p Principal, prefix string, w validAward) (*ent.Talent, error) {
	if w.talentID != "" {
		return talentByID(ctx, tx.Client(), fieldAt(prefix, "talent_id"), w.talentID)
	}
	t, err := tx.Talent.Query().Where(talent.DocumentHash(r.documentHash(w.doc))).Only(ctx)
	switch {
	case ent.IsNotFound(err):
		return r.createTalent(ctx, tx, p, w.name, w.doc, nil)
	case err == nil && t.Name != w.name:
		// The document is authoritative, but a different name suggests a
		// mistyped number that happens to pass its check digit.
		return nil, invalidField(fieldAt(prefix, "name"), "does not match the name registered for this identity document")
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
func (r *Registry) ListAwards(ctx context.Context, competitionID, talentID string) ([]Award, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	v := &violations{}
	checkID(v, "competition_id", competitionID, false)
	checkID(v, "talent_id", talentID, false)
	if err := v.err(); err != nil {
		return nil, err
	}
	all, err := r.readScope(p, authz.ObjAward)
	if err != nil {
		return nil, err
	}
	q := r.db.Award.Query()
	if competitionID != "" {
		q = q.Where(award.CompetitionID(competitionID))
	}
	if talentID != "" {
		q = q.Where(award.TalentID(talentID))
	}
	if !all {
		own, _ := p.orgCode("enterprise")
		q = q.Where(award.HasTalentWith(talent.HasEmployerWith(enterprise.CreditCode(own))))
	}
	rows, err := q.WithTalent().Order(ent.Asc(award.FieldID)).Limit(maxAwardsPerRun).All(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(rows))
	for i, a := range rows {
		ids[i] = a.ID
	}
	recognitions, err := r.db.Designation.Query().Where(designation.AwardIDIn(ids...)).All(ctx)
	if err != nil {
		return nil, err
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
func (r *Registry) RecognizeWinner(ctx context.Context, in WinnerRecognition) (Designation, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return Designation{}, err
	}
	typ := designationTypesByCode[typeTalentRecognition]
	if err := r.authorize(p, authz.DesignationObject(typ.Code), authz.ActGrant); err != nil {
		return Designation{}, err
	}
	v := &violations{}
	checkID(v, "award_id", in.AwardID, true)
	from, until := validateValidity(v, in.ValidFrom, in.ValidUntil)
	doc := cleanText(v, "document_number", in.DocumentNumber, maxDocumentLen, true)
	if err := v.err(); err != nil {
		return Designation{}, err
	}
	bureau, _ := p.orgCode("bureau")
	var out Designation
	err = r.inTx(ctx, func(tx *ent.Tx) error {
		a, err := tx.Award.Get(ctx, in.AwardID)
		if ent.IsNotFound(err) {
			return notFound("award_id: award %s does not exist", in.AwardID)
		}
		if err != nil {
			return err
		}
		cited, err := tx.Designation.Query().Where(designation.AwardID(a.ID)).Exist(ctx)
		if err != nil {
			return err
		}
		if cited {
			return alreadyExists("award %s already supports a recognition", a.ID)
		}
		t, err := talentByID(ctx, tx.Client(), "award_id", a.TalentID)
		if err != nil {
			return err
		}
		d, err := r.insertDesignation(ctx, tx, p, newDesignation{
			typ: typ, talent: t, level: a.Level, from: from, until: until, doc: doc, bureau: bureau, awardID: a.ID,
		})
		if err != nil {
			return err
		}
		out = designationOf(d, r.today())
		return r.record(ctx, tx, p, change{action: "talent-recognition.recognize-winner", entityType: "designation", entityID: d.ID, after: out})
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
