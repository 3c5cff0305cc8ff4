package rpc

import (
	"context"
	"strings"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/competition"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/gen/registry/v1/registryv1connect"
)

type competitionService struct {
	registryv1connect.UnimplementedCompetitionServiceHandler
	reg *registry.Registry
}

const tierPrefix = "COMPETITION_TIER_"

// tierName turns the enum into the registry's tier word; unknown values
// pass through for the registry to refuse by name.
func tierName(t registryv1.CompetitionTier) string {
	if t == registryv1.CompetitionTier_COMPETITION_TIER_UNSPECIFIED {
		return ""
	}
	return strings.ToLower(strings.TrimPrefix(t.String(), tierPrefix))
}

func toTier(name string) registryv1.CompetitionTier {
	return registryv1.CompetitionTier(registryv1.CompetitionTier_value[tierPrefix+strings.ToUpper(name)])
}

func toCompetition(c competition.Competition) *registryv1.Competition {
	return &registryv1.Competition{
		Id: c.ID, Name: c.Name, Organiser: c.Organiser, Year: int32(c.Year), Tier: toTier(c.Tier),
		PrizeLevels: mapSlice(c.PrizeLevels, func(p competition.PrizeLevel) *registryv1.PrizeLevel {
			return &registryv1.PrizeLevel{Prize: p.Prize, Level: p.Level}
		}),
		CreatedAt: timestamp(c.CreatedAt),
	}
}

func toAward(a competition.Award) *registryv1.Award {
	return &registryv1.Award{
		Id: a.ID, CompetitionId: a.CompetitionID, TalentId: a.TalentID, TalentName: a.TalentName, Prize: a.Prize,
		Team: a.Team, Level: a.Level, RecognitionId: a.RecognitionID, CreatedAt: timestamp(a.CreatedAt),
	}
}

func (s *competitionService) RegisterCompetition(ctx context.Context, req *registryv1.RegisterCompetitionRequest) (*registryv1.RegisterCompetitionResponse, error) {
	c, err := s.reg.RegisterCompetition(ctx, competition.NewCompetition{
		Name: req.Name, Organiser: req.Organiser, Year: int(req.Year), Tier: tierName(req.Tier),
		PrizeLevels: mapSlice(req.PrizeLevels, func(p *registryv1.PrizeLevel) competition.PrizeLevel {
			return competition.PrizeLevel{Prize: p.Prize, Level: p.Level}
		}),
	})
	if err != nil {
		return nil, err
	}
	return &registryv1.RegisterCompetitionResponse{Competition: toCompetition(c)}, nil
}

func (s *competitionService) GetCompetition(ctx context.Context, req *registryv1.GetCompetitionRequest) (*registryv1.GetCompetitionResponse, error) {
	c, err := s.reg.GetCompetition(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	return &registryv1.GetCompetitionResponse{Competition: toCompetition(c)}, nil
}

func (s *competitionService) ListCompetitions(ctx context.Context, req *registryv1.ListCompetitionsRequest) (*registryv1.ListCompetitionsResponse, error) {
	list, err := s.reg.ListCompetitions(ctx, int(req.Year))
	if err != nil {
		return nil, err
	}
	return &registryv1.ListCompetitionsResponse{Competitions: mapSlice(list, toCompetition)}, nil
}

func (s *competitionService) RecordAwards(ctx context.Context, req *registryv1.RecordAwardsRequest) (*registryv1.RecordAwardsResponse, error) {
	awards, created, err := s.reg.RecordAwards(ctx, req.CompetitionId, mapSlice(req.Awards, func(a *registryv1.AwardInput) competition.AwardInput {
		return competition.AwardInput{
			TalentID: a.TalentId, Name: a.Name, IDNumber: a.IdNumber, PassportNumber: a.PassportNumber,
			Nationality: a.Nationality, Prize: a.Prize, Team: a.Team,
		}
	}))
	if err != nil {
		return nil, err
	}
	return &registryv1.RecordAwardsResponse{Awards: mapSlice(awards, toAward), Created: int32(created)}, nil
}

func (s *competitionService) ListAwards(ctx context.Context, req *registryv1.ListAwardsRequest) (*registryv1.ListAwardsResponse, error) {
	awards, err := s.reg.ListAwards(ctx, req.CompetitionId, req.TalentId)
	if err != nil {
		return nil, err
	}
	return &registryv1.ListAwardsResponse{Awards: mapSlice(awards, toAward)}, nil
}

func (s *competitionService) RecognizeWinner(ctx context.Context, req *registryv1.RecognizeWinnerRequest) (*registryv1.RecognizeWinnerResponse, error) {
	d, err := s.reg.RecognizeWinner(ctx, competition.WinnerRecognition{
		AwardID: req.AwardId, ValidFrom: req.ValidFrom, ValidUntil: req.ValidUntil, DocumentNumber: req.DocumentNumber,
	})
	if err != nil {
		return nil, err
	}
	return &registryv1.RecognizeWinnerResponse{Designation: toDesignation(d)}, nil
}
