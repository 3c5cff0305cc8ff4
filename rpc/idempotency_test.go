package rpc_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect/v2"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// withKey returns a context whose calls carry an Idempotency-Key.
func withKey(ctx context.Context, key string) context.Context {
	ctx, info := connect.NewClientContext(ctx)
	info.RequestHeader().Set("Idempotency-Key", key)
	return ctx
}

// TestIdempotencyKeys checks that a retried grant returns the first answer
// without acting again, that a key reused for another request is refused,
// that errors are replayed too, that concurrent duplicates act once, and
// that keys belong to their principal.
func TestIdempotencyKeys(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		ctx := t.Context()
		economy := env.As("issuer", "bureau:economy-it")
		auditor := env.As("auditor", "auditor")
		code := registrytest.CreditCode(t, "91330106MA27XK0A1")
		if _, err := economy.Enterprise.RegisterEnterprise(ctx, &registryv1.RegisterEnterpriseRequest{CreditCode: code, Name: "企业"}); err != nil {
			t.Fatal(err)
		}
		grant := func(doc string) *registryv1.GrantDesignationRequest {
			return &registryv1.GrantDesignationRequest{Type: "little-giant", EnterpriseCreditCode: code, ValidFrom: "2025-01-01", ValidUntil: "2027-12-31", DocumentNumber: doc}
		}
		chain := func() int64 {
			v, err := auditor.Audit.VerifyAuditChain(ctx, &registryv1.VerifyAuditChainRequest{})
			if err != nil || !v.Ok {
				t.Fatalf("chain: %v %+v", err, v)
			}
			return v.EventsChecked
		}

		t.Run("a retry returns the first answer and acts once", func(t *testing.T) {
			before := chain()
			first, err := economy.Designation.GrantDesignation(withKey(ctx, "grant-1"), grant("A"))
			if err != nil {
				t.Fatal(err)
			}
			env.Clock.Set(rpctest.Start.Add(25 * time.Hour)) // kept at least a day
			defer env.Clock.Set(rpctest.Start)
			again, err := economy.Designation.GrantDesignation(withKey(ctx, "grant-1"), grant("A"))
			if err != nil || again.Designation.Id != first.Designation.Id || again.Designation.CreatedAt.AsTime() != first.Designation.CreatedAt.AsTime() {
				t.Fatalf("retry: %v %+v, want %+v", err, again, first)
			}
			if got := chain(); got != before+1 {
				t.Fatalf("%d audit events for one grant retried", got-before)
			}
		})
		t.Run("the same key with another request is refused", func(t *testing.T) {
			if _, err := economy.Designation.GrantDesignation(withKey(ctx, "grant-1"), grant("B")); rpctest.Code(err) != connect.CodeFailedPrecondition {
				t.Fatalf("reused key: %v", err)
			}
		})
		t.Run("an error answer is replayed", func(t *testing.T) {
			bad := grant("C")
			bad.ValidUntil = "2020-01-01"
			_, err1 := economy.Designation.GrantDesignation(withKey(ctx, "bad-1"), bad)
			_, err2 := economy.Designation.GrantDesignation(withKey(ctx, "bad-1"), bad)
			var e1, e2 *connect.Error
			if !errors.As(err1, &e1) || !errors.As(err2, &e2) || e1.Code() != connect.CodeInvalidArgument ||
				e2.Code() != e1.Code() || e2.Message() != e1.Message() {
				t.Fatalf("replayed error: %v then %v", err1, err2)
			}
			if d1, d2 := e1.Details(), e2.Details(); len(d1) != 1 || len(d2) != 1 || d1[0].Type != d2[0].Type || string(d1[0].Value) != string(d2[0].Value) {
				t.Fatalf("details: %+v then %+v", d1, d2)
			}
		})
		t.Run("concurrent duplicates act once", func(t *testing.T) {
			before := chain()
			ids := make([]string, 8)
			errs := make([]error, 8)
			var wg sync.WaitGroup
			for i := range ids {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res, err := economy.Designation.GrantDesignation(withKey(ctx, "grant-concurrent"), grant("D"))
					errs[i] = err
					if err == nil {
						ids[i] = res.Designation.Id
					}
				}()
			}
			wg.Wait()
			for i := range ids {
				if errs[i] != nil || ids[i] != ids[0] {
					t.Fatalf("call %d: %v %q, want %q", i, errs[i], ids[i], ids[0])
				}
			}
			if got := chain(); got != before+1 {
				t.Fatalf("%d audit events for eight duplicates", got-before)
			}
		})
		t.Run("keys belong to their principal", func(t *testing.T) {
			other := env.ClientsWithToken(env.Token(registry.Principal{Subject: "经信局 李四", Org: "bureau:economy-it", Role: "issuer"}))
			res, err := other.Designation.GrantDesignation(withKey(ctx, "grant-1"), grant("E"))
			if err != nil || res.Designation.DocumentNumber != "E" {
				t.Fatalf("another principal's key: %v %+v", err, res)
			}
		})
		t.Run("calls without a key are not remembered", func(t *testing.T) {
			if _, err := economy.Designation.GrantDesignation(ctx, grant("F")); err != nil {
				t.Fatal(err)
			}
			if _, err := economy.Designation.GrantDesignation(ctx, grant("F")); rpctest.Code(err) != connect.CodeAlreadyExists {
				t.Fatalf("second grant without a key: %v", err)
			}
		})
	})
}
