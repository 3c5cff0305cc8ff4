package rpc_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect/v2"
	"google.golang.org/protobuf/proto"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/access"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
	"github.com/hangzhou-ai/registry/seal"
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

// TestIdempotentAnswersAreSealed checks that the recorded answer of an
// idempotent CreateToken holds the bearer token in no column of its row
// while a retry still replays it; that an answer moved to another row or
// column, altered or stored in clear is refused, not replayed; that
// Migrate clears answers recorded in clear and leaves sealed ones
// replaying; and that after the secret key is rotated a retry still
// replays.
func TestIdempotentAnswersAreSealed(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		ctx := t.Context()
		admin := env.As("admin", "admin")
		conn := storetest.OpenSQL(t, db)
		request := func(subject string) *registryv1.CreateTokenRequest {
			return &registryv1.CreateTokenRequest{Subject: subject, Organisation: "bureau:finance", Role: "viewer"}
		}
		create := func(key, subject string) (*registryv1.CreateTokenResponse, error) {
			return admin.Access.CreateToken(withKey(ctx, key), request(subject))
		}
		exec := func(t *testing.T, q string, args ...any) {
			t.Helper()
			if _, err := conn.ExecContext(ctx, storetest.Rebind(db, q), args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		// row returns every column of the key's row, as text or bytes.
		row := func(t *testing.T, key string) map[string][]byte {
			t.Helper()
			rows := storetest.Rows(t, conn, storetest.Rebind(db, `SELECT * FROM idempotency_keys WHERE "key" = ?`), key)
			if len(rows) == 0 {
				t.Fatalf("no row for key %q", key)
			}
			return rows[0]
		}
		tokenCount := func(t *testing.T) int {
			t.Helper()
			res, err := admin.Access.ListTokens(ctx, &registryv1.ListTokensRequest{})
			if err != nil {
				t.Fatal(err)
			}
			return len(res.Tokens)
		}
		refused := func(t *testing.T, err error) {
			t.Helper()
			var ce *connect.Error
			if !errors.As(err, &ce) || ce.Code() != connect.CodeFailedPrecondition || !strings.Contains(ce.Message(), "read the record instead of retrying") {
				t.Fatalf("retry: %v, want failed_precondition telling to read the record", err)
			}
			for _, internal := range []string{"cipher", "sealed", "authentication", "prefix", "aad"} {
				if strings.Contains(strings.ToLower(ce.Message()), internal) {
					t.Errorf("the refusal %q tells of %q", ce.Message(), internal)
				}
			}
		}

		first, err := create("sealed-1", "viewer-1@bureau:finance")
		if err != nil {
			t.Fatal(err)
		}
		sealedRow := row(t, "sealed-1")
		t.Run("no token in clear at rest, and a retry replays it", func(t *testing.T) {
			secret := strings.TrimPrefix(first.Token, access.TokenPrefix)
			if secret == first.Token || len(secret) < 20 {
				t.Fatalf("token %q has no secret after its prefix", first.Token)
			}
			if !strings.Contains(string(sealedRow["procedure"]), "CreateToken") || len(sealedRow["response"]) == 0 {
				t.Fatalf("the row read is not the CreateToken answer: %q", sealedRow)
			}
			for col, b := range sealedRow {
				if bytes.Contains(b, []byte(first.Token)) || bytes.Contains(b, []byte(secret)) {
					t.Errorf("column %s holds the bearer token in clear", col)
				}
			}
			before := tokenCount(t)
			again, err := create("sealed-1", "viewer-1@bureau:finance")
			if err != nil || again.Token != first.Token || again.Info.GetId() != first.Info.GetId() {
				t.Fatalf("retry: %v %+v, want %+v", err, again, first)
			}
			if got := tokenCount(t); got != before {
				t.Fatalf("the retry made %d tokens", got-before)
			}
		})

		clear, err := proto.Marshal(first)
		if err != nil {
			t.Fatal(err)
		}
		t.Run("a moved, altered or clear answer is refused", func(t *testing.T) {
			cases := []struct {
				name   string
				tamper func(t *testing.T, key string)
			}{
				{"another row's response", func(t *testing.T, key string) {
					exec(t, `UPDATE idempotency_keys SET response = ? WHERE "key" = ?`, sealedRow["response"], key)
				}},
				{"its response as its status", func(t *testing.T, key string) {
					exec(t, `UPDATE idempotency_keys SET status = response, response = NULL WHERE "key" = ?`, key)
				}},
				{"a byte of its ciphertext changed", func(t *testing.T, key string) {
					b := row(t, key)["response"]
					b[len(b)-1] ^= 1
					exec(t, `UPDATE idempotency_keys SET response = ? WHERE "key" = ?`, b, key)
				}},
				{"its response in clear", func(t *testing.T, key string) {
					exec(t, `UPDATE idempotency_keys SET response = ? WHERE "key" = ?`, clear, key)
				}},
				{"no response", func(t *testing.T, key string) {
					exec(t, `UPDATE idempotency_keys SET response = NULL WHERE "key" = ?`, key)
				}},
			}
			for i, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					key, subject := fmt.Sprintf("tamper-%d", i), fmt.Sprintf("viewer-t%d@bureau:finance", i)
					if _, err := create(key, subject); err != nil {
						t.Fatal(err)
					}
					c.tamper(t, key)
					before := tokenCount(t)
					res, err := create(key, subject)
					refused(t, err)
					if res != nil {
						t.Fatalf("replayed %+v", res)
					}
					if got := tokenCount(t); got != before {
						t.Fatalf("the refused retry made %d tokens", got-before)
					}
				})
			}
		})

		t.Run("Migrate clears answers recorded in clear and leaves sealed ones", func(t *testing.T) {
			// An answer an earlier build recorded in clear, for the same
			// principal and request as sealed-1.
			exec(t, `INSERT INTO idempotency_keys ("principal", "key", "procedure", "request_hash", "state", "response", "created_at", "updated_at")
				SELECT "principal", 'legacy-1', "procedure", "request_hash", "state", ?, "created_at", "updated_at" FROM idempotency_keys WHERE "key" = 'sealed-1'`, clear)
			if !bytes.Contains(row(t, "legacy-1")["response"], []byte(first.Token)) {
				t.Fatal("the legacy row does not hold the token in clear; the test proves nothing")
			}
			for range 2 { // the second run finds nothing left
				if _, err := registry.Migrate(ctx, db.URL); err != nil {
					t.Fatal(err)
				}
			}
			for _, key := range []string{"legacy-1", "tamper-3"} {
				r := row(t, key)
				if r["response"] != nil || r["status"] != nil || string(r["state"]) != "done" {
					t.Errorf("%s after Migrate: response NULL %t, status NULL %t, state %q; want both NULL and done", key, r["response"] == nil, r["status"] == nil, r["state"])
				}
			}
			_, err := create("legacy-1", "viewer-1@bureau:finance")
			refused(t, err)
			if got := row(t, "sealed-1"); !bytes.Equal(got["response"], sealedRow["response"]) {
				t.Error("Migrate changed a sealed answer")
			}
			if again, err := create("sealed-1", "viewer-1@bureau:finance"); err != nil || again.Token != first.Token {
				t.Fatalf("retry after Migrate: %v %+v", err, again)
			}
		})

		t.Run("a retry after the secret key is rotated replays", func(t *testing.T) {
			next, err := seal.NewSecrets(bytes.Repeat([]byte{0x42}, seal.SecretKeySize))
			if err != nil {
				t.Fatal(err)
			}
			res, err := env.Registry.RotateSecretKey(ctx, registry.Principal{Subject: "registryd:test", Org: "admin", Role: "admin"}, next)
			if err != nil {
				t.Fatal(err)
			}
			// sealed-1 opens; tamper-0, -1 and -2 are sealed but do not
			// open, so they are cleared; the rest Migrate cleared already.
			if res.Answers != 1 || res.AnswersCleared != 3 {
				t.Errorf("rotation re-sealed %d answers and cleared %d, want 1 and 3: %+v", res.Answers, res.AnswersCleared, res)
			}
			got := row(t, "sealed-1")
			if bytes.Equal(got["response"], sealedRow["response"]) {
				t.Error("the answer was not re-sealed")
			}
			for col, b := range got {
				if bytes.Contains(b, []byte(first.Token)) {
					t.Errorf("column %s holds the bearer token in clear after the rotation", col)
				}
			}
			again, err := create("sealed-1", "viewer-1@bureau:finance")
			if err != nil || again.Token != first.Token || again.Info.GetId() != first.Info.GetId() {
				t.Fatalf("retry after the rotation: %v %+v, want %+v", err, again, first)
			}
		})
	})
}
