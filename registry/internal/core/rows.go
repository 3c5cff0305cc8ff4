package core

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/hangzhou-ai/registry/ent"
)

// BeginWriteTx opens a transaction for a bulk write and returns it twice:
// as an ent transaction for the builders and queries, and as the
// *sql.Tx under it for what ent does not do (COPY on PostgreSQL, prepared
// multi-row inserts). Both are one transaction on one connection;
// committing or rolling back the ent transaction ends it.
//
// ent does not hand out the *sql.Tx of a transaction it opened, so the
// transaction is opened here, on the pool, and given to an ent client
// whose driver returns it as its one transaction.
func (r *Core) BeginWriteTx(ctx context.Context) (*ent.Tx, *sql.Tx, error) {
	if r.Pool == nil {
		return nil, nil, errors.New("begin: the registry has no connection pool")
	}
	name := dialect.SQLite
	if r.Postgres() {
		name = dialect.Postgres
	}
	drv := entsql.OpenDB(name, r.Pool)
	dtx, err := drv.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("begin: %w", err)
	}
	sqlTx, ok := dtx.(*entsql.Tx).Tx.(*sql.Tx)
	if !ok {
		_ = dtx.Rollback()
		return nil, nil, errors.New("begin: the driver's transaction is not a *sql.Tx")
	}
	tx, err := ent.NewClient(ent.Driver(openedTx{Driver: drv, tx: dtx})).Tx(ctx)
	if err != nil {
		_ = dtx.Rollback()
		return nil, nil, fmt.Errorf("begin: %w", err)
	}
	return tx, sqlTx, nil
}

// openedTx is a driver whose transaction is already open.
type openedTx struct {
	*entsql.Driver
	tx dialect.Tx
}

func (d openedTx) Tx(context.Context) (dialect.Tx, error) { return d.tx, nil }

// RowWriter writes many rows of one table inside a transaction: with COPY
// … FROM STDIN on PostgreSQL, which streams them in one statement while
// the database stores them, and with a prepared multi-row INSERT on
// SQLite. Values are passed as database/sql arguments (nil for NULL). No
// other statement may run on the transaction between NewRowWriter and
// Close (a COPY in progress holds the connection).
type RowWriter struct {
	ctx   context.Context
	tx    *sql.Tx
	pg    bool
	table string
	cols  []string
	copy  *sql.Stmt // PostgreSQL
	full  *sql.Stmt // SQLite: the statement for a full chunk
	rows  int       // SQLite: rows per statement
	buf   []any     // SQLite: the chunk's arguments
	done  bool
}

// NewRowWriter starts writing rows of cols into table.
func NewRowWriter(ctx context.Context, tx *sql.Tx, pg bool, table string, cols ...string) (*RowWriter, error) {
	w := &RowWriter{ctx: ctx, tx: tx, pg: pg, table: table, cols: cols}
	if pg {
		stmt, err := tx.PrepareContext(ctx, `COPY "`+table+`" (`+quoteColumns(cols)+`) FROM STDIN`)
		if err != nil {
			return nil, err
		}
		w.copy = stmt
		return w, nil
	}
	// SQLite allows 32,766 parameters a statement; 500 rows keep every
	// table of the registry well below it.
	w.rows = min(500, 32000/len(cols))
	w.buf = make([]any, 0, w.rows*len(cols))
	return w, nil
}

// Write adds one row.
func (w *RowWriter) Write(vals ...any) error {
	if len(vals) != len(w.cols) {
		return fmt.Errorf("%s: %d values for %d columns", w.table, len(vals), len(w.cols))
	}
	if w.pg {
		_, err := w.copy.ExecContext(w.ctx, vals...)
		return err
	}
	w.buf = append(w.buf, vals...)
	if len(w.buf) == cap(w.buf) {
		return w.flush()
	}
	return nil
}

// flush inserts the SQLite rows buffered so far.
func (w *RowWriter) flush() error {
	n := len(w.buf) / len(w.cols)
	if n == 0 {
		return nil
	}
	stmt := w.full
	if n < w.rows || stmt == nil {
		s, err := w.tx.PrepareContext(w.ctx, w.insert(n))
		if err != nil {
			return err
		}
		if n == w.rows {
			w.full = s
		} else {
			defer s.Close()
		}
		stmt = s
	}
	_, err := stmt.ExecContext(w.ctx, w.buf...)
	w.buf = w.buf[:0]
	return err
}

func (w *RowWriter) insert(n int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(w.cols)), ", ") + ")"
	return `INSERT INTO "` + w.table + `" (` + quoteColumns(w.cols) + `) VALUES ` +
		strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

// Close writes what is buffered and ends the COPY.
func (w *RowWriter) Close() error {
	if w.done {
		return nil
	}
	w.done = true
	if w.pg {
		_, err := w.copy.ExecContext(w.ctx)
		return errors.Join(err, w.copy.Close())
	}
	err := w.flush()
	if w.full != nil {
		err = errors.Join(err, w.full.Close())
	}
	return err
}

// Abort gives up the writer after a failure; the transaction must then be
// rolled back.
func (w *RowWriter) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	if w.pg {
		return w.copy.Close()
	}
	if w.full != nil {
		return w.full.Close()
	}
	return nil
}

// InsertSQL is an INSERT of rows rows of cols into table, with the
// dialect's placeholders, numbered from 1 in row order.
func (r *Core) InsertSQL(table string, cols []string, rows int) string {
	q := &sqlText{pg: r.Postgres()}
	q.WriteString(`INSERT INTO "` + table + `" (` + quoteColumns(cols) + `) VALUES `)
	vals := make([]any, len(cols))
	for i := range rows {
		if i > 0 {
			q.WriteString(", ")
		}
		q.values(vals...)
	}
	return q.String()
}
