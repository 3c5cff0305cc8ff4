package registry

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/audithead"
)

// Config holds what a Registry needs besides its database.
type Config struct {
	// Secrets protects identity numbers at rest. Required.
	Secrets *Secrets
	// Clock defaults to time.Now.
	Clock Clock
	// Logger defaults to a no-op logger.
	Logger *zap.Logger
	// AdminMintableRoles are the roles administrators may mint tokens for
	// through the API; nil means DefaultAdminMintableRoles.
	AdminMintableRoles []string
}

// Registry is the domain service. It is safe for concurrent use.
type Registry struct {
	db      *ent.Client
	authz   *authz.Authorizer
	secrets *Secrets
	clock   Clock
	log     *zap.Logger
	// mintable are the roles administrators may mint tokens for.
	mintable []string
	// rowLocks tells whether the database takes SELECT … FOR UPDATE
	// (PostgreSQL); SQLite has one writer at a time and no such clause.
	rowLocks bool

	signerCache atomic.Value // cachedSigner
	onRevoke    []RevokeHook
}

// New prepares the database (schema, key check, reference data, default
// policy, audit chain head, first signing key), loads the policy and returns
// a Registry on it. It refuses, with an error wrapping ErrSecretKeyMismatch,
// a secret key other than the one the database's data is sealed under.
func New(ctx context.Context, db *ent.Client, cfg Config) (*Registry, error) {
	if cfg.Secrets == nil {
		return nil, errors.New("registry: Config.Secrets is required")
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.AdminMintableRoles == nil {
		cfg.AdminMintableRoles = DefaultAdminMintableRoles()
	}
	if err := checkMintableRoles(cfg.AdminMintableRoles); err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	if err := Migrate(ctx, db); err != nil {
		return nil, fmt.Errorf("registry: migrate: %w", err)
	}
	if err := checkSecretKey(ctx, db, cfg.Secrets, cfg.Clock().UTC().Truncate(time.Microsecond)); err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	if err := loadReferenceData(ctx, db); err != nil {
		return nil, fmt.Errorf("registry: reference data: %w", err)
	}
	if err := db.AuditHead.Create().SetID(auditHeadID).OnConflictColumns(audithead.FieldID).Ignore().Exec(ctx); err != nil {
		return nil, fmt.Errorf("registry: audit head: %w", err)
	}
	if err := authz.Sync(ctx, db, DefaultPolicy()); err != nil {
		return nil, fmt.Errorf("registry: default policy: %w", err)
	}
	a, err := authz.New(db)
	if err != nil {
		return nil, err
	}
	_, dialectName, err := sqlDB(db)
	if err != nil {
		return nil, err
	}
	r := &Registry{db: db, authz: a, secrets: cfg.Secrets, clock: cfg.Clock, log: cfg.Logger, mintable: cfg.AdminMintableRoles,
		rowLocks: dialectName == "postgres"}
	r.OnRevoke(r.releaseDelegations)
	if err := r.ensureSigningKey(ctx); err != nil {
		return nil, fmt.Errorf("registry: signing key: %w", err)
	}
	return r, nil
}
