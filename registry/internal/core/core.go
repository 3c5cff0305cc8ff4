package core

import (
	"database/sql"
	"sync"

	"go.uber.org/zap"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/seal"
)

// Core is what every programme's service stands on: the database, the
// authorizer, the sealing keys, the clock and the logger. Its methods run
// transactions (InTx, InPolicyTx), decide permission (Authorize, MayEver,
// ReadScope) and record audit events (Record, RecordAll). It is safe for
// concurrent use; its fields are set once, before it serves.
type Core struct {
	DB      *ent.Client
	Authz   *authz.Authorizer
	Secrets *seal.Secrets
	Clock   Clock
	Log     *zap.Logger
	// Statements runs the hand-written hot statements, prepared once.
	Statements *Statements
	// Signals tells every process of committed changes to what they
	// cache (tokens, the policy, signing keys).
	Signals *Signals
	// RowLocks tells whether the database takes SELECT … FOR UPDATE
	// (PostgreSQL); SQLite has one writer at a time and no such clause.
	RowLocks bool
	// Pool is the connection pool under DB, for the statements ent does
	// not build (COPY on PostgreSQL); Dialect names its database
	// ("postgres" or "sqlite"). An empty Dialect is read from RowLocks.
	Pool    *sql.DB
	Dialect string

	// audits holds where the events of transactions whose events are held
	// go (HoldAudit), by transaction, until they join the chain.
	audits sync.Map // *ent.Tx → AuditSink
}

// Postgres tells whether the database is PostgreSQL.
func (r *Core) Postgres() bool {
	if r.Dialect != "" {
		return r.Dialect == "postgres"
	}
	return r.RowLocks
}
