package talent

import "github.com/hangzhou-ai/registry/registry/internal/core"

// Talents registers and reads talents; identity documents are sealed and
// looked up by keyed hash.
type Talents struct {
	*core.Core
}
