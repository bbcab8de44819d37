package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

func openPostgres(ctx context.Context, cfg Config) (*DB, error) {
	pc, err := pgx.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		// pgx's parse errors can echo the URL, password included.
		return nil, fmt.Errorf("--database-url is not a valid PostgreSQL URL; expected postgres://user:password@host:5432/dbname")
	}
	if pc.ConnectTimeout == 0 {
		pc.ConnectTimeout = 5 * time.Second
	}
	pool := stdlib.OpenDB(*pc)
	n := defaultConns(cfg.MaxConns)
	pool.SetMaxOpenConns(n)
	pool.SetMaxIdleConns(n)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{dialect: Postgres, write: pool, read: pool}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.PingContext(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("cannot reach PostgreSQL at %s: %s; check --database-url and that the server is running", RedactURL(cfg.DatabaseURL), pgReason(err))
	}
	return db, nil
}

// pgReason keeps the useful part of a connection error: pgconn writes
// "failed to connect to `user=... database=...`: <reason>"; the reason says
// what went wrong (refused, auth failed, no such database).
func pgReason(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "`: "); i >= 0 {
		return msg[i+3:]
	}
	return msg
}
