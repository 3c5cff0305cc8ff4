package core

import (
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
}
