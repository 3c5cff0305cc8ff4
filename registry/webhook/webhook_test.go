package webhook_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/change"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/registry/webhook"
	"github.com/hangzhou-ai/registry/store/storetest"
	wire "github.com/hangzhou-ai/registry/webhook"
)

const economy = "bureau:economy-it"

func code(t *testing.T, i int) string {
	return registrytest.CreditCode(t, fmt.Sprintf("91330106MA28Y%04d", i))
}

func member(t *testing.T, i int) context.Context {
	return registrytest.As(t.Context(), "member", "enterprise:"+code(t, i))
}

// register registers enterprises from..to-1.
func register(t *testing.T, reg *registry.Registry, from, to int) {
	t.Helper()
	ctx := registrytest.As(t.Context(), "issuer", economy)
	for i := from; i < to; i++ {
		if _, err := reg.RegisterEnterprise(ctx, enterprise.NewEnterprise{CreditCode: code(t, i), Name: fmt.Sprintf("企业%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
}

// open opens a registry whose subscriptions may deliver to loopback
// receivers over http.
func open(t *testing.T, db storetest.Database) (*registry.Registry, *storetest.Clock) {
	t.Helper()
	reg, clock := registrytest.Open(t, db)
	reg.Webhooks.URLs = wire.Policy{AllowHTTP: true, AllowPrivate: true}
	return reg, clock
}

// delivery is one request a receiver got.
type delivery struct {
	id, timestamp, signature string
	body                     []byte
	verified                 bool
}

// receiver is a loopback webhook receiver that checks each request's
// signature with its own HMAC and answers the statuses it is told to, in
// turn, then 204.
type receiver struct {
	t      *testing.T
	secret string
	srv    *httptest.Server

	mu       sync.Mutex
	got      []delivery
	statuses []int
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	r := &receiver{t: t, statuses: statuses}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	d := delivery{id: req.Header.Get("webhook-id"), timestamp: req.Header.Get("webhook-timestamp"),
		signature: req.Header.Get("webhook-signature"), body: body}
	r.mu.Lock()
	defer r.mu.Unlock()
	d.verified = independentlySigned(r.secret, d)
	r.got = append(r.got, d)
	status := http.StatusNoContent
	if len(r.statuses) > 0 {
		status, r.statuses = r.statuses[0], r.statuses[1:]
	}
	w.WriteHeader(status)
}

// independentlySigned checks a delivery's signature as the Standard
// Webhooks receiver does, without the registry's code: HMAC-SHA256 over
// "id.timestamp.body" keyed by the base64-decoded secret after whsec_.
func independentlySigned(secret string, d delivery) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || len(key) != 32 {
		return false
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.%s", d.id, d.timestamp, d.body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return slices.Contains(strings.Fields(d.signature), want)
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// ids are the webhook-ids received, in order.
func (r *receiver) ids() []string {
	var out []string
	for _, d := range r.deliveries() {
		out = append(out, d.id)
	}
	return out
}

// subscribe subscribes r for the principal of ctx.
func (r *receiver) subscribe(t *testing.T, reg *registry.Registry, ctx context.Context, types ...string) webhook.Subscription {
	t.Helper()
	sub, secret, err := reg.CreateSubscription(ctx, webhook.NewSubscription{URL: r.srv.URL + "/hook", EntityTypes: types})
	if err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	r.secret = secret
	r.mu.Unlock()
	return sub
}

// body is what the tests' Encode renders.
type body struct {
	ID, Cursor, EntityType, EntityID string
}

func config(sender *wire.Sender) webhook.DeliveryConfig {
	return webhook.DeliveryConfig{
		Send: sender.Send,
		Encode: func(c change.Change) ([]byte, error) {
			return json.Marshal(body{ID: c.ID(), Cursor: c.Cursor(), EntityType: c.EntityType, EntityID: c.EntityID})
		},
		FirstRetry: time.Minute, MaxRetryDelay: time.Hour, RetryFor: 72 * time.Hour,
	}
}

func loopbackConfig() webhook.DeliveryConfig {
	return config(wire.NewSender(wire.Policy{AllowHTTP: true, AllowPrivate: true}, 5*time.Second))
}

func deliverDue(t *testing.T, reg *registry.Registry, cfg webhook.DeliveryConfig) int {
	t.Helper()
	n, err := reg.DeliverDue(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func entityIDs(t *testing.T, ds []delivery) []string {
	t.Helper()
	var out []string
	for _, d := range ds {
		var b body
		if err := json.Unmarshal(d.body, &b); err != nil {
			t.Fatal(err)
		}
		if b.ID != d.id {
			t.Fatalf("webhook-id %s carries change %s", d.id, b.ID)
		}
		out = append(out, b.EntityID)
	}
	return out
}

// grant grants enterprise i a designation: a change its members may read.
func grant(t *testing.T, reg *registry.Registry, i int) {
	t.Helper()
	_, err := reg.GrantDesignation(registrytest.As(t.Context(), "issuer", economy), designation.Grant{Type: "ai-growth-enterprise",
		EnterpriseCreditCode: code(t, i), ValidFrom: "2025-01-01", ValidUntil: "2027-12-31", DocumentNumber: "杭经信〔2025〕3号"})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSubscriptionRules: who may subscribe, to what and where; who sees
// and ends which subscription.
func TestSubscriptionRules(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		reg, _ := registrytest.Open(t, db)
		register(t, reg, 0, 2)
		admin := registrytest.As(t.Context(), "admin", "admin")
		auditor := registrytest.As(t.Context(), "auditor", "auditor")
		const public = "https://hooks.example.com/registry"
		cases := []struct {
			name  string
			ctx   context.Context
			in    webhook.NewSubscription
			want  registry.Kind
			field string
		}{
			{"member, every type", member(t, 0), webhook.NewSubscription{URL: public}, registrytest.Succeeds, ""},
			{"bureau, designations", registrytest.As(t.Context(), "viewer", economy), webhook.NewSubscription{URL: public, EntityTypes: []string{"designation"}}, registrytest.Succeeds, ""},
			{"same org and URL again", member(t, 0), webhook.NewSubscription{URL: public}, registry.KindAlreadyExists, ""},
			{"administrator reads no records", admin, webhook.NewSubscription{URL: public}, registry.KindPermissionDenied, ""},
			{"member asks for parks", member(t, 1), webhook.NewSubscription{URL: public, EntityTypes: []string{"park"}}, registry.KindPermissionDenied, ""},
			{"misspelled type", member(t, 1), webhook.NewSubscription{URL: public, EntityTypes: []string{"enterprize"}}, registry.KindInvalidArgument, "entity_types[0]"},
			{"http", member(t, 1), webhook.NewSubscription{URL: "http://hooks.example.com/"}, registry.KindInvalidArgument, "url"},
			{"loopback", member(t, 1), webhook.NewSubscription{URL: "https://127.0.0.1/hook"}, registry.KindInvalidArgument, "url"},
			{"metadata address", member(t, 1), webhook.NewSubscription{URL: "https://169.254.169.254/"}, registry.KindInvalidArgument, "url"},
			{"not a URL", member(t, 1), webhook.NewSubscription{URL: "hooks"}, registry.KindInvalidArgument, "url"},
			{"no principal", t.Context(), webhook.NewSubscription{URL: public}, registry.KindUnauthenticated, ""},
		}
		secrets := map[string]string{} // by subscription id
		ids := map[string]string{}     // by case
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				sub, secret, err := reg.CreateSubscription(c.ctx, c.in)
				registrytest.Check(t, err, c.want, c.field)
				if err != nil {
					return
				}
				if !strings.HasPrefix(secret, "whsec_") {
					t.Fatalf("secret %q", secret)
				}
				if k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_")); err != nil || len(k) != 32 {
					t.Fatalf("secret %q is not base64 of 32 bytes", secret)
				}
				secrets[sub.ID] = secret
				ids[c.name] = sub.ID
			})
		}
		if len(secrets) != 2 {
			t.Fatalf("%d subscriptions made, want 2", len(secrets))
		}

		// The secrets are nowhere in clear: not in their rows, not in the
		// audit log.
		raw := storetest.OpenSQL(t, db)
		for _, table := range []string{"webhook_subscriptions", "audit_events"} {
			for id, secret := range secrets {
				if rowsContain(t, raw, table, secret) {
					t.Fatalf("%s holds the secret of %s in clear", table, id)
				}
			}
		}

		list := func(ctx context.Context) []string {
			t.Helper()
			subs, _, err := reg.ListSubscriptions(ctx, 0, "")
			if err != nil {
				t.Fatal(err)
			}
			var orgs []string
			for _, s := range subs {
				orgs = append(orgs, s.OwnerOrg)
			}
			slices.Sort(orgs)
			return orgs
		}
		if got := list(member(t, 0)); !slices.Equal(got, []string{"enterprise:" + code(t, 0)}) {
			t.Fatalf("member 0 lists %v", got)
		}
		if got := list(member(t, 1)); len(got) != 0 {
			t.Fatalf("member 1 lists %v", got)
		}
		if got := list(auditor); len(got) != 2 {
			t.Fatalf("auditor lists %v", got)
		}
		memberSub, bureauSub := ids["member, every type"], ids["bureau, designations"]
		_, err := reg.DeleteSubscription(member(t, 1), memberSub)
		registrytest.Check(t, err, registry.KindNotFound)
		_, err = reg.DeleteSubscription(auditor, memberSub)
		registrytest.Check(t, err, registry.KindPermissionDenied)
		_, _, err = reg.ListDeliveries(member(t, 1), memberSub, 0, "")
		registrytest.Check(t, err, registry.KindNotFound)
		_, err = reg.DeleteSubscription(member(t, 0), memberSub)
		registrytest.Check(t, err, registrytest.Succeeds)
		_, err = reg.DeleteSubscription(member(t, 0), memberSub)
		registrytest.Check(t, err, registry.KindNotFound)
		_, err = reg.DeleteSubscription(admin, bureauSub)
		registrytest.Check(t, err, registrytest.Succeeds)
		if got := list(auditor); len(got) != 0 {
			t.Fatalf("auditor lists %v after both were deleted", got)
		}
		// Deleted, the URL may be subscribed again.
		_, _, err = reg.CreateSubscription(member(t, 0), webhook.NewSubscription{URL: public})
		registrytest.Check(t, err, registrytest.Succeeds)
		report, err := reg.VerifyAuditChain(registrytest.As(t.Context(), "auditor", "auditor"))
		if err != nil || !report.OK {
			t.Fatalf("audit chain: %+v %v", report, err)
		}
	})
}

// rowsContain tells whether any column of any row of table holds s.
func rowsContain(t *testing.T, db *sql.DB, table, s string) bool {
	t.Helper()
	for _, row := range storetest.Rows(t, db, "SELECT * FROM "+table) {
		for _, v := range row {
			if bytes.Contains(v, []byte(s)) {
				return true
			}
		}
	}
	return false
}

// TestDeliveredSignedInOrderWithinScope: each change the owner may read
// arrives once, in cursor order, signed; changes of other enterprises
// never do.
func TestDeliveredSignedInOrderWithinScope(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		reg, _ := open(t, db)
		register(t, reg, 0, 1)
		own := newReceiver(t)
		own.subscribe(t, reg, member(t, 0))
		bureau := newReceiver(t)
		bureau.subscribe(t, reg, registrytest.As(t.Context(), "viewer", economy), "enterprise")
		register(t, reg, 1, 4) // changes member 0 may not read
		grant(t, reg, 0)
		cfg := loopbackConfig()
		deliverDue(t, reg, cfg)
		if n := deliverDue(t, reg, cfg); n != 0 {
			t.Fatalf("a second pass made %d attempts", n)
		}
		if got := own.deliveries(); len(got) != 1 || !strings.Contains(string(got[0].body), `"EntityType":"designation"`) {
			t.Fatalf("the member's receiver got %d deliveries: %v", len(got), entityIDs(t, got))
		}
		if got, want := entityIDs(t, bureau.deliveries()), []string{code(t, 1), code(t, 2), code(t, 3)}; !slices.Equal(got, want) {
			t.Fatalf("the bureau's receiver got %v, want %v", got, want)
		}
		var last int64
		for _, d := range append(own.deliveries(), bureau.deliveries()...) {
			if !d.verified {
				t.Fatalf("delivery %s: signature %q does not check", d.id, d.signature)
			}
			if ts, err := strconv.ParseInt(d.timestamp, 10, 64); err != nil || ts <= 0 {
				t.Fatalf("webhook-timestamp %q", d.timestamp)
			}
		}
		for _, id := range bureau.ids() {
			seq, _ := strconv.ParseInt(strings.TrimPrefix(id, "chg_"), 10, 64)
			if seq <= last {
				t.Fatalf("ids %v out of order", bureau.ids())
			}
			last = seq
		}
	})
}

// TestRetriedUntilAccepted: a receiver that fails three times gets the
// same change, with the same webhook-id, until it accepts it, each retry
// after its backoff, and only then the next change.
func TestRetriedUntilAccepted(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		reg, clock := open(t, db)
		register(t, reg, 0, 1)
		r := newReceiver(t, 500, 503, 400)
		sub := r.subscribe(t, reg, registrytest.As(t.Context(), "viewer", economy), "enterprise")
		register(t, reg, 1, 3)
		cfg := loopbackConfig()
		for i := 1; i <= 3; i++ {
			deliverDue(t, reg, cfg)
			if got := len(r.deliveries()); got != i {
				t.Fatalf("after failure %d the receiver got %d requests", i, got)
			}
			// Not yet due: nothing is sent.
			deliverDue(t, reg, cfg)
			if got := len(r.deliveries()); got != i {
				t.Fatalf("a retry was sent before its time (%d requests)", got)
			}
			ds, _, err := reg.ListDeliveries(registrytest.As(t.Context(), "viewer", economy), sub.ID, 0, "")
			if err != nil {
				t.Fatal(err)
			}
			if ds[0].Succeeded || ds[0].Attempt != i || ds[0].NextAttemptAt == nil || !ds[0].NextAttemptAt.After(clock.Now()) {
				t.Fatalf("attempt %d recorded as %+v", i, ds[0])
			}
			clock.Set(ds[0].NextAttemptAt.Add(time.Second))
		}
		deliverDue(t, reg, cfg)
		ids := r.ids()
		want := []string{ids[0], ids[0], ids[0], ids[0], ids[4]}
		if len(ids) != 5 || !slices.Equal(ids, want) || ids[4] == ids[0] {
			t.Fatalf("webhook-ids %v, want the first change 4 times then the second", ids)
		}
		if got := entityIDs(t, r.deliveries()); got[0] != code(t, 1) || got[4] != code(t, 2) {
			t.Fatalf("delivered %v", got)
		}
		ds, _, err := reg.ListDeliveries(registrytest.As(t.Context(), "auditor", "auditor"), sub.ID, 0, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 5 || !ds[0].Succeeded || !ds[1].Succeeded || ds[1].Attempt != 4 || ds[2].Succeeded || ds[2].StatusCode != 400 {
			t.Fatalf("deliveries %+v", ds)
		}
	})
}

// TestDeliveriesSurviveARestart: a change that failed in one process is
// retried by the next one opened on the database, and a lease left by a
// process that died ends on its own.
func TestDeliveriesSurviveARestart(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		first, clock := open(t, db)
		register(t, first, 0, 1)
		r := newReceiver(t, 500)
		sub := r.subscribe(t, first, registrytest.As(t.Context(), "viewer", economy), "enterprise")
		register(t, first, 1, 3)
		deliverDue(t, first, loopbackConfig())
		if len(r.deliveries()) != 1 {
			t.Fatalf("got %d requests", len(r.deliveries()))
		}

		second, clock2 := open(t, db)
		first.Close()
		clock2.Set(clock.Now().Add(time.Hour))
		deliverDue(t, second, loopbackConfig())
		ids := r.ids()
		if len(ids) != 3 || ids[0] != ids[1] || ids[1] == ids[2] {
			t.Fatalf("after the restart the receiver has %v", ids)
		}

		// A process that dies holding a lease: nobody delivers the
		// subscription until the lease has ended.
		raw := storetest.OpenSQL(t, db)
		until := clock2.Now().Add(time.Minute)
		if _, err := raw.ExecContext(t.Context(), storetest.Rebind(db, "UPDATE webhook_subscriptions SET lease_until = ?, leased_by = 'dead' WHERE id = ?"), until, sub.ID); err != nil {
			t.Fatal(err)
		}
		register(t, second, 3, 4)
		deliverDue(t, second, loopbackConfig())
		if len(r.deliveries()) != 3 {
			t.Fatal("a subscription leased by another process was delivered")
		}
		clock2.Set(until.Add(time.Second))
		deliverDue(t, second, loopbackConfig())
		if got := entityIDs(t, r.deliveries()); len(got) != 4 || got[3] != code(t, 3) {
			t.Fatalf("after the lease ended the receiver has %v", got)
		}
	})
}

// TestDisabledAfterRetryFor: a receiver that never accepts disables the
// subscription once its change has failed for RetryFor, with an audited
// reason; nothing more is delivered or redelivered.
func TestDisabledAfterRetryFor(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		reg, clock := open(t, db)
		viewer := registrytest.As(t.Context(), "viewer", economy)
		r := newReceiver(t, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500)
		sub := r.subscribe(t, reg, viewer, "enterprise")
		register(t, reg, 0, 2)
		cfg := loopbackConfig()
		cfg.RetryFor = 3 * time.Hour
		for range 10 {
			deliverDue(t, reg, cfg)
			clock.Set(clock.Now().Add(time.Hour + 15*time.Minute))
		}
		subs, _, err := reg.ListSubscriptions(viewer, 0, "")
		if err != nil {
			t.Fatal(err)
		}
		if subs[0].DisabledAt == nil || !strings.Contains(subs[0].DisabledReason, "chg_") {
			t.Fatalf("subscription %+v is not disabled", subs[0])
		}
		n := len(r.deliveries())
		if n < 3 || n > 5 {
			t.Fatalf("%d attempts over 3 hours of retries", n)
		}
		register(t, reg, 2, 3)
		deliverDue(t, reg, cfg)
		if len(r.deliveries()) != n {
			t.Fatal("a disabled subscription was delivered")
		}
		_, err = reg.RedeliverChange(viewer, sub.ID, strings.TrimPrefix(r.ids()[0], "chg_"))
		registrytest.Check(t, err, registry.KindFailedPrecondition)
		report, err := reg.VerifyAuditChain(registrytest.As(t.Context(), "auditor", "auditor"))
		if err != nil || !report.OK {
			t.Fatalf("audit chain: %+v %v", report, err)
		}
		if !rowsContain(t, storetest.OpenSQL(t, db), "audit_events", "webhook.disable") {
			t.Fatal("the disabling is not in the audit log")
		}
	})
}

// TestRedeliverChange: a change delivered may be asked for again; it
// arrives once more with its webhook-id; changes not delivered yet, or
// not the subscription's, may not.
func TestRedeliverChange(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		reg, _ := open(t, db)
		register(t, reg, 0, 1)
		owner := member(t, 0)
		r := newReceiver(t)
		sub := r.subscribe(t, reg, owner)
		grant(t, reg, 0)
		register(t, reg, 1, 2) // not the member's
		cfg := loopbackConfig()
		deliverDue(t, reg, cfg)
		first := r.ids()
		if len(first) != 1 {
			t.Fatalf("got %v", first)
		}
		cursor := strings.TrimPrefix(first[0], "chg_")
		seq, _ := strconv.ParseInt(cursor, 10, 64)
		for _, c := range []struct {
			name, sub, cursor string
			ctx               context.Context
			want              registry.Kind
			field             string
		}{
			{"another enterprise's change", sub.ID, strconv.FormatInt(seq+1, 10), owner, registry.KindNotFound, ""},
			{"not delivered yet", sub.ID, strconv.FormatInt(seq+100, 10), owner, registry.KindFailedPrecondition, ""},
			{"bad cursor", sub.ID, "x1", owner, registry.KindInvalidArgument, "cursor"},
			{"no cursor", sub.ID, "", owner, registry.KindInvalidArgument, "cursor"},
			{"another organisation", sub.ID, cursor, member(t, 1), registry.KindNotFound, ""},
			{"no such subscription", "whsub_0", cursor, owner, registry.KindNotFound, ""},
			{"the change delivered", sub.ID, cursor, owner, registrytest.Succeeds, ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				_, err := reg.RedeliverChange(c.ctx, c.sub, c.cursor)
				registrytest.Check(t, err, c.want, c.field)
			})
		}
		deliverDue(t, reg, cfg)
		if got := r.ids(); !slices.Equal(got, []string{first[0], first[0]}) {
			t.Fatalf("after the redelivery the receiver has %v", got)
		}
		ds, _, err := reg.ListDeliveries(owner, sub.ID, 0, "")
		if err != nil {
			t.Fatal(err)
		}
		if !ds[0].Redelivery || !ds[0].Succeeded || ds[0].Pending || ds[0].ChangeID() != first[0] {
			t.Fatalf("redelivery recorded as %+v", ds[0])
		}
	})
}

// TestConcurrentDeliverers: two processes delivering the same database
// at once send each change once, in order (leases).
func TestConcurrentDeliverers(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		a, _ := open(t, db)
		b, _ := open(t, db)
		viewer := registrytest.As(t.Context(), "viewer", economy)
		var rs []*receiver
		for range 4 {
			r := newReceiver(t)
			r.subscribe(t, a, viewer, "enterprise")
			rs = append(rs, r)
		}
		register(t, a, 0, 15)
		var wg sync.WaitGroup
		for _, reg := range []*registry.Registry{a, b, a, b} {
			wg.Go(func() {
				if _, err := reg.DeliverDue(t.Context(), loopbackConfig()); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		deliverDue(t, b, loopbackConfig())
		for i, r := range rs {
			got := entityIDs(t, r.deliveries())
			var want []string
			for j := range 15 {
				want = append(want, code(t, j))
			}
			if !slices.Equal(got, want) {
				t.Fatalf("receiver %d got %v", i, got)
			}
		}
	})
}

// TestAddressCheckedAtConnectTime: a subscription made where private
// addresses were allowed is not delivered by a sender that refuses them,
// whatever the URL's name resolves to; the attempt records why.
func TestAddressCheckedAtConnectTime(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		reg, _ := open(t, db)
		viewer := registrytest.As(t.Context(), "viewer", economy)
		r := newReceiver(t)
		sub := r.subscribe(t, reg, viewer, "enterprise")
		register(t, reg, 0, 1)
		cfg := config(wire.NewSender(wire.Policy{AllowHTTP: true}, 5*time.Second))
		deliverDue(t, reg, cfg)
		if len(r.deliveries()) != 0 {
			t.Fatal("a loopback receiver was delivered without AllowPrivate")
		}
		ds, _, err := reg.ListDeliveries(viewer, sub.ID, 0, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 1 || ds[0].Succeeded || ds[0].StatusCode != 0 || ds[0].Error == "" {
			t.Fatalf("attempt recorded as %+v", ds)
		}
	})
}

// TestSubscriptionBoundUnderConcurrency: subscriptions of one
// organisation made at once never pass MaxSubscriptionsPerOrg.
func TestSubscriptionBoundUnderConcurrency(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		reg, _ := registrytest.Open(t, db)
		viewer := registrytest.As(t.Context(), "viewer", economy)
		const n = webhook.MaxSubscriptionsPerOrg + 10
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, _, errs[i] = reg.CreateSubscription(viewer, webhook.NewSubscription{URL: fmt.Sprintf("https://hooks.example.com/%d", i)})
			})
		}
		wg.Wait()
		made := 0
		for _, err := range errs {
			switch {
			case err == nil:
				made++
			case registry.KindOf(err) != registry.KindResourceExhausted:
				t.Fatalf("subscribing: %v", err)
			}
		}
		subs, _, err := reg.ListSubscriptions(viewer, 0, "")
		if err != nil {
			t.Fatal(err)
		}
		if made != webhook.MaxSubscriptionsPerOrg || len(subs) != made {
			t.Fatalf("%d subscriptions made, %d listed; want %d", made, len(subs), webhook.MaxSubscriptionsPerOrg)
		}
	})
}
