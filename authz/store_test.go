package authz

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/casbinrule"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// openStore opens an ent client on db, the way the registry opens its
// database, and creates the schema from the ent definitions.
func openStore(t *testing.T, db storetest.Database) *ent.Client {
	t.Helper()
	var drv *entsql.Driver
	switch db.Name {
	case "sqlite":
		conn, err := sql.Open("sqlite", db.URL+"&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_txlock=immediate")
		if err != nil {
			t.Fatal(err)
		}
		conn.SetMaxOpenConns(1)
		drv = entsql.OpenDB(dialect.SQLite, conn)
	case "postgres":
		conn, err := sql.Open("postgres", db.URL)
		if err != nil {
			t.Fatal(err)
		}
		drv = entsql.OpenDB(dialect.Postgres, conn)
	default:
		t.Fatalf("unknown database %q", db.Name)
	}
	client := ent.NewClient(ent.Driver(drv))
	t.Cleanup(func() { client.Close() })
	if err := client.Schema.Create(context.Background()); err != nil {
		t.Fatalf("schema: %v", err)
	}
	return client
}

// storedRules reads every stored line, as "type,v0,…" strings, sorted.
func storedRules(t *testing.T, c *ent.Client) []string {
	t.Helper()
	rows, err := c.CasbinRule.Query().All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = strings.Join(ruleOf(r).withType(), ",")
	}
	slices.Sort(out)
	return out
}

func ruleStrings(rules []Rule) []string {
	out := make([]string, len(rules))
	for i, r := range rules {
		out[i] = strings.Join(r.withType(), ",")
	}
	slices.Sort(out)
	return out
}

// begin opens a transaction that is rolled back when the test ends unless
// it was committed, so a failing test does not hold SQLite's one connection.
func begin(t *testing.T, c *ent.Client) *ent.Tx {
	t.Helper()
	tx, err := c.Tx(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback() })
	return tx
}

func newStored(t *testing.T, c *ent.Client) *Authorizer {
	t.Helper()
	a, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestSyncIsIdempotent: Sync stores the default policy once, however often
// it runs, keeps lines it did not write, and puts back a default line that
// went missing; New then loads exactly what is stored.
func TestSyncIsIdempotent(t *testing.T) {
	ctx := context.Background()
	want := DefaultPolicy(seedGrants)
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		c := openStore(t, db)
		if got := storedRules(t, c); len(got) != 0 {
			t.Fatalf("new database holds %d lines", len(got))
		}
		for i := range 3 {
			if err := Sync(ctx, c, want); err != nil {
				t.Fatalf("Sync #%d: %v", i+1, err)
			}
			if got := storedRules(t, c); !slices.Equal(got, ruleStrings(want)) {
				t.Fatalf("after Sync #%d the database holds %d lines, want the %d default ones", i+1, len(got), len(want))
			}
		}

		// New loads what is stored, field for field.
		a := newStored(t, c)
		var loaded []string
		for _, line := range a.Rules() {
			loaded = append(loaded, "p,"+strings.Join(line, ","))
		}
		slices.Sort(loaded)
		if !slices.Equal(loaded, ruleStrings(want)) {
			t.Fatalf("New loaded %d lines, want the %d stored", len(loaded), len(want))
		}

		// A line another change stored survives Sync; a default line that
		// was deleted comes back.
		extra := AuthorizedEnterprise(creditA)
		if _, err := AddRules(ctx, c, []Rule{extra}); err != nil {
			t.Fatal(err)
		}
		if _, err := RemoveRules(ctx, c, want[:1]); err != nil {
			t.Fatal(err)
		}
		if err := Sync(ctx, c, want); err != nil {
			t.Fatal(err)
		}
		if got, w := storedRules(t, c), ruleStrings(append(slices.Clone(want), extra)); !slices.Equal(got, w) {
			t.Fatalf("after Sync over a changed policy: %d lines, want %d", len(got), len(w))
		}
		if !allowed(t, newStored(t, c), Request{Role: RoleTalentAssessor, Org: entA, Object: DesignationObject("talent-recognition"), Action: ActRecognize, Owners: orgs(entA)}) {
			t.Fatal("a stored g line was not loaded")
		}
	})
}

// TestConcurrentSync: replicas starting together on one database each run
// Sync; all of them succeed and every line is stored once. On PostgreSQL
// the second Sync is made to wait on the first one's uncommitted rows.
func TestConcurrentSync(t *testing.T) {
	ctx := context.Background()
	want := DefaultPolicy(seedGrants)
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		c := openStore(t, db)
		if db.Name == "postgres" {
			other := openStore(t, db)
			admin := storetest.OpenSQL(t, db)
			tx := begin(t, c)
			var pid int
			rows, err := tx.QueryContext(ctx, "SELECT pg_backend_pid()")
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				if err := rows.Scan(&pid); err != nil {
					t.Fatal(err)
				}
			}
			rows.Close()
			if _, err := AddRules(ctx, tx.Client(), want); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- Sync(ctx, other, want) }()
			// Wait until the second Sync is blocked on the first one's rows.
			deadline := time.Now().Add(10 * time.Second)
			for {
				var waiting int
				if err := admin.QueryRow("SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))", pid).Scan(&waiting); err != nil {
					t.Fatal(err)
				}
				if waiting > 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the second Sync never waited on the first")
				}
				time.Sleep(10 * time.Millisecond)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			if err := <-done; err != nil {
				t.Fatalf("Sync waiting on a concurrent one failed: %v", err)
			}
		}
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = Sync(ctx, c, want)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("Sync %d: %v", i, err)
			}
		}
		if got := storedRules(t, c); !slices.Equal(got, ruleStrings(want)) {
			t.Fatalf("after concurrent Syncs: %d lines, want %d", len(got), len(want))
		}
	})
}

// TestPolicyChangesShareTheTransaction: AddRules and RemoveRules write with
// the client they are given, so lines added or removed inside a transaction
// that rolls back leave the stored policy as it was, and take effect only
// when it commits (and, in memory, when the caller applies them).
func TestPolicyChangesShareTheTransaction(t *testing.T) {
	ctx := context.Background()
	recognize := Request{Role: RoleTalentAssessor, Org: entA, Object: DesignationObject("talent-recognition"), Action: ActRecognize, Owners: orgs(entA)}
	grantHQ := p(RoleIssuer, scienceTech, DesignationObject("hq-enterprise"), ActGrant, ScopeAny)
	grantReq := Request{Role: RoleIssuer, Org: scienceTech, Object: DesignationObject("hq-enterprise"), Action: ActGrant}
	change := []Rule{AuthorizedEnterprise(creditA), grantHQ}

	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		c := openStore(t, db)
		if err := Sync(ctx, c, DefaultPolicy(seedGrants)); err != nil {
			t.Fatal(err)
		}
		base := storedRules(t, c)
		a := newStored(t, c)

		t.Run("add then roll back", func(t *testing.T) {
			tx := begin(t, c)
			added, err := AddRules(ctx, tx.Client(), change)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ruleStrings(added), ruleStrings(change)) {
				t.Fatalf("AddRules added %v, want %v", added, change)
			}
			n, err := tx.CasbinRule.Query().Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(base)+len(change) {
				t.Fatalf("inside the transaction %d lines, want %d", n, len(base)+len(change))
			}
			if err := tx.Rollback(); err != nil {
				t.Fatal(err)
			}
			if got := storedRules(t, c); !slices.Equal(got, base) {
				t.Fatalf("rolled-back AddRules left %d lines, want %d", len(got), len(base))
			}
			if err := a.Reload(); err != nil {
				t.Fatal(err)
			}
			if allowed(t, a, recognize) || allowed(t, a, grantReq) {
				t.Fatal("a rolled-back line is in force after Reload")
			}
		})

		t.Run("add and commit", func(t *testing.T) {
			tx := begin(t, c)
			// A line given twice is added once; a stored one not at all.
			added, err := AddRules(ctx, tx.Client(), append(slices.Clone(change), change[0], DefaultPolicy(seedGrants)[0]))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ruleStrings(added), ruleStrings(change)) {
				t.Fatalf("AddRules added %v, want only the new lines %v", added, change)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			// Committed but not yet applied: memory still refuses.
			if allowed(t, a, recognize) {
				t.Fatal("a committed line is in force before Apply or Reload")
			}
			if err := a.Apply(added); err != nil {
				t.Fatal(err)
			}
			if !allowed(t, a, recognize) || !allowed(t, a, grantReq) {
				t.Fatal("refused after the committed lines were applied")
			}
			if !allowed(t, newStored(t, c), recognize) {
				t.Fatal("a new Authorizer does not see the committed lines")
			}
		})

		t.Run("remove then roll back", func(t *testing.T) {
			tx := begin(t, c)
			absent := AuthorizedEnterprise(creditB)
			removed, err := RemoveRules(ctx, tx.Client(), append(slices.Clone(change), absent))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ruleStrings(removed), ruleStrings(change)) {
				t.Fatalf("RemoveRules removed %v, want only the stored lines %v", removed, change)
			}
			if err := tx.Rollback(); err != nil {
				t.Fatal(err)
			}
			if got, want := storedRules(t, c), ruleStrings(append(slices.Clone(change), DefaultPolicy(seedGrants)...)); !slices.Equal(got, want) {
				t.Fatalf("rolled-back RemoveRules left %d lines, want %d", len(got), len(want))
			}
			if err := a.Reload(); err != nil {
				t.Fatal(err)
			}
			if !allowed(t, a, recognize) {
				t.Fatal("a line whose removal rolled back is no longer in force")
			}
		})

		t.Run("remove and commit", func(t *testing.T) {
			tx := begin(t, c)
			removed, err := RemoveRules(ctx, tx.Client(), change)
			if err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			if got := storedRules(t, c); !slices.Equal(got, base) {
				t.Fatalf("after RemoveRules %d lines, want %d", len(got), len(base))
			}
			if !allowed(t, a, recognize) {
				t.Fatal("a removed line left memory before Unapply or Reload")
			}
			if err := a.Unapply(removed); err != nil {
				t.Fatal(err)
			}
			if allowed(t, a, recognize) || allowed(t, a, grantReq) {
				t.Fatal("allowed after the removed lines were unapplied")
			}
		})
	})
}

// TestReloadFollowsTheDatabase: Reload replaces the in-memory policy with
// the stored one, picking up lines other replicas stored or deleted and
// dropping lines applied without being stored; when the database cannot be
// read, the policy in memory stays as it was.
func TestReloadFollowsTheDatabase(t *testing.T) {
	ctx := context.Background()
	recognize := Request{Role: RoleTalentAssessor, Org: entA, Object: DesignationObject("talent-recognition"), Action: ActRecognize, Owners: orgs(entA)}
	grantLG := Request{Role: RoleIssuer, Org: economyIT, Object: DesignationObject("little-giant"), Action: ActGrant}
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		c := openStore(t, db)
		if err := Sync(ctx, c, DefaultPolicy(seedGrants)); err != nil {
			t.Fatal(err)
		}
		a := newStored(t, c)
		steps := []struct {
			name   string
			change func(t *testing.T)
			want   bool
		}{
			{"stored elsewhere", func(t *testing.T) {
				if _, err := AddRules(ctx, c, []Rule{AuthorizedEnterprise(creditA)}); err != nil {
					t.Fatal(err)
				}
			}, true},
			{"deleted elsewhere", func(t *testing.T) {
				if _, err := RemoveRules(ctx, c, []Rule{AuthorizedEnterprise(creditA)}); err != nil {
					t.Fatal(err)
				}
			}, false},
			{"applied but never stored", func(t *testing.T) {
				if err := a.Apply([]Rule{AuthorizedEnterprise(creditA)}); err != nil {
					t.Fatal(err)
				}
				if !allowed(t, a, recognize) {
					t.Fatal("refused after Apply")
				}
			}, false},
		}
		for _, s := range steps {
			t.Run(s.name, func(t *testing.T) {
				before := allowed(t, a, recognize) // remembered, if cached
				s.change(t)
				if err := a.Reload(); err != nil {
					t.Fatal(err)
				}
				if got := allowed(t, a, recognize); got != s.want {
					t.Fatalf("after Reload allowed = %v (before %v), want %v", got, before, s.want)
				}
			})
		}

		t.Run("unreadable database", func(t *testing.T) {
			if err := a.Apply([]Rule{AuthorizedEnterprise(creditA)}); err != nil {
				t.Fatal(err)
			}
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			if err := a.Reload(); err == nil {
				t.Fatal("Reload from a closed database succeeded")
			}
			if !allowed(t, a, grantLG) || !allowed(t, a, recognize) {
				t.Fatal("a failed Reload dropped the policy in memory")
			}
		})
	})
}

// TestStoredLinesKeepTheirShape: lines round-trip through the table with
// their own number of fields, so what New loads equals what was written;
// the table refuses the same line twice.
func TestStoredLinesKeepTheirShape(t *testing.T) {
	ctx := context.Background()
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		c := openStore(t, db)
		lines := []Rule{
			AuthorizedEnterprise(creditA),
			p(RoleViewer, parkA, ObjAward, ActRead, ScopeOwn),
		}
		if _, err := AddRules(ctx, c, lines); err != nil {
			t.Fatal(err)
		}
		rows, err := c.CasbinRule.Query().Order(ent.Asc(casbinrule.FieldID)).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rows {
			got := ruleOf(r)
			if got.Type != lines[i].Type || !slices.Equal(got.Values, lines[i].Values) {
				t.Errorf("row %d reads back as %+v, want %+v", i, got, lines[i])
			}
		}
		a := newStored(t, c)
		if got := a.Rules(RoleViewer); len(got) != 1 || !slices.Equal(got[0], lines[1].Values) {
			t.Errorf("Rules(viewer) = %v, want [%v]", got, lines[1].Values)
		}
		if !allowed(t, a, Request{Role: RoleViewer, Org: parkA, Object: ObjAward, Action: ActRead, Owners: orgs(parkA)}) {
			t.Error("the stored p line is not in force")
		}
		v := lines[0].Values
		err = c.CasbinRule.Create().SetPtype("g").SetV0(v[0]).SetV1(v[1]).Exec(ctx)
		if err == nil {
			t.Fatal("the table took the same line twice")
		}
	})
}
