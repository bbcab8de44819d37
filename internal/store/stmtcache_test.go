package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestCachedStatementsGiveTheSameAnswers: on SQLite, queries run again and
// again end up prepared once and reused, on the writer and the readers,
// and answer exactly as unprepared ones; a rolled-back write through a
// cached statement leaves nothing; a bad query keeps its error; the cache
// stays within its bound.
func TestCachedStatementsGiveTheSameAnswers(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, Config{DataDir: t.TempDir() + "/data", CreateDataDir: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.writeStmts.max, db.readStmts.max = 3, 3
	if err := db.Write(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	const insert = `INSERT INTO notes (id, body) VALUES ($1, $2)`
	const count = `SELECT count(*) FROM notes WHERE body LIKE $1`
	waitCached := func(c *stmtCache, q string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; {
			c.mu.Lock()
			_, ok := c.stmts[q]
			c.mu.Unlock()
			if ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%q never prepared", q)
			}
			c.get(q)
			time.Sleep(5 * time.Millisecond)
		}
	}
	for i := range 50 {
		if err := db.Write(ctx, func(tx *Tx) error {
			_, err := tx.Exec(ctx, insert, i, fmt.Sprintf("note %d", i))
			return err
		}); err != nil {
			t.Fatalf("insert %d: %v", i, err)
		}
		if i == 10 {
			waitCached(db.writeStmts, insert)
		}
	}
	waitCached(db.readStmts, count)
	for _, tc := range []struct {
		like string
		want int
	}{{"note 1%", 11}, {"note %", 50}, {"none", 0}} {
		var n int
		if err := db.Read(ctx, func(tx *Tx) error { return tx.QueryRow(ctx, count, []any{tc.like}, &n) }); err != nil || n != tc.want {
			t.Fatalf("count %q through the cached statement: %d, %v; want %d", tc.like, n, err, tc.want)
		}
	}
	// A write through the cached statement that rolls back leaves nothing.
	boom := errors.New("changed my mind")
	if err := db.Write(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, insert, 100, "rolled back"); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	var n int
	if err := db.Read(ctx, func(tx *Tx) error { return tx.QueryRow(ctx, count, []any{"rolled back"}, &n) }); err != nil || n != 0 {
		t.Fatalf("rolled-back insert left %d rows (%v)", n, err)
	}
	// A duplicate key through the cached statement is still the shared error.
	err = db.Write(ctx, func(tx *Tx) error { _, err := tx.Exec(ctx, insert, 1, "again"); return err })
	if !errors.Is(err, ErrUnique) {
		t.Fatalf("duplicate insert: %v, want ErrUnique", err)
	}
	// A query that cannot be prepared keeps failing with its own error.
	for range 3 {
		if err := db.Read(ctx, func(tx *Tx) error { return tx.QueryRow(ctx, `SELECT nope FROM notes`, nil, &n) }); err == nil {
			t.Fatal("a bad query succeeded")
		}
	}
	// The bound holds: more distinct queries than it allows run unprepared.
	for i := range 10 {
		q := fmt.Sprintf(`SELECT count(*) + %d FROM notes`, i)
		for range 3 {
			if err := db.Read(ctx, func(tx *Tx) error { return tx.QueryRow(ctx, q, nil, &n) }); err != nil || n != 50+i {
				t.Fatalf("%s: %d, %v", q, n, err)
			}
		}
	}
	db.readStmts.inflight.Wait()
	db.readStmts.mu.Lock()
	size := len(db.readStmts.stmts) + len(db.readStmts.failed)
	db.readStmts.mu.Unlock()
	if size > 3 {
		t.Fatalf("the reader cache holds %d entries, bound 3", size)
	}
}

// TestCachedStatementNestedInItself: a query run again, in the same
// transaction, while its first run's rows are still open answers right
// (the driver has one cursor per compiled statement, so the second run
// must not share it).
func TestCachedStatementNestedInItself(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, Config{DataDir: t.TempDir() + "/data", CreateDataDir: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const list = `SELECT id FROM nums WHERE id >= $1 ORDER BY id`
	const all = `SELECT id FROM nums ORDER BY id`
	if err := db.Write(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `CREATE TABLE nums (id INTEGER PRIMARY KEY)`); err != nil {
			return err
		}
		for i := range 5 {
			if _, err := tx.Exec(ctx, `INSERT INTO nums (id) VALUES ($1)`, i); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{list, all} {
		for deadline := time.Now().Add(10 * time.Second); ; {
			db.readStmts.mu.Lock()
			_, ok := db.readStmts.stmts[q]
			db.readStmts.mu.Unlock()
			if ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%q never prepared", q)
			}
			db.readStmts.get(q)
			time.Sleep(5 * time.Millisecond)
		}
	}
	err = db.Read(ctx, func(tx *Tx) error {
		for _, q := range []string{list, all} {
			var args []any
			if q == list {
				args = []any{0}
			}
			rows, err := tx.Query(ctx, q, args...)
			if err != nil {
				return err
			}
			var outer []int
			for rows.Next() {
				var id int
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return err
				}
				outer = append(outer, id)
				// The same text again while the outer rows are open.
				var first int
				if err := tx.QueryRow(ctx, q, args, &first); err != nil || first != 0 {
					rows.Close()
					return fmt.Errorf("nested %q: %d, %v", q, first, err)
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil || len(outer) != 5 {
				return fmt.Errorf("outer %q: %v, %v", q, outer, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestInListPadsToFewShapes: IN lists come in a handful of lengths, each
// answering exactly as the list itself.
func TestInListPadsToFewShapes(t *testing.T) {
	for _, tc := range []struct {
		from   int
		values []string
		in     string
		args   int
	}{
		{1, []string{"a"}, "$1", 1},
		{3, []string{"a", "b", "c"}, "$3, $4, $5, $6", 4},
		{1, make([]string, 33), "", 64},
	} {
		in, args := InList(tc.from, tc.values)
		if len(args) != tc.args || (tc.in != "" && in != tc.in) || args[len(args)-1] != tc.values[len(tc.values)-1] {
			t.Errorf("InList(%d, %d values) = %q, %d args", tc.from, len(tc.values), in, len(args))
		}
	}
	ctx := context.Background()
	db, err := Open(ctx, Config{DataDir: t.TempDir() + "/data", CreateDataDir: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	err = db.Write(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `CREATE TABLE t (id TEXT PRIMARY KEY)`); err != nil {
			return err
		}
		for _, id := range []string{"a", "b", "c", "d", "e"} {
			if _, err := tx.Exec(ctx, `INSERT INTO t (id) VALUES ($1)`, id); err != nil {
				return err
			}
		}
		in, args := InList(1, []string{"a", "c", "e"})
		return tx.QueryRow(ctx, `SELECT count(*) FROM t WHERE id IN (`+in+`)`, args, &n)
	})
	if err != nil || n != 3 {
		t.Fatalf("padded IN list matched %d rows (%v), want 3", n, err)
	}
}
