package store

import (
	"context"
	"net/url"
	"sync"
	"time"

	"github.com/lib/pq"
)

// ListenHandler receives what a Listener hears. Each function must return
// quickly; they are called from the listener's own goroutine.
type ListenHandler struct {
	// Notified gets each notification's payload.
	Notified func(payload string)
	// Alive is told, at least every PingInterval while the connection
	// works, that it has just answered.
	Alive func(at time.Time)
	// Lost is told that notifications may have been missed: the connection
	// dropped, or came back after dropping.
	Lost func()
}

// PingInterval is how often a Listener checks that its connection answers.
const PingInterval = 250 * time.Millisecond

// Listener keeps a PostgreSQL LISTEN open on one channel, reconnecting
// after failures, and checks its connection every PingInterval, so that a
// process knows within a second when it may have stopped hearing.
type Listener struct {
	l      *pq.Listener
	cancel context.CancelFunc
	done   sync.WaitGroup
}

// Listen starts listening on channel of the PostgreSQL database at
// databaseURL. It returns once the first LISTEN is in place, or its error.
func Listen(ctx context.Context, databaseURL, channel string, h ListenHandler) (*Listener, error) {
	events := func(ev pq.ListenerEventType, _ error) {
		switch ev {
		case pq.ListenerEventDisconnected, pq.ListenerEventReconnected:
			h.Lost()
		}
	}
	l := pq.NewListener(withApplicationName(databaseURL, "registry-listener"), 100*time.Millisecond, 2*time.Second, events)
	if err := l.Listen(channel); err != nil {
		l.Close()
		return nil, err
	}
	h.Alive(time.Now())
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	out := &Listener{l: l, cancel: cancel}
	out.done.Add(2)
	go func() {
		defer out.done.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case n, ok := <-l.NotificationChannel():
				switch {
				case !ok:
					return
				case n == nil: // a reconnection; Lost has been told
				default:
					h.Notified(n.Extra)
				}
			}
		}
	}()
	go func() {
		defer out.done.Done()
		out.watch(ctx, h)
	}()
	return out, nil
}

// SilenceLimit is how long the connection may go without answering a
// ping before the handler is told it was lost: a connection can die
// without a word (a cut network path), and lib/pq notices only when the
// kernel gives up on it, many minutes later.
const SilenceLimit = time.Second

// watch pings the connection every PingInterval, each ping in its own
// goroutine so that a ping stuck on a dead connection delays nothing, and
// tells h.Alive of each answer and h.Lost, once per silence, when none came
// for SilenceLimit.
func (l *Listener) watch(ctx context.Context, h ListenHandler) {
	tick := time.NewTicker(PingInterval)
	defer tick.Stop()
	answers := make(chan error, 1)
	inFlight, silent, lastAnswer := false, false, time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case err := <-answers:
			inFlight = false
			if err == nil {
				lastAnswer, silent = time.Now(), false
				h.Alive(lastAnswer)
			}
		case <-tick.C:
			if !inFlight {
				inFlight = true
				go func() { answers <- l.l.Ping() }()
			}
			if !silent && time.Since(lastAnswer) > SilenceLimit {
				silent = true
				h.Lost()
			}
		}
	}
}

// closeWait bounds how long Close waits for lib/pq to close a connection
// that may be stuck on a dead network path.
const closeWait = 2 * time.Second

// Close stops listening and waits for the listener's goroutines; it does
// not wait more than a moment for a connection that does not answer.
func (l *Listener) Close() error {
	l.cancel()
	closed := make(chan error, 1)
	go func() { closed <- l.l.Close() }()
	var err error
	select {
	case err = <-closed:
	case <-time.After(closeWait):
	}
	l.done.Wait()
	return err
}

// withApplicationName names the listener's session in pg_stat_activity,
// unless the URL names one already.
func withApplicationName(databaseURL, name string) string {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return databaseURL
	}
	q := u.Query()
	if q.Get("application_name") == "" && q.Get("fallback_application_name") == "" {
		q.Set("fallback_application_name", name)
		u.RawQuery = q.Encode()
	}
	return u.String()
}
