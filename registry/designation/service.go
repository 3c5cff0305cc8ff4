package designation

import "github.com/hangzhou-ai/registry/registry/internal/core"

// Designations grants designations, reads them and moves them through
// their lifecycle. Other programmes create designations through
// InsertDesignation and learn of revocations through OnRevoke.
type Designations struct {
	*core.Core
	onRevoke []RevokeHook
}
