package main

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"
	"google.golang.org/protobuf/proto"

	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
)

// Enterprises, talents and designations: EnterpriseService, TalentService
// and DesignationService.

// pageFlags are the paging flags of list commands.
type pageFlags struct {
	size  int
	token string
}

func (p *pageFlags) register(fs *pflag.FlagSet) {
	fs.IntVar(&p.size, "page-size", 0, "results per page (server default 50)")
	fs.StringVar(&p.token, "page-token", "", "page to fetch, from a previous answer")
}

// nextPage tells a table reader how to fetch the next page.
func nextPage(t *table, token string) {
	if token != "" {
		t.line("more results: add --page-token %s", token)
	}
}

func enterpriseRegister(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.RegisterEnterpriseRequest
	fs.StringVar(&req.Name, "name", "", "registered `name`")
	fs.StringVar(&req.District, "district", "", "`district`: GB/T 2260 code or name, e.g. 330108 or 滨江区")
	dateVar(fs, &req.RegisteredOn, "registered-on", "business registration `date` (YYYY-MM-DD)")
	return func(pos []string) error {
		req.CreditCode = pos[0]
		res, err := inv.clients().Enterprise.RegisterEnterprise(inv.ctx, &req)
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) { enterpriseRows(t, res.GetEnterprise()) })
	}
}

func enterpriseGet(inv *invocation, fs *pflag.FlagSet) action {
	return func(pos []string) error {
		res, err := inv.clients().Enterprise.GetEnterprise(inv.ctx, &registryv1.GetEnterpriseRequest{CreditCode: pos[0]})
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) { enterpriseRows(t, res.GetEnterprise()) })
	}
}

func enterpriseList(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.ListEnterprisesRequest
	var page pageFlags
	fs.StringVar(&req.Query, "query", "", "part of the name (either script), a prefix of the credit code, or a district")
	fs.StringVar(&req.District, "district", "", "only this `district` (GB/T 2260 code or name, e.g. 330108 or 滨江区)")
	page.register(fs)
	return func([]string) error {
		req.PageSize, req.PageToken = int32(page.size), page.token
		res, err := inv.clients().Enterprise.ListEnterprises(inv.ctx, &req)
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) {
			enterpriseRows(t, res.GetEnterprises()...)
			nextPage(t, res.GetNextPageToken())
		})
	}
}

func enterpriseRows(t *table, es ...*registryv1.Enterprise) {
	t.row("CREDIT CODE", "NAME", "DISTRICT", "REGISTERED ON", "CREATED")
	for _, e := range es {
		t.row(e.GetCreditCode(), e.GetName(), districtCell(e.GetDistrict(), e.GetDistrictName()), e.GetRegisteredOn(), stamp(e.GetCreatedAt()))
	}
}

// districtCell shows a district as its Simplified name and code, e.g.
// "滨江区 330108", or the code alone when the registry gave no name.
func districtCell(code, name string) string {
	if name == "" {
		return code
	}
	return name + " " + code
}

func talentRegister(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.RegisterTalentRequest
	fs.StringVar(&req.Name, "name", "", "the person's `name`")
	fs.StringVar(&req.IdNumber, "id-number", "", "18-character resident identity `number`")
	fs.StringVar(&req.PassportNumber, "passport", "", "passport `number` (with --nationality)")
	fs.StringVar(&req.Nationality, "nationality", "", "ISO 3166-1 alpha-2 `code`, e.g. SG")
	fs.StringVar(&req.EmployerCreditCode, "employer", "", "employer's credit `code`")
	return func([]string) error {
		res, err := inv.clients().Talent.RegisterTalent(inv.ctx, &req)
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) { talentRows(t, res.GetTalent()) })
	}
}

func talentGet(inv *invocation, fs *pflag.FlagSet) action {
	return func(pos []string) error {
		res, err := inv.clients().Talent.GetTalent(inv.ctx, &registryv1.GetTalentRequest{Id: pos[0]})
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) { talentRows(t, res.GetTalent()) })
	}
}

func talentList(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.ListTalentsRequest
	var page pageFlags
	fs.StringVar(&req.EmployerCreditCode, "employer", "", "only this employer's (credit `code`)")
	page.register(fs)
	return func([]string) error {
		req.PageSize, req.PageToken = int32(page.size), page.token
		res, err := inv.clients().Talent.ListTalents(inv.ctx, &req)
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) {
			talentRows(t, res.GetTalents()...)
			nextPage(t, res.GetNextPageToken())
		})
	}
}

func talentRows(t *table, ts ...*registryv1.Talent) {
	t.row("ID", "NAME", "DOCUMENT", "NATIONALITY", "EMPLOYER", "CREATED")
	for _, p := range ts {
		t.row(p.GetId(), p.GetName(), p.GetIdNumberMasked(), p.GetNationality(), p.GetEmployerCreditCode(), stamp(p.GetCreatedAt()))
	}
}

func designationTypes(inv *invocation, fs *pflag.FlagSet) action {
	return func([]string) error {
		res, err := inv.clients().Designation.ListDesignationTypes(inv.ctx, &registryv1.ListDesignationTypesRequest{})
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) {
			t.row("CODE", "NAME", "ENGLISH", "HELD BY", "LEVELS", "GRANTED BY", "CLAUSE")
			for _, d := range res.GetTypes() {
				levels := ""
				if d.GetHasLevels() {
					levels = "A-E"
				}
				t.row(d.GetCode(), d.GetNameZh(), d.GetNameEn(), d.GetSubjectKind(), levels, list(d.GetGrantingBureaus()), d.GetSeedClause())
			}
		})
	}
}

func designationGrant(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.GrantDesignationRequest
	fs.StringVar(&req.EnterpriseCreditCode, "enterprise", "", "holder's credit `code` (enterprise designations)")
	fs.StringVar(&req.TalentId, "talent", "", "holder's talent `id` (talent designations)")
	fs.StringVar(&req.Level, "level", "", "talent `level` A-E (talent-recognition)")
	dateVar(fs, &req.ValidFrom, "from", "first valid `date` (YYYY-MM-DD)")
	dateVar(fs, &req.ValidUntil, "until", "last valid `date` (YYYY-MM-DD)")
	fs.StringVar(&req.DocumentNumber, "doc", "", "document `number` (文号) or other evidence")
	fs.StringVar(&req.Note, "note", "", "free `text`")
	return func(pos []string) error {
		req.Type = pos[0]
		res, err := inv.clients().Designation.GrantDesignation(inv.ctx, &req)
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) { designationRows(t, res.GetDesignation()) })
	}
}

func designationGet(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.GetDesignationRequest
	dateVar(fs, &req.AsOf, "as-of", "its status on this `date` (YYYY-MM-DD), as recorded at --known-at")
	instantVar(fs, &req.KnownAt, "known-at", "as the registry had recorded it at this `instant` (RFC 3339), before later grants and revocations")
	return func(pos []string) error {
		req.Id = pos[0]
		res, err := inv.clients().Designation.GetDesignation(inv.ctx, &req)
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) {
			d := res.GetDesignation()
			designationRows(t, d)
			t.section()
			t.row("VERSION", "CLAUSE", "REASON", "NOTE", "AUTHORIZATION", "AWARD", "CREATED", "UPDATED")
			t.row(fmt.Sprint(d.GetVersion()), d.GetSeedClause(), d.GetStatusReason(), d.GetNote(), d.GetAuthorizationId(), d.GetAwardId(),
				stamp(d.GetCreatedAt()), stamp(d.GetUpdatedAt()))
		})
	}
}

func designationList(inv *invocation, fs *pflag.FlagSet) action {
	var req registryv1.ListDesignationsRequest
	var page pageFlags
	var st string
	fs.StringVar(&req.EnterpriseCreditCode, "enterprise", "", "only this enterprise's (credit `code`)")
	fs.StringVar(&req.TalentId, "talent", "", "only this talent's (`id`)")
	fs.StringVar(&req.Type, "type", "", "only this designation `type`")
	fs.StringVar(&st, "status", "", "only this `status`: active, suspended, revoked or expired")
	dateVar(fs, &req.AsOf, "as-of", "only those valid on this `date` (YYYY-MM-DD)")
	instantVar(fs, &req.KnownAt, "known-at", "as the registry had recorded them at this `instant` (RFC 3339)")
	page.register(fs)
	return func([]string) error {
		var err error
		if req.Status, err = parseStatus(st); err != nil {
			return err
		}
		req.PageSize, req.PageToken = int32(page.size), page.token
		res, err := inv.clients().Designation.ListDesignations(inv.ctx, &req)
		if err != nil {
			return err
		}
		return inv.emit(res, func(t *table) {
			designationRows(t, res.GetDesignations()...)
			nextPage(t, res.GetNextPageToken())
		})
	}
}

func parseStatus(s string) (registryv1.DesignationStatus, error) {
	if s == "" {
		return registryv1.DesignationStatus_DESIGNATION_STATUS_UNSPECIFIED, nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "DESIGNATION_STATUS_") {
		name = "DESIGNATION_STATUS_" + name
	}
	v, ok := registryv1.DesignationStatus_value[name]
	if !ok || v == 0 {
		return 0, fmt.Errorf("--status %q: want active, suspended, revoked or expired", s)
	}
	return registryv1.DesignationStatus(v), nil
}

// designationHolder is any answer carrying one designation.
type designationHolder interface {
	proto.Message
	GetDesignation() *registryv1.Designation
}

// showDesignation prints an answer carrying one designation.
func showDesignation[R designationHolder](inv *invocation, res R, err error) error {
	if err != nil {
		return err
	}
	return inv.emit(res, func(t *table) { designationRows(t, res.GetDesignation()) })
}

// reasonFlag defines --reason, which every change of status needs.
func reasonFlag(fs *pflag.FlagSet) *string {
	return fs.String("reason", "", "why (required)")
}

func designationSuspend(inv *invocation, fs *pflag.FlagSet) action {
	reason := reasonFlag(fs)
	return func(pos []string) error {
		res, err := inv.clients().Designation.SuspendDesignation(inv.ctx, &registryv1.SuspendDesignationRequest{Id: pos[0], Reason: *reason})
		return showDesignation(inv, res, err)
	}
}

func designationReinstate(inv *invocation, fs *pflag.FlagSet) action {
	reason := reasonFlag(fs)
	return func(pos []string) error {
		res, err := inv.clients().Designation.ReinstateDesignation(inv.ctx, &registryv1.ReinstateDesignationRequest{Id: pos[0], Reason: *reason})
		return showDesignation(inv, res, err)
	}
}

func designationRevoke(inv *invocation, fs *pflag.FlagSet) action {
	reason := reasonFlag(fs)
	return func(pos []string) error {
		res, err := inv.clients().Designation.RevokeDesignation(inv.ctx, &registryv1.RevokeDesignationRequest{Id: pos[0], Reason: *reason})
		return showDesignation(inv, res, err)
	}
}

func designationRenew(inv *invocation, fs *pflag.FlagSet) action {
	req := registryv1.RenewDesignationRequest{}
	dateVar(fs, &req.ValidUntil, "until", "new last valid `date` (YYYY-MM-DD)")
	fs.StringVar(&req.DocumentNumber, "doc", "", "the renewing document `number`")
	return func(pos []string) error {
		req.Id = pos[0]
		res, err := inv.clients().Designation.RenewDesignation(inv.ctx, &req)
		return showDesignation(inv, res, err)
	}
}

func designationRows(t *table, ds ...*registryv1.Designation) {
	t.row("ID", "TYPE", "HOLDER", "LEVEL", "STATUS", "VALID FROM", "VALID UNTIL", "BUREAU", "DOCUMENT")
	for _, d := range ds {
		holder := d.GetEnterpriseCreditCode()
		switch {
		case d.GetTalentId() != "":
			holder = "talent:" + d.GetTalentId()
		case d.GetParkCode() != "":
			holder = "park:" + d.GetParkCode()
		}
		t.row(d.GetId(), d.GetType(), holder, d.GetLevel(), status(d.GetStatus()), d.GetValidFrom(), d.GetValidUntil(),
			d.GetGrantedByBureau(), d.GetDocumentNumber())
	}
}
