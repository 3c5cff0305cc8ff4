package enterprise

import "github.com/hangzhou-ai/registry/registry/internal/core"

// Enterprises registers and reads enterprises.
type Enterprises struct {
	*core.Core
}
