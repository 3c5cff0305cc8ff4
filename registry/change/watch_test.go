package change_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/change"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// code is the i-th test credit code.
func code(t *testing.T, i int) string {
	return registrytest.CreditCode(t, fmt.Sprintf("91330106MA27X%04d", i))
}

// register registers enterprises from..to-1.
func register(t *testing.T, reg *registry.Registry, from, to int) {
	t.Helper()
	economy := registrytest.As(t.Context(), "issuer", "bureau:economy-it")
	for i := from; i < to; i++ {
		if _, err := reg.RegisterEnterprise(economy, enterprise.NewEnterprise{CreditCode: code(t, i), Name: fmt.Sprintf("企业%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
}

// await polls cond until it holds; a minute without is a failure, not a
// measurement.
func await(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// next is one Next, in a goroutine, so a test can wait for it.
func next(ctx context.Context, w *change.Watch) <-chan result {
	ch := make(chan result, 1)
	go func() {
		c, err := w.Next(ctx)
		ch <- result{c, err}
	}()
	return ch
}

type result struct {
	c   change.Change
	err error
}

func take(t *testing.T, ctx context.Context, w *change.Watch, n int) []change.Change {
	t.Helper()
	var out []change.Change
	for range n {
		c, err := w.Next(ctx)
		if err != nil {
			t.Fatalf("after %d changes: %v", len(out), err)
		}
		out = append(out, c)
	}
	return out
}

// inOrder fails unless changes are enterprises from..from+len-1.
func inOrder(t *testing.T, changes []change.Change, from int) {
	t.Helper()
	for i, c := range changes {
		if want := code(t, from+i); c.EntityID != want {
			t.Fatalf("change %d is of %s, want %s", i, c.EntityID, want)
		}
	}
}

func TestWatchBacklogThenLive(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		reg, _ := registrytest.Open(t, db)
		ctx := t.Context()
		register(t, reg, 0, 5)
		w, err := reg.WatchChanges(registrytest.As(ctx, "auditor", "auditor"), change.WatchQuery{})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		// The member sees only its own enterprise, live as in its backlog.
		mine, err := reg.WatchChanges(registrytest.As(ctx, "member", "enterprise:"+code(t, 7)), change.WatchQuery{})
		if err != nil {
			t.Fatal(err)
		}
		defer mine.Close()
		inOrder(t, take(t, ctx, w, 5), 0)
		pending := next(ctx, w)
		minePending := next(ctx, mine)
		await(t, "both watches live", func() bool { return reg.WatchStats().Live == 2 })
		register(t, reg, 5, 10)
		r := <-pending
		if r.err != nil {
			t.Fatal(r.err)
		}
		inOrder(t, append([]change.Change{r.c}, take(t, ctx, w, 4)...), 5)
		if r := <-minePending; r.err != nil || r.c.EntityID != code(t, 7) {
			t.Fatalf("the member's watch got %v, %v; want its enterprise", r.c.EntityID, r.err)
		}
	})
}

// TestWatchCatchUpOverflow: changes that commit while a watch reads its
// backlog, more than its buffer holds, reach it from the database, each
// once.
func TestWatchCatchUpOverflow(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		reg, _ := registrytest.Open(t, db)
		reg.Changes.WatchBuffer = 3
		ctx := t.Context()
		register(t, reg, 0, 4)
		w, err := reg.WatchChanges(registrytest.As(ctx, "auditor", "auditor"), change.WatchQuery{})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		register(t, reg, 4, 14) // pushed while the watch has read nothing
		head := registrytest.AuditLength(t, reg)
		await(t, "the hub at the head", func() bool { return reg.WatchStats().Position == head })
		inOrder(t, take(t, ctx, w, 14), 0)
		pending := next(ctx, w)
		register(t, reg, 14, 15)
		if r := <-pending; r.err != nil || r.c.EntityID != code(t, 14) {
			t.Fatalf("got %v, %v; want enterprise 14", r.c.EntityID, r.err)
		}
		if peak := reg.WatchStats().PeakBuffered; peak > 3 {
			t.Fatalf("a buffer held %d changes, bound 3", peak)
		}
	})
}

// TestWatchSlowConsumerDropped: a live watch that stops taking changes is
// dropped once its buffer is full; it gets what it holds, then resource
// exhausted, and resuming after its last cursor gives exactly the rest.
func TestWatchSlowConsumerDropped(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		reg, _ := registrytest.Open(t, db)
		reg.Changes.WatchBuffer = 3
		ctx := t.Context()
		auditor := registrytest.As(ctx, "auditor", "auditor")
		w, err := reg.WatchChanges(auditor, change.WatchQuery{EntityTypes: []string{"enterprise"}})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		pending := next(ctx, w)
		await(t, "the watch live", func() bool { return reg.WatchStats().Live == 1 })
		register(t, reg, 0, 20)
		await(t, "the watch dropped", func() bool { return reg.WatchStats().Live == 0 })
		r := <-pending
		if r.err != nil {
			t.Fatal(r.err)
		}
		got := []change.Change{r.c}
		for {
			c, err := w.Next(ctx)
			if err != nil {
				if registry.KindOf(err) != registry.KindResourceExhausted {
					t.Fatalf("the dropped watch ended with %v", err)
				}
				if want := fmt.Sprintf("resume after cursor %s", got[len(got)-1].Cursor()); !strings.Contains(err.Error(), want) {
					t.Fatalf("%q does not say %q", err, want)
				}
				break
			}
			got = append(got, c)
		}
		if len(got) >= 20 {
			t.Fatalf("a watch that did not read got all %d changes", len(got))
		}
		rest, err := reg.ChangesFor(ctx, registry.Principal{Subject: "a", Org: "auditor", Role: "auditor"}, got[len(got)-1].Seq, []string{"enterprise"}, 100)
		if err != nil {
			t.Fatal(err)
		}
		inOrder(t, append(got, rest...), 0)
		if n := len(got) + len(rest); n != 20 {
			t.Fatalf("%d changes in all, want 20", n)
		}
		if peak := reg.WatchStats().PeakBuffered; peak > 3 {
			t.Fatalf("a buffer held %d changes, bound 3", peak)
		}
	})
}

func TestWatchLimitsAndShutdown(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		reg, _ := registrytest.Open(t, db)
		reg.Changes.MaxWatchersPerPrincipal = 2
		ctx := t.Context()
		auditor := registrytest.As(ctx, "auditor", "auditor")
		var open []*change.Watch
		for range 2 {
			w, err := reg.WatchChanges(auditor, change.WatchQuery{})
			if err != nil {
				t.Fatal(err)
			}
			open = append(open, w)
		}
		_, err := reg.WatchChanges(auditor, change.WatchQuery{})
		registrytest.Check(t, err, registry.KindResourceExhausted)
		open[1].Close()
		open[1].Close() // twice is harmless
		w, err := reg.WatchChanges(auditor, change.WatchQuery{})
		if err != nil {
			t.Fatalf("after closing one: %v", err)
		}
		defer w.Close()
		for _, tc := range []struct {
			name  string
			ctx   context.Context
			q     change.WatchQuery
			want  registry.Kind
			field string
		}{
			{"bad cursor", auditor, change.WatchQuery{AfterCursor: "abc"}, registry.KindInvalidArgument, "after_cursor"},
			{"unknown type", auditor, change.WatchQuery{EntityTypes: []string{"token"}}, registry.KindInvalidArgument, "entity_types[0]"},
			{"reads nothing", registrytest.As(ctx, "admin", "admin"), change.WatchQuery{}, registry.KindPermissionDenied, ""},
			{"anonymous", ctx, change.WatchQuery{}, registry.KindUnauthenticated, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := reg.WatchChanges(tc.ctx, tc.q)
				registrytest.Check(t, err, tc.want, tc.field)
			})
		}
		pending := next(ctx, w)
		await(t, "the watch live", func() bool { return reg.WatchStats().Live >= 1 })
		reg.Changes.EndWatches()
		if r := <-pending; registry.KindOf(r.err) != registry.KindUnavailable {
			t.Fatalf("a watch at shutdown ended with %v", r.err)
		}
		_, err = reg.WatchChanges(registry.WithPrincipal(ctx, registry.Principal{Subject: "another", Org: "auditor", Role: "auditor"}), change.WatchQuery{})
		registrytest.Check(t, err, registry.KindUnavailable)
		open[0].Close()
	})
}
