package core

import (
	"context"
	"database/sql"
	"sync"
)

// Statements runs the registry's hand-written hot statements through
// database/sql, each prepared once: database/sql then prepares it on every
// connection the first time that connection runs it, and lib/pq's named
// statement is bound and executed in one round trip from then on, parsed and
// planned once per connection instead of once per call. The statements are
// constants of the packages that run them (a few texts each), so the set
// stays small. Statements is safe for concurrent use.
type Statements struct {
	// Observe, when set, is shown each statement and its arguments before
	// it runs (the query-plan tests set it); set it before use.
	Observe func(query string, args []any)

	pool     *sql.DB
	mu       sync.RWMutex
	prepared map[string]*sql.Stmt
}

// NewStatements prepares statements on pool as they are first run.
func NewStatements(pool *sql.DB) *Statements {
	return &Statements{pool: pool, prepared: map[string]*sql.Stmt{}}
}

func (s *Statements) stmt(ctx context.Context, query string, args []any) (*sql.Stmt, error) {
	if s.Observe != nil {
		s.Observe(query, args)
	}
	s.mu.RLock()
	st, ok := s.prepared[query]
	s.mu.RUnlock()
	if ok {
		return st, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.prepared[query]; ok {
		return st, nil
	}
	st, err := s.pool.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s.prepared[query] = st
	return st, nil
}

// Query runs query, a constant text with $n parameters, with args.
func (s *Statements) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := s.stmt(ctx, query, args)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// QueryRow runs query for at most one row; its error comes with Scan.
func (s *Statements) QueryRow(ctx context.Context, query string, args ...any) (*sql.Row, error) {
	st, err := s.stmt(ctx, query, args)
	if err != nil {
		return nil, err
	}
	return st.QueryRowContext(ctx, args...), nil
}

// Close releases every prepared statement.
func (s *Statements) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var first error
	for q, st := range s.prepared {
		if err := st.Close(); err != nil && first == nil {
			first = err
		}
		delete(s.prepared, q)
	}
	return first
}
