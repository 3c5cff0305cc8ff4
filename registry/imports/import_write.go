package imports

import (
	"context"
	"fmt"
	"strings"

	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// insertNew inserts rows (values for cols, the first being the id) into
// table inside the import's transaction, in order, skipping each row that
// would break a unique index — a record already there, committed before
// or earlier in this import — and returns the ids of the rows inserted.
// Uniqueness is decided by the database, as for a single call: a row a
// concurrent transaction is inserting waits for it, and counts as
// existing once it committed.
//
// On PostgreSQL the rows are streamed with COPY into a temporary staging
// table, then moved with one INSERT … SELECT … ON CONFLICT DO NOTHING
// RETURNING id in their order; on SQLite they are inserted with multi-row
// INSERT … ON CONFLICT DO NOTHING RETURNING id statements.
func (im *Import) insertNew(ctx context.Context, table string, cols []string, rows [][]any) (map[string]bool, error) {
	created := make(map[string]bool, len(rows))
	if len(rows) == 0 {
		return created, nil
	}
	list := `"` + strings.Join(cols, `", "`) + `"`
	collect := func(query string, args ...any) error {
		res, err := im.sqlTx.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer res.Close()
		for res.Next() {
			var id string
			if err := res.Scan(&id); err != nil {
				return err
			}
			created[id] = true
		}
		return res.Err()
	}
	if !im.r.Postgres() {
		per := min(500, 32000/len(cols))
		row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
		for start := 0; start < len(rows); start += per {
			chunk := rows[start:min(start+per, len(rows))]
			args := make([]any, 0, len(chunk)*len(cols))
			for _, r := range chunk {
				args = append(args, r...)
			}
			query := `INSERT INTO "` + table + `" (` + list + `) VALUES ` + strings.TrimSuffix(strings.Repeat(row+", ", len(chunk)), ", ") +
				` ON CONFLICT DO NOTHING RETURNING "` + cols[0] + `"`
			if err := collect(query, args...); err != nil {
				return nil, err
			}
		}
		return created, nil
	}
	staging := "import_" + table
	if !im.staged[table] {
		// Dropped at commit or rollback; one per transaction.
		_, err := im.sqlTx.ExecContext(ctx, `CREATE TEMPORARY TABLE "`+staging+`" (LIKE "`+table+`", import_ord bigint) ON COMMIT DROP`)
		if err != nil {
			return nil, err
		}
		im.staged[table] = true
	} else if _, err := im.sqlTx.ExecContext(ctx, `TRUNCATE "`+staging+`"`); err != nil {
		return nil, err
	}
	w, err := core.NewRowWriter(ctx, im.sqlTx, true, staging, append(cols[:len(cols):len(cols)], "import_ord")...)
	if err != nil {
		return nil, err
	}
	for i, r := range rows {
		if err := w.Write(append(r[:len(r):len(r)], int64(i))...); err != nil {
			_ = w.Abort()
			return nil, fmt.Errorf("copy: %w", err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("copy: %w", err)
	}
	err = collect(`INSERT INTO "` + table + `" (` + list + `) SELECT ` + list + ` FROM "` + staging + `" ORDER BY import_ord` +
		` ON CONFLICT DO NOTHING RETURNING "` + cols[0] + `"`)
	return created, err
}
