package change

// Shutdown stops the notifier. The registry calls it as it closes.
func (c *Changes) Shutdown() {
	c.mu.Lock()
	n := c.notifier
	c.closed = true
	c.mu.Unlock()
	if n != nil {
		n.close()
	}
}
