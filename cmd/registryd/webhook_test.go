package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect/v2"
	"connectrpc.com/connect/v2/connectproto"
	"google.golang.org/genproto/googleapis/rpc/errdetails"

	"github.com/hangzhou-ai/registry/ident"
	"github.com/hangzhou-ai/registry/rpc/client"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
	"github.com/hangzhou-ai/registry/webhook"
)

// TestServeDeliversWebhooks runs `registryd serve --demo` with the webhook
// flags a loopback receiver needs: a subscription made over the API gets
// the next change POSTed, signed with its secret, as the change's JSON
// with its webhook-id; without the flags the same URL is refused.
func TestServeDeliversWebhooks(t *testing.T) {
	type received struct {
		header http.Header
		body   []byte
	}
	var mu sync.Mutex
	var got []received
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, received{r.Header.Clone(), body})
		mu.Unlock()
	}))
	defer receiver.Close()

	serveWith := func(t *testing.T, flags ...string) (base string, tokens map[string]string, stop func()) {
		addr := freeAddr(t)
		dbURL := "sqlite:" + filepath.Join(t.TempDir(), "registry.db")
		ctx, cancel := context.WithCancel(t.Context())
		var stdout, stderr rpctest.SyncBuffer
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, append([]string{"serve", "--demo", "--addr", addr, "--database-url", dbURL}, flags...), env(nil), &stdout, &stderr)
		}()
		base = "http://" + addr
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			res, err := http.Post(base+"/grpc.health.v1.Health/Check", "application/json", strings.NewReader(`{}`))
			if err == nil {
				res.Body.Close()
				break
			}
			if time.Now().After(deadline) {
				cancel()
				t.Fatalf("serve did not start: %s", stderr.String())
			}
		}
		tokens = map[string]string{}
		for _, line := range strings.Split(stdout.String(), "\n")[1:] {
			if f := strings.Fields(line); len(f) == 3 {
				tokens[f[0]+"@"+f[1]] = f[2]
			}
		}
		return base, tokens, func() { stopServe(t, cancel, done) }
	}
	clients := func(base, token string) *client.Clients {
		return client.NewClients(http.DefaultClient, base, client.WithInterceptors(client.BearerAuth(token)))
	}

	t.Run("refused without the flags", func(t *testing.T) {
		base, tokens, stop := serveWith(t)
		defer stop()
		_, err := clients(base, tokens["viewer@bureau:economy-it"]).Webhook.CreateSubscription(t.Context(),
			&registryv1.CreateSubscriptionRequest{Url: receiver.URL})
		if rpctest.Code(err) != connect.CodeInvalidArgument || violation(err, "url") == "" {
			t.Fatalf("subscribing %s without --webhook-allow-http/-private: %v", receiver.URL, err)
		}
	})

	t.Run("delivered with the flags", func(t *testing.T) {
		base, tokens, stop := serveWith(t, "--webhook-allow-http", "--webhook-allow-private")
		defer stop()
		viewer := clients(base, tokens["viewer@bureau:economy-it"])
		sub, err := viewer.Webhook.CreateSubscription(t.Context(), &registryv1.CreateSubscriptionRequest{
			Url: receiver.URL + "/hooks", EntityTypes: []string{"enterprise"},
		})
		if err != nil {
			t.Fatal(err)
		}
		code, err := ident.CompleteCreditCode("91330106MA27XK9A1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := clients(base, tokens["issuer@bureau:economy-it"]).Enterprise.RegisterEnterprise(t.Context(),
			&registryv1.RegisterEnterpriseRequest{CreditCode: code, Name: "钩子科技有限公司"}); err != nil {
			t.Fatal(err)
		}
		var first received
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			mu.Lock()
			n := len(got)
			if n > 0 {
				first = got[0]
			}
			mu.Unlock()
			if n > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("no delivery within 30 seconds")
			}
		}
		if err := webhook.Verify(sub.Secret, first.header, first.body, time.Now(), 5*time.Minute); err != nil {
			t.Fatalf("the delivery does not verify with the subscription's secret: %v", err)
		}
		var change struct {
			ID, Cursor, Action, EntityType, EntityID string
		}
		if err := json.Unmarshal(first.body, &change); err != nil {
			t.Fatalf("body %s: %v", first.body, err)
		}
		if change.EntityID != code || change.EntityType != "enterprise" || change.ID != first.header.Get("webhook-id") ||
			first.header.Get("webhook-id") != "chg_"+change.Cursor {
			t.Fatalf("delivered %s with webhook-id %s", first.body, first.header.Get("webhook-id"))
		}
		// The attempt is recorded once the receiver has answered, so it
		// may trail the request a little.
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			ds, err := viewer.Webhook.ListDeliveries(t.Context(), &registryv1.ListDeliveriesRequest{SubscriptionId: sub.Subscription.Id})
			if err != nil {
				t.Fatal(err)
			}
			if len(ds.Deliveries) > 0 {
				if d := ds.Deliveries[0]; !d.Succeeded || d.ChangeId != change.ID || d.StatusCode != http.StatusOK {
					t.Fatalf("the attempt is recorded as %v", d)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the delivery is not recorded within 30 seconds")
			}
		}
	})
}

// violation is the description err's BadRequest detail gives field, or "".
func violation(err error, field string) string {
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return ""
	}
	for _, d := range ce.Details() {
		if msg, derr := connectproto.UnmarshalErrorDetail(d); derr == nil {
			if br, ok := msg.(*errdetails.BadRequest); ok {
				for _, fv := range br.GetFieldViolations() {
					if fv.GetField() == field {
						return fv.GetDescription()
					}
				}
			}
		}
	}
	return ""
}
