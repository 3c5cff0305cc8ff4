package audit

import (
	"github.com/hangzhou-ai/registry/checkpoint"
	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// Trail reads the audit trail and verifies its hash chain.
type Trail struct {
	*core.Core
	// Checkpoints signs checkpoints of the audit tree; nil: none are signed.
	Checkpoints *checkpoint.Signer
}
