package change

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/auditevent"
	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// Watch limits.
const (
	// DefaultWatchBuffer is how many changes may wait for one live
	// watcher before it is dropped.
	DefaultWatchBuffer = 256
	// DefaultMaxWatchers bounds the watches open in one process, and
	// DefaultMaxWatchersPerPrincipal those of one principal.
	DefaultMaxWatchers             = 1000
	DefaultMaxWatchersPerPrincipal = 4
)

// hubBatch is how many events the hub reads per statement; backlogPage
// how many changes a catching-up watcher reads per statement.
const (
	hubBatch    = 500
	backlogPage = 100
)

// hub is the process's one reader of new changes for live watchers. Woken
// by the notifier, it reads the events after its position once, whoever
// watches, and pushes each change to the bounded buffer of every watcher
// whose scope allows it. Its position only advances, under mu, together
// with the pushes, so a watcher that registers at position P receives
// every change after P.
type hub struct {
	c   *Changes
	log *zap.Logger

	mu       sync.Mutex // guards what follows
	pos      int64      // every change up to pos has been pushed
	watchers map[*watcher]struct{}
	open     map[string]int // watches open, by principal key
	opened   int
	closed   bool
	peak     int // the most changes any watcher's buffer held

	done    chan struct{}
	stopped chan struct{}
}

// watcher is one watch's place in the hub.
type watcher struct {
	scope *scope
	wake  chan struct{} // told, without blocking, when there is news
	// buf holds, in sequence order, every change the scope allows with a
	// sequence in (from, hub.pos], unless dropped.
	buf  []Change
	from int64
	// live is set once the watch has read the feed from the database up
	// to from: then a full buffer drops the watcher. Before, a full
	// buffer is emptied and from moved, and the watch reads that much
	// more from the database.
	live    bool
	dropped bool
}

// hubFor returns the process's hub, starting it on first use at the
// audit chain's head.
func (c *Changes) hubFor(ctx context.Context) (*hub, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, shuttingDown(0)
	}
	if c.hub != nil {
		return c.hub, nil
	}
	head, err := c.head(ctx)
	if err != nil {
		return nil, err
	}
	log := c.Log
	if log == nil {
		log = zap.NewNop()
	}
	h := &hub{c: c, log: log.Named("changes"), pos: head, watchers: map[*watcher]struct{}{}, open: map[string]int{},
		done: make(chan struct{}), stopped: make(chan struct{})}
	wake, cancel := c.startNotifierLocked().subscribe()
	go h.run(wake, cancel)
	c.hub = h
	return h, nil
}

// head is the sequence of the last committed audit event: every event up
// to it is visible, since sequence order is commit order.
func (c *Changes) head(ctx context.Context) (int64, error) {
	h, err := c.DB.AuditHead.Get(ctx, core.AuditHeadID)
	if err != nil {
		return 0, err
	}
	return h.Seq, nil
}

// run reads new changes whenever woken, until closed. A failed read is
// tried again a second later.
func (h *hub) run(wake <-chan struct{}, unsubscribe func()) {
	defer close(h.stopped)
	defer unsubscribe()
	var retry <-chan time.Time
	for {
		select {
		case <-h.done:
			return
		case <-wake:
		case <-retry:
		}
		retry = nil
		if err := h.advance(); err != nil {
			h.log.Error("reading new changes failed; trying again", zap.Error(err))
			retry = time.After(time.Second)
		}
	}
}

// advance reads the changes committed since the hub's position, a batch
// at a time, and pushes them.
func (h *hub) advance() error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-h.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	head, err := h.c.head(ctx)
	if err != nil {
		return err
	}
	h.mu.Lock()
	pos, idle := h.pos, len(h.watchers) == 0
	if idle && head > pos {
		// No one watches: nothing to read, only the position to keep.
		h.pos = head
	}
	h.mu.Unlock()
	if idle {
		return nil
	}
	for pos < head {
		rows, err := h.c.DB.AuditEvent.Query().
			Where(auditevent.IDGT(pos), auditevent.IDLTE(head), auditevent.EntityTypeIn(core.ChangeEntityTypes...)).
			Order(ent.Asc(auditevent.FieldID)).Limit(hubBatch).All(ctx)
		if err != nil {
			return err
		}
		end := head
		if len(rows) == hubBatch {
			end = rows[len(rows)-1].ID
		}
		changes := make([]Change, 0, len(rows))
		for _, e := range rows {
			c, err := changeOf(e)
			if err != nil {
				// The same event fails ChangesFor; the hub does not stop
				// for it.
				h.log.Error("an audit event cannot be read as a change; watchers skip it", zap.Int64("seq", e.ID), zap.Error(err))
				continue
			}
			changes = append(changes, c)
		}
		h.push(changes, end)
		pos = end
	}
	return nil
}

// push hands changes to every watcher that may see them and moves the
// position to end.
func (h *hub) push(changes []Change, end int64) {
	limit := h.c.watchBuffer()
	h.mu.Lock()
	defer h.mu.Unlock()
	for w := range h.watchers {
		told := false
		for i := range changes {
			c := &changes[i]
			if c.Seq <= w.from || !w.scope.allows(c) {
				continue
			}
			told = true
			if len(w.buf) < limit {
				w.buf = append(w.buf, *c)
				h.peak = max(h.peak, len(w.buf))
				continue
			}
			if w.live {
				// Too slow: it gets what its buffer holds, then the end.
				w.dropped = true
				delete(h.watchers, w)
				break
			}
			// Still reading the database: it reads this far there too.
			w.buf, w.from = nil, c.Seq
		}
		if told {
			select {
			case w.wake <- struct{}{}:
			default:
			}
		}
	}
	h.pos = end
}

// close ends every watch and stops the hub.
func (h *hub) close() {
	h.mu.Lock()
	if !h.closed {
		h.closed = true
		close(h.done)
	}
	h.mu.Unlock()
	<-h.stopped
}

// watchBuffer is the buffer bound in force.
func (c *Changes) watchBuffer() int {
	if c.WatchBuffer > 0 {
		return c.WatchBuffer
	}
	return DefaultWatchBuffer
}

// WatchQuery asks for the changes after a cursor, then the changes as
// they commit.
type WatchQuery struct {
	AfterCursor string
	EntityTypes []string
}

// Watch is one principal's open watch of the feed: its backlog from the
// database, then live changes from the hub, each once and in sequence
// order. It is used by one goroutine; Close releases it.
type Watch struct {
	h   *hub
	w   *watcher
	key string
	// read is how far the watch has read the database; last is the
	// sequence of the last change Next returned (or the cursor).
	read, last int64
	pending    []Change
	closeOnce  sync.Once
}

// WatchChanges opens a watch of the changes after q.AfterCursor that the
// caller may read (the scope of ChangesFor, decided once, as the watch
// opens). A caller that may read nothing of the types asked for is
// refused, as is one with too many watches open (resource exhausted) or a
// process shutting down (unavailable).
func (c *Changes) WatchChanges(ctx context.Context, q WatchQuery) (*Watch, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return nil, err
	}
	v := &core.Violations{}
	after := ParseCursor(v, "after_cursor", q.AfterCursor)
	types := ValidateEntityTypes(v, "entity_types", q.EntityTypes)
	if err := v.Err(); err != nil {
		return nil, err
	}
	s, err := c.scopeFor(p, types)
	if err != nil {
		return nil, err
	}
	h, err := c.hubFor(ctx)
	if err != nil {
		return nil, err
	}
	maxAll, maxOne := c.MaxWatchers, c.MaxWatchersPerPrincipal
	if maxAll <= 0 {
		maxAll = DefaultMaxWatchers
	}
	if maxOne <= 0 {
		maxOne = DefaultMaxWatchersPerPrincipal
	}
	key := p.Key()
	w := &watcher{scope: s, wake: make(chan struct{}, 1)}
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.closed:
		return nil, shuttingDown(after)
	case h.open[key] >= maxOne:
		return nil, core.NewError(core.KindResourceExhausted, "%s has %d watches open, the most one principal may; close one first", p, maxOne)
	case h.opened >= maxAll:
		return nil, core.NewError(core.KindResourceExhausted, "the registry serves %d watches, the most it may; try again later or poll ListChanges", maxAll)
	}
	h.open[key]++
	h.opened++
	w.from = h.pos
	h.watchers[w] = struct{}{}
	return &Watch{h: h, w: w, key: key, read: after, last: after}, nil
}

// Next returns the next change, waiting for one to commit if need be. It
// fails when ctx ends, with resource exhausted when the watch fell too far
// behind (its buffer overflowed), and with unavailable when the process is
// shutting down; both messages say to resume after the last cursor
// received, and no change is lost or repeated by doing so.
func (x *Watch) Next(ctx context.Context) (Change, error) {
	for {
		if len(x.pending) > 0 {
			c := x.pending[0]
			x.pending = x.pending[1:]
			x.last = c.Seq
			return c, nil
		}
		if err := ctx.Err(); err != nil {
			return Change{}, err
		}
		h, w := x.h, x.w
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			return Change{}, shuttingDown(x.last)
		}
		if !w.live && x.read >= w.from {
			// The database is read up to where the buffer starts: from
			// now on the hub's pushes are the feed.
			w.live = true
		}
		if w.live {
			for _, c := range w.buf {
				if c.Seq > x.read { // the database gave those up to read
					x.pending = append(x.pending, c)
				}
			}
			w.buf = nil
			dropped := w.dropped
			h.mu.Unlock()
			if len(x.pending) > 0 {
				x.read = x.pending[len(x.pending)-1].Seq
				continue
			}
			if dropped {
				return Change{}, core.NewError(core.KindResourceExhausted,
					"the watch fell more than %d changes behind and was ended; resume after cursor %d", x.h.c.watchBuffer(), x.last)
			}
			select {
			case <-w.wake:
			case <-ctx.Done():
			case <-h.done:
			}
			continue
		}
		upTo := w.from
		h.mu.Unlock()
		page, err := h.c.read(ctx, w.scope, x.read, upTo, backlogPage)
		if err != nil {
			return Change{}, err
		}
		x.pending = page
		if len(page) == backlogPage {
			x.read = page[len(page)-1].Seq
		} else {
			x.read = upTo
		}
	}
}

// Close releases the watch: the hub forgets it and the principal's slot
// is free. It may be called more than once.
func (x *Watch) Close() {
	x.closeOnce.Do(func() {
		h := x.h
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.watchers, x.w)
		if h.open[x.key]--; h.open[x.key] <= 0 {
			delete(h.open, x.key)
		}
		h.opened--
	})
}

// shuttingDown is the error of a watch the process ends as it shuts down.
func shuttingDown(last int64) error {
	return core.NewError(core.KindUnavailable, "the registry is shutting down; watch again, resuming after cursor %d", last)
}

// WatchStats tell how the process's watches stand, for monitoring and
// tests.
type WatchStats struct {
	// Open is the number of open watches; Live those reading from the
	// hub (their backlog read).
	Open, Live int
	// PeakBuffered is the most changes any watcher's buffer has held: it
	// never exceeds WatchBuffer.
	PeakBuffered int
	// Position is the sequence up to which the hub has read the feed.
	Position int64
}

// WatchStats reports the process's watches.
func (c *Changes) WatchStats() WatchStats {
	c.mu.Lock()
	h := c.hub
	c.mu.Unlock()
	if h == nil {
		return WatchStats{}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	s := WatchStats{Open: h.opened, PeakBuffered: h.peak, Position: h.pos}
	for w := range h.watchers {
		if w.live {
			s.Live++
		}
	}
	return s
}
