package keys

import (
	"sync/atomic"

	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// Keys keeps the attestation signing keys: the active one, rotation,
// withdrawal and the published key set.
type Keys struct {
	*core.Core
	signerCache atomic.Value // cachedSigner
}
