package talentauth

import (
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// Authorizations issues and revokes special talent authorizations (with
// their quotas per level) and the recognitions enterprises make under them.
type Authorizations struct {
	*core.Core
	Designations *designation.Designations
}
