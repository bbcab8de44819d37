package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

// token create refuses a scope its holder can never use, on either engine:
// exit 2, one line naming the flag, the scope and the organisation's kind
// or the person's role, and nothing stored or audited. Tokens its holders
// can use are made as before.
func TestTokenCreateRefusesScopesTheHolderCanNeverUse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		in := newInstance(t, d)
		if r := in.run(t, "user", "add", "--username", "first.admin", "--name", "First Admin", "--role", "administrator", "--organisation", "Calder Bridge Refuge Trust"); r.Code != 0 {
			t.Fatalf("user add: %+v", r)
		}
		db, err := store.Open(context.Background(), in.cfg)
		if err != nil {
			t.Fatal(err)
		}
		err = db.Write(context.Background(), func(tx *store.Tx) error {
			for _, o := range [][3]string{{"0190f2a0-0000-7000-8000-0000000000d1", "Joint Commissioning Board", "commissioner"}, {"0190f2a0-0000-7000-8000-0000000000d2", "County Police", "partner_agency"}} {
				if _, err := tx.Exec(context.Background(), `INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, $2, $3, $4)`, o[0], o[1], o[2], time.Now().UTC()); err != nil {
					return err
				}
			}
			return nil
		})
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range [][3]string{
			{"r.worker", "refuge_worker", "Calder Bridge Refuge Trust"},
			{"d.gone", "refuge_worker", "Calder Bridge Refuge Trust"},
			{"v.helper", "volunteer", "Calder Bridge Refuge Trust"},
			{"c.board", "commissioner", "Joint Commissioning Board"},
			{"p.police", "partner_agency_user", "County Police"},
		} {
			if r := in.run(t, "user", "add", "--username", u[0], "--name", u[0], "--role", u[1], "--organisation", u[2]); r.Code != 0 {
				t.Fatalf("user add %s: %+v", u[0], r)
			}
		}
		if r := in.run(t, "user", "disable", "--username", "d.gone", "--reason", "left the service in November"); r.Code != 0 {
			t.Fatalf("user disable: %+v", r)
		}

		for _, c := range []struct {
			name  string
			args  []string
			wants []string
		}{
			{"commissioning body's partner token", []string{"--organisation", "Joint Commissioning Board"}, []string{"--scopes", "commissioner", "referral.create"}},
			{"commissioning body reading referrals", []string{"--organisation", "Joint Commissioning Board", "--scopes", "referral.read"}, []string{"--scopes", "commissioner", "referral.read"}},
			{"agency scope of an unregistered agency", []string{"--organisation", "County Police", "--scopes", "referral.create,agency.read"}, []string{"--scopes", "partner_agency", "agency.read", "registered as a partner agency"}},
			{"agency scope of the refuge trust", []string{"--organisation", "Calder Bridge Refuge Trust", "--scopes", "agency.update"}, []string{"--scopes", "charity", "agency.update"}},
			{"commissioner's outreach token", []string{"--staff", "c.board", "--scopes", "outreach"}, []string{"--scopes", "commissioner", "outreach"}},
			{"commissioner's accommodation token", []string{"--staff", "c.board"}, []string{"--scopes", "commissioner", "accommodation"}},
			{"administrator's accommodation token", []string{"--staff", "first.admin", "--scopes", "accommodation"}, []string{"--scopes", "administrator", "accommodation"}},
			{"administrator's outreach token", []string{"--staff", "first.admin", "--scopes", "outreach"}, []string{"--scopes", "administrator", "outreach"}},
			{"partner agency user's outreach token", []string{"--staff", "p.police", "--scopes", "outreach"}, []string{"--scopes", "partner_agency_user", "outreach"}},
			{"volunteer's outreach token", []string{"--staff", "v.helper", "--scopes", "outreach"}, []string{"--scopes", "volunteer", "outreach"}},
			{"volunteer's accommodation token", []string{"--staff", "v.helper", "--scopes", "accommodation,outreach"}, []string{"--scopes", "volunteer", "accommodation"}},
			{"disabled account's token", []string{"--staff", "d.gone"}, []string{"--staff", "disabled"}},
		} {
			t.Run(c.name, func(t *testing.T) {
				oneLineErr(t, in.run(t, append([]string{"token", "create", "--name", "Refused integration"}, c.args...)...), 2, append([]string{"token create: "}, c.wants...)...)
			})
		}
		r := in.run(t, "token", "list")
		if r.Code != 0 || strings.Contains(r.Stdout, "Refused integration") {
			t.Fatalf("a refused token was stored: %+v", r)
		}
		if got := auditPurposes(t, in.cfg, "token.create"); len(got) != 0 {
			t.Fatalf("refusals were audited as token creations: %q", got)
		}

		// Those who can use a scope get their token.
		for _, args := range [][]string{
			{"--staff", "r.worker", "--scopes", "accommodation,outreach", "--name", "Board sync"},
			{"--organisation", "County Police", "--scopes", "referral.create,referral.read", "--name", "Police referrals"},
			{"--organisation", "Calder Bridge Refuge Trust", "--name", "Own web form"},
		} {
			if r := in.run(t, append([]string{"token", "create"}, args...)...); r.Code != 0 || !strings.Contains(r.Stdout, "fdt_") {
				t.Fatalf("token create %v: %+v", args, r)
			}
		}
		r = in.run(t, "token", "list")
		for _, want := range []string{"Board sync", "Police referrals", "Own web form"} {
			if !strings.Contains(r.Stdout, want) {
				t.Errorf("token list has no %q:\n%s", want, r.Stdout)
			}
		}
	})
}
