package main

// What the audit append adds to a write (the bar: < 1 ms at p95). Every
// change of a person's record appends its event to the hash-chained trail
// in the change's own transaction; the cost is the chain head's read and
// update, the MAC and the event's insert, inside a commit the change pays
// anyway. Measured on a scratch database of the same engine and settings
// (a data dir of its own for SQLite, a schema of its own for PostgreSQL),
// migrated as frontdoor's is: writes of a row the size of a sealed client
// row, one durable transaction each, alternately bare and with one audit
// event, so both kinds see the same disk and the same neighbours.

import (
	"context"
	crand "crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"frontdoor/internal/audit"
	"frontdoor/internal/id"
	"frontdoor/internal/store"
)

// auditCost runs n pairs of writes and returns the latencies of the bare
// writes and of the audited ones.
func auditCost(ctx context.Context, engine, scratchDir, pgBase string, n int) (bare, audited []time.Duration, err error) {
	cfg := store.Config{DataDir: scratchDir, CreateDataDir: true}
	if engine == "postgres" {
		schema := fmt.Sprintf("bench_audit_scratch_%d", os.Getpid())
		u, err := prepareSchema(ctx, pgBase, schema, true)
		if err != nil {
			return nil, nil, err
		}
		defer dropSchema(pgBase, schema)
		cfg = store.Config{DatabaseURL: u}
	} else {
		if err := os.RemoveAll(scratchDir); err != nil {
			return nil, nil, err
		}
		defer os.RemoveAll(scratchDir)
	}
	db, err := store.Open(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx, time.Now); err != nil {
		return nil, nil, err
	}
	if err := db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `CREATE TABLE bench_writes (id TEXT PRIMARY KEY, body TEXT NOT NULL)`)
		return err
	}); err != nil {
		return nil, nil, err
	}
	key := make([]byte, audit.MinKeyLen)
	crand.Read(key)
	raw := make([]byte, 450)
	crand.Read(raw)
	body := base64.StdEncoding.EncodeToString(raw) // ~600 bytes, a sealed row's size
	staff := id.New()
	write := func(withAudit bool) (time.Duration, error) {
		rowID := id.New()
		start := time.Now()
		err := db.Write(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO bench_writes (id, body) VALUES ($1, $2)`, rowID, body); err != nil {
				return err
			}
			if !withAudit {
				return nil
			}
			return audit.Append(ctx, tx, key, audit.Event{ActorID: staff, Action: "record.update", RecordKind: "client", RecordID: rowID, Purpose: "assigned"})
		})
		return time.Since(start), err
	}
	for i := range n {
		// Alternate which goes first, so neither always follows the other.
		first := i%2 == 0
		for _, a := range []bool{first, !first} {
			d, err := write(a)
			if err != nil {
				return nil, nil, err
			}
			if a {
				audited = append(audited, d)
			} else {
				bare = append(bare, d)
			}
		}
	}
	return bare, audited, nil
}

// auditScratch is where the SQLite measurement writes: beside the data
// set, so on the same disk.
func auditScratch(data string) string { return filepath.Join(data, "audit-cost-scratch") }
