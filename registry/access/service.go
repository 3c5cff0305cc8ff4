package access

import "github.com/hangzhou-ai/registry/registry/internal/core"

// Access issues, lists and revokes API tokens and authenticates them into
// principals. Administrators mint tokens only for the roles in Mintable.
// Authenticate answers from memory for tokens it has read before, until a
// revocation is signalled (core.TopicTokens) or core.Signals says it can no
// longer hear other processes.
type Access struct {
	*core.Core
	// Mintable are the roles administrators may mint tokens for.
	Mintable []string

	tokens tokenCache
}
