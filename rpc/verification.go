package rpc

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hangzhou-ai/registry/attest"
	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/benefit"
	"github.com/hangzhou-ai/registry/registry/park"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/gen/registry/v1/registryv1connect"
)

type verificationService struct {
	registryv1connect.UnimplementedVerificationServiceHandler
	reg *registry.Registry
}

// toSigningKey describes a published key; the registry publishes Ed25519
// keys only.
func toSigningKey(k attest.Key) *registryv1.SigningKey {
	return &registryv1.SigningKey{Kty: attest.KeyType, Crv: attest.Curve, X: k.X(), Kid: k.KeyID, Alg: k.Algorithm, Use: k.Use, ActiveFrom: k.ActiveFrom, ActiveUntil: k.ActiveUntil}
}

func (s *verificationService) VerifyAttestation(ctx context.Context, req *registryv1.VerifyAttestationRequest) (*registryv1.VerifyAttestationResponse, error) {
	c, err := s.reg.VerifyAttestation(ctx, req.Token)
	if err != nil {
		return nil, err
	}
	res := &registryv1.VerifyAttestationResponse{
		Valid: c.Valid, SignatureValid: c.SignatureValid, Expired: c.Expired, Problem: c.Problem,
		DesignationsChanged: c.DesignationsChanged,
		Designations: mapSlice(c.Designations, func(d park.Standing) *registryv1.DesignationStanding {
			return &registryv1.DesignationStanding{DesignationId: d.DesignationID, StatusNow: statusToProto[d.StatusNow]}
		}),
	}
	if cl := c.Claims; cl != nil {
		res.Claims = &registryv1.AttestationClaims{
			ParkCode: cl.ParkCode, EnterpriseCreditCode: cl.EnterpriseCreditCode, Benefit: cl.Benefit, AsOf: cl.AsOf,
			Eligible: cl.Eligible, ReasonCodes: cl.ReasonCodes, DesignationIds: cl.DesignationIDs,
			IssuedAt: timestamppb.New(time.Unix(cl.IssuedAt, 0)), ExpiresAt: timestamppb.New(time.Unix(cl.ExpiresAt, 0)),
			KeyId: c.KeyID, AuditTreeSize: cl.AuditTreeSize, Kind: attest.KindName(cl.Kind), Year: int32(cl.Year),
			AwardedFen: cl.AwardedFen, DisbursedFen: cl.DisbursedFen, RecoveredFen: cl.RecoveredFen, OutstandingFen: cl.OutstandingFen,
			StatementDigest: cl.StatementDigest, AwardIds: cl.AwardIDs,
		}
	}
	return res, nil
}

func (s *verificationService) ListPublishedAwards(ctx context.Context, req *registryv1.ListPublishedAwardsRequest) (*registryv1.ListPublishedAwardsResponse, error) {
	list, next, err := s.reg.ListPublishedAwards(ctx, benefit.PublishedFilter{
		MeasureCode: req.MeasureCode, Year: int(req.Year), PageSize: int(req.PageSize), PageToken: req.PageToken,
	})
	if err != nil {
		return nil, err
	}
	return &registryv1.ListPublishedAwardsResponse{
		Awards: mapSlice(list, toPublishedAward), NextPageToken: next, ThresholdFen: benefit.PublicationThresholdFen,
	}, nil
}

func (s *verificationService) GetSigningKeys(ctx context.Context, _ *registryv1.GetSigningKeysRequest) (*registryv1.GetSigningKeysResponse, error) {
	keys, err := s.reg.SigningKeys(ctx)
	if err != nil {
		return nil, err
	}
	return &registryv1.GetSigningKeysResponse{Keys: mapSlice(keys.Keys, toSigningKey)}, nil
}

func (s *verificationService) GetDesignationStatus(ctx context.Context, req *registryv1.GetDesignationStatusRequest) (*registryv1.GetDesignationStatusResponse, error) {
	st, err := s.reg.GetDesignationStatus(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	return &registryv1.GetDesignationStatusResponse{
		Id: st.ID, Type: st.Type.Code, TypeNameZh: st.Type.NameZh, TypeNameEn: st.Type.NameEn,
		HolderKind: st.HolderKind, HolderName: st.HolderName, HolderCreditCode: st.HolderCreditCode,
		Status: statusToProto[st.Status], ValidFrom: st.ValidFrom, ValidUntil: st.ValidUntil, GrantedByBureau: st.GrantedByBureau,
	}, nil
}

// jwksHandler serves the signing keys as a JSON Web Key Set.
func jwksHandler(reg *registry.Registry, log *zap.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keys, err := reg.SigningKeys(r.Context())
		if err != nil {
			log.Error("jwks", zap.Error(err))
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_ = json.NewEncoder(w).Encode(keys)
	})
}
