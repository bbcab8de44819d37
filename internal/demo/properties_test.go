package demo_test

import (
	"context"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/auth"
	"frontdoor/internal/demo"
	"frontdoor/internal/refuge"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/vault/vaulttest"
)

func TestLoadProperties(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		cfg := storetest.Config(t, d)
		db := storetest.OpenConfig(t, cfg)
		v := vaulttest.New(t, db)
		rec := audit.NewRecorder(v.AuditKey(), time.Now, nil)
		accounts := auth.NewService(db, v, rec, time.Now)
		dc := demo.Config{Seed: 7}
		if _, err := demo.Load(ctx, db, accounts, dc); err != nil {
			t.Fatal(err)
		}
		svc := &refuge.Service{DB: db, Vault: v, Record: rec, Now: time.Now}
		p := demo.NewPartnership(dc)
		start := time.Now()
		res, err := demo.LoadProperties(ctx, svc, p, dc)
		if err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("loading the demo's properties took %v", took)
		}
		if !res.Loaded || res.Properties != len(p.Properties) || res.Bedspaces < res.Units || res.Units < res.Properties {
			t.Fatalf("result %+v", res)
		}
		var n int
		if err := db.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM refuge_bedspaces`, nil, &n)
		}); err != nil || n != res.Bedspaces {
			t.Fatalf("%d bedspaces in the database, %d generated (%v)", n, res.Bedspaces, err)
		}
		again, err := demo.LoadProperties(ctx, svc, p, dc)
		if err != nil || again.Loaded {
			t.Fatalf("second load %+v %v", again, err)
		}
		// A refuge's own staff see its board and address; the address is sealed at rest.
		var refugeProp demo.Property
		for _, prop := range p.Properties {
			if prop.Kind == "refuge" {
				refugeProp = prop
				break
			}
		}
		var worker demo.Staff
		for _, s := range p.Staff {
			if s.Role == access.RoleRefugeWorker && len(s.TeamIDs) > 0 && s.TeamIDs[0] == refugeProp.TeamID {
				worker = s
				break
			}
		}
		actor := access.Actor{StaffID: worker.ID, Role: worker.Role, OrganisationID: worker.OrganisationID, TeamIDs: worker.TeamIDs}
		board, err := svc.Board(ctx, actor)
		if err != nil || len(board) != 1 || board[0].ID != refugeProp.ID || board[0].FreeNow != board[0].Bedspaces {
			t.Fatalf("board %+v %v", board, err)
		}
		got, err := svc.OpenProperty(ctx, actor, refugeProp.ID)
		if err != nil || got.Address != refugeProp.Address {
			t.Fatalf("property %+v %v", got, err)
		}
		vaulttest.AssertNoPlaintext(t, db, cfg, refugeProp.Address)
	})
}
