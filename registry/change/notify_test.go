package change_test

import (
	"testing"

	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// TestNotify: a commit in this process tells a subscribed channel before
// the call that made it returns; a cancelled one is told no more; a
// commit by another process on the same database is told too (heard on
// PostgreSQL, found within core.MaxStaleness on SQLite).
func TestNotify(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		reg, _ := registrytest.Open(t, db)
		ch, cancel := reg.Notify()
		kept, keep := reg.Notify()
		defer keep()
		register(t, reg, 0, 1)
		select {
		case <-ch:
		default:
			t.Fatal("a commit did not notify")
		}
		cancel()
		cancel() // twice is harmless
		for len(ch) > 0 {
			<-ch
		}
		register(t, reg, 1, 2)
		if len(ch) != 0 {
			t.Fatal("a cancelled channel was notified")
		}
		for len(kept) > 0 {
			<-kept
		}
		other, _ := registrytest.Open(t, db)
		register(t, other, 2, 3)
		<-kept // a test that hangs here fails at its timeout
	})
}
