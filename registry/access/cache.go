package access

import (
	"sync"
	"time"

	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// maxCachedTokens bounds the token cache; when it is full it starts again
// empty, which costs one query per token in use.
const maxCachedTokens = 10_000

// cachedToken is what Authenticate needs of a valid token, with when and at
// which generation of core.TopicTokens it was read.
type cachedToken struct {
	principal  core.Principal
	expiresAt  *time.Time
	generation uint64
	filled     time.Time
}

// tokenCache maps token hashes (never tokens) to what was read for them.
// Only tokens valid when read are kept: an unknown, revoked or expired one
// is looked up every time. The zero value is ready to use.
type tokenCache struct {
	mu      sync.Mutex
	entries map[string]cachedToken
}

func (c *tokenCache) get(hash string) (cachedToken, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[hash]
	return e, ok
}

func (c *tokenCache) put(hash string, e cachedToken) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxCachedTokens {
		c.entries = make(map[string]cachedToken)
	}
	c.entries[hash] = e
}
