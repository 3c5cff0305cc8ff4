package change

// EndWatches ends every open watch (Next fails with unavailable, saying
// where to resume) and refuses new ones: what a server does as it begins
// to shut down, so that its streams do not hold the shutdown up. It may
// be called more than once.
func (c *Changes) EndWatches() {
	c.mu.Lock()
	c.closed = true
	h := c.hub
	c.mu.Unlock()
	if h != nil {
		h.close()
	}
}

// Stop ends every watch and stops the notifier: Notify's channels are
// told no more. The registry calls it as it closes.
func (c *Changes) Stop() {
	c.EndWatches()
	c.mu.Lock()
	c.stopped = true
	n := c.notifier
	c.mu.Unlock()
	if n != nil {
		n.close()
	}
}
