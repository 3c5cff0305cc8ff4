package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hangzhou-ai/registry/registry/access"
	"github.com/hangzhou-ai/registry/registry/internal/core"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// answersProcedure is the procedure the answers of these tests are
// recorded for.
const answersProcedure = "/registry.v1.AccessService/CreateToken"

// idempotentToken makes a token for subject with an idempotency key as the
// API does: it records the answer (the raw token) when the call acted, and
// returns the recorded one when the call replays.
func idempotentToken(reg *Registry, key, subject string) (raw string, replayed bool, err error) {
	ctx := WithIdempotencyKey(core.WithPrincipal(context.Background(), rekeyCLI), key, answersProcedure)
	SetIdempotencyRequest(ctx, requestHash(subject))
	raw, _, err = reg.CreateToken(ctx, access.NewToken{Subject: subject, Org: "bureau:finance", Role: "viewer"})
	var replay *ReplayError
	if errors.As(err, &replay) {
		return string(replay.Answer.Response), true, nil
	}
	if err != nil {
		return "", false, err
	}
	claim := IdempotencyClaimOf(ctx)
	if claim == nil {
		return "", false, errors.New("the call took no claim")
	}
	return raw, false, reg.RecordIdempotentAnswer(ctx, claim, StoredAnswer{Response: []byte(raw)})
}

// requestHash stands for the hash of the request for subject.
func requestHash(subject string) string {
	sum := sha256.Sum256([]byte(subject))
	return hex.EncodeToString(sum[:])
}

// answerColumns returns a key's response and status as stored, nil for NULL.
func answerColumns(t *testing.T, conn *sql.DB, db storetest.Database, key string) (response, status []byte, state string) {
	t.Helper()
	err := conn.QueryRow(storetest.Rebind(db, `SELECT response, status, state FROM idempotency_keys WHERE "key" = ?`), key).Scan(&response, &status, &state)
	if err != nil {
		t.Fatalf("key %s: %v", key, err)
	}
	return response, status, state
}

// refusedReplay tells whether err refuses to replay a recorded answer (and
// not, say, a key used for another request).
func refusedReplay(err error) bool {
	return KindOf(err) == KindFailedPrecondition && strings.Contains(err.Error(), "read the record instead of retrying")
}

// TestIdempotentAnswersMigrateAndRotate checks that Migrate clears, in
// batches, every answer recorded in clear and no sealed one, and is a
// no-op run again; and that RotateSecretKey re-seals the answers so that
// retries replay them under the new key, clearing those that do not open.
func TestIdempotentAnswersMigrateAndRotate(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		ctx := context.Background()
		oldKey, newKey := rekeySecrets(t, 0x11), rekeySecrets(t, 0x22)
		reg, client := rekeyOpen(t, db.URL, oldKey)
		conn := storetest.OpenSQL(t, db)

		tokens := map[string]string{} // key -> raw token
		for i := range 3 {
			key := fmt.Sprintf("sealed-%d", i)
			raw, replayed, err := idempotentToken(reg, key, fmt.Sprintf("viewer-%d@bureau:finance", i))
			if err != nil || replayed {
				t.Fatalf("%s: %v, replayed %t", key, err, replayed)
			}
			tokens[key] = raw
		}
		sealed := map[string][]byte{}
		for key, raw := range tokens {
			response, _, _ := answerColumns(t, conn, db, key)
			if bytes.Contains(response, []byte(raw)) {
				t.Fatalf("%s: the token is stored in clear", key)
			}
			sealed[key] = response
		}

		// Answers as earlier builds recorded them, in clear, for the same
		// principal and a request of their own; more than two batches of
		// them.
		var principal string
		if err := conn.QueryRow(`SELECT principal FROM idempotency_keys WHERE "key" = 'sealed-0'`).Scan(&principal); err != nil {
			t.Fatal(err)
		}
		legacy := []struct {
			name             string
			response, status []byte
		}{
			{"a clear response", []byte("\n/rgt_clear-token-of-an-earlier-build"), nil},
			{"a clear status", nil, []byte("\b\x09\x12\x0bclear error")},
			{"a response shorter than the prefix", []byte("rgt_"), nil},
			{"a response that starts like the prefix", []byte("sealed"), nil},
		}
		insert := func(t *testing.T, key string, response, status []byte, state string) {
			t.Helper()
			_, err := conn.ExecContext(ctx, storetest.Rebind(db, `INSERT INTO idempotency_keys ("principal", "key", "procedure", "request_hash", "state", "response", "status", "created_at", "updated_at")
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`), principal, key, answersProcedure, requestHash("legacy@bureau:finance"), state, response, status, rekeyToday, rekeyToday)
			if err != nil {
				t.Fatal(err)
			}
		}
		for i, l := range legacy {
			insert(t, fmt.Sprintf("legacy-%d", i), l.response, l.status, "done")
		}
		const bulk = 2*500 + 7
		for i := range bulk {
			insert(t, fmt.Sprintf("bulk-%d", i), []byte("clear answer"), nil, "done")
		}
		insert(t, "applied-1", nil, nil, "applied") // no answer yet: left alone

		t.Run("Migrate clears clear answers only", func(t *testing.T) {
			if _, err := Migrate(ctx, db.URL); err != nil {
				t.Fatal(err)
			}
			for i, l := range legacy {
				t.Run(l.name, func(t *testing.T) {
					response, status, state := answerColumns(t, conn, db, fmt.Sprintf("legacy-%d", i))
					if response != nil || status != nil || state != "done" {
						t.Errorf("response NULL %t, status NULL %t, state %q; want both NULL and done", response == nil, status == nil, state)
					}
				})
			}
			var left int
			if err := conn.QueryRow(`SELECT COUNT(*) FROM idempotency_keys WHERE "key" LIKE 'bulk-%' AND (response IS NOT NULL OR status IS NOT NULL OR state <> 'done')`).Scan(&left); err != nil || left != 0 {
				t.Errorf("%d bulk answers not cleared (%v)", left, err)
			}
			if _, _, state := answerColumns(t, conn, db, "applied-1"); state != "applied" {
				t.Errorf("an applied key without an answer became %q", state)
			}
			for key, want := range sealed {
				if response, _, _ := answerColumns(t, conn, db, key); !bytes.Equal(response, want) {
					t.Errorf("%s: Migrate changed a sealed answer", key)
				}
			}
			if n, err := core.ClearUnsealedAnswers(ctx, client); err != nil || n != 0 {
				t.Errorf("clearing again: %d, %v; want nothing left", n, err)
			}
			insert(t, "late-1", []byte("clear"), nil, "done") // an earlier build still running
			if n, err := core.ClearUnsealedAnswers(ctx, client); err != nil || n != 1 {
				t.Errorf("clearing a late clear answer: %d, %v; want 1", n, err)
			}
			raw, replayed, err := idempotentToken(reg, "sealed-0", "viewer-0@bureau:finance")
			if err != nil || !replayed || raw != tokens["sealed-0"] {
				t.Errorf("retry after Migrate: replayed %t, same token %t, %v", replayed, raw == tokens["sealed-0"], err)
			}
			if _, _, err := idempotentToken(reg, "legacy-0", "legacy@bureau:finance"); !refusedReplay(err) {
				t.Errorf("retry of a cleared answer: %v, want failed precondition", err)
			}
		})

		t.Run("RotateSecretKey re-seals answers", func(t *testing.T) {
			// One sealed answer altered: it does not open, and is cleared.
			tampered := bytes.Clone(sealed["sealed-2"])
			tampered[len(tampered)-1] ^= 1
			if _, err := conn.ExecContext(ctx, storetest.Rebind(db, `UPDATE idempotency_keys SET response = ? WHERE "key" = 'sealed-2'`), tampered); err != nil {
				t.Fatal(err)
			}
			res, err := reg.RotateSecretKey(ctx, rekeyCLI, newKey)
			if err != nil {
				t.Fatal(err)
			}
			if res.Answers != 2 || res.AnswersCleared != 1 || res.Records() != res.Talents+res.SigningKeys {
				t.Errorf("rotation = %+v, want 2 answers re-sealed and 1 cleared", res)
			}
			for _, key := range []string{"sealed-0", "sealed-1"} {
				response, _, _ := answerColumns(t, conn, db, key)
				if bytes.Equal(response, sealed[key]) || bytes.Contains(response, []byte(tokens[key])) {
					t.Errorf("%s: not re-sealed", key)
				}
			}
			if response, status, state := answerColumns(t, conn, db, "sealed-2"); response != nil || status != nil || state != "done" {
				t.Errorf("the altered answer: response NULL %t, status NULL %t, state %q", response == nil, status == nil, state)
			}
			fresh, _ := rekeyOpen(t, db.URL, newKey)
			for name, r := range map[string]*Registry{"rotated": reg, "fresh": fresh} {
				t.Run(name, func(t *testing.T) {
					for _, key := range []string{"sealed-0", "sealed-1"} {
						subject := "viewer-" + key[len(key)-1:] + "@bureau:finance"
						raw, replayed, err := idempotentToken(r, key, subject)
						if err != nil || !replayed || raw != tokens[key] {
							t.Errorf("%s after the rotation: replayed %t, same token %t, %v", key, replayed, raw == tokens[key], err)
						}
					}
					if _, _, err := idempotentToken(r, "sealed-2", "viewer-2@bureau:finance"); !refusedReplay(err) {
						t.Errorf("retry of the cleared answer: %v, want failed precondition", err)
					}
				})
			}
		})
	})
}
