package imports

import (
	"github.com/hangzhou-ai/registry/registry/benefit"
	"github.com/hangzhou-ai/registry/registry/competition"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// Importer runs bulk imports of enterprises, designations, tenancies,
// awards, and support applications and payments: rows are checked as they stream in and written in one short
// transaction at the end.
type Importer struct {
	*core.Core
	Enterprises  *enterprise.Enterprises
	Competitions *competition.Competitions
	Benefits     *benefit.Benefits
}
