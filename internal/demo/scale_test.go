package demo_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/auth"
	"frontdoor/internal/demo"
	"frontdoor/internal/intake"
	"frontdoor/internal/matching"
	"frontdoor/internal/people"
	"frontdoor/internal/refuge"
	"frontdoor/internal/risk"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/vault/vaulttest"
)

// The benchmark data set: people with long timelines, written so the
// services read them (sealed, blind-indexed, in the matching index), a
// credentials file whose accounts sign in with their password and a TOTP
// code, and a clear refusal the second time.
func TestLoadScale(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		cfg := storetest.Config(t, d)
		db := storetest.OpenConfig(t, cfg)
		v := vaulttest.New(t, db)
		rec := audit.NewRecorder(v.AuditKey(), time.Now, nil)
		accounts := auth.NewService(db, v, rec, time.Now)
		clock := &demo.Clock{}
		grants := &access.Grants{Vault: v, Record: rec, Now: clock.Now}
		ppl := &people.Service{DB: db, Vault: v, Grants: grants, Record: rec, Now: clock.Now}
		ppl.Matches = &matching.Index{DB: db, Vault: v, Record: rec, Now: clock.Now, Facts: ppl.MatchFacts}
		in := &intake.Service{DB: db, Vault: v, Record: rec, Now: clock.Now, ClientFacts: ppl.Facts, People: ppl, Matches: ppl.Matches}
		svc := demo.ScaleServices{DB: db, Vault: v, Accounts: accounts, People: ppl, Matches: ppl.Matches,
			Risk:   &risk.Service{DB: db, Vault: v, Record: rec, Now: clock.Now, ClientFacts: ppl.Facts},
			Refuge: &refuge.Service{DB: db, Vault: v, Record: rec, Now: clock.Now, ClientFacts: ppl.Facts, ClientHousehold: ppl.Placement}}
		var reports int
		res, bf, err := demo.LoadScale(ctx, svc, clock, demo.ScaleConfig{People: 400, Seed: 3, BenchUsers: 2,
			Progress: func(done, total int) { reports++ }})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%+v", *res)
		if res.People < 300 || res.People > 500 || res.Clients == 0 || res.Children == 0 || res.Perpetrators == 0 || reports == 0 {
			t.Fatalf("wrote %+v with %d progress reports; want about 400 people of each kind, and progress", *res, reports)
		}
		if per := float64(res.Events) / float64(res.People); per < 5 || per > 20 {
			t.Errorf("%.1f timeline events per person; want about 10", per)
		}
		if res.Properties == 0 || res.Bedspaces == 0 || len(bf.Users) != 2 || len(bf.Clients) == 0 || len(bf.SearchNames) == 0 {
			t.Fatalf("result %+v, bench file %+v", *res, bf)
		}
		var keys int
		if err := db.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM match_subjects`, nil, &keys)
		}); err != nil || keys != res.People {
			t.Errorf("%d people in the matching index (%v); want %d", keys, err, res.People)
		}

		// The credentials file is for the harness only.
		path := filepath.Join(t.TempDir(), demo.BenchFileName)
		if err := demo.WriteBenchFile(path, bf); err != nil {
			t.Fatal(err)
		}
		if back, err := demo.ReadBenchFile(path); err != nil || back.Users[1] != bf.Users[1] {
			t.Fatalf("read back %+v, %v", back, err)
		}

		// A benchmark worker signs in through the real flow.
		u := bf.Users[0]
		token, se, err := accounts.SignIn(ctx, u.Username, u.Password, "127.0.0.1")
		if err != nil || se.Stage != auth.StageSecondFactor {
			t.Fatalf("sign in as %s: %v, %+v", u.Username, err, se)
		}
		code, err := demo.TOTPCode(u.TOTPSecret, time.Now().Add(30*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		full, err := accounts.VerifySecondFactor(ctx, token, code, "127.0.0.1")
		if err != nil {
			t.Fatalf("second factor: %v", err)
		}
		st, err := accounts.StaffByUsername(ctx, u.Username)
		if err != nil {
			t.Fatal(err)
		}
		sess, err := accounts.Session(ctx, full)
		if err != nil {
			t.Fatal(err)
		}
		actor := access.Actor{StaffID: st.ID, Role: st.Role, OrganisationID: st.OrganisationID, TeamIDs: sess.TeamIDs}

		// The services read what the loader wrote: a timeline whose
		// notes open, and the people search over the blind indexes and
		// the matching index.
		client := bf.Clients[0]
		if len(bf.HeavyClients) > 0 {
			client = bf.HeavyClients[0]
		}
		entries, err := in.Timeline(ctx, actor, client)
		if err != nil || len(entries) < 3 {
			t.Fatalf("timeline of %s: %d entries, %v", client, len(entries), err)
		}
		found, err := ppl.Search(ctx, actor, bf.SearchNames[0], 10)
		if err != nil || len(found) == 0 {
			t.Errorf("search for a loaded client: %v, %v", found, err)
		}
		vaulttest.AssertNoPlaintext(t, db, cfg, bf.SearchNames[0], bf.SearchNames[1])

		// Once only.
		if _, _, err := demo.LoadScale(ctx, svc, clock, demo.ScaleConfig{People: 400, Seed: 3}); !errors.Is(err, demo.ErrScaleLoaded) {
			t.Errorf("second load: %v; want ErrScaleLoaded", err)
		}
	})
}
