package outreach_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/auth"
	"frontdoor/internal/errs"
	"frontdoor/internal/outreach"
	"frontdoor/internal/people"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/vault/vaulttest"
)

// staffIn adds a member of staff to an organisation (a partner agency's
// user, an administrator) and returns them as an actor.
func (w *world) staffIn(t testing.TB, orgID, username string, role access.Role, teams ...string) access.Actor {
	t.Helper()
	st, err := w.accounts.AddStaff(ctx, auth.NewStaff{OrganisationID: orgID, Username: username, DisplayName: "Staff " + username, Role: role, TeamIDs: teams})
	if err != nil {
		t.Fatal(err)
	}
	return access.Actor{StaffID: st.ID, Role: role, OrganisationID: orgID, TeamIDs: teams}
}

func TestPartnerReferrals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		admin := w.staffIn(t, org, "the.admin", access.RoleAdministrator)
		c := w.client(t, "Amina", people.Safe)

		_, err := w.svc.RegisterAgency(ctx, w.worker, "Lockfast Security", "security")
		code(t, err, errs.Forbidden)
		installer, err := w.svc.RegisterAgency(ctx, admin, "Lockfast Security", "security")
		if err != nil {
			t.Fatal(err)
		}
		police, err := w.svc.RegisterAgency(ctx, admin, "Hollinshire Police", "police")
		if err != nil {
			t.Fatal(err)
		}
		fitter := w.staffIn(t, installer, "lock.fitter", access.RolePartnerAgencyUser)
		officer := w.staffIn(t, police, "pc.officer", access.RolePartnerAgencyUser)

		today := w.now().Truncate(24 * time.Hour)
		isa, err := w.svc.AddAgreement(ctx, admin, outreach.Agreement{PartnerID: installer, Title: "Sanctuary scheme ISA", LegalBasis: outreach.ConsentBasis, Reference: "ISA-7", StartsOn: today.AddDate(-1, 0, 0)})
		if err != nil {
			t.Fatal(err)
		}
		lapsed, err := w.svc.AddAgreement(ctx, admin, outreach.Agreement{PartnerID: installer, Title: "Old ISA", LegalBasis: "public_task", StartsOn: today.AddDate(-3, 0, 0), EndsOn: today.AddDate(-1, 0, 0)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.svc.AddAgreement(ctx, admin, outreach.Agreement{PartnerID: police, Title: "", LegalBasis: "because", StartsOn: today, EndsOn: today.AddDate(0, 0, -1)})
		if got := fieldNames(t, err); !slices.Equal(got, []string{"title", "legal_basis", "ends_on"}) {
			t.Fatalf("bad agreement: %v", got)
		}

		send := outreach.NewPartnerReferral{ClientID: c, AgreementID: isa, Kind: "target_hardening", Share: []outreach.ShareField{"name", "address"},
			Request: "Fit new locks front and back, and a door chain"}
		noConsent := send
		_, err = w.svc.ReferToPartner(ctx, w.worker, noConsent)
		if got := fieldNames(t, err); !slices.Equal(got, []string{"consent"}) {
			t.Fatalf("consent basis without consent: %v", got)
		}
		old := send
		old.AgreementID, old.Consent = lapsed, true
		_, err = w.svc.ReferToPartner(ctx, w.worker, old)
		if got := fieldNames(t, err); !slices.Equal(got, []string{"agreement"}) {
			t.Fatalf("lapsed agreement: %v", got)
		}
		send.Consent = true
		_, err = w.svc.ReferToPartner(ctx, w.other, send)
		code(t, err, errs.Forbidden)
		if n := w.count(t, `SELECT count(*) FROM partner_referrals`); n != 0 {
			t.Fatalf("%d referrals written by refused requests", n)
		}
		rid, err := w.svc.ReferToPartner(ctx, w.worker, send)
		if err != nil {
			t.Fatal(err)
		}

		// The fitter sees what was shared, nothing else, and not the record.
		list, err := w.svc.PartnerReferrals(ctx, fitter, "")
		if err != nil || len(list) != 1 {
			t.Fatalf("agency list %+v %v", list, err)
		}
		got := list[0]
		if got.ID != rid || got.ClientID != "" || got.Shared.Name != "Amina Testperson" || got.Shared.Address != "5 Secret Lane" || got.Shared.SafePhone != "" ||
			!strings.Contains(got.Shared.Request, "locks") || got.LegalBasis != outreach.ConsentBasis || !slices.Equal(got.Moves, []outreach.PartnerStatus{outreach.Accepted, outreach.Declined}) {
			t.Fatalf("agency view %+v", got)
		}
		if one, err := w.svc.OpenPartnerReferral(ctx, fitter, rid); err != nil || one.ClientID != "" || one.Shared.Name != "Amina Testperson" {
			t.Fatalf("agency opens the referral: %+v %v", one, err)
		}
		if _, err := w.people.Open(ctx, fitter, c); err == nil {
			t.Fatal("the partner agency opened the client's record")
		}
		if l, err := w.svc.PartnerReferrals(ctx, officer, ""); err != nil || len(l) != 0 {
			t.Fatalf("another agency sees %+v %v", l, err)
		}
		if _, err := w.svc.OpenPartnerReferral(ctx, officer, rid); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("another agency opens it: %v", err)
		}

		// Tracked to done by the agency; the worker can only withdraw.
		code(t, w.svc.MovePartnerReferral(ctx, fitter, rid, 1, outreach.Done, ""), errs.Invalid)
		for i, step := range []struct {
			to   outreach.PartnerStatus
			note string
		}{{outreach.Accepted, ""}, {outreach.InProgress, "Booked for Thursday"}, {outreach.Done, "Locks fitted front and back; chain fitted"}} {
			if err := w.svc.MovePartnerReferral(ctx, fitter, rid, i+1, step.to, step.note); err != nil {
				t.Fatalf("%s: %v", step.to, err)
			}
		}
		code(t, w.svc.MovePartnerReferral(ctx, w.worker, rid, 4, outreach.Withdrawn, "no longer needed"), errs.Invalid)
		mine, err := w.svc.PartnerReferrals(ctx, w.worker, c)
		if err != nil || len(mine) != 1 || mine[0].Status != outreach.Done || mine[0].ClientID != c || len(mine[0].Events) != 4 || mine[0].Events[3].Note != "Locks fitted front and back; chain fitted" {
			t.Fatalf("worker's view %+v %v", mine, err)
		}
		// A referral withdrawn (sent in error): the agency sees that it is
		// withdrawn, no longer the details shared.
		rid2, err := w.svc.ReferToPartner(ctx, w.worker, send)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.svc.MovePartnerReferral(ctx, w.worker, rid2, 1, outreach.Withdrawn, "sent in error"); err != nil {
			t.Fatal(err)
		}
		gone, err := w.svc.OpenPartnerReferral(ctx, fitter, rid2)
		if err != nil || gone.Status != outreach.Withdrawn || gone.Shared != (outreach.Shared{}) || len(gone.Moves) != 0 {
			t.Fatalf("the agency's view of a withdrawn referral (the status, nothing shared): %+v %v", gone, err)
		}
		if n := w.count(t, `SELECT count(*) FROM audit_events WHERE action = 'partner.refer' AND record_id = $1`, c); n != 2 {
			t.Errorf("referral audited %d times", n)
		}
		// So too when it is the agency's only referral about her: the
		// agency's relation to her outlasts the withdrawal.
		solo := w.client(t, "Cleo", people.Safe)
		soloSend := send
		soloSend.ClientID = solo
		rid3, err := w.svc.ReferToPartner(ctx, w.worker, soloSend)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.svc.MovePartnerReferral(ctx, w.worker, rid3, 1, outreach.Withdrawn, "sent in error"); err != nil {
			t.Fatal(err)
		}
		if gone, err := w.svc.OpenPartnerReferral(ctx, fitter, rid3); err != nil || gone.Status != outreach.Withdrawn || gone.Shared != (outreach.Shared{}) {
			t.Fatalf("the agency's view of its only referral about a client, withdrawn: %+v %v", gone, err)
		}
		vaulttest.AssertNoPlaintext(t, w.db, w.cfg, "5 Secret Lane", "door chain", "chain fitted")
	})
}

func TestVolunteerSeesOnlyTheMatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		c := w.client(t, "Amina", people.Safe)
		other := w.client(t, "Beth", people.Safe)
		if _, err := w.svc.StartPlan(ctx, w.worker, c); err != nil {
			t.Fatal(err)
		}
		// Before a match the volunteer sees nothing, though on the team.
		if m, err := w.svc.MyMatches(ctx, w.volunteer); err != nil || len(m) != 0 {
			t.Fatalf("unmatched volunteer sees %+v %v", m, err)
		}
		_, err := w.svc.MatchVolunteer(ctx, w.worker, outreach.NewMatch{ClientID: c, VolunteerID: w.colleague.StaffID, Kind: "befriending", Purpose: "Weekly coffee"})
		if got := fieldNames(t, err); !slices.Equal(got, []string{"volunteer"}) {
			t.Fatalf("matching a caseworker as a volunteer: %v", got)
		}
		mid, err := w.svc.MatchVolunteer(ctx, w.worker, outreach.NewMatch{ClientID: c, VolunteerID: w.volunteer.StaffID, Kind: "appointments", Purpose: "Goes with her to the court and the housing office"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.AddAppointment(ctx, w.worker, mid, w.now().Add(48*time.Hour), "County court, hearing at 10:00"); err != nil {
			t.Fatal(err)
		}
		code(t, func() error { _, err := w.svc.AddAppointment(ctx, w.volunteer, mid, w.now(), "x"); return err }(), errs.Forbidden)

		ms, err := w.svc.MyMatches(ctx, w.volunteer)
		if err != nil || len(ms) != 1 {
			t.Fatalf("volunteer's matches %+v %v", ms, err)
		}
		m := ms[0]
		if m.ClientName != "Amina Testperson" || m.SafeContact.Phone != "07700 900123" || m.Address != "" || len(m.Appointments) != 1 || m.Appointments[0].What != "County court, hearing at 10:00" {
			t.Fatalf("limited view %+v", m)
		}
		// Nothing else: not the record, not the plan, not another client.
		if _, err := w.people.Open(ctx, w.volunteer, c); err == nil {
			t.Fatal("the volunteer opened the full record")
		}
		_, err = w.svc.Plan(ctx, w.volunteer, c)
		code(t, err, errs.Forbidden)
		_, err = w.svc.ClientSessions(ctx, w.volunteer, other)
		code(t, err, errs.NotFound)

		// The address only when the match needs it.
		if err := w.svc.EndMatch(ctx, w.worker, mid); err != nil {
			t.Fatal(err)
		}
		if ms, _ := w.svc.MyMatches(ctx, w.volunteer); len(ms) != 0 {
			t.Fatalf("ended match still shown %+v", ms)
		}
		if _, err := w.svc.MatchVolunteer(ctx, w.worker, outreach.NewMatch{ClientID: c, VolunteerID: w.volunteer.StaffID, Kind: "befriending", Purpose: "Walks from home", ShareAddress: true}); err != nil {
			t.Fatal(err)
		}
		if ms, _ := w.svc.MyMatches(ctx, w.volunteer); len(ms) != 1 || ms[0].Address != "5 Secret Lane" {
			t.Fatalf("shared address not shown %+v", ms)
		}

		// Supervision: by the volunteer's team manager; read by both.
		_, err = w.svc.RecordSupervision(ctx, w.otherManager, w.volunteer.StaffID, w.now(), "x")
		code(t, err, errs.Forbidden)
		if _, err := w.svc.RecordSupervision(ctx, w.manager, w.volunteer.StaffID, w.now(), "Debrief after the court visit; wellbeing fine"); err != nil {
			t.Fatal(err)
		}
		for _, who := range []access.Actor{w.manager, w.volunteer} {
			if s, err := w.svc.Supervisions(ctx, who, w.volunteer.StaffID); err != nil || len(s) != 1 || !strings.Contains(s[0].Notes, "Debrief") {
				t.Fatalf("supervisions for %s: %+v %v", who.Role, s, err)
			}
		}
		_, err = w.svc.Supervisions(ctx, w.colleague, w.volunteer.StaffID)
		code(t, err, errs.Forbidden)
		vaulttest.AssertNoPlaintext(t, w.db, w.cfg, "hearing at 10:00", "Debrief after")
	})
}
