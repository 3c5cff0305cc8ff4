package imports

import (
	"github.com/hangzhou-ai/registry/registry/competition"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// Importer runs bulk imports of enterprises, designations, tenancies and
// awards: rows are checked as they stream in and written in one short
// transaction at the end.
type Importer struct {
	*core.Core
	Enterprises  *enterprise.Enterprises
	Competitions *competition.Competitions
}
