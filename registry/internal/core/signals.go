package core

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hangzhou-ai/registry/ent"
)

// Topic names a kind of stored state that processes keep in memory and must
// drop when it changes: tokens, the policy, the signing keys.
type Topic string

// Topics a transaction may signal.
const (
	TopicTokens Topic = "tokens"
	TopicPolicy Topic = "policy"
	TopicKeys   Topic = "keys"
	// TopicChanges is signalled by every transaction that appends audit
	// events of business records (ChangeEntityTypes): the change feed
	// reads the new events when it is told.
	TopicChanges Topic = "changes"
)

// topics are every Topic there is.
var topics = []Topic{TopicTokens, TopicPolicy, TopicKeys, TopicChanges}

// SignalChannel is the PostgreSQL notification channel signals travel on.
const SignalChannel = "registry_changes"

// MaxStaleness bounds how long a process may answer from memory after
// another process changed the state behind it, when it cannot hear that
// process (SQLite, where `registryd token revoke` may write the same file,
// or a PostgreSQL listener that is not connected right now).
const MaxStaleness = time.Second

// Signals tells every process of the registry that a transaction changed
// state they cache. A transaction calls Signal; once it commits, this
// process's subscribers run at once and, on PostgreSQL, a NOTIFY sent in the
// same transaction reaches the other processes' listeners (Heard), so a
// revoked token or a changed policy is refused everywhere within a second.
//
// Caches ask Fresh whether an entry filled at a generation may still be
// served. It may while no signal of its topic has come since and the
// process can hear other processes; otherwise only for MaxStaleness after
// it was filled. Make Signals with NewSignals; they are safe for
// concurrent use.
type Signals struct {
	// instance tells this process's own notifications from others'.
	instance string

	mu          sync.Mutex
	generations map[Topic]*atomic.Uint64
	subscribers map[Topic][]func(remote bool)

	// start anchors hearing on the monotonic clock, so a step of the
	// wall clock cannot make a silent listener look alive.
	start time.Time
	// hearing is when a connected listener last answered, as nanoseconds
	// since start; 0 while none is connected.
	hearing atomic.Int64
	// postgres sends NOTIFY from signalling transactions.
	postgres bool
}

// NewSignals returns the signals of one process; postgres makes signalling
// transactions send a NOTIFY for other processes.
func NewSignals(instance string, postgres bool) *Signals {
	return &Signals{instance: instance, postgres: postgres, start: time.Now()}
}

func (s *Signals) generation(t Topic) *atomic.Uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.generations == nil {
		s.generations = map[Topic]*atomic.Uint64{}
	}
	g, ok := s.generations[t]
	if !ok {
		g = &atomic.Uint64{}
		s.generations[t] = g
	}
	return g
}

// Generation is the topic's current generation: read it before reading the
// database, and store it with what was read.
func (s *Signals) Generation(t Topic) uint64 {
	if s == nil {
		return 0
	}
	return s.generation(t).Load()
}

// Fresh tells whether an entry of topic t read at generation gen and at
// instant filled may still be served at now.
// Nil Signals (a registry assembled without them) keep nothing fresh.
func (s *Signals) Fresh(t Topic, gen uint64, filled, now time.Time) bool {
	if s == nil {
		return false
	}
	if s.generation(t).Load() != gen {
		return false
	}
	if now.Sub(filled) < MaxStaleness {
		return true
	}
	last := s.hearing.Load()
	return last != 0 && now.Sub(s.start)-time.Duration(last) < MaxStaleness
}

// Hearing tells whether this process hears other processes' signals now:
// a listener is connected and answered within MaxStaleness of now. A
// process that does not (SQLite, whose file another process may write, or
// a lost listener) must look for their changes itself, at least every
// MaxStaleness.
func (s *Signals) Hearing(now time.Time) bool {
	if s == nil {
		return false
	}
	last := s.hearing.Load()
	return last != 0 && now.Sub(s.start)-time.Duration(last) < MaxStaleness
}

// Subscribe runs fn after every committed change of topic t: with remote
// false for this process's own, as it commits, and true for another
// process's, when heard, or when changes may have been missed (Deaf). fn
// must be quick or hand its work to another goroutine.
func (s *Signals) Subscribe(t Topic, fn func(remote bool)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.subscribers == nil {
		s.subscribers = map[Topic][]func(bool){}
	}
	s.subscribers[t] = append(s.subscribers[t], fn)
}

// changed advances the topic's generation and runs its subscribers.
func (s *Signals) changed(t Topic, remote bool) {
	s.generation(t).Add(1)
	s.mu.Lock()
	subs := append([]func(bool){}, s.subscribers[t]...)
	s.mu.Unlock()
	for _, fn := range subs {
		fn(remote)
	}
}

// Signal records, inside tx, that the transaction changes topic t. Nothing
// is told before it tries to commit, and nothing at all if it rolls back.
func (s *Signals) Signal(ctx context.Context, tx *ent.Tx, t Topic) error {
	if s == nil {
		return nil
	}
	if s.postgres {
		if _, err := tx.ExecContext(ctx, "SELECT pg_notify($1, $2)", SignalChannel, s.payload(t)); err != nil {
			return fmt.Errorf("signal %s: %w", t, err)
		}
	}
	s.onCommit(tx, t)
	return nil
}

// payload is the NOTIFY payload of topic t from this process.
func (s *Signals) payload(t Topic) string { return string(t) + " " + s.instance }

// notifies tells whether signalling transactions send a NOTIFY for other
// processes (PostgreSQL).
func (s *Signals) notifies() bool { return s != nil && s.postgres }

// onCommit runs t's subscribers once tx has tried to commit. The caller
// has sent the NOTIFY for other processes, if any, in tx.
func (s *Signals) onCommit(tx *ent.Tx, t Topic) {
	if s == nil {
		return
	}
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			err := next.Commit(ctx, tx)
			// A commit that reports an error may still have committed
			// (the connection failed after the server did), and this
			// process skips its own notification: drop what is held
			// either way, and have it reread as another process's change.
			s.changed(t, err != nil)
			return err
		})
	})
}

// Heard delivers a notification payload from the channel. This process's
// own are skipped: their subscribers ran at commit.
func (s *Signals) Heard(payload string) {
	topic, instance, _ := strings.Cut(payload, " ")
	// Its own subscribers ran at commit; a topic not of this build is
	// ignored, since anyone may NOTIFY the channel.
	if t := Topic(topic); instance != s.instance && slices.Contains(topics, t) {
		s.changed(t, true)
	}
}

// Alive records that the listener is connected and answered at instant at.
func (s *Signals) Alive(at time.Time) { s.hearing.Store(max(1, int64(at.Sub(s.start)))) }

// Deaf records that the listener lost its connection: notifications may
// have been missed, so every topic changes (whatever was cached is dropped)
// and caches fall back to MaxStaleness until Alive again.
func (s *Signals) Deaf() {
	s.hearing.Store(0)
	for _, t := range topics {
		s.changed(t, true)
	}
}

// Signal records, inside tx, that the transaction changes topic t (see
// Signals.Signal).
func (r *Core) Signal(ctx context.Context, tx *ent.Tx, t Topic) error {
	return r.Signals.Signal(ctx, tx, t)
}
