package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/access"
	"github.com/hangzhou-ai/registry/registry/catalog"
	"github.com/hangzhou-ai/registry/registry/designation"
)

// adminRoutes are the administrator's pages: API tokens (list, create,
// revoke) and the authorization policy with a decision explained.
// Auditors read both.
func (s *Server) adminRoutes(mux *http.ServeMux) {
	mux.Handle("GET /console/tokens", s.signedIn(s.tokensPage))
	mux.Handle("POST /console/tokens", s.signedIn(s.createToken))
	mux.Handle("POST /console/tokens/{id}/revoke", s.signedIn(s.revokeToken))
	mux.Handle("POST /console/sessions/{id}/end", s.signedIn(s.endSession))
	mux.Handle("GET /console/policy", s.signedIn(s.policyPage))
}

// tokenRoles are the roles a token may carry, in the order the forms offer them.
var tokenRoles = []string{
	authz.RoleIssuer, authz.RoleViewer, authz.RoleMember, authz.RoleTalentAssessor,
	authz.RoleOperator, authz.RoleAuditor, authz.RoleAdmin,
}

// roleOption is a role in the token form; Mintable is false for the roles
// this registry lets only `registryd token create` mint.
type roleOption struct {
	Code     string
	Mintable bool
}

// tokenRow is a token as the list shows it.
type tokenRow struct {
	access.Token
	Expires, Revoked time.Time
	State            string // live, expired or revoked
}

// createdToken is a token just minted: its secret is shown on the page
// that answers the form, and never again.
type createdToken struct {
	Raw   string
	Token access.Token
}

type tokensView struct {
	Tokens    []tokenRow
	Sessions  []access.Session
	CanManage bool
	Roles     []roleOption
	Created   *createdToken
	Form      map[string]string
	MaxDays   int
}

func (s *Server) tokensPage(w http.ResponseWriter, r *http.Request) {
	s.showTokens(w, r, nil, nil)
}

// showTokens lists the tokens, with the form to create one and revoke
// buttons for administrators. With created it shows that token's secret.
func (s *Server) showTokens(w http.ResponseWriter, r *http.Request, p *problem, created *createdToken) {
	pr, _ := registry.PrincipalFrom(r.Context())
	v := tokensView{CanManage: pr.Org == "admin" && pr.Role == authz.RoleAdmin, Created: created, MaxDays: access.MaxTokenDays,
		Form: map[string]string{"role": authz.RoleViewer, "ttl_days": "90"}}
	if created == nil && r.PostForm != nil {
		for _, k := range []string{"subject", "organisation", "role", "ttl_days"} {
			v.Form[k] = r.PostForm.Get(k)
		}
	}
	for _, role := range tokenRoles {
		v.Roles = append(v.Roles, roleOption{Code: role, Mintable: slices.Contains(s.reg.Mintable, role)})
	}
	tokens, err := s.reg.ListTokens(r.Context())
	if err != nil {
		if p == nil && created == nil {
			s.failErr(w, r, err)
			return
		}
		if p == nil {
			p = problemOf(s.log, err)
		}
	}
	now := s.reg.Now()
	for _, t := range tokens {
		row := tokenRow{Token: t, State: "live"}
		if t.ExpiresAt != nil {
			row.Expires = *t.ExpiresAt
			if !now.Before(row.Expires) {
				row.State = "expired"
			}
		}
		if t.RevokedAt != nil {
			row.Revoked, row.State = *t.RevokedAt, "revoked"
		}
		v.Tokens = append(v.Tokens, row)
	}
	// Newest first: the token just made is at the top.
	slices.Reverse(v.Tokens)
	if v.Sessions, err = s.reg.ListSessions(r.Context()); err != nil && p == nil {
		p = problemOf(s.log, err)
	}
	s.pageStatus(w, r, http.StatusOK, "admin_tokens.html", Text{"API 令牌", "API tokens"}, p, v)
}

// createToken mints a token and answers with the page showing it once;
// the answer is not a redirect, so the secret is in no address and in no
// page the browser can fetch again (render sends Cache-Control: no-store).
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	if err := form(w, r); err != nil {
		s.showTokens(w, r, formUnreadable, nil)
		return
	}
	days, bad := intValue(r, "ttl_days")
	if bad != nil {
		s.showTokens(w, r, bad, nil)
		return
	}
	raw, tok, err := s.reg.CreateToken(r.Context(), access.NewToken{
		Subject: value(r, "subject"), Org: value(r, "organisation"), Role: value(r, "role"), TTLDays: days,
	})
	if err != nil {
		s.showTokens(w, r, problemOf(s.log, err), nil)
		return
	}
	s.showTokens(w, r, nil, &createdToken{Raw: raw, Token: tok})
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.showTokens(w, r, invalid("id", Text{"须为整数", "must be a whole number"}), nil)
		return
	}
	pr, _ := registry.PrincipalFrom(r.Context())
	if _, err := s.reg.RevokeToken(r.Context(), pr, id); err != nil {
		s.showTokens(w, r, problemOf(s.log, err), nil)
		return
	}
	done(w, r, "/console/tokens", "token-revoked")
}

// endSession ends another user's console session (single sign-on
// sessions have no token to revoke).
func (s *Server) endSession(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.showTokens(w, r, invalid("id", Text{"须为整数", "must be a whole number"}), nil)
		return
	}
	if _, err := s.reg.EndSessionByID(r.Context(), id); err != nil {
		s.showTokens(w, r, problemOf(s.log, err), nil)
		return
	}
	done(w, r, "/console/tokens", "session-ended")
}

// policyActions are the actions the explain form offers.
var policyActions = []string{
	authz.ActGrant, authz.ActSuspend, authz.ActReinstate, authz.ActRenew, authz.ActRevoke,
	authz.ActRead, authz.ActRecognize, authz.ActWithdraw,
}

// actionNames are the policy's actions in words.
var actionNames = map[string]Text{
	authz.ActGrant: {"登记认定", "grant"}, authz.ActSuspend: {"暂停", "suspend"}, authz.ActReinstate: {"恢复", "reinstate"},
	authz.ActRenew: {"续期", "renew"}, authz.ActRevoke: {"撤销", "revoke"}, authz.ActRead: {"查阅", "read"},
	authz.ActRecognize: {"评定", "recognise"}, authz.ActWithdraw: {"撤回", "withdraw"}, authz.ActRegister: {"登记", "register"},
	authz.ActManage: {"管理", "manage"}, authz.ActVerify: {"核验", "verify"}, authz.ActRecordAwards: {"记录获奖", "record awards of"},
}

// actionWords names an action, falling back to its code.
func actionWords(action string) Text {
	if t, ok := actionNames[action]; ok {
		return t
	}
	return Text{action, action}
}

// explanation is a decision the explain form asked for.
type explanation struct {
	Answer designation.PermissionAnswer
	Words  Text
}

// choice is an option of a select: a code and its words.
type choice struct {
	Code  string
	Label Text
}

// ruleRow is a grant rule with its action in words.
type ruleRow struct {
	designation.GrantRule
	ActionLabel Text
}

type policyView struct {
	Type    string // the rules' filter
	Types   []catalog.DesignationType
	Rules   []ruleRow
	Roles   []string
	Actions []choice
	Ask     map[string]string // the explain form's values
	Explain *explanation
}

// policyPage lists the grant rules (?type= filters them) and, when the
// explain form was sent (?action=), the registry's decision for the
// principal it names.
func (s *Server) policyPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := policyView{Type: strings.TrimSpace(q.Get("type")), Types: catalog.DesignationTypes, Roles: tokenRoles, Ask: map[string]string{}}
	for _, a := range policyActions {
		v.Actions = append(v.Actions, choice{a, actionWords(a)})
	}
	for _, k := range []string{"role", "organisation", "action", "designation_type"} {
		v.Ask[k] = strings.TrimSpace(q.Get(k))
	}
	var p *problem
	rules, err := s.reg.ListGrantRules(r.Context(), v.Type, "")
	if err != nil {
		p = problemOf(s.log, err)
	}
	for _, g := range rules {
		v.Rules = append(v.Rules, ruleRow{g, actionWords(g.Action)})
	}
	if q.Has("action") {
		subject := ""
		if v.Ask["role"] != "" || v.Ask["organisation"] != "" {
			subject = v.Ask["role"] + "@" + v.Ask["organisation"]
		}
		a, err := s.reg.CheckPermission(r.Context(), designation.PermissionQuery{
			Subject: subject, Action: v.Ask["action"], DesignationType: v.Ask["designation_type"],
		})
		switch {
		case err != nil && p == nil:
			p = problemOf(s.log, err)
		case err == nil:
			v.Explain = &explanation{Answer: a, Words: decisionWords(a, v.Ask)}
		}
	}
	s.pageStatus(w, r, http.StatusOK, "admin_policy.html", Text{"授权策略", "Authorization policy"}, p, v)
}

// decisionWords says a decision in words: the rule that allows it, read
// out, or that no rule does.
func decisionWords(a designation.PermissionAnswer, ask map[string]string) Text {
	if !a.Allowed {
		role := roleNames[ask["role"]]
		obj, act, org := objectWords("designation:"+ask["designation_type"]), actionWords(ask["action"]), orgWords(ask["organisation"])
		return Text{
			"拒绝：没有任何规则允许" + org.Zh + "的「" + role.Zh + "」对" + obj.Zh + "执行「" + act.Zh + "」。",
			"Denied: no rule lets the " + strings.ToLower(role.En) + " of " + org.En + " " + act.En + " " + obj.En + ".",
		}
	}
	// An allowing rule is "p, role, org, object, action, scope".
	f := strings.Split(strings.TrimPrefix(a.Rule, "p, "), ", ")
	if len(f) < 5 {
		return Text{"允许：" + a.Rule, "Allowed: " + a.Rule}
	}
	role, org, obj, act := roleNames[f[0]], orgWords(f[1]), objectWords(f[2]), actionWords(f[3])
	scope := Text{"任何记录", "any record"}
	if len(f) > 4 && f[4] == authz.ScopeOwn {
		scope = Text{"仅限本单位的记录", "only its organisation's own records"}
	}
	return Text{
		"允许：规则准许" + org.Zh + "的「" + role.Zh + "」对" + obj.Zh + "执行「" + act.Zh + "」，范围：" + scope.Zh + "。",
		"Allowed: a rule lets the " + strings.ToLower(role.En) + " of " + org.En + " " + act.En + " " + obj.En + ", on " + scope.En + ".",
	}
}

// orgWords names an organisation, or a pattern of them, in words.
func orgWords(org string) Text {
	kind, code, _ := strings.Cut(org, ":")
	switch {
	case kind == "bureau" && code == "*":
		return Text{"任一委办局", "any bureau"}
	case kind == "bureau":
		if b, ok := catalog.BureausByCode[code]; ok {
			return Text{b.NameZh, b.NameEn}
		}
	case code == "*":
		return Text{"任一" + org, "any " + kind}
	}
	return Text{org, org}
}

// objectWords names a policy object ("designation:little-giant") in words.
func objectWords(obj string) Text {
	code, ok := strings.CutPrefix(obj, "designation:")
	switch {
	case ok && code == "*":
		return Text{"所有认定", "every designation"}
	case ok:
		if t, found := catalog.DesignationTypesByCode[code]; found {
			return Text{"「" + t.NameZh + "」认定", "the designation " + t.NameEn}
		}
	}
	return Text{obj, obj}
}
