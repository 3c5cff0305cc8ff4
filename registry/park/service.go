package park

import (
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/internal/core"
	"github.com/hangzhou-ai/registry/registry/keys"
)

// Parks registers parks, admits and ends tenancies, keeps eligibility
// rules and answers eligibility questions with signed attestations.
type Parks struct {
	*core.Core
	Designations *designation.Designations
	Keys         *keys.Keys
}
