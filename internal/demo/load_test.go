package demo_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/auth"
	"frontdoor/internal/demo"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/vault/vaulttest"
)

func TestLoadFillsOnceAndOnlyAnEmptyInstance(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db := storetest.Open(t, d)
		accounts := auth.NewService(db, vaulttest.New(t, db), nil, time.Now)
		res, err := demo.Load(ctx, db, accounts, demo.Config{Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Loaded || res.AdminID == "" || res.Staff < 20 || res.Teams < 8 {
			t.Fatalf("first load: %+v", res)
		}
		staff, err := accounts.ListStaff(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(staff) != res.Staff {
			t.Fatalf("%d staff in the database, %d generated", len(staff), res.Staff)
		}
		roles := map[access.Role]bool{}
		for _, s := range staff {
			roles[s.Role] = true
			if s.HasPassword {
				t.Errorf("demo account %s has a password", s.Username)
			}
		}
		for _, r := range access.Roles {
			if !roles[r] {
				t.Errorf("no demo account with role %s", r)
			}
		}
		again, err := demo.Load(ctx, db, accounts, demo.Config{Seed: 7})
		if err != nil || again.Loaded {
			t.Fatalf("second load of the same seed: %+v, %v", again, err)
		}
		if _, err := demo.Load(ctx, db, accounts, demo.Config{Seed: 8}); err == nil {
			t.Fatal("a second demo with another seed was loaded over the first")
		}

		// An instance with real data never gets fictional records mixed in.
		real := storetest.Open(t, d)
		a := auth.NewService(real, vaulttest.New(t, real), nil, time.Now)
		token, _ := a.IssueSetupLink(ctx, "")
		if _, _, err := a.CompleteSetup(ctx, token, auth.SetupForm{OrganisationName: "Real Org", DisplayName: "Real Admin", Username: "realadmin", Password: "a real password", Confirm: "a real password"}); err != nil {
			t.Fatal(err)
		}
		if _, err := demo.Load(ctx, real, a, demo.Config{Seed: 1}); !errors.Is(err, demo.ErrNotEmpty) {
			t.Fatalf("demo into a real instance: %v", err)
		}
	})
}
