package rpc

import (
	"context"
	"io"
	"net/http"

	"go.uber.org/zap"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/audit"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/gen/registry/v1/registryv1connect"
)

type auditService struct {
	registryv1connect.UnimplementedAuditServiceHandler
	reg *registry.Registry
}

func (s *auditService) ListAuditEvents(ctx context.Context, req *registryv1.ListAuditEventsRequest) (*registryv1.ListAuditEventsResponse, error) {
	since, err := timestampOf("since", req.Since)
	if err != nil {
		return nil, err
	}
	f := audit.AuditFilter{Entity: req.Entity, Actor: req.Actor, Since: since, PageSize: int(req.PageSize), PageToken: req.PageToken}
	events, next, err := s.reg.ListAuditEvents(ctx, f)
	if err != nil {
		return nil, err
	}
	return &registryv1.ListAuditEventsResponse{Events: mapSlice(events, toAuditEvent), NextPageToken: next}, nil
}

func (s *auditService) VerifyAuditChain(ctx context.Context, _ *registryv1.VerifyAuditChainRequest) (*registryv1.VerifyAuditChainResponse, error) {
	rep, err := s.reg.VerifyAuditChain(ctx)
	if err != nil {
		return nil, err
	}
	return &registryv1.VerifyAuditChainResponse{
		Ok: rep.OK, EventsChecked: rep.EventsChecked, FirstBadSequence: rep.FirstBadSequence, Problem: rep.Problem,
	}, nil
}

func (s *auditService) GetCheckpoint(ctx context.Context, _ *registryv1.GetCheckpointRequest) (*registryv1.GetCheckpointResponse, error) {
	c, err := s.reg.GetCheckpoint(ctx)
	if err != nil {
		return nil, err
	}
	return &registryv1.GetCheckpointResponse{
		Checkpoint: string(c.Note), Origin: c.Origin, TreeSize: c.Size, RootHash: c.Root.String(), VerifierKey: c.VerifierKey,
	}, nil
}

func (s *auditService) GetInclusionProof(ctx context.Context, req *registryv1.GetInclusionProofRequest) (*registryv1.GetInclusionProofResponse, error) {
	p, err := s.reg.GetInclusionProof(ctx, req.Sequence, req.TreeSize)
	if err != nil {
		return nil, err
	}
	return &registryv1.GetInclusionProofResponse{
		Sequence: p.Sequence, TreeSize: p.TreeSize, LeafHash: p.Leaf.String(), RootHash: p.Root.String(), Proof: hashStrings(p.Proof),
	}, nil
}

func (s *auditService) GetConsistencyProof(ctx context.Context, req *registryv1.GetConsistencyProofRequest) (*registryv1.GetConsistencyProofResponse, error) {
	p, err := s.reg.GetConsistencyProof(ctx, req.OldSize, req.NewSize)
	if err != nil {
		return nil, err
	}
	return &registryv1.GetConsistencyProofResponse{
		OldSize: p.OldSize, NewSize: p.NewSize, OldRootHash: p.OldRoot.String(), NewRootHash: p.NewRoot.String(), Proof: hashStrings(p.Proof),
	}, nil
}

// hashStrings writes tree hashes in standard base64.
func hashStrings(hs []tlog.Hash) []string { return mapSlice(hs, tlog.Hash.String) }

// checkpointHandler serves the signed checkpoint as text (a signed note),
// and, at .key, the note verifier key it is signed for.
func checkpointHandler(reg *registry.Registry, log *zap.Logger, key bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := reg.GetCheckpoint(r.Context())
		if err != nil {
			if registry.KindOf(err) == registry.KindFailedPrecondition {
				http.Error(w, "this registry signs no checkpoints", http.StatusNotFound)
				return
			}
			log.Error("checkpoint", zap.Error(err))
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if key {
			w.Header().Set("Cache-Control", "public, max-age=300")
			_, _ = io.WriteString(w, c.VerifierKey+"\n")
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(c.Note)
	})
}
