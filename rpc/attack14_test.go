package rpc_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect/v2"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/change"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// This file attacks the change feed, webhooks, audit proofs and known_at
// reads from outside, as a tester holding only tokens and the wire
// protocol would.

// maxAttackAnswer bounds any answer to a hostile request.
const maxAttackAnswer = 64 << 10

// leakPattern matches text that must never reach a caller: SQL, driver
// and Go runtime text.
var leakPattern = regexp.MustCompile(`(?i)\b(select|insert|update|delete)\b.*\b(from|into|set|where)\b|pq:|sqlstate|sqlite|syntax error at or near|: syntax error$|out of range for type|goroutine \d|panic|\.go:\d+|runtime\.|\bent: `)

// checkAttackAnswer checks that a refused JSON call answered with the
// code wanted, naming field (when given), bounded and without internals.
func checkAttackAnswer(t *testing.T, a jsonAnswer, code connect.Code, field string) {
	t.Helper()
	if len(a.body) > maxAttackAnswer {
		t.Errorf("answer is %d bytes, more than %d", len(a.body), maxAttackAnswer)
	}
	if m := leakPattern.Find(a.body); m != nil {
		t.Errorf("answer leaks %q: %.300s", m, a.body)
	}
	if code == 0 {
		if a.status != http.StatusOK {
			t.Errorf("status %d %s %q, want success", a.status, a.code, a.message)
		}
		return
	}
	if a.code != code.String() {
		t.Fatalf("answer %d %s %q (fields %q), want %s", a.status, a.code, a.message, a.fields, code)
	}
	if field == "" {
		return
	}
	for _, f := range a.fields {
		if f == field || strings.HasPrefix(f, field+"[") || strings.HasSuffix(f, "."+field) {
			return
		}
	}
	// The JSON codec names a field of the wrong type in its message.
	if strings.HasPrefix(a.message, "invalid JSON request") && strings.Contains(a.message, " "+field+":") {
		return
	}
	t.Errorf("answer %s %q names %q, want %s", a.code, a.message, a.fields, field)
}

// attackSubscribe subscribes url as c and fails the test on error.
func attackSubscribe(t *testing.T, c *rpctest.Clients, url string) *registryv1.CreateSubscriptionResponse {
	t.Helper()
	res, err := c.Webhook.CreateSubscription(t.Context(), &registryv1.CreateSubscriptionRequest{Url: url})
	if err != nil {
		t.Fatalf("fixture: subscribing %s: %v", url, err)
	}
	return res
}

// TestWebhookAttackHostileJSON sends WebhookService hostile JSON as
// callers from the strongest to the weakest token: every answer has the
// precise code (naming the field when it is invalid_argument), is bounded,
// and carries no SQL or Go text; another organisation's subscription is
// not found, and its id never appears in the answer.
func TestWebhookAttackHostileJSON(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		economy := env.As("issuer", "bureau:economy-it")
		code := testCreditCode(t, 14001)
		if _, err := economy.Enterprise.RegisterEnterprise(t.Context(), &registryv1.RegisterEnterpriseRequest{CreditCode: code, Name: "攻击测试企业"}); err != nil {
			t.Fatal(err)
		}
		// The other organisation's subscription, which no one below may see.
		theirs := attackSubscribe(t, env.As("member", "enterprise:"+code), "https://hooks.example.com/theirs").Subscription.Id
		// A member of an enterprise the registry never registered, and a
		// park viewer: the weakest tokens that still authenticate.
		tokens := map[string]string{
			"member of an unregistered enterprise": env.Token(principal("member", "enterprise:"+testCreditCode(t, 14999))),
			"park viewer":                          env.Token(principal("viewer", "park:nowhere")),
			"bureau viewer":                        env.Token(principal("viewer", "bureau:economy-it")),
		}
		changes, err := env.As("auditor", "auditor").Change.ListChanges(t.Context(), &registryv1.ListChangesRequest{PageSize: 1})
		if err != nil || changes.NextCursor == "" {
			t.Fatalf("fixture: the feed's first change: %v %v", changes, err)
		}
		huge := strings.Repeat("a", 1<<20)
		many := make([]string, 10000)
		for i := range many {
			many[i] = fmt.Sprintf("type-%d", i)
		}
		manyJSON, _ := json.Marshal(many)
		sameMany := make([]string, 10000)
		for i := range sameMany {
			types := change.EntityTypes()
			sameMany[i] = types[i%len(types)]
		}
		sameManyJSON, _ := json.Marshal(sameMany)

		const svc = "/registry.v1.WebhookService/"
		cases := []struct {
			name, method, body string
			code               connect.Code
			field              string
		}{
			{"misspelt url", "CreateSubscription", `{"uri":"https://hooks.example.com/a"}`, connect.CodeInvalidArgument, "uri"},
			{"misspelt entity types", "CreateSubscription", `{"url":"https://hooks.example.com/b","entityType":["enterprise"]}`, connect.CodeInvalidArgument, "entityType"},
			{"url of the wrong type", "CreateSubscription", `{"url":42}`, connect.CodeInvalidArgument, "url"},
			{"1 MiB url", "CreateSubscription", `{"url":"https://hooks.example.com/` + huge + `"}`, connect.CodeInvalidArgument, "url"},
			{"1 MiB host", "CreateSubscription", `{"url":"https://` + huge + `.example.com/"}`, connect.CodeInvalidArgument, "url"},
			{"10000 unknown entity types", "CreateSubscription", `{"url":"https://hooks.example.com/c","entityTypes":` + string(manyJSON) + `}`, connect.CodeInvalidArgument, "entity_types"},
			{"10000 known entity types, repeated", "CreateSubscription", `{"url":"https://hooks.example.com/d","entityTypes":` + string(sameManyJSON) + `}`, 0, ""},
			{"misspelt page size", "ListSubscriptions", `{"pageSise":5}`, connect.CodeInvalidArgument, "pageSise"},
			{"negative page size", "ListSubscriptions", `{"pageSize":-1}`, connect.CodeInvalidArgument, "page_size"},
			{"page size beyond int32", "ListSubscriptions", `{"pageSize":4294967296}`, connect.CodeInvalidArgument, "pageSize"},
			{"change cursor as page token", "ListSubscriptions", `{"pageToken":"` + changes.NextCursor + `"}`, connect.CodeInvalidArgument, "page_token"},
			{"1 MiB page token", "ListSubscriptions", `{"pageToken":"` + huge + `"}`, connect.CodeInvalidArgument, "page_token"},
			{"another organisation's subscription, deleted", "DeleteSubscription", `{"id":"` + theirs + `"}`, connect.CodeNotFound, ""},
			{"another organisation's subscription, its deliveries", "ListDeliveries", `{"subscriptionId":"` + theirs + `"}`, connect.CodeNotFound, ""},
			{"another organisation's subscription, redelivered", "RedeliverChange", `{"subscriptionId":"` + theirs + `","cursor":"` + changes.NextCursor + `"}`, connect.CodeNotFound, ""},
			{"1 MiB id", "DeleteSubscription", `{"id":"` + huge + `"}`, connect.CodeNotFound, ""},
			{"no id", "DeleteSubscription", `{}`, connect.CodeInvalidArgument, "id"},
			{"negative deliveries page size", "ListDeliveries", `{"subscriptionId":"` + theirs + `","pageSize":-5}`, connect.CodeInvalidArgument, "page_size"},
			{"bad redelivery cursor", "RedeliverChange", `{"subscriptionId":"` + theirs + `","cursor":"01"}`, connect.CodeInvalidArgument, "cursor"},
		}
		for who, token := range tokens {
			for _, tc := range cases {
				t.Run(who+"/"+tc.name, func(t *testing.T) {
					a := postJSON(t, env, token, svc+tc.method, "application/json", tc.body)
					checkAttackAnswer(t, a, tc.code, tc.field)
					if bytes.Contains(a.body, []byte(theirs)) && !strings.Contains(tc.body, theirs) {
						t.Errorf("answer reveals the other organisation's subscription: %.300s", a.body)
					}
					if strings.Contains(tc.body, theirs) && bytes.Contains(a.body, []byte("enterprise:"+code)) {
						t.Errorf("answer reveals the owner of the other organisation's subscription: %.300s", a.body)
					}
				})
			}
			t.Run(who+"/list shows only its own", func(t *testing.T) {
				a := postJSON(t, env, token, svc+"ListSubscriptions", "application/json", `{"pageSize":500}`)
				checkAttackAnswer(t, a, 0, "")
				if bytes.Contains(a.body, []byte(theirs)) {
					t.Errorf("ListSubscriptions shows the other organisation's subscription: %.300s", a.body)
				}
			})
		}
		t.Run("no token", func(t *testing.T) {
			a := postJSON(t, env, "", svc+"CreateSubscription", "application/json", `{"url":"https://hooks.example.com/none"}`)
			checkAttackAnswer(t, a, connect.CodeUnauthenticated, "")
		})
		// The other organisation's subscription survived all of it.
		list, err := env.As("member", "enterprise:"+code).Webhook.ListSubscriptions(t.Context(), &registryv1.ListSubscriptionsRequest{})
		if err != nil || len(list.Subscriptions) != 1 || list.Subscriptions[0].Id != theirs {
			t.Errorf("the other organisation's subscriptions after the attack: %v, %v", list, err)
		}
	})
}

// TestWebhookAttackIdempotentSecret creates a subscription twice with one
// Idempotency-Key: the second answer replays the first, secret included,
// without a second subscription; and the raw secret (as given, its
// base64 and its bytes) is in no column of any table afterwards.
func TestWebhookAttackIdempotentSecret(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		token := env.Token(principal("member", "enterprise:"+testCreditCode(t, 14002)))
		call := func(key string) (*registryv1.CreateSubscriptionResponse, error) {
			c := env.ClientsWithToken(token)
			return c.Webhook.CreateSubscription(withKey(t.Context(), key), &registryv1.CreateSubscriptionRequest{Url: "https://hooks.example.com/idem"})
		}
		first, err := call("attack14-key")
		if err != nil {
			t.Fatal(err)
		}
		second, err := call("attack14-key")
		if err != nil {
			t.Fatalf("retry with the same key: %v", err)
		}
		if second.Subscription.Id != first.Subscription.Id || second.Secret != first.Secret {
			t.Errorf("retry answered %s with secret %q..., want the first answer %s", second.Subscription.Id, second.Secret[:10], first.Subscription.Id)
		}
		// Another key is another request: the URL is taken.
		if _, err := call("attack14-other"); rpctest.Code(err) != connect.CodeAlreadyExists {
			t.Errorf("another key for the same URL = %v, want already_exists", err)
		}
		list, err := env.ClientsWithToken(token).Webhook.ListSubscriptions(t.Context(), &registryv1.ListSubscriptionsRequest{})
		if err != nil || len(list.Subscriptions) != 1 {
			t.Fatalf("subscriptions after the retry: %v, %v", list, err)
		}

		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(first.Secret, "whsec_"))
		if err != nil || len(raw) < 24 {
			t.Fatalf("secret %q... is not whsec_ and base64: %v", first.Secret[:10], err)
		}
		needles := map[string][]byte{
			"secret":                 []byte(first.Secret),
			"its base64":             []byte(strings.TrimPrefix(first.Secret, "whsec_")),
			"its base64url":          []byte(base64.RawURLEncoding.EncodeToString(raw)),
			"its bytes":              raw,
			"its hex":                []byte(hex.EncodeToString(raw)),
			"first 16 of its base64": []byte(strings.TrimPrefix(first.Secret, "whsec_")[:16]),
		}
		conn := storetest.OpenSQL(t, db)
		for table, rows := range dumpTables(t, db, conn) {
			for _, row := range rows {
				for col, v := range row {
					for what, n := range needles {
						if bytes.Contains(v, n) || what == "its hex" && bytes.Contains(bytes.ToLower(v), n) {
							t.Errorf("%s.%s holds the subscription's %s", table, col, what)
						}
					}
				}
			}
		}
	})
}

// dumpTables reads every row of every table of db, each column as the
// bytes the driver gives (text, blob, or the decimal form of a number).
func dumpTables(t *testing.T, db storetest.Database, conn *sql.DB) map[string][]map[string][]byte {
	t.Helper()
	q := "SELECT name FROM sqlite_master WHERE type = 'table'"
	if db.Name != "sqlite" {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
	}
	names, err := conn.QueryContext(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for names.Next() {
		var n string
		if err := names.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	if err := names.Err(); err != nil {
		t.Fatal(err)
	}
	names.Close()
	if len(tables) < 5 {
		t.Fatalf("found only the tables %q", tables)
	}
	out := map[string][]map[string][]byte{}
	for _, table := range tables {
		out[table] = storetest.Rows(t, conn, `SELECT * FROM "`+table+`"`)
	}
	return out
}

// principal names a caller by role and organisation.
func principal(role, org string) registry.Principal {
	return registry.Principal{Subject: role + "@" + org, Org: org, Role: role}
}

// TestWebhookAttackConcurrentSameURL subscribes one organisation to one
// URL from 20 calls at once: exactly one succeeds, the others are
// already_exists (never internal, aborted or a second subscription).
func TestWebhookAttackConcurrentSameURL(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		token := env.Token(principal("member", "enterprise:"+testCreditCode(t, 14003)))
		const n = 20
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			c := env.ClientsWithToken(token)
			wg.Go(func() {
				<-start
				_, errs[i] = c.Webhook.CreateSubscription(t.Context(), &registryv1.CreateSubscriptionRequest{Url: "https://hooks.example.com/race"})
			})
		}
		close(start)
		wg.Wait()
		ok := 0
		for i, err := range errs {
			switch rpctest.Code(err) {
			case 0:
				ok++
			case connect.CodeAlreadyExists:
			default:
				t.Errorf("call %d: %v, want success or already_exists", i, err)
			}
		}
		if ok != 1 {
			t.Errorf("%d calls succeeded, want 1", ok)
		}
		list, err := env.ClientsWithToken(token).Webhook.ListSubscriptions(t.Context(), &registryv1.ListSubscriptionsRequest{})
		if err != nil || len(list.Subscriptions) != 1 {
			t.Errorf("subscriptions after the race: %v, %v", list, err)
		}
	})
}

// TestAuditAttackProofSizes asks for proofs of absurd sizes without a
// token: each is invalid_argument naming the field, bounded, with no
// internals; sensible sizes still prove.
func TestAuditAttackProofSizes(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		economy := env.As("issuer", "bureau:economy-it")
		for i := range 3 {
			if _, err := economy.Enterprise.RegisterEnterprise(t.Context(), &registryv1.RegisterEnterpriseRequest{CreditCode: testCreditCode(t, 14010+i), Name: "证明企业"}); err != nil {
				t.Fatal(err)
			}
		}
		cp, err := env.ClientsWithToken("").Audit.GetCheckpoint(t.Context(), &registryv1.GetCheckpointRequest{})
		if err != nil || cp.TreeSize < 3 {
			t.Fatalf("checkpoint: %v, %v", cp, err)
		}
		size := fmt.Sprint(cp.TreeSize)
		const audit = "/registry.v1.AuditService/"
		cases := []struct {
			name, method, body string
			code               connect.Code
			field              string
		}{
			{"inclusion of 0", "GetInclusionProof", `{"sequence":0}`, connect.CodeInvalidArgument, "sequence"},
			{"inclusion of -1", "GetInclusionProof", `{"sequence":"-1"}`, connect.CodeInvalidArgument, "sequence"},
			{"inclusion beyond the tree", "GetInclusionProof", `{"sequence":"` + fmt.Sprint(cp.TreeSize+1) + `"}`, connect.CodeInvalidArgument, "sequence"},
			{"inclusion of max int64", "GetInclusionProof", `{"sequence":"9223372036854775807"}`, connect.CodeInvalidArgument, "sequence"},
			{"inclusion of min int64", "GetInclusionProof", `{"sequence":"-9223372036854775808"}`, connect.CodeInvalidArgument, "sequence"},
			{"inclusion beyond int64", "GetInclusionProof", `{"sequence":"9223372036854775808"}`, connect.CodeInvalidArgument, "sequence"},
			{"inclusion in a negative tree", "GetInclusionProof", `{"sequence":"1","treeSize":"-1"}`, connect.CodeInvalidArgument, "tree_size"},
			{"inclusion in a tree beyond the head", "GetInclusionProof", `{"sequence":"1","treeSize":"` + fmt.Sprint(cp.TreeSize+1) + `"}`, connect.CodeInvalidArgument, "tree_size"},
			{"inclusion in a huge tree", "GetInclusionProof", `{"sequence":"1","treeSize":"9223372036854775807"}`, connect.CodeInvalidArgument, "tree_size"},
			{"inclusion in min int64 tree", "GetInclusionProof", `{"sequence":"1","treeSize":"-9223372036854775808"}`, connect.CodeInvalidArgument, "tree_size"},
			{"inclusion, misspelt field", "GetInclusionProof", `{"seq":"1"}`, connect.CodeInvalidArgument, "seq"},
			{"inclusion of a fraction", "GetInclusionProof", `{"sequence":1.5}`, connect.CodeInvalidArgument, "sequence"},
			{"inclusion of the last", "GetInclusionProof", `{"sequence":"` + size + `","treeSize":"` + size + `"}`, 0, ""},
			{"consistency from 0", "GetConsistencyProof", `{"oldSize":"0"}`, connect.CodeInvalidArgument, "old_size"},
			{"consistency from -1", "GetConsistencyProof", `{"oldSize":"-1"}`, connect.CodeInvalidArgument, "old_size"},
			{"consistency from beyond", "GetConsistencyProof", `{"oldSize":"` + fmt.Sprint(cp.TreeSize+1) + `"}`, connect.CodeInvalidArgument, "old_size"},
			{"consistency from max int64", "GetConsistencyProof", `{"oldSize":"9223372036854775807"}`, connect.CodeInvalidArgument, "old_size"},
			{"consistency to a negative size", "GetConsistencyProof", `{"oldSize":"1","newSize":"-1"}`, connect.CodeInvalidArgument, "new_size"},
			{"consistency to beyond the head", "GetConsistencyProof", `{"oldSize":"1","newSize":"` + fmt.Sprint(cp.TreeSize+1) + `"}`, connect.CodeInvalidArgument, "new_size"},
			{"consistency to max int64", "GetConsistencyProof", `{"oldSize":"1","newSize":"9223372036854775807"}`, connect.CodeInvalidArgument, "new_size"},
			{"consistency, old after new", "GetConsistencyProof", `{"oldSize":"3","newSize":"2"}`, connect.CodeInvalidArgument, "old_size"},
			{"consistency of the tree with itself", "GetConsistencyProof", `{"oldSize":"` + size + `","newSize":"` + size + `"}`, 0, ""},
			{"consistency from 1", "GetConsistencyProof", `{"oldSize":"1"}`, 0, ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				checkAttackAnswer(t, postJSON(t, env, "", audit+tc.method, "application/json", tc.body), tc.code, tc.field)
			})
		}
	})
}

// TestDesignationAttackKnownAt reads a designation and lists them known
// at instants far in the future and the past, and with malformed as_of
// and known_at: the answers are precise (a future known_at answers as
// now, a past one before the grant is not found, a malformed one is
// invalid_argument naming the field), never internal.
func TestDesignationAttackKnownAt(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		economy := env.As("issuer", "bureau:economy-it")
		code := testCreditCode(t, 14020)
		if _, err := economy.Enterprise.RegisterEnterprise(t.Context(), &registryv1.RegisterEnterpriseRequest{CreditCode: code, Name: "时点攻击企业"}); err != nil {
			t.Fatal(err)
		}
		g, err := economy.Designation.GrantDesignation(t.Context(), &registryv1.GrantDesignationRequest{
			Type: "little-giant", EnterpriseCreditCode: code, ValidFrom: "2026-01-01", ValidUntil: "2027-12-31", DocumentNumber: "工信部企业函〔2026〕A14号",
		})
		if err != nil {
			t.Fatal(err)
		}
		id := g.Designation.Id
		auditor := env.Token(principal("auditor", "auditor"))
		const svc = "/registry.v1.DesignationService/"
		cases := []struct {
			name, method, body string
			code               connect.Code
			field              string
		}{
			{"known in 9999", "GetDesignation", `{"id":"` + id + `","knownAt":"9999-12-31T23:59:59Z"}`, 0, ""},
			{"known in year 1", "GetDesignation", `{"id":"` + id + `","knownAt":"0001-01-01T00:00:00Z"}`, connect.CodeInvalidArgument, "known_at"},
			{"known in year 1, a second later", "GetDesignation", `{"id":"` + id + `","knownAt":"0001-01-01T00:00:01Z"}`, connect.CodeInvalidArgument, "known_at"},
			{"known in 1899", "GetDesignation", `{"id":"` + id + `","knownAt":"1899-12-31T23:59:59Z"}`, connect.CodeInvalidArgument, "known_at"},
			{"known in 1900", "GetDesignation", `{"id":"` + id + `","knownAt":"1900-01-01T00:00:00Z"}`, connect.CodeNotFound, ""},
			{"known at the epoch", "GetDesignation", `{"id":"` + id + `","knownAt":"1970-01-01T00:00:00Z"}`, connect.CodeNotFound, ""},
			// protojson names no field for a timestamp it cannot read.
			{"known in year 10000", "GetDesignation", `{"id":"` + id + `","knownAt":"10000-01-01T00:00:00Z"}`, connect.CodeInvalidArgument, ""},
			{"known at a date only", "GetDesignation", `{"id":"` + id + `","knownAt":"2026-06-15"}`, connect.CodeInvalidArgument, ""},
			{"known at a number", "GetDesignation", `{"id":"` + id + `","knownAt":1781000000}`, connect.CodeInvalidArgument, ""},
			{"known at an object", "GetDesignation", `{"id":"` + id + `","knownAt":{"seconds":"-99999999999999"}}`, connect.CodeInvalidArgument, ""},
			{"known at with a bad offset", "GetDesignation", `{"id":"` + id + `","knownAt":"2026-06-15T12:00:00+25:00"}`, connect.CodeInvalidArgument, ""},
			{"as of without dashes", "GetDesignation", `{"id":"` + id + `","asOf":"20260615"}`, connect.CodeInvalidArgument, "as_of"},
			{"as of a timestamp", "GetDesignation", `{"id":"` + id + `","asOf":"2026-06-15T00:00:00Z"}`, connect.CodeInvalidArgument, "as_of"},
			{"as of February 30th", "GetDesignation", `{"id":"` + id + `","asOf":"2026-02-30"}`, connect.CodeInvalidArgument, "as_of"},
			{"as of year 0", "GetDesignation", `{"id":"` + id + `","asOf":"0000-01-01"}`, connect.CodeInvalidArgument, "as_of"},
			{"as of 1 MiB", "GetDesignation", `{"id":"` + id + `","asOf":"` + strings.Repeat("9", 1<<20) + `"}`, connect.CodeInvalidArgument, "as_of"},
			{"as of a number", "GetDesignation", `{"id":"` + id + `","asOf":20260615}`, connect.CodeInvalidArgument, "asOf"},
			{"as of 2999, known in 9999", "GetDesignation", `{"id":"` + id + `","asOf":"2999-12-31","knownAt":"9999-12-31T23:59:59Z"}`, 0, ""},
			{"as of 9999", "GetDesignation", `{"id":"` + id + `","asOf":"9999-12-31"}`, connect.CodeInvalidArgument, "as_of"},
			{"as of year 1900, known in year 1", "GetDesignation", `{"id":"` + id + `","asOf":"1900-01-01","knownAt":"0001-01-01T00:00:00Z"}`, connect.CodeInvalidArgument, "known_at"},
			{"list known in 9999", "ListDesignations", `{"knownAt":"9999-12-31T23:59:59Z"}`, 0, ""},
			{"list known in 1900", "ListDesignations", `{"knownAt":"1900-01-01T00:00:00Z"}`, 0, ""},
			{"list known in year 1", "ListDesignations", `{"knownAt":"0001-01-01T00:00:00Z"}`, connect.CodeInvalidArgument, "known_at"},
			{"list known in 1066", "ListDesignations", `{"knownAt":"1066-10-14T09:00:00Z","asOf":"1900-01-01"}`, connect.CodeInvalidArgument, "known_at"},
			{"list as of 2999", "ListDesignations", `{"asOf":"2999-12-31"}`, 0, ""},
			{"list as of 9999", "ListDesignations", `{"asOf":"9999-12-31"}`, connect.CodeInvalidArgument, "as_of"},
			{"list as of malformed", "ListDesignations", `{"asOf":"2026-13-01"}`, connect.CodeInvalidArgument, "as_of"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				checkAttackAnswer(t, postJSON(t, env, auditor, svc+tc.method, "application/json", tc.body), tc.code, tc.field)
			})
		}
		c := env.ClientsWithToken(auditor)
		t.Run("1900 lists nothing, 9999 lists it as now", func(t *testing.T) {
			for year, want := range map[int]int{1900: 0, 9999: 1} {
				res, err := c.Designation.ListDesignations(t.Context(), &registryv1.ListDesignationsRequest{KnownAt: timestamppb.New(time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC))})
				if err != nil || len(res.Designations) != want {
					t.Errorf("known in %d: %v, %v; want %d designations", year, res, err, want)
				}
			}
		})
		// Binary protobuf carries timestamps JSON cannot: out of range, or
		// with nanoseconds beyond a second. They are refused naming
		// known_at, never answered nor internal.
		for _, ts := range []*timestamppb.Timestamp{
			{Seconds: -1 << 62}, {Seconds: 1 << 62}, {Seconds: 1781000000, Nanos: -1}, {Seconds: 1781000000, Nanos: 2e9},
			{Seconds: -62135596801}, {Seconds: 253402300800},
		} {
			t.Run(fmt.Sprintf("binary known_at %d.%d", ts.Seconds, ts.Nanos), func(t *testing.T) {
				_, err := c.Designation.GetDesignation(t.Context(), &registryv1.GetDesignationRequest{Id: id, KnownAt: ts})
				checkBinaryKnownAt(t, "GetDesignation", err)
				_, err = c.Designation.ListDesignations(t.Context(), &registryv1.ListDesignationsRequest{KnownAt: ts})
				checkBinaryKnownAt(t, "ListDesignations", err)
			})
		}
	})
}

// checkBinaryKnownAt wants an invalid known_at refused naming it.
func checkBinaryKnownAt(t *testing.T, method string, err error) {
	t.Helper()
	if rpctest.Code(err) != connect.CodeInvalidArgument {
		t.Errorf("%s = %v, want invalid_argument", method, err)
		return
	}
	if _, ok := fieldViolation(t, err, "known_at"); !ok {
		t.Errorf("%s = %v, want a violation of known_at", method, err)
	}
	if m := leakPattern.FindString(err.Error()); m != "" {
		t.Errorf("%s leaks %q: %v", method, m, err)
	}
}

// TestChangeAttackBadCursor watches and lists the feed after cursors
// that are not cursors: each is invalid_argument naming after_cursor,
// before any change is sent.
func TestChangeAttackBadCursor(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		c := env.As("auditor", "auditor")
		for _, cursor := range []string{"-1", "01", "abc", "1.0", "+1", " 1", "1 ", "0x10", "9223372036854775808", "1e3", "１", strings.Repeat("9", 1<<16)} {
			t.Run(fmt.Sprintf("%.20q", cursor), func(t *testing.T) {
				stream, err := c.Change.WatchChanges(t.Context(), &registryv1.WatchChangesRequest{AfterCursor: cursor})
				if err == nil {
					var msg *registryv1.WatchChangesResponse
					if msg, err = stream.Receive(); err == nil {
						t.Errorf("watch after %.20q sent %v", cursor, msg)
					}
					stream.Close()
				}
				if rpctest.Code(err) != connect.CodeInvalidArgument {
					t.Fatalf("watch after %.20q = %v, want invalid_argument", cursor, err)
				}
				if _, ok := fieldViolation(t, err, "after_cursor"); !ok {
					t.Errorf("watch after %.20q = %v, want a violation of after_cursor", cursor, err)
				}
				if len(err.Error()) > 4096 {
					t.Errorf("watch refusal is %d bytes long", len(err.Error()))
				}
				_, err = c.Change.ListChanges(t.Context(), &registryv1.ListChangesRequest{AfterCursor: cursor})
				if _, ok := fieldViolation(t, err, "after_cursor"); rpctest.Code(err) != connect.CodeInvalidArgument || !ok {
					t.Errorf("list after %.20q = %v, want invalid_argument naming after_cursor", cursor, err)
				}
			})
		}
		// A cursor past the head is a cursor: the watch waits for it.
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		stream, err := c.Change.WatchChanges(ctx, &registryv1.WatchChangesRequest{AfterCursor: "9223372036854775807"})
		if err == nil {
			var msg *registryv1.WatchChangesResponse
			if msg, err = stream.Receive(); err == nil {
				t.Errorf("watch after the largest cursor sent %v", msg)
			}
			stream.Close()
		}
		if code := rpctest.Code(err); code != connect.CodeDeadlineExceeded && code != connect.CodeCanceled && code != 0 {
			t.Errorf("watch after the largest cursor = %v, want it to wait", err)
		}
	})
}

// TestAuditAttackSince lists the audit trail since instants a binary
// request can carry and JSON cannot: out of google.protobuf.Timestamp's
// range, or with nanoseconds outside a second. Each is invalid_argument
// naming since, never internal; valid extremes list everything or nothing.
func TestAuditAttackSince(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		auditor := env.As("auditor", "auditor")
		if _, err := env.As("issuer", "bureau:economy-it").Enterprise.RegisterEnterprise(t.Context(), &registryv1.RegisterEnterpriseRequest{CreditCode: testCreditCode(t, 14030), Name: "审计时点企业"}); err != nil {
			t.Fatal(err)
		}
		for _, ts := range []*timestamppb.Timestamp{
			{Seconds: -1 << 62}, {Seconds: 1 << 62}, {Seconds: 1781000000, Nanos: -1}, {Seconds: 1781000000, Nanos: 2e9},
			{Seconds: -62135596801}, {Seconds: 253402300800},
		} {
			t.Run(fmt.Sprintf("since %d.%d", ts.Seconds, ts.Nanos), func(t *testing.T) {
				_, err := auditor.Audit.ListAuditEvents(t.Context(), &registryv1.ListAuditEventsRequest{Since: ts})
				if _, ok := fieldViolation(t, err, "since"); rpctest.Code(err) != connect.CodeInvalidArgument || !ok {
					t.Errorf("ListAuditEvents since %v = %v, want invalid_argument naming since", ts, err)
				}
			})
		}
		for _, tc := range []struct {
			since *timestamppb.Timestamp
			some  bool
		}{{timestamppb.New(time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)), true}, {timestamppb.New(time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)), false}} {
			res, err := auditor.Audit.ListAuditEvents(t.Context(), &registryv1.ListAuditEventsRequest{Since: tc.since})
			if err != nil || (len(res.Events) > 0) != tc.some {
				t.Errorf("ListAuditEvents since %v = %d events, %v; want some: %v", tc.since.AsTime(), len(res.GetEvents()), err, tc.some)
			}
		}
	})
}

// TestWebhookAttackForeignPageToken passes ListSubscriptions the page
// token of another list (enterprises, by credit code). It is a token this
// registry returned, though not for this list: it must be refused as
// page_token, not read as a position in the subscriptions (page tokens
// are sealed over their key alone today, so a foreign one answers the
// first page as if no token had been given).
func TestWebhookAttackForeignPageToken(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		economy := env.As("issuer", "bureau:economy-it")
		for i := range 2 {
			if _, err := economy.Enterprise.RegisterEnterprise(t.Context(), &registryv1.RegisterEnterpriseRequest{CreditCode: testCreditCode(t, 14040+i), Name: "翻页企业"}); err != nil {
				t.Fatal(err)
			}
		}
		page, err := economy.Enterprise.ListEnterprises(t.Context(), &registryv1.ListEnterprisesRequest{PageSize: 1})
		if err != nil || page.NextPageToken == "" {
			t.Fatalf("fixture: a page token of enterprises: %v, %v", page, err)
		}
		member := env.As("member", "enterprise:"+testCreditCode(t, 14040))
		for i := range 3 {
			attackSubscribe(t, member, fmt.Sprintf("https://hooks.example.com/page/%d", i))
		}
		res, err := member.Webhook.ListSubscriptions(t.Context(), &registryv1.ListSubscriptionsRequest{PageToken: page.NextPageToken})
		if _, ok := fieldViolation(t, err, "page_token"); rpctest.Code(err) != connect.CodeInvalidArgument || !ok {
			t.Errorf("ListSubscriptions with an enterprises page token = %d subscriptions, %v; want invalid_argument naming page_token", len(res.GetSubscriptions()), err)
		}
	})
}

// TestWebhookAttackSameURLSpelledOtherwise subscribes one organisation to
// one endpoint spelled otherwise: the host in capitals, the default port
// written out. These are the same URL (RFC 3986, 6.2.2.1 and 6.2.3), so
// each second subscription already exists. (Today the URL is compared as
// url.URL.String gives it, which keeps both spellings: the rule of one
// live subscription per URL is bypassed.)
func TestWebhookAttackSameURLSpelledOtherwise(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		member := env.As("member", "enterprise:"+testCreditCode(t, 14050))
		attackSubscribe(t, member, "https://hooks.example.com/same")
		for _, u := range []string{"HTTPS://hooks.example.com/same", "https://HOOKS.example.com/same", "https://hooks.example.com:443/same"} {
			t.Run(u, func(t *testing.T) {
				res, err := member.Webhook.CreateSubscription(t.Context(), &registryv1.CreateSubscriptionRequest{Url: u})
				if rpctest.Code(err) != connect.CodeAlreadyExists {
					t.Errorf("subscribing %s again = %v, %v; want already_exists", u, res.GetSubscription().GetUrl(), err)
				}
			})
		}
	})
}
