package demo_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/auth"
	"frontdoor/internal/demo"
	"frontdoor/internal/intake"
	"frontdoor/internal/matching"
	"frontdoor/internal/outreach"
	"frontdoor/internal/people"
	"frontdoor/internal/refuge"
	"frontdoor/internal/risk"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/vault"
	"frontdoor/internal/vault/vaulttest"
)

// demoWorld is a database with the demo's partnership (staff, teams) for
// seed, and every capability service on the loader's clock, wired as
// serve wires them. A test passes the services it means to exercise in
// demo.Services (the loader does more with each one set).
type demoWorld struct {
	db       *store.DB
	cfg      store.Config
	vault    *vault.Vault
	accounts *auth.Service
	clock    *demo.Clock
	people   *people.Service
	intake   *intake.Service
	risk     *risk.Service
	refuge   *refuge.Service
	outreach *outreach.Service
}

func newDemoWorld(t *testing.T, d store.Dialect, seed int64) *demoWorld {
	t.Helper()
	ctx := context.Background()
	cfg := storetest.Config(t, d)
	db := storetest.OpenConfig(t, cfg)
	v := vaulttest.New(t, db)
	accounts := auth.NewService(db, v, nil, time.Now)
	if _, err := demo.Load(ctx, db, accounts, demo.Config{Seed: seed}); err != nil {
		t.Fatal(err)
	}
	clock := &demo.Clock{}
	rec := audit.NewRecorder(v.AuditKey(), time.Now, nil)
	grants := &access.Grants{Vault: v, Record: rec, Now: clock.Now}
	ppl := &people.Service{DB: db, Vault: v, Grants: grants, Record: rec, Now: clock.Now}
	ppl.Matches = &matching.Index{DB: db, Vault: v, Record: rec, Now: clock.Now, Facts: ppl.MatchFacts}
	return &demoWorld{db: db, cfg: cfg, vault: v, accounts: accounts, clock: clock, people: ppl,
		intake:   &intake.Service{DB: db, Vault: v, Record: rec, Now: clock.Now, ClientFacts: ppl.Facts, People: ppl, Matches: ppl.Matches},
		risk:     &risk.Service{DB: db, Vault: v, Record: rec, Now: clock.Now, ClientFacts: ppl.Facts},
		refuge:   &refuge.Service{DB: db, Vault: v, Record: rec, Now: clock.Now, ClientFacts: ppl.Facts, ClientHousehold: ppl.Placement},
		outreach: &outreach.Service{DB: db, Vault: v, Record: rec, Now: clock.Now, Clients: ppl},
	}
}

// opened runs query (an ID and a sealed JSON document of string fields
// per row) and opens each document as the capability sealed it (AAD
// table, ID, field): what a report over sealed values does in Go.
func (w *demoWorld) opened(t *testing.T, query, table, field string) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	for id, sealed := range w.column(t, query) {
		plain, err := w.vault.OpenString(sealed, table, id, field)
		if err != nil {
			t.Fatalf("open %s.%s of %s: %v", table, field, id, err)
		}
		doc := map[string]string{}
		if err := json.Unmarshal([]byte(plain), &doc); err != nil {
			t.Fatalf("%s.%s of %s: %v", table, field, id, err)
		}
		out[id] = doc
	}
	return out
}

// column runs query (two text columns a row) and maps the first to the
// second.
func (w *demoWorld) column(t *testing.T, query string) map[string]string {
	t.Helper()
	out := map[string]string{}
	if err := w.db.Read(context.Background(), func(tx *store.Tx) error {
		rows, err := tx.Query(context.Background(), query)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k, v string
			if err := rows.Scan(&k, &v); err != nil {
				return err
			}
			out[k] = v
		}
		return rows.Err()
	}); err != nil {
		t.Fatal(err)
	}
	return out
}
