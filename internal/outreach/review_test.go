package outreach_test

import (
	"context"
	"net"
	"slices"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/errs"
	"frontdoor/internal/outreach"
	"frontdoor/internal/people"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

// A mail server that accepts and never answers must not hold the sender
// past its context: the lone-working notices behind it would wait.
func TestEmailHonoursTheDeadline(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // accepted, never spoken to
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = (&outreach.Email{Addr: ln.Addr().String(), From: "fd@example.org", To: []string{"duty@example.org"}}).Send(ctx, outreach.Notice{DueAt: time.Now()})
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("send to a silent server: %v after %s", err, time.Since(start))
	}
}

// Once a home visit has begun, only its worker records how it went: a
// colleague cancelling it would silence the alarm.
func TestOnlyTheWorkerEndsAVisitUnderWay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		c := w.client(t, "Amina", people.Safe)
		ids, err := w.svc.Book(ctx, w.worker, outreach.NewSessions{ClientID: c, Kind: outreach.HomeVisit, Start: w.now().Add(time.Hour), Duration: time.Hour, Weeks: 2, Reminder: outreach.NoReminder})
		if err != nil {
			t.Fatal(err)
		}
		// Before it starts a colleague may cancel it (the client rang).
		if err := w.svc.RecordSession(ctx, w.colleague, ids[1], 1, outreach.SessionRecord{Status: outreach.Cancelled}); err != nil {
			t.Fatal(err)
		}
		w.advance(90 * time.Minute)
		err = w.svc.RecordSession(ctx, w.colleague, ids[0], 1, outreach.SessionRecord{Status: outreach.Cancelled})
		if got := fieldNames(t, err); !slices.Equal(got, []string{"status"}) {
			t.Fatalf("a colleague cancels a visit under way: %v", got)
		}
		w.advance(2 * time.Hour)
		if n, err := w.svc.Escalate(ctx); err != nil || n != 1 {
			t.Fatalf("the visit's alarm: %d escalations, %v", n, err)
		}
	})
}

// partnerTeam stands in for a partner team of another organisation that
// works the client (the refuge of a stay): it reads the client, and the
// record, its plan and any onward sharing stay with the client's
// organisation.
type partnerTeam struct {
	*people.Service
	actor access.Actor
}

func (p partnerTeam) Facts(ctx context.Context, tx *store.Tx, actor access.Actor, clientID string) (access.Record, error) {
	rec, err := p.Service.Facts(ctx, tx, actor, clientID)
	if actor.StaffID == p.actor.StaffID {
		rec.PartnerTeamIDs = append(rec.PartnerTeamIDs, actor.TeamIDs...)
	}
	return rec, err
}

func TestOnwardSharingStaysWithTheClientsOrganisation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		c := w.client(t, "Amina", people.Safe)
		const otherOrg = "0190f2a0-0000-7000-8000-0000000000b2"
		if err := w.db.Write(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, 'Other Refuge Trust', 'charity', $2)`, otherOrg, time.Now().UTC()); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO teams (id, organisation_id, name, service, created_at) VALUES ('other-refuge', $1, 'Refuge', 'refuge', $2)`, otherOrg, time.Now().UTC())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		outsider := w.staffIn(t, otherOrg, "other.refuge", access.RoleRefugeWorker, "other-refuge")
		theirAdmin := w.staffIn(t, otherOrg, "other.admin", access.RoleAdministrator)
		theirVolunteer := w.staffIn(t, otherOrg, "other.volunteer", access.RoleVolunteer)
		agency, err := w.svc.RegisterAgency(ctx, theirAdmin, "Their Locksmith", "security")
		if err != nil {
			t.Fatal(err)
		}
		isa, err := w.svc.AddAgreement(ctx, theirAdmin, outreach.Agreement{PartnerID: agency, Title: "Their ISA", LegalBasis: "public_task", StartsOn: w.now().AddDate(-1, 0, 0)})
		if err != nil {
			t.Fatal(err)
		}
		w.svc.Clients = partnerTeam{Service: w.people, actor: outsider}
		_, err = w.svc.StartPlan(ctx, outsider, c)
		code(t, err, errs.Forbidden)
		_, err = w.svc.ReferToPartner(ctx, outsider, outreach.NewPartnerReferral{ClientID: c, AgreementID: isa, Kind: "target_hardening", Share: []outreach.ShareField{"name", "address"}, Request: "Locks"})
		code(t, err, errs.Forbidden)
		_, err = w.svc.MatchVolunteer(ctx, outsider, outreach.NewMatch{ClientID: c, VolunteerID: theirVolunteer.StaffID, Kind: "befriending", Purpose: "Walks", ShareAddress: true})
		code(t, err, errs.Forbidden)
		if n := w.count(t, `SELECT count(*) FROM partner_referrals`) + w.count(t, `SELECT count(*) FROM volunteer_matches`); n != 0 {
			t.Fatalf("%d rows of onward sharing by another organisation", n)
		}
	})
}

// The duty manager can send help to a visit even when the client's record
// is restricted from them: the escalation names no one but says where.
func TestEscalationSaysWhereForARestrictedClient(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		c := w.client(t, "Amina", people.Safe)
		if _, err := w.svc.Book(ctx, w.worker, outreach.NewSessions{ClientID: c, Kind: outreach.HomeVisit, Start: w.now().Add(time.Hour), Duration: time.Hour, Weeks: 1, Reminder: outreach.NoReminder}); err != nil {
			t.Fatal(err)
		}
		// Another manager of the team restricts the record to the worker
		// and themselves: the duty manager is not named.
		second := w.staffIn(t, org, "second.manager", access.RoleTeamManager, "outreach-a")
		if err := w.people.Restrict(ctx, second, c, []string{w.worker.StaffID, second.StaffID}); err != nil {
			t.Fatal(err)
		}
		w.advance(3 * time.Hour)
		if n, err := w.svc.Escalate(ctx); err != nil || n != 1 {
			t.Fatalf("escalate: %d %v", n, err)
		}
		list, err := w.svc.Escalations(ctx, w.manager)
		if err != nil || len(list) != 1 || !list[0].Restricted || list[0].ClientName != "" || list[0].ClientID != "" || list[0].VisitAddress != "5 Secret Lane" {
			t.Fatalf("escalation for a restricted client %+v %v", list, err)
		}
		if n := w.count(t, `SELECT count(*) FROM audit_events WHERE action = 'outreach.escalation_location' AND record_id = $1`, c); n != 1 {
			t.Errorf("the disclosure audited %d times", n)
		}
	})
}
