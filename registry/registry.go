package registry

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/checkpoint"
	"github.com/hangzhou-ai/registry/ent/audithead"
	"github.com/hangzhou-ai/registry/registry/access"
	"github.com/hangzhou-ai/registry/registry/audit"
	"github.com/hangzhou-ai/registry/registry/benefit"
	"github.com/hangzhou-ai/registry/registry/catalog"
	"github.com/hangzhou-ai/registry/registry/change"
	"github.com/hangzhou-ai/registry/registry/competition"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/imports"
	"github.com/hangzhou-ai/registry/registry/internal/core"
	"github.com/hangzhou-ai/registry/registry/keys"
	"github.com/hangzhou-ai/registry/registry/park"
	"github.com/hangzhou-ai/registry/registry/talent"
	"github.com/hangzhou-ai/registry/registry/talentauth"
	"github.com/hangzhou-ai/registry/registry/webhook"
	"github.com/hangzhou-ai/registry/seal"
	"github.com/hangzhou-ai/registry/store"
	wire "github.com/hangzhou-ai/registry/webhook"
)

// Config is what Open needs.
type Config struct {
	// DatabaseURL names the database (see store.Open); empty means
	// store.DefaultDatabaseURL.
	DatabaseURL string
	// Secrets protects identity numbers at rest. Required.
	Secrets *seal.Secrets
	// Clock defaults to time.Now.
	Clock core.Clock
	// Logger defaults to a no-op logger.
	Logger *zap.Logger
	// AdminMintableRoles are the roles administrators may mint tokens for
	// through the API; nil means access.DefaultAdminMintableRoles.
	AdminMintableRoles []string
	// CheckpointSigner signs the audit tree's checkpoints; nil: the
	// registry signs none (GetCheckpoint answers failed_precondition).
	CheckpointSigner *checkpoint.Signer
	// WebhookURLs is where webhook subscriptions may deliver; the zero
	// policy allows https to public addresses only.
	WebhookURLs wire.Policy
}

// Registry is the registry's one entry point: it composes the programmes'
// services, so that every exported method of each is a method of Registry.
// It is safe for concurrent use.
type Registry struct {
	*core.Core
	*enterprise.Enterprises
	*talent.Talents
	*designation.Designations
	*talentauth.Authorizations
	*competition.Competitions
	*park.Parks
	*benefit.Benefits
	*imports.Importer
	*keys.Keys
	*audit.Trail
	*access.Access
	*change.Changes
	*webhook.Webhooks

	db          *store.DB
	listener    *store.Listener // PostgreSQL: other processes' signals
	stopReloads func()
}

// DefaultDatabaseURL is the embedded SQLite file used when none is given.
const DefaultDatabaseURL = store.DefaultDatabaseURL

// MigrationResult tells what Migrate did to the schema.
type MigrationResult = store.MigrationResult

// ErrSchemaBehind is returned by Open when the database has migrations
// still to apply: run `registryd migrate` (or Migrate) first.
var ErrSchemaBehind = errors.New("the database schema is behind this build")

// Migrate brings the database named by databaseURL up to date: it applies
// the pending schema migrations, then stores the reference data (bureaus,
// designation types), the default authorization policy and the audit
// chain's head where they are missing, and clears the answers of
// idempotent calls that earlier builds recorded in clear
// (core.ClearUnsealedAnswers). It is safe to run again and from several
// processes at once.
func Migrate(ctx context.Context, databaseURL string) (MigrationResult, error) {
	db, err := store.Open(databaseURL)
	if err != nil {
		return MigrationResult{}, err
	}
	defer db.Close()
	res, err := store.Migrate(ctx, db)
	if err != nil {
		return res, err
	}
	if err := catalog.LoadReferenceData(ctx, db.Client); err != nil {
		return res, fmt.Errorf("reference data: %w", err)
	}
	if err := db.Client.AuditHead.Create().SetID(core.AuditHeadID).OnConflictColumns(audithead.FieldID).Ignore().Exec(ctx); err != nil {
		return res, fmt.Errorf("audit head: %w", err)
	}
	if _, err := core.HashOlderEvents(ctx, db.Client, db.Dialect == "postgres"); err != nil {
		return res, fmt.Errorf("audit tree: %w", err)
	}
	if err := authz.Sync(ctx, db.Client, catalog.DefaultPolicy()); err != nil {
		return res, fmt.Errorf("default policy: %w", err)
	}
	if _, err := core.ClearUnsealedAnswers(ctx, db.Client); err != nil {
		return res, err
	}
	return res, nil
}

// Open opens the registry on a migrated database. It refuses a database
// with pending migrations (ErrSchemaBehind) and, with an error wrapping
// keys.ErrSecretKeyMismatch, a secret key other than the one the
// database's data is sealed under. On a new database it records the key's
// check value and makes the first attestation signing key. Close releases
// the database.
func Open(ctx context.Context, cfg Config) (_ *Registry, err error) {
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
		cfg.AdminMintableRoles = access.DefaultAdminMintableRoles()
	}
	if err := access.CheckMintableRoles(cfg.AdminMintableRoles); err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	db, err := store.OpenExisting(cfg.DatabaseURL)
	if errors.Is(err, store.ErrNoDatabase) {
		return nil, fmt.Errorf("registry: %w; run `registryd migrate` to make it", err)
	}
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	defer func() {
		if err != nil {
			db.Close()
		}
	}()
	pending, err := store.Pending(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	if len(pending) > 0 {
		return nil, fmt.Errorf("registry: %w: %d migration(s) to apply (%s); run `registryd migrate`", ErrSchemaBehind, len(pending), strings.Join(pending, ", "))
	}
	if err := keys.CheckSecretKey(ctx, db.Client, cfg.Secrets, cfg.Clock().UTC().Truncate(time.Microsecond)); err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	a, err := authz.New(db.Client)
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	postgres := db.Dialect == "postgres"
	c := &core.Core{
		DB: db.Client, Authz: a, Secrets: cfg.Secrets, Clock: cfg.Clock, Log: cfg.Logger, RowLocks: postgres,
		Pool: db.Pool, Dialect: db.Dialect,
		Statements: core.NewStatements(db.Pool),
		Signals:    core.NewSignals(hex.EncodeToString(seal.RandomBytes(8)), postgres),
	}
	r := assemble(c, cfg.AdminMintableRoles)
	r.Trail.Checkpoints = cfg.CheckpointSigner
	r.Webhooks.URLs = cfg.WebhookURLs
	r.db = db
	r.stopReloads = r.reloadPolicyOnSignal()
	if postgres {
		if r.listener, err = store.Listen(ctx, cfg.DatabaseURL, core.SignalChannel, store.ListenHandler{
			Notified: c.Signals.Heard, Alive: c.Signals.Alive, Lost: c.Signals.Deaf,
		}); err != nil {
			r.stopReloads()
			return nil, fmt.Errorf("registry: listening for other processes' changes: %w", err)
		}
		// A change committed elsewhere between loading the policy and
		// listening was heard by nobody: read the policy once more.
		if err := r.ReloadPolicy(); err != nil {
			r.closeListening()
			return nil, fmt.Errorf("registry: %w", err)
		}
	}
	if err := r.Keys.EnsureSigningKey(ctx); err != nil {
		r.closeListening()
		return nil, fmt.Errorf("registry: signing key: %w", err)
	}
	return r, nil
}

// reloadPolicyOnSignal reloads the in-memory policy, in the background,
// whenever another process commits a policy change or changes may have
// been missed; a burst of signals costs one reload. It returns the stop
// function.
func (r *Registry) reloadPolicyOnSignal() (stop func()) {
	wake := make(chan struct{}, 1)
	done := make(chan struct{})
	stopped := make(chan struct{})
	r.Signals.Subscribe(core.TopicPolicy, func(remote bool) {
		if !remote {
			return // this process applied its own change as it committed
		}
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	go func() {
		defer close(stopped)
		for {
			select {
			case <-done:
				return
			case <-wake:
				r.reloadPolicyUntilSettled(done)
			}
		}
	}()
	return sync.OnceFunc(func() {
		close(done)
		<-stopped
	})
}

// reloadPolicyUntilSettled reloads the policy until no policy change
// committed while it was reading. A reload reads the stored policy and then
// replaces the one in memory; a change this process commits meanwhile is
// applied to the policy being replaced, and would be lost with it, so the
// topic's generation (which every commit advances) is compared before and
// after, and the reload runs again when it moved. A failed reload is tried
// again a second later, until done.
func (r *Registry) reloadPolicyUntilSettled(done <-chan struct{}) {
	for {
		generation := r.Signals.Generation(core.TopicPolicy)
		err := r.ReloadPolicy()
		switch {
		case err != nil:
			r.Log.Error("reloading the policy after another process changed it failed; trying again", zap.Error(err))
			select {
			case <-done:
				return
			case <-time.After(time.Second):
			}
		case r.Signals.Generation(core.TopicPolicy) == generation:
			return
		}
	}
}

// closeListening stops hearing other processes and reloading the policy.
func (r *Registry) closeListening() {
	r.Changes.Stop()
	if r.listener != nil {
		if err := r.listener.Close(); err != nil {
			r.Log.Debug("closing the change listener", zap.Error(err))
		}
	}
	r.stopReloads()
}

// assemble builds every service on c, each handed the ones it calls.
func assemble(c *core.Core, mintable []string) *Registry {
	r := &Registry{Core: c}
	r.Enterprises = &enterprise.Enterprises{Core: c}
	r.Talents = &talent.Talents{Core: c}
	r.Designations = &designation.Designations{Core: c}
	r.Authorizations = &talentauth.Authorizations{Core: c, Designations: r.Designations}
	r.Designations.OnRevoke(r.Authorizations.ReleaseDelegations)
	r.Competitions = &competition.Competitions{Core: c, Designations: r.Designations, Talents: r.Talents}
	r.Keys = &keys.Keys{Core: c}
	r.Parks = &park.Parks{Core: c, Designations: r.Designations, Keys: r.Keys}
	r.Benefits = &benefit.Benefits{Core: c, Keys: r.Keys}
	r.Importer = &imports.Importer{Core: c, Enterprises: r.Enterprises, Competitions: r.Competitions, Benefits: r.Benefits}
	r.Trail = &audit.Trail{Core: c}
	r.Access = &access.Access{Core: c, Mintable: mintable}
	r.Changes = &change.Changes{Core: c}
	r.Webhooks = &webhook.Webhooks{Core: c, Changes: r.Changes}
	return r
}

// Close closes the database. The Registry is unusable afterwards.
func (r *Registry) Close() error {
	r.closeListening()
	return errors.Join(r.Statements.Close(), r.db.Close())
}

// Pool is the database connection pool, for monitoring its statistics
// (sql.DB.Stats); queries go through the services, never through it.
func (r *Registry) Pool() *sql.DB { return r.db.Pool }
