package registrytest

import (
	"context"
	"database/sql"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// Query is one statement a registry ran, with its arguments.
type Query struct {
	SQL  string
	Args []any
}

// Recorder collects the read statements a registry runs, through ent and
// through its prepared statements, while it is installed.
type Recorder struct {
	mu      sync.Mutex
	queries []Query
}

func (r *Recorder) add(query string, args []any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.queries = append(r.queries, Query{SQL: query, Args: append([]any(nil), args...)})
}

// Take returns the statements recorded since the last Take.
func (r *Recorder) Take() []Query {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.queries
	r.queries = nil
	return out
}

// recordingDriver passes everything to the registry's own driver and
// records queries on the way.
type recordingDriver struct {
	dialect.Driver
	rec *Recorder
}

func (d recordingDriver) Query(ctx context.Context, query string, args, v any) error {
	if a, ok := args.([]any); ok {
		d.rec.add(query, a)
	}
	return d.Driver.Query(ctx, query, args, v)
}

// RecordQueries routes reg's reads through a Recorder until the test ends.
// It must be called before the calls to record, with nothing else using
// reg concurrently.
func RecordQueries(t testing.TB, reg *registry.Registry, db storetest.Database) *Recorder {
	t.Helper()
	rec := &Recorder{}
	name := dialect.SQLite
	if db.Name == "postgres" {
		name = dialect.Postgres
	}
	client, statements := reg.DB, reg.Statements.Observe
	reg.DB = ent.NewClient(ent.Driver(recordingDriver{Driver: entsql.OpenDB(name, reg.Pool()), rec: rec}))
	reg.Statements.Observe = rec.add
	t.Cleanup(func() { reg.DB, reg.Statements.Observe = client, statements })
	return rec
}

// Plan is the database's plan for q, one line per node. On SQLite these
// are EXPLAIN QUERY PLAN's details ("SEARCH designations USING INDEX …
// (enterprise_id=?)"); on PostgreSQL each node of EXPLAIN (FORMAT JSON),
// as "<node type> on <table> cond=<index or recheck condition>" for the
// nodes that read a table.
func Plan(t testing.TB, pool *sql.DB, db storetest.Database, q Query) []string {
	t.Helper()
	if db.Name == "postgres" {
		var doc []byte
		if err := pool.QueryRow("EXPLAIN (FORMAT JSON) "+q.SQL, q.Args...).Scan(&doc); err != nil {
			t.Fatalf("explain %s: %v", q.SQL, err)
		}
		var plans []struct {
			Plan planNode `json:"Plan"`
		}
		if err := json.Unmarshal(doc, &plans); err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, p := range plans {
			lines = p.Plan.lines(lines, "")
		}
		return lines
	}
	rows, err := pool.Query("EXPLAIN QUERY PLAN "+q.SQL, q.Args...)
	if err != nil {
		t.Fatalf("explain %s: %v", q.SQL, err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// planNode is a node of PostgreSQL's JSON plan.
type planNode struct {
	NodeType    string     `json:"Node Type"`
	Relation    string     `json:"Relation Name"`
	IndexCond   string     `json:"Index Cond"`
	RecheckCond string     `json:"Recheck Cond"`
	Filter      string     `json:"Filter"`
	Plans       []planNode `json:"Plans"`
}

func (n planNode) lines(out []string, indent string) []string {
	line := indent + n.NodeType
	if n.Relation != "" {
		line += " on " + n.Relation + " cond=" + n.IndexCond + n.RecheckCond
		if n.Filter != "" {
			line += " filter=" + n.Filter
		}
	}
	out = append(out, line)
	for _, c := range n.Plans {
		out = c.lines(out, indent+"  ")
	}
	return out
}

var (
	// sqliteSearch captures the table and the constraint of a SEARCH.
	sqliteSearch = regexp.MustCompile(`^SEARCH (\S+) USING .*\(([^()]*)\)$`)
	// sqliteEquality is a column constrained to one value (or a list).
	sqliteEquality = regexp.MustCompile(`(^|[ (])\w+=\?`)
	// postgresScan captures the table and the condition of a scan node.
	postgresScan = regexp.MustCompile(`^\s*([A-Za-z ]+) on (\S+) cond=(.*?)( filter=.*)?$`)
)

// FullScans returns the plan lines that read all of one of tables: a
// sequential scan (PostgreSQL's Seq Scan, SQLite's SCAN), or a walk of an
// index bounded by nothing but a range, such as a page's "id > after"
// (PostgreSQL: an index condition without an equality; SQLite: a SEARCH
// whose constraint has no column=?). A scoped read starts from an equality
// on the column naming its scope, so it has none of these. SQLite names a
// table by its alias when it has one, so give the aliases too.
func FullScans(plan []string, tables ...string) []string {
	var out []string
	for _, line := range plan {
		trimmed := strings.TrimSpace(line)
		if table, ok := strings.CutPrefix(trimmed, "SCAN "); ok {
			if slices.Contains(tables, strings.Fields(table)[0]) {
				out = append(out, line)
			}
			continue
		}
		if m := sqliteSearch.FindStringSubmatch(trimmed); m != nil {
			if slices.Contains(tables, m[1]) && !sqliteEquality.MatchString(m[2]) {
				out = append(out, line)
			}
			continue
		}
		if m := postgresScan.FindStringSubmatch(line); m != nil && slices.Contains(tables, m[2]) {
			if m[1] == "Seq Scan" || !strings.Contains(m[3], " = ") {
				out = append(out, line)
			}
		}
	}
	return out
}
