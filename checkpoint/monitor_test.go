package checkpoint_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/hangzhou-ai/registry/checkpoint"
)

// memLog is a log of records held in memory whose checkpoints s signs at
// size (which a test may set below the records' count).
type memLog struct {
	t      *testing.T
	s      *checkpoint.Signer
	hashes []tlog.Hash
	size   int64
}

func newMemLog(t *testing.T, s *checkpoint.Signer, records []string) *memLog {
	l := &memLog{t: t, s: s}
	for i, r := range records {
		hs, err := tlog.StoredHashes(int64(i), []byte(r), l)
		if err != nil {
			t.Fatal(err)
		}
		l.hashes = append(l.hashes, hs...)
	}
	l.size = int64(len(records))
	return l
}

func (l *memLog) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = l.hashes[x]
	}
	return out, nil
}

func (l *memLog) Checkpoint(context.Context) ([]byte, error) {
	root, err := tlog.TreeHash(l.size, l)
	if err != nil {
		return nil, err
	}
	return l.s.Sign(l.size, root)
}

func (l *memLog) ConsistencyProof(_ context.Context, old, new int64) (tlog.TreeProof, error) {
	if new > l.size || old > new {
		return nil, fmt.Errorf("bad sizes %d %d", old, new)
	}
	return tlog.ProveTree(new, old, l)
}

func records(n int, tag string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("record %d", i)
	}
	if tag != "" {
		out[2] = tag
	}
	return out
}

func TestMonitorIsNotFooled(t *testing.T) {
	signerKey, vkey, err := checkpoint.GenerateKey("registry.example/audit")
	if err != nil {
		t.Fatal(err)
	}
	s, err := checkpoint.NewSigner(signerKey)
	if err != nil {
		t.Fatal(err)
	}
	otherKey, _, _ := checkpoint.GenerateKey("other.example/audit")
	other, err := checkpoint.NewSigner(otherKey)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	// Each case: a first run against good (10 records), then a run against then.
	cases := []struct {
		name string
		then *memLog
		ok   bool
		bad  int64
	}{
		{"the log grew", newMemLog(t, s, records(17, "")), true, 0},
		{"the same checkpoint again", newMemLog(t, s, records(10, "")), true, 0},
		{"a smaller checkpoint", func() *memLog { l := newMemLog(t, s, records(10, "")); l.size = 7; return l }(), false, 10},
		{"the same size, another root", newMemLog(t, s, records(10, "rewritten")), false, 10},
		{"grown over a rewrite", newMemLog(t, s, records(20, "rewritten")), false, 10},
		{"another log's key", newMemLog(t, other, records(12, "")), false, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := &checkpoint.State{VerifierKey: vkey}
			res, err := checkpoint.Monitor(t.Context(), newMemLog(t, s, records(10, "")), st, now)
			if err != nil || !res.OK || !res.Saved {
				t.Fatalf("first run: %+v, %v", res, err)
			}
			res, err = checkpoint.Monitor(t.Context(), c.then, st, now.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if res.OK != c.ok || res.FirstBadSize != c.bad || (!c.ok && res.Problem == "") {
				t.Fatalf("second run: %+v; want OK %v, first bad size %d", res, c.ok, c.bad)
			}
			if !c.ok && len(st.Checkpoints) != 1 {
				t.Fatalf("a failed run saved a checkpoint: %d saved", len(st.Checkpoints))
			}
		})
	}
}
