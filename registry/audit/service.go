package audit

import "github.com/hangzhou-ai/registry/registry/internal/core"

// Trail reads the audit trail and verifies its hash chain.
type Trail struct {
	*core.Core
}
