package authz

import (
	"context"
	_ "embed"
	"fmt"
	"slices"
	"strings"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"

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
// loaded from the database. It is safe for concurrent use.
type Authorizer struct {
	enforcer *casbin.SyncedEnforcer
}

// New loads the policy stored in client's database into a new Authorizer.
func New(client *ent.Client) (*Authorizer, error) {
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return nil, fmt.Errorf("authz: model: %w", err)
	}
	e, err := casbin.NewSyncedEnforcer(m, &adapter{client: client})
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
	return &Authorizer{enforcer: e}, nil
}

// Reload replaces the in-memory policy with the one stored in the database,
// picking up changes made by other replicas.
func (a *Authorizer) Reload() error { return a.enforcer.LoadPolicy() }

// Decide answers req. Errors from the enforcer count as a denial.
func (a *Authorizer) Decide(req Request) (Decision, error) {
	ok, explain, err := a.enforcer.EnforceEx(req.Role, req.Org, req.Object, req.Action, strings.Join(req.Owners, " "))
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
// loads the policy.
func Sync(ctx context.Context, client *ent.Client, want []Rule) error {
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
