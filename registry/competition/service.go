package competition

import (
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/internal/core"
	"github.com/hangzhou-ai/registry/registry/talent"
)

// Competitions registers competitions, records their awards and recognises
// winners as talents.
type Competitions struct {
	*core.Core
	Designations *designation.Designations
	Talents      *talent.Talents
}
