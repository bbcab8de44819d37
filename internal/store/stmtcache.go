package store

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// stmtCache keeps prepared statements of one SQLite pool by query text.
// The SQLite driver compiles every query it is given afresh, and compiling
// was a tenth of the server's CPU under load; a statement prepared once is
// reused by every transaction on a connection that has it (database/sql
// prepares it on each connection the first time that connection runs it).
//
// A query not yet cached runs unprepared, and is prepared in the
// background: preparing on the pool from inside a transaction could wait
// for a connection that transaction itself holds (the writer is a pool of
// one). The cache is bounded; queries past the bound simply run
// unprepared (IN lists are padded to a few lengths, InList, so that they
// do not fill it).
type stmtCache struct {
	pool *sql.DB
	max  int

	mu       sync.Mutex
	stmts    map[string]*sql.Stmt
	pending  map[string]bool
	failed   map[string]bool
	closed   bool
	inflight sync.WaitGroup
}

func newStmtCache(pool *sql.DB, max int) *stmtCache {
	return &stmtCache{pool: pool, max: max, stmts: map[string]*sql.Stmt{}, pending: map[string]bool{}, failed: map[string]bool{}}
}

// get returns the prepared statement for query, or nil when it is not
// prepared yet (it is then prepared in the background).
func (c *stmtCache) get(query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts[query]; ok {
		return st
	}
	if c.closed || c.pending[query] || c.failed[query] || len(c.stmts)+len(c.pending)+len(c.failed) >= c.max {
		return nil
	}
	c.pending[query] = true
	c.inflight.Add(1)
	go c.prepare(query)
	return nil
}

func (c *stmtCache) prepare(query string) {
	defer c.inflight.Done()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := c.pool.PrepareContext(ctx, query)
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.pending, query)
	if err != nil {
		// Not cached: the query keeps running unprepared, and its own
		// errors come back to its callers there; a deadline passed
		// waiting for a connection is tried again later.
		if ctx.Err() == nil {
			c.failed[query] = true
		}
		return
	}
	if c.closed {
		st.Close()
		return
	}
	c.stmts[query] = st
}

// close closes the cached statements, after any preparation under way.
func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.inflight.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.stmts {
		st.Close()
		delete(c.stmts, q)
	}
}
