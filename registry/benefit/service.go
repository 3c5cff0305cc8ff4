package benefit

import (
	"github.com/hangzhou-ai/registry/registry/internal/core"
	"github.com/hangzhou-ai/registry/registry/keys"
)

// Benefits keeps the support ledger.
type Benefits struct {
	*core.Core
	Keys *keys.Keys
}
