package core

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hangzhou-ai/registry/ent"
)

const AuditHeadID = 1

// Change describes a mutation to record.
type Change struct {
	Action     string
	EntityType string
	EntityID   string
	Before     any // nil, or a value marshalled to JSON
	After      any
	Reason     string
	// Owner is the organisation among whose own records the entity is
	// ("enterprise:<credit code>", "park:<code>"), or empty; it scopes the
	// change feed and is not hashed.
	Owner string
}

// CanonicalEvent is the exact byte form that is hashed: fields in fixed
// order, time in UTC with microseconds.
type CanonicalEvent struct {
	Sequence   int64  `json:"seq"`
	OccurredAt string `json:"at"`
	Subject    string `json:"subject"`
	Org        string `json:"org"`
	Role       string `json:"role"`
	Action     string `json:"action"`
	EntityType string `json:"entity_type"`
	EntityID   string `json:"entity_id"`
	Before     string `json:"before"`
	After      string `json:"after"`
	Reason     string `json:"reason"`
}

func ChainHash(prevHash string, e CanonicalEvent) string {
	body, err := json.Marshal(e)
	if err != nil {
		panic(err) // a struct of strings always marshals
	}
	h := sha256.New()
	h.Write([]byte(prevHash))
	h.Write([]byte{'\n'})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

func CanonicalOf(e *ent.AuditEvent) CanonicalEvent {
	return CanonicalEvent{
		Sequence: e.ID, OccurredAt: e.OccurredAt.UTC().Format(time.RFC3339Nano),
		Subject: e.ActorSubject, Org: e.ActorOrg, Role: e.ActorRole, Action: e.Action,
		EntityType: e.EntityType, EntityID: e.EntityID, Before: e.Before, After: e.After, Reason: e.Reason,
	}
}

func jsonText(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// PendingEvent is an audit event with everything but its place in the
// chain computed: its JSON, and its canonical form without the sequence
// number. Only the sequence, the previous hash and the hash wait for the
// chain's head.
type PendingEvent struct {
	At                           time.Time
	Subject, Org, Role           string
	Action, EntityType, EntityID string
	Before, After, Reason        string
	Owner                        string
	// Tail is the event's canonical JSON after `{"seq":N`, set by
	// PrepareEvent: hashing the event then needs no marshalling.
	Tail []byte
}

// PrepareEvent computes c's event by p at the instant at, outside any lock.
func PrepareEvent(p Principal, at time.Time, c Change) (PendingEvent, error) {
	before, err := jsonText(c.Before)
	if err != nil {
		return PendingEvent{}, err
	}
	after, err := jsonText(c.After)
	if err != nil {
		return PendingEvent{}, err
	}
	e := PendingEvent{At: at, Subject: p.Subject, Org: p.Org, Role: p.Role, Action: c.Action,
		EntityType: c.EntityType, EntityID: c.EntityID, Before: before, After: after, Reason: c.Reason, Owner: c.Owner}
	e.Tail = e.canonicalTail()
	return e, nil
}

// seqPrefix is how the canonical JSON of every event begins: the sequence
// number is its first field, so the rest can be marshalled before the
// number is known.
const seqPrefix = `{"seq":`

func (e *PendingEvent) canonicalTail() []byte {
	body, err := json.Marshal(CanonicalEvent{
		OccurredAt: e.At.UTC().Format(time.RFC3339Nano), Subject: e.Subject, Org: e.Org, Role: e.Role,
		Action: e.Action, EntityType: e.EntityType, EntityID: e.EntityID, Before: e.Before, After: e.After, Reason: e.Reason,
	})
	if err != nil {
		panic(err) // a struct of strings always marshals
	}
	return body[len(seqPrefix)+1:] // drop `{"seq":0`
}

// chainHash is ChainHash of the event at seq after prev, from the
// precomputed tail: the same bytes, hashed without marshalling again.
func (e *PendingEvent) chainHash(prev string, seq int64) string {
	if e.Tail == nil {
		e.Tail = e.canonicalTail()
	}
	var num [20]byte
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write([]byte{'\n'})
	h.Write([]byte(seqPrefix))
	h.Write(strconv.AppendInt(num[:0], seq, 10))
	h.Write(e.Tail)
	return hex.EncodeToString(h.Sum(nil))
}

// Record appends c to the audit chain inside tx.
func (r *Core) Record(ctx context.Context, tx *ent.Tx, p Principal, c Change) error {
	return r.RecordAll(ctx, tx, p, []Change{c})
}

// RecordAll appends changes to the audit chain inside tx, in order. Their
// JSON is computed at once; in a transaction run by InTx or InPolicyTx the
// events join the chain as its last statements, just before commit (see
// appendEvents for why that keeps the chain in commit order); in any other
// transaction they join it now.
func (r *Core) RecordAll(ctx context.Context, tx *ent.Tx, p Principal, changes []Change) error {
	if len(changes) == 0 {
		return nil
	}
	at := r.Now()
	events := make([]PendingEvent, len(changes))
	for i, c := range changes {
		e, err := PrepareEvent(p, at, c)
		if err != nil {
			return err
		}
		events[i] = e
	}
	if sink, ok := r.audits.Load(tx); ok {
		return sink.(AuditSink)(events)
	}
	return r.AppendEvents(ctx, tx, events)
}

// AuditSink receives the events recorded in a transaction whose events
// are held (see HoldAudit).
type AuditSink func([]PendingEvent) error

// HoldAudit sends the events RecordAll records in tx to sink instead of
// the chain, until ReleaseAudit: the transaction appends them itself, as
// its last statements (AppendEvents, AppendEventStream).
func (r *Core) HoldAudit(tx *ent.Tx, sink AuditSink) { r.audits.Store(tx, sink) }

// ReleaseAudit stops holding tx's events.
func (r *Core) ReleaseAudit(tx *ent.Tx) { r.audits.Delete(tx) }

// AppendEvents appends events to the audit chain and its Merkle tree
// inside tx, in order, with four statements for up to auditChunk events on
// SQLite and two on PostgreSQL:
//
//  1. UPDATE audit_heads SET seq = seq + n … RETURNING seq, hash,
//     tree_size, frontier advances the head and returns the sequence, hash
//     and tree frontier the events follow. It takes the head's row lock,
//     held until the transaction ends;
//  2. one multi-row INSERT of the events and
//  3. one of their tree hashes, on PostgreSQL both in a WITH clause of
//  4. the UPDATE that stores the new head hash, tree size and frontier.
//
// Why the sequence is the commit order. Every transaction that appends
// takes the head's row lock with statement 1 and keeps it until it commits
// or rolls back; it writes nothing of the chain before. On PostgreSQL (READ
// COMMITTED) a second transaction's UPDATE waits for that lock and, once the
// holder has committed, re-reads the row's newest committed version (the
// UPDATE re-checks the row it waited for, it does not use its snapshot), so
// it continues the chain from the holder's last event; if the holder rolled
// back, from the version before it, which is still the committed one. On
// SQLite one transaction writes at a time. So appends are serialised by the
// lock, each transaction commits while it holds it, and the order in which
// transactions take it is the order in which they commit: sequence order is
// commit order. Nothing about that depends on when in its transaction the
// lock is taken, so it is taken as late as possible: InTx and InPolicyTx
// call this after the business rows are written, and the lock is held only
// for these statements and the commit. A writer that took a business row
// lock waits for the head only after all its own row locks, so the head
// adds no lock-order cycle among such writers.
//
// Events of business records (ChangeEntityTypes) signal TopicChanges once
// the transaction commits; on PostgreSQL their NOTIFY is sent by statement
// 4 itself (see notifyingHead), adding no statement.
func (r *Core) AppendEvents(ctx context.Context, tx *ent.Tx, events []PendingEvent) error {
	if len(events) == 0 {
		return nil
	}
	signal := changesRecords(events)
	if signal {
		r.Signals.onCommit(tx, TopicChanges)
	}
	head, err := r.advanceHead(ctx, tx, int64(len(events)))
	if err != nil {
		return err
	}
	seq, prev, tree := head.before, head.hash, head.tree
	for start := 0; start < len(events); start += auditChunk {
		chunk := events[start:min(start+auditChunk, len(events))]
		pg := r.Postgres()
		last := start+len(chunk) == len(events)
		q := &sqlText{pg: pg}
		if pg {
			q.WriteString("WITH ev AS (")
		}
		q.WriteString(insertEvents)
		firstHash := len(tree.Stored)
		for i := range chunk {
			seq++
			hash := chunk[i].chainHash(prev, seq)
			if err := tree.Append(chunk[i].recordHash(seq)); err != nil {
				return err
			}
			if i > 0 {
				q.WriteString(", ")
			}
			q.values(seq, chunk[i].At, chunk[i].Subject, chunk[i].Org, chunk[i].Role, chunk[i].Action,
				chunk[i].EntityType, chunk[i].EntityID, chunk[i].Before, chunk[i].After, chunk[i].Reason, prev, hash, chunk[i].Owner)
			prev = hash
		}
		hashes := tree.Stored[firstHash:]
		if !pg {
			if _, err := tx.ExecContext(ctx, q.String(), q.args...); err != nil {
				return fmt.Errorf("audit events: %w", err)
			}
			q = &sqlText{}
			q.treeHashes(hashes)
			if _, err := tx.ExecContext(ctx, q.String(), q.args...); err != nil {
				return fmt.Errorf("audit tree: %w", err)
			}
			continue
		}
		// PostgreSQL: the events, their tree hashes and, with the last
		// chunk, the new head in one statement.
		if last {
			q.WriteString("), th AS (")
			q.treeHashes(hashes)
			var err error
			if signal && r.Signals.notifies() {
				q.WriteString("), ")
				err = q.notifyingHead(prev, tree, r.Signals)
			} else {
				q.WriteString(") ")
				err = q.updateHead(prev, tree)
			}
			if err != nil {
				return err
			}
		} else {
			q.WriteString(") ")
			q.treeHashes(hashes)
		}
		if _, err := tx.ExecContext(ctx, q.String(), q.args...); err != nil {
			return fmt.Errorf("audit events: %w", err)
		}
	}
	if r.Postgres() {
		return nil
	}
	return r.setHead(ctx, tx, prev, tree, false)
}

// ChangeEntityTypes are the entity types of business records, whose
// changes the change feed carries; a transaction appending an event of one
// signals TopicChanges. Tokens, sessions, keys and other events are not
// among them.
var ChangeEntityTypes = []string{"enterprise", "talent", "designation", "competition", "award", "park", "tenancy", "eligibility-rule"}

// changesRecords tells whether events change a business record.
func changesRecords(events []PendingEvent) bool {
	for _, e := range events {
		if slices.Contains(ChangeEntityTypes, e.EntityType) {
			return true
		}
	}
	return false
}

// EventSource yields the events of a large append one at a time, so they
// need not all be in memory; it returns io.EOF-free: exactly n calls are
// made.
type EventSource func() (PendingEvent, error)

// AppendEventStream appends n events read from next to the audit chain
// and its tree inside tx, as AppendEvents does, for imports whose events do
// not fit in memory: on PostgreSQL it streams them with COPY through sqlTx
// (the transaction under tx, see BeginWriteTx), then their tree hashes
// (about two per event, 40 bytes each, held until the events are written)
// with a second COPY, and stores the head with one more statement; on
// SQLite it inserts them with prepared multi-row statements. The head is
// locked for the append only, after the caller's rows are written.
func (r *Core) AppendEventStream(ctx context.Context, tx *ent.Tx, sqlTx *sql.Tx, n int, next EventSource) error {
	if n == 0 {
		return nil
	}
	if sqlTx == nil {
		return errors.New("audit events: a streamed append needs the SQL transaction")
	}
	head, err := r.advanceHead(ctx, tx, int64(n))
	if err != nil {
		return err
	}
	seq, prev, tree := head.before, head.hash, head.tree
	w, err := NewRowWriter(ctx, sqlTx, r.Postgres(), "audit_events", eventColumns...)
	if err != nil {
		return fmt.Errorf("audit events: %w", err)
	}
	for range n {
		e, err := next()
		if err != nil {
			_ = w.Abort()
			return err
		}
		seq++
		hash := e.chainHash(prev, seq)
		if err := tree.Append(e.recordHash(seq)); err != nil {
			_ = w.Abort()
			return err
		}
		if err := w.Write(seq, e.At, e.Subject, e.Org, e.Role, e.Action, e.EntityType, e.EntityID,
			e.Before, e.After, e.Reason, prev, hash, e.Owner); err != nil {
			_ = w.Abort()
			return fmt.Errorf("audit events: %w", err)
		}
		prev = hash
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("audit events: %w", err)
	}
	if err := r.writeTreeHashes(ctx, sqlTx, tree.Stored); err != nil {
		return err
	}
	// Streamed appends are imports of business records.
	r.Signals.onCommit(tx, TopicChanges)
	return r.setHead(ctx, tx, prev, tree, true)
}

// writeTreeHashes writes stored tree hashes through sqlTx with a row writer.
func (r *Core) writeTreeHashes(ctx context.Context, sqlTx *sql.Tx, hashes []StoredHash) error {
	w, err := NewRowWriter(ctx, sqlTx, r.Postgres(), "audit_tree_hashes", "id", "hash")
	if err != nil {
		return fmt.Errorf("audit tree: %w", err)
	}
	for _, h := range hashes {
		if err := w.Write(h.Index, h.Hash[:]); err != nil {
			_ = w.Abort()
			return fmt.Errorf("audit tree: %w", err)
		}
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("audit tree: %w", err)
	}
	return nil
}

// lockedHead is the chain's head as an append found it, having locked it.
type lockedHead struct {
	// before is the sequence of the last event before the append.
	before int64
	// hash is the hash the append's first event follows.
	hash string
	// tree extends the tree from its frontier.
	tree *TreeAppender
}

// advanceHead adds n to the head's sequence, taking its row lock, and
// returns the head as it was.
func (r *Core) advanceHead(ctx context.Context, tx *ent.Tx, n int64) (lockedHead, error) {
	q := &sqlText{pg: r.Postgres()}
	q.WriteString("UPDATE audit_heads SET seq = seq + ")
	q.arg(n)
	q.WriteString(" WHERE id = ")
	q.arg(AuditHeadID)
	q.WriteString(" RETURNING seq, hash, tree_size, frontier")
	rows, err := tx.QueryContext(ctx, q.String(), q.args...)
	if err != nil {
		return lockedHead{}, fmt.Errorf("audit head: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return lockedHead{}, fmt.Errorf("audit head: %w", err)
		}
		return lockedHead{}, errors.New("audit head: the head row is missing")
	}
	var (
		h        lockedHead
		seq      int64
		size     int64
		frontier []byte
	)
	if err := rows.Scan(&seq, &h.hash, &size, &frontier); err != nil {
		return lockedHead{}, fmt.Errorf("audit head: %w", err)
	}
	if err := rows.Close(); err != nil {
		return lockedHead{}, fmt.Errorf("audit head: %w", err)
	}
	h.before = seq - n
	if size != h.before {
		return lockedHead{}, ErrTreeBehind
	}
	if h.tree, err = NewTreeAppender(size, frontier); err != nil {
		return lockedHead{}, err
	}
	return h, nil
}

// setHead stores the head's hash, tree size and frontier after an append;
// with signal on PostgreSQL, the same statement sends TopicChanges' NOTIFY.
func (r *Core) setHead(ctx context.Context, tx *ent.Tx, hash string, tree *TreeAppender, signal bool) error {
	q := &sqlText{pg: r.Postgres()}
	if q.pg && signal && r.Signals.notifies() {
		q.WriteString("WITH ")
		if err := q.notifyingHead(hash, tree, r.Signals); err != nil {
			return err
		}
	} else if err := q.updateHead(hash, tree); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, q.String(), q.args...); err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	return nil
}

// updateHead writes the UPDATE that stores the head after an append.
func (q *sqlText) updateHead(hash string, tree *TreeAppender) error {
	frontier, err := tree.Frontier()
	if err != nil {
		return err
	}
	q.WriteString("UPDATE audit_heads SET hash = ")
	q.arg(hash)
	q.WriteString(", tree_size = ")
	q.arg(tree.Size())
	q.WriteString(", frontier = ")
	q.arg(frontier)
	q.WriteString(" WHERE id = ")
	q.arg(AuditHeadID)
	return nil
}

// notifyingHead ends a PostgreSQL WITH list with the UPDATE of the head,
// as one more data-modifying WITH query (which runs to completion whether
// or not it is read), and makes the statement's own query the pg_notify of
// TopicChanges: telling other processes of the change costs no statement
// of its own.
func (q *sqlText) notifyingHead(hash string, tree *TreeAppender, s *Signals) error {
	q.WriteString("hd AS (")
	if err := q.updateHead(hash, tree); err != nil {
		return err
	}
	q.WriteString(") SELECT pg_notify(")
	q.arg(SignalChannel)
	q.WriteString(", ")
	q.arg(s.payload(TopicChanges))
	q.WriteString(")")
	return nil
}

// treeHashes writes the INSERT of stored tree hashes.
func (q *sqlText) treeHashes(hashes []StoredHash) {
	q.WriteString(`INSERT INTO audit_tree_hashes ("id", "hash") VALUES `)
	for i, h := range hashes {
		if i > 0 {
			q.WriteString(", ")
		}
		q.values(h.Index, h.Hash[:])
	}
}

// eventColumns are audit_events' columns in the order the appends write them.
var eventColumns = []string{"id", "occurred_at", "actor_subject", "actor_org", "actor_role", "action",
	"entity_type", "entity_id", "before", "after", "reason", "prev_hash", "hash", "owner_org"}

var insertEvents = `INSERT INTO audit_events (` + quoteColumns(eventColumns) + `) VALUES `

func quoteColumns(cols []string) string {
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = `"` + c + `"`
	}
	return strings.Join(quoted, ", ")
}

// sqlText builds a statement with its arguments in the dialect's
// placeholders ($n on PostgreSQL, ? on SQLite).
type sqlText struct {
	strings.Builder
	pg   bool
	args []any
}

func (q *sqlText) arg(v any) {
	q.args = append(q.args, v)
	if q.pg {
		q.WriteByte('$')
		q.WriteString(strconv.Itoa(len(q.args)))
	} else {
		q.WriteByte('?')
	}
}

// values writes one parenthesised row of arguments.
func (q *sqlText) values(vs ...any) {
	q.WriteByte('(')
	for i, v := range vs {
		if i > 0 {
			q.WriteString(", ")
		}
		q.arg(v)
	}
	q.WriteByte(')')
}

// auditChunk rows of 14 columns and their tree hashes (at most about two
// per event, two columns each) stay far below PostgreSQL's 65,535 and
// SQLite's 32,766 bind parameters per statement.
const auditChunk = 1000
