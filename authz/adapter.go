package authz

import (
	"context"
	"errors"

	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"

	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/casbinrule"
	"github.com/hangzhou-ai/registry/ent/predicate"
)

// adapter loads casbin policy from the casbin_rules table. It is read-only
// from casbin's side: the registry writes policy lines itself, inside the
// transaction that needs them (see AddRules and RemoveRules), and then
// applies them to the in-memory model after commit.
type adapter struct {
	client *ent.Client
}

var _ persist.Adapter = (*adapter)(nil)

var errWriteThroughEnforcer = errors.New("authz: policy is written through authz.AddRules inside a transaction, not through the enforcer")

// LoadPolicy implements persist.Adapter.
func (a *adapter) LoadPolicy(m model.Model) error {
	rows, err := a.client.CasbinRule.Query().Order(ent.Asc(casbinrule.FieldID)).All(context.Background())
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := persist.LoadPolicyArray(ruleOf(r).withType(), m); err != nil {
			return err
		}
	}
	return nil
}

// SavePolicy implements persist.Adapter; the registry never saves whole policies.
func (a *adapter) SavePolicy(model.Model) error { return errWriteThroughEnforcer }

// AddPolicy implements persist.Adapter; see SavePolicy.
func (a *adapter) AddPolicy(string, string, []string) error { return errWriteThroughEnforcer }

// RemovePolicy implements persist.Adapter; see SavePolicy.
func (a *adapter) RemovePolicy(string, string, []string) error { return errWriteThroughEnforcer }

// RemoveFilteredPolicy implements persist.Adapter; see SavePolicy.
func (a *adapter) RemoveFilteredPolicy(string, string, int, ...string) error {
	return errWriteThroughEnforcer
}

// Rule is one policy line: Type is "p" or "g", Values its fields in model order.
type Rule struct {
	Type   string
	Values []string
}

func (r Rule) withType() []string { return append([]string{r.Type}, r.Values...) }

func ruleOf(r *ent.CasbinRule) Rule {
	vals := []string{r.V0, r.V1, r.V2, r.V3, r.V4, r.V5}
	n := len(vals)
	for n > 0 && vals[n-1] == "" {
		n--
	}
	return Rule{Type: r.Ptype, Values: vals[:n]}
}

func field(vals []string, i int) string {
	if i < len(vals) {
		return vals[i]
	}
	return ""
}

// matching selects the stored row equal to r.
func matching(r Rule) predicate.CasbinRule {
	v := r.Values
	return casbinrule.And(
		casbinrule.Ptype(r.Type),
		casbinrule.V0(field(v, 0)), casbinrule.V1(field(v, 1)), casbinrule.V2(field(v, 2)),
		casbinrule.V3(field(v, 3)), casbinrule.V4(field(v, 4)), casbinrule.V5(field(v, 5)),
	)
}

// AddRules stores rules that are not stored yet, using tx (normally a
// transaction's client), and returns the ones it added. Call
// Authorizer.Apply with them after the transaction commits.
func AddRules(ctx context.Context, tx *ent.Client, rules []Rule) ([]Rule, error) {
	var added []Rule
	for _, r := range rules {
		exists, err := tx.CasbinRule.Query().Where(matching(r)).Exist(ctx)
		if err != nil {
			return nil, err
		}
		if exists {
			continue
		}
		v := r.Values
		if err := tx.CasbinRule.Create().SetPtype(r.Type).
			SetV0(field(v, 0)).SetV1(field(v, 1)).SetV2(field(v, 2)).
			SetV3(field(v, 3)).SetV4(field(v, 4)).SetV5(field(v, 5)).
			Exec(ctx); err != nil {
			return nil, err
		}
		added = append(added, r)
	}
	return added, nil
}

// RemoveRules deletes the given rules using tx and returns the ones that
// existed. Call Authorizer.Unapply with them after the transaction commits.
func RemoveRules(ctx context.Context, tx *ent.Client, rules []Rule) ([]Rule, error) {
	var removed []Rule
	for _, r := range rules {
		n, err := tx.CasbinRule.Delete().Where(matching(r)).Exec(ctx)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			removed = append(removed, r)
		}
	}
	return removed, nil
}

// memoryAdapter loads a fixed list of rules.
type memoryAdapter []Rule

// LoadPolicy implements persist.Adapter.
func (m memoryAdapter) LoadPolicy(model model.Model) error {
	for _, r := range m {
		if err := persist.LoadPolicyArray(r.withType(), model); err != nil {
			return err
		}
	}
	return nil
}

// SavePolicy implements persist.Adapter; see adapter.SavePolicy.
func (memoryAdapter) SavePolicy(model.Model) error { return errWriteThroughEnforcer }

// AddPolicy implements persist.Adapter; see adapter.SavePolicy.
func (memoryAdapter) AddPolicy(string, string, []string) error { return errWriteThroughEnforcer }

// RemovePolicy implements persist.Adapter; see adapter.SavePolicy.
func (memoryAdapter) RemovePolicy(string, string, []string) error { return errWriteThroughEnforcer }

// RemoveFilteredPolicy implements persist.Adapter; see adapter.SavePolicy.
func (memoryAdapter) RemoveFilteredPolicy(string, string, int, ...string) error {
	return errWriteThroughEnforcer
}
