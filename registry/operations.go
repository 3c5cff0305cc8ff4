package registry

import (
	"context"
	"fmt"

	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// ValidatePrincipal checks a principal by the rules a bearer token's
// principal must meet when it is issued: a subject of at most the length
// of a name without control characters, an organisation of a known kind
// (an existing bureau, a valid credit code, a park code) and a role that
// kind of organisation can hold. It lets principals asserted elsewhere (a
// single sign-on token) be held to the same rules; the error is
// KindInvalidArgument with a violation per bad field (subject,
// organisation, role).
func ValidatePrincipal(p core.Principal) error {
	v := &core.Violations{}
	if core.CleanText(v, "subject", p.Subject, core.MaxNameLen, true) != p.Subject && len(v.List) == 0 {
		v.Add("subject", "must not begin or end with white space")
	}
	core.ValidatePrincipal(v, "organisation", "role", p.Org, p.Role)
	return v.Err()
}

// AuditChainLength returns the number of events in the audit chain, read
// from the chain's head row (one primary-key lookup, no scan). It does not
// authorize: it is for the process's own monitoring, not for callers.
func (r *Registry) AuditChainLength(ctx context.Context) (int64, error) {
	head, err := r.DB.AuditHead.Get(ctx, core.AuditHeadID)
	if err != nil {
		return 0, fmt.Errorf("audit head: %w", err)
	}
	return head.Seq, nil
}

// ReloadPolicy replaces the in-memory authorization policy with the one
// stored in the database, picking up policy lines other replicas have
// committed (a talent authorization issued or revoked elsewhere).
func (r *Registry) ReloadPolicy() error {
	if err := r.Authz.Reload(); err != nil {
		return fmt.Errorf("reload policy: %w", err)
	}
	return nil
}
