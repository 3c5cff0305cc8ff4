package rpc_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect/v2"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/access"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/rpc"
	"github.com/hangzhou-ai/registry/rpc/client"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// feedCode is the i-th credit code of the feed's tests.
func feedCode(t *testing.T, i int) string {
	return registrytest.CreditCode(t, fmt.Sprintf("91330106MA27Y%04d", i))
}

// registerEnterprises registers enterprises from..to-1 through reg.
func registerEnterprises(t *testing.T, reg *registry.Registry, from, to int) {
	t.Helper()
	economy := registrytest.As(t.Context(), "issuer", "bureau:economy-it")
	for i := from; i < to; i++ {
		if _, err := reg.RegisterEnterprise(economy, enterprise.NewEnterprise{CreditCode: feedCode(t, i), Name: fmt.Sprintf("企业%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
}

// awaitFeed polls cond until it holds; a minute without is a failure.
func awaitFeed(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type watchStream = interface {
	Receive() (*registryv1.WatchChangesResponse, error)
	Close() error
}

// receiveEnterprises receives n changes and checks they are enterprises
// from..from+n-1, in order; it returns the last cursor.
func receiveEnterprises(t *testing.T, s watchStream, from, n int) string {
	t.Helper()
	cursor := ""
	for i := range n {
		res, err := s.Receive()
		if err != nil {
			t.Fatalf("change %d: %v", i, err)
		}
		c := res.Change
		if want := feedCode(t, from+i); c.EntityId != want || c.After.GetEnterprise().GetCreditCode() != want {
			t.Fatalf("change %d is %s of %s, want enterprise %s", i, c.Action, c.EntityId, want)
		}
		if c.Id != "chg_"+c.Cursor {
			t.Fatalf("change id %s, cursor %s", c.Id, c.Cursor)
		}
		cursor = c.Cursor
	}
	return cursor
}

// TestWatchChangesBacklogLiveAndRestart: a watch gets its backlog, then a
// change made while it is open; a server that shuts down ends it with
// unavailable, naming the last cursor; watching the restarted server from
// that cursor gives exactly the rest.
func TestWatchChangesBacklogLiveAndRestart(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		registerEnterprises(t, env.Registry, 0, 3)
		auditor := env.As("auditor", "auditor")
		stream, err := auditor.Change.WatchChanges(t.Context(), &registryv1.WatchChangesRequest{EntityTypes: []string{"enterprise"}})
		if err != nil {
			t.Fatal(err)
		}
		defer stream.Close()
		receiveEnterprises(t, stream, 0, 3)
		awaitFeed(t, "the watch live", func() bool { return env.Registry.WatchStats().Live == 1 })
		registerEnterprises(t, env.Registry, 3, 4)
		last := receiveEnterprises(t, stream, 3, 1)

		env.Stop()
		_, err = stream.Receive()
		if rpctest.Code(err) != connect.CodeUnavailable || !strings.Contains(err.Error(), "after cursor "+last) {
			t.Fatalf("at shutdown the watch ended with %v; want unavailable naming cursor %s", err, last)
		}
		// Changes committed while no server runs are not lost.
		registerEnterprises(t, env.Registry, 4, 6)
		again := rpctest.New(t, db)
		resumed, err := again.As("auditor", "auditor").Change.WatchChanges(t.Context(), &registryv1.WatchChangesRequest{AfterCursor: last, EntityTypes: []string{"enterprise"}})
		if err != nil {
			t.Fatal(err)
		}
		defer resumed.Close()
		receiveEnterprises(t, resumed, 4, 2)
		awaitFeed(t, "the resumed watch live", func() bool { return again.Registry.WatchStats().Live == 1 })
		registerEnterprises(t, again.Registry, 6, 7)
		receiveEnterprises(t, resumed, 6, 1)
	})
}

// TestWatchChangesOtherProcess: a change another process commits reaches
// a live watch: heard through PostgreSQL's notification, or found on
// SQLite within core.MaxStaleness.
func TestWatchChangesOtherProcess(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		other, _ := registrytest.Open(t, db) // a second registry process on the same database
		stream, err := env.As("auditor", "auditor").Change.WatchChanges(t.Context(), &registryv1.WatchChangesRequest{EntityTypes: []string{"enterprise"}})
		if err != nil {
			t.Fatal(err)
		}
		defer stream.Close()
		awaitFeed(t, "the watch live", func() bool { return env.Registry.WatchStats().Live == 1 })
		registerEnterprises(t, other, 0, 2)
		receiveEnterprises(t, stream, 0, 2)
	})
}

// TestWatchChangesSlowConsumer: a client that stops reading is dropped
// once the changes waiting for it overflow the registry's buffer, which
// never holds more than its bound; the client then gets what was sent and
// resource_exhausted naming its last cursor, and polling from there gives
// exactly the rest.
func TestWatchChangesSlowConsumer(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.NewWithOptions(t, db, rpc.WithLimits(rpc.Limits{MaxCallDuration: time.Minute}),
			rpc.WithWatchLimits(rpc.WatchLimits{SendTimeout: 10 * time.Minute}))
		const bound = 4
		env.Registry.Changes.WatchBuffer = bound
		// A small receive window, so that a few hundred unread changes
		// fill it and the server's sends block.
		protocols := new(http.Protocols)
		protocols.SetUnencryptedHTTP2(true)
		small := &http.Client{Transport: &http.Transport{Protocols: protocols,
			HTTP2: &http.HTTP2Config{MaxReceiveBufferPerConnection: 64 << 10, MaxReceiveBufferPerStream: 64 << 10}}}
		token := env.Token(registry.Principal{Subject: "slow", Org: "auditor", Role: "auditor"})
		changes := client.NewClients(small, env.URL, client.WithInterceptors(client.BearerAuth(token))).Change
		stream, err := changes.WatchChanges(t.Context(), &registryv1.WatchChangesRequest{EntityTypes: []string{"enterprise"}})
		if err != nil {
			t.Fatal(err)
		}
		defer stream.Close()
		awaitFeed(t, "the watch live", func() bool { return env.Registry.WatchStats().Live == 1 })
		n := 0
		for env.Registry.WatchStats().Live == 1 {
			if n >= 5000 {
				t.Fatalf("a client that reads nothing still watches after %d changes", n)
			}
			registerEnterprises(t, env.Registry, n, n+50)
			n += 50
		}
		if peak := env.Registry.WatchStats().PeakBuffered; peak > bound {
			t.Fatalf("a watch's buffer held %d changes, bound %d", peak, bound)
		}
		got := 0
		last := ""
		for {
			res, err := stream.Receive()
			if err != nil {
				if rpctest.Code(err) != connect.CodeResourceExhausted || !strings.Contains(err.Error(), "resume after cursor "+last) {
					t.Fatalf("the slow watch ended with %v; want resource_exhausted naming cursor %s", err, last)
				}
				break
			}
			if want := feedCode(t, got); res.Change.EntityId != want {
				t.Fatalf("change %d is of %s, want %s", got, res.Change.EntityId, want)
			}
			got++
			last = res.Change.Cursor
		}
		if got == 0 || got >= n {
			t.Fatalf("the slow watch got %d of %d changes", got, n)
		}
		for cursor := last; ; {
			res, err := changes.ListChanges(t.Context(), &registryv1.ListChangesRequest{AfterCursor: cursor, EntityTypes: []string{"enterprise"}, PageSize: 100})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Changes) == 0 {
				break
			}
			for _, c := range res.Changes {
				if want := feedCode(t, got); c.EntityId != want {
					t.Fatalf("polled change %d is of %s, want %s", got, c.EntityId, want)
				}
				got++
			}
			cursor = res.NextCursor
		}
		if got != n {
			t.Fatalf("watched and polled %d changes, want %d", got, n)
		}
	})
}

// TestWatchChangesRevokedToken: a watch ends, unauthenticated, once its
// token is revoked.
func TestWatchChangesRevokedToken(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		admin := registry.Principal{Subject: "rpctest", Org: "admin", Role: "admin"}
		raw, tok, err := env.Registry.IssueToken(t.Context(), admin, access.NewToken{Subject: "watcher", Org: "auditor", Role: "auditor"})
		if err != nil {
			t.Fatal(err)
		}
		stream, err := env.ClientsWithToken(raw).Change.WatchChanges(t.Context(), &registryv1.WatchChangesRequest{})
		if err != nil {
			t.Fatal(err)
		}
		defer stream.Close()
		awaitFeed(t, "the watch live", func() bool { return env.Registry.WatchStats().Live == 1 })
		if _, err := env.Registry.RevokeToken(t.Context(), admin, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := stream.Receive(); rpctest.Code(err) != connect.CodeUnauthenticated {
			t.Fatalf("after revocation the watch ended with %v, want unauthenticated", err)
		}
		awaitFeed(t, "the watch released", func() bool { return env.Registry.WatchStats().Open == 0 })
	})
}

// TestChangeJSON: ChangeJSON is the change as the API's JSON shows it.
func TestChangeJSON(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		registerEnterprises(t, env.Registry, 0, 1)
		res, err := env.As("auditor", "auditor").Change.ListChanges(t.Context(), &registryv1.ListChangesRequest{})
		if err != nil || len(res.Changes) != 1 {
			t.Fatalf("ListChanges: %v, %v", res, err)
		}
		auditor := registry.Principal{Subject: "a", Org: "auditor", Role: "auditor"}
		feed, err := env.Registry.ChangesFor(t.Context(), auditor, 0, nil, 10)
		if err != nil || len(feed) != 1 {
			t.Fatalf("ChangesFor: %v, %v", feed, err)
		}
		body, err := rpc.ChangeJSON(feed[0])
		if err != nil {
			t.Fatal(err)
		}
		again, err := rpc.ChangeJSON(feed[0])
		if err != nil || string(again) != string(body) {
			t.Fatalf("ChangeJSON is not stable: %s, then %s", body, again)
		}
		var decoded registryv1.Change
		if err := protojson.Unmarshal(body, &decoded); err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(&decoded, res.Changes[0]) {
			t.Fatalf("ChangeJSON %s is not the API's change %v", body, res.Changes[0])
		}
		var fields map[string]any
		if err := json.Unmarshal(body, &fields); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"cursor", "id", "occurredAt", "action", "entityType", "entityId", "actorOrg", "after"} {
			if _, ok := fields[name]; !ok {
				t.Errorf("ChangeJSON has no %s: %s", name, body)
			}
		}
		if ent := fields["after"].(map[string]any)["enterprise"].(map[string]any); ent["registeredOn"] != "" {
			t.Errorf("an empty field is not written as the API writes it: %s", body)
		}
	})
}
