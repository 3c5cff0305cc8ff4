package authz

import (
	"context"
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"

	"entgo.io/ent/dialect/sql/sqlgraph"
	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"

	"github.com/hangzhou-ai/registry/ent"
)

//go:embed model.conf
var modelText string

// Scopes of a p line.
const (
	// ScopeAny lets the rule apply to any resource.
	ScopeAny = "any"
	// ScopeOwn lets the rule apply only where the requesting organisation
	// is among the resource's owners.
	ScopeOwn = "own"
)

// Request asks whether a principal may take an action on an object.
type Request struct {
	Role   string
	Org    string
	Object string
	Action string
	// Owners are the organisations that own the resource acted on (for a
	// designation: its granting bureau and its holder). Empty when the
	// action concerns no particular resource.
	Owners []string
}

// Decision is an Authorizer's answer: whether the request is allowed and the
// rule that allowed it, or a sentence saying why no rule did.
type Decision struct {
	Allowed bool
	Rule    string
}

// Authorizer decides requests with a casbin SyncedEnforcer whose policy is
// loaded from the database, and remembers its decisions until the policy
// changes. It is safe for concurrent use.
type Authorizer struct {
	enforcer *casbin.SyncedEnforcer

	// decisions caches Decide by request. Every change of the in-memory
	// policy (Apply, Unapply, Reload) goes through this type and clears
	// it, which is why casbin's own cached enforcer, blind to role-link
	// changes, is not used.
	mu        sync.RWMutex
	decisions map[string]Decision
	// generation counts policy changes, so a decision computed from a
	// policy that changed meanwhile is not cached.
	generation uint64
}

// maxCachedDecisions bounds the decision cache; past it the cache starts over.
const maxCachedDecisions = 100_000

// New loads the policy stored in client's database into a new Authorizer.
func New(client *ent.Client) (*Authorizer, error) {
	return newAuthorizer(&adapter{client: client})
}

func newAuthorizer(a persist.Adapter) (*Authorizer, error) {
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return nil, fmt.Errorf("authz: model: %w", err)
	}
	e, err := casbin.NewSyncedEnforcer(m, a)
	if err != nil {
		return nil, fmt.Errorf("authz: enforcer: %w", err)
	}
	e.EnableAutoSave(false)
	e.AddFunction("ownedBy", func(args ...any) (any, error) {
		if len(args) != 2 {
			return false, fmt.Errorf("ownedBy takes 2 arguments, got %d", len(args))
		}
		owners, _ := args[0].(string)
		org, _ := args[1].(string)
		return org != "" && slices.Contains(strings.Fields(owners), org), nil
	})
	if err := e.LoadPolicy(); err != nil {
		return nil, fmt.Errorf("authz: load policy: %w", err)
	}
	return &Authorizer{enforcer: e, decisions: map[string]Decision{}}, nil
}

// Reload replaces the in-memory policy with the one stored in the database,
// picking up changes made by other replicas. When the database cannot be
// read it returns the error and the policy in memory stays as it was.
func (a *Authorizer) Reload() error {
	defer a.forget()
	return a.enforcer.LoadPolicy()
}

// forget clears the decision cache after a policy change.
func (a *Authorizer) forget() {
	a.mu.Lock()
	a.decisions = map[string]Decision{}
	a.generation++
	a.mu.Unlock()
}

// Decide answers req. Errors from the enforcer count as a denial.
func (a *Authorizer) Decide(req Request) (Decision, error) {
	owners := strings.Join(req.Owners, " ")
	key := strings.Join([]string{req.Role, req.Org, req.Object, req.Action, owners}, "\x00")
	a.mu.RLock()
	d, ok := a.decisions[key]
	generation := a.generation
	a.mu.RUnlock()
	if ok {
		return d, nil
	}
	d, err := a.decide(req, owners)
	if err != nil {
		return d, err
	}
	a.mu.Lock()
	if a.generation == generation {
		if len(a.decisions) >= maxCachedDecisions {
			a.decisions = map[string]Decision{}
		}
		a.decisions[key] = d
	}
	a.mu.Unlock()
	return d, nil
}

// Enforce answers req as Decide does, but always asks the enforcer,
// neither reading nor filling the cache; it measures the model's own cost.
func (a *Authorizer) Enforce(req Request) (Decision, error) {
	return a.decide(req, strings.Join(req.Owners, " "))
}

func (a *Authorizer) decide(req Request, owners string) (Decision, error) {
	ok, explain, err := a.enforcer.EnforceEx(req.Role, req.Org, req.Object, req.Action, owners)
	if err != nil {
		return Decision{Rule: "policy evaluation failed"}, err
	}
	if ok {
		return Decision{Allowed: true, Rule: "p, " + strings.Join(explain, ", ")}, nil
	}
	// The owners are left out: they may name organisations the asker
	// has no right to learn about.
	why := fmt.Sprintf("no rule lets role %q in %q %s %q", req.Role, req.Org, req.Action, req.Object)
	if len(req.Owners) > 0 {
		why += " of a resource its organisation does not own"
	}
	return Decision{Rule: why}, nil
}

// Apply adds rules, already committed with AddRules, to the in-memory policy.
func (a *Authorizer) Apply(rules []Rule) error {
	defer a.forget()
	for _, r := range rules {
		if _, err := a.enforcer.SelfAddPolicy(r.Type[:1], r.Type, r.Values); err != nil {
			return err
		}
	}
	return nil
}

// Unapply removes rules, already deleted with RemoveRules, from the
// in-memory policy.
func (a *Authorizer) Unapply(rules []Rule) error {
	defer a.forget()
	for _, r := range rules {
		if _, err := a.enforcer.SelfRemovePolicy(r.Type[:1], r.Type, r.Values); err != nil {
			return err
		}
	}
	return nil
}

// Rules returns the in-memory p lines whose fields match every non-empty
// filter value (by position: role, org, object, action, scope).
func (a *Authorizer) Rules(filter ...string) [][]string {
	var out [][]string
	policy, _ := a.enforcer.GetPolicy()
	for _, line := range policy {
		if matchesFilter(line, filter) {
			out = append(out, line)
		}
	}
	return out
}

func matchesFilter(line, filter []string) bool {
	for i, f := range filter {
		if f != "" && (i >= len(line) || line[i] != f) {
			return false
		}
	}
	return true
}

// Sync stores every rule of want that the database lacks, inside one
// transaction. It is idempotent and safe to run at every start, before New
// loads the policy, by several replicas at once: a Sync that collides on
// the table's unique index with a concurrent one that stored the same
// lines first runs again, and then finds them stored.
func Sync(ctx context.Context, client *ent.Client, want []Rule) error {
	var err error
	for range syncAttempts {
		if err = syncOnce(ctx, client, want); err == nil || !sqlgraph.IsUniqueConstraintError(err) {
			return err
		}
	}
	return err
}

// syncAttempts bounds how often Sync runs again after a collision.
const syncAttempts = 3

func syncOnce(ctx context.Context, client *ent.Client, want []Rule) error {
	tx, err := client.Tx(ctx)
	if err != nil {
		return err
	}
	if _, err := AddRules(ctx, tx.Client(), want); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// NewFromRules returns an Authorizer over rules held in memory only, for
// measuring and explaining policies that are not stored anywhere.
func NewFromRules(rules []Rule) (*Authorizer, error) {
	return newAuthorizer(memoryAdapter(rules))
}
