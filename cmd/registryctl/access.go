package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/pflag"
	"google.golang.org/protobuf/types/known/timestamppb"

	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
)

// Who may do what, tokens and the audit trail: AccessService and
// AuditService.

func accessRules(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.ListGrantRulesRequest
	fs.StringVar(&req.DesignationType, "type", "", "only this designation `type`")
	fs.StringVar(&req.Bureau, "bureau", "", "only this `bureau`, e.g. economy-it")
	return func([]string) error {
		res, err := inv.clients().Access.ListGrantRules(inv.ctx, &req)
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) {
			t.row("TYPE", "BUREAU", "ROLE", "ACTION", "RULE")
			for _, r := range res.GetRules() {
				t.row(r.GetDesignationType(), r.GetBureau(), r.GetRole(), r.GetAction(), r.GetRule())
			}
		})
	}
}

func accessCheck(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.CheckPermissionRequest
	fs.StringVar(&req.Subject, "subject", "", "principal as `role@organisation`, e.g. issuer@bureau:economy-it (default: you)")
	fs.StringVar(&req.Action, "action", "", "`action`: grant, suspend, reinstate, renew, revoke, read or register")
	fs.StringVar(&req.DesignationType, "type", "", "designation `type`")
	fs.StringVar(&req.Resource, "resource", "", "a designation id or enterprise:<credit code>, for own-scoped rules")
	return func([]string) error {
		res, err := inv.clients().Access.CheckPermission(inv.ctx, &req)
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) {
			t.row("ALLOWED", "SUBJECT", "RULE")
			t.row(yesNo(res.GetAllowed()), res.GetSubject(), res.GetRule())
		})
	}
}

func tokenCreate(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.CreateTokenRequest
	var ttl int
	fs.StringVar(&req.Subject, "subject", "", "who the token is for")
	fs.StringVar(&req.Organisation, "org", "", "`organisation`: bureau:<code>, enterprise:<credit code>, park:<code>, auditor or admin")
	fs.StringVar(&req.Role, "role", "", "`role`: issuer, viewer, member, talent-assessor, operator, auditor or admin")
	fs.IntVar(&ttl, "ttl-days", 0, "`days` until it expires (0: never)")
	return func([]string) error {
		req.TtlDays = int32(ttl)
		res, err := inv.clients().Access.CreateToken(inv.ctx, &req)
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) {
			tokenRows(t, res.GetInfo())
			t.line("token: %s", res.GetToken())
			t.line("(shown only now)")
		})
	}
}

func tokenRevoke(inv *invocation, fs *pflag.FlagSet) action {
	return func(pos []string) error {
		id, err := strconv.ParseInt(pos[0], 10, 64)
		if err != nil {
			return fmt.Errorf("token id %q: want a number (see registryctl token list)", pos[0])
		}
		res, err := inv.clients().Access.RevokeToken(inv.ctx, &registryv1.RevokeTokenRequest{Id: id})
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) { tokenRows(t, res.GetInfo()) })
	}
}

func tokenList(inv *invocation, fs *pflag.FlagSet) action {
	return func([]string) error {
		res, err := inv.clients().Access.ListTokens(inv.ctx, &registryv1.ListTokensRequest{})
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) { tokenRows(t, res.GetTokens()...) })
	}
}

func tokenRows(t *table, ts ...*registryv1.Token) {
	t.row("ID", "SUBJECT", "ORGANISATION", "ROLE", "CREATED", "EXPIRES", "REVOKED")
	for _, k := range ts {
		t.row(fmt.Sprint(k.GetId()), k.GetSubject(), k.GetOrganisation(), k.GetRole(), stamp(k.GetCreatedAt()), stamp(k.GetExpiresAt()), stamp(k.GetRevokedAt()))
	}
}

func auditList(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.ListAuditEventsRequest
	var page pageFlags
	var since string
	fs.StringVar(&req.Entity, "entity", "", "entity `type` or type:id, e.g. designation or designation:0190…")
	fs.StringVar(&req.Actor, "actor", "", "only this acting `subject`")
	fs.StringVar(&since, "since", "", "only events from this `time` (YYYY-MM-DD in China Standard Time, or RFC 3339)")
	page.register(fs)
	return func([]string) error {
		if since != "" {
			ts, err := parseTime(since)
			if err != nil {
				return err
			}
			req.Since = timestamppb.New(ts)
		}
		req.PageSize, req.PageToken = int32(page.size), page.token
		res, err := inv.clients().Audit.ListAuditEvents(inv.ctx, &req)
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) {
			t.row("SEQ", "TIME", "ACTOR", "ORGANISATION", "ROLE", "ACTION", "ENTITY", "REASON")
			for _, e := range res.GetEvents() {
				t.row(fmt.Sprint(e.GetSequence()), stamp(e.GetOccurredAt()), e.GetActorSubject(), e.GetActorOrganisation(), e.GetActorRole(),
					e.GetAction(), e.GetEntityType()+":"+e.GetEntityId(), e.GetReason())
			}
			nextPage(t, res.GetNextPageToken())
		})
	}
}

func parseTime(s string) (time.Time, error) {
	if t, err := time.ParseInLocation(time.DateOnly, s, cst); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--since %q: want YYYY-MM-DD or an RFC 3339 time", s)
	}
	return t, nil
}

func auditVerify(inv *invocation, fs *pflag.FlagSet) action {
	return func([]string) error {
		res, err := inv.clients().Audit.VerifyAuditChain(inv.ctx, &registryv1.VerifyAuditChainRequest{})
		if err != nil {
			return err
		}
		if err := inv.emit(res, func(t *table) {
			t.row("OK", "EVENTS CHECKED", "FIRST BAD SEQUENCE", "PROBLEM")
			t.row(yesNo(res.GetOk()), fmt.Sprint(res.GetEventsChecked()), num(res.GetFirstBadSequence()), res.GetProblem())
		}); err != nil {
			return err
		}
		if !res.GetOk() {
			return fmt.Errorf("audit chain broken at sequence %d: %s", res.GetFirstBadSequence(), res.GetProblem())
		}
		return nil
	}
}
