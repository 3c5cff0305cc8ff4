package change

import (
	"sync"
	"time"

	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// notifier is the process's one listener for committed changes: it hears
// core.TopicChanges (this process's commits as they happen, and on
// PostgreSQL every other process's, through the signals' listener) and,
// while the process cannot hear other processes, ticks every
// core.MaxStaleness, so a change another process wrote is found within
// that time. It tells every channel handed out by Notify.
type notifier struct {
	mu   sync.Mutex
	subs map[chan struct{}]struct{}
	done chan struct{}
	stop sync.Once
	wg   sync.WaitGroup
}

// Notify returns a channel that receives a value (without blocking the
// sender; values coalesce in its buffer of one) after changes commit in
// this process or, on PostgreSQL, in any process, and at least every
// core.MaxStaleness while this process cannot hear other processes (on
// SQLite, whose file another process may write, or while the listener is
// lost). A value means "read the feed again", not that a visible change
// exists. cancel unsubscribes; the channel is not closed.
func (c *Changes) Notify() (ch <-chan struct{}, cancel func()) {
	c.mu.Lock()
	n := c.startNotifierLocked()
	c.mu.Unlock()
	return n.subscribe()
}

// subscribe adds a channel to tell.
func (n *notifier) subscribe() (<-chan struct{}, func()) {
	sub := make(chan struct{}, 1)
	n.mu.Lock()
	n.subs[sub] = struct{}{}
	n.mu.Unlock()
	return sub, sync.OnceFunc(func() {
		n.mu.Lock()
		delete(n.subs, sub)
		n.mu.Unlock()
	})
}

// startNotifierLocked makes the process's notifier on first use; c.mu is
// held.
func (c *Changes) startNotifierLocked() *notifier {
	if c.notifier == nil {
		n := &notifier{subs: map[chan struct{}]struct{}{}, done: make(chan struct{})}
		c.Signals.Subscribe(core.TopicChanges, func(bool) { n.tell() })
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			tick := time.NewTicker(core.MaxStaleness)
			defer tick.Stop()
			for {
				select {
				case <-n.done:
					return
				case now := <-tick.C:
					if !c.Signals.Hearing(now) {
						n.tell()
					}
				}
			}
		}()
		c.notifier = n
		if c.stopped {
			n.close()
		}
	}
	return c.notifier
}

// tell wakes every subscriber, never blocking.
func (n *notifier) tell() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for sub := range n.subs {
		select {
		case sub <- struct{}{}:
		default:
		}
	}
}

// close stops the ticker.
func (n *notifier) close() {
	n.stop.Do(func() { close(n.done) })
	n.wg.Wait()
}
